"""threading: 4 worker threads fed by a queue.Queue, a lock-protected counter, an Event."""

import hashlib
import queue
import threading

WORKERS = 4
JOBS = 200

jobs = queue.Queue()
results = queue.Queue()
lock = threading.Lock()
counter = {"done": 0}
start = threading.Event()


def worker(index):
    start.wait()
    while True:
        job = jobs.get()
        if job is None:
            jobs.task_done()
            return
        digest = hashlib.sha256(str(job).encode()).hexdigest()[:12]
        results.put((job, job * job, digest))
        with lock:
            counter["done"] += 1
        jobs.task_done()


threads = [threading.Thread(target=worker, args=(i,), name=f"worker-{i}") for i in range(WORKERS)]
for t in threads:
    t.start()
for job in range(JOBS):
    jobs.put(job)
for _ in threads:
    jobs.put(None)
start.set()
jobs.join()
for t in threads:
    t.join(timeout=60)

print("alive after join:", [t.is_alive() for t in threads])
print("done:", counter["done"])
collected = sorted(results.get_nowait() for _ in range(results.qsize()))
print("results:", len(collected))
print("sum of squares:", sum(r[1] for r in collected))
for row in collected[:5] + collected[-3:]:
    print(row)
print("main thread:", threading.current_thread().name, "active:", threading.active_count())
