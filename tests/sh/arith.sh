#### basic operators
echo $((1 + 2)) $((7 - 10)) $((6 * 7)) $((17 / 5)) $((17 % 5))
#### precedence and parentheses
echo $((2 + 3 * 4)) $(((2 + 3) * 4)) $((10 - 4 - 3)) $((2 * (3 + (4 - 1))))
#### shifts and bit operators
echo $((1 << 10)) $((1024 >> 3)) $((12 & 10)) $((12 | 3)) $((12 ^ 10)) $((~5))
#### comparisons
echo $((3 < 4)) $((4 <= 3)) $((5 > 2)) $((5 >= 5)) $((2 == 2)) $((2 != 2))
#### logical operators
echo $((1 && 0)) $((1 && 2)) $((0 || 0)) $((0 || 7)) $((!0)) $((!9))
#### conditional operator
x=5
echo $((x > 3 ? 10 : 20)) $((x < 3 ? 10 : 20)) $((0 ? 1 : 0 ? 2 : 3))
#### variables by name and with dollar
a=6 b=7
echo $((a * b)) $(($a * $b)) $((a + unset_variable))
#### assignment operators
n=10
: $((n += 5)); echo $n
: $((n -= 3)); echo $n
: $((n *= 2)); echo $n
: $((n /= 5)); echo $n
: $((n %= 3)); echo $n
: $((n <<= 4)); echo $n
: $((n >>= 2)); echo $n
: $((n |= 3)); echo $n
: $((n &= 6)); echo $n
: $((n ^= 1)); echo $n
#### plain assignment returns the value
echo $((y = 4 * 4)) $y
#### assignment inside a larger expression
a=1
echo $(( (a += 2) * 10 )) $a
#### unary minus and plus
echo $((-5)) $((- -5)) $((+3)) $((-(2 + 3)))
#### hexadecimal and octal constants
echo $((0x10)) $((0xff)) $((010)) $((0))
#### counting loop
i=0 sum=0
while [ $i -lt 10 ]; do
  i=$((i + 1))
  sum=$((sum + i))
done
echo $i $sum
#### nested arithmetic and substitution
x=3
echo $(( $(echo 4) * x )) $(( (x + 1) * (x - 1) ))
#### division by zero is an error
echo before
echo $((1 / 0))
echo not reached
#### modulo by zero is an error
x=$((5 % 0))
echo not reached
#### negative division truncates toward zero
echo $((-7 / 2)) $((-7 % 2)) $((7 / -2))
#### empty variable is zero
e=
echo $((e + 1))
#### short circuit does not assign
z=1
: $((0 && (z = 5)))
: $((1 || (z = 6)))
echo $z
#### arithmetic in double quotes
n=4
echo "n*n=$((n * n))"
#### large values
echo $((1 << 40)) $((123456789 * 1000))
