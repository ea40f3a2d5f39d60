// gosyscall.h — blocking system calls that let the goroutine's P go on without
// it: gort's counterpart of Go's syscall package wrappers. (Not "syscall.h":
// that name is the C library's, and runtime/ is on the include path.)
//
// Go counterpart: src/syscall/syscall_linux.go (Syscall → runtime entersyscall
// / exitsyscall), src/runtime/proc.go (entersyscall, exitsyscall)
// https://github.com/golang/go/blob/go1.22.0/src/syscall/syscall_linux.go
//
// A goroutine that blocks in the kernel blocks its M (the OS thread), not
// other goroutines: entersyscall detaches the P, which sysmon hands to another
// M if the call lasts longer than a sysmon tick (20 µs or more), and
// exitsyscall takes a P back when the call returns (or queues the goroutine
// and parks the M). Wrap any blocking call with gort::syscall::Syscall, or use
// the ready-made Read, Write and Nanosleep below.
#pragma once

#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <utility>

#include "runtime.h"

namespace gort::syscall {

/// Runs f() — a blocking system call — between entersyscall and
/// exitsyscall, and returns its result. f must not park the goroutine or
/// call into the runtime (it runs without a P). exitsyscall runs even if f
/// throws. Runs on: g. Go: syscall.Syscall.
template <class F>
__attribute__((always_inline)) inline auto Syscall(F&& f) -> decltype(f()) {
    struct exit_on_return {
        ~exit_on_return() { runtime::exitsyscall(); }
    };
    runtime::entersyscall();
    exit_on_return done;
    return std::forward<F>(f)();
}

/// read(2) that lets other goroutines run while it blocks. Returns the byte
/// count or -1 with errno set, as read does. Go: syscall.Read.
inline ssize_t Read(int fd, void* buf, size_t n) {
    return Syscall([&] { return ::read(fd, buf, n); });
}

/// write(2) that lets other goroutines run while it blocks. Go: syscall.Write.
inline ssize_t Write(int fd, const void* buf, size_t n) {
    return Syscall([&] { return ::write(fd, buf, n); });
}

/// Sleeps the thread (not just the goroutine: compare gort::time::Sleep) for
/// ns nanoseconds in nanosleep(2), as a blocking system call.
/// Go: syscall.Nanosleep.
inline int Nanosleep(int64_t ns) {
    struct timespec ts{time_t(ns / 1000000000), long(ns % 1000000000)};
    return Syscall([&] {
        int r;
        while ((r = ::nanosleep(&ts, &ts)) != 0 && errno == EINTR) {
        }
        return r;
    });
}

}  // namespace gort::syscall
