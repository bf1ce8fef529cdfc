/*
 * riscv64 (QEMU virt, OpenSBI): the SBI calls the kernel makes (console,
 * HSM hart start, RFENCE remote SFENCE.VMA), the exit through the
 * SiFive test device, traps and probes, the pmap configuration from the
 * device tree's ISA string and mmu-type (vmk_mmu_features_riscv), the
 * switch to vmkit's tables (satp), and the platform hooks with real
 * instructions. A shootdown is a local SFENCE.VMA plus an SBI RFENCE to
 * the other harts (OpenSBI returns once every target has fenced), so no
 * supervisor interrupt is ever taken.
 */
#include <vmkit/pmap.h>

#include "../smp_poll.h"
#include "rv.h"

const uint64_t arch_dmap_base = 0xffffffd800000000ull;
const uint64_t arch_kmem_base = 0xffffffc800000000ull;
const uint64_t arch_kmem_size = 1ull << 30;
const uint64_t arch_test_va = 0xffffffcc00000000ull;
const unsigned int arch_high_tables_pages = 0;	/* the early table is in the image */
const uint64_t arch_low_reserve = 0;
const uint32_t arch_boot_policy = 1;	/* VMK_BOOT_ARCH_ARM64: the device-tree (efi-init) rules */
#define KVA_START	0xffffffc000000000ull	/* Sv39: the top 256 GiB */
#define DEV_VA		0xffffffcf00000000ull
#define TEST_DEV_PA	0x00100000ull		/* sifive,test1: exit with a status */

static volatile uint64_t test_dev = TEST_DEV_PA;	/* identity until the switch */
static uint64_t kernel_satp;

/* ---- SBI ---- */

struct sbiret rv_sbi(uint64_t eid, uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t r0 __asm__("a0") = a0, r1 __asm__("a1") = a1, r2 __asm__("a2") = a2,
					r3 __asm__("a3") = a3, r6 __asm__("a6") = fid, r7 __asm__("a7") = eid;

	__asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r3), "r"(r6), "r"(r7) : "memory");
	return (struct sbiret){ (int64_t)r0, (int64_t)r1 };
}

/* ---- serial and exit ---- */

void arch_serial_putc(char c)
{
	/* The legacy console extension: one character, polled, in M-mode. */
	rv_sbi(SBI_EXT_0_1_CONSOLE_PUTCHAR, 0, (uint8_t)c, 0, 0, 0);
}

void arch_exit(int status)
{
	/* FINISHER_FAIL with a code: QEMU exits with that status (33 pass, 35 fail). */
	*(volatile uint32_t *)(uintptr_t)test_dev = ((uint32_t)status << 16) | 0x3333;
	for (;;)
		__asm__ volatile("wfi");
}

/* ---- traps ---- */

extern const char probe_read_insn[], probe_write_insn[], probe_fixup[], probe_exec_ret[];
volatile struct fault_record last_fault;
static volatile uint64_t probe_exec_target;

void arch_cpu_init(void)
{
	/* stvec was set by the entry code; SUM stays off (no user access from S-mode). */
}

int probe_exec_raw(const void *fn);

int probe_exec(const void *fn)
{
	int r;

	/* The code was written as data: make it visible to instruction fetch. */
	__asm__ volatile("fence.i" : : : "memory");
	probe_exec_target = (uint64_t)(uintptr_t)fn;
	r = probe_exec_raw(fn);
	probe_exec_target = 0;
	return r;
}

/*
 * scause 12/13/15: instruction/load/store page fault. RISC-V does not say
 * whether the page was absent or forbidden; the handler looks it up in
 * vmkit's tables and sets RV_FAULT_ABSENT when nothing maps the address.
 */
bool arch_fault_not_present(uint64_t code) { return (code & RV_FAULT_ABSENT) != 0; }
bool arch_fault_write(uint64_t code) { return (code & 0xff) == 15; }
bool arch_fault_fetch(uint64_t code) { return (code & 0xff) == 12; }

static void dump_frame(const struct rv_frame *f)
{
	kprintf("  scause 0x%llx stval 0x%016llx sepc 0x%016llx sstatus 0x%llx satp 0x%llx\n",
		(unsigned long long)f->scause, (unsigned long long)f->stval, (unsigned long long)f->sepc,
		(unsigned long long)f->sstatus, (unsigned long long)rv_read_satp());
	for (int i = 1; i < 32; i++)
		kprintf("  x%-2d 0x%016llx%s", i, (unsigned long long)f->x[i - 1], i % 4 == 3 || i == 31 ? "\n" : "");
	kprintf("  image at 0x%llx, running at 0x%llx (kernel.map offsets: pc - 0x%llx)\n",
		(unsigned long long)boot_info.image_pa, (unsigned long long)boot_info.image_kva,
		(unsigned long long)boot_info.image_kva);
}

