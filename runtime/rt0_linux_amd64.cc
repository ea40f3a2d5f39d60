// rt0_linux_amd64.cc — the program entry: C++ main hands the thread to the
// runtime.
//
// Go counterpart: src/runtime/rt0_linux_amd64.s (→ _rt0_amd64 → rt0_go)
// https://github.com/golang/go/blob/go1.22.0/src/runtime/rt0_linux_amd64.s
//
// This file is linked only when the program does not define main itself: a
// gort program defines main_main() instead (Go's main.main), and this main
// makes the OS stack m0's g0 and starts main_main as goroutine 1.
#include "runtime.h"

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
