#### string equality
[ abc = abc ] && echo eq
[ abc = abd ] || echo ne
[ abc != abd ] && echo ne2
#### empty and non-empty strings
e=
[ -z "$e" ] && echo z
[ -n "$e" ] || echo not-n
[ -n x ] && echo n
[ "$e" ] || echo empty-false
[ x ] && echo one-arg-true
#### integer comparisons
for op in -eq -ne -lt -le -gt -ge; do
  if [ 3 $op 5 ]; then echo "3 $op 5 yes"; else echo "3 $op 5 no"; fi
done
#### negative integers
[ -3 -lt -1 ] && echo yes
[ -10 -gt 2 ] || echo no
#### negation
[ ! a = b ] && echo negated
! [ a = a ] || echo bang-pipeline
#### and and or
[ a = a -a b = b ] && echo and
[ a = b -o b = b ] && echo or
[ a = b -a b = b ] || echo and-false
#### parentheses
[ \( a = b -o c = c \) -a d = d ] && echo grouped
#### test command form
test 5 -gt 4 && echo test-form
test -z "" && echo test-z
#### files and directories
mkdir d
echo data > f
: > empty
[ -e f ] && echo e-f
[ -f f ] && echo f-f
[ -d d ] && echo d-d
[ -f d ] || echo not-f-d
[ -d f ] || echo not-d-f
[ -s f ] && echo s-f
[ -s empty ] || echo not-s-empty
[ -e missing ] || echo not-e-missing
#### readable and writable
echo x > f
[ -r f ] && echo r
[ -w f ] && echo w
[ -x f ] || echo not-x
#### executable bit
echo 'echo hi' > s
chmod 755 s
[ -x s ] && echo x
#### symbolic link
echo x > target
ln -s target link
[ -L link ] && echo link
[ -L target ] || echo not-link
[ -h link ] && echo h
#### exit statuses
[ a = a ]; echo $?
[ a = b ]; echo $?
[ 1 -eq x ] 2>/dev/null; echo $?
#### missing bracket is an error
[ a = a 2>/dev/null
echo $?
#### a lone operator is a string
[ -n ] && echo n-alone
[ = ] && echo eq-alone
#### numbers with leading spaces
[ " 7" -eq 7 ] && echo spaces-ok
#### while with test and arithmetic
i=0
while [ $i -lt 5 ]; do i=$((i+1)); done
echo $i
#### string ordering via not equal
a=apple b=banana
if [ "$a" != "$b" ]; then echo different; fi
#### test with no arguments is false
test; echo $?
[ ]; echo $?