void rv_trap(struct rv_frame *f);

void rv_trap(struct rv_frame *f)
{
	uint64_t cause = f->scause;
	bool page_fault = cause == 12 || cause == 13 || cause == 15;
	bool at_probe = f->sepc == (uint64_t)(uintptr_t)probe_read_insn ||
			f->sepc == (uint64_t)(uintptr_t)probe_write_insn;
	bool fetch_probe = cause == 12 && probe_exec_target && f->sepc == probe_exec_target;

	if (page_fault && (at_probe || fetch_probe)) {
		struct vmk_pmap_mapping m;
		bool absent = vmk_pmap_kernel() && vmk_pmap_extract(vmk_pmap_kernel(), f->stval, &m) != 0;

		last_fault.vector = cause;
		last_fault.code = cause | (absent ? RV_FAULT_ABSENT : 0);
		last_fault.addr = f->stval;
		last_fault.ip = f->sepc;
		last_fault.count++;
		if (fetch_probe) {
			f->x[10 - 1] = 1;	/* a0 */
			f->sepc = (uint64_t)(uintptr_t)probe_exec_ret;
		} else {
			f->sepc = (uint64_t)(uintptr_t)probe_fixup;
		}
		return;
	}
	kprintf("\nvmkit-kernel: unexpected trap (scause 0x%llx) on CPU %u\n", (unsigned long long)cause,
		vmk_cpu_id());
	dump_frame(f);
	kprintf("vmkit-kernel: %u passed, %u failed\n", tests_passed, tests_failed + 1);
	arch_exit(KERNEL_EXIT_FAIL);
}

void arch_dump_here(void)
{
	struct rv_frame f;

	vmk_memset(&f, 0, sizeof(f));
	__asm__ volatile("auipc %0, 0; mv %1, sp; mv %2, s0" : "=r"(f.sepc), "=r"(f.x[1]), "=r"(f.x[7]));
	dump_frame(&f);
}

/* ---- page tables ---- */

void arch_pmap_config(struct vmk_pmap_config *pc)
{
	const struct dt_info *dt = &boot_info.dt;
	struct vmk_riscv_dt rdt = {
		.isa = dt->isa, .isa_len = dt->isa_len,
		.isa_extensions = dt->isa_ext, .isa_extensions_len = dt->isa_ext_len,
		.mmu_type = dt->mmu_type, .mmu_type_len = dt->mmu_type_len,
	};
	struct vmk_mmu_features f;
	char err[128];
	int r = vmk_mmu_features_riscv(&rdt, &f, err, sizeof(err));

	if (!r)
		r = vmk_pmap_config_riscv(&f, pc);
	if (r) {
		kprintf("vmkit-kernel: riscv64 MMU features from the device tree: %s (%d)\n", err, r);
		arch_exit(KERNEL_EXIT_FAIL);
	}
	kprintf("boot: riscv64 MMU from the device tree: mmu-type Sv%u, svpbmt %s, svnapot %s, svadu %s, "
		"svade %s; the kernel uses Sv39\n", f.va_bits, f.svpbmt ? "yes" : "no", f.svnapot ? "yes" : "no",
		f.svadu ? "yes" : "no", f.svade ? "yes" : "no");
	pc->levels = 3;		/* this kernel's layout is Sv39's (every Sv48/Sv57 hart has Sv39) */
	pc->kva_start = KVA_START;
	pc->kva_end = 0;	/* to the top */
}

bool arch_tlb_tags_check(char *buf, size_t n)
{
	uint64_t satp = rv_read_satp(), root = (satp & ((1ull << 44) - 1)) << 12, asid = (satp >> 44) & 0xffff;
	bool ok = root == boot_state.kernel_root && asid == 0 && (satp >> 60) == 8;

	vmk_snprintf(buf, n, "riscv64: satp 0x%llx: Sv39, root 0x%llx%s, ASID %llu; kernel mappings global (G), "
		     "SFENCE.VMA by address without ASID", (unsigned long long)satp, (unsigned long long)root,
		     root == boot_state.kernel_root ? "" : " (NOT vmkit's)", (unsigned long long)asid);
	return ok;
}

int arch_map_devices(void)
{
	int r = vmk_pmap_enter(vmk_pmap_kernel(), DEV_VA, TEST_DEV_PA, VMK_PROT_READ | VMK_PROT_WRITE,
			       VMK_PMAP_ENTER_NOREPLACE | VMK_PMAP_ENTER_NOPROMOTE |
				       VMK_PMAP_MEMTYPE(VMK_MEMTYPE_DEVICE));

	if (!r)
		boot_note_device(DEV_VA, TEST_DEV_PA, VMK_PAGE_SIZE, VMK_MEMTYPE_DEVICE);
	return r;
}

