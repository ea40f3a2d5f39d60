# stepswitch.py — stepi through runtime.mcall, runtime.gogo and
# runtime.systemstack, one instruction at a time, with the backtrace after
# each, and check that every backtrace is the one the switch implies.
#
#   gdb -nx -batch -x examples/stepswitch.py build/examples/goroutines
#
# (examples/goroutines.cc parks goroutines in every way gort has, so each kind
# of switch happens early in its run.) What it walks:
#   mcall        once per continuation: park_m, gosched_m, coroswitch_m, goexit0
#   gogo         into a goroutine that parked (its gobuf is mcall's) and into a
#                new one (its gobuf is newproc1's: PC = the function's entry)
#   systemstack  from a goroutine (g → g0 → g), stepping over the call of fn
#
# What "sensible frames" means here, instruction by instruction:
#   mcall:  until SP is loaded, the caller's frames on g's stack, down to
#           runtime.goexit; from then on the frames on g0's stack that fn will
#           see: mcall ← runtime::mstart0 ← runtime::mstart (or rt0_go).
#   gogo:   until SP is loaded, the frames on g0 that called it; from then on
#           the frames of the goroutine it resumes, exactly as they are one
#           instruction later, when it runs.
#   systemstack: its caller's frames, on both stacks (its frame pointer stays
#           in g's stack while fn runs on g0).
# All of it rests on the CFI in arch/amd64/asm_amd64.S (CFI_REG_AT), which
# describes, between the SP load and the jump, where the next frame's PC and
# BP are. Every frame must have a name, unwinding must end at a top frame
# (runtime.goexit, runtime::mstart or runtime::rt0_go: Go's TOPFRAMEs) and no
# unwind error may occur. CI runs this file and checks its output
# (examples/meson.build); each walk prints "ok" or "BAD".
import re

import gdb

TOPFRAMES = ("runtime.goexit", "runtime::mstart", "runtime::rt0_go")
MCALL_FNS = ("runtime::park_m", "runtime::gosched_m", "runtime::coroswitch_m", "runtime::goexit0")
bad = 0


def short(name):
    """A frame name without template arguments and parameter lists."""
    if name is None:
        return "??"
    while True:
        s = re.sub(r"<[^<>]*>", "", name)
        if s == name:
            break
        name = s
    return re.sub(r"\(.*\)", "", name).replace("{lambda#", "{lambda")


def chain():
    """[(name, pc)] from frame 0 outwards, or a string describing what broke."""
    out, f = [], gdb.newest_frame()
    while f is not None:
        out.append((f.name(), f.pc()))
        if len(out) > 64:
            return "more than 64 frames"
        try:
            f = f.older()
        except gdb.error as e:
            return "unwind error: %s" % e
    return out


def _last_frame():
    f = gdb.newest_frame()
    while f.older() is not None:
        f = f.older()
    return f


def problems(frames):
    """Why a chain is not sensible, or None."""
    if isinstance(frames, str):
        return frames
    for name, pc in frames:
        if name is None:
            return "frame without a name at %#x" % pc
    last = _last_frame()
    if last.unwind_stop_reason() not in (gdb.FRAME_UNWIND_NO_REASON, gdb.FRAME_UNWIND_OUTERMOST):
        return "unwinding stopped: " + gdb.frame_stop_reason_string(last.unwind_stop_reason())
    if frames[-1][0] not in TOPFRAMES:
        return "outermost frame %s is not a top frame" % frames[-1][0]
    return None


def show(frames):
    names = [short(n) for n, _ in frames]
    if len(names) > 5:
        names = names[:3] + ["…(%d)" % (len(names) - 4), names[-1]]
    return " ← ".join(names)


def check(sym, frames, want):
    """Why frames (at one instruction of sym) are not sensible, or None."""
    why = problems(frames)
    if why is None and frames[0][0] != sym:
        why = "frame 0 is %s" % frames[0][0]
    elif why is None and want is not None and not same_callers(frames[1:], want):
        why = "expected callers %s" % show(want)
    return why


def same_callers(got, want):
    """Equal names and PCs; gogo reports a new goroutine's entry as PC+1."""
    if len(got) != len(want) or [n for n, _ in got] != [n for n, _ in want]:
        return False
    return got[1:] == want[1:] and got[0][1] - want[0][1] in (0, 1)


