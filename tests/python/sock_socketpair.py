"""AF_UNIX socket pairs from Python: socket.socketpair() between a forked child and its
parent (sendall/recv with a length prefix, shutdown(SHUT_WR) then EOF, SO_PEERCRED), a
SOCK_DGRAM pair keeping boundaries, descriptor passing with socket.send_fds/recv_fds, a
non-blocking socket's BlockingIOError, selectors waiting across processes, and a duplex
multiprocessing.Pipe (a socket pair underneath) between processes."""

import array
import multiprocessing as mp
import os
import selectors
import socket
import struct


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def stream_between_processes():
    parent, child = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        parent.close()
        size = struct.unpack("!I", recv_exact(child, 4))[0]
        body = recv_exact(child, size)
        reply = body.upper() * 3
        child.sendall(struct.pack("!I", len(reply)) + reply)
        child.shutdown(socket.SHUT_WR)
        os._exit(0 if child.recv(10) == b"bye" else 1)
    child.close()
    msg = b"hello from the parent " * 5000
    parent.sendall(struct.pack("!I", len(msg)) + msg)
    size = struct.unpack("!I", recv_exact(parent, 4))[0]
    reply = recv_exact(parent, size)
    print("stream reply:", size, reply[:22], reply == msg.upper() * 3)
    print("then EOF:", parent.recv(10) == b"")
    creds = parent.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    peer_pid, peer_uid, _ = struct.unpack("3i", creds)
    print("SO_PEERCRED: pid is mine", peer_pid == os.getpid(), "uid is mine", peer_uid == os.getuid())
    parent.sendall(b"bye")
    _, status = os.waitpid(pid, 0)
    print("child exit:", os.waitstatus_to_exitcode(status))
    parent.close()


def datagrams_and_fds():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    for m in (b"one", b"two-two", b"3"):
        a.send(m)
    print("dgram:", [b.recv(100) for _ in range(3)])
    b.setblocking(False)
    try:
        b.recv(10)
    except BlockingIOError as e:
        print("non-blocking recv:", type(e).__name__, e.errno)
    r, w = os.pipe()
    os.write(w, b"through a passed pipe")
    os.close(w)
    socket.send_fds(a, [b"fd"], [r])
    b.setblocking(True)
    msg, fds, flags, _ = socket.recv_fds(b, 10, 4)
    print("recv_fds:", msg, len(fds), os.read(fds[0], 100))
    for fd in fds:
        os.close(fd)
    os.close(r)
    print("type:", a.type == socket.SOCK_DGRAM, a.family == socket.AF_UNIX)
    a.close()
    b.close()


def selector_across_processes():
    a, b = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        a.close()
        b.send(b"ready")
        b.close()
        os._exit(0)
    b.close()
    sel = selectors.DefaultSelector()
    sel.register(a, selectors.EVENT_READ)
    events = sel.select(timeout=10)
    print("selector ready:", len(events), a.recv(10))
    os.waitpid(pid, 0)
    print("after the child's close:", a.recv(10))
    sel.close()
    a.close()


def echo(conn):
    while True:
        msg = conn.recv()
        if msg is None:
            break
        conn.send(("echo", msg))
    conn.close()


def duplex_pipe():
    ctx = mp.get_context("fork")
    here, there = ctx.Pipe(duplex=True)
    proc = ctx.Process(target=echo, args=(there,))
    proc.start()
    there.close()
    replies = []
    for item in ([1, 2, 3], {"k": "v"}, "x" * 100000):
        here.send(item)
        kind, back = here.recv()
        replies.append(back == item)
    here.send(None)
    proc.join()
    print("duplex Pipe:", replies, proc.exitcode)


stream_between_processes()
datagrams_and_fds()
selector_across_processes()
duplex_pipe()
