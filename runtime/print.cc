// print.cc — the runtime's own printing: unbuffered writes to standard error.
//
// Go counterpart: src/runtime/print.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/print.go
//
// Fatal paths cannot trust stdio (a lock may be held, the heap may be
// damaged), so, like Go's print, these write straight to fd 2 with write(2).
// Runs on: any stack, including the signal stack.
#include <unistd.h>

#include <cstring>

#include "runtime.h"

namespace runtime {

/// Writes b to standard error, retrying on short writes. Runs on: any stack
/// (incl. signal stack). @gosrc{print.go,gwrite}
static void gwrite(const char* b, size_t n) {
    while (n > 0) {
        ssize_t w = ::write(2, b, n);
        if (w <= 0) return;
        b += w;
        n -= size_t(w);
    }
}

/// Prints the NUL-terminated string s. Runs on: any stack (incl. signal
/// stack). @gosrc{print.go,printstring}
void printstring(const char* s) {
    gwrite(s, std::strlen(s));
}

/// Prints v in decimal. Runs on: any stack (incl. signal stack).
/// @gosrc{print.go,printuint}
void printuint(uint64_t v) {
    char buf[24];
    int i = sizeof buf;
    do {
        buf[--i] = char('0' + v % 10);
        v /= 10;
    } while (v > 0);
    gwrite(buf + i, sizeof buf - size_t(i));
}

/// Prints v in decimal, with a minus sign if negative. Runs on: any stack
/// (incl. signal stack). @gosrc{print.go,printint}
void printint(int64_t v) {
    if (v < 0) {
        printstring("-");
        printuint(uint64_t(-(v + 1)) + 1);
        return;
    }
    printuint(uint64_t(v));
}

/// Prints v as 0x-prefixed lower-case hex. Runs on: any stack (incl. signal
/// stack). @gosrc{print.go,printhex}
void printhex(uint64_t v) {
    static const char dig[] = "0123456789abcdef";
    char buf[24];
    int i = sizeof buf;
    do {
        buf[--i] = dig[v % 16];
        v /= 16;
    } while (v > 0);
    buf[--i] = 'x';
    buf[--i] = '0';
    gwrite(buf + i, sizeof buf - size_t(i));
}

/// Prints "true" or "false". Runs on: any stack. @gosrc{print.go,printbool}
void printbool(bool v) {
    printstring(v ? "true" : "false");
}

}  // namespace runtime
