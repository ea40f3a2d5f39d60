// rt0_linux_amd64.cc — the program entry: C++ main hands the thread to the
// runtime.
//
// Go counterpart: src/runtime/rt0_linux_amd64.s (→ _rt0_amd64 → rt0_go)
// https://github.com/golang/go/blob/go1.22.0/src/runtime/rt0_linux_amd64.s
//
// This file is linked only when the program does not define main itself: a
// gort program defines main_main() instead (Go's main.main), and this main
// makes the OS stack m0's g0 and starts main_main as goroutine 1.
#include "runtime.h"

int main(int argc, char** argv) {
    runtime::rt0_go(argc, argv);
}
