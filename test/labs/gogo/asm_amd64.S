// asm_amd64.S — goroutine switching for amd64: gogo, mcall, gosave,
// systemstack, goexit.
//
// Go counterpart: src/runtime/asm_amd64.s
// https://github.com/golang/go/blob/go1.22.0/src/runtime/asm_amd64.s
//
// Reading Go's Plan 9 asm beside this file: both put the source operand first
// (MOVQ AX, BX == movq %rax, %rbx). Symbols carry Go's names (runtime.gogo).
// Every offset is symbolic and comes from go_asm.h, which the build generates
// from runtime/runtime2.h (gobuf_sp == offsetof(gobuf, sp), g_sched ==
// offsetof(g, sched), ...): the structs and this file cannot drift apart.
//
// Which registers are saved, and why (the "ABI gap"). Go's internal ABI has no
// callee-saved registers, so a Go switch saves only SP, PC and BP, plus DX (the
// closure context). gort keeps that: gobuf is Go's, and these routines save what
// Go's save. The SysV callee-saved registers (RBX, R12-R15) are the C++ side's
// business: C++ reaches mcall and gosave through shims in runtime/stubs.h that
// declare them clobbered, so nothing live is left in them. gogo restores BP
// (Go restores it only for unwinders; C++ code also addresses its locals
// through it). Two more differences, both because C++ follows SysV:
//   - arguments arrive in DI (Go's ABIInternal: AX; the chapter's old ABI: 0(FP));
//   - a closure's context goes in DX (as Go) and also in DI, the first argument.
// Go pins g in R14 (ABIInternal); gort does not, R14 is callee-saved in SysV.
//
// TLS. get_tls(r) loads the offset of this thread's g slot from the %fs base;
// g(r) addresses the slot. This is the chapter's get_tls(CX) / g(CX) pair.

#include "go_asm.h"

// [tls]
#define get_tls(r)	movq runtime.tlsg@gottpoff(%rip), r
#define g(r)		%fs:(r)
// [tls]

// Unwind info across a stack switch. Between the instruction that loads a new
// SP and the one that leaves the routine, the caller a debugger should see
// is the frame being switched TO, and its return PC and BP are still in
// memory, in the gobuf the routine reads. CFI_REG_AT(reg, base, off) says
// "reg's value in the caller is stored at base+off" (DW_CFA_expression with
// DW_OP_breg<base> off), so gdb's bt and stepi show that frame at every
// instruction. DWARF register numbers: BX 3, SI 4, BP 6, return address 16.
// off is a two-byte SLEB128, so 0 <= off < 8192 (checked where it is used).
#define DW_CFA_expression	0x10
#define DW_CFA_val_expression	0x16
#define DW_OP_deref		0x06
#define DW_OP_plus		0x22
#define DW_OP_ne		0x2e
#define DW_OP_lit0		0x30
#define DW_OP_breg(n)		(0x70 + (n))
#define DWREG_rdx		1
#define DWREG_rbx		3
#define DWREG_rsi		4
#define DWREG_rbp		6
#define DWREG_rip		16
#define SLEB2(off)		(((off) & 0x7f) | 0x80), (((off) >> 7) & 0x3f)
#define CFI_REG_AT(reg, base, off) \
	.cfi_escape DW_CFA_expression, DWREG_##reg, 3, DW_OP_breg(DWREG_##base), SLEB2(off)
