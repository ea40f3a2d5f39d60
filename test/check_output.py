#!/usr/bin/env python3
"""Runs a command and checks that its output contains the expected lines.

Usage: check_output.py COMMAND... -- EXPECT...
Each EXPECT is a substring that must appear in the command's combined
stdout+stderr, in the given order; an EXPECT that starts with '!' is one that
must appear nowhere (e.g. '!Python Exception' for a gdb script). Exits 0 if
all appear in order, none of the '!' ones appears, and the command exited 0;
otherwise prints the output and exits 1.
Used for the examples and for gdb scripts run in batch mode.
"""
import subprocess
import sys


def main():
    args = sys.argv[1:]
    if "--" not in args:
        print("usage: check_output.py COMMAND... -- EXPECT...")
        return 2
    cut = args.index("--")
    cmd, expect = args[:cut], args[cut + 1:]
    run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=300)
    out = run.stdout
    print(out)
    if run.returncode != 0:
        print(f"check_output: {cmd[0]} exited {run.returncode}")
        return 1
    for e in expect:
        if e.startswith("!") and e[1:] in out:
            print(f"check_output: {e[1:]!r} must not appear, but does")
            return 1
    expect = [e for e in expect if not e.startswith("!")]
    pos = 0
    for e in expect:
        i = out.find(e, pos)
        if i < 0:
            print(f"check_output: expected (in order) {e!r}, not found after offset {pos}")
            return 1
        pos = i + len(e)
    print(f"check_output: all {len(expect)} expectations met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