void arch_switch_root(uint64_t root_pa)
{
	kernel_satp = vmk_pmap_riscv_satp(3, 0, root_pa);
	__asm__ volatile("sfence.vma; csrw satp, %0; sfence.vma" : : "r"(kernel_satp) : "memory");
	test_dev = DEV_VA;
}

uint64_t rv_kernel_satp(void)
{
	return kernel_satp;
}

/* ---- the platform hooks ---- */

static void *r_phys_to_virt(void *ctx, vmk_paddr_t pa)
{
	(void)ctx;
	return pa < (16ull << 30) ? (void *)(uintptr_t)(arch_dmap_base + pa) : NULL;
}

static volatile uint64_t rfences_sent;

const char arch_shootdown_what[] = "SBI RFENCE remote SFENCE.VMA (OpenSBI IPIs the harts in M-mode)";

uint64_t smp_shootdowns_served(unsigned int cpu)
{
	(void)cpu;
	return rfences_sent;	/* each RFENCE returns once every target hart has fenced */
}

/* Fence [va, va + size) (size 0: everything) for asid on this hart. */
static void local_fence(uint64_t va, uint64_t size, bool by_asid, uint32_t asid)
{
	if (!size || size > 64 * 4096) {
		if (by_asid)
			__asm__ volatile("sfence.vma zero, %0" : : "r"((uint64_t)asid) : "memory");
		else
			__asm__ volatile("sfence.vma" : : : "memory");
		return;
	}
	for (uint64_t o = 0; o < size; o += 4096) {
		if (by_asid)
			__asm__ volatile("sfence.vma %0, %1" : : "r"(va + o), "r"((uint64_t)asid) : "memory");
		else
			__asm__ volatile("sfence.vma %0, zero" : : "r"(va + o) : "memory");
	}
}

static void r_tlb_invalidate(void *ctx, const struct vmk_tlb_req *req)
{
	uint64_t va = 0, size = 0, others = 0;
	bool by_asid = false;
	unsigned int me = rv_cpu_id(NULL), n = smp_poll_cpu_count(NULL);

	(void)ctx;
	__asm__ volatile("fence rw, rw" : : : "memory");
	switch (req->kind) {
	case VMK_TLB_PAGE:
	case VMK_TLB_RANGE:
		va = req->va;
		size = req->kind == VMK_TLB_PAGE ? 4096 : req->size;
		/* A table entry may be cached as a walk step: by address fences leaf entries only. */
		if (!req->last_level)
			size = 0;
		by_asid = req->asid != 0;
		break;
	case VMK_TLB_ASID:
		by_asid = true;
		break;
	default:
		break;
	}
	local_fence(va, size, by_asid, req->asid);
	if (!req->shootdown || n == 1)
		return;
	for (unsigned int c = 0; c < n; c++)
		if (c != me)
			others |= 1ull << boot_info.cpu_hwid[c];
	if (by_asid)
		rv_sbi(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA_ASID, others, 0, va, size ? size : ~0ull);
	else
		rv_sbi(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, others, 0, va, size ? size : ~0ull);
	__atomic_fetch_add(&rfences_sent, 1, __ATOMIC_RELAXED);
}

static void r_barrier(void *ctx, enum vmk_barrier kind)
{
	(void)ctx;
	if (kind == VMK_BARRIER_ISB)
		__asm__ volatile("fence.i" : : : "memory");
	else
		__asm__ volatile("fence rw, rw" : : : "memory");
}

static void r_cpu_relax(void *ctx)
{
	(void)ctx;
	__asm__ volatile("nop" : : : "memory");
	smp_poll();
}

static unsigned long r_intr_disable(void *ctx)
{
	uint64_t s;

	(void)ctx;
	__asm__ volatile("csrrci %0, sstatus, 2" : "=r"(s) : : "memory");
	return (unsigned long)(s & 2);
}

static void r_intr_restore(void *ctx, unsigned long state)
{
	(void)ctx;
	if (state & 2)
		__asm__ volatile("csrsi sstatus, 2" : : : "memory");
}

const struct vmk_platform arch_platform = {
	.phys_to_virt = r_phys_to_virt,
	.tlb_invalidate = r_tlb_invalidate,
	.barrier = r_barrier,
	.cpu_id = rv_cpu_id,
	.cpu_count = smp_poll_cpu_count,
	.rendezvous = smp_poll_rendezvous,
	.cpu_relax = r_cpu_relax,
	.intr_disable = r_intr_disable,
	.intr_restore = r_intr_restore,
};
