# runtime-gdb.py — gdb support for gort: list goroutines, run a gdb command on
# a parked goroutine's stack, pretty-print the runtime's structures.
#
# Go counterpart: src/runtime/runtime-gdb.py
# https://github.com/golang/go/blob/go1.22.0/src/runtime/runtime-gdb.py
#
# Loaded by gdb when it finds the .debug_gdb_scripts section that
# rt0_linux_amd64.cc puts into every gort program (Go's linker writes the same
# section), if gdb's auto-load safe-path allows it; or by hand:
#   (gdb) source runtime/runtime-gdb.py
# README.md, "Debugging with gdb", shows a session.
#
# Same layout as Go's file: G states read from the binary, value wrappers,
# pretty printers, convenience functions, commands. What Go's file has and
# this one does not, because C++ has no such thing or gdb already does it:
# the string, slice and map printers (libstdc++'s printers show std::string,
# std::vector and std::map), interface printers and `iface`, `$dtype`.

"""GDB pretty printers, convenience functions and commands for gort's runtime.

Commands: `info goroutines`, `goroutine <goid>|all <gdbcmd>`.
Functions: $goid(), $gp([goid]), $len(chan), $cap(chan).
Pretty printers: runtime::g, gobuf, m, p, hchan, coro.
"""

from __future__ import print_function

import re
import sys

import gdb
import gdb.printing

print("Loading gort runtime support.", file=sys.stderr)

# The objfile whose section named this script, or none when it was sourced by
# hand; printers registered on None apply everywhere.
goobjfile = gdb.current_objfile()


# G and P states (runtime2.h). Read from the program, as Go's script does, so
# that the script follows the enum; the defaults are Go's numbers.

def read_runtime_const(varname, default):
    try:
        return int(gdb.parse_and_eval(varname))
    except Exception:
        return int(default)


G_IDLE = read_runtime_const("runtime::Gidle", 0)
G_RUNNABLE = read_runtime_const("runtime::Grunnable", 1)
G_RUNNING = read_runtime_const("runtime::Grunning", 2)
G_SYSCALL = read_runtime_const("runtime::Gsyscall", 3)
G_WAITING = read_runtime_const("runtime::Gwaiting", 4)
G_MORIBUND_UNUSED = read_runtime_const("runtime::Gmoribund_unused", 5)
G_DEAD = read_runtime_const("runtime::Gdead", 6)
G_ENQUEUE_UNUSED = read_runtime_const("runtime::Genqueue_unused", 7)
G_COPYSTACK = read_runtime_const("runtime::Gcopystack", 8)
G_PREEMPTED = read_runtime_const("runtime::Gpreempted", 9)
G_SCAN = read_runtime_const("runtime::Gscan", 0x1000)
G_SCANRUNNABLE = G_SCAN + G_RUNNABLE
G_SCANRUNNING = G_SCAN + G_RUNNING
G_SCANSYSCALL = G_SCAN + G_SYSCALL
G_SCANWAITING = G_SCAN + G_WAITING

sts = {
    G_IDLE: 'idle',
    G_RUNNABLE: 'runnable',
    G_RUNNING: 'running',
    G_SYSCALL: 'syscall',
    G_WAITING: 'waiting',
    G_MORIBUND_UNUSED: 'moribund',
    G_DEAD: 'dead',
    G_ENQUEUE_UNUSED: 'enqueue',
    G_COPYSTACK: 'copystack',
    G_PREEMPTED: 'preempted',
    G_SCAN: 'scan',
    G_SCANRUNNABLE: 'runnable+s',
    G_SCANRUNNING: 'running+s',
    G_SCANSYSCALL: 'syscall+s',
    G_SCANWAITING: 'waiting+s',
}

P_STATES = {
    read_runtime_const("runtime::Pidle", 0): 'idle',
    read_runtime_const("runtime::Prunning", 1): 'running',
    read_runtime_const("runtime::Psyscall", 2): 'syscall',
    read_runtime_const("runtime::Pgcstop", 3): 'gcstop',
    read_runtime_const("runtime::Pdead", 4): 'dead',
}

# The inline-asm shims through which C++ enters runtime.mcall and
# runtime.gosave (stubs.h). They are inlined into their callers, so gdb shows
# one as the innermost frame of every parked goroutine; the function that
# parked (gopark, Gosched, coroswitch) is the one around it.
SHIMS = ('runtime::mcall', 'runtime::gosave')


