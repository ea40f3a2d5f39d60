// chan.h — Go's channels and select for C++: gort::chan<T>, gort::select.
//
// Go counterparts: the chan type and the select statement (the compiler
// lowers them to runtime.makechan, chansend1, chanrecv1/2, closechan and
// selectgo, in src/runtime/chan.go and select.go)
// https://github.com/golang/go/blob/go1.22.0/src/runtime/chan.go
//
//   gort::chan<int> ch;             // var ch chan int        (nil: blocks forever)
//   auto ch = gort::make_chan<int>(); // ch := make(chan int)
//   auto ch = gort::make_chan<int>(8);// ch := make(chan int, 8)
//   ch.send(42);                    // ch <- 42
//   int v = ch.recv();              // v := <-ch
//   auto [v, ok] = ch.recv2();      // v, ok := <-ch
//   ch.close();                     // close(ch)
//   for (int v : ch) ...            // for v := range ch
//   gort::select(                   // select {
//       gort::recv(ch, [&](int v, bool ok) { ... }),   // case v, ok := <-ch:
//       gort::send(out, 7, [&] { ... }),               // case out <- 7:
//       gort::otherwise([&] { ... }));                 // default:
//
// A chan<T> is a reference, like Go's: copies share the channel; the last
// copy frees it. Values are moved in and out, never copied, so move-only
// types work; T must be default-constructible (the zero value a receive from
// a closed channel returns). Misuse throws Go's panics ("send on closed
// channel", "close of closed channel", "close of nil channel").
#pragma once

#include <memory>
#include <new>
#include <tuple>
#include <type_traits>
#include <utility>

#include "runtime.h"

namespace gort {

namespace detail {

/// The runtime's view of T (Go: the element *_type).
template <class T>
const runtime::chantype* chantypeof() {
    static const runtime::chantype t = {
        sizeof(T), alignof(T),
        [](void* dst, void* src) { new (dst) T(std::move(*static_cast<T*>(src))); },
        [](void* p) { static_cast<T*>(p)->~T(); },
        [](void* dst) { new (dst) T{}; },
    };
    return &t;
}

/// Raw storage for one T that the runtime constructs into.
template <class T>
struct slot {
    alignas(T) unsigned char buf[sizeof(T)];
    void* ptr() { return buf; }
    T take() {
        T* p = std::launder(reinterpret_cast<T*>(buf));
        T v(std::move(*p));
        p->~T();
        return v;
    }
};

}  // namespace detail

/// Go's chan T. @gosrc{chan.go,hchan}
template <class T>
class chan {
    static_assert(std::is_default_constructible_v<T>, "chan<T> needs T{} as its zero value");
    static_assert(std::is_move_constructible_v<T>, "chan<T> moves values in and out");

public:
    /// A nil channel: sends and receives block forever, close panics.
    chan() = default;

    /// make(chan T, size). @gosrc{chan.go,makechan}
    explicit chan(int64_t size)
        : c_(runtime::makechan(detail::chantypeof<T>(), size), runtime::freechan) {}

    /// ch <- v. Blocks until a receiver takes it (or there is buffer room).
    /// @gosrc{chan.go,chansend1}
    void send(T v) const { runtime::chansend(c_.get(), &v, true, getcallerpc()); }

    /// v := <-ch. The zero value if the channel is closed and drained.
    /// @gosrc{chan.go,chanrecv1}
    T recv() const { return recv2().first; }

    /// v, ok := <-ch. ok is false if the channel is closed and drained.
    /// @gosrc{chan.go,chanrecv2}
    std::pair<T, bool> recv2() const {
        detail::slot<T> s;
        auto [selected, ok] = runtime::chanrecv(c_.get(), s.ptr(), true);
        (void)selected;
        return {s.take(), ok};
    }

    /// close(ch). @gosrc{chan.go,closechan}
    void close() const { runtime::closechan(c_.get()); }

    /// len(ch), cap(ch). @gosrc{chan.go,reflect_chanlen}
    int len() const { return runtime::chanlen(c_.get()); }
    int cap() const { return runtime::chancap(c_.get()); }

    runtime::hchan* raw() const { return c_.get(); }
    explicit operator bool() const { return c_ != nullptr; }
    friend bool operator==(const chan& a, const chan& b) { return a.c_ == b.c_; }

    /// for v := range ch: receives until the channel is closed and drained.
    class iterator {
    public:
        iterator() = default;
        explicit iterator(const chan* c) : c_(c) { ++*this; }
        T& operator*() { return v_; }
        iterator& operator++() {
            auto [v, ok] = c_->recv2();
            v_ = std::move(v);
            if (!ok) c_ = nullptr;
            return *this;
        }
        bool operator!=(const iterator& o) const { return c_ != o.c_; }

