"""os.fork and the os.wait family: exit codes through os.waitpid and os.WEXITSTATUS,
os.WIFSIGNALED/os.WTERMSIG for a child killed by a signal, os.waitstatus_to_exitcode,
os.WNOHANG on a running child, a pipe between parent and child, os.kill with a signal handler
in the child, and os.getppid in the child."""

import os
import signal
import sys

codes = []
for code in (0, 1, 7, 255):
    pid = os.fork()
    if pid == 0:
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    codes.append((os.WIFEXITED(status), os.WEXITSTATUS(status)))
print("exit codes:", codes)

pid = os.fork()
if pid == 0:
    os.kill(os.getpid(), signal.SIGTERM)
    os._exit(50)
_, status = os.waitpid(pid, 0)
print("signalled:", os.WIFSIGNALED(status), os.WTERMSIG(status) == signal.SIGTERM,
      os.waitstatus_to_exitcode(status))

r, w = os.pipe()
parent = os.getpid()
pid = os.fork()
if pid == 0:
    os.close(r)
    os.write(w, b"ppid ok" if os.getppid() == parent else b"ppid wrong")
    os._exit(0)
os.close(w)
print("child says:", os.read(r, 100).decode())
os.close(r)
os.waitpid(pid, 0)

# os.kill and a handler: the child waits for SIGUSR1, reports it through its exit code.
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.close(r)
    got = []
    signal.signal(signal.SIGUSR1, lambda signum, frame: got.append(signum))
    os.write(w, b"r")
    while not got:
        signal.pause()
    os._exit(42 if got == [signal.SIGUSR1] else 1)
os.close(w)
os.read(r, 1)  # the handler is installed
print("WNOHANG while running:", os.waitpid(pid, os.WNOHANG))
os.kill(pid, signal.SIGUSR1)
_, status = os.waitpid(pid, 0)
print("handler child exit:", os.waitstatus_to_exitcode(status))

# The parent's own handler, signalled by its child.
got = []
signal.signal(signal.SIGUSR2, lambda signum, frame: got.append(signum))
pid = os.fork()
if pid == 0:
    os.kill(parent, signal.SIGUSR2)
    os._exit(0)
os.waitpid(pid, 0)
while not got:
    signal.pause()
print("parent handler ran:", got == [signal.SIGUSR2])

try:
    os.waitpid(-1, 0)
except ChildProcessError as e:
    print("no children:", e.errno == 10)
sys.stdout.flush()
