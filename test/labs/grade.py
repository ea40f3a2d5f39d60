#!/usr/bin/env python3
"""grade.py — grade a coursework lab (docs/labs/): points per test, then Score: x/y.

Each test listed in test/labs/<lab>/rubric.txt runs in a process of its own
(`lab_program "<test name>"`), so a solution that crashes or hangs loses that
test's points only. The student's files are also scanned for shortcuts
(setjmp/longjmp, ucontext, C++20 coroutines, Boost.Context, threads, ...):
a solution that uses one scores 0.

    grade.py --lab gogo --bin build/test/labs/lab_student --src FILES [--json out.json]
    grade.py --lab all ...            every lab, one after the other
    grade.py ... --expect full        exit 1 unless full marks (CI: the reference)
    grade.py ... --expect partial     exit 1 unless less than full marks (CI: skeletons)
    grade.py --selftest               check the shortcut scanner on itself

Exit status without --expect: 0 if the grading ran (whatever the score).
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
LABS = ["gogo", "mcall", "park", "coro", "chan", "steal"]

# Ways around writing the switch, the scheduler or the channel: each is
# matched as a word in the student's files, outside comments.
SHORTCUTS = {
    "setjmp/longjmp": r"_*(?:sig)?setjmp|_*(?:sig)?longjmp|__longjmp_chk|__builtin_setjmp|"
                      r"__builtin_longjmp|jmp_buf|sigjmp_buf",
    "ucontext": r"(?:get|set|swap|make)context|ucontext(?:_t)?",
    "Boost.Context / fcontext": r"boost|(?:jump|make|ontop)_fcontext|fcontext_t",
    "C++20 coroutines": r"co_await|co_yield|co_return|coroutine_handle|std::coroutine\w*|<coroutine>",
    "threads and blocking primitives": r"pthread_create|pthread_cond_\w+|condition_variable|"
                                       r"std::thread|jthread|sem_wait|futex_wait",
}


def strip_comments(text):
    """Removes // and /* */ comments (the files are C++ or cpp-processed asm),
    keeping string literals: inline asm in a string is code."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            out.append("\n" * text.count("\n", i, n if j < 0 else j))
            i = n if j < 0 else j + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def scan(paths):
    """[(path, line, what, word)] for every shortcut found."""
    found = []
    for path in paths:
        with open(path, errors="replace") as f:
            code = strip_comments(f.read())
        for what, pattern in SHORTCUTS.items():
            for m in re.finditer(r"(?<![\w])(?:%s)(?![\w])" % pattern, code):
                found.append((path, code.count("\n", 0, m.start()) + 1, what, m.group(0)))
    return found


def rubric(lab):
    """[(points, test name)] from test/labs/<lab>/rubric.txt."""
    items = []
    with open(os.path.join(HERE, lab, "rubric.txt")) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            pts, name = line.split(None, 1)
            if re.search(r'[,\[\]*"\\~]', name):
                sys.exit("%s/rubric.txt:%d: Catch2 cannot select a test named %r" % (lab, n, name))
            items.append((int(pts), name))
    return items


