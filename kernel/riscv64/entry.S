/*
 * riscv64 entry: OpenSBI jumps to the image's first byte at its load
 * address (0x80200000) in S-mode with the MMU off, a0 = hart ID, a1 = the
 * device tree's physical address. The first page is a Linux riscv Image
 * header (Documentation/arch/riscv/boot-image-header.rst), so vmkit's
 * Image parser and `vmkit kexec-plan --arch riscv64` read this kernel too;
 * it is mapped read-only later, never run again.
 *
 * Before anything else the early table (one Sv39 root of 1 GiB leaves)
 * maps: the first GiB (devices) and the GiB at 0x80000000 (RAM holding
 * the image and the DTB) at their own addresses, 16 GiB of physical
 * memory at the direct-map base (vmkit writes its page-table pages there
 * before its own tables are loaded), and the GiB at 0x80000000 again at
 * 0xffffffff80000000, where the image is linked. Code runs at its
 * physical address (all of it is PC-relative, medany) until the jump to
 * the linked address. Secondary harts take the same table to get high.
 */
#define SATP_SV39	(8 << 60)
#define PTE_VRWXAD	0xcf		/* V R W X A D */
#define PTE_VRWAD	0xc7		/* V R W A D */
#define PTE_G		0x20
#define KIMG_ROOT_IDX	510		/* 0xffffffff80000000 >> 30 & 511 */
#define DMAP_ROOT_IDX	352		/* 0xffffffd800000000 >> 30 & 511 */

	.option norvc
	.section .head.text, "ax"
	.globl _start
_start:
	j	rv_start		/* code0 */
	.word	0			/* code1 */
	.dword	0x200000		/* text_offset: 2 MiB above the start of RAM */
	.dword	__image_size		/* image_size, bss included */
	.dword	0			/* flags: little endian */
	.word	2			/* version 0.2 */
	.word	0
	.dword	0
	.ascii	"RISCV\0\0\0"		/* magic (deprecated) */
	.ascii	"RSC\x05"		/* magic2 */
	.word	0
	.option rvc

	.section .text.entry, "ax"
/* t0 = the early root (physical); fills it once (the boot hart). Clobbers t1-t4. */
fill_early_pt:
	lla	t0, early_pt
	/* GiB 0: devices, identity, not executable. */
	li	t1, PTE_VRWAD
	sd	t1, 0(t0)
	/* GiB 2 (0x80000000): identity, and at the image's linked address (global). */
	li	t1, (0x80000000 >> 2) | PTE_VRWXAD
	sd	t1, 2 * 8(t0)
	ori	t2, t1, PTE_G
	li	t3, KIMG_ROOT_IDX * 8
	add	t3, t3, t0
	sd	t2, 0(t3)
	/* 16 GiB of physical memory at the direct-map base (global, not executable). */
	li	t3, DMAP_ROOT_IDX * 8
	add	t3, t3, t0
	li	t1, PTE_VRWAD | PTE_G
	li	t2, 16
	li	t4, (1 << 30) >> 2
1:	sd	t1, 0(t3)
	add	t1, t1, t4
	addi	t3, t3, 8
	addi	t2, t2, -1
	bnez	t2, 1b
	ret

/* Load the early root and continue at the linked address of the label in t5. */
early_mmu_on:
	lla	t0, early_pt
	srli	t0, t0, 12
	li	t1, SATP_SV39
	or	t0, t0, t1
	sfence.vma
	csrw	satp, t0
	sfence.vma
	jr	t5

	.globl rv_start
rv_start:
	csrw	sie, zero
	csrci	sstatus, 2		/* SIE off: this kernel polls, it takes no interrupts */
	mv	s0, a0
	mv	s1, a1
	call	fill_early_pt
	ld	t5, rv_high_addr
	j	early_mmu_on
rv_high:
	/* At the linked address now: PC-relative addresses are kernel addresses. */
	lla	sp, boot_stack_top
	li	tp, 0			/* CPU number */
	lla	t0, __bss_start
	lla	t1, __bss_end
2:	bgeu	t0, t1, 3f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	2b
3:	lla	t0, rv_trap_entry
	csrw	stvec, t0
	mv	a0, s0
	mv	a1, s1
	call	rv_main
4:	wfi
	j	4b

	.balign 8
rv_high_addr:
	.dword	rv_high
rv_ap_high_addr:
	.dword	rv_ap_high

/*
 * A secondary hart (SBI HSM hart_start): a0 = hart ID, a1 = the physical
 * address of its struct rv_ap_ctx { satp, stack, cpu }; MMU off.
 */
	.globl rv_ap_start
rv_ap_start:
	csrw	sie, zero
	mv	s1, a1
	ld	t5, rv_ap_high_addr
	j	early_mmu_on
