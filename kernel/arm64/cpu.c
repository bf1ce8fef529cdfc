/*
 * arm64: PL011, semihosting exit, the move to the high half (TTBR1), the
 * exception vectors, the switch to vmkit's tables, and the platform hooks
 * with real instructions. TLB invalidation is broadcast in hardware
 * (TLBI ...IS), so no IPI is needed for a shootdown.
 */
#include <vmkit/pmap.h>

#include "../efi.h"
#include "../smp_poll.h"
#include "a64.h"

const uint64_t arch_dmap_base = 0xffff000000000000ull;
const uint64_t arch_kmem_base = 0xffff800100000000ull;
const uint64_t arch_kmem_size = 1ull << 30;
const uint64_t arch_test_va = 0xffff800200000000ull;
const unsigned int arch_high_tables_pages = 6;
const uint64_t arch_low_reserve = 0;
const uint32_t arch_boot_policy = 1;	/* VMK_BOOT_ARCH_ARM64 */
#define KIMG_BASE	0xffff800008000000ull	/* KIMAGE_VADDR */
#define DEV_VA		0xffff8000f0000000ull
#define TMP_VA		0xffff8000f0200000ull
#define PL011_PA	0x09000000ull
/* The firmware's MAIR has Normal write-back at index 3 (its tables use it). */
#define FW_WB_ATTR	3

static volatile uint64_t uart = PL011_PA;
uint64_t a64_tcr, a64_ap_ttbr0;

/* ---- serial and exit ---- */

void arch_serial_putc(char c)
{
	volatile uint32_t *u = (volatile uint32_t *)(uintptr_t)uart;

	while (u[0x18 / 4] & (1u << 5))	/* FR.TXFF */
		;
	u[0] = (uint8_t)c;
}

void a64_semihost_exit(uint64_t status);

void arch_exit(int status)
{
	a64_semihost_exit((uint64_t)status);
	for (;;)
		;
}

/* ---- before EBS ---- */

int arch_pre_ebs(void *system_table, struct boot_info *bi)
{
	struct efi_boot_services *bs = ((struct efi_system_table *)system_table)->boot_services;
	uint64_t a;

	/* Early TTBR1 tables: L0, L1 (direct-map alias), L1, L2, two L3 (image). */
	if (bs->allocate_pages(EFI_ALLOCATE_ANY, EFI_LOADER_DATA, 6, &a) != EFI_SUCCESS)
		return -1;
	bi->high_tables_pa = a;
	/* The secondary CPUs' TTBR0: an identity map (L0, L1) to turn the MMU on from. */
	if (bs->allocate_pages(EFI_ALLOCATE_ANY, EFI_LOADER_DATA, 2, &a) != EFI_SUCCESS)
		return -1;
	bi->ap_pml4_pa = a;
	return 0;
}

/* ---- going high ---- */

void enter_high(uint64_t delta);
void a64_enable_ttbr1(uint64_t ttbr1, uint64_t tcr);

/*
 * Still on the firmware's TTBR0 (identity): give TTBR1 an early map of
 * the kernel image at KIMG_BASE and an alias of the first 512 GiB at the
 * direct-map base, relocate the image through that alias (the firmware
 * made .rdata read-only in its own tables), and continue at the high
 * address on the kernel stack.
 */
