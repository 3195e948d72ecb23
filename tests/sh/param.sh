#### default when unset or empty
unset u; e=
echo "${u:-def}" "${e:-def}" "${u-def}" "[${e-def}]"
#### assign default
unset u
echo "${u:=assigned}" "$u"
e=
echo "${e=kept}[$e]" "${e:=now}" "$e"
#### alternative value
s=set; e=; unset u
echo "[${s:+alt}]" "[${e:+alt}]" "[${e+alt}]" "[${u+alt}]"
#### error when unset
unset u
echo "${u:?custom message}"
echo not reached
#### error when null with colon
e=
(echo "${e:?}"); echo "status $?"
#### no error when set
s=value
echo "${s:?unused}"
#### length
s=hello; e=
echo ${#s} ${#e} ${#unset_variable}
#### remove shortest prefix
p=aXbXc
echo ${p#*X} ${p#a} ${p#z}
#### remove longest prefix
p=aXbXc
echo ${p##*X} ${p##a*}x
#### remove shortest suffix
f=file.tar.gz
echo ${f%.*} ${f%.gz} ${f%x}
#### remove longest suffix
f=file.tar.gz
echo ${f%%.*}
#### path manipulation
path=/usr/local/bin/tool
echo ${path##*/} ${path%/*} ${path#/}
#### patterns with brackets and question marks
v=abc123
echo ${v%[0-9]*} ${v%%[0-9]*} ${v#??} ${v#[a-c]}
#### quoted pattern is literal
v='a*b*c'
echo "${v#*\*}" "${v#"a*"}" ${v%'*'*}
#### word in default is expanded
name=world
echo ${unset_variable:-hello $name}
#### default word splitting when unquoted
set -- ${unset_variable:-a b c}
echo $#
set -- "${unset_variable:-a b c}"
echo $#
#### positional parameters
set -- one two three
echo $1 $2 $3 $#
#### positional beyond nine
set -- a b c d e f g h i j k
echo ${10} ${11} $#
#### dollar star and dollar at
set -- "a b" c
for x in "$@"; do echo "[$x]"; done
for x in "$*"; do echo "[$x]"; done
for x in $*; do echo "[$x]"; done
#### empty dollar at gives no fields
set --
for x in "$@"; do echo "never"; done
echo "count $#"
#### dollar star joined by first IFS character
set -- a b c
IFS=:
echo "$*"
IFS=-+
echo "$*"
#### dollar question mark
false; echo $?
true; echo $?
(exit 42); echo $?
#### dollar dollar is a number
case $$ in
  *[!0-9]*) echo bad ;;
  *) echo number ;;
esac
#### dollar bang after background
true &
case $! in
  ''|*[!0-9]*) echo bad ;;
  *) echo number ;;
esac
wait
#### braces separate name from text
v=pre
echo ${v}fix "${v}_x" $v_x.
#### length of positional parameters
set -- abc defgh
echo ${#1} ${#2} ${#}
#### nested default with substitution
echo ${unset_variable:-$(echo from-subst)}
#### trim with variable pattern
suffix=.txt
f=notes.txt
echo ${f%$suffix}
