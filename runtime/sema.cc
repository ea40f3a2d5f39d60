// sema.cc — semaphores for goroutines: semacquire/semrelease, the blocking
// primitive under sync.Mutex and sync.WaitGroup.
//
// Go counterpart: src/runtime/sema.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/sema.go
//
// A semaphore is a uint32 counter somewhere in user memory. semacquire
// decrements it, parking the goroutine while it is zero; semrelease
// increments it and readies one waiter. Waiters live in a table of 251
// semaRoots hashed by address, as in Go.
//
// Differs from Go: each semaRoot keeps its waiters in one FIFO list (LIFO
// insert on request) instead of Go's treap of per-address lists — the order
// per address is the same, the search is linear in the waiters of a bucket.
// No handoff ticket spin: handoff=true hands the count straight to the
// woken waiter, as Go's does.
#include "runtime.h"

namespace runtime {

/// A bucket of the semaphore table. @gosrc{sema.go,semaRoot}
struct semaRoot {
    mutex lock;
    sudog* head;             ///< waiters, in wake-up order
    sudog* tail;
    std::atomic<uint32_t> nwait;  ///< Number of waiters. Read w/o the lock.
};

static constexpr int semTabSize = 251;
static semaRoot semtable[semTabSize];

/// The root for addr. Runs on: g. @gosrc{sema.go,semTable.rootFor}
static semaRoot* rootFor(uint32_t* addr) {
    return &semtable[(reinterpret_cast<uintptr_t>(addr) >> 3) % semTabSize];
}

/// Takes one from *addr if it is positive (a CAS loop, no lock).
/// Runs on: g. @gosrc{sema.go,cansemacquire}
static bool cansemacquire(uint32_t* addr) {
    for (;;) {
        uint32_t v = __atomic_load_n(addr, __ATOMIC_ACQUIRE);
        if (v == 0) return false;
        if (__atomic_compare_exchange_n(addr, &v, v - 1, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            return true;
    }
}

/// Adds s (waiting on addr) to root: at the tail, or at the head if lifo.
/// root.lock must be held. Runs on: g. @gosrc{sema.go,semaRoot.queue}
static void queue(semaRoot* root, uint32_t* addr, sudog* s, bool lifo) {
    s->elem = addr;
    s->next = nullptr;
    s->prev = nullptr;
    s->ticket = 0;
    if (root->head == nullptr) {
        root->head = root->tail = s;
    } else if (lifo) {
        s->next = root->head;
        root->head->prev = s;
        root->head = s;
    } else {
        s->prev = root->tail;
        root->tail->next = s;
        root->tail = s;
    }
}

/// Removes and returns the first waiter on addr, or nullptr.
/// root.lock must be held. Runs on: g. @gosrc{sema.go,semaRoot.dequeue}
static sudog* dequeue(semaRoot* root, uint32_t* addr) {
    for (sudog* s = root->head; s != nullptr; s = s->next) {
        if (s->elem != addr) continue;
        if (s->prev) s->prev->next = s->next; else root->head = s->next;
        if (s->next) s->next->prev = s->prev; else root->tail = s->prev;
        s->next = s->prev = nullptr;
        s->elem = nullptr;
        return s;
    }
    return nullptr;
}

/// Waits until *addr > 0, then decrements it. lifo queues the goroutine at
/// the head of the waiters (sync.Mutex's starving waiters do).
/// Runs on: g. @gosrc{sema.go,semacquire1}
void semacquire1(uint32_t* addr, bool lifo, waitReason reason) {
    g* gp = getg();
    if (gp != gp->m->curg) throw_("semacquire not on the G stack");

    // Easy case.
    if (cansemacquire(addr)) return;

    // Harder case:
    //	increment waiter count
    //	try cansemacquire one more time, return if succeeded
    //	enqueue itself as a waiter
    //	sleep
    //	(waiter descriptor is dequeued by signaler)
    sudog* s = acquireSudog();
    semaRoot* root = rootFor(addr);
    for (;;) {
        lock(&root->lock);
        // Add ourselves to nwait to disable "easy case" in semrelease.
        root->nwait.fetch_add(1);
        // Check cansemacquire to avoid missed wakeup.
        if (cansemacquire(addr)) {
            root->nwait.fetch_sub(1);
            unlock(&root->lock);
            break;
        }
        // Any semrelease after the cansemacquire knows we're waiting
        // (we set nwait above), so go to sleep.
        s->g = gp;
        queue(root, addr, s, lifo);
        goparkunlock(&root->lock, reason);
        if (s->ticket != 0 || cansemacquire(addr)) break;
    }
    s->g = nullptr;
    releaseSudog(s);
}

/// Increments *addr and wakes one waiter on it, if any. handoff gives the
/// count directly to the woken waiter. Runs on: g. @gosrc{sema.go,semrelease1}
void semrelease1(uint32_t* addr, bool handoff) {
    semaRoot* root = rootFor(addr);
    __atomic_fetch_add(addr, 1, __ATOMIC_RELEASE);

    // Easy case: no waiters?
    // This check must happen after the xadd, to avoid a missed wakeup.
    if (root->nwait.load() == 0) return;

    // Harder case: search for a waiter and wake it.
    lock(&root->lock);
    if (root->nwait.load() == 0) {
        // The count is already consumed by another goroutine,
        // so no need to wake up another goroutine.
        unlock(&root->lock);
        return;
    }
    sudog* s = dequeue(root, addr);
    if (s != nullptr) root->nwait.fetch_sub(1);
    unlock(&root->lock);
    if (s != nullptr) {  // May be slow or even yield, so unlock first
        if (handoff && cansemacquire(addr)) s->ticket = 1;
        goready(s->g);
    }
}

}  // namespace runtime
