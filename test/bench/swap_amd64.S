// swap_amd64.S — the baseline for BenchmarkCoroSwitch: the cheapest correct
// context switch a C++ coroutine library can do (Boost.Context's jump_fcontext
// shape). It saves what SysV requires a callee to keep — RBX, RBP, R12–R15,
// the MXCSR and the x87 control word — on the current stack, stores SP in
// *from, loads SP from `to`, and restores the same set there.
//
// void swapctx(void** from, void* to)
	.text
	.globl	swapctx
	.type	swapctx, @function
	.p2align 4
swapctx:
	.cfi_startproc
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$16, %rsp
	stmxcsr	8(%rsp)			// MXCSR
	fnstcw	12(%rsp)		// x87 control word
	movq	%rsp, (%rdi)		// *from = SP
	movq	%rsi, %rsp		// SP = to
	ldmxcsr	8(%rsp)
	fldcw	12(%rsp)
	addq	$16, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.cfi_endproc
	.size	swapctx, .-swapctx

// void swapstart(void) — the first "return" into a new context: calls the
// function in R12 with the argument in R13, which must never return.
	.globl	swapstart
	.type	swapstart, @function
	.p2align 4
swapstart:
	.cfi_startproc
	.cfi_undefined rip
	movq	%r13, %rdi
	call	*%r12
	ud2
	.cfi_endproc
	.size	swapstart, .-swapstart

	.section .note.GNU-stack,"",@progbits
