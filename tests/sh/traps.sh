# meridian-test: exit=5
# Traps: USR1 and INT sent to the shell itself run their handlers; a trap in a subshell is
# its own; `trap - SIG` restores the default; the EXIT trap runs at the end with the exit
# status visible in $?, and `$?` after a child killed by a signal is 128+signal.
trap 'echo "got USR1"' USR1
kill -USR1 $$
echo "after USR1"
trap 'echo "got INT"' INT
kill -INT $$
echo "after INT"
# The child's parent is the subshell (`:` after it keeps the shell from exec'ing it).
( trap 'echo "subshell USR1"' USR1; sh -c 'kill -USR1 $PPID'; : )
echo "status after subshell: $?"
trap - USR1
sh -c 'kill -USR1 $$'; echo "child killed by USR1: $?"
sh -c 'kill -TERM $$'; echo "child killed by TERM: $?"
sh -c 'kill -KILL $$'; echo "child killed by KILL: $?"
trap '' TERM
sh -c 'kill -TERM $$'; echo "child of a shell ignoring TERM, killed by TERM: $?"
trap - TERM
trap 'echo "EXIT trap, status $?"' EXIT
exit 5
