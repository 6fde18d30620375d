# meridian-test: exit=0
# Subshells and command substitution: variables, cd and traps in ( ) do not leak out; the
# status of a subshell is its last command's; nested $( ) and backquotes; arithmetic.
v=1
( v=2; echo "inside: $v" )
echo "outside: $v"
( exit 7 ); echo "subshell exit: $?"
( cd /; pwd )
d=$(pwd)
( cd /tmp && [ "$(pwd)" = /tmp ] && echo "cd in a subshell works" )
[ "$(pwd)" = "$d" ] && echo "cwd unchanged after it"
echo "nested: $(echo a$(echo b$(echo c)))"
echo "backquotes: `echo x` `expr 6 \* 7`"
echo "arith: $((3 * (4 + 5) % 7)) $(( 1 << 10 ))"
n=$(printf '%s\n' a b c | wc -l); echo "lines: $((n))"
out=$(sh -c 'echo out; exit 4'); echo "captured '$out' with status $?"
{ echo grouped; echo commands; } | tr a-z A-Z
x=$( (echo deep; (echo deeper) ) | tr '\n' ' ' ); echo "$x"
f() { local y=local; echo "func $1 $y"; return 6; }
f arg; echo "func status: $?"
echo "still: ${y:-unset}"
