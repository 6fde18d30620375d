"""Prints, then exits with status 3 through sys.exit."""

import sys

print("about to exit with 3")
sys.stdout.flush()
sys.exit(3)
