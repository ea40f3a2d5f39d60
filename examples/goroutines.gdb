# goroutines.gdb — gort's gdb commands (runtime/runtime-gdb.py) on a program
# with goroutines parked in every way (examples/goroutines.cc).
#
#   gdb -ex 'source runtime/runtime-gdb.py' -x examples/goroutines.gdb build/examples/goroutines
#
# (gdb loads runtime-gdb.py by itself if its auto-load safe-path allows it:
# README.md, "Debugging with gdb".) CI runs this script in batch mode
# (test/check_output.py, see examples/meson.build) and checks what it prints.
set pagination off
set confirm off
set print pretty off
# One P from the start (the program also asks for it): goroutines run one at
# a time, so which one is where is the same at every run.
set environment GOMAXPROCS 1

echo \n== 1. Stop in main, with every other goroutine parked.\n
break stophere
run
echo \n-- info goroutines: * = has an M (running, or in a system call)\n
info goroutines

echo \n-- goroutine 2 bt: the receiver's stack, from the pc/sp/bp mcall saved in g.sched.\n
echo -- Frame 0 is the mcall shim (stubs.h) inlined into gopark, the function that parked.\n
goroutine 2 bt
echo \n-- goroutine 5 bt: runnable, between two Gosched turns\n
goroutine 5 bt
echo \n-- goroutine 6 bt: in read(2) on another thread (the command runs there)\n
goroutine 6 bt
echo \n-- goroutine 7 bt: the iter::Pull sequence, parked in yield\n
goroutine 7 bt
echo \n-- goroutine 8 bt: a coroutine that has never run (its gobuf is newproc1's)\n
goroutine 8 bt
echo \n-- goroutine 2 bt -1 and bt -1: a goroutine's outermost frame is goexit\n
goroutine 2 bt -1
bt -1
echo \n-- goroutine all bt 1\n
goroutine all bt 1
goroutine 99 bt

echo \n-- the registers and the selected frame are back as they were:\n
up
goroutine 2 bt 1
frame
down
info symbol $pc

echo \n== 2. Pretty printers and convenience functions.\n
print $goid()
print *$gp()
print $gp(2)->sched
print *$gp(2)
print *$gp(2)->waiting->c
print *$gp(3)->waiting->c
print $len(jobs)
print $cap(jobs)
print *bare
print *$gp()->m
print *$gp()->m->p
print *$gp()->m->g0

echo \n== 3. Break in runtime.mcall: stop() switches to the sequence (coroswitch).\n
break 'runtime.mcall'
continue
bt -1
info goroutines
delete

echo \n== 4. Break in runtime.gogo: the sequence's goroutine is about to resume.\n
break 'runtime.gogo'
continue
info goroutines
goroutine 7 bt
goroutine 1 bt 2
delete

# Stop at the process's exit rather than run into it (see tour.gdb).
break runtime::exit
continue
kill
