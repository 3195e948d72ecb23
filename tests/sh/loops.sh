#### for over words
for i in a b c; do echo $i; done
#### for over positional parameters
set -- x y
for i; do echo $i; done
#### while with counter
n=3
while [ $n -gt 0 ]; do echo $n; n=$((n-1)); done
#### until
n=0
until [ $n -ge 3 ]; do echo $n; n=$((n+1)); done
#### break
for i in 1 2 3 4 5; do
  if [ $i = 3 ]; then break; fi
  echo $i
done
#### continue
for i in 1 2 3 4 5; do
  if [ $i = 3 ]; then continue; fi
  echo $i
done
#### break 2
for i in 1 2 3; do
  for j in a b c; do
    if [ $j = b ]; then break 2; fi
    echo $i$j
  done
done
echo after
#### continue 2
for i in 1 2 3; do
  for j in a b c; do
    if [ $j = b ]; then continue 2; fi
    echo $i$j
  done
done
#### if elif else
for v in 1 2 3; do
  if [ $v = 1 ]; then echo one
  elif [ $v = 2 ]; then echo two
  else echo other
  fi
done
#### loop status is the last body status
for i in 1 2; do false; done
echo $?
#### while reading lines
printf 'l1\nl2\nl3\n' > f
while read line; do echo "got $line"; done < f
#### nested loops with arithmetic
total=0
for i in 1 2 3; do
  for j in 1 2 3; do
    total=$((total + i * j))
  done
done
echo $total
#### loop output piped
for i in 3 1 2; do echo $i; done | grep -v 1
#### empty for list
for i in; do echo never; done
echo done
#### while false never runs
while false; do echo never; done
echo $?
