// chan.cc — channels: hchan, send, receive, close.
//
// Go counterpart: src/runtime/chan.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/chan.go
//
// Invariants (Go's): at least one of c.sendq and c.recvq is empty, except for
// an unbuffered channel with a single goroutine blocked on it for both
// sending and receiving via select; for buffered channels, qcount > 0 implies
// recvq is empty, and qcount < dataqsiz implies sendq is empty.
//
// A goroutine that cannot proceed queues a sudog on the channel and parks
// (gopark(chanparkcommit, &c.lock, waitReasonChanSend/Receive)): the chapter's
// second mcall call site. The goroutine that completes the operation moves
// the value directly between the two stacks and goready()s it.
//
// Differs from Go: elements are C++ values, moved, never copied: the element
// type's move constructor plays typedmemmove, its destructor typedmemclr's
// clearing, and T{} the zero value a receive from a closed channel returns.
// Receivers hand the runtime raw storage; a successful chanrecv leaves a
// constructed value there. No GC: chan<T> (chan.h) frees the hchan with its
// last reference.
#include <cstdlib>
#include <new>

#include "runtime.h"

namespace runtime {

static constexpr int64_t maxAlloc = int64_t(1) << 47;
static constexpr uintptr_t hchanSize = (sizeof(hchan) + 15) & ~uintptr_t(15);

/// Creates a channel of t with room for size buffered elements.
/// Runs on: g. @gosrc{chan.go,makechan}
hchan* makechan(const chantype* t, int64_t size) {
    if (t->size >= (1 << 16)) throw_("makechan: invalid channel element type");
    if (hchanSize % t->align != 0 || t->align > 16) throw_("makechan: bad alignment");
    // Go: mem, overflow := math.MulUintptr(elem.Size_, uintptr(size)).
    if (size < 0 || (t->size != 0 && size > (maxAlloc - int64_t(hchanSize)) / int64_t(t->size)))
        throw plainError("makechan: size out of range");
    // Go allocates hchan and buf in one call when elements hold no pointers;
    // gort always does (nothing is scanned).
    void* mem = std::aligned_alloc(16, (hchanSize + t->size * uint64_t(size) + 15) & ~uintptr_t(15));
    if (mem == nullptr) throw_("out of memory");
    auto* c = new (mem) hchan{};
    c->buf = static_cast<char*>(mem) + hchanSize;
    c->elemsize = uint16_t(t->size);
    c->elemtype = t;
    c->dataqsiz = uintptr_t(size);
    return c;
}

/// Frees c, destroying any values still buffered. Runs on: any stack.
/// @gortonly{Go's GC frees channels}
void freechan(hchan* c) {
    if (c == nullptr) return;
    for (uintptr_t i = 0, x = c->recvx; i < c->qcount; i++, x = (x + 1) % c->dataqsiz)
        c->elemtype->destroy(static_cast<char*>(c->buf) + x * c->elemsize);
    c->~hchan();
    std::free(c);
}

/// The address of the i-th slot of the buffer. c.lock must be held.
/// Runs on: g. @gosrc{chan.go,chanbuf}
static void* chanbuf(hchan* c, uintptr_t i) {
    return static_cast<char*>(c->buf) + i * c->elemsize;
}

/// Reports whether a send on c would block (that is, the channel is full).
/// Runs on: g. @gosrc{chan.go,full}
static bool full(hchan* c) {
    // c.dataqsiz is immutable (never written after the channel is created)
    // so it is safe to read at any time during channel operation.
    if (c->dataqsiz == 0) {
        // Assumes that a pointer read is relaxed-atomic.
        return __atomic_load_n(&c->recvq.first, __ATOMIC_RELAXED) == nullptr;
    }
    // Assumes that a uint read is relaxed-atomic.
    return __atomic_load_n(&c->qcount, __ATOMIC_RELAXED) == c->dataqsiz;
}

/// gopark's unlockf for channel operations: releases c.lock once the g has
/// been marked waiting. Runs on: g0. @gosrc{chan.go,chanparkcommit}
static bool chanparkcommit(g*, void* chanLock) {
    unlock(static_cast<mutex*>(chanLock));
    return true;
}

/// Unlocks c: the unlock callback of throws made with c.lock held.
/// Runs on: g or g0. @gortonly{a C++ callback around unlock(&c.lock)}
static void unlockchan(void* c) {
    unlock(&static_cast<hchan*>(c)->lock);
}

/// Sends the value at ep on c. If block is false and no value can be sent
/// without blocking, returns false. Sending on a closed channel throws
/// plainError("send on closed channel"); sending on a nil channel blocks
/// forever. Runs on: g. @gosrc{chan.go,chansend}
/// @lab{@ref lab_chan "Lab 5: channels"}
bool chansend(hchan* c, void* ep, bool block, uintptr_t) {
    if (c == nullptr) {
        if (!block) return false;
        gopark(nullptr, nullptr, waitReasonChanSendNilChan);
        throw_("unreachable");
    }

    // Fast path: check for failed non-blocking operation without acquiring
    // the lock. (See Go's comment: a racy read that is still correct.)
    if (!block && __atomic_load_n(&c->closed, __ATOMIC_RELAXED) == 0 && full(c)) return false;

    lock(&c->lock);

    if (c->closed != 0) {
        unlock(&c->lock);
        throw plainError("send on closed channel");
    }

    // LAB(chan) BEGIN chansend, under c->lock: hand off, buffer, or block
    // TODO(lab chan): a receiver waiting in c->recvq gets the value directly
    // (send); else a free slot in the buffer takes it (sendx, qcount); else
    // a non-blocking send fails; else block: a sudog (acquireSudog) for gp
    // with elem = ep, on c->sendq, and gopark with chanparkcommit, which
    // unlocks c->lock once gp is parked. The code below runs on wake-up.
    g* gp = getg();
    sudog* mysg = nullptr;
    unlock(&c->lock);
    (void)ep, (void)block;
    throw_("lab(chan): chansend is not written yet");
    // LAB(chan) END

    // someone woke us up.
    if (mysg != gp->waiting) throw_("G waiting list is corrupted");
    gp->waiting = nullptr;
    bool closed = !mysg->success;
    gp->param = nullptr;
    mysg->c = nullptr;
    releaseSudog(mysg);
    if (closed) {
        if (c->closed == 0) throw_("chansend: spurious wakeup");
        throw plainError("send on closed channel");
    }
    return true;
}

/// Processes a send on c whose receiver sg is waiting: moves the value from
/// ep into the receiver's storage, calls unlockf, and readies the receiver.
/// c must be locked. Runs on: g. @gosrc{chan.go,send}
/// @lab{@ref lab_chan "Lab 5: channels"}
void send(hchan* c, sudog* sg, void* ep, void (*unlockf)(void*), void* arg) {
    // LAB(chan) BEGIN send: the value goes straight to the waiting receiver
    // TODO(lab chan): move the value from ep into the receiver's sg->elem
    // (if it wants one), unlock (unlockf(arg)), mark the sudog a success,
    // put it in the receiver's g.param, and make the receiver runnable.
    (void)c, (void)sg, (void)ep;
    unlockf(arg);
    throw_("lab(chan): send is not written yet");
    // LAB(chan) END
}

/// Closes c: waiting receivers get the zero value and ok == false, waiting
/// senders panic. Closing a nil or closed channel throws, with Go's words.
/// Runs on: g. @gosrc{chan.go,closechan}
void closechan(hchan* c) {
    if (c == nullptr) throw plainError("close of nil channel");

    lock(&c->lock);
    if (c->closed != 0) {
        unlock(&c->lock);
        throw plainError("close of closed channel");
    }
    c->closed = 1;

    gList glist;

    // release all readers
    while (sudog* sg = c->recvq.dequeue()) {
        if (sg->elem != nullptr) {
            c->elemtype->zero(sg->elem);  // typedmemclr
            sg->elem = nullptr;
        }
        g* gp = sg->g;
        gp->param = sg;
        sg->success = false;
        glist.push(gp);
    }

    // release all writers (they will panic)
    while (sudog* sg = c->sendq.dequeue()) {
        sg->elem = nullptr;
        g* gp = sg->g;
        gp->param = sg;
        sg->success = false;
        glist.push(gp);
    }
    unlock(&c->lock);

    // Ready all Gs now that we've dropped the channel lock.
    while (g* gp = glist.pop()) {
        gp->schedlink.v = 0;
        goready(gp);
    }
}

/// Reports whether a receive from c would block (that is, the channel is
/// empty). Runs on: g. @gosrc{chan.go,empty}
static bool empty(hchan* c) {
    if (c->dataqsiz == 0) return __atomic_load_n(&c->sendq.first, __ATOMIC_RELAXED) == nullptr;
    return __atomic_load_n(&c->qcount, __ATOMIC_RELAXED) == 0;
}

/// Receives from c into ep (raw storage for one element, or nullptr to drop
/// the value). Returns {selected, received}: a non-blocking receive that would
/// block returns {false, false}; a receive from a closed, drained channel
/// constructs the zero value and returns {true, false}; otherwise {true, true}.
/// A nil channel blocks forever. Runs on: g. @gosrc{chan.go,chanrecv}
/// @lab{@ref lab_chan "Lab 5: channels"}
std::pair<bool, bool> chanrecv(hchan* c, void* ep, bool block) {
    if (c == nullptr) {
        if (!block) return {false, false};
        gopark(nullptr, nullptr, waitReasonChanReceiveNilChan);
        throw_("unreachable");
    }

    // Fast path: check for failed non-blocking operation without acquiring the lock.
    if (!block && empty(c)) {
        // After observing that the channel is not ready for receiving, we
        // observe whether the channel is closed (Go's ordering argument).
        if (__atomic_load_n(&c->closed, __ATOMIC_ACQUIRE) == 0) return {false, false};
        // The channel is irreversibly closed. Re-check whether the channel
        // has any pending data to receive.
        if (empty(c)) {
            if (ep != nullptr) c->elemtype->zero(ep);
            return {true, false};
        }
    }

    lock(&c->lock);

    // LAB(chan) BEGIN chanrecv, under c->lock: closed, hand off, buffer, or block
    // TODO(lab chan): closed and empty: the zero value, {true, false}. A
    // sender waiting in c->sendq: recv from it. Values in the buffer: take
    // the one at recvx. Non-blocking: {false, false}. Else block on
    // c->recvq as chansend blocks on c->sendq. The code below runs on wake-up.
    g* gp = getg();
    sudog* mysg = nullptr;
    unlock(&c->lock);
    (void)ep, (void)block;
    throw_("lab(chan): chanrecv is not written yet");
    // LAB(chan) END

    // someone woke us up
    if (mysg != gp->waiting) throw_("G waiting list is corrupted");
    gp->waiting = nullptr;
    bool success = mysg->success;
    gp->param = nullptr;
    mysg->c = nullptr;
    releaseSudog(mysg);
    return {true, success};
}

/// Processes a receive on c whose sender sg is waiting. Unbuffered: the
/// value moves from the sender to ep. Full buffer: take the head of the queue
/// into ep and put the sender's value at its tail. c must be locked.
/// Runs on: g. @gosrc{chan.go,recv}
/// @lab{@ref lab_chan "Lab 5: channels"}
void recv(hchan* c, sudog* sg, void* ep, void (*unlockf)(void*), void* arg) {
    // LAB(chan) BEGIN recv: take the waiting sender's value (through the buffer if full)
    // TODO(lab chan): unbuffered: the value moves from sg->elem to ep.
    // Buffered (and so full): ep gets the head of the buffer, the sender's
    // value goes in its place, which becomes the tail. Then, as send does:
    // unlock, success, g.param, ready the sender.
    (void)c, (void)sg, (void)ep;
    unlockf(arg);
    throw_("lab(chan): recv is not written yet");
    // LAB(chan) END
}

/// len(c), read without the lock (a snapshot, as in Go). Runs on: g.
/// @gosrc{chan.go,reflect_chanlen}
int chanlen(hchan* c) {
    if (c == nullptr) return 0;
    return int(__atomic_load_n(&c->qcount, __ATOMIC_RELAXED));
}

/// cap(c). Runs on: g. @gosrc{chan.go,reflect_chancap}
int chancap(hchan* c) {
    if (c == nullptr) return 0;
    return int(c->dataqsiz);
}

/// Adds sgp at the tail of q. The channel's lock must be held.
/// Runs on: g. @gosrc{chan.go,waitq.enqueue}
void waitq::enqueue(sudog* sgp) {
    sgp->next = nullptr;
    sudog* x = last;
    if (x == nullptr) {
        sgp->prev = nullptr;
        first = sgp;
        last = sgp;
        return;
    }
    sgp->prev = x;
    x->next = sgp;
    last = sgp;
}

/// Removes and returns the first sudog of q whose goroutine can still be
/// woken: a goroutine in a select is skipped if another case already won
/// (selectDone). The channel's lock must be held. Runs on: g.
/// @gosrc{chan.go,waitq.dequeue}
sudog* waitq::dequeue() {
    for (;;) {
        sudog* sgp = first;
        if (sgp == nullptr) return nullptr;
        sudog* y = sgp->next;
        if (y == nullptr) {
            first = nullptr;
            last = nullptr;
        } else {
            y->prev = nullptr;
            first = y;
            sgp->next = nullptr;  // mark as removed (see dequeueSudoG)
        }
        // if a goroutine was put on this queue because of a select, there is
        // a small window between the goroutine being woken up by a different
        // case and it grabbing the channel locks. Once it has the lock it
        // removes itself from the queue, so we won't see it after that.
        if (sgp->isSelect) {
            uint32_t zero = 0;
            if (!sgp->g->selectDone.compare_exchange_strong(zero, 1)) continue;
        }
        return sgp;
    }
}

/// Removes sgp from q, wherever it is (select's losing cases). The
/// channel's lock must be held. Runs on: g. @gosrc{select.go,waitq.dequeueSudoG}
void waitq::dequeueSudoG(sudog* sgp) {
    sudog* x = sgp->prev;
    sudog* y = sgp->next;
    if (x != nullptr) {
        if (y != nullptr) {
            // middle of queue
            x->next = y;
            y->prev = x;
            sgp->next = nullptr;
            sgp->prev = nullptr;
            return;
        }
        // end of queue
        x->next = nullptr;
        last = x;
        sgp->prev = nullptr;
        return;
    }
    if (y != nullptr) {
        // start of queue
        y->prev = nullptr;
        first = y;
        sgp->next = nullptr;
        return;
    }
    // x==y==nil. Either sgp is the only element in the queue, or it has
    // already been removed. Use q.first to disambiguate.
    if (first == sgp) {
        first = nullptr;
        last = nullptr;
    }
}

}  // namespace runtime