// gogo's target PC, as the caller's PC. A new goroutine's PC is its
// function's entry, not a return address, but unwinders look a caller's
// function up at PC-1, which for an entry is the function before it. So for
// a new goroutine (ctxt != 0: only gostartcallfn sets it) the PC reported is
// PC+1: caller's PC = PC + (ctxt != 0). PC and ctxt are at base+off, or ctxt
// is already in DX (CFI_GOGO_PC_DX), or the PC too is in BX (CFI_GOGO_PC_BX).
#define CFI_GOGO_PC(base, pcoff, ctxtoff) \
	.cfi_escape DW_CFA_val_expression, DWREG_rip, 11, \
		DW_OP_breg(DWREG_##base), SLEB2(pcoff), DW_OP_deref, \
		DW_OP_breg(DWREG_##base), SLEB2(ctxtoff), DW_OP_deref, DW_OP_lit0, DW_OP_ne, DW_OP_plus
#define CFI_GOGO_PC_DX(base, pcoff) \
	.cfi_escape DW_CFA_val_expression, DWREG_rip, 10, \
		DW_OP_breg(DWREG_##base), SLEB2(pcoff), DW_OP_deref, \
		DW_OP_breg(DWREG_rdx), SLEB2(0), DW_OP_lit0, DW_OP_ne, DW_OP_plus
#define CFI_GOGO_PC_BX \
	.cfi_escape DW_CFA_val_expression, DWREG_rip, 9, \
		DW_OP_breg(DWREG_rbx), SLEB2(0), \
		DW_OP_breg(DWREG_rdx), SLEB2(0), DW_OP_lit0, DW_OP_ne, DW_OP_plus
.if g_sched+gobuf_bp >= 8192
.error "CFI_REG_AT: gobuf offset does not fit in two SLEB128 bytes"
.endif

	.text

// [gogo]
// func gogo(buf *gobuf)
// restore state from Gobuf; longjmp
	.globl	runtime.gogo
	.type	runtime.gogo, @function
	.p2align 4
runtime.gogo:
	.cfi_startproc
	// LAB(gogo) BEGIN gogo: restore the gobuf in DI and jump to its pc
	// TODO(lab gogo): DI = buf. Make buf->g this thread's g (get_tls, g(r)),
	// load SP and BP from buf, AX = buf->ret, DX = DI = buf->ctxt, clear
	// buf's sp, ret, ctxt and bp, and jump (do not call) to buf->pc.
	// Go's version: gogo in asm_amd64.s (go1.22), which ends in JMP BX.
	ud2					// not written yet: SIGILL
	// LAB(gogo) END
	.cfi_endproc
	.size	runtime.gogo, .-runtime.gogo
// [gogo]

// [mcall]
// func mcall(fn func(*g))
// Switch to m->g0's stack, call fn(g).
// Fn must never return. It should gogo(&g->sched)
// to keep running g.
//
// Frames on entry (g's stack):          After the switch (g0's stack):
//   caller's frame                        mstart0's frame  <- g0.sched.sp
//   return PC into caller  <- SP          g0.sched.pc (fake return PC)
//                                         g (Go's arg spill slot)
//                                         return PC into mcall  <- fn's frame
	.globl	runtime.mcall
	.type	runtime.mcall, @function
	.p2align 4
runtime.mcall:
	.cfi_startproc
	movq	%rdi, %rdx			// DX = fn

	// Save state in g->sched. gogo restores the caller's SP and PC, which
	// resumes execution in the caller's frame (an implicit return), and BP.
	get_tls(%rcx)
	movq	g(%rcx), %rax			// AX = g
	movq	0(%rsp), %rbx			// caller's PC
	movq	%rbx, (g_sched+gobuf_pc)(%rax)
	leaq	8(%rsp), %rbx			// caller's SP (above the return PC)
	movq	%rbx, (g_sched+gobuf_sp)(%rax)
	movq	%rbp, (g_sched+gobuf_bp)(%rax)	// caller's BP (Go: MOVQ (BP), BX; see below)
	// Go's assembler gives mcall a frame (PUSHQ BP; MOVQ SP, BP), so Go finds
	// the caller's PC at 8(SP) and the caller's BP at (BP); BP itself would be
	// mcall's own, soon dead, frame (a frame-pointer cycle, CL 476235). gort's
	// mcall has no frame: 0(SP) and BP are the caller's. Both store the same
	// value; in C++ it must be exact, as frames address locals through BP.

	// switch to m->g0 & its stack, call fn
	movq	g_m(%rax), %rbx			// BX = g.m
	movq	m_g0(%rbx), %rsi		// SI = g.m.g0
	cmpq	%rsi, %rax			// if g == m->g0 call badmcall
	je	badm
	movq	%rsi, g(%rcx)			// g = m->g0
	movq	(g_sched+gobuf_sp)(%rsi), %rsp	// sp = g0.sched.sp
	// Unwind as a call from mstart0 on g0: its SP is ours, its PC and BP
	// are in g0.sched until they are loaded and pushed.
	.cfi_def_cfa rsp, 0			//   caller's SP = g0.sched.sp = SP
	CFI_REG_AT(rip, rsi, g_sched+gobuf_pc)	//   caller's PC at g0.sched.pc
	CFI_REG_AT(rbp, rsi, g_sched+gobuf_bp)	//   caller's BP at g0.sched.bp
	movq	(g_sched+gobuf_bp)(%rsi), %rbp	// gort: bp = g0.sched.bp (mstart0's frame)
	.cfi_same_value rbp
	pushq	(g_sched+gobuf_pc)(%rsi)	// gort: fake return PC into mstart0,
	.cfi_def_cfa rsp, 8			//   so unwinders continue into mstart0
	.cfi_offset rip, -8			// (explicit: libgcc's DW_CFA_restore would mean "same value")
	pushq	%rax			// arg spill slot (Go's too): g, for a debugger
	.cfi_adjust_cfa_offset 8
	movq	%rax, %rdi			// DI (and arg 0) = g
	call	*%rdx				// fn(g)
	popq	%rax
	.cfi_adjust_cfa_offset -8
	jmp	runtime.badmcall2		// fn returned: it must not
badm:
	// Go jumps to badmcall. gort calls it, on a 16-byte aligned SP: the C++
	// shim's CALL site promises no SysV alignment, and badmcall is C++ code.
	andq	$-16, %rsp
	.cfi_def_cfa rsp, 0
	.cfi_undefined rip
	call	runtime.badmcall		// does not return
	.cfi_endproc
	.size	runtime.mcall, .-runtime.mcall
// [mcall]

// [gosave]
// void gosave(Gobuf*)
// save state in Gobuf; setjmp
//
// The chapter's routine, from Go before 1.17. go1.22 no longer has it: its only
// remaining job, saving a g's state before systemstack switches stacks, is done
// by gosave_systemstack_switch below. gort keeps it for the chapter and for
// the gosave+gogo round trip test (test/test_switch.cc).
	.globl	runtime.gosave
	.type	runtime.gosave, @function
	.p2align 4
runtime.gosave:
	.cfi_startproc
	// LAB(gogo) BEGIN gosave: save the caller's SP, PC, BP and g in the gobuf in DI
	// TODO(lab gogo): DI = buf. The caller's PC is at 0(SP); its SP is the
	// value SP has once ret pops that PC. Save SP, PC, BP and g (from TLS)
	// in buf, clear buf->ret and buf->ctxt, and return 0 in AX.
	xorl	%eax, %eax			// returns 0 and saves nothing: wrong
	// LAB(gogo) END
	ret
	.cfi_endproc
	.size	runtime.gosave, .-runtime.gosave
// [gosave]

// systemstack_switch is a dummy routine that systemstack leaves at the bottom
// of the G stack: a g inside systemstack shows this PC in g.sched.pc, so a
// traceback of it reads "systemstack_switch". Never executed.
	.globl	runtime.systemstack_switch
	.type	runtime.systemstack_switch, @function
	.p2align 4
runtime.systemstack_switch:
	.cfi_startproc
	ud2					// UNDEF
	call	abort				// make sure this function is not leaf
	ret
	.cfi_endproc
	.size	runtime.systemstack_switch, .-runtime.systemstack_switch

// func systemstack(fn func())
//
// Registers: Go's systemstack uses BX for m; BX is callee-saved in SysV and
// systemstack returns to C++, so gort uses R8 (caller-saved) instead.
// The frame (PUSHQ BP; MOVQ SP, BP) stays valid while fn runs on g0: BP still
// points into g's stack, so gdb unwinds from fn straight back into g's frames.
	.globl	runtime.systemstack
	.type	runtime.systemstack, @function
	.p2align 4
runtime.systemstack:
	.cfi_startproc
	pushq	%rbp				// frame pointer (Go's assembler inserts this)
	.cfi_adjust_cfa_offset 8
	.cfi_offset rbp, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register rbp
	get_tls(%rcx)
	movq	g(%rcx), %rax			// AX = g
	movq	g_m(%rax), %r8			// R8 = m

	movq	m_g0(%r8), %rsi			// SI = g0
	cmpq	%rsi, %rax
	je	noswitch

	cmpq	m_curg(%r8), %rax
	jne	bad

	// Switch stacks. Save our state in g->sched. Pretend to be
	// systemstack_switch if the G stack is scanned.
	call	gosave_systemstack_switch

	// switch to g0
	movq	%rsi, g(%rcx)			// g = g0
	movq	(g_sched+gobuf_sp)(%rsi), %rsp	// sp = g0.sched.sp

	// call target function
	movq	%rdi, %rdx			// DX = fn (closure context)
	call	*0(%rdi)			// fn->fn(fn)

	// switch back to g
	get_tls(%rcx)
	movq	g(%rcx), %rax			// AX = g0
	movq	g_m(%rax), %r8			// R8 = m
	movq	m_curg(%r8), %rax		// AX = m.curg
	movq	%rax, g(%rcx)			// g = m.curg
	movq	(g_sched+gobuf_sp)(%rax), %rsp	// back on g's stack
	movq	(g_sched+gobuf_bp)(%rax), %rbp
	movq	$0, (g_sched+gobuf_sp)(%rax)
	movq	$0, (g_sched+gobuf_bp)(%rax)
	popq	%rbp
	.cfi_def_cfa rsp, 8
	ret

noswitch:
	// already on g0's stack; tail call the function
	.cfi_def_cfa rbp, 16
	movq	%rdi, %rdx			// DX = fn
	popq	%rbp				// the epilogue a tail call skips
	.cfi_def_cfa rsp, 8
	jmp	*0(%rdi)

bad:
	// Bad: g is not g0, not curg. What is it?
	.cfi_def_cfa rbp, 16
	call	runtime.badsystemstack
	int3
	.cfi_endproc
	.size	runtime.systemstack, .-runtime.systemstack

// Save state of caller (systemstack) into g->sched, but using the fake PC of
// systemstack_switch. Must only be called from systemstack, whose frame has a
// frame pointer and no locals. AX = g. Smashes R9.
	.type	gosave_systemstack_switch, @function
	.p2align 4
gosave_systemstack_switch:
	.cfi_startproc
	leaq	runtime.systemstack_switch+8(%rip), %r9	// past systemstack_switch's first instruction
	movq	%r9, (g_sched+gobuf_pc)(%rax)
	leaq	8(%rsp), %r9			// systemstack's SP
	movq	%r9, (g_sched+gobuf_sp)(%rax)
	movq	$0, (g_sched+gobuf_ret)(%rax)
	movq	%rbp, (g_sched+gobuf_bp)(%rax)
	// Assert ctxt is zero.
	movq	(g_sched+gobuf_ctxt)(%rax), %r9
	testq	%r9, %r9
	jz	1f
	call	abort
1:
	ret
	.cfi_endproc
	.size	gosave_systemstack_switch, .-gosave_systemstack_switch

// The top-most function running on a goroutine returns to goexit+1.
// Its unwind info says "no caller": gdb's bt and the C++ unwinder stop here,
// so an uncaught exception finds the end of the stack (see panic.cc).
	.globl	runtime.goexit
	.type	runtime.goexit, @function
	.p2align 4
runtime.goexit:
	.cfi_startproc
	.cfi_undefined rip
	nop					// fake return address points past this
	call	runtime.goexit1			// does not return
	// traceback from goexit1 must hit code range of goexit
	nop
	.cfi_endproc
	.size	runtime.goexit, .-runtime.goexit

	.section .note.GNU-stack,"",@progbits
