/*
 * The AP start page: copied below 1 MiB, entered by the SIPI in real mode
 * at offset 0 with CS = page >> 4. It loads its own GDT, enables long
 * mode on the AP tables (identity for this page, the kernel half shared
 * with vmkit's root), and jumps to ap_entry at its high address. The
 * parameters at the end are filled in by smp.c before each start.
 */
	.text
	.globl	tramp_start, tramp_end, tramp_gdt_ptr, tramp_cr4, tramp_cr3, tramp_cr0
	.globl	tramp_far, tramp_long, tramp_stack, tramp_entry, tramp_cpu
	.balign	16
tramp_start:
	.code16
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	lgdtl	tramp_gdt_ptr - tramp_start
	movl	tramp_cr4 - tramp_start, %eax
	movl	%eax, %cr4
	movl	tramp_cr3 - tramp_start, %eax
	movl	%eax, %cr3
	movl	$0xc0000080, %ecx
	rdmsr
	orl	$0x900, %eax		/* LME | NXE */
	wrmsr
	movl	tramp_cr0 - tramp_start, %eax
	movl	%eax, %cr0
	ljmpl	*(tramp_far - tramp_start)
	.code64
tramp_long:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movq	tramp_stack(%rip), %rsp
	movl	tramp_cpu(%rip), %ecx
	movq	tramp_entry(%rip), %rax
	subq	$32, %rsp
	callq	*%rax
1:	hlt
	jmp	1b

	.balign	16
tramp_gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad	0x00cf92000000ffff	/* 0x10: data */
tramp_gdt_ptr:
	.word	23
	.long	0			/* linear address of tramp_gdt, filled in */
	.balign	8
tramp_far:
	.long	0			/* linear address of tramp_long, filled in */
	.word	0x08
	.balign	8
tramp_cr4:	.quad	0
tramp_cr3:	.quad	0
tramp_cr0:	.quad	0
tramp_stack:	.quad	0
tramp_entry:	.quad	0
tramp_cpu:	.quad	0
tramp_end:
	.globl	tramp_gdt
