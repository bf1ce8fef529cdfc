/*
 * x86-64 entry code (GNU assembler, COFF, Microsoft x64 ABI: arguments in
 * rcx, rdx, r8, r9; 32 bytes of shadow space for every call).
 */
	.text

/* enter_high(rcx = delta): switch to the kernel stack at its high address and call kernel_main there. */
	.globl	enter_high
enter_high:
	leaq	kstack_top(%rip), %rsp
	addq	%rcx, %rsp
	leaq	kernel_main(%rip), %rax
	addq	%rcx, %rax
	subq	$32, %rsp
	callq	*%rax
1:	hlt
	jmp	1b

/* load_segments(): after lgdt, reload CS (far return) and the data segments. */
	.globl	load_segments
load_segments:
	popq	%rax
	pushq	$0x08
	pushq	%rax
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	lretq

/* Probes: a fault on the marked instruction resumes at probe_fixup (eax = 1). */
	.globl	probe_read, probe_read_insn
probe_read:
	xorl	%eax, %eax
probe_read_insn:
	movq	(%rcx), %r8
	movq	%r8, (%rdx)
	ret

	.globl	probe_write, probe_write_insn
probe_write:
	xorl	%eax, %eax
probe_write_insn:
	movq	%rdx, (%rcx)
	ret

/* probe_exec_raw(rcx = code): call it; a fetch fault returns here with eax = 1 through probe_fixup. */
	.globl	probe_exec_raw
probe_exec_raw:
	xorl	%eax, %eax
	subq	$40, %rsp
	callq	*%rcx
	addq	$40, %rsp
	ret

	.globl	probe_fixup
probe_fixup:
	movl	$1, %eax
	ret

	.globl	arch_ret_insn_start, arch_ret_insn_end
arch_ret_insn_start:
	xorl	%eax, %eax
	ret
arch_ret_insn_end:

/* Exception and interrupt entry points: a uniform frame (vector, error code) for trap_handler. */
	.macro	VECTOR_ENTRY v
	.balign	16
vector_\v:
	.if (\v == 8 || (\v >= 10 && \v <= 14) || \v == 17 || \v == 21 || \v == 29 || \v == 30)
	.else
	pushq	$0
	.endif
	pushq	$\v
	jmp	trap_common
	.endm

	.altmacro
	.set	vec, 0
	.rept	256
	VECTOR_ENTRY	%vec
	.set	vec, vec + 1
	.endr

trap_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rcx
	movq	%rsp, %rbx
	andq	$-16, %rsp
	subq	$32, %rsp
	callq	trap_handler
	movq	%rbx, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp
	iretq

/* The entry points' addresses, for the IDT (absolute: relocated with the image). */
	.section .rdata,"dr"
	.balign	8
	.globl	isr_table
isr_table:
	.macro	ENT v
	.quad	vector_\v
	.endm
	.set	vec, 0
	.rept	256
	ENT	%vec
	.set	vec, vec + 1
	.endr

	.section .bss,"bw"
	.balign	16
	.globl	kstack
kstack:
	.space	65536
kstack_top:
