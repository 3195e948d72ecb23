#### syntax error exits with 2
echo before
if then
echo not reached
#### unknown command is 127
no_such_command_xyz 2>/dev/null
echo $?
#### error in a subshell does not stop the script
(echo ${u:?gone})
echo "continued $?"
#### bad arithmetic stops the script
echo start
x=$((1 +))
echo not reached
#### exit status of exit
exit 5
#### exit inside a function ends the script
f() { exit 6; }
f
echo not reached
#### status of a not executable file
echo 'echo hi' > noexec
./noexec 2>/dev/null
echo $?
#### break outside a loop is harmless
echo a
break 2>/dev/null
echo b
