// sentinel_amd64.S — test helper: do the SysV callee-saved registers survive
// a goroutine switch?
//
// long sentinel_call(void (*fn)(void), long base)
//
// Loads base+1 .. base+6 into RBX, R12, R13, R14, R15 and RBP, calls fn (which
// parks, yields or exits-and-resumes the goroutine, possibly landing on
// another OS thread), then returns a bit mask of the registers that no longer
// hold their sentinel: bit 0 RBX, 1 R12, 2 R13, 3 R14, 4 R15, 5 RBP. 0 means
// the C++ side of the ABI gap (the mcall shim's clobbers) did its job.
	.text
	.globl	sentinel_call
	.type	sentinel_call, @function
	.p2align 4
sentinel_call:
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
	pushq	%rsi			// base, at -48(%rbp); also aligns SP to 16
	.cfi_def_cfa rsp, 64		// from here CFA is SP-relative: RBP is a sentinel
	movq	%rdi, %rax		// AX = fn
	leaq	1(%rsi), %rbx
	leaq	2(%rsi), %r12
	leaq	3(%rsi), %r13
	leaq	4(%rsi), %r14
	leaq	5(%rsi), %r15
	leaq	6(%rsi), %rbp
	call	*%rax
	movq	0(%rsp), %rsi		// base
	xorl	%eax, %eax
	leaq	1(%rsi), %rcx
	cmpq	%rcx, %rbx
	je	1f
	orq	$1, %rax
1:	leaq	2(%rsi), %rcx
	cmpq	%rcx, %r12
	je	2f
	orq	$2, %rax
2:	leaq	3(%rsi), %rcx
	cmpq	%rcx, %r13
	je	3f
	orq	$4, %rax
3:	leaq	4(%rsi), %rcx
	cmpq	%rcx, %r14
	je	4f
	orq	$8, %rax
4:	leaq	5(%rsi), %rcx
	cmpq	%rcx, %r15
	je	5f
	orq	$16, %rax
5:	leaq	6(%rsi), %rcx
	cmpq	%rcx, %rbp
	je	6f
	orq	$32, %rax
6:	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	.cfi_def_cfa rsp, 8
	ret
	.cfi_endproc
	.size	sentinel_call, .-sentinel_call

	.section .note.GNU-stack,"",@progbits
