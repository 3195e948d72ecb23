#### write and append
echo one > f
echo two >> f
cat f
#### read from a file
echo content > f
cat < f
#### stderr to stdout
sh -c 'echo to-err >&2' 2>&1
#### stdout to stderr discarded
echo hidden >&2
echo shown
#### numbered descriptor to a file
sh -c 'echo err-line >&2' 2> e
cat e
#### descriptor three
exec 3> three
echo via-three >&3
exec 3>&-
cat three
#### read descriptor
echo from-four > four
exec 4< four
read line <&4
echo "$line"
#### read write open
echo abc > rw
cat <> rw
#### order of redirections
sh -c 'echo both; echo err >&2' > o 2>&1
cat o
#### redirection of a compound command
{ echo a; echo b; } > g
cat g
#### redirection of a loop
for i in 1 2; do echo $i; done > h
cat h
#### input to a while loop
printf 'x\ny\n' > in
while read l; do echo "[$l]"; done < in
#### redirection failure status
cat < missing_file 2>/dev/null
echo $?
#### subshell keeps variables
x=1
(x=2; echo in $x)
echo out $x
#### pipeline status is the last command
false | true; echo $?
true | false; echo $?
