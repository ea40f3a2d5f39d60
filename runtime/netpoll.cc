// netpoll.cc — the "network poller" of a runtime without network I/O: the one
// place an M with nothing to run sleeps until the next timer.
//
// Go counterpart: src/runtime/netpoll.go and netpoll_epoll.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/netpoll_epoll.go
//
// In Go, an M that finds no work while timers are pending blocks in netpoll
// (epoll_wait) with a timeout of the earliest timer; sched.lastpoll is 0 while
// one does, and a new earlier timer interrupts it with netpollBreak (a write
// to an eventfd). gort has no descriptors to poll, so its netpoll is only
// that timed sleep: a futex wait on netpollWakeSig, which netpollBreak sets
// and wakes. findRunnable, wakeNetPoller and sysmon use it as Go uses
// netpoll, so the scheduler's logic around it is Go's.
//
// Differs from Go: no file descriptors (netpollAnyWaiters is always false);
// the sleep has nanosecond rather than millisecond resolution.
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"

namespace runtime {

/// Set by netpollBreak, cleared by netpoll on waking: "a wake-up is pending".
/// @gosrc{netpoll_epoll.go,netpollWakeSig}
static uint32_t netpollWakeSig;

/// Reports whether netpoll can be used. Always: gort's needs no set-up.
/// Runs on: g or g0.
/// @gosrc{netpoll.go,netpollinited}
bool netpollinited() {
    return true;
}

/// Reports whether goroutines wait on I/O. Never: gort does no network I/O.
/// Runs on: g or g0.
/// @gosrc{netpoll.go,netpollAnyWaiters}
bool netpollAnyWaiters() {
    return false;
}

/// Blocks the M for up to delay ns (delay < 0: until netpollBreak; 0: does
/// not block) or until netpollBreak. Returns no goroutines: there is no I/O
/// to become ready. Runs on: g0, without a P. @gosrc{netpoll_epoll.go,netpoll}
void netpoll(int64_t delay) {
    if (delay == 0) return;
    struct timespec ts, *tsp = nullptr;
    if (delay > 0) {
        ts.tv_sec = time_t(delay / 1000000000);
        ts.tv_nsec = long(delay % 1000000000);
        tsp = &ts;
    }
    syscall(SYS_futex, &netpollWakeSig, FUTEX_WAIT_PRIVATE, 0, tsp, nullptr, 0);
    // Whether woken or timed out, take the pending wake-up (if any) so that
    // the next poll sleeps again.
    __atomic_store_n(&netpollWakeSig, 0, __ATOMIC_SEQ_CST);
}

/// Interrupts an M blocked in netpoll. Does nothing if a wake-up is already
/// pending. Runs on: g or g0. @gosrc{netpoll_epoll.go,netpollBreak}
void netpollBreak() {
    uint32_t zero = 0;
    // Failing to cas indicates there is an in-flight wakeup, so we're done here.
    if (!__atomic_compare_exchange_n(&netpollWakeSig, &zero, 1, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_RELAXED))
        return;
    syscall(SYS_futex, &netpollWakeSig, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace runtime
