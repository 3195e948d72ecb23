#### simple match
case hello in
  hello) echo matched ;;
  *) echo default ;;
esac
#### alternatives with bar
for w in apple pear kiwi fig; do
  case $w in
    apple|pear) echo "$w: pome" ;;
    kiwi) echo "$w: berry" ;;
    *) echo "$w: other" ;;
  esac
done
#### glob patterns
for f in a.txt b.c README x1; do
  case $f in
    *.txt) echo "$f text" ;;
    *.[ch]) echo "$f c" ;;
    [A-Z]*) echo "$f upper" ;;
    ?1) echo "$f two-char" ;;
  esac
done
#### first match wins
case abc in
  a*) echo first ;;
  ab*) echo second ;;
esac
#### no match leaves status zero
false
case x in y) echo no ;; esac
echo $?
#### status of the last command in the arm
case x in x) false ;; esac
echo $?
#### quoted patterns are literal
case '*' in
  "*") echo star ;;
esac
case abc in
  '*') echo wrong ;;
  *) echo glob ;;
esac
#### pattern from a variable
pat='b*'
case bob in $pat) echo var-pattern ;; esac
#### leading parenthesis and empty arms
case two in
  (one) ;;
  (two) echo two ;;
esac
#### case on one line
x=3; case $x in 1) echo one;; 3) echo three;; esac
#### negated bracket
case b in [!a]) echo not-a ;; esac
#### case with newline-separated arms and last arm without semicolons
case z in
  a) echo a ;;
  z) echo z
esac
#### case inside a function with return
kind() {
  case $1 in
    [0-9]*) return 1 ;;
    *) return 0 ;;
  esac
}
kind abc; echo $?
kind 123; echo $?
