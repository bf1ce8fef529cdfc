/*
 * x86-64: serial port, exit through isa-debug-exit, the move to the high
 * half, descriptor tables, exception handling, and the platform hooks
 * vmkit calls, with real instructions.
 */
#include <vmkit/pmap.h>

#include "../efi.h"
#include "../kernel.h"
#include "x86.h"

const uint64_t arch_dmap_base = 0xffff888000000000ull;	/* Linux's direct map */
const uint64_t arch_kmem_base = 0xffffc90000000000ull;	/* Linux's vmalloc area */
const uint64_t arch_kmem_size = 1ull << 30;
const uint64_t arch_test_va = 0xffffc88000000000ull;	/* the self-tests' own window */
const unsigned int arch_high_tables_pages = 4;
const uint64_t arch_low_reserve = 1ull << 20;
const uint32_t arch_boot_policy = 0;	/* VMK_BOOT_ARCH_X86_64 */
#define KIMG_BASE	0xffffffff80000000ull		/* __START_KERNEL_map */
#define LAPIC_VA	0xffffffffc0000000ull

uint64_t x86_lapic_va;		/* 0 until the LAPIC is mapped */

/* ---- serial (COM1, left at 115200 8N1 by the firmware) and exit ---- */

void arch_serial_putc(char c)
{
	while (!(inb(0x3fd) & 0x20))
		cpu_pause();
	outb(0x3f8, (uint8_t)c);
}

void arch_exit(int status)
{
	/* isa-debug-exit: QEMU exits with (value << 1) | 1. */
	outb(0xf4, status == KERNEL_EXIT_PASS ? 0x10 : 0x11);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* ---- before EBS ---- */

int arch_pre_ebs(void *system_table, struct boot_info *bi)
{
	struct efi_boot_services *bs = ((struct efi_system_table *)system_table)->boot_services;
	uint64_t a;

	/* The early high-half map: a PDPT, a PD and two PTs for the image. */
	if (bs->allocate_pages(EFI_ALLOCATE_ANY, EFI_LOADER_DATA, 4, &a) != EFI_SUCCESS)
		return -1;
	bi->high_tables_pa = a;
	/* The AP start page (SIPI vector = page number, below 1 MiB). */
	a = 0x9f000;
	if (bs->allocate_pages(EFI_ALLOCATE_MAX_ADDRESS, EFI_LOADER_DATA, 1, &a) == EFI_SUCCESS)
		bi->trampoline_pa = a;
	/* The APs' first page tables: a 32-bit CR3 load needs them below 4 GiB. */
	a = 0xffffffffull;
	if (bs->allocate_pages(EFI_ALLOCATE_MAX_ADDRESS, EFI_LOADER_DATA, 3, &a) == EFI_SUCCESS)
		bi->ap_pml4_pa = a;
	return 0;
}

/* ---- going high ---- */

void enter_high(uint64_t delta);

/*
 * Still on the firmware's page tables (identity): add to them the kernel
 * image at KIMG_BASE and a direct-map alias of the identity map, relocate
 * the image there, and continue at the high address on the kernel stack.
 * From then on every pointer the kernel stores is a high address, which
 * vmkit's own tables keep mapping.
 */
void arch_go_high(struct boot_info *bi)
{
	uint64_t *pml4 = (uint64_t *)(uintptr_t)(read_cr3() & PTE_ADDR);
	uint64_t *pdpt = (uint64_t *)(uintptr_t)bi->high_tables_pa, *pd = pdpt + 512, *pt = pdpt + 1024;
	uint64_t kva = KIMG_BASE + (bi->image_pa & (2 * VMK_MiB - 1)), cr0 = read_cr0();

	__asm__ volatile("cli");
	/* The legacy PICs stay masked: the kernel takes no device interrupts. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	if (bi->image_size + (bi->image_pa & (2 * VMK_MiB - 1)) > 4 * VMK_MiB) {
		kputs("vmkit-kernel: image too large for the early map\n");
		arch_exit(KERNEL_EXIT_FAIL);
	}
	for (int i = 0; i < 4 * 512; i++)
		pdpt[i] = 0;
	pdpt[510] = (uint64_t)(uintptr_t)pd | PTE_P | PTE_W;
	pd[0] = (uint64_t)(uintptr_t)pt | PTE_P | PTE_W;
	pd[1] = (uint64_t)(uintptr_t)(pt + 512) | PTE_P | PTE_W;
	for (uint64_t off = 0; off < bi->image_size; off += 4096)
		pt[((kva + off) >> 12) & 1023] = (bi->image_pa + off) | PTE_P | PTE_W;
	/* The firmware may have made its tables read-only: write with CR0.WP clear. */
	write_cr0(cr0 & ~CR0_WP);
	pml4[511] = (uint64_t)(uintptr_t)pdpt | PTE_P | PTE_W;
	pml4[273] = pml4[0];
	pml4[274] = pml4[1];
	write_cr0(cr0);
	write_cr3(read_cr3());
	bi->image_kva = kva;
	pe_relocate((void *)(uintptr_t)bi->image_pa, kva - bi->image_pa);
	enter_high(kva - bi->image_pa);
	for (;;)
		;
}

/* ---- descriptor tables ---- */

static uint64_t gdt[3] = {
	0,
	0x00af9a000000ffffull,	/* 0x08: 64-bit code */
	0x00cf92000000ffffull,	/* 0x10: data */
};

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
};
static struct idt_gate idt[256] __attribute__((aligned(16)));
extern const uint64_t isr_table[256];

