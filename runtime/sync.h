// sync.h — package sync's Mutex, WaitGroup and Once, and time.Sleep, for
// goroutines: blocking parks the goroutine (semacquire), never the thread.
//
// Go counterparts: src/sync/mutex.go, waitgroup.go, once.go; src/time/sleep.go
// https://github.com/golang/go/blob/go1.22.0/src/sync/mutex.go
//
// The algorithms are Go's: Mutex with its normal and starvation modes (a
// waiter that waited over 1 ms makes the mutex hand ownership directly to the
// next waiter), WaitGroup as a 64-bit state (counter << 32 | waiters) plus a
// semaphore. Go's messages: `fatal error: sync: unlock of unlocked mutex`
// (fatal, exit 2), panics `sync: negative WaitGroup counter`, ...
// Lock spins a little before parking, as Go's does, when the runtime says it
// can pay off (runtime::sync_runtime_canSpin, proc_runq.cc: several Ps, one
// of them running the holder, perhaps).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>

#include "runtime.h"

namespace gort {
namespace sync {

/// A goroutine mutual exclusion lock; the zero value is unlocked.
/// @gosrc{../sync/mutex.go,Mutex}
class Mutex {
public:
    /// Locks m, parking the goroutine while another holds it.
    /// Runs on: g. @gosrc{../sync/mutex.go,Mutex.Lock}
    void Lock() {
        // Fast path: grab unlocked mutex.
        int32_t old = 0;
        if (state_.compare_exchange_strong(old, mutexLocked)) return;
        lockSlow();
    }

    /// Tries to lock m without blocking. @gosrc{../sync/mutex.go,Mutex.TryLock}
    bool TryLock() {
        int32_t old = state_.load();
        if (old & (mutexLocked | mutexStarving)) return false;
        return state_.compare_exchange_strong(old, old | mutexLocked);
    }

    /// Unlocks m. Unlocking an unlocked Mutex is a fatal error, as in Go.
    /// Runs on: g. @gosrc{../sync/mutex.go,Mutex.Unlock}
    void Unlock() {
        // Fast path: drop lock bit.
        int32_t n = state_.fetch_add(-mutexLocked) - mutexLocked;
        if (n != 0) unlockSlow(n);
    }

    // BasicLockable, so std::lock_guard<gort::sync::Mutex> works.
    void lock() { Lock(); }
    void unlock() { Unlock(); }

private:
    static constexpr int32_t mutexLocked = 1;  // mutex is locked
    static constexpr int32_t mutexWoken = 2;
    static constexpr int32_t mutexStarving = 4;
    static constexpr int mutexWaiterShift = 3;
    static constexpr int64_t starvationThresholdNs = 1000000;

    /// Lock's contended part. While the mutex is locked (in normal mode) and
    /// the runtime says it can pay off, spins a few rounds; then queues on
    /// sema_ and parks. A woken waiter competes with new arrivals (normal
    /// mode) unless it waited over 1 ms: then it switches the mutex to
    /// starvation mode, where Unlock hands it straight to the first waiter.
    /// mutexWoken tells Unlock that a goroutine is already awake to take the
    /// mutex (a woken waiter, or a spinner that set it when there were
    /// waiters), so Unlock wakes no other; that goroutine (awoke) clears the
    /// bit with the CAS that takes the mutex or queues it again.
    /// Runs on: g. @gosrc{../sync/mutex.go,Mutex.lockSlow}
    void lockSlow() {
        int64_t waitStartTime = 0;
        bool starving = false, awoke = false;
        int iter = 0;
        int32_t old = state_.load();
        for (;;) {
            // Don't spin in starvation mode, ownership is handed off to waiters
            // so we won't be able to acquire the mutex anyway.
            if ((old & (mutexLocked | mutexStarving)) == mutexLocked &&
                runtime::sync_runtime_canSpin(iter)) {
                // Active spinning makes sense.
                // Try to set mutexWoken flag to inform Unlock
                // to not wake other blocked goroutines.
                if (!awoke && (old & mutexWoken) == 0 && (old >> mutexWaiterShift) != 0 &&
                    state_.compare_exchange_strong(old, old | mutexWoken))
                    awoke = true;
                runtime::sync_runtime_doSpin();
                iter++;
                old = state_.load();
                continue;
            }
            int32_t next = old;
            // Don't try to acquire starving mutex, new arriving goroutines must queue.
            if ((old & mutexStarving) == 0) next |= mutexLocked;
            if (old & (mutexLocked | mutexStarving)) next += 1 << mutexWaiterShift;
            // The current goroutine switches mutex to starvation mode.
            if (starving && (old & mutexLocked)) next |= mutexStarving;
            if (awoke) {
                // The goroutine has been woken from sleep, so we need to reset the flag.
                if ((next & mutexWoken) == 0) runtime::throw_("sync: inconsistent mutex state");
                next &= ~mutexWoken;
            }
            if (state_.compare_exchange_strong(old, next)) {
                if ((old & (mutexLocked | mutexStarving)) == 0) break;  // locked the mutex with CAS
                // If we were already waiting before, queue at the front of the queue.
                bool queueLifo = waitStartTime != 0;
                if (waitStartTime == 0) waitStartTime = runtime::nanotime();
                runtime::semacquire1(&sema_, queueLifo, runtime::waitReasonSyncMutexLock);
                starving = starving || runtime::nanotime() - waitStartTime > starvationThresholdNs;
                old = state_.load();
                if (old & mutexStarving) {
                    // Ownership was handed off to us; the mutex is ours.
                    if ((old & (mutexLocked | mutexWoken)) || (old >> mutexWaiterShift) == 0)
                        runtime::throw_("sync: inconsistent mutex state");
                    int32_t delta = int32_t(mutexLocked - (1 << mutexWaiterShift));
                    // Exit starvation mode if we are the last waiter or did not wait long.
                    if (!starving || (old >> mutexWaiterShift) == 1) delta -= mutexStarving;
                    state_.fetch_add(delta);
                    break;
                }
                awoke = true;
                iter = 0;
            } else {
                old = state_.load();
            }
        }
    }