void arch_go_high(struct boot_info *bi)
{
	uint64_t *l0 = (uint64_t *)(uintptr_t)bi->high_tables_pa, *l1d = l0 + 512, *l1i = l0 + 1024,
		 *l2 = l0 + 1536, *l3 = l0 + 2048;
	uint64_t kva = KIMG_BASE + (bi->image_pa & (2 * VMK_MiB - 1)), tcr;
	uint64_t normal = D_ATTR(FW_WB_ATTR) | D_SH_INNER | D_AF;

	__asm__ volatile("msr daifset, #0xf");
	if (bi->image_size + (bi->image_pa & (2 * VMK_MiB - 1)) > 4 * VMK_MiB) {
		kputs("vmkit-kernel: image too large for the early map\n");
		arch_exit(KERNEL_EXIT_FAIL);
	}
	for (int i = 0; i < 6 * 512; i++)
		l0[i] = 0;
	l0[0] = (uint64_t)(uintptr_t)l1d | D_TABLE;
	for (uint64_t g = 0; g < 512; g++)	/* 1 GiB blocks; device space too, never touched through it */
		l1d[g] = (g << 30) | D_BLOCK | normal | D_PXN | D_UXN;
	l0[(kva >> 39) & 511] = (uint64_t)(uintptr_t)l1i | D_TABLE;
	l1i[(kva >> 30) & 511] = (uint64_t)(uintptr_t)l2 | D_TABLE;
	l2[(kva >> 21) & 511] = (uint64_t)(uintptr_t)l3 | D_TABLE;
	l2[((kva >> 21) & 511) + 1] = (uint64_t)(uintptr_t)(l3 + 512) | D_TABLE;
	for (uint64_t off = 0; off < bi->image_size; off += 4096)
		l3[((kva + off) >> 12) & 1023] = (bi->image_pa + off) | D_TABLE | normal | D_UXN;
	/* TTBR1: 48-bit, 4 KiB granule, write-back walks; the TTBR0 fields stay the firmware's. */
	tcr = read_tcr_el1();
	tcr &= ~((0x3full << 16) | (1ull << 23) | (0xffull << 24));
	tcr |= (16ull << 16) | (1ull << 24) | (1ull << 26) | (3ull << 28) | (2ull << 30);
	__asm__ volatile("dsb ish" : : : "memory");
	a64_enable_ttbr1(bi->high_tables_pa, tcr);
	bi->image_kva = kva;
	pe_relocate((void *)(uintptr_t)(arch_dmap_base + bi->image_pa), kva - bi->image_pa);
	__asm__ volatile("dsb ish; ic iallu; dsb ish; isb" : : : "memory");
	enter_high(kva - bi->image_pa);
	for (;;)
		;
}

/* ---- exceptions ---- */

extern const char a64_vectors[], probe_read_insn[], probe_write_insn[], probe_fixup[];
volatile struct fault_record last_fault;
static volatile uint64_t probe_exec_target;

void a64_set_vbar(void)
{
	__asm__ volatile("msr vbar_el1, %0; isb" : : "r"((uint64_t)(uintptr_t)a64_vectors) : "memory");
}

void arch_cpu_init(void)
{
	a64_set_vbar();
}

int probe_exec_raw(const void *fn);

int probe_exec(const void *fn)
{
	uint64_t a = (uint64_t)(uintptr_t)fn;
	int r;

	/* The code was written as data: make it visible to instruction fetch. */
	__asm__ volatile("dc cvau, %0; dsb ish; ic ivau, %0; dsb ish; isb" : : "r"(a) : "memory");
	probe_exec_target = a;
	r = probe_exec_raw(fn);
	probe_exec_target = 0;
	return r;
}

/* The fault's ESR: EC 0x25 data abort, 0x21 instruction abort (same EL). */
bool arch_fault_not_present(uint64_t esr) { return ((esr & 0x3f) & 0x3c) == 0x04; }
bool arch_fault_write(uint64_t esr) { return (esr >> 26) == 0x25 && (esr & (1u << 6)); }
bool arch_fault_fetch(uint64_t esr) { return (esr >> 26) == 0x21; }

static void dump_frame(const struct a64_frame *f)
{
	kprintf("  entry %llu esr 0x%llx (EC 0x%llx) far 0x%016llx elr 0x%016llx spsr 0x%llx\n",
		(unsigned long long)f->entry, (unsigned long long)f->esr, (unsigned long long)(f->esr >> 26),
		(unsigned long long)f->far, (unsigned long long)f->elr, (unsigned long long)f->spsr);
	for (int i = 0; i < 31; i++)
		kprintf("  x%-2d 0x%016llx%s", i, (unsigned long long)f->x[i], i % 4 == 3 || i == 30 ? "\n" : "");
	kprintf("  sctlr 0x%llx tcr 0x%llx mair 0x%llx ttbr0 0x%llx ttbr1 0x%llx\n",
		(unsigned long long)read_sctlr_el1(), (unsigned long long)read_tcr_el1(),
		(unsigned long long)read_mair_el1(), (unsigned long long)read_ttbr0_el1(),
		(unsigned long long)read_ttbr1_el1());
	kprintf("  image at 0x%llx, running at 0x%llx (kernel.map offsets: pc - 0x%llx)\n",
		(unsigned long long)boot_info.image_pa, (unsigned long long)boot_info.image_kva,
		(unsigned long long)boot_info.image_kva);
}

