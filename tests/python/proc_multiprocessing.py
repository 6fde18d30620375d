"""multiprocessing with the fork start method: Pool(2).map and starmap, a Queue between two
processes, a Pipe, a shared Value and Array with a Lock, a Process's exitcode (also for one
killed by a signal), and Event synchronisation."""

import multiprocessing as mp
import os
import signal


def square(x):
    return x * x


def add(a, b):
    return a + b


def producer(q, n):
    for i in range(n):
        q.put(("item", i))
    q.put(None)


def pipe_child(conn):
    msg = conn.recv()
    conn.send(msg[::-1])
    conn.close()


def bump(counter, arr, lock, n):
    for _ in range(n):
        with lock:
            counter.value += 1
    for i in range(len(arr)):
        arr[i] = arr[i] * 2


def waiter(ev_go, ev_done):
    ev_go.wait()
    ev_done.set()


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def exit_with(code):
    raise SystemExit(code)


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    with ctx.Pool(2) as pool:
        print("Pool.map:", pool.map(square, range(10)))
        print("Pool.starmap:", pool.starmap(add, [(1, 2), (3, 4), (5, 6)]))
        print("apply_async:", pool.apply_async(square, (12,)).get(timeout=60))

    q = ctx.Queue()
    p = ctx.Process(target=producer, args=(q, 100))
    p.start()
    items = []
    while (item := q.get(timeout=60)) is not None:
        items.append(item[1])
    p.join()
    print("Queue:", len(items), sum(items), items == sorted(items), "exitcode", p.exitcode)

    a, b = ctx.Pipe()
    p = ctx.Process(target=pipe_child, args=(b,))
    p.start()
    a.send("stressed")
    print("Pipe:", a.recv())
    p.join()

    counter = ctx.Value("i", 0)
    arr = ctx.Array("i", [1, 2, 3])
    lock = ctx.Lock()
    procs = [ctx.Process(target=bump, args=(counter, arr, lock, 500)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print("Value:", counter.value, "Array:", list(arr))

    go, done = ctx.Event(), ctx.Event()
    p = ctx.Process(target=waiter, args=(go, done))
    p.start()
    print("Event before:", done.is_set())
    go.set()
    print("Event after:", done.wait(timeout=60))
    p.join()

    p = ctx.Process(target=die)
    p.start()
    p.join()
    print("killed Process exitcode:", p.exitcode)
    p = ctx.Process(target=exit_with, args=(9,))
    p.start()
    p.join()
    print("SystemExit(9) exitcode:", p.exitcode)