#
#  Value wrappers
#

def atomic_load(val):
    """The value inside a std::atomic<T> (libstdc++ keeps it in _M_i, or in
    _M_base._M_i for the integral and bool specializations)."""
    for path in (('_M_i',), ('_M_base', '_M_i')):
        v = val
        try:
            for f in path:
                v = v[f]
            return v
        except gdb.error:
            continue
    return val


class VectorValue:
    """Wrapper for std::vector values: runtime::allgs is one (Go: a slice,
    read with SliceValue). Reads libstdc++'s three pointers directly, so it
    works without libstdc++'s pretty printers."""

    def __init__(self, val):
        if val.type.code == gdb.TYPE_CODE_REF:
            val = val.referenced_value()
        impl = val['_M_impl']
        self.start = impl['_M_start']
        self.len = int(impl['_M_finish'] - self.start)

    def __iter__(self):
        for i in range(self.len):
            yield (self.start + i).dereference()


def allgs():
    """Every g ever created, dead ones included (runtime::allgs, proc.cc).
    Read without allglock: the program is stopped."""
    try:
        return VectorValue(gdb.parse_and_eval("runtime::allgs"))
    except gdb.MemoryError:
        # allgs is a reference, bound at start-up to a vector on the heap.
        raise gdb.GdbError("cannot read runtime::allgs: has the program started?")


def linked_list(ptr, linkfield):
    while ptr:
        yield ptr
        ptr = ptr[linkfield]


def readgstatus(gp):
    return int(atomic_load(gp['atomicstatus']))


def waitreason_string(reason):
    """Go's waitReason.String(): read from the program's own table
    (runtime::waitReasonStrings), so the text is exactly what gort's
    tracebacks print; the enumerator's name if the table is unreadable."""
    i = int(reason)
    try:
        table = gdb.parse_and_eval("runtime::waitReasonStrings")
        lo, hi = table.type.range()
        if lo <= i <= hi:
            return table[i].string()
    except gdb.error:
        pass
    return re.sub(r'^.*::waitReason', '', str(reason))


def gstatus_string(gp):
    """'running', 'runnable', 'waiting [chan receive]', ..."""
    status = readgstatus(gp)
    st = sts.get(status, "unknown(%d)" % status)
    if status & ~G_SCAN == G_WAITING:
        reason = waitreason_string(gp['waitreason'])
        if reason:
            st += " [%s]" % reason
    return st


def gheader_status(gp):
    """The bracketed part of a Go traceback header, 'goroutine 2 [chan
    receive]:': the wait reason for a waiting g, else the status."""
    status = readgstatus(gp)
    if status & ~G_SCAN == G_WAITING:
        reason = waitreason_string(gp['waitreason'])
        if reason:
            return reason
    return sts.get(status, "unknown(%d)" % status)


def gname(gp):
    """How a g pointer reads in a summary: 'goroutine 2', 'g0 of m1', 'nil'."""
    if not gp:
        return "nil"
    goid = int(gp['goid'])
    if goid == 0 and gp['m'] and gp['m']['g0'] == gp:
        return "g0 of m%d" % int(gp['m']['id'])
    return "goroutine %d" % goid


def mname(mp):
    return "m%d" % int(mp['id']) if mp else "nil"


def pname(pp):
    return "p%d" % int(pp['id']) if pp else "nil"


#
#  Utilities
#

def pc_to_int(pc):
    # As Go's: python2 would not cast a void* to an int; parse its text then.
    try:
        return int(pc)
    except gdb.error:
        return int(str(pc).split(None, 1)[0], 16)


def strip_params(name):
    """'runtime::gopark(bool (*)(runtime::g*, void*), void*, ...)' ->
    'runtime::gopark': C++ symbols carry their parameter lists, which would
    drown a one-line summary."""
    s = name[:-len(" const")] if name.endswith(" const") else name
    if not s.endswith(")"):
        return name
    depth = 0
    for i in range(len(s) - 1, -1, -1):
        if s[i] == ')':
            depth += 1
        elif s[i] == '(':
            depth -= 1
            if depth == 0:
                return s[:i]
    return name