void load_segments(void);

void x86_load_tables(void)
{
	struct __attribute__((packed)) { uint16_t limit; uint64_t base; } g, i;

	g.limit = sizeof(gdt) - 1;
	g.base = (uint64_t)(uintptr_t)gdt;
	i.limit = sizeof(idt) - 1;
	i.base = (uint64_t)(uintptr_t)idt;
	__asm__ volatile("lgdt %0" : : "m"(g) : "memory");
	load_segments();
	__asm__ volatile("lidt %0" : : "m"(i) : "memory");
}

bool x86_has_pcid, x86_has_invpcid;
volatile uint64_t x86_flushes[3];
static uint64_t kernel_pcid;	/* set once CR4.PCIDE is on (INVPCID needs 0 before) */

/* PCID: CPUID.1:ECX[17]; INVPCID: CPUID.(7,0):EBX[10]. */
static void detect_tlb_tags(void)
{
	uint32_t a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	x86_has_pcid = (c >> 17) & 1;
	cpuid(0, &a, &b, &c, &d);
	if (a >= 7) {
		cpuid_sub(7, 0, &a, &b, &c, &d);
		x86_has_invpcid = (b >> 10) & 1;
	}
}

void x86_load_root(uint64_t root)
{
	write_cr3(root);
	if (!x86_has_pcid)
		return;
	/* Setting CR4.PCIDE needs CR3[11:0] == 0, which the plain load above made so. */
	write_cr4(read_cr4() | CR4_PCIDE);
	write_cr3(root | KERNEL_PCID);
	kernel_pcid = KERNEL_PCID;
}

bool arch_tlb_tags_check(char *buf, size_t n)
{
	uint64_t want_pcid = x86_has_pcid ? KERNEL_PCID : 0, want_cr4 = x86_has_pcid ? CR4_PCIDE : 0;
	bool ok = (read_cr4() & CR4_PCIDE) == want_cr4 && (read_cr3() & 0xfff) == want_pcid;
	uint64_t invlpgs = x86_flushes[0], invpcids = x86_flushes[1], reloads = x86_flushes[2];

	for (unsigned int c = 1; c < vmk_cpu_count(); c++)
		ok = ok && (x86_ap_cr4[c] & CR4_PCIDE) == want_cr4 && (x86_ap_cr3[c] & 0xfff) == want_pcid;
	/* Only the path CPUID allows was taken. */
	ok = ok && (x86_has_invpcid ? invpcids > 0 && !invlpgs && !reloads : invlpgs > 0 && !invpcids);
	vmk_snprintf(buf, n,
		     "CPUID: PCID %s, INVPCID %s; CR4.PCIDE %s and CR3 PCID %llu on CPU 0, %s on the other %u CPU(s); "
		     "invalidations so far: %llu INVPCID, %llu INVLPG, %llu CR3 reloads",
		     x86_has_pcid ? "yes" : "no", x86_has_invpcid ? "yes" : "no",
		     read_cr4() & CR4_PCIDE ? "set" : "clear", (unsigned long long)(read_cr3() & 0xfff),
		     ok ? "the same" : "NOT the same", vmk_cpu_count() - 1, (unsigned long long)invpcids,
		     (unsigned long long)invlpgs, (unsigned long long)reloads);
	return ok;
}

void arch_cpu_init(void)
{
	for (int v = 0; v < 256; v++) {
		uint64_t a = isr_table[v];

		idt[v] = (struct idt_gate){ (uint16_t)a, 0x08, 0, 0x8e, (uint16_t)(a >> 16),
					    (uint32_t)(a >> 32), 0 };
	}
	x86_load_tables();
	x86_cpu_regs_init();
	detect_tlb_tags();
}

