# meridian-test: exit=0
# find | sort | head, xargs with -n and -I, find -exec, all on a tree made in /tmp.
d=$(mktemp -d /tmp/sh_find.XXXXXX)
cd "$d"
mkdir -p a/b/c a/d e
for f in a/1 a/b/2 a/b/c/3 a/d/4 e/5 top; do echo "$f" > "$f"; done
find . -type f | sort | head -n 4
find . -type d | sort
find . -name '[0-9]' | sort | xargs -n 2 echo pair:
find . -type f | sort | xargs -I{} sh -c 'printf "%s=%s\n" "{}" "$(cat {})"' | tail -n 3
find . -type f -name '*' -exec cat {} + | sort | tr '\n' ' '; echo
seq 1 100 | xargs -n 10 | awk '{ print NF }' | sort | uniq -c | sed 's/^ *//'
printf 'x y\nz\n' | xargs sh -c 'echo "argc $#: $*"' sh
cd /
rm -rf "$d"
[ -e "$d" ] || echo "cleaned up"