    void unlockSlow(int32_t n) {
        if (((n + mutexLocked) & mutexLocked) == 0) runtime::fatal("sync: unlock of unlocked mutex");
        if ((n & mutexStarving) == 0) {
            int32_t old = n;
            for (;;) {
                // If there are no waiters or a goroutine has already been woken
                // or grabbed the lock, no need to wake anyone.
                if ((old >> mutexWaiterShift) == 0 || (old & (mutexLocked | mutexWoken | mutexStarving)))
                    return;
                // Grab the right to wake someone.
                int32_t next = (old - (1 << mutexWaiterShift)) | mutexWoken;
                if (state_.compare_exchange_strong(old, next)) {
                    runtime::semrelease1(&sema_, false);
                    return;
                }
                old = state_.load();
            }
        } else {
            // Starving mode: handoff mutex ownership to the next waiter.
            runtime::semrelease1(&sema_, true);
        }
    }

    std::atomic<int32_t> state_{0};
    uint32_t sema_ = 0;
};

/// Waits for a collection of goroutines to finish: Add(n), Done() in each,
/// Wait() to park until the counter is zero. @gosrc{../sync/waitgroup.go,WaitGroup}
class WaitGroup {
public:
    /// Adds delta (which may be negative) to the counter; when it reaches
    /// zero, all goroutines blocked in Wait are released. A negative counter
    /// panics. Runs on: g. @gosrc{../sync/waitgroup.go,WaitGroup.Add}
    void Add(int delta) {
        uint64_t state = state_.fetch_add(uint64_t(int64_t(delta)) << 32) + (uint64_t(int64_t(delta)) << 32);
        int32_t v = int32_t(state >> 32);
        uint32_t w = uint32_t(state);
        if (v < 0) throw std::runtime_error("sync: negative WaitGroup counter");
        if (w != 0 && delta > 0 && v == delta)
            throw std::runtime_error("sync: WaitGroup misuse: Add called concurrently with Wait");
        if (v > 0 || w == 0) return;
        // Counter is 0 and there are waiters: release them all.
        if (state_.load() != state)
            throw std::runtime_error("sync: WaitGroup misuse: Add called concurrently with Wait");
        state_.store(0);
        for (; w != 0; w--) runtime::semrelease1(&sema_, false);
    }

    /// Decrements the counter by one. @gosrc{../sync/waitgroup.go,WaitGroup.Done}
    void Done() { Add(-1); }

    /// Parks until the counter is zero. Runs on: g. @gosrc{../sync/waitgroup.go,WaitGroup.Wait}
    void Wait() {
        for (;;) {
            uint64_t state = state_.load();
            if (int32_t(state >> 32) == 0) return;  // Counter is 0, no need to wait.
            // Increment waiters count.
            if (state_.compare_exchange_strong(state, state + 1)) {
                runtime::semacquire1(&sema_, false, runtime::waitReasonSemacquire);
                if (state_.load() != 0)
                    throw std::runtime_error("sync: WaitGroup is reused before previous Wait has returned");
                return;
            }
        }
    }

private:
    std::atomic<uint64_t> state_{0};  // high 32 bits are counter, low 32 bits are waiter count.
    uint32_t sema_ = 0;
};

/// Performs exactly one action. @gosrc{../sync/once.go,Once}
class Once {
public:
    /// Calls f if and only if Do is being called for the first time for this
    /// Once; other callers park until f has returned. Runs on: g.
    /// @gosrc{../sync/once.go,Once.Do}
    template <class F>
    void Do(F&& f) {
        if (done_.load(std::memory_order_acquire) == 0) doSlow(std::forward<F>(f));
    }

private:
    template <class F>
    void doSlow(F&& f) {
        m_.Lock();
        struct unlocker {
            Mutex& m;
            ~unlocker() { m.Unlock(); }
        } u{m_};
        if (done_.load() == 0) {
            struct setdone {
                std::atomic<uint32_t>& d;
                ~setdone() { d.store(1, std::memory_order_release); }
            } s{done_};
            f();
        }
    }

    std::atomic<uint32_t> done_{0};
    Mutex m_;
};

}  // namespace sync

namespace time {

/// Go's time.Sleep: parks the goroutine for at least d; its M runs others.
/// Runs on: g. @gosrc{time.go,timeSleep}
template <class Rep, class Period>
void Sleep(std::chrono::duration<Rep, Period> d) {
    runtime::timeSleep(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

}  // namespace time
}  // namespace gort
