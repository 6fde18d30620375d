# meridian-test: exit=0
# Many processes in a row: 1000 external `true` (busybox true, not the shell builtin) from
# `sh -c`, counted; 200 command substitutions of an external echo; 100 short pipelines.
sh -c '
n=0
i=0
while [ $i -lt 1000 ]; do
	busybox true && n=$((n + 1))
	i=$((i + 1))
done
echo "true ran $n times"
'
echo "sh -c status: $?"
s=""
i=0
while [ $i -lt 200 ]; do
	s="$s$(busybox echo x)"
	i=$((i + 1))
done
echo "substitutions: ${#s}"
i=0
total=0
while [ $i -lt 100 ]; do
	total=$((total + $(echo $i | busybox cat | busybox wc -c)))
	i=$((i + 1))
done
echo "pipeline bytes: $total"
