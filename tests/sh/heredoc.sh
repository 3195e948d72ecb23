#### simple here-document
cat <<END
line one
line two
END
#### expansions in an unquoted here-document
name=world
cat <<END
hello $name
sum $((2 + 3))
cmd $(echo sub)
END
#### quoted delimiter means no expansion
name=world
cat <<'END'
hello $name $((1+1))
END
#### double-quoted delimiter
cat <<"END"
raw $HOME
END
#### tabs stripped with dash
cat <<-END
	indented
		twice
	END
#### backslash escapes in here-document
x=1
cat <<END
dollar \$x is $x
backslash \\ stays
END
#### here-document into a loop
while read a b; do echo "$b-$a"; done <<END
1 one
2 two
END
#### two here-documents on one line
cat <<A; cat <<B
from a
A
from b
B
#### here-document to a function
f() { cat; }
f <<END
to function
END
#### here-document with pipe
cat <<END | grep two
one
two
END
#### empty here-document
cat <<END
END
echo after
