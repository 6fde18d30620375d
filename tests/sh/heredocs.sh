# meridian-test: exit=0
# Here-documents: expansion in an unquoted one, none in a quoted one, <<- strips leading
# tabs, a here-doc feeding a pipeline and a while-read loop, two here-docs on one command.
name=world
cat <<EOT
hello $name
sum $((2 + 3))
EOT
cat <<'EOT'
literal $name $(not run)
EOT
cat <<-EOT
	tabs stripped
		and more tabs
	EOT
tr a-z A-Z <<EOT | sed 's/^/> /'
piped through tr
and sed
EOT
count=0
while read -r a b; do
	count=$((count + 1))
	echo "$count: $b $a"
done <<EOT
x1 y1
x2 y2
x3 y3
EOT
echo "count after the loop: $count"
cat 3<<A /dev/fd/3 - <<B
from fd 3
A
from stdin
B
