# tour.gdb — step through one goroutine switch in gdb (chapter 1.2).
#
#   gdb -x examples/tour.gdb build/examples/tour
#
# The asm routines carry Go's names, so you break on them as you would in Go:
# break 'runtime.mcall', break 'runtime.gogo'. CI runs this script in batch
# mode (test/check_output.py, see examples/meson.build) and checks what it prints.
set pagination off
set confirm off
set print pretty off
set language c++
# One P from the start (the tour also asks for it): no second M spins up.
set environment GOMAXPROCS 1

echo \n== 1. Stop in park_m: the worker has just called gopark → mcall(park_m).\n
break runtime::park_m
run
echo -- We are on g0 now. Where did mcall put us? The backtrace runs from park_m\n
echo -- through runtime.mcall into mstart0, the frame mstart1 recorded in g0.sched:\n
bt
echo -- getg() reads the TLS slot (the chapter's get_tls/g(CX)):\n
print 'runtime.tlsg'
echo -- the worker's saved context, written by mcall (sp, pc, g, ..., bp):\n
print/x gp->sched
info symbol gp->sched.pc
print gp->waitreason

echo \n== 2. Stop in gogo: the scheduler resumes main.\n
break 'runtime.gogo'
continue
echo -- gogo's argument (DI) is &main.sched: where main will continue.\n
print/x *(runtime::gobuf*)$rdi
info symbol ((runtime::gobuf*)$rdi)->pc
echo -- step gogo instruction by instruction until it jumps:\n
stepi 6
echo -- TLS g now points at main, and SP is main.sched.sp (gogo just loaded it):\n
print 'runtime.tlsg'
print/x ((runtime::gobuf*)$rbx)->g.v
info registers rsp

echo \n== 3. Stop in mcall from Gosched: main yields to the worker.\n
delete
break 'runtime.mcall'
continue
bt 3
echo -- mcall's argument (DI) is the function to run on g0:\n
info symbol $rdi
delete
# Stop at the process's exit rather than run into it: with sysmon's thread
# ending at the same moment, gdb can lose the race to read registers.
break runtime::exit
continue
kill