def minsym(pc):
    """(name, offset) of the ELF symbol containing pc, or (None, 0). Works for
    the asm routines too, which have no DWARF function."""
    out = gdb.execute("info symbol %d" % pc, to_string=True)
    m = re.match(r'^(.*?)(?: \+ (\d+))? in section ', out)
    if not m:
        return None, 0
    return strip_params(m.group(1)), int(m.group(2) or 0)


def pcname(pc):
    """'0x5555555657a9 <runtime::gopark+169>', as gdb prints a code pointer,
    without the parameter list."""
    name, off = minsym(pc)
    if name is None:
        return "%#x" % pc
    return "%#x <%s+%d>" % (pc, name, off) if off else "%#x <%s>" % (pc, name)


def funcname(pc):
    """The function gdb's frame 0 shows at pc (inlined ones included), minus
    the mcall/gosave shims: the function that parked. Go's script prints
    block_for_pc(pc).function too; its mcall is a real call, never inlined."""
    try:
        block = gdb.block_for_pc(pc)
    except RuntimeError:
        block = None
    while block is not None:
        if block.function is not None:
            name = strip_params(block.function.name)
            if name not in SHIMS:
                return name
        block = block.superblock
    name, _ = minsym(pc)
    return name or "??"


class saved_selection:
    """Puts back the selected thread and frame, whatever happens in between
    (a command on another thread, or on rewritten registers). Go's
    GoroutineCmd does this inline with save_frame.select()."""

    def __enter__(self):
        self.thread = gdb.selected_thread()
        try:
            self.level = gdb.selected_frame().level()
        except gdb.error:
            self.level = None
        return self

    def __exit__(self, *exc):
        if self.thread is not None and self.thread.is_valid():
            self.thread.switch()
        if self.level is not None:
            try:
                gdb.execute("select-frame %d" % self.level)
            except gdb.error:
                pass
        return False


def thread_of(mp):
    """The gdb thread running M mp (m.procid is its LWP, set in minit)."""
    procid = int(mp['procid'])
    for thr in gdb.selected_inferior().threads():
        if thr.ptid[1] == procid:
            return thr
    return None


def thread_regs(thr):
    """The pc and sp of thread thr's innermost frame."""
    with saved_selection():
        thr.switch()
        frame = gdb.newest_frame()
        return pc_to_int(frame.pc()), pc_to_int(frame.read_register("rsp"))


#
#  Pretty printers: one line each. `print/r` shows the raw fields.
#

class Printer:
    "Base of the pretty printers below: each wraps one gdb.Value."

    def __init__(self, val):
        self.val = val


class GPrinter(Printer):
    "One-line summary of a runtime::g (Go's script has no g printer)."

    def to_string(self):
        gp = self.val.address
        s = gname(gp) if gp is not None else "goroutine %d" % int(self.val['goid'])
        if s.startswith("g0"):
            return "%s, stack [%#x, %#x)" % (s, int(self.val['stack']['lo']),
                                              int(self.val['stack']['hi']))
        s += " " + gstatus_string(self.val)
        if self.val['m']:
            s += " on " + mname(self.val['m'])
        sched = self.val['sched']
        if int(sched['sp']) != 0:
            s += ", sched.sp=%#x sched.pc=%s" % (int(sched['sp']), pcname(int(sched['pc'])))
        return s + ", stack [%#x, %#x)" % (int(self.val['stack']['lo']),
                                           int(self.val['stack']['hi']))


class GobufPrinter(Printer):
    "One-line summary of a runtime::gobuf, a saved context (Go: runtime.gobuf)."

    def to_string(self):
        v = self.val
        sp = int(v['sp'])
        # gogo clears sp (and ret, ctxt, bp) when it resumes the buffer.
        parts = ["sp=%#x" % sp if sp else "sp=0 (empty)",
                 "pc=%s" % pcname(int(v['pc'])) if int(v['pc']) else "pc=0",
                 "g=%s" % gname(v['g']['v'].cast(gdb.lookup_type('runtime::g').pointer()))]
        for f in ('ctxt', 'ret', 'bp'):
            if int(v[f]):
                parts.append("%s=%#x" % (f, int(v[f])))
        return "{" + ", ".join(parts) + "}"


