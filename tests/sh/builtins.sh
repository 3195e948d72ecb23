#### read with several names
read a b rest <<END
one two three four
END
echo "$a|$b|$rest"
#### read -r keeps backslashes
read -r line <<'END'
a\b\c
END
printf '%s\n' "$line"
#### read without -r removes backslashes
read line <<'END'
a\b\c
END
printf '%s\n' "$line"
#### read at end of input
read x < /dev/null
echo $? "[$x]"
#### read leaves missing names empty
read a b c <<END
only
END
echo "[$a][$b][$c]"
#### shift
set -- a b c d
shift
echo $# $1
shift 2
echo $# $1
#### set -- replaces parameters
set -- x y z
echo $#
set --
echo $#
#### set -e stops at a failure
set -e
echo before
false
echo not reached
#### set -e ignores conditions
set -e
if false; then echo no; fi
false || echo handled
! true
echo survived
#### set -u makes unset an error
set -u
echo start
echo $unset_variable
echo not reached
#### set -x does not change output
set -x
echo traced
#### export and unset
export EV=exported
sh -c 'echo "child sees $EV"'
unset EV
sh -c 'echo "child sees [$EV]"'
#### unset a variable
v=1
unset v
echo "[${v-unset}]"
#### eval
cmd='echo evaluated'
eval $cmd
eval 'x=5; echo $((x*2))'
#### eval with quotes
eval "set -- 'a b' c"
echo $# "$1"
#### dot sources a file
echo 'sourced_var=from_file' > lib.sh
. ./lib.sh
echo $sourced_var
#### dot file with return
printf 'echo in file\nreturn 4\necho not reached\n' > r.sh
. ./r.sh
echo $?
#### exec replaces the shell
exec echo replaced
echo not reached
#### exec redirection applies to the shell
exec 5>&1
exec > out.txt
echo into-file
exec 1>&5
echo back
cat out.txt
#### command runs the builtin not the function
echo() { printf 'function\n'; }
command echo builtin-or-program
#### command -v of a builtin and a function
f() { :; }
command -v cd
command -v f
command -v no_such_command_here || echo missing
#### type of builtin and function
f() { :; }
type cd
type f
#### printf formats
printf '%s|%5s|%-5s|%.2s\n' a b c defg
printf '%d %05d %x %X %o %c\n' 42 7 255 255 8 hello
printf '%%|%b\n' 'tab\tdone'
#### printf reuses the format
printf '%s=%s\n' a 1 b 2 c
#### printf numbers from characters and errors
printf '%d\n' "'A"
printf '%d\n' abc 2>/dev/null
echo $?
#### printf without newline
printf abc
printf 'def\n'
#### trap on exit
trap 'echo exiting' EXIT
echo main
#### trap on exit with exit status
trap 'echo cleanup' EXIT
exit 3
#### trap on a signal
trap 'echo got usr1' USR1
kill -USR1 $$
echo after
#### trap reset
trap 'echo no' EXIT
trap - EXIT
echo reset
#### alias
alias say='echo said'
say hello
#### wait for a background job
(exit 7) &
wait $!
echo $?
#### wait for all jobs
echo bg1 > a & echo bg2 > b &
wait
cat a b
#### colon true and false
:; echo $?
true; echo $?
false; echo $?
#### negated pipeline
! false; echo $?
! true; echo $?
! echo x | grep y; echo $?
#### assignment before a command is temporary
V=temp sh -c 'echo $V'
echo "[$V]"
#### trap action listed
trap 'echo bye' EXIT
trap
trap - EXIT
#### trap ignore then reset
trap '' USR1
kill -USR1 $$
echo ignored
trap - USR1
echo reset
#### printf with star width and precision
printf '[%*s][%.*s]\n' 6 abc 2 abcdef
printf '[%-*d]\n' 4 7
#### printf octal escapes and percent b with stop
printf '\101\102\n'
printf '%b' 'first\c' never
echo
#### set with options then positional parameters
set -e -- p q
echo $# $1
#### set +e turns it off
set -e
set +e
false
echo still here
#### unset then default
x=1
unset x
echo ${x:-gone}
#### eval defines a function
eval 'ef() { echo from eval; }'
ef
#### type of an unknown name
type no_such_command_qq >/dev/null
echo $?
#### umask sets and prints the mask in octal and symbolically
umask 027
umask
umask -S
umask 0
umask
umask -S
#### umask in a subshell leaves the shell's
umask 022
(umask 077; umask)
umask
#### ulimit sets both limits, -S the soft one only, and a child inherits it
ulimit -n 32
ulimit -n
ulimit -H -n
ulimit -S -n 16
ulimit -n
ulimit -H -n
sh -c 'ulimit -n'
#### ulimit -c counts blocks; a subshell's limit stays in the subshell
ulimit -c 8
ulimit -c
ulimit -S -c 0
ulimit -c
ulimit -H -c
ulimit -n 20; (ulimit -n 8; ulimit -n); ulimit -n
#### ulimit -t -s -v read back what they set
ulimit -t 100; ulimit -t
ulimit -s 4096; ulimit -s
ulimit -v 1000000; ulimit -v
#### ulimit -p (dash's name for bash's -u) and -l read back what they set, and a child inherits them
ulimit -p 50; ulimit -p; ulimit -H -p
ulimit -S -p 40; ulimit -p; sh -c 'ulimit -p'
ulimit -l 64; ulimit -l; ulimit -H -l
#### umask is inherited by a child shell
umask 037
sh -c umask
#### umask takes a symbolic mode: the permissions the mask leaves
umask 027
umask u=rwx,g=rx,o=; umask
umask o+r; umask
umask go-rwx; umask; umask -S
umask ug+w,o-r; umask
umask a=rx; umask
umask u=rwx,g=rx,o=rx; umask g=u; umask
umask 022; umask u+x-w; umask -S
umask u=q 2>/dev/null; umask
