#!/usr/bin/env python3
"""Runs a gort program with GORT_TRACE on 2 Ps and checks its execution trace.

Usage: check_trace.py PROGRAM [ARGS...]
The trace (Chrome trace-event JSON, runtime/trace.cc) must parse; name the
process and every track; have, on every track, timestamps that never go
back and B/E slices that pair up (an E closes the open slice of the same
goroutine, nothing stays open); show every goroutine it saw created running
at least once; and contain each kind of event the program makes happen:
two Ps started and running goroutines, a syscall slice, and slices that stopped for each of the
reasons below. Each failure says what it found. Exits 0 if all hold.
"""
import json
import os
import subprocess
import sys
import tempfile

# Why slices must have stopped, given what examples/trace.cc does.
STOPS = ["Gosched", "exit", "syscall", "coroutine", "semacquire"]


def fail(msg):
    print(f"check_trace: {msg}")
    sys.exit(1)


def check_track(tid, evs):
    """Monotonic timestamps and balanced B/E on one track."""
    last, open_ = None, None
    for e in evs:
        if last is not None and e["ts"] < last:
            fail(f"track {tid}: ts goes back from {last} to {e['ts']} at {e}")
        last = e["ts"]
        if e["ph"] == "B":
            if open_ is not None:
                fail(f"track {tid}: B {e['name']} at {e['ts']} while {open_['name']} "
                     f"(from {open_['ts']}) is still open: a stop hook is missing")
            open_ = e
        elif e["ph"] == "E":
            if open_ is None or open_["name"] != e["name"]:
                fail(f"track {tid}: E {e['name']} at {e['ts']} closes "
                     f"{open_['name'] if open_ else 'nothing'}")
            if "stop" not in e.get("args", {}):
                fail(f"track {tid}: E {e['name']} at {e['ts']} does not say why it stopped")
            open_ = None
    if open_ is not None:
        fail(f"track {tid}: {open_['name']} from {open_['ts']} never ends")


def check(trace):
    evs = trace.get("traceEvents")
    if not isinstance(evs, list) or not evs:
        fail("no traceEvents list")
    meta = [e for e in evs if e["ph"] == "M"]
    if not any(e["name"] == "process_name" for e in meta):
        fail("no process_name metadata event")
    named = {e["tid"] for e in meta if e["name"] == "thread_name"}
    tracks = {}
    for e in evs:
        if e["ph"] != "M":
            tracks.setdefault(e["tid"], []).append(e)
    for tid, tevs in tracks.items():
        if tid not in named:
            fail(f"track {tid} has no thread_name")
        check_track(tid, tevs)
    created = {e["args"]["goid"] for e in evs if e["name"] == "GoCreate"}
    ran = {e["args"]["goid"] for e in evs if e["ph"] == "B"}
    if len(created) < 10:
        fail(f"only {len(created)} goroutines created, want 10 or more")
    if created - ran:
        fail(f"goroutines created but never seen running: {sorted(created - ran)}")
    procs = {e["tid"] for e in evs if e["name"] == "ProcStart"}
    if len(procs) < 2:
        fail(f"ProcStart on {len(procs)} P(s), want 2")
    busy = {e["tid"] for e in evs if e["ph"] == "B"}
    if len(busy) < 2:
        fail(f"goroutines ran on {len(busy)} P track(s), want 2 (the rendezvous needs both)")
    if not any(e["ph"] == "X" and e.get("cat") == "syscall" for e in evs):
        fail("no syscall slice")
    stops = {e["args"]["stop"] for e in evs if e["ph"] == "E"}
    for s in STOPS:
        if s not in stops:
            fail(f"no slice stopped with {s!r} (saw {sorted(stops)})")
    print(f"check_trace: ok: {len(evs)} events, {len(tracks)} tracks, "
          f"{len(created)} goroutines, stops {sorted(stops)}")


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "trace.json")
        env = dict(os.environ, GORT_TRACE=path, GOMAXPROCS="2")
        run = subprocess.run(sys.argv[1:], env=env, timeout=120)
        if run.returncode != 0:
            fail(f"{sys.argv[1]} exited {run.returncode}")
        try:
            with open(path) as f:
                trace = json.load(f)
        except (OSError, ValueError) as e:
            fail(f"trace does not parse: {e}")
        check(trace)
    return 0


if __name__ == "__main__":
    sys.exit(main())