class MPrinter(Printer):
    "One-line summary of a runtime::m, an OS thread (Go: runtime.m)."

    def to_string(self):
        v = self.val
        parts = ["LWP %d" % int(v['procid']) if int(v['procid']) else "no thread yet",
                 "curg=" + gname(v['curg']), "p=" + pname(v['p'])]
        if v['spinning']:
            parts.append("spinning")
        if v['blocked']:
            parts.append("blocked")
        if v['lockedg']:
            parts.append("lockedg=" + gname(v['lockedg']))
        return "%s: %s" % (mname(v.address), ", ".join(parts))


class PPrinter(Printer):
    "One-line summary of a runtime::p, a processor (Go: runtime.p)."

    def to_string(self):
        v = self.val
        status = int(atomic_load(v['status']))
        gptr = gdb.lookup_type('runtime::g').pointer()
        head, tail = int(v['runqhead']), int(v['runqtail'])
        n = (tail - head) & 0xffffffff
        runq = v['runq']
        size = runq.type.range()[1] + 1
        names = [gname(runq[(head + i) % size]['v'].cast(gptr)) for i in range(min(n, 8))]
        if n > 8:
            names.append("...")
        parts = ["m=" + mname(v['m']),
                 "runq=[%s]" % ", ".join(names),
                 "runnext=" + gname(v['runnext']['v'].cast(gptr)),
                 "gFree=%d" % int(v['gFree']['n'])]
        return "p%d %s: %s" % (int(v['id']), P_STATES.get(status, "unknown(%d)" % status),
                               ", ".join(parts))


def waitq_names(q):
    return "[" + ", ".join(gname(s['g']) for s in linked_list(q['first'], 'next')) + "]"


class HchanPrinter(Printer):
    """One-line summary of a runtime::hchan, a channel (Go: ChanTypePrinter,
    which lists the buffered values; gort's hchan does not know their C++
    type, so this shows counts and waiting goroutines instead)."""

    def to_string(self):
        v = self.val
        s = "chan (elemsize %d): len=%d cap=%d" % (int(v['elemsize']), int(v['qcount']),
                                                    int(v['dataqsiz']))
        if int(v['closed']):
            s += ", closed"
        return s + ", recvq=%s, sendq=%s" % (waitq_names(v['recvq']), waitq_names(v['sendq']))


class CoroPrinter(Printer):
    "One-line summary of a runtime::coro (Go: runtime.coro, coro.go)."

    def to_string(self):
        gp = self.val['gp']['v'].cast(gdb.lookup_type('runtime::g').pointer())
        if not gp:
            return "coro: done (its goroutine exited)"
        s = "coro: gp=%s %s" % (gname(gp), gstatus_string(gp.dereference()))
        if self.val['mp']:
            s += ", locked to " + mname(self.val['mp'])
        return s


def build_pretty_printer():
    pp = gdb.printing.RegexpCollectionPrettyPrinter("gort")
    pp.add_printer('g', '^runtime::g$', GPrinter)
    pp.add_printer('gobuf', '^runtime::gobuf$', GobufPrinter)
    pp.add_printer('m', '^runtime::m$', MPrinter)
    pp.add_printer('p', '^runtime::p$', PPrinter)
    pp.add_printer('hchan', '^runtime::hchan$', HchanPrinter)
    pp.add_printer('coro', '^runtime::coro$', CoroPrinter)
    return pp


# replace=True: sourcing the script again (or auto-load after a manual source)
# swaps the printers instead of failing.
gdb.printing.register_pretty_printer(goobjfile, build_pretty_printer(), replace=True)


#
#  Convenience functions
#

def hchan_of(obj):
    """The hchan behind a runtime::hchan, hchan*, gort::chan<T> or its
    std::shared_ptr<runtime::hchan>."""
    v = obj
    if v.type.code == gdb.TYPE_CODE_REF:
        v = v.referenced_value()
    for _ in range(4):
        t = v.type.strip_typedefs()
        if t.code == gdb.TYPE_CODE_PTR:
            v = v.dereference()
            continue
        tag = t.tag or ""
        if tag == "runtime::hchan":
            return v
        if tag.startswith("gort::chan<"):
            v = v['c_']
        elif tag.startswith("std::shared_ptr<runtime::hchan>"):
            v = v['_M_ptr']
        else:
            break
    raise gdb.GdbError("not a channel: %s" % obj.type)