void trap_handler(struct a64_frame *f);

void trap_handler(struct a64_frame *f)
{
	uint64_t ec = f->esr >> 26;
	bool abort = ec == 0x25 || ec == 0x21;
	bool at_probe = f->elr == (uint64_t)(uintptr_t)probe_read_insn ||
			f->elr == (uint64_t)(uintptr_t)probe_write_insn;
	bool fetch_probe = ec == 0x21 && probe_exec_target && f->elr == probe_exec_target;

	if (abort && (at_probe || fetch_probe)) {
		last_fault.vector = ec;
		last_fault.code = f->esr;
		last_fault.addr = f->far;
		last_fault.ip = f->elr;
		last_fault.count++;
		f->elr = (uint64_t)(uintptr_t)probe_fixup;
		return;
	}
	kprintf("\nvmkit-kernel: unexpected exception (EC 0x%llx) on CPU %u\n", (unsigned long long)ec,
		vmk_cpu_id());
	dump_frame(f);
	kprintf("vmkit-kernel: %u passed, %u failed\n", tests_passed, tests_failed + 1);
	arch_exit(KERNEL_EXIT_FAIL);
}

void arch_dump_here(void)
{
	struct a64_frame f;

	vmk_memset(&f, 0, sizeof(f));
	__asm__ volatile("adr %0, .; mov %1, sp; mov %2, x29" : "=r"(f.elr), "=r"(f.x[0]), "=r"(f.x[29]));
	dump_frame(&f);
}

/* ---- page tables ---- */

void arch_pmap_config(struct vmk_pmap_config *pc)
{
	pc->arch = VMK_PMAP_ARCH_ARM64;
	pc->levels = 4;
	pc->large_1g = true;
	pc->nx = true;
	pc->kva_start = arch_dmap_base;
	pc->kva_end = 0xfffffffffffff000ull;
	pc->dmap_base = arch_dmap_base;
	pc->dmap_end = arch_dmap_base + (1ull << 39);
	pc->tmp_va = TMP_VA;
}

bool arch_tlb_tags_check(char *buf, size_t n)
{
	uint64_t ttbr1 = read_ttbr1_el1(), root = ttbr1 & 0x0000fffffffff000ull, asid = ttbr1 >> 48;
	bool ok = root == boot_state.kernel_root && asid == 0;

	/* The kernel's mappings are global (nG clear), so a kernel TLBI needs no ASID: VAAE1IS. */
	vmk_snprintf(buf, n, "arm64: TTBR1 0x%llx holds vmkit's root 0x%llx%s, ASID %llu, kernel mappings global "
		     "(TLBI VAAE1IS / VMALLE1IS, no ASID)", (unsigned long long)ttbr1,
		     (unsigned long long)boot_state.kernel_root, root == boot_state.kernel_root ? "" : " (NOT)",
		     (unsigned long long)asid);
	return ok;
}

int arch_map_devices(void)
{
	int r = vmk_pmap_enter(vmk_pmap_kernel(), DEV_VA, PL011_PA, VMK_PROT_READ | VMK_PROT_WRITE,
			       VMK_PMAP_ENTER_NOREPLACE | VMK_PMAP_ENTER_NOPROMOTE |
				       VMK_PMAP_MEMTYPE(VMK_MEMTYPE_DEVICE));

	if (!r)
		boot_note_device(DEV_VA, PL011_PA, VMK_PAGE_SIZE, VMK_MEMTYPE_DEVICE);
	return r;
}

void a64_switch(uint64_t ttbr1, uint64_t ttbr0, uint64_t mair, uint64_t tcr);

