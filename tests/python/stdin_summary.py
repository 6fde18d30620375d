"""Reads all of stdin and prints a summary of it."""

import hashlib
import sys

data = sys.stdin.read()
lines = data.splitlines()
print("chars:", len(data))
print("lines:", len(lines))
print("words:", len(data.split()))
print("sha256:", hashlib.sha256(data.encode()).hexdigest())
for line in reversed(lines[-3:]):
    print("rev:", line[::-1])
print("longest:", max(lines, key=len) if lines else None)
