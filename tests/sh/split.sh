#### default IFS splits on blanks
x='  a   b	c  '
set -- $x
echo $# "$1" "$2" "$3"
#### custom IFS with colons
IFS=:
x=a:b::c
set -- $x
echo $#
for f in $x; do echo "[$f]"; done
#### IFS whitespace and colon mixed
IFS=' :'
x=' a : b:c '
set -- $x
echo $# "$1" "$2" "$3"
#### empty IFS does not split
IFS=
x='a b c'
set -- $x
echo $#
#### quoted expansion is not split
x='a b c'
set -- "$x"
echo $#
#### splitting of literal text does not happen
IFS=:
set -- a:b
echo $#
#### unset IFS is default
unset IFS
x='p q'
set -- $x
echo $#
#### leading colon gives an empty field
IFS=:
x=:a
set -- $x
echo $# "[$1]" "[$2]"
#### trailing colon gives no extra field
IFS=:
x=a:
set -- $x
echo $#
#### read splits by IFS
IFS=: read a b c <<END
one:two:three:four
END
echo "$a|$b|$c"
#### for over IFS-split path
IFS=:
p=/bin:/usr/bin:/sbin
n=0
for d in $p; do n=$((n + 1)); done
echo $n