class GoLenFunc(gdb.Function):
    "$len(ch): values buffered in a gort::chan<T>, hchan or hchan* (Go: GoLenFunc)."

    def __init__(self):
        gdb.Function.__init__(self, "len")

    def invoke(self, obj):
        return hchan_of(obj)['qcount']


class GoCapFunc(gdb.Function):
    "$cap(ch): a channel's buffer size (Go: GoCapFunc)."

    def __init__(self):
        gdb.Function.__init__(self, "cap")

    def invoke(self, obj):
        return hchan_of(obj)['dataqsiz']


def getg():
    """The selected thread's g: the thread-local runtime.tlsg that getg()
    reads (stubs.h). gdb reads another thread's TLS through libthread_db."""
    try:
        return gdb.parse_and_eval("'runtime.tlsg'")
    except gdb.error as e:
        raise gdb.GdbError("cannot read the thread-local g (runtime.tlsg): %s" % e)


class GoidFunc(gdb.Function):
    """$goid(): the id of the goroutine the selected thread runs (0 on g0).
    Go's script has none."""

    def __init__(self):
        gdb.Function.__init__(self, "goid")

    def invoke(self):
        gp = getg()
        if not gp:
            raise gdb.GdbError("no g on this thread (before rt0_go, or not a gort thread)")
        return gp['goid']


def find_g(goid):
    """The live g with this goid, or None. Dead g's keep their last goid
    until reused, so they are skipped, as Go's find_goroutine does."""
    for gp in allgs():
        if readgstatus(gp) == G_DEAD:
            continue
        if int(gp['goid']) == goid:
            return gp
    return None


class GpFunc(gdb.Function):
    """$gp(goid): the runtime::g* of goroutine goid; $gp(): the selected
    thread's g (getg()). gort only: print *$gp(2), print $gp(2)->sched."""

    def __init__(self):
        gdb.Function.__init__(self, "gp")

    def invoke(self, *args):
        if not args:
            return getg()
        gp = find_g(int(args[0]))
        if gp is None:
            raise gdb.GdbError("no goroutine %d" % int(args[0]))
        return gp


#
#  Commands
#

class gobufContext:
    """Where a parked goroutine's frames are: its saved pc, sp, bp (Go's
    find_goroutine returns the pc and sp as a tuple)."""

    def __init__(self, pc, sp, bp):
        self.pc, self.sp, self.bp = pc, sp, bp


def goroutine_context(gp):
    """Where goroutine gp's stack can be walked from (Go: find_goroutine).

    A gobufContext for a g that is not running: its sched, saved by mcall:
    pc is the return address into the function that called mcall, sp just
    above it, bp that function's frame pointer, exactly as if mcall had
    returned. The gdb.InferiorThread running gp, for a running one. None if
    neither exists.
    """
    sched = gp['sched']
    status = readgstatus(gp) & ~G_SCAN
    thr = None
    if status in (G_RUNNING, G_SYSCALL) and gp['m']:
        thr = thread_of(gp['m'])
        if thr is not None:
            # Unlike Go's (which reads the thread's pc and sp and uses them
            # on the current thread), run on the thread itself: its registers
            # beyond pc and sp are gp's too.
            _, sp = thread_regs(thr)
            if int(gp['stack']['lo']) <= sp < int(gp['stack']['hi']):
                return thr
            # The thread is on g0 for gp. In systemstack, whose frame links
            # g0's frames back to gp's: the thread's bt is the right one. In
            # mcall's fn before it changed gp's status, or in execute before
            # gogo: gp.sched is valid.
            ss = pc_to_int(gdb.parse_and_eval("&'runtime.systemstack_switch'"))
            if 0 <= pc_to_int(sched['pc']) - ss < 16 or int(sched['sp']) == 0:
                return thr
    if int(sched['sp']) != 0:
        return gobufContext(pc_to_int(sched['pc']), int(sched['sp']), int(sched['bp']))
    return thr


def find_goroutine(goid):
    """Go's find_goroutine: (gp, context) of the live goroutine goid, see
    goroutine_context; (None, None) if there is none."""
    gp = find_g(goid)
    if gp is None:
        return None, None
    return gp, goroutine_context(gp)


