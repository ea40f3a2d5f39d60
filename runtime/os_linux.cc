// os_linux.cc — what the runtime asks of Linux: CPU count, threads for Ms and
// their stacks, process exit.
//
// Go counterpart: src/runtime/os_linux.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/os_linux.go
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cxxabi.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "runtime.h"
#include "trace.h"

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
/// @gortonly{Go's mstart0 estimates g0's bounds from the current SP for
/// threads it did not create; with cgo, x_cgo_getstackbound
/// (runtime/cgo/gcc_stack_unix.c) asks pthread_getattr_np, as this does}
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

static constexpr size_t g0StackSize = 1 << 20;

/// The start routine of an M's thread: the thread's stack becomes the M's g0
/// stack, then mstart0 schedules. Returns (ending the thread) only when the
/// M exits (mexit). Runs on: the new thread's own stack.
/// @gosrc{asm_amd64.s,mstart}
/// no_sanitize_address: an M that exits returns here through mstart0, which
/// gdestroy's gogo(&g0.sched) resumes with only SP, PC and BP restored; ASan's
/// frame teardown would read the shadow address from a callee-saved register
/// (R13) that mstart0 never saved, as it does not use it (asan.h).
__attribute__((no_sanitize_address)) static void* mstart(void* arg) {
    TOPFRAME();  // as Go's runtime·mstart: bt on g0 ends here
    m* mp = static_cast<m*>(arg);
    mp->g0->stack = osstack();
    setg(mp->g0);
    mstart0();
    return nullptr;
}

/// Starts the OS thread of mp. Go clones a thread onto a stack it allocated
/// (or, with cgo, asks pthread_create); gort always uses pthread_create, so
/// g0 stacks are ordinary C++ thread stacks (of 1 MiB). Signals are
/// blocked while the thread starts, as Go does, so no handler runs on it
/// before minit has set up its signal stack. Runs on: g0.
/// @gosrc{os_linux.go,newosproc} @differs{pthread_create, as Go with cgo}
void newosproc(m* mp) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    // g0 runs only the runtime (scheduler, tracebacks, systemstack
    // closures): 1 MiB is ample, and thousands of Ms blocked in system calls
    // then reserve 1 MiB each rather than the default 8 MiB.
    pthread_attr_setstacksize(&attr, g0StackSize);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t tid;
    int ret = pthread_create(&tid, &attr, mstart, mp);
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    pthread_attr_destroy(&attr);
    if (ret != 0) {
        printstring("runtime: failed to create new OS thread (have ");
        printint(mcount());
        printstring(" already; errno=");
        printint(ret);
        printstring(")\n");
        if (ret == EAGAIN) printstring("runtime: may need to increase max user processes (ulimit -u)\n");
        throw_("newosproc");
    }
    mp->thread = static_cast<unsigned long>(tid);
}

/// Called to initialize a new M (including the bootstrap M) on the new
/// thread: records its id for debuggers, sets up its signal stack and
/// unblocks signals. Runs on: g0 of the new M. @gosrc{os_linux.go,minit}
void minit() {
    minitSignalStack();
    getg()->m->eh = reinterpret_cast<cxa_eh_globals*>(abi::__cxa_get_globals());  // gort: stubs.h's ehsave
    getg()->m->procid = uint64_t(syscall(SYS_gettid));
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, nullptr);
}

/// Undoes minit before the thread exits: blocks signals, so none arrives on
/// a thread whose M is gone. Runs on: g0. @gosrc{os_linux.go,unminit}
void unminit() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, nullptr);
    unminitSignals();
}

/// Ends the process with status code. gort flushes C and C++ output and runs
/// exit handlers (std::exit), which Go's raw exit system call does not: C++
/// programs expect their buffered output to appear. Runs on: g or g0 (the
/// fatal paths call _exit(2) instead).
/// @gosrc{stubs2.go,exit} @differs{runs atexit handlers and flushes stdio}
void exit(int code) {
    traceexit();
    std::fflush(nullptr);
    std::exit(code);
}

}  // namespace runtime
