// iter.h — package iter: sequences and the pull iterators built on coroutines.
//
// Go counterpart: src/iter/iter.go (go1.23, as DESIGN.md fixes: go1.22's
// experimental Pull does not carry panics or Goexit back to the caller)
// https://github.com/golang/go/blob/go1.23.0/src/iter/iter.go
//
// A Seq<V> is a push iterator: a function that calls yield(v) for each value
// and stops early if yield returns false. Pull turns it into a pull iterator:
// next() returns the next value and true, or a zero V and false at the end;
// stop() ends the iteration early. The sequence runs in its own goroutine,
// a coroutine (runtime/coro.cc): next() is one coroswitch into the sequence,
// and the sequence's yield is one coroswitch back — no scheduler involved.
//
//   auto [next, stop] = iter::Pull<int>(count(3));
//   while (true) { auto [v, ok] = next(); if (!ok) break; use(v); }
//   stop();
//
// Semantics, as Go 1.23's:
//  * the coroutine goroutine exists (NumGoroutine counts it) from Pull until the
//    sequence returns or stop() is called;
//  * next() after the end or after stop() returns {V{}, false}; stop() is
//    idempotent;
//  * an exception thrown by the sequence is rethrown, unchanged, from the
//    next() or stop() that resumed it, on the caller's goroutine; afterwards the
//    iterator is done;
//  * a Goexit in the sequence ends the sequence and then Goexits the caller;
//  * next() called from inside the sequence throws "iter.Pull: next called
//    again before yield"; yield called when no next() is waiting throws
//    "iter.Pull: yield called again before next".
// Differs from Go: when the last copy of next and stop is destroyed without
// stop() having been called, gort calls stop() (Go leaks the blocked
// goroutine); an exception thrown by the sequence during that implicit stop is
// an unrecovered panic (destructors cannot throw).
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>

#include "runtime.h"

namespace iter {

/// Go's Seq[V]: `func(yield func(V) bool)`. @gosrc{../iter/iter.go,Seq}
template <class V>
using Seq = std::function<void(const std::function<bool(V)>& yield)>;

/// Go's Seq2[K, V]: `func(yield func(K, V) bool)`. @gosrc{../iter/iter.go,Seq2}
template <class K, class V>
using Seq2 = std::function<void(const std::function<bool(K, V)>& yield)>;

/// The panic value of iter.Pull's misuse checks: Go panics with a string, which
/// prints as `panic: <text>`; gort throws this, which prints the same.
struct PullError : std::logic_error {
    using std::logic_error::logic_error;
};

namespace detail {

/// The state Pull's next, stop and the coroutine share (Go: the variables
/// Pull's closures capture). Item is V for Pull, std::pair<K,V> for Pull2;
/// Yield is the yield function's signature's argument list.
template <class Item, class SeqT>
struct pull : runtime::corofunc {
    SeqT seq;
    runtime::coro* c;
    Item v{};
    bool ok = false;
    bool done = false;
    bool yieldNext = false;
    bool seqDone = false;        // to detect Goexit
    bool goexited = false;       // Go: panicValue == goexitPanicValue
    std::exception_ptr panicValue;

    explicit pull(SeqT s) : seq(std::move(s)) {
        fn = &body;
        c = runtime::newcoro(this);
    }

    pull(const pull&) = delete;
    pull& operator=(const pull&) = delete;

    ~pull() {
        if (!done) stop();  // gort: RAII instead of a leaked goroutine
        delete c;
    }

    /// The coroutine's body (Go: the func(c *coro) that Pull passes to
    /// newcoro): runs seq, catching what Go's deferred recover catches.
    /// Runs on: g (the coroutine's).
    static void body(runtime::corofunc* self, runtime::coro* c) {
        auto* p = static_cast<pull*>(self);
        if (p->done) return;
        try {
            p->run(c);
            p->v = Item{};
            p->ok = false;
            p->seqDone = true;
        } catch (runtime::goexitUnwind&) {
        } catch (...) {
            p->panicValue = std::current_exception();  // Recover and propagate panics from seq.
        }
        if (!p->panicValue && !p->seqDone) p->goexited = true;
        p->done = true;  // Invalidate iterator
    }

    /// Runs seq with a yield that hands each item to next() (Go: yield).
    /// Runs on: g (the coroutine's).
    void run(runtime::coro* c);

    /// One item out of the coroutine, as Go's yield does with v1: store it,
    /// coroswitch to next()'s caller, and report whether to go on.
    /// Runs on: g (the coroutine's).
    bool yieldItem(runtime::coro* co, Item item) {
        if (done) return false;
        if (!yieldNext) throw PullError("iter.Pull: yield called again before next");
        yieldNext = false;
        v = std::move(item);
        ok = true;
        runtime::coroswitch(co);
        return !done;
    }

    /// Propagate panics and goexits from seq. Runs on: g (the caller's).
    void propagate() {
        if (panicValue) std::rethrow_exception(panicValue);
        if (goexited) runtime::Goexit();  // Propagate runtime.Goexit from seq.
    }

    /// Go's next: one coroswitch into the sequence and back. Runs on: g.
    std::pair<Item, bool> next() {
        if (done) return {Item{}, false};
        if (yieldNext) throw PullError("iter.Pull: next called again before yield");
        yieldNext = true;
        runtime::coroswitch(c);
        propagate();
        return {std::move(v), ok};
    }

    /// Go's stop: marks the iterator done and lets the sequence finish.
    /// Runs on: g.
    void stop() {
        if (!done) {
            done = true;
            runtime::coroswitch(c);
            propagate();
        }
    }
};

}  // namespace detail

/// Go's iter.Pull: converts the push iterator seq into a pull iterator. Returns
/// {next, stop}: next() yields {value, true} or {V{}, false} at the end; stop()
/// ends the iteration. Runs on: g (the sequence runs on its own goroutine).
/// @gosrc{../iter/iter.go,Pull}
template <class V>
std::pair<std::function<std::pair<V, bool>()>, std::function<void()>> Pull(Seq<V> seq) {
    using state = detail::pull<V, Seq<V>>;
    auto p = std::make_shared<state>(std::move(seq));
    return {[p] { return p->next(); }, [p] { p->stop(); }};
}

/// Go's iter.Pull2: like Pull for a Seq2; next() returns {k, v, true} or
/// {K{}, V{}, false}. Runs on: g. @gosrc{../iter/iter.go,Pull2}
template <class K, class V>
std::pair<std::function<std::tuple<K, V, bool>()>, std::function<void()>> Pull2(Seq2<K, V> seq) {
    using state = detail::pull<std::pair<K, V>, Seq2<K, V>>;
    auto p = std::make_shared<state>(std::move(seq));
    return {[p] {
                auto [kv, ok] = p->next();
                return std::tuple<K, V, bool>{std::move(kv.first), std::move(kv.second), ok};
            },
            [p] { p->stop(); }};
}

namespace detail {

template <class Item, class SeqT>
void pull<Item, SeqT>::run(runtime::coro* co) {
    if constexpr (std::is_same_v<SeqT, Seq<Item>>) {
        seq([this, co](Item v1) { return yieldItem(co, std::move(v1)); });
    } else {
        using K = typename Item::first_type;
        using V = typename Item::second_type;
        seq([this, co](K k1, V v1) { return yieldItem(co, Item{std::move(k1), std::move(v1)}); });
    }
}

}  // namespace detail

}  // namespace iter