/* The same MMU-related registers on every CPU: PAT for vmkit's memory types, NX on. */
void x86_cpu_regs_init(void)
{
	wrmsr(MSR_PAT, vmk_pmap_memattr_reg(VMK_PMAP_ARCH_X86_64));
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
}

void arch_pmap_config(struct vmk_pmap_config *pc)
{
	uint32_t a, b, c, d;

	cpuid(0x80000001, &a, &b, &c, &d);
	pc->arch = VMK_PMAP_ARCH_X86_64;
	pc->levels = 4;
	pc->large_1g = (d >> 26) & 1;
	pc->nx = (d >> 20) & 1;
	pc->kva_start = arch_dmap_base;
	pc->kva_end = 0xfffffffffffff000ull;
}

int arch_map_devices(void)
{
	int r;

	if (!boot_info.lapic_pa)
		return 0;
	r = vmk_pmap_enter(vmk_pmap_kernel(), LAPIC_VA, boot_info.lapic_pa & PTE_ADDR,
			   VMK_PROT_READ | VMK_PROT_WRITE,
			   VMK_PMAP_ENTER_NOREPLACE | VMK_PMAP_ENTER_NOPROMOTE | VMK_PMAP_MEMTYPE(VMK_MEMTYPE_UC));
	if (!r) {
		x86_lapic_va = LAPIC_VA;
		boot_note_device(LAPIC_VA, boot_info.lapic_pa & PTE_ADDR, VMK_PAGE_SIZE, VMK_MEMTYPE_UC);
	}
	return r;
}

void arch_switch_root(uint64_t root_pa)
{
	x86_load_root(root_pa);
	kprintf("boot: x86-64 TLB tags: %s; invalidation by %s\n",
		x86_has_pcid ? "PCID (CR4.PCIDE set, the kernel runs as PCID 1)" : "no PCID (CR4.PCIDE clear)",
		x86_has_invpcid ? "INVPCID (one address / all contexts)" : "INVLPG and CR3 reloads");
}

/* ---- exceptions ---- */

extern const char probe_read_insn[], probe_write_insn[], probe_fixup[];
volatile struct fault_record last_fault;
static volatile uint64_t probe_exec_target;
static volatile unsigned int spurious;

int probe_exec_raw(const void *fn);

int probe_exec(const void *fn)
{
	int r;

	probe_exec_target = (uint64_t)(uintptr_t)fn;
	r = probe_exec_raw(fn);
	probe_exec_target = 0;
	return r;
}


bool arch_fault_not_present(uint64_t code) { return !(code & 1); }
bool arch_fault_write(uint64_t code) { return code & 2; }
bool arch_fault_fetch(uint64_t code) { return code & 0x10; }

static const char *const regname[15] = {
	"r15", "r14", "r13", "r12", "r11", "r10", "r9", "r8",
	"rbp", "rdi", "rsi", "rdx", "rcx", "rbx", "rax",
};

void x86_dump_frame(const struct trap_frame *f)
{
	kprintf("  vector %llu error 0x%llx rip 0x%016llx cs 0x%llx rflags 0x%llx rsp 0x%016llx ss 0x%llx\n",
		(unsigned long long)f->vec, (unsigned long long)f->err, (unsigned long long)f->rip,
		(unsigned long long)f->cs, (unsigned long long)f->rflags, (unsigned long long)f->rsp,
		(unsigned long long)f->ss);
	for (int i = 14; i >= 0; i--)
		kprintf("  %-3s 0x%016llx%s", regname[i], (unsigned long long)f->gpr[i], i % 3 == 0 ? "\n" : "");
	kprintf("  cr0 0x%llx cr2 0x%016llx cr3 0x%llx cr4 0x%llx efer 0x%llx\n",
		(unsigned long long)read_cr0(), (unsigned long long)read_cr2(),
		(unsigned long long)read_cr3(), (unsigned long long)read_cr4(),
		(unsigned long long)rdmsr(MSR_EFER));
	kprintf("  image at 0x%llx, running at 0x%llx (kernel.map offsets: rip - 0x%llx)\n",
		(unsigned long long)boot_info.image_pa, (unsigned long long)boot_info.image_kva,
		(unsigned long long)boot_info.image_kva);
}

void trap_handler(struct trap_frame *f);

