// lab_amd64.S — probes for the graded tests of labs gogo and mcall. They
// look at the registers at the instant a switch lands, which C++ cannot.
//
// void lab_gogo_probe(gobuf* buf, g* realg)
//   Saves this thread's SysV callee-saved registers and SP, then calls
//   runtime.gogo(buf). A buf whose pc is lab_capture lands there, which
//   records SP, BP, DX, DI, AX and the TLS g in lab_regs[0..5], puts realg
//   back in TLS, and returns from lab_gogo_probe on the saved SP. So the
//   gogo tests depend on gogo only, not on the student's gosave.
//
// void lab_mcall_fn(g* gp)   (an mcall fn)
//   Records SP, BP, DI and the TLS g at its entry in lab_mcall_regs[0..3],
//   then tail-jumps to the C++ lab_mcall_check(gp) (test/labs/lab_mcall.cc).

#include "go_asm.h"

#define get_tls(r)	movq runtime.tlsg@gottpoff(%rip), r
#define g(r)		%fs:(r)

	.bss
	.p2align 4
	.globl	lab_regs
lab_regs:	.zero	48
	.globl	lab_mcall_regs
lab_mcall_regs:	.zero	32
lab_probe_sp:	.zero	8
lab_probe_g:	.zero	8

	.text
	.globl	lab_gogo_probe
	.type	lab_gogo_probe, @function
	.p2align 4
lab_gogo_probe:
	.cfi_startproc
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_offset rbp, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp
	movq	%rsp, lab_probe_sp(%rip)
	movq	%rsi, lab_probe_g(%rip)
	call	runtime.gogo			// to buf->pc: lab_capture, if all is well
	ud2
	.cfi_endproc
	.size	lab_gogo_probe, .-lab_gogo_probe

	.globl	lab_capture
	.type	lab_capture, @function
	.p2align 4
lab_capture:
	.cfi_startproc
	.cfi_undefined rip
	movq	%rsp, lab_regs+0(%rip)
	movq	%rbp, lab_regs+8(%rip)
	movq	%rdx, lab_regs+16(%rip)
	movq	%rdi, lab_regs+24(%rip)
	movq	%rax, lab_regs+32(%rip)
	get_tls(%rcx)
	movq	g(%rcx), %rax
	movq	%rax, lab_regs+40(%rip)
	movq	lab_probe_g(%rip), %rax		// the real g again
	movq	%rax, g(%rcx)
	movq	lab_probe_sp(%rip), %rsp	// lab_gogo_probe's frame
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.cfi_endproc
	.size	lab_capture, .-lab_capture

	.globl	lab_mcall_fn
	.type	lab_mcall_fn, @function
	.p2align 4
lab_mcall_fn:
	.cfi_startproc
	movq	%rsp, lab_mcall_regs+0(%rip)
	movq	%rbp, lab_mcall_regs+8(%rip)
	movq	%rdi, lab_mcall_regs+16(%rip)
	get_tls(%rcx)
	movq	g(%rcx), %rax
	movq	%rax, lab_mcall_regs+24(%rip)
	jmp	lab_mcall_check
	.cfi_endproc
	.size	lab_mcall_fn, .-lab_mcall_fn

	.section .note.GNU-stack,"",@progbits
