// lock_futex.cc — runtime locks and notes on Linux futexes.
//
// Go counterpart: src/runtime/lock_futex.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/lock_futex.go
//
// mutex: 0 = unlocked, 1 = locked, 2 = locked and someone may sleep on it.
// A locker spins briefly, then sleeps in futex(FUTEX_WAIT) on key == 2; an
// unlocker that sees 2 wakes one sleeper. Runtime locks are held for a few
// instructions and never across a park, so contention is short.
//
// note: a one-time event. notesleep blocks the M (the OS thread) until
// notewakeup; noteclear resets it. Used by stopm to put an idle M to sleep.
// Runs on: g0 or g (they block the thread, not the goroutine).
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

#include "runtime.h"

namespace runtime {

static void futexsleep(uint32_t* addr, uint32_t val) {
    syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, nullptr, nullptr, 0);
}

static void futexwakeup(uint32_t* addr, uint32_t cnt) {
    syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, cnt, nullptr, nullptr, 0);
}

enum : uint32_t { mutex_unlocked = 0, mutex_locked = 1, mutex_sleeping = 2 };

/// Acquires l, blocking the thread if needed. @gosrc{lock_futex.go,lock2}
void lock(mutex* l) {
    g* gp = getg();
    if (gp) gp->m->locks++;
    // Speculative grab for lock.
    uint32_t v = __atomic_exchange_n(&l->key, mutex_locked, __ATOMIC_ACQUIRE);
    if (v == mutex_unlocked) return;
    // wait is either mutex_locked or mutex_sleeping depending on whether there
    // is a thread sleeping on this mutex. If we ever change l->key from
    // mutex_sleeping to some other value, we must be careful to change it back
    // to mutex_sleeping before returning, to ensure that the sleeping thread
    // gets its wakeup call.
    uint32_t wait = v;
    for (;;) {
        // Try for lock, spinning.
        for (int i = 0; i < 4; i++) {
            while (__atomic_load_n(&l->key, __ATOMIC_RELAXED) == mutex_unlocked) {
                uint32_t expect = mutex_unlocked;
                if (__atomic_compare_exchange_n(&l->key, &expect, wait, false, __ATOMIC_ACQUIRE,
                                                __ATOMIC_RELAXED))
                    return;
            }
            for (int k = 0; k < 30; k++) __builtin_ia32_pause();  // procyield
        }
        // Sleep.
        v = __atomic_exchange_n(&l->key, mutex_sleeping, __ATOMIC_ACQUIRE);
        if (v == mutex_unlocked) return;
        wait = mutex_sleeping;
        futexsleep(&l->key, mutex_sleeping);
    }
}

/// Releases l, waking a sleeper if there is one. @gosrc{lock_futex.go,unlock2}
void unlock(mutex* l) {
    uint32_t v = __atomic_exchange_n(&l->key, mutex_unlocked, __ATOMIC_RELEASE);
    if (v == mutex_unlocked) throw_("unlock of unlocked lock");
    if (v == mutex_sleeping) futexwakeup(&l->key, 1);
    g* gp = getg();
    if (gp && --gp->m->locks < 0) throw_("runtime·unlock: lock count");
}

/// Resets a note for another sleep/wakeup round. @gosrc{lock_futex.go,noteclear}
void noteclear(note* n) {
    __atomic_store_n(&n->key, 0, __ATOMIC_RELAXED);
}

/// Wakes the thread sleeping on n (at most once per noteclear).
/// @gosrc{lock_futex.go,notewakeup}
void notewakeup(note* n) {
    uint32_t old = __atomic_exchange_n(&n->key, 1, __ATOMIC_RELEASE);
    if (old != 0) throw_("notewakeup - double wakeup");
    futexwakeup(&n->key, 1);
}

/// Blocks the thread until notewakeup(n). @gosrc{lock_futex.go,notesleep}
void notesleep(note* n) {
    while (__atomic_load_n(&n->key, __ATOMIC_ACQUIRE) == 0) futexsleep(&n->key, 0);
}

}  // namespace runtime
