"""re: search, named groups, findall, sub with a function, split, flags."""

import re

log = """\
2024-01-05 12:00:01 INFO  open("/data/a.txt") = 3
2024-01-05 12:00:02 WARN  read(3, 4096) = -11 EAGAIN
2024-01-05 12:00:03 INFO  close(3) = 0
2024-01-05 12:00:04 ERROR mmap(NULL, 8192) = -12 ENOMEM
"""

line_re = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2}) (?P<time>[\d:]+) (?P<level>[A-Z]+)\s+(?P<call>\w+)\((?P<args>.*)\) = (?P<ret>-?\d+)(?: (?P<errno>E[A-Z]+))?$",
    re.MULTILINE,
)
for m in line_re.finditer(log):
    print(m.group("call"), m.group("ret"), m.group("errno"), m.span())

print(re.findall(r"E[A-Z]{3,}", log))
print(re.sub(r"\d+", lambda m: str(int(m.group()) * 2), "a1 b22 c333"))
print(re.split(r"[,;]\s*", "one, two;three ,four"))
print(bool(re.fullmatch(r"(?i)meridian", "MeRiDiAn")))
print(re.sub(r"(\w+)@(\w+)\.com", r"\2 at \1", "mail alice@example.com or bob@test.com"))
print(re.escape("a.b*c"))
print([m.group(0) for m in re.finditer(r"(?<=\()[^)]*", log)])
