// select.cc — the select statement: selectgo.
//
// Go counterpart: src/runtime/select.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/select.go
//
// selectgo, as Go's, in three passes:
//   1. look for a case that can proceed now, in a random poll order (so no
//      case starves);
//   2. if none (and no default), enqueue a sudog on every channel and park
//      with waitReasonSelect;
//   3. when woken, dequeue the sudogs of the cases that lost.
// Channel locks are always taken in one global order (channel address, the
// lock order), which is what keeps two selects on the same channels from
// deadlocking each other.
#include "runtime.h"

namespace runtime {

/// Locks the channels of the cases in lock order, each once.
/// Runs on: g. @gosrc{select.go,sellock}
static void sellock(scase* scases, const uint16_t* lockorder, int n) {
    hchan* c = nullptr;
    for (int i = 0; i < n; i++) {
        hchan* c0 = scases[lockorder[i]].c;
        if (c0 != c) {
            c = c0;
            lock(&c->lock);
        }
    }
}

/// Unlocks them in reverse order, each once. We must be very careful here to
/// not touch sel after we have unlocked the last lock, because sel can be
/// freed right after the last unlock (Go's comment).
/// Runs on: g. @gosrc{select.go,selunlock}
static void selunlock(scase* scases, const uint16_t* lockorder, int n) {
    for (int i = n - 1; i >= 0; i--) {
        hchan* c = scases[lockorder[i]].c;
        if (i > 0 && c == scases[lockorder[i - 1]].c) continue;  // will unlock it on the next iteration
        unlock(&c->lock);
    }
}

/// selunlock's arguments, for selunlockf. @gortonly{a C++ callback's argument}
struct selunlockarg {
    scase* scases;
    const uint16_t* lockorder;
    int n;
};

/// selunlock as an unlock callback for throws made with the select's locks
/// held. Runs on: g. @gortonly{a C++ callback around selunlock}
static void selunlockf(void* arg) {
    auto* a = static_cast<selunlockarg*>(arg);
    selunlock(a->scases, a->lockorder, a->n);
}

/// gopark's unlockf for a blocking select: unlocks every channel (gp.waiting
/// is sorted in lock order). Runs on: g0. @gosrc{select.go,selparkcommit}
static bool selparkcommit(g* gp, void*) {
    hchan* lastc = nullptr;
    for (sudog* sg = gp->waiting; sg != nullptr; sg = sg->waitlink) {
        // Unlock each channel once, after its last sudog, since sudogs of
        // the same channel are adjacent in lock order.
        if (sg->c != lastc && lastc != nullptr) unlock(&lastc->lock);
        lastc = sg->c;
    }
    if (lastc != nullptr) unlock(&lastc->lock);
    return true;
}

/// Blocks the goroutine forever: select {} with no cases.
/// Runs on: g. @gosrc{select.go,block}
void block() {
    gopark(nullptr, nullptr, waitReasonSelectNoCases);  // forever
    throw_("unreachable");
}

/// Implements select: cas0 holds nsends send cases followed by nrecvs
/// receive cases (nil channels never proceed); order0 has room for
/// 2*(nsends+nrecvs) indices. Returns the chosen case's index (-1 if block is
/// false and none could proceed: the default case) and, for a receive,
/// whether a value was received. Runs on: g. @gosrc{select.go,selectgo}
std::pair<int, bool> selectgo(scase* cas0, uint16_t* order0, int nsends, int nrecvs, bool block) {
    int ncases = nsends + nrecvs;
    scase* scases = cas0;
    uint16_t* pollorder = order0;
    uint16_t* lockorder = order0 + ncases;

    // generate permuted order
    int norder = 0;
    for (int i = 0; i < ncases; i++) {
        scase* cas = &scases[i];
        // Omit cases without channels from the poll and lock orders.
        if (cas->c == nullptr) {
            cas->elem = nullptr;
            continue;
        }
        uint32_t j = cheaprandn(uint32_t(norder + 1));
        pollorder[norder] = pollorder[j];
        pollorder[j] = uint16_t(i);
        norder++;
    }

    // sort the cases by Hchan address to get the locking order.
    // simple heap sort, to guarantee n log n time and constant stack footprint.
    auto key = [&](uint16_t k) { return reinterpret_cast<uintptr_t>(scases[k].c); };
    for (int i = 0; i < norder; i++) {
        int j = i;
        // Start with the pollorder to permute cases on the same channel.
        uintptr_t c = key(pollorder[i]);
        while (j > 0 && key(lockorder[(j - 1) / 2]) < c) {
            int k = (j - 1) / 2;
            lockorder[j] = lockorder[k];
            j = k;
        }
        lockorder[j] = pollorder[i];
    }
    for (int i = norder - 1; i >= 0; i--) {
        uint16_t o = lockorder[i];
        uintptr_t c = key(o);
        lockorder[i] = lockorder[0];
        int j = 0;
        for (;;) {
            int k = j * 2 + 1;
            if (k >= i) break;
            if (k + 1 < i && key(lockorder[k]) < key(lockorder[k + 1])) k++;
            if (c < key(lockorder[k])) {
                lockorder[j] = lockorder[k];
                j = k;
                continue;
            }
            break;
        }
        lockorder[j] = o;
    }

    // lock all the channels involved in the select
    sellock(scases, lockorder, norder);
    selunlockarg ua{scases, lockorder, norder};

    int casi;
    scase* cas;
    hchan* c;
    sudog* sg;
    bool caseSuccess;
    bool recvOK = false;
    void* qp;

    // pass 1 - look for something already waiting
    for (int n = 0; n < norder; n++) {
        casi = pollorder[n];
        cas = &scases[casi];
        c = cas->c;
        if (casi >= nsends) {
            sg = c->sendq.dequeue();
            if (sg != nullptr) goto recv;
            if (c->qcount > 0) goto bufrecv;
            if (c->closed != 0) goto rclose;
        } else {
            if (c->closed != 0) goto sclose;
            sg = c->recvq.dequeue();
            if (sg != nullptr) goto send;
            if (c->qcount < c->dataqsiz) goto bufsend;
        }
    }

    if (!block) {
        selunlock(scases, lockorder, norder);
        return {-1, false};
    }

    {
        // pass 2 - enqueue on all chans
        g* gp = getg();
        if (gp->waiting != nullptr) throw_("gp.waiting != nil");
        sudog** nextp = &gp->waiting;
        for (int n = 0; n < norder; n++) {
            casi = lockorder[n];
            cas = &scases[casi];
            c = cas->c;
            sudog* s = acquireSudog();
            s->g = gp;
            s->isSelect = true;
            // No stack splits between assigning elem and enqueuing sg on
            // gp.waiting where copystack can find it (Go's comment).
            s->elem = cas->elem;
            s->c = c;
            // Construct waiting list in lock order.
            *nextp = s;
            nextp = &s->waitlink;
            if (casi < nsends)
                c->sendq.enqueue(s);
            else
                c->recvq.enqueue(s);
        }

        // wait for someone to wake us up
        gp->param = nullptr;
        gopark(selparkcommit, nullptr, waitReasonSelect);

        sellock(scases, lockorder, norder);

        gp->selectDone.store(0);
        sg = static_cast<sudog*>(gp->param);
        gp->param = nullptr;

        // pass 3 - dequeue from unsuccessful chans
        // otherwise they stack up on quiet channels
        // record the successful case, if any.
        // We singly-linked up the SudoGs in lock order.
        casi = -1;
        cas = nullptr;
        caseSuccess = false;
        sudog* sglist = gp->waiting;
        // Clear all elem before unlinking from gp.waiting.
        for (sudog* sg1 = gp->waiting; sg1 != nullptr; sg1 = sg1->waitlink) {
            sg1->isSelect = false;
            sg1->elem = nullptr;
            sg1->c = nullptr;
        }
        gp->waiting = nullptr;

        for (int n = 0; n < norder; n++) {
            uint16_t casei = lockorder[n];
            scase* k = &scases[casei];
            if (sg == sglist) {
                // sg has already been dequeued by the G that woke us up.
                casi = int(casei);
                cas = k;
                caseSuccess = sglist->success;
            } else {
                c = k->c;
                if (int(casei) < nsends)
                    c->sendq.dequeueSudoG(sglist);
                else
                    c->recvq.dequeueSudoG(sglist);
            }
            sudog* sgnext = sglist->waitlink;
            sglist->waitlink = nullptr;
            releaseSudog(sglist);
            sglist = sgnext;
        }

        if (cas == nullptr) throw_("selectgo: bad wakeup");
        c = cas->c;
        if (casi < nsends) {
            if (!caseSuccess) goto sclose;
        } else {
            recvOK = caseSuccess;
        }
        selunlock(scases, lockorder, norder);
        return {casi, recvOK};
    }

bufrecv:
    // can receive from buffer
    recvOK = true;
    qp = static_cast<char*>(c->buf) + c->recvx * c->elemsize;
    if (cas->elem != nullptr) c->elemtype->move(cas->elem, qp);
    c->elemtype->destroy(qp);
    if (++c->recvx == c->dataqsiz) c->recvx = 0;
    __atomic_store_n(&c->qcount, c->qcount - 1, __ATOMIC_RELAXED);  // chanlen reads it unlocked
    selunlock(scases, lockorder, norder);
    return {casi, recvOK};

bufsend:
    // can send to buffer
    c->elemtype->move(static_cast<char*>(c->buf) + c->sendx * c->elemsize, cas->elem);
    if (++c->sendx == c->dataqsiz) c->sendx = 0;
    __atomic_store_n(&c->qcount, c->qcount + 1, __ATOMIC_RELAXED);  // chanlen reads it unlocked
    selunlock(scases, lockorder, norder);
    return {casi, false};

recv:
    // can receive from sleeping sender (sg)
    runtime::recv(c, sg, cas->elem, selunlockf, &ua);
    return {casi, true};

rclose:
    // read at end of closed channel
    selunlock(scases, lockorder, norder);
    if (cas->elem != nullptr) c->elemtype->zero(cas->elem);
    return {casi, false};

send:
    // can send to a sleeping receiver (sg)
    runtime::send(c, sg, cas->elem, selunlockf, &ua);
    return {casi, false};

sclose:
    // send on closed channel
    selunlock(scases, lockorder, norder);
    throw plainError("send on closed channel");
}

}  // namespace runtime
