# casorder.py — gdb script for lab coro's test "a goroutine is Gwaiting
# before it is published in c.gp" (test/labs/lab_coro.cc).
#
# The program (GORT_TEST_CHILD=lab_coro_casorder) calls
# lab_coro_watch_here(&c->gp), then switches through the coro c. At each
# coroswitch_m this script steps instruction by instruction (stepping over
# calls) until the jump to runtime.gogo and, whenever c->gp has changed, looks
# at the g just stored there: it must already be Gwaiting (4), because
# whoever takes it out of c->gp next CASes it Gwaiting -> Grunning. (A
# stepping watchpoint of our own: hardware watchpoints are not available on
# every machine, virtual ones especially.) Prints a CASORDER line per write
# and a summary that the test checks.
import gdb

GWAITING = 4


def function_name():
    """The function the PC is in, inlined frames skipped."""
    f = gdb.selected_frame()
    while f is not None and f.type() == gdb.INLINE_FRAME:
        f = f.older()
    return f.name() if f is not None and f.name() else "?"


def running():
    return gdb.selected_inferior().pid != 0


gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("handle all nostop noprint pass")
gdb.execute("break lab_coro_watch_here")
gdb.execute("run", to_string=True)
gdb.execute("set scheduler-locking step")  # the other threads wait while we step
addr = int(gdb.parse_and_eval("(long)$rdi"))
gdb.execute("delete")
gdb.execute("break runtime::coroswitch_m")
writes = bad = switches = 0
while running():
    try:
        gdb.execute("continue", to_string=True)
    except gdb.error:
        break
    if not running() or not function_name().startswith("runtime::coroswitch_m"):
        continue
    switches += 1
    old = int(gdb.parse_and_eval("*(long *)%d" % addr))
    for _ in range(20000):
        try:
            gdb.execute("stepi", to_string=True)
            name = function_name()
            if name == "runtime.gogo" or not running():
                break
            if not name.startswith("runtime::coroswitch_m"):
                gdb.execute("finish", to_string=True)  # over calls (casgstatus, gdestroy, ...)
        except gdb.error:
            break
        if not running():
            break
        new = int(gdb.parse_and_eval("*(long *)%d" % addr))
        if new == old:
            continue
        writes += 1
        old = new
        if new == 0:
            print("CASORDER write %d: nil (the coro exited)" % writes)
            continue
        st = int(gdb.parse_and_eval("*(unsigned int *)&((runtime::g *)%d)->atomicstatus" % new))
        print("CASORDER write %d: g %#x stored in c.gp with status %d" % (writes, new, st))
        if st != GWAITING:
            bad += 1
print("CASORDER summary: switches=%d writes=%d bad=%d" % (switches, writes, bad))
