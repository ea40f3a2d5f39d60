// signal_amd64.cc — the registers of a signal context, as Go prints them.
//
// Go counterpart: src/runtime/signal_amd64.go
// https://github.com/golang/go/blob/go1.22.0/src/runtime/signal_amd64.go
#include <ucontext.h>

#include "runtime.h"

namespace runtime {

/// Prints one "name   0x..." line of dumpregs. Runs on: the signal stack.
/// @gortonly{Go's dumpregs writes each print call out}
static void printreg(const char* name, uint64_t v) {
    printstring(name);
    printhex(v);
    printstring("\n");
}

/// Prints the interrupted thread's registers, the last block of a SIGQUIT
/// dump. ctxt: the handler's ucontext_t. Runs on: the M's signal stack.
/// @gosrc{signal_amd64.go,dumpregs}
void dumpregs(void* ctxt) {
    const greg_t* r = static_cast<ucontext_t*>(ctxt)->uc_mcontext.gregs;
    printreg("rax    ", uint64_t(r[REG_RAX]));
    printreg("rbx    ", uint64_t(r[REG_RBX]));
    printreg("rcx    ", uint64_t(r[REG_RCX]));
    printreg("rdx    ", uint64_t(r[REG_RDX]));
    printreg("rdi    ", uint64_t(r[REG_RDI]));
    printreg("rsi    ", uint64_t(r[REG_RSI]));
    printreg("rbp    ", uint64_t(r[REG_RBP]));
    printreg("rsp    ", uint64_t(r[REG_RSP]));
    printreg("r8     ", uint64_t(r[REG_R8]));
    printreg("r9     ", uint64_t(r[REG_R9]));
    printreg("r10    ", uint64_t(r[REG_R10]));
    printreg("r11    ", uint64_t(r[REG_R11]));
    printreg("r12    ", uint64_t(r[REG_R12]));
    printreg("r13    ", uint64_t(r[REG_R13]));
    printreg("r14    ", uint64_t(r[REG_R14]));
    printreg("r15    ", uint64_t(r[REG_R15]));
    printreg("rip    ", uint64_t(r[REG_RIP]));
    printreg("rflags ", uint64_t(r[REG_EFL]));
    // The kernel packs cs, gs and fs into one word (struct sigcontext).
    uint64_t csgsfs = uint64_t(r[REG_CSGSFS]);
    printreg("cs     ", csgsfs & 0xffff);
    printreg("fs     ", (csgsfs >> 32) & 0xffff);
    printreg("gs     ", (csgsfs >> 16) & 0xffff);
}

}  // namespace runtime