void arch_switch_root(uint64_t root_pa)
{
	uint64_t *l0 = vmk_phys_to_virt(boot_info.ap_pml4_pa), *l1 = l0 + 512;
	uint64_t ips = read_id_aa64mmfr0_el1() & 0xf;	/* PARange and IPS share the encoding */

	/*
	 * TTBR0 from now on: identity, 1 GiB blocks (device below 1 GiB,
	 * write-back above), for the secondary CPUs' MMU-on step; the
	 * firmware's tables are about to be freed.
	 */
	for (uint64_t g = 0; g < 512; g++)
		l1[g] = (g << 30) | D_BLOCK | D_AF |
			(g == 0 ? D_ATTR(1) | D_PXN | D_UXN : D_ATTR(0) | D_SH_INNER | D_UXN);
	vmk_memset(l0, 0, 4096);
	l0[0] = (boot_info.ap_pml4_pa + 4096) | D_TABLE;
	a64_ap_ttbr0 = boot_info.ap_pml4_pa;
	if (ips > 5)
		ips = 5;	/* 48 bits: no LPA */
	a64_tcr = (16ull << 0) | (1ull << 8) | (1ull << 10) | (3ull << 12) | (0ull << 14) | (16ull << 16) |
		  (1ull << 24) | (1ull << 26) | (3ull << 28) | (2ull << 30) | (ips << 32);
	__asm__ volatile("dsb ish" : : : "memory");
	a64_switch(root_pa, a64_ap_ttbr0, vmk_pmap_memattr_reg(VMK_PMAP_ARCH_ARM64), a64_tcr);
	uart = DEV_VA;
}

/* ---- the platform hooks ---- */

static void *a_phys_to_virt(void *ctx, vmk_paddr_t pa)
{
	(void)ctx;
	return pa < (1ull << 39) ? (void *)(uintptr_t)(arch_dmap_base + pa) : NULL;
}

static volatile uint64_t tlbi_broadcast;

const char arch_shootdown_what[] = "broadcast TLBI ...IS (no IPI needed)";

uint64_t smp_shootdowns_served(unsigned int cpu)
{
	(void)cpu;
	return tlbi_broadcast;	/* TLBI ...IS reaches every CPU in hardware */
}

static void a_tlb_invalidate(void *ctx, const struct vmk_tlb_req *req)
{
	(void)ctx;
	__asm__ volatile("dsb ishst" : : : "memory");
	switch (req->kind) {
	case VMK_TLB_PAGE:
	case VMK_TLB_RANGE: {
		uint64_t size = req->kind == VMK_TLB_PAGE ? 4096 : req->size;

		if (size > 64 * 4096) {
			__asm__ volatile("tlbi vmalle1is" : : : "memory");
			break;
		}
		for (uint64_t o = 0; o < size; o += 4096) {
			uint64_t arg = ((req->va + o) >> 12) & ((1ull << 44) - 1);

			if (req->last_level)
				__asm__ volatile("tlbi vaale1is, %0" : : "r"(arg) : "memory");
			else
				__asm__ volatile("tlbi vaae1is, %0" : : "r"(arg) : "memory");
		}
		break;
	}
	case VMK_TLB_ASID:
		__asm__ volatile("tlbi aside1is, %0" : : "r"((uint64_t)req->asid << 48) : "memory");
		break;
	default:
		__asm__ volatile("tlbi vmalle1is" : : : "memory");
		break;
	}
	__asm__ volatile("dsb ish; isb" : : : "memory");
	tlbi_broadcast++;
}

static void a_barrier(void *ctx, enum vmk_barrier kind)
{
	(void)ctx;
	switch (kind) {
	case VMK_BARRIER_PTE_STORE:
		__asm__ volatile("dsb ishst" : : : "memory");
		break;
	case VMK_BARRIER_TLB_SYNC:
		__asm__ volatile("dsb ish" : : : "memory");
		break;
	case VMK_BARRIER_ISB:
		__asm__ volatile("isb" : : : "memory");
		break;
	default:
		__asm__ volatile("dmb ish" : : : "memory");
		break;
	}
}

static void a_cpu_relax(void *ctx)
{
	(void)ctx;
	__asm__ volatile("yield" : : : "memory");
	smp_poll();
}

static unsigned long a_intr_disable(void *ctx)
{
	uint64_t d = read_daif();

	(void)ctx;
	__asm__ volatile("msr daifset, #0xf" : : : "memory");
	return (unsigned long)(d >> 6);
}

static void a_intr_restore(void *ctx, unsigned long state)
{
	(void)ctx;
	__asm__ volatile("msr daif, %0" : : "r"((uint64_t)state << 6) : "memory");
}

const struct vmk_platform arch_platform = {
	.phys_to_virt = a_phys_to_virt,
	.tlb_invalidate = a_tlb_invalidate,
	.barrier = a_barrier,
	.cpu_id = a64_cpu_id,
	.cpu_count = smp_poll_cpu_count,
	.rendezvous = smp_poll_rendezvous,
	.cpu_relax = a_cpu_relax,
	.intr_disable = a_intr_disable,
	.intr_restore = a_intr_restore,
};
