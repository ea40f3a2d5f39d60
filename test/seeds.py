#!/usr/bin/env python3
"""Runs the test suites under many random schedules (GODEBUG=schedrandom).

Usage: seeds.py GORT_TESTS
Each run sets GODEBUG=schedrandom=SEED (runtime/proc_runq.cc: a readied
goroutine skips runnext at random, batches to the global queue are shuffled,
steal and select orders come from the seed) and GOMAXPROCS=1 or 2, and runs
the channel, coroutine, lock and scheduler tests that do not depend on Go's
exact order. The seeds are BASE+1 .. BASE+N: N from GORT_SEEDS (default 4),
BASE from GORT_SEED_BASE (default: random, printed first). A failure prints
the seed and the command that replays it, and the script exits 1.
"""
import os
import random
import subprocess
import sys

# The [order] tests check Go's exact order on one P, and the [random] ones set
# their own seeds; fatal tests and the 100,000-goroutine test are left out for
# time (their children would inherit the seed too).
TAGS = "[proc]~[order]~[fatal]~[many]~[random],[chan]~[fatal],[iter]~[fatal],[lock]~[fatal]"


def main():
    prog = sys.argv[1]
    n = int(os.environ.get("GORT_SEEDS", "4"))
    base = int(os.environ.get("GORT_SEED_BASE", str(random.randrange(1, 1 << 30))))
    print(f"seeds: {n} seeds from {base + 1}, GOMAXPROCS=1 and 2 (GORT_SEED_BASE={base})")
    failed = 0
    for seed in range(base + 1, base + n + 1):
        for procs in ("1", "2"):
            env = dict(os.environ, GODEBUG=f"schedrandom={seed}", GOMAXPROCS=procs)
            run = subprocess.run([prog, TAGS], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, timeout=600)
            if run.returncode != 0:
                failed += 1
                print(run.stdout)
                print(f"seeds: FAILED with GODEBUG=schedrandom={seed} GOMAXPROCS={procs}; replay:\n"
                      f"  GODEBUG=schedrandom={seed} GOMAXPROCS={procs} {prog} '{TAGS}'")
            else:
                print(f"seeds: schedrandom={seed} GOMAXPROCS={procs}: ok")
    print(f"seeds: {2 * n - failed} of {2 * n} runs passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
