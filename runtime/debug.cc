// debug.cc — package runtime's inspection functions.
//
// Go counterpart: src/runtime/debug.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/debug.go
#include "runtime.h"

namespace runtime {

/// Returns the number of goroutines that currently exist (running, runnable
/// or blocked; not exited). Runs on: g. @gosrc{debug.go,NumGoroutine}
int NumGoroutine() {
    return int(gcount());
}

/// Sets the maximum number of CPUs that can be executing simultaneously and
/// returns the previous setting. If n < 1, it does not change the current
/// setting. Changing it stops the world (stopTheWorldWithSema), which in
/// gort waits for every running goroutine to block or yield.
/// Runs on: g. @gosrc{debug.go,GOMAXPROCS}
int GOMAXPROCS(int n) {
    lock(&sched.lock);
    int ret = int(gomaxprocs);
    unlock(&sched.lock);
    if (n <= 0 || n == ret) return ret;
    systemstack([n] {
        stopTheWorldWithSema();
        // newprocs will be processed by startTheWorld
        newprocs = n > MaxGomaxprocs ? MaxGomaxprocs : int32_t(n);
        startTheWorldWithSema();
    });
    return ret;
}

/// The number of logical CPUs usable by the process, as read at start-up.
/// Runs on: g. @gosrc{debug.go,NumCPU}
int NumCPU() {
    return int(ncpu);
}

// (NumCgoCall: no cgo.)

}  // namespace runtime
