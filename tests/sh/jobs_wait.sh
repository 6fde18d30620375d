# meridian-test: exit=0
# Background jobs: $! names the last one, `wait $pid` returns its status (also after it has
# already exited), `wait` with no argument waits for all, jobs write to their own files,
# a killed background job's status is 128+signal, and `wait` for an unknown pid is 127.
d=$(mktemp -d /tmp/sh_jobs.XXXXXX)
sh -c 'exit 3' &
p1=$!
(sleep 0.2; exit 4) &
p2=$!
wait $p2; echo "wait p2: $?"
wait $p1; echo "wait p1 (already exited): $?"
for i in 1 2 3 4 5; do
	(echo "job $i" > "$d/$i"; exit $i) &
done
wait
cat "$d"/* | sort
sleep 30 &
p3=$!
kill $p3
wait $p3; echo "killed job: $?"
sleep 30 &
p4=$!
kill -9 $p4
wait $p4; echo "SIGKILLed job: $?"
wait 99999999 2>/dev/null; echo "wait for a non-child: $?"
# Many jobs at once, counted.
for i in $(seq 1 50); do echo $i > "$d/n$i" & done
wait
cat "$d"/n* | awk '{ s += $1 } END { print "sum of 50 jobs: " s }'
rm -rf "$d"