def listed(binary, lab):
    """The names of the tests tagged [lab-<lab>], or None if the program
    cannot even list them (the student's runtime does not start)."""
    try:
        r = subprocess.run([binary, "--list-test-names-only", "[lab-%s]" % lab],
                           capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return None
    if r.returncode < 0 or r.returncode >= 128 or "fatal error" in r.stderr:
        return None
    return [l.strip() for l in r.stdout.splitlines() if l.strip()]


def why(out):
    """The lines of Catch2's report that say what went wrong."""
    lines = out.splitlines()
    for i, l in enumerate(lines):
        if "FAILED:" in l or "due to unexpected exception" in l or "due to a fatal error" in l:
            body = [x for x in lines[i:i + 14] if x.strip() and not x.startswith("====")
                    and not x.startswith("----") and not x.startswith("....")]
            return body
    return [l for l in lines if l.strip()][-8:]


def runtest(binary, name, timeout):
    """(passed, status, details)"""
    env = dict(os.environ)
    for k in ("GORT_TEST_CHILD", "GODEBUG", "GORT_TRACE"):
        env.pop(k, None)
    try:
        p = subprocess.Popen([binary, name], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True, errors="replace", env=env, start_new_session=True)
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return False, "timeout", ["no result after %d s (a lost goroutine? a hang?)" % timeout]
    if p.returncode == 0 and "All tests passed" in out:
        return True, "pass", []
    if p.returncode < 0 or p.returncode >= 128:
        sig = -p.returncode if p.returncode < 0 else p.returncode - 128
        status = "crash"
        details = ["crashed: %s" % signal.Signals(sig).name if sig in signal.Signals._value2member_map_
                   else "crashed: signal %d" % sig]
        return False, status, details + why(out)
    if "FAILED" not in out and "fatal error" in out:
        return False, "crash", why(out)
    return False, "fail", why(out)


def grade(lab, binary, src, timeout, quiet):
    items = rubric(lab)
    result = {"lab": lab, "score": 0, "max": sum(p for p, _ in items), "tests": [],
              "shortcuts": [], "problems": []}
    have = listed(binary, lab)
    if have is None:
        print("  (the program cannot list its tests: the rubric is checked against it "
              "when the runtime starts)")
        have = [n for _, n in items]
    for _, name in items:
        if name not in have:
            result["problems"].append("rubric test not in the program: %s" % name)
    for name in have:
        if name not in [n for _, n in items]:
            result["problems"].append("test tagged [lab-%s] but not in the rubric: %s" % (lab, name))
    print("== lab %s (%s)" % (lab, os.path.basename(binary)))
    for pts, name in items:
        ok, status, details = runtest(binary, name, timeout)
        got = pts if ok else 0
        result["score"] += got
        result["tests"].append({"name": name, "points": got, "max": pts, "status": status,
                                "details": details})
        print("  %3d/%-3d %-4s  %s" % (got, pts, "ok" if ok else status.upper(), name))
        if not ok and not quiet:
            for d in details:
                print("            | " + d.rstrip())
    found = scan(src)
    for path, line, what, word in found:
        result["shortcuts"].append({"file": path, "line": line, "what": what, "word": word})
        print("  REJECTED  %s:%d uses %s (%s): write the mechanism itself" % (path, line, word, what))
    if found:
        result["score"] = 0
    for p in result["problems"]:
        print("  PROBLEM   " + p)
    print("Score: %d/%d" % (result["score"], result["max"]))
    return result


def selftest():
    bad = 0
    cases = [("#include <setjmp.h>\nstatic jmp_buf b;\nint f() { return setjmp(b); }\n", True),
             ("// gogo is longjmp, gosave is setjmp: in comments that is fine\nint x;\n", False),
             ("/* swapcontext(&a, &b); */ int y;\n", False),
             ('asm("call swapcontext");\n', True),
             ("\tcall\t__sigsetjmp\n", True),
             ("#include <coroutine>\n", True),
             ("std::condition_variable cv;\n", True),
             ("int mysetjmp_count; int coroutines;\n", False)]
    with tempfile.TemporaryDirectory() as d:
        for i, (text, want) in enumerate(cases):
            path = os.path.join(d, "case%d.cc" % i)
            with open(path, "w") as f:
                f.write(text)
            got = bool(scan([path]))
            if got != want:
                bad += 1
                print("selftest: case %d: %r: want %s, got %s" % (i, text, want, got))
    # The reference files (what every lab replaces) must pass the scan.
    top = os.path.dirname(os.path.dirname(HERE))
    refs = [os.path.join(top, p) for p in ("arch/amd64/asm_amd64.S", "runtime/proc.cc",
                                           "runtime/proc_runq.cc", "runtime/coro.cc",
                                           "runtime/chan.cc")]
    for path, line, what, word in scan(refs):
        bad += 1
        print("selftest: reference %s:%d has %s (%s)" % (path, line, word, what))
    print("selftest: %s" % ("ok" if not bad else "%d failures" % bad))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lab", choices=LABS + ["all"])
    ap.add_argument("--bin")
    ap.add_argument("--src", nargs="*", default=[])
    ap.add_argument("--json")
    ap.add_argument("--expect", choices=["full", "partial"])
    ap.add_argument("--timeout", type=int, default=int(os.environ.get("GRADE_TIMEOUT", "60")))
    ap.add_argument("--quiet", action="store_true", help="no failure details")
    ap.add_argument("--selftest", action="store_true")
    args = ap.parse_args()
    if args.selftest:
        return selftest()
    if not args.lab or not args.bin:
        ap.error("--lab and --bin are required")
    binary = os.path.abspath(args.bin)
    if not os.access(binary, os.X_OK):
        sys.exit("grade: no program %s (build it first: meson compile -C <builddir> grade)" % binary)
    results = [grade(l, binary, args.src, args.timeout, args.quiet)
               for l in (LABS if args.lab == "all" else [args.lab])]
    if len(results) > 1:
        print("Total: %d/%d" % (sum(r["score"] for r in results), sum(r["max"] for r in results)))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results[0] if len(results) == 1 else {"labs": results}, f, indent=1)
        print("wrote " + args.json)
    if any(r["problems"] for r in results):
        return 1
    if args.expect == "full" and any(r["score"] != r["max"] for r in results):
        print("expected full marks")
        return 1
    if args.expect == "partial" and any(r["score"] >= r["max"] for r in results):
        print("expected less than full marks: the skeleton must not pass every test")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
