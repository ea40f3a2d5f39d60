// test_asan.cc — the AddressSanitizer build (runtime/asan.h): ASan still finds
// a real bug inside a goroutine, and its report shows the goroutine's frames
// (ASan walks them only if it knows that the goroutine's stack is the live
// one). Without ASan the bug is not run: reading freed memory is undefined.
#include "chan.h"
#include "gorttest.h"

using namespace runtime;
using gorttest::contains;

int asantest_sink;  // not static: the read must not be optimized away

/// Reads an int from a freed array: a heap-use-after-free.
[[gnu::noinline]] void asantest_use_after_free() {
    int* volatile p = new int[4]{1, 2, 3, 4};  // volatile: no new/delete elision
    delete[] p;
    asantest_sink = p[2];
}

/// A few frames of goroutine between goexit and the bug.
[[gnu::noinline]] void asantest_goroutine_body(int depth) {
    if (depth == 0)
        asantest_use_after_free();
    else
        asantest_goroutine_body(depth - 1);
    asantest_sink++;  // not a tail call
}

GORT_CHILD(asan_use_after_free) {
    if (!asanenabled) return;
    auto done = gort::make_chan<int>();
    gort::go([done] {
        Gosched();  // resumed by a gogo, after an mcall: both annotated
        asantest_goroutine_body(2);
        done.send(0);
    });
    (void)done.recv();
}

TEST_CASE("ASan reports a heap-use-after-free in a goroutine, with its stack", "[asan]") {
    if (!asanenabled) {
        SUCCEED("not an ASan build");
        return;
    }
    auto r = gorttest::runchild("asan_use_after_free");
    INFO(r.err);
    CHECK(r.status == 1);  // ASan's exit code after a report
    CHECK(contains(r.err, "ERROR: AddressSanitizer: heap-use-after-free"));
    CHECK(contains(r.err, "READ of size 4"));
    // The access, then the goroutine's frames down to its first function.
    CHECK(contains(r.err, "in asantest_use_after_free()"));
    CHECK(contains(r.err, "in asantest_goroutine_body(int)"));
    CHECK(contains(r.err, "in runtime.goexit"));  // the goroutine's first frame's caller
    CHECK(contains(r.err, "freed by thread"));
}
