// os_linux.cc — what the runtime asks of Linux: CPU count, the main thread's
// stack, process exit.
//
// Go counterpart: src/runtime/os_linux.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/os_linux.go
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "runtime.h"

namespace runtime {

/// Reads the number of CPUs this process may run on. Runs on: g0 (m0), from
/// rt0_go. @gosrc{os_linux.go,osinit}
void osinit() {
    cpu_set_t set;
    ncpu = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
    if (ncpu < 1) ncpu = 1;
}

/// The bounds of the calling OS thread's stack: the g0 stack of its M.
/// Runs on: the OS thread's stack, from rt0_go (before it becomes g0).
/// gort only: Go's mstart0 estimates g0's bounds from the current SP for
/// threads it did not create; with cgo, x_cgo_getstackbound
/// (runtime/cgo/gcc_stack_unix.c) asks pthread_getattr_np, as this does.
struct stack osstack() {
    pthread_attr_t attr;
    void* addr = nullptr;
    size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        pthread_attr_getstack(&attr, &addr, &size);
        pthread_attr_destroy(&attr);
    }
    auto lo = reinterpret_cast<uintptr_t>(addr);
    return {lo, lo + size};
}

/// Ends the process with status code. gort flushes C and C++ output and runs
/// exit handlers (std::exit), which Go's raw exit system call does not: C++
/// programs expect their buffered output to appear. Runs on: g or g0 (the
/// fatal paths call _exit(2) instead).
/// @gosrc{stubs2.go,exit} @differs{runs atexit handlers and flushes stdio}
void exit(int code) {
    std::fflush(nullptr);
    std::exit(code);
}

}  // namespace runtime
