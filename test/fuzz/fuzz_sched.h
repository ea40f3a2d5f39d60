// fuzz_sched.h — the fuzz harness: runs one byte string as a program of
// goroutine operations (spawn, send, recv, range, close, select, Gosched,
// Mutex, WaitGroup, iter::Pull) and checks gort's invariants afterwards.
//
// Two mains feed it: fuzz_main.cc (libFuzzer, clang build, -Dfuzz=true) and
// replay.cc (every corpus file, the normal gcc build, meson suite "fuzz").
// The program language is described in fuzz_sched.cc and README "Fuzzing".
#pragma once

#include <cstddef>
#include <cstdint>

namespace fuzzsched {

/// Runs data as a program and checks the invariants; an invariant that does
/// not hold prints "fuzz_sched: invariant violated: ..." and aborts. Any byte
/// string is a valid program, and every program terminates. Runs on: a
/// goroutine (it parks until the program's goroutines are done).
void runone(const uint8_t* data, size_t size);

}  // namespace fuzzsched