def context_pc(ctx):
    if isinstance(ctx, gobufContext):
        return ctx.pc
    return thread_regs(ctx)[0]


class GoroutinesCmd(gdb.Command):
    """Show every live goroutine, one per line (Go: info goroutines).

    For each g in runtime::allgs that is not dead: `*` if it has an M (it is
    running, or in a system call), its id, status (with the wait reason of a
    waiting one, as Go's traceback headers print it) and the function it is
    in: for a parked goroutine, the one that called mcall (gopark, Gosched,
    coroswitch, ...).
    """

    def __init__(self):
        gdb.Command.__init__(self, "info goroutines", gdb.COMMAND_STACK, gdb.COMPLETE_NONE)

    def invoke(self, _arg, _from_tty):
        for ptr in allgs():
            if readgstatus(ptr) == G_DEAD:
                continue
            s = '*' if ptr['m'] else ' '
            ctx = goroutine_context(ptr)
            fn = funcname(context_pc(ctx)) if ctx is not None else "??"
            print(s, ptr['goid'], "{0:24s}".format(gstatus_string(ptr)), fn)


class GoroutineCmd(gdb.Command):
    """Run a gdb command on goroutine <goid>'s stack (Go: goroutine).

    Usage: (gdb) goroutine <goid> <gdbcmd>
           (gdb) goroutine all <gdbcmd>

    For a goroutine that is not running, switch pc, sp and bp to the ones in
    its g.sched (saved by mcall when it parked), execute the command, and
    restore the registers and the selected frame. For a running one, execute
    the command on the thread that runs it. `all` does it for every live
    goroutine, each under a header `goroutine N [status]:`.

    As with Go's, the command should only look: what changing state or
    resuming the program from a goroutine's context does is undefined. Use
    bt, frame N, info locals, print, and the like.
    """

    def __init__(self):
        gdb.Command.__init__(self, "goroutine", gdb.COMMAND_STACK, gdb.COMPLETE_NONE)

    def invoke(self, arg, from_tty):
        args = arg.split(None, 1)
        if len(args) < 2:
            raise gdb.GdbError("usage: goroutine <goid>|all <gdbcmd>")
        goid_str, cmd = args
        if goid_str == 'all':
            goids = [int(gp['goid']) for gp in allgs() if readgstatus(gp) != G_DEAD]
            for goid in goids:
                gp = find_g(goid)
                print("\ngoroutine %d [%s]:" % (goid, gheader_status(gp)))
                self.invoke_per_goid(goid, cmd, from_tty)
        else:
            self.invoke_per_goid(int(gdb.parse_and_eval(goid_str)), cmd, from_tty)

    def invoke_per_goid(self, goid, cmd, from_tty):
        gp, ctx = find_goroutine(goid)
        if gp is None:
            print("No such goroutine: ", goid)
            return
        if ctx is None:
            print("goroutine %d: no saved context and no thread" % goid)
            return
        if isinstance(ctx, gdb.InferiorThread):
            if ctx == gdb.selected_thread():
                gdb.execute(cmd, from_tty)  # the current frame is the goroutine's
                return
            with saved_selection():
                ctx.switch()
                gdb.execute(cmd, from_tty)
            return
        with saved_selection():
            gdb.execute("select-frame 0")
            saved = [(r, pc_to_int(gdb.parse_and_eval("$" + r))) for r in ("pc", "sp", "rbp")]
            try:
                set_register("rbp", ctx.bp)
                set_register("sp", ctx.sp)
                set_register("pc", ctx.pc)
                gdb.execute(cmd, from_tty)
            finally:
                for r, v in saved:
                    set_register(r, v)


def set_register(name, value):
    """$name = value in frame 0.

    gdb lets only frame 0's registers be assigned. Each assignment also makes
    gdb rebuild its frames and reselect the frame whose id matches the one
    selected before; halfway through swapping pc, sp and bp, that can be a
    deeper frame. Hence frame 0 is selected before every assignment.
    """
    gdb.execute("select-frame 0")
    gdb.parse_and_eval("$%s = %d" % (name, value))


#
# The functions and commands above, made known to gdb.
#
GoLenFunc()
GoCapFunc()
GoidFunc()
GpFunc()
GoroutinesCmd()
GoroutineCmd()
