#!/usr/bin/env python3
"""mutants.py — does the grader catch the usual wrong answers?

Each mutant is the reference with one classic mistake put in (forgetting BP,
a misaligned stack, losing runnext, swapping the CAS order, ...). For each,
this builds the lab's test program with the mutant as the student's file
(through grade_class.py's build directory, -Dlab=<lab>) and grades it. A
mutant is caught if it scores below full marks. Not part of `meson test`:
it takes a few minutes (a compile and a grading per mutant).

    test/labs/mutants.py [--builddir build-mutants] [--lab LAB] [--keep-going]

Exit status 1 if a mutant the table marks as catchable is not caught.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import grade_class  # noqa: E402

REF = {"asm_amd64.S": "arch/amd64/asm_amd64.S", "proc.cc": "runtime/proc.cc",
       "proc_runq.cc": "runtime/proc_runq.cc", "coro.cc": "runtime/coro.cc",
       "chan.cc": "runtime/chan.cc"}

# (lab, file, what, [(old, new)], expected to be caught)
MUTANTS = [
    ("gogo", "asm_amd64.S", "gogo forgets to restore BP",
     [("\tmovq\tgobuf_bp(%rbx), %rbp\t\t// restore BP\n", "")], True),
    ("gogo", "asm_amd64.S", "gogo calls buf->pc instead of jumping (stack misaligned by 8)",
     [("\tjmp\t*%rbx\t\t\t\t// resume g\n", "\tcall\t*%rbx\n")], True),
    ("gogo", "asm_amd64.S", "gogo does not set the TLS g",
     [("\tmovq\t%rdx, g(%rcx)\t\t\t// g = buf->g\n", "")], True),
    ("gogo", "asm_amd64.S", "gogo leaves ctxt out of DI",
     [("\tmovq\t%rdx, %rdi\t\t\t// gort: DI = ctxt too, the SysV first argument\n", "")], True),
    ("gogo", "asm_amd64.S", "gogo does not clear the gobuf",
     [("\tmovq\t$0, gobuf_sp(%rbx)\t\t// clear, as Go does (marks buf empty)\n", "")], True),
    ("gogo", "asm_amd64.S", "gosave saves SP with the return address still on it",
     [("\tleaq\t8(%rsp), %rbx\t\t\t// caller's SP (chapter: LEAQ buf+0(FP), BX)\n",
       "\tleaq\t0(%rsp), %rbx\n")], True),
    ("gogo", "asm_amd64.S", "gosave forgets BP",
     [("\tmovq\t%rbp, gobuf_bp(%rax)\n", "")], True),
    ("mcall", "asm_amd64.S", "mcall forgets to save BP",
     [("\tmovq\t%rbp, (g_sched+gobuf_bp)(%rax)\t// caller's BP (Go: MOVQ (BP), BX; see below)\n", "")],
     True),
    ("mcall", "asm_amd64.S", "mcall pushes one word before the call, as Go does (misaligned fn)",
     [("\tpushq\t%rax\t\t\t// arg spill slot (Go's too): g, for a debugger\n", "")], True),
    ("mcall", "asm_amd64.S", "mcall saves SP with the return address still on it",
     [("\tleaq\t8(%rsp), %rbx\t\t\t// caller's SP (above the return PC)\n", "\tleaq\t0(%rsp), %rbx\n")],
     True),
    ("mcall", "asm_amd64.S", "mcall does not check for g0",
     [("\tje\tbadm\n", "")], True),
    ("mcall", "asm_amd64.S", "mcall does not make g0 the TLS g",
     [("\tmovq\t%rsi, g(%rcx)\t\t\t// g = m->g0\n", "")], True),
    ("park", "proc_runq.cc", "runqput drops the old runnext",
     [("        if (oldnext.v == 0) return;\n", "        (void)oldnext;\n        return;\n")], True),
    ("park", "proc_runq.cc", "runqget: runnext does not inherit the time slice",
     [("        *inheritTime = true;\n        return next.ptr();\n",
       "        *inheritTime = false;\n        return next.ptr();\n")], True),
    ("park", "proc.cc", "park_m calls unlockf before the g is Gwaiting and dropped",
     [("    casgstatus(gp, Grunning, Gwaiting);\n    traceGoPark(gp);\n    dropg();\n", ""),
      ("            casgstatus(gp, Gwaiting, Grunnable);\n            execute(gp, true);",
       "            execute(gp, true);"),
      ("    schedule();\n}\n// [park_m]",
       "    casgstatus(gp, Grunning, Gwaiting);\n    dropg();\n    schedule();\n}\n// [park_m]")], True),
    ("park", "proc.cc", "park_m ignores unlockf's false",
     [("        if (!ok) {\n", "        if (false && !ok) {\n")], True),
    ("park", "proc.cc", "ready never uses runnext",
     [("    runqput(mp->p, gp, next);\n", "    runqput(mp->p, gp, false);\n")], True),
    ("park", "proc.cc", "gopark forgets the wait reason",
     [("    __atomic_store_n(&gp->waitreason, reason, __ATOMIC_RELAXED);  // schedtrace reads it on sysmon's M\n",
       "    (void)reason;\n")], True),
    ("coro", "coro.cc", "swapped CAS order: gp is published in c.gp before it is Gwaiting",
     [("        if (!casfast(gp, Grunning, Gwaiting)) {\n"
       "            // The CAS failed: casgstatus reports the bad status.\n"
       "            casgstatus(gp, Grunning, Gwaiting);\n        }\n", ""),
      ("    if (gnext == gp) throw_(\"coroswitch of a goroutine to itself\");\n",
       "    if (gnext == gp) throw_(\"coroswitch of a goroutine to itself\");\n"
       "    if (gp != nullptr && !casfast(gp, Grunning, Gwaiting)) casgstatus(gp, Grunning, Gwaiting);\n")],
     True),
    ("coro", "coro.cc", "coroswitch_m forgets mp->curg = gnext",
     [("    __atomic_store_n(&mp->curg, gnext, __ATOMIC_RELEASE);\n", "")], True),
    ("coro", "coro.cc", "coroswitch_m leaves gp.m set",
     [("        __atomic_store_n(&gp->m, nullptr, __ATOMIC_RELAXED);\n", "")], True),
    ("coro", "coro.cc", "coroswitch_m does not check for an exited coro",
     [("        if (next.ptr() == nullptr) throw_(\"coroswitch on exited coro\");\n", "")], True),
    ("coro", "coro.cc", "coroexit parks the goroutine instead of destroying it",
     [("    if (exit) {\n        gdestroy(gp);\n        gp = nullptr;\n    } else {",
       "    if (false) {\n    } else {")], True),
    ("coro", "coro.cc", "coroswitch_m forgets the wait reason",
     [("        __atomic_store_n(&gp->waitreason, waitReasonCoroutine, __ATOMIC_RELAXED);  // read by schedtrace\n",
       "")], True),
    ("chan", "chan.cc", "buffered send ignores a waiting receiver",
     [("    if (sudog* sg = c->recvq.dequeue()) {\n        // Found a waiting receiver.",
       "    if (sudog* sg = c->dataqsiz == 0 ? c->recvq.dequeue() : nullptr) {\n        // Found a waiting receiver.")],
     True),
    ("chan", "chan.cc", "recv from a full buffer takes the sender's value, not the head",
     [("    if (c->dataqsiz == 0) {\n        if (ep != nullptr) c->elemtype->move(ep, sg->elem);  // recvDirect",
       "    if (true) {\n        if (ep != nullptr) c->elemtype->move(ep, sg->elem);  // recvDirect")], True),
    ("chan", "chan.cc", "chanrecv ignores close",
     [("    if (c->closed != 0) {\n        if (c->qcount == 0) {", "    if (false) {\n        if (c->qcount == 0) {")],
     True),
    ("chan", "chan.cc", "send forgets sg->success",
     [("    gp->param = sg;\n    sg->success = true;\n    goready(gp);\n}\n\n/// Closes c",
       "    gp->param = sg;\n    goready(gp);\n}\n\n/// Closes c")], True),
    ("chan", "chan.cc", "chansend checks the buffer before waiting receivers",
     [("    if (sudog* sg = c->recvq.dequeue()) {\n        // Found a waiting receiver.",
       "    if (c->qcount < c->dataqsiz) {\n"
       "        c->elemtype->move(chanbuf(c, c->sendx), ep);\n"
       "        if (++c->sendx == c->dataqsiz) c->sendx = 0;\n"
       "        c->qcount++;\n        unlock(&c->lock);\n        return true;\n    }\n"
       "    if (sudog* sg = c->recvq.dequeue()) {\n        // Found a waiting receiver.")], True),
    ("steal", "proc_runq.cc", "runqgrab takes half rounded down",
     [("        n = n - n / 2;\n", "        n = n / 2;\n")], True),
    ("steal", "proc_runq.cc", "runqgrab commits with a plain store instead of a CAS",
     [("        if (__atomic_compare_exchange_n(&pp->runqhead, &h, h + n, false, __ATOMIC_RELEASE,\n"
       "                                        __ATOMIC_RELAXED))\n"
       "            return n;  // cas-release, commits consume\n",
       "        __atomic_store_n(&pp->runqhead, h + n, __ATOMIC_RELEASE);\n        return n;\n")], True),
    ("steal", "proc_runq.cc", "runqsteal returns the first g grabbed",
     [("    g* gp = pp->runq[(t + n) % std::size(pp->runq)].ptr();\n",
       "    g* gp = pp->runq[t % std::size(pp->runq)].ptr();\n")], True),
    ("steal", "proc_runq.cc", "runqgrab steals runnext even when not asked",
     [("            if (stealRunNextG) {\n", "            if (true) {\n")], True),
    ("steal", "proc_runq.cc", "runqsteal publishes one g too many",
     [("    __atomic_store_n(&pp->runqtail, t + n, __ATOMIC_RELEASE);  // makes the item available for consumption\n",
       "    __atomic_store_n(&pp->runqtail, t + n + 1, __ATOMIC_RELEASE);\n")], True),
]


def mutate(lab, fname, edits):
    """The lab's files: the reference, with edits applied to fname."""
    files = {}
    for f in grade_class.LAB_FILES[lab]:
        with open(os.path.join(TOP, REF[f])) as fh:
            files[f] = fh.read()
    text = files[fname]
    for old, new in edits:
        if text.count(old) != 1:
            raise SystemExit("mutants: %r matches %d times in %s" % (old[:60], text.count(old), fname))
        text = text.replace(old, new)
    files[fname] = text
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builddir", default="build-mutants")
    ap.add_argument("--lab")
    args = ap.parse_args()
    todo = [m for m in MUTANTS if not args.lab or m[0] == args.lab]
    for m in todo:  # all edits apply before anything is built
        mutate(m[0], m[1], m[3])
    results, lab = [], None
    for i, (mlab, fname, what, edits, catchable) in enumerate(todo):
        if mlab != lab:
            grade_class.prepare(args.builddir, mlab)
            lab = mlab
        r = grade_class.grade_files(args.builddir, mlab, mutate(mlab, fname, edits), "mutant%02d" % i)
        caught = r["score"] < r["max"]
        failed = [t["name"] for t in r.get("tests", []) if t["points"] < t["max"]]
        results.append((mlab, what, r["score"], r["max"], caught, catchable))
        print("%-5s %-4s %3d/%-3d %s%s" % (mlab, "CAUGHT" if caught else "missed", r["score"], r["max"],
                                         what, "" if catchable else "  (not expected)"), flush=True)
        if failed:
            print("             by: " + "; ".join(failed[:3]) + (" ..." if len(failed) > 3 else ""))
    n = sum(1 for r in results if r[4])
    bad = [r for r in results if r[5] and not r[4]]
    print("mutants: %d of %d caught; %d expected to be caught and missed" % (n, len(results), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