void trap_handler(struct trap_frame *f)
{
	if (f->vec < 32) {
		bool at_probe = f->rip == (uint64_t)(uintptr_t)probe_read_insn ||
				f->rip == (uint64_t)(uintptr_t)probe_write_insn;
		bool fetch_probe = f->vec == 14 && probe_exec_target && f->rip == probe_exec_target;

		if (at_probe || fetch_probe) {
			last_fault.vector = f->vec;
			last_fault.code = f->err;
			last_fault.addr = f->vec == 14 ? read_cr2() : 0;
			last_fault.ip = f->rip;
			last_fault.count++;
			f->rip = (uint64_t)(uintptr_t)probe_fixup;
			return;
		}
		kprintf("\nvmkit-kernel: unexpected exception %llu on CPU %u\n", (unsigned long long)f->vec,
			vmk_cpu_id());
		x86_dump_frame(f);
		kprintf("vmkit-kernel: %u passed, %u failed\n", tests_passed, tests_failed + 1);
		arch_exit(KERNEL_EXIT_FAIL);
	}
	if (x86_smp_interrupt(f))
		return;
	spurious++;
	if (x86_lapic_va)
		lapic_write(LAPIC_EOI, 0);
}

void arch_dump_here(void)
{
	struct trap_frame f;

	vmk_memset(&f, 0, sizeof(f));
	__asm__ volatile("lea (%%rip), %0; mov %%rsp, %1; mov %%rbp, %2"
			 : "=r"(f.rip), "=r"(f.rsp), "=r"(f.gpr[8]));
	x86_dump_frame(&f);
}

/* ---- the platform hooks ---- */

static void *x_phys_to_virt(void *ctx, vmk_paddr_t pa)
{
	(void)ctx;
	return pa < (1ull << 39) ? (void *)(uintptr_t)(arch_dmap_base + pa) : NULL;
}

static void flush_page(uint64_t va)
{
	if (x86_has_invpcid) {
		invpcid(INVPCID_ADDR, kernel_pcid, va);
		__atomic_fetch_add(&x86_flushes[1], 1, __ATOMIC_RELAXED);
	} else {
		invlpg(va);
		__atomic_fetch_add(&x86_flushes[0], 1, __ATOMIC_RELAXED);
	}
}

/*
 * The kernel runs in one address space (one PCID): a page is INVPCID of
 * that address in the kernel's PCID (INVLPG without INVPCID: the current
 * PCID, which is the kernel's); everything is INVPCID of all contexts, or
 * a CR3 reload without the no-flush bit (it drops the current PCID's
 * entries; CR4.PGE is off, so there are no global ones).
 */
void x86_flush_local(const struct vmk_tlb_req *req)
{
	switch (req->kind) {
	case VMK_TLB_PAGE:
		flush_page(req->va);
		break;
	case VMK_TLB_RANGE:
		if (req->size <= 64 * 4096) {
			for (uint64_t o = 0; o < req->size; o += 4096)
				flush_page(req->va + o);
			break;
		}
		/* fall through */
	default:
		if (x86_has_invpcid) {
			invpcid(INVPCID_ALL_GLOBAL, 0, 0);
			__atomic_fetch_add(&x86_flushes[1], 1, __ATOMIC_RELAXED);
		} else {
			write_cr3(read_cr3() & ~CR3_NOFLUSH);
			__atomic_fetch_add(&x86_flushes[2], 1, __ATOMIC_RELAXED);
		}
		break;
	}
}

static void x_tlb_invalidate(void *ctx, const struct vmk_tlb_req *req)
{
	(void)ctx;
	x86_flush_local(req);
	if (req->shootdown)
		x86_shootdown(req);
}

static void x_barrier(void *ctx, enum vmk_barrier kind)
{
	(void)ctx;
	if (kind == VMK_BARRIER_FULL)
		__asm__ volatile("mfence" : : : "memory");
	else
		__asm__ volatile("" : : : "memory");
}

static void x_cpu_relax(void *ctx)
{
	(void)ctx;
	cpu_pause();
	x86_smp_relax();
}

static unsigned long x_intr_disable(void *ctx)
{
	uint64_t fl;

	(void)ctx;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(fl) : : "memory");
	return (unsigned long)(fl & RFLAGS_IF);
}

static void x_intr_restore(void *ctx, unsigned long state)
{
	(void)ctx;
	if (state & RFLAGS_IF)
		__asm__ volatile("sti" : : : "memory");
}

const struct vmk_platform arch_platform = {
	.phys_to_virt = x_phys_to_virt,
	.tlb_invalidate = x_tlb_invalidate,
	.barrier = x_barrier,
	.cpu_id = x86_cpu_id,
	.cpu_count = x86_cpu_count,
	.rendezvous = x86_rendezvous,
	.cpu_relax = x_cpu_relax,
	.intr_disable = x_intr_disable,
	.intr_restore = x_intr_restore,
};
