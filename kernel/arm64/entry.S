/*
 * arm64 entry code (COFF, AAPCS64): going high, the exception vectors,
 * the probes, semihosting exit, the secondary CPU's first instructions
 * (MMU off) and the translation-regime switches.
 */
	.text

/* enter_high(x0 = delta): the kernel stack and kernel_main at their high addresses. */
	.globl	enter_high
enter_high:
	adrp	x1, kstack_top
	add	x1, x1, :lo12:kstack_top
	add	x1, x1, x0
	mov	sp, x1
	adrp	x2, kernel_main
	add	x2, x2, :lo12:kernel_main
	add	x2, x2, x0
	blr	x2
1:	wfe
	b	1b

/* a64_enable_ttbr1(x0 = ttbr1, x1 = tcr): TTBR1 walks on; TTBR0 (live) keeps its fields. */
	.globl	a64_enable_ttbr1
a64_enable_ttbr1:
	dsb	ish
	msr	ttbr1_el1, x0
	msr	tcr_el1, x1
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	ret

/* a64_switch(x0 = ttbr1, x1 = ttbr0, x2 = mair, x3 = tcr): vmkit's tables, from the high half. */
	.globl	a64_switch
a64_switch:
	dsb	ish
	msr	ttbr1_el1, x0
	msr	ttbr0_el1, x1
	msr	mair_el1, x2
	msr	tcr_el1, x3
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	ret

/* Secondary CPU entry from PSCI CPU_ON: MMU off, x0 = context (physical, cleaned to PoC). */
	.globl	a64_ap_start
	.balign	8
a64_ap_start:
	ldp	x1, x2, [x0, #0]	/* mair, tcr */
	ldp	x3, x4, [x0, #16]	/* ttbr0, ttbr1 */
	ldp	x5, x6, [x0, #32]	/* sctlr, stack */
	ldp	x7, x8, [x0, #48]	/* entry, cpu */
	msr	mair_el1, x1
	msr	tcr_el1, x2
	msr	ttbr0_el1, x3
	msr	ttbr1_el1, x4
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	msr	sctlr_el1, x5
	isb
	mov	sp, x6
	mov	x0, x8
	br	x7

/* Probes: a fault on the marked instruction resumes at probe_fixup (x0 = 1). */
	.globl	probe_read, probe_read_insn
probe_read:
	mov	x2, x0
	mov	x0, #0
probe_read_insn:
	ldr	x3, [x2]
	str	x3, [x1]
	ret

	.globl	probe_write, probe_write_insn
probe_write:
	mov	x2, x0
	mov	x0, #0
probe_write_insn:
	str	x1, [x2]
	ret

	.globl	probe_exec_raw
probe_exec_raw:
	stp	x29, x30, [sp, #-16]!
	mov	x1, x0
	mov	x0, #0
	blr	x1
	ldp	x29, x30, [sp], #16
	ret

	.globl	probe_fixup
probe_fixup:
	mov	x0, #1
	ret

	.globl	arch_ret_insn_start, arch_ret_insn_end
arch_ret_insn_start:
	mov	x0, #0
	ret
arch_ret_insn_end:

/* a64_semihost_exit(x0 = status): SYS_EXIT with ADP_Stopped_ApplicationExit. */
	.globl	a64_semihost_exit
a64_semihost_exit:
	sub	sp, sp, #16
	mov	x1, #0x0026
	movk	x1, #0x2, lsl #16
	stp	x1, x0, [sp]
	mov	x1, sp
	mov	x0, #0x18
	hlt	#0xf000
1:	b	1b

/* a64_hvc(x0..x3): an SMCCC call over HVC (PSCI); x4-x17 clobbered. */
	.globl	a64_hvc
a64_hvc:
	hvc	#0
	ret

/* The vectors: a frame of x0-x30, ELR, SPSR, ESR, FAR and the entry number for trap_handler. */
	.macro	VEC n
	.balign	128
	sub	sp, sp, #288
	stp	x0, x1, [sp, #0]
	mov	x0, #\n
	b	vec_common
	.endm

	.balign	2048
	.globl	a64_vectors
a64_vectors:
	VEC	0
	VEC	1
	VEC	2
	VEC	3
	VEC	4
	VEC	5
	VEC	6
	VEC	7
	VEC	8
	VEC	9
	VEC	10
	VEC	11
	VEC	12
	VEC	13
	VEC	14
	VEC	15

vec_common:
	stp	x2, x3, [sp, #16]
	stp	x4, x5, [sp, #32]
	stp	x6, x7, [sp, #48]
	stp	x8, x9, [sp, #64]
	stp	x10, x11, [sp, #80]
	stp	x12, x13, [sp, #96]
	stp	x14, x15, [sp, #112]
	stp	x16, x17, [sp, #128]
	stp	x18, x19, [sp, #144]
	stp	x20, x21, [sp, #160]
	stp	x22, x23, [sp, #176]
	stp	x24, x25, [sp, #192]
	stp	x26, x27, [sp, #208]
	stp	x28, x29, [sp, #224]
	str	x30, [sp, #240]
	mrs	x1, elr_el1
	mrs	x2, spsr_el1
	stp	x1, x2, [sp, #248]
	mrs	x1, esr_el1
	mrs	x2, far_el1
	stp	x1, x2, [sp, #264]
	str	x0, [sp, #280]
	mov	x0, sp
	bl	trap_handler
	ldp	x1, x2, [sp, #248]
	msr	elr_el1, x1
	msr	spsr_el1, x2
	ldp	x2, x3, [sp, #16]
	ldp	x4, x5, [sp, #32]
	ldp	x6, x7, [sp, #48]
	ldp	x8, x9, [sp, #64]
	ldp	x10, x11, [sp, #80]
	ldp	x12, x13, [sp, #96]
	ldp	x14, x15, [sp, #112]
	ldp	x16, x17, [sp, #128]
	ldp	x18, x19, [sp, #144]
	ldp	x20, x21, [sp, #160]
	ldp	x22, x23, [sp, #176]
	ldp	x24, x25, [sp, #192]
	ldp	x26, x27, [sp, #208]
	ldp	x28, x29, [sp, #224]
	ldr	x30, [sp, #240]
	ldp	x0, x1, [sp, #0]
	add	sp, sp, #288
	eret

	.section .bss,"bw"
	.balign	16
kstack:
	.space	65536
kstack_top:
