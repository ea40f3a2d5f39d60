#!/usr/bin/env python3
"""Runs a gdb script in batch mode against an example and checks its output.

Usage: gdb_check.py GDB PROGRAM SCRIPT EXPECT...
Each EXPECT is a substring that must appear in gdb's output, in order.
Exits 0 if all appear in order, 1 otherwise (printing the output).
"""
import subprocess
import sys


def main():
    gdb, prog, script, *expect = sys.argv[1:]
    run = subprocess.run(
        [gdb, "-nx", "-batch", "-x", script, prog],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    out = run.stdout
    pos = 0
    for e in expect:
        i = out.find(e, pos)
        if i < 0:
            print(out)
            print(f"gdb_check: expected (in order) {e!r}, not found after offset {pos}")
            return 1
        pos = i + len(e)
    print(out)
    print(f"gdb_check: all {len(expect)} expectations met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
