# meridian-test: exit=3
# set -e: a failing command in an if condition, in && / || lists, or negated with ! does
# not end the shell; a failing simple command does, with its status; so does a failing
# subshell; the EXIT trap still runs.
set -e
trap 'echo "exiting with $?"' EXIT
if false; then echo no; else echo "if false: continued"; fi
false || echo "false ||: continued"
false && echo no
echo "after false &&: continued"
! true
echo "after ! true: continued"
( true ) && echo "subshell ok"
x=$(sh -c 'exit 0'); echo "substitution ok"
sh -c 'exit 3'
echo "not reached"
