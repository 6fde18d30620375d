"""Prints, then raises an exception nobody catches: Python prints a traceback to stderr and
exits with status 1."""


def inner(value):
    return {"a": 1}[value]


print("before the exception")
try:
    inner("b")
except KeyError as err:
    print("caught:", repr(err))
print("raising for real")
inner("c")
print("not reached")
