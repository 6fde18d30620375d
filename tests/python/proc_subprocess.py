"""subprocess: run with capture_output (stdout, stderr, returncode), check_output of
`busybox echo`, input piped to a child, CalledProcessError for a failing child, a child killed
by a signal (negative returncode), Popen with stdin/stdout pipes and communicate(), a
pipeline of two Popens (the first's stdout into the second's stdin), and a timeout that
kills the child."""

import signal
import subprocess
import sys

BB = "/bin/busybox"

r = subprocess.run([BB, "sh", "-c", "echo out; echo err >&2; exit 3"], capture_output=True)
print("run:", r.returncode, r.stdout, r.stderr)

print("check_output:", subprocess.check_output([BB, "echo", "hello", "world"]))

r = subprocess.run([BB, "tr", "a-z", "A-Z"], input=b"piped input\n", stdout=subprocess.PIPE)
print("input:", r.stdout)

try:
    subprocess.check_call([BB, "false"])
except subprocess.CalledProcessError as e:
    print("CalledProcessError:", e.returncode)

r = subprocess.run([BB, "sh", "-c", "kill -TERM $$"])
print("killed child returncode:", r.returncode, r.returncode == -signal.SIGTERM)

p = subprocess.Popen([BB, "sort"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
out, err = p.communicate(b"pear\napple\nfig\n")
print("communicate:", out.split(), err, p.returncode)

p = subprocess.Popen([BB, "sh", "-c", "while read l; do echo \"got $l\"; done"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
p.stdin.write("one\n")
p.stdin.flush()
print("line by line:", p.stdout.readline().strip())
p.stdin.write("two\n")
p.stdin.close()
print("rest:", p.stdout.read().strip(), "status", p.wait())

p1 = subprocess.Popen([BB, "seq", "1", "1000"], stdout=subprocess.PIPE)
p2 = subprocess.Popen([BB, "wc", "-l"], stdin=p1.stdout, stdout=subprocess.PIPE)
p1.stdout.close()
out = p2.communicate()[0]
print("pipeline:", out.strip(), p1.wait(), p2.returncode)

big = subprocess.run([sys.executable, "-c", "import sys; sys.stdout.write('x' * 1000000)"],
                     capture_output=True)
print("1 MB from a python child:", len(big.stdout), big.returncode)

try:
    subprocess.run([BB, "sleep", "30"], timeout=0.5)
except subprocess.TimeoutExpired as e:
    print("TimeoutExpired:", e.timeout == 0.5, e.cmd[1:])

p = subprocess.Popen([BB, "sleep", "30"])
try:
    p.wait(timeout=0.2)
except subprocess.TimeoutExpired:
    p.kill()
    print("killed after wait timeout:", p.wait() == -signal.SIGKILL)
