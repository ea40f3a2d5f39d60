// rt0_linux_amd64.cc — the program entry: C++ main hands the thread to the
// runtime.
//
// Go counterpart: src/runtime/rt0_linux_amd64.s (→ _rt0_amd64 → rt0_go)
// https://github.com/golang/go/blob/go1.22.0/src/runtime/rt0_linux_amd64.s
//
// This file is linked only when the program does not define main itself: a
// gort program defines main_main() instead (Go's main.main), and this main
// makes the OS stack m0's g0 and starts main_main as goroutine 1 (rt0_go,
// which Go writes in asm_amd64.s; nothing in it needs asm in C++).
#include <new>

#include "runtime.h"

// Tells gdb to load runtime/runtime-gdb.py (info goroutines, goroutine N bt,
// pretty printers) when it opens a gort program. Go's linker writes this
// section into every Go binary, naming $GOROOT/src/runtime/runtime-gdb.py;
// gort has no linker of its own, so the file every gort program links for its
// main carries it. The entry is gdb's documented format: the byte 1 (a Python
// script file) and the script's absolute path, NUL-terminated; "MS" lets the
// linker merge duplicate entries. The build passes the path (meson.build).
// gdb still refuses the script unless its auto-load safe-path allows it: see
// README, "Debugging with gdb".
#ifdef GORT_GDB_SCRIPT
asm(".pushsection .debug_gdb_scripts, \"MS\", @progbits, 1\n"
    ".byte 1\n"
    ".asciz \"" GORT_GDB_SCRIPT "\"\n"
    ".popsection");
#endif

namespace runtime {

/// The first frame of goroutine 1: runtime.main. A Goexit in main_main
/// unwinds to here and ends only goroutine 1 (the program goes on, as in Go).
/// Runs on: g (goroutine 1). @gortonly{the C++ side of Go's mainPC funcval}
static void mainstart(funcval*) {
    asanlanded();  // ASan: the first gogo into goroutine 1 ends here (asan.h)
    try {
        main();
    } catch (goexitUnwind&) {
    }
}

/// The program's start, after C++ main: makes the OS thread's stack m0's g0,
/// sets up the scheduler, creates goroutine 1 running runtime.main, and enters
/// the scheduling loop. Never returns. Go does this in asm (rt0_go); nothing
/// in it needs asm in C++. Runs on: the OS thread's stack, which becomes g0.
/// @gosrc{asm_amd64.s,rt0_go}
void rt0_go(int argc, char** argv) {
    TOPFRAME();  // as Go's: bt on m0's g0 ends here, not in libc's main
    goargs(argc, argv);
    // create istack out of the given (operating system) stack.
    g0.stack = osstack();
    g0.stackguard0 = g0.stack.lo + stackGuard;
    setg(&g0);  // save m->g0 = g0, g0->m = m0, and g in TLS
    m0.g0 = &g0;
    g0.m = &m0;
    g0.atomicstatus.store(Grunning);  // Go leaves g0 at Gidle; gort shows it running
    osinit();
    schedinit();
    // create a new goroutine to start program
    plainfunc fn(mainstart);
    newproc(&fn);
    // start this M
    mstart0();
    throw_("rt0_go: mstart0 returned");  // m0 never exits (mexit parks it)
}

}  // namespace runtime

/// The process entry point, called by the C library's start-up code: hands
/// argc and argv to rt0_go, which never returns. Runs on: the OS thread's
/// stack, before it becomes m0's g0. A Go binary linked internally enters at
/// _rt0_amd64_linux, which jumps to _rt0_amd64; linked externally, C start-up
/// calls asm_amd64.s's main, gort's closest match.
/// @gosrc{rt0_linux_amd64.s,_rt0_amd64_linux} @gosrc{asm_amd64.s,_rt0_amd64}
/// @gosrc{asm_amd64.s,main}
int main(int argc, char** argv) {
    runtime::rt0_go(argc, argv);
}
