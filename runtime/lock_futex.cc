// lock_futex.cc — runtime locks and notes on Linux futexes.
//
// Go counterpart: src/runtime/lock_futex.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/lock_futex.go
//
// mutex: key is 0 (unlocked) or 1 (locked); nsleep counts threads asleep or
// about to sleep on it. A locker takes the lock with one atomic exchange; if
// that fails it spins briefly, then sleeps in futex(FUTEX_WAIT) on key == 1.
//
// Differs from Go's lock2/unlock2 in one place, for speed. Go's unlock is an
// atomic exchange (it must learn whether anyone sleeps); a locked instruction
// on every unlock is a third of the cost of a Gosched. gort's unlock is a
// plain release store of key followed by a plain load of nsleep. On its own
// that could lose a wake-up: x86 may perform the load before the store is
// visible, while a sleeper checks key and goes to sleep. The sleeper closes
// that window: after announcing itself in nsleep, it calls
// membarrier(PRIVATE_EXPEDITED), which runs a full fence on every CPU running
// one of our threads. Any unlock whose load came before that fence has its
// store visible by then (so the sleeper's next exchange sees key == 0); any
// unlock whose load comes after it sees nsleep != 0 and wakes. The slow path
// pays a system call; the uncontended path pays one locked instruction per
// lock/unlock pair instead of two. Without membarrier (old kernels), unlock
// falls back to a sequentially consistent store (a locked instruction).
//
// nsleep lives outside the mutex, in locksleepers, a table indexed by a hash
// of the mutex's address (runtime.h's locksleep). unlock reads it after its
// store has released the lock, and by then another M may have taken the
// lock, finished with the object and freed it: a goroutine parked on a
// channel is readied as soon as chanparkcommit's unlock stores key = 0, and
// may drop the channel's last reference (freechan) before that unlock reads
// nsleep. So unlock must not touch the mutex after the store; it only passes
// its address to futexwakeup, as Go's unlock2 does, which is harmless on
// freed memory. Mutexes sharing a slot cost at most a spurious futex wake.
//
// note: a one-time event. notesleep blocks the M (the OS thread) until
// notewakeup; noteclear resets it. Used by stopm to put an idle M to sleep.
// Runs on: g0 or g (they block the thread, not the goroutine).
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"

namespace runtime {

bool asymfence;  ///< membarrier registered: unlock may use a plain store
uint32_t locksleepers[256];  ///< nsleep of every mutex, by hash slot (see above)

/// Sleeps in futex(FUTEX_WAIT) while *addr == val, with no timeout (Go's
/// ns = -1). Blocks the OS thread. Runs on: g or g0.
/// @gosrc{os_linux.go,futexsleep}
static void futexsleep(uint32_t* addr, uint32_t val) {
    syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, nullptr, nullptr, 0);
}

/// futexsleep with a timeout of ns nanoseconds. Runs on: g or g0.
/// @gosrc{os_linux.go,futexsleep}
static void futexsleeptimeout(uint32_t* addr, uint32_t val, int64_t ns) {
    struct timespec ts;
    ts.tv_sec = time_t(ns / 1000000000);
    ts.tv_nsec = long(ns % 1000000000);
    syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, &ts, nullptr, 0);
}

/// Wakes up to cnt threads sleeping in futexsleep on addr. Runs on: g or g0.
/// @gosrc{os_linux.go,futexwakeup}
static void futexwakeup(uint32_t* addr, uint32_t cnt) {
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, cnt, nullptr, nullptr, 0);
}

/// Sets up the unlock fast path. Runs once, before any second thread exists.
/// Runs on: g0 (m0), from schedinit. @gortonly{registers for
/// membarrier(PRIVATE_EXPEDITED), which the plain-store unlock relies on (see
/// the top of this file); Go's unlock2 always exchanges and needs no set-up}
void lockinit() {
    asymfence = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

/// The contended part of Go's lock2: the speculative grab already failed
/// (lock, runtime.h, inlines it). Spins, then sleeps on the futex.
/// Runs on: g or g0 (blocks the thread). @gosrc{lock_futex.go,lock2}
void lock2(mutex* l) {
    for (;;) {
        // Try for lock, spinning.
        for (int i = 0; i < active_spin; i++) {
            procyield(active_spin_cnt);
            if (__atomic_load_n(&l->key, __ATOMIC_RELAXED) == 0 &&
                __atomic_exchange_n(&l->key, 1, __ATOMIC_ACQUIRE) == 0)
                return;
        }
        // Sleep: announce, fence every thread (see above), try once more.
        uint32_t* nsleep = locksleep(l);
        __atomic_fetch_add(nsleep, 1, __ATOMIC_SEQ_CST);
        if (asymfence) syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
        if (__atomic_exchange_n(&l->key, 1, __ATOMIC_ACQUIRE) == 0) {
            __atomic_fetch_sub(nsleep, 1, __ATOMIC_RELAXED);
            return;
        }
        futexsleep(&l->key, 1);
        __atomic_fetch_sub(nsleep, 1, __ATOMIC_RELAXED);
        if (__atomic_exchange_n(&l->key, 1, __ATOMIC_ACQUIRE) == 0) return;
    }
}

/// The rare part of Go's unlock2: a thread may sleep on l; wake one. l may
/// already be freed: only its address reaches the kernel.
/// Runs on: g or g0. @gosrc{lock_futex.go,unlock2}
void unlock2wake(mutex* l) {
    futexwakeup(&l->key, 1);
}

/// Resets a note for another sleep/wakeup round. Runs on: g or g0.
/// @gosrc{lock_futex.go,noteclear}
void noteclear(note* n) {
    __atomic_store_n(&n->key, 0, __ATOMIC_RELAXED);
}

/// Wakes the thread sleeping on n (at most once per noteclear).
/// Runs on: g or g0. @gosrc{lock_futex.go,notewakeup}
void notewakeup(note* n) {
    uint32_t old = __atomic_exchange_n(&n->key, 1, __ATOMIC_RELEASE);
    if (old != 0) throw_("notewakeup - double wakeup");
    futexwakeup(&n->key, 1);
}

/// Blocks the thread until notewakeup(n). Runs on: g or g0 (Go insists on g0;
/// gort's one caller, stopm, is on g0). @gosrc{lock_futex.go,notesleep}
void notesleep(note* n) {
    while (__atomic_load_n(&n->key, __ATOMIC_ACQUIRE) == 0) futexsleep(&n->key, 0);
}

/// Blocks the thread until notewakeup(n) or until ns nanoseconds have
/// passed; reports whether it was woken. Runs on: g0 (findRunnable's timer
/// wait). @gosrc{lock_futex.go,notetsleep}
bool notetsleep(note* n, int64_t ns) {
    int64_t deadline = nanotime() + ns;
    while (__atomic_load_n(&n->key, __ATOMIC_ACQUIRE) == 0) {
        int64_t left = deadline - nanotime();
        if (left <= 0) return false;
        futexsleeptimeout(&n->key, 0, left);
    }
    return true;
}

}  // namespace runtime
