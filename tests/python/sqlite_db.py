"""sqlite3: an in-memory database, and a file database under /tmp that is reopened and removed."""

import os
import sqlite3
import uuid


def fill(conn):
    conn.execute("CREATE TABLE calls (id INTEGER PRIMARY KEY, name TEXT NOT NULL, nr INTEGER, cost REAL)")
    rows = [(f"call{i % 7}", i % 7, (i * 37 % 101) / 10.0) for i in range(500)]
    conn.executemany("INSERT INTO calls (name, nr, cost) VALUES (?, ?, ?)", rows)
    conn.execute("CREATE INDEX calls_nr ON calls(nr)")
    conn.commit()


def report(conn, label):
    print(label, "count:", conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0])
    for row in conn.execute(
        "SELECT name, COUNT(*), ROUND(SUM(cost), 2), MIN(cost), MAX(cost) FROM calls GROUP BY name ORDER BY name"
    ):
        print(label, row)
    print(label, conn.execute("SELECT group_concat(id) FROM (SELECT id FROM calls WHERE nr = 3 ORDER BY cost DESC, id LIMIT 5)").fetchone())


mem = sqlite3.connect(":memory:")
fill(mem)
report(mem, "memory")
with mem:
    mem.execute("UPDATE calls SET cost = cost * 2 WHERE nr = 0")
try:
    with mem:
        mem.execute("INSERT INTO calls (name, nr, cost) VALUES (NULL, 1, 1.0)")
except sqlite3.IntegrityError as err:
    print("integrity error:", err)
print("after update:", mem.execute("SELECT ROUND(SUM(cost), 2) FROM calls").fetchone())
mem.close()

path = f"/tmp/meridian-sqlite-{os.getpid()}-{uuid.uuid4().hex}.db"
try:
    disk = sqlite3.connect(path)
    fill(disk)
    disk.close()
    print("file size multiple of page size:", os.path.getsize(path) % 4096 == 0)
    again = sqlite3.connect(path)
    report(again, "file")
    print("integrity:", again.execute("PRAGMA integrity_check").fetchone())
    again.close()
finally:
    if os.path.exists(path):
        os.remove(path)
print("removed:", not os.path.exists(path))
