# meridian-test: exit=0
# Pipelines: data through several processes, the status of a pipeline is its last
# command's (and with `set -o pipefail` the last failing one's), `!` negates it, and each
# command of a pipeline runs in its own process (a variable set in one is not seen after).
printf 'c\nb\na\nb\n' | sort | uniq -c | sed 's/^ *//'
echo "one two three" | tr ' ' '\n' | wc -l | tr -d ' '
seq 1 2000 | awk '{ s += $1 } END { print s }'
false | true; echo "false | true: $?"
true | false; echo "true | false: $?"
sh -c 'exit 3' | sh -c 'exit 5'; echo "exit 3 | exit 5: $?"
! false; echo "! false: $?"
! true; echo "! true: $?"
set -o pipefail
sh -c 'exit 3' | true; echo "pipefail, exit 3 | true: $?"
sh -c 'exit 3' | sh -c 'exit 4' | true; echo "pipefail, 3 | 4 | true: $?"
set +o pipefail
x=outer
echo inner | read x
echo "after | read: x=$x"
# A long pipeline of cats.
echo through | cat | cat | cat | cat | cat | cat | cat | cat | cat | cat
# A writer that outlives its reader: head closes the pipe and yes dies of SIGPIPE.
yes | head -n 3
echo "yes | head: $?"
