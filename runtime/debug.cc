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

// (GOMAXPROCS, NumCPU, NumCgoCall: issue 5 / not applicable.)

}  // namespace runtime