    private:
        const chan* c_ = nullptr;
        T v_{};
    };
    iterator begin() const { return iterator(this); }
    iterator end() const { return iterator(); }

private:
    std::shared_ptr<runtime::hchan> c_;
};

/// make(chan T, size).
template <class T>
chan<T> make_chan(int64_t size = 0) {
    return chan<T>(size);
}

// ---- select ----

/// case v, ok := <-ch: f(v, ok) runs if this case is chosen.
template <class T, class F>
struct recvcase {
    const chan<T>& ch;
    F f;
    detail::slot<T> s;
    static constexpr bool isSend = false;
    void* elem() { return s.ptr(); }
    void run(bool ok) {
        if constexpr (std::is_invocable_v<F, T, bool>)
            f(s.take(), ok);
        else if constexpr (std::is_invocable_v<F, T>)
            f(s.take());
        else {
            s.take();
            f();
        }
    }
};

/// case ch <- v: f() runs if this case is chosen.
template <class T, class F>
struct sendcase {
    const chan<T>& ch;
    T v;
    F f;
    static constexpr bool isSend = true;
    void* elem() { return &v; }
    void run(bool) { f(); }
};

/// default: f() runs if no other case can proceed.
template <class F>
struct defaultcase {
    F f;
};

template <class T, class F>
recvcase<T, F> recv(const chan<T>& ch, F f) {
    return {ch, std::move(f), {}};
}

template <class T, class F>
sendcase<T, F> send(const chan<T>& ch, T v, F f) {
    return {ch, std::move(v), std::move(f)};
}

template <class F>
defaultcase<F> otherwise(F f) {
    return {std::move(f)};
}

namespace detail {
template <class C>
struct isdefault : std::false_type {};
template <class F>
struct isdefault<defaultcase<F>> : std::true_type {};
}  // namespace detail

/// Go's select statement over the given cases (recv, send, and at most one
/// otherwise). Blocks until one case can proceed, choosing uniformly at random
/// among those that can; with otherwise, does not block. select() with no
/// cases blocks forever (select {}). Returns the index of the chosen case
/// among the arguments. @gosrc{select.go,selectgo}
template <class... Cases>
int select(Cases... cases) {
    if constexpr (sizeof...(Cases) == 0) {
        runtime::block();
    } else {
        constexpr int ndefault = (int(detail::isdefault<Cases>::value) + ...);
        static_assert(ndefault <= 1, "select: at most one default case");
        constexpr int n = int(sizeof...(Cases)) - ndefault;
        runtime::scase scases[n > 0 ? n : 1];
        uint16_t order[2 * (n > 0 ? n : 1)];
        int argindex[n > 0 ? n : 1];  // scase position → argument position
        // Sends first, then receives, as the compiler lays them out for selectgo.
        int nsends = 0, nrecvs = 0, arg = 0;
        auto place = [&](auto& cs) {
            using C = std::decay_t<decltype(cs)>;
            if constexpr (!detail::isdefault<C>::value) {
                if constexpr (C::isSend) {
                    scases[nsends] = {cs.ch.raw(), cs.elem()};
                    argindex[nsends++] = arg;
                }
            }
            arg++;
        };
        std::apply([&](auto&... cs) { (place(cs), ...); }, std::tie(cases...));
        arg = 0;
        auto placerecv = [&](auto& cs) {
            using C = std::decay_t<decltype(cs)>;
            if constexpr (!detail::isdefault<C>::value) {
                if constexpr (!C::isSend) {
                    scases[nsends + nrecvs] = {cs.ch.raw(), cs.elem()};
                    argindex[nsends + nrecvs++] = arg;
                }
            }
            arg++;
        };
        std::apply([&](auto&... cs) { (placerecv(cs), ...); }, std::tie(cases...));
        // Not a structured binding: the lambdas below capture these, which
        // clang before 16 refuses (the fuzz build, test/fuzz, uses clang 14).
        std::pair<int, bool> sel = runtime::selectgo(scases, order, nsends, nrecvs, ndefault == 0);
        int casi = sel.first;
        bool recvOK = sel.second;
        int chosen = -1;
        arg = 0;
        auto dispatch = [&](auto& cs) {
            using C = std::decay_t<decltype(cs)>;
            if constexpr (detail::isdefault<C>::value) {
                if (casi < 0) {
                    chosen = arg;
                    cs.f();
                }
            } else {
                if (casi >= 0 && argindex[casi] == arg) {
                    chosen = arg;
                    cs.run(recvOK);
                }
            }
            arg++;
        };
        std::apply([&](auto&... cs) { (dispatch(cs), ...); }, std::tie(cases...));
        return chosen;
    }
}

}  // namespace gort