def walk(sym, callers, over_calls=False):
    """stepi from the breakpoint in sym until frame 0 is no longer sym,
    printing each instruction with its backtrace and checking the frames
    above sym against callers(offset, chain at exit) — known only at the
    end, so the check is made then. Returns the chain after the walk."""
    global bad
    start = int(gdb.parse_and_eval("(long)&'%s'" % sym))
    steps = []
    while gdb.newest_frame().name() == sym:
        pc = int(gdb.parse_and_eval("$pc"))
        insn = gdb.execute("x/i $pc", to_string=True).split(":", 1)[1].strip()
        insn = re.sub(r"\s+", " ", insn)
        frames = chain()
        steps.append((pc - start, insn, frames))
        print("    %s+%-3d %-34s %s" % (sym, pc - start, insn[:34],
                                       frames if isinstance(frames, str) else show(frames)))
        step = "nexti" if over_calls and insn.startswith("call") else "stepi"
        gdb.execute(step, to_string=True)
    after = chain()
    cut = switch_offset(steps)
    failures = 0
    for off, _, frames in steps:
        why = check(sym, frames, callers(off, cut, after))
        if why:
            print("  BAD at %s+%d: %s" % (sym, off, why))
            failures += 1
    bad += failures != 0
    print("  %s: %d instructions, %s" % (sym, len(steps), "ok" if failures == 0 else "BAD"))
    return after


def switch_offset(steps):
    """The offset just after the first instruction that loads a new SP
    (None for systemstack, whose frames do not change)."""
    for i, (off, insn, _) in enumerate(steps):
        if insn.startswith("mov ") and insn.endswith(",%rsp"):
            return steps[i + 1][0] if i + 1 < len(steps) else off + 1
    return None


def walk_mcall(fn):
    entry = chain()
    print("\n== mcall(%s) from %s" % (fn, show(entry)))
    # In fn the frames are fn ← mcall ← mstart0 …: after the switch, mcall's
    # callers are already mstart0 ….
    after = walk("runtime.mcall", lambda off, cut, after: entry[1:] if off < cut else after[2:])
    print("  (then fn runs on g0: %s)" % show(after))


def walk_gogo(kind):
    entry = chain()
    print("\n== gogo into %s goroutine, from %s" % (kind, show(entry)))
    # After the switch, gogo's callers are the frames the goroutine has one
    # instruction after the jump.
    after = walk("runtime.gogo", lambda off, cut, after: entry[1:] if off < cut else after)
    print("  (then it runs: %s)" % show(after))


def walk_systemstack():
    entry = chain()
    print("\n== systemstack from %s (stepping over the call of fn)" % show(entry))
    walk("runtime.systemstack", lambda off, cut, after: entry[1:], over_calls=True)


def main():
    gdb.execute("set pagination off")
    gdb.execute("set confirm off")
    gdb.execute("set environment GOMAXPROCS 1")
    gdb.execute("set startup-with-shell off")
    for sym in ("runtime.mcall", "runtime.gogo", "runtime.systemstack"):
        gdb.Breakpoint("'%s'" % sym).silent = True
    gdb.execute("run", to_string=True)
    todo = {"mcall": set(MCALL_FNS), "gogo": {"a new", "a parked"}, "systemstack": {"g"}}
    for _ in range(10000):
        if not any(todo.values()):
            break
        sym = gdb.newest_frame().name()
        frames = chain()
        on_g0 = isinstance(frames, str) or frames[-1][0] != "runtime.goexit"
        if sym == "runtime.mcall":
            fn = gdb.block_for_pc(int(gdb.parse_and_eval("$rdi"))).function
            fn = short(fn.print_name) if fn else "??"
            if fn in todo["mcall"]:
                todo["mcall"].discard(fn)
                walk_mcall(fn)
        elif sym == "runtime.gogo":
            buf = gdb.parse_and_eval("$rdi").cast(gdb.lookup_type("runtime::gobuf").pointer())
            pc = int(buf["pc"])
            blk = gdb.block_for_pc(pc)
            kind = "a new" if blk and blk.function and int(blk.function.value().address) == pc else "a parked"
            if kind in todo["gogo"]:
                todo["gogo"].discard(kind)
                walk_gogo(kind)
        elif sym == "runtime.systemstack" and not on_g0 and todo["systemstack"]:
            todo["systemstack"].clear()
            walk_systemstack()
        if any(todo.values()):
            gdb.execute("continue", to_string=True)
    for what, left in todo.items():
        for x in sorted(left):
            print("BAD: no %s walked (%s)" % (what, x))
    gdb.execute("kill")
    print("\nstepswitch: %s" % ("all frames sensible" if bad == 0 and not any(todo.values()) else "BAD"))


main()
