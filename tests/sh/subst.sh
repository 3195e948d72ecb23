#### dollar parentheses
echo "[$(echo hello)]"
#### backquotes
echo "[`echo world`]"
#### trailing newlines are removed
x=$(printf 'a\n\n\n')
echo "[$x]"
#### inner newlines are kept in quotes
x=$(printf 'a\nb\n')
echo "$x"
#### unquoted substitution is split
set -- $(echo one two   three)
echo $#
#### quoted substitution is one field
set -- "$(echo one two   three)"
echo $# "$1"
#### nested substitution
echo $(echo a $(echo b $(echo c)))
#### substitution of a pipeline
echo $(printf 'x\ny\nz\n' | grep y)
#### substitution status is $? of an assignment
x=$(false)
echo $?
x=$(true)
echo $?
#### variables set in a substitution do not leak
v=outer
y=$(v=inner; echo $v)
echo $v $y
#### substitution in a for list
for w in $(echo p q r); do echo "<$w>"; done
#### substitution of a builtin
echo "$(printf '%s-' a b c)"
#### substitution with a here-string-like cat
x=$(cat <<EOT
line one
EOT
)
echo "$x"
#### backquote with escaped dollar
a=1
echo `echo \$a`
#### empty substitution gives no field
set -- $(true)
echo $#
#### substitution with exit inside
x=$(echo a; exit 3; echo b)
echo $? $x
#### command substitution inside arithmetic
echo $(( $(echo 2) + $(echo 3) ))
#### case inside a command substitution
x=$(case b in a) echo A;; b) echo B;; esac)
echo "$x"
#### substitution inside double quotes with quotes inside
echo "$(echo "inner quoted")"
#### subshell does not inherit a signal trap action
trap 'echo parent trap' USR1
(kill -USR1 $$; true)
echo after
