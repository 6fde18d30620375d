# meridian-test: exit=0
# read loops from pipes and files, IFS splitting, redirections to /tmp files read back:
# >, >>, 2>&1, 2>/dev/null, exec 3>file, <>, a loop's output redirected as a whole.
f=$(mktemp /tmp/sh_redir.XXXXXX)
echo first > "$f"
echo second >> "$f"
sh -c 'echo to-stdout; echo to-stderr >&2' > "$f.both" 2>&1
sort "$f.both"
sh -c 'echo kept; echo dropped >&2' 2>/dev/null
exec 3> "$f.fd3"
echo "via fd 3" >&3
echo "again via fd 3" >&3
exec 3>&-
cat "$f.fd3"
n=0
while read -r line; do
	n=$((n + 1))
	echo "line $n: $line"
done < "$f"
printf 'a:b:c\n1:2:3\n' | while IFS=: read -r x y z; do echo "$z $y $x"; done
for i in 1 2 3; do echo "loop $i"; done > "$f.loop"
wc -l < "$f.loop" | tr -d ' '
exec 4<> "$f"
read -r got <&4
echo "read through <>: $got"
exec 4>&-
seq 1 5 | { read -r a; read -r b; echo "a=$a b=$b rest=$(cat | tr '\n' ,)"; }
rm -f "$f" "$f.both" "$f.fd3" "$f.loop"