rv_ap_high:
	/* The context through its physical address (identity-mapped by the early table). */
	ld	t0, 0(s1)		/* vmkit's satp */
	ld	sp, 8(s1)
	ld	tp, 16(s1)
	lla	t1, rv_trap_entry
	csrw	stvec, t1
	sfence.vma
	csrw	satp, t0
	sfence.vma
	mv	a0, tp
	call	smp_poll_ap_run
5:	wfi
	j	5b

/*
 * Traps: every register to a frame on the current stack, rv_trap(frame),
 * then back with the frame's sepc (a probe's fixup may have changed it).
 * Frame: x1..x31 at 8*(i-1), then sepc, scause, stval, sstatus.
 */
	.balign 4
	.globl rv_trap_entry
rv_trap_entry:
	addi	sp, sp, -288
	sd	x1, 0(sp)
	sd	x3, 16(sp)
	sd	x4, 24(sp)
	sd	x5, 32(sp)
	sd	x6, 40(sp)
	sd	x7, 48(sp)
	sd	x8, 56(sp)
	sd	x9, 64(sp)
	sd	x10, 72(sp)
	sd	x11, 80(sp)
	sd	x12, 88(sp)
	sd	x13, 96(sp)
	sd	x14, 104(sp)
	sd	x15, 112(sp)
	sd	x16, 120(sp)
	sd	x17, 128(sp)
	sd	x18, 136(sp)
	sd	x19, 144(sp)
	sd	x20, 152(sp)
	sd	x21, 160(sp)
	sd	x22, 168(sp)
	sd	x23, 176(sp)
	sd	x24, 184(sp)
	sd	x25, 192(sp)
	sd	x26, 200(sp)
	sd	x27, 208(sp)
	sd	x28, 216(sp)
	sd	x29, 224(sp)
	sd	x30, 232(sp)
	sd	x31, 240(sp)
	addi	t0, sp, 288
	sd	t0, 8(sp)		/* x2: the interrupted sp */
	csrr	t0, sepc
	sd	t0, 248(sp)
	csrr	t0, scause
	sd	t0, 256(sp)
	csrr	t0, stval
	sd	t0, 264(sp)
	csrr	t0, sstatus
	sd	t0, 272(sp)
	mv	a0, sp
	call	rv_trap
	ld	t0, 248(sp)
	csrw	sepc, t0
	ld	x1, 0(sp)
	ld	x3, 16(sp)
	ld	x4, 24(sp)
	ld	x5, 32(sp)
	ld	x6, 40(sp)
	ld	x7, 48(sp)
	ld	x8, 56(sp)
	ld	x9, 64(sp)
	ld	x10, 72(sp)
	ld	x11, 80(sp)
	ld	x12, 88(sp)
	ld	x13, 96(sp)
	ld	x14, 104(sp)
	ld	x15, 112(sp)
	ld	x16, 120(sp)
	ld	x17, 128(sp)
	ld	x18, 136(sp)
	ld	x19, 144(sp)
	ld	x20, 152(sp)
	ld	x21, 160(sp)
	ld	x22, 168(sp)
	ld	x23, 176(sp)
	ld	x24, 184(sp)
	ld	x25, 192(sp)
	ld	x26, 200(sp)
	ld	x27, 208(sp)
	ld	x28, 216(sp)
	ld	x29, 224(sp)
	ld	x30, 232(sp)
	ld	x31, 240(sp)
	addi	sp, sp, 288
	sret

/* Probes: 0 if the access worked, 1 if it faulted (rv_trap moves sepc to the fixup). */
	.globl probe_read, probe_read_insn, probe_write, probe_write_insn, probe_fixup
	.globl probe_exec_raw, probe_exec_ret
probe_read:
probe_read_insn:
	ld	t0, 0(a0)
	sd	t0, 0(a1)
	li	a0, 0
	ret
probe_write:
probe_write_insn:
	sd	a1, 0(a0)
	li	a0, 0
	ret
probe_fixup:
	li	a0, 1
	ret
/* Call a0; a fetch fault there resumes at probe_exec_ret with a0 = 1. */
probe_exec_raw:
	addi	sp, sp, -16
	sd	ra, 8(sp)
	jalr	a0
probe_exec_ret:
	ld	ra, 8(sp)
	addi	sp, sp, 16
	ret

	.section .rodata
	.globl arch_ret_insn_start, arch_ret_insn_end
	.balign 4
arch_ret_insn_start:
	.word	0x00000513		/* li a0, 0 */
	.word	0x00008067		/* ret */
arch_ret_insn_end:

	.section .data.early_pt, "aw"
	.balign 4096
	.globl early_pt
early_pt:
	.zero	4096

	.section .bss.stack, "aw", @nobits
	.balign 16
boot_stack:
	.zero	65536
	.globl boot_stack_top
boot_stack_top:
