#### define and call
greet() { echo "hello $1"; }
greet world
#### own positional parameters
set -- outer1 outer2
f() { echo "in: $# $1 $2"; }
f a b
echo "out: $# $1 $2"
#### return status
f() { return 3; }
f; echo $?
#### return without value keeps last status
f() { false; return; }
f; echo $?
#### return stops the function
f() { echo one; return 0; echo two; }
f
#### functions see and change globals
g=1
f() { g=2; }
f; echo $g
#### recursion
fact() {
  if [ $1 -le 1 ]; then echo 1; return; fi
  echo $(( $1 * $(fact $(( $1 - 1 ))) ))
}
fact 6
#### dollar at in functions
f() { for a in "$@"; do echo "[$a]"; done; }
f "x y" z
#### function in a pipeline
f() { echo piped; }
f | cat
#### function output captured
f() { echo captured; }
x=$(f)
echo "$x"
#### redefinition
f() { echo first; }
f() { echo second; }
f
#### function with a subshell body
f() ( x=inner; echo $x )
x=outer
f
echo $x
#### loops inside functions with break
f() {
  for i in 1 2 3 4; do
    [ $i = 3 ] && break
    echo $i
  done
}
f
#### unset -f removes a function
f() { echo defined; }
unset -f f
f 2>/dev/null || echo gone
#### function name with underscore and digits
my_func2() { echo ok; }
my_func2
#### dollar hash inside nested calls
inner() { echo "inner $#"; }
outer() { inner a b c; echo "outer $#"; }
outer x
#### local variables are restored
v=global
f() { local v=inner; echo "in $v"; }
f
echo "out $v"
#### local of an unset variable is unset again
f() { local w; w=set; echo "in $w"; }
f
echo "out [${w-unset}]"
#### local seen by called functions
show() { echo "show $x"; }
f() { local x=dynamic; show; }
x=top
f
echo $x
