// go.h — gort's user-facing API: the go statement and package runtime's
// exported functions.
//
// A gort program defines `void main_main()` (Go's main.main) and links the
// gort library, whose main() starts the runtime and runs main_main as
// goroutine 1. The process exits when main_main returns, whatever other
// goroutines are doing — as in Go.
//
//   #include <gort/go.h>
//   void main_main() {
//       gort::go([] { std::puts("hello from goroutine 2"); });
//       runtime::Gosched();   // let it run
//   }
//
// Go counterparts: the go statement (cmd/compile turns it into newproc), and
// runtime.Gosched, runtime.Goexit, runtime.NumGoroutine.
// https://github.com/golang/go/blob/go1.22.0/src/runtime/proc.go (newproc)
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "runtime.h"

namespace runtime {

/// A go statement's closure holding the C++ callable F. Its code runs as the
/// goroutine's first frame: it calls f, destroys it, and returns into goexit.
/// A Goexit inside f unwinds to here (destructors run), then the goroutine
/// ends normally. Any other exception is deliberately not caught: it reaches
/// goexit, the end of the stack, and becomes Go's unrecovered panic
/// (panic.cc) with the throwing frames intact.
/// @gortonly{Go's compiler writes the closure of a go statement}
template <class F>
struct goclosure : gofunc {
    F f;

    /// Wraps callable; newproc1 then moves the whole closure onto the new
    /// goroutine's stack (relocate). Runs on: the caller of go().
    /// @gortonly{see goclosure}
    explicit goclosure(F&& callable) : f(std::move(callable)) {
        this->fn = &call;
        this->size = sizeof(goclosure);
        this->align = alignof(goclosure);
        this->relocate = &move;
    }

    /// The goroutine's first frame: calls f, then destroys the closure.
    /// Returns into goexit. Runs on: g (the new goroutine). @gortonly{see goclosure}
    static void call(funcval* fv) {
        asanlanded();  // ASan: the first gogo into this g ends here (asan.h)
        auto* c = static_cast<goclosure*>(fv);
        try {
            c->f();
        } catch (goexitUnwind&) {
        }
        c->~goclosure();
    }

    /// Move-constructs the closure at `to` (the new stack's top), leaving
    /// `from` to be destroyed by go(). Runs on: g0 (inside newproc1).
    /// @gortonly{see goclosure}
    static void move(gofunc* from, void* to) {
        new (to) goclosure(std::move(static_cast<goclosure*>(from)->f));
    }
};

}  // namespace runtime

namespace gort {

/// Closures bigger than this go on the heap rather than the new goroutine's
/// stack (a pointer to them goes on the stack).
inline constexpr std::size_t maxStackClosure = 1024;

/// The go statement: runs f() in a new goroutine. f is moved (or copied)
/// into the goroutine; it must be callable with no arguments.
/// Runs on: g (or g0 before the scheduler starts). @gosrc{proc.go,newproc}
template <class F>
__attribute__((always_inline)) inline void go(F&& f) {
    using Fn = std::decay_t<F>;
    static_assert(std::is_invocable_v<Fn&>, "gort::go needs a callable taking no arguments");
    if constexpr (sizeof(Fn) + sizeof(runtime::gofunc) > maxStackClosure) {
        auto boxed = [p = std::make_unique<Fn>(std::forward<F>(f))] { (*p)(); };
        runtime::goclosure<decltype(boxed)> c(std::move(boxed));
        runtime::newproc(&c);
    } else {
        runtime::goclosure<Fn> c(Fn(std::forward<F>(f)));
        runtime::newproc(&c);
    }
}

/// Ends the process at once with the given status. Runs on: g (or g0).
/// Go: os.Exit (package os).
[[noreturn]] inline void Exit(int code) {
    runtime::exit(code);
}

/// Returns the program's command-line arguments. Runs on: any stack.
/// Go: os.Args (package os).
inline const std::vector<const char*>& Args() {
    return runtime::argslice;
}

}  // namespace gort
