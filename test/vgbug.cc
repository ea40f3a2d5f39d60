// vgbug.cc — a real memory bug inside a goroutine, for memcheck to find.
//
// The valgrind suite (test/meson.build) runs this under memcheck and expects
// the report to name the bad read and the goroutine's own frames, down to
// runtime.goexit: with gort's stacks registered (stack.cc), memcheck follows
// the read on the goroutine's stack as it would on a thread's.
#include <cstdio>

#include "chan.h"
#include "go.h"

// noipa: the report must show this frame by name.
[[gnu::noipa]] static void freed_in_goroutine(gort::chan<int> done) {
    int* p = new int(42);
    delete p;
    done.send(*static_cast<volatile int*>(p));  // the bug: p was freed on the line above
}

void main_main() {
    auto done = gort::make_chan<int>();
    gort::go([done] { freed_in_goroutine(done); });
    std::printf("vgbug: read %d\n", done.recv());
}
