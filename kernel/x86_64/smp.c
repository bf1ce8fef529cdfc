/*
 * x86-64 multiprocessing: AP start-up with INIT-SIPI-SIPI, CPU numbering
 * from the initial APIC ID, and the two IPIs vmkit needs: TLB shootdown
 * and rendezvous. A CPU waiting for others also serves its own mailbox,
 * so two CPUs waiting on each other (or the BSP, which runs with
 * interrupts off) never deadlock.
 */
#include <vmkit/pmap.h>

#include "../kernel.h"
#include "x86.h"

#define VEC_SHOOTDOWN	0xf0
#define VEC_RENDEZVOUS	0xf1
#define AP_STACK	(32 * 1024)

static volatile unsigned int cpus_online = 1;
static uint8_t ap_stacks[KERNEL_MAX_CPUS][AP_STACK] __attribute__((aligned(16)));

/* Shootdown: one request at a time; each target acknowledges the generation. */
static volatile int sd_lock;
static struct vmk_tlb_req sd_req;
static volatile uint64_t sd_gen;
static volatile uint64_t sd_ack[KERNEL_MAX_CPUS];
static volatile uint64_t sd_served[KERNEL_MAX_CPUS];

/* Rendezvous: the others park until the initiator releases them. */
static volatile int rdv_lock;
static volatile uint64_t rdv_gen, rdv_release;
static volatile uint64_t rdv_parked[KERNEL_MAX_CPUS];
volatile unsigned int smp_rdv_parked_count;
volatile uint64_t smp_rendezvous_count;

unsigned int x86_cpu_id(void *ctx)
{
	uint32_t a, b, c, d, apic;

	(void)ctx;
	if (cpus_online == 1)
		return 0;
	cpuid(1, &a, &b, &c, &d);
	apic = b >> 24;
	for (unsigned int i = 0; i < boot_info.ncpus; i++)
		if (boot_info.cpu_hwid[i] == apic)
			return i;
	return 0;
}

unsigned int x86_cpu_count(void *ctx)
{
	(void)ctx;
	return cpus_online;
}

const char arch_shootdown_what[] = "shootdown IPIs served by CPU 1";

uint64_t smp_shootdowns_served(unsigned int cpu)
{
	return sd_served[cpu];
}

static void send_ipi(unsigned int cpu, uint32_t icr_lo)
{
	lapic_write(LAPIC_ICR_HI, boot_info.cpu_hwid[cpu] << 24);
	lapic_write(LAPIC_ICR_LO, icr_lo);
	while (lapic_read(LAPIC_ICR_LO) & (1u << 12))	/* delivery pending */
		cpu_pause();
}

/* Serve a shootdown another CPU asked of CPU me, if one is pending. */
static void serve_shootdown(unsigned int me)
{
	uint64_t g = __atomic_load_n(&sd_gen, __ATOMIC_ACQUIRE);

	if (sd_ack[me] != g) {
		x86_flush_local(&sd_req);
		sd_served[me]++;
		__atomic_store_n(&sd_ack[me], g, __ATOMIC_RELEASE);
	}
}

/*
 * From vmk_cpu_relax(): every spin loop serves shootdowns, so a CPU
 * spinning with interrupts off (the boot CPU always is) never leaves the
 * CPU shooting down waiting for it (platform.h: an embedder spinning on a
 * pmap lock with interrupts disabled must serve shootdowns). Rendezvous
 * are not served here: the spinning CPU may hold a lock the rendezvous
 * function needs.
 */
void x86_smp_relax(void)
{
	uint64_t g = __atomic_load_n(&sd_gen, __ATOMIC_ACQUIRE);
	unsigned int n = cpus_online;

	for (unsigned int c = 0; c < n; c++)
		if (sd_ack[c] != g) {
			serve_shootdown(x86_cpu_id(NULL));
			return;
		}
}

/* Serve what other CPUs asked of this one. Any context, interrupts on or off. */
static void smp_poll(void)
{
	unsigned int me = x86_cpu_id(NULL);
	uint64_t g;

	serve_shootdown(me);
	g = rdv_gen;
	if (rdv_parked[me] != g) {
		__atomic_store_n(&rdv_parked[me], g, __ATOMIC_RELEASE);
		__atomic_fetch_add(&smp_rdv_parked_count, 1, __ATOMIC_ACQ_REL);
		while (rdv_release != g)
			cpu_pause();
		__atomic_fetch_sub(&smp_rdv_parked_count, 1, __ATOMIC_ACQ_REL);
	}
}

static void lock(volatile int *l)
{
	while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
		smp_poll();
}

static void unlock(volatile int *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

void x86_shootdown(const struct vmk_tlb_req *req)
{
	unsigned int n = cpus_online, me;
	uint64_t g;

	if (n == 1)
		return;
	lock(&sd_lock);
	me = x86_cpu_id(NULL);
	sd_req = *req;
	g = sd_gen + 1;
	sd_ack[me] = g;
	__atomic_store_n(&sd_gen, g, __ATOMIC_RELEASE);
	for (unsigned int c = 0; c < n; c++)
		if (c != me)
			send_ipi(c, VEC_SHOOTDOWN);
	for (unsigned int c = 0; c < n; c++)
		while (__atomic_load_n(&sd_ack[c], __ATOMIC_ACQUIRE) != g)
			cpu_pause();
	unlock(&sd_lock);
}

void x86_rendezvous(void *ctx, vmk_rendezvous_fn fn, void *arg)
{
	unsigned int n = cpus_online, me = x86_cpu_id(NULL);
	uint64_t g;

	(void)ctx;
	if (n == 1) {
		fn(arg, me);
		return;
	}
	lock(&rdv_lock);
	g = rdv_gen + 1;
	rdv_parked[me] = g;
	__atomic_store_n(&rdv_gen, g, __ATOMIC_RELEASE);
	for (unsigned int c = 0; c < n; c++)
		if (c != me)
			send_ipi(c, VEC_RENDEZVOUS);
	while (__atomic_load_n(&smp_rdv_parked_count, __ATOMIC_ACQUIRE) != n - 1) {
		/* A shootdown asked of us meanwhile is served; nobody else may start a rendezvous. */
		serve_shootdown(me);
		cpu_pause();
	}
	smp_rendezvous_count++;
	fn(arg, me);
	__atomic_store_n(&rdv_release, g, __ATOMIC_RELEASE);
	while (__atomic_load_n(&smp_rdv_parked_count, __ATOMIC_ACQUIRE) != 0)
		cpu_pause();
	unlock(&rdv_lock);
}

bool x86_smp_interrupt(struct trap_frame *f)
{
	if (f->vec != VEC_SHOOTDOWN && f->vec != VEC_RENDEZVOUS)
		return false;
	lapic_write(LAPIC_EOI, 0);
	smp_poll();
	return true;
}

/* ---- AP start-up ---- */

extern const uint8_t tramp_start[], tramp_end[], tramp_gdt[], tramp_gdt_ptr[], tramp_far[], tramp_long[];
extern uint64_t tramp_cr4, tramp_cr3, tramp_cr0, tramp_stack, tramp_entry, tramp_cpu;

static uint64_t kernel_root;

static void ap_entry(unsigned int cpu);

volatile uint64_t x86_ap_cr3[KERNEL_MAX_CPUS], x86_ap_cr4[KERNEL_MAX_CPUS];

static void ap_entry(unsigned int cpu)
{
	x86_load_root(kernel_root);
	x86_ap_cr3[cpu] = read_cr3();
	x86_ap_cr4[cpu] = read_cr4();
	x86_load_tables();
	x86_cpu_regs_init();
	lapic_write(LAPIC_SVR, 0x1ff);		/* software-enabled, spurious vector 0xff */
	__atomic_fetch_add(&cpus_online, 1, __ATOMIC_ACQ_REL);
	__asm__ volatile("sti");
	smp_ap_main(cpu);
	for (;;)
		__asm__ volatile("sti; hlt");
}

static void delay(unsigned long n)
{
	while (n--)
		cpu_pause();
}

/* Where a trampoline symbol lands in the copy. */
static uint64_t at(uint64_t tramp_pa, const void *sym)
{
	return tramp_pa + (uint64_t)((const uint8_t *)sym - tramp_start);
}

unsigned int arch_start_cpus(void)
{
	const struct boot_info *bi = &boot_info;
	uint64_t *pml4, *pdpt, *pd, *root;
	uint8_t *page;
	size_t len = (size_t)(tramp_end - tramp_start);

	kernel_root = vmk_pmap_root(vmk_pmap_kernel());
	if (bi->ncpus < 2 || !bi->trampoline_pa || !bi->ap_pml4_pa || !x86_lapic_va)
		return cpus_online;
	lapic_write(LAPIC_SVR, lapic_read(LAPIC_SVR) | 0x100);
	/* The AP tables: this page identity-mapped (one 2 MiB page at 0), the kernel half shared. */
	pml4 = vmk_phys_to_virt(bi->ap_pml4_pa);
	pdpt = pml4 + 512;
	pd = pml4 + 1024;
	root = vmk_phys_to_virt(kernel_root);
	vmk_memset(pml4, 0, 3 * 4096);
	pml4[0] = (bi->ap_pml4_pa + 4096) | PTE_P | PTE_W;
	pdpt[0] = (bi->ap_pml4_pa + 8192) | PTE_P | PTE_W;
	pd[0] = PTE_P | PTE_W | PTE_PS;
	for (int i = 256; i < 512; i++)
		pml4[i] = root[i];
	page = vmk_phys_to_virt(bi->trampoline_pa);
	vmk_memcpy(page, tramp_start, len);
	for (unsigned int cpu = 1; cpu < bi->ncpus; cpu++) {
		unsigned int before = cpus_online;
		uint32_t gdt = (uint32_t)at(bi->trampoline_pa, tramp_gdt), far = (uint32_t)at(bi->trampoline_pa, tramp_long);
		uint64_t v;

		vmk_memcpy(page + (tramp_gdt_ptr - tramp_start) + 2, &gdt, 4);
		vmk_memcpy(page + (tramp_far - tramp_start), &far, 4);
		v = read_cr4() & ~CR4_PCIDE;
		vmk_memcpy(page + ((uint8_t *)&tramp_cr4 - tramp_start), &v, 8);
		v = bi->ap_pml4_pa;
		vmk_memcpy(page + ((uint8_t *)&tramp_cr3 - tramp_start), &v, 8);
		v = read_cr0();
		vmk_memcpy(page + ((uint8_t *)&tramp_cr0 - tramp_start), &v, 8);
		v = (uint64_t)(uintptr_t)(ap_stacks[cpu] + AP_STACK);
		vmk_memcpy(page + ((uint8_t *)&tramp_stack - tramp_start), &v, 8);
		v = (uint64_t)(uintptr_t)ap_entry;
		vmk_memcpy(page + ((uint8_t *)&tramp_entry - tramp_start), &v, 8);
		v = cpu;
		vmk_memcpy(page + ((uint8_t *)&tramp_cpu - tramp_start), &v, 8);
		__asm__ volatile("mfence" : : : "memory");
		send_ipi(cpu, 0x4500);				/* INIT */
		delay(100000);
		for (int i = 0; i < 2; i++) {
			send_ipi(cpu, 0x4600 | (uint32_t)(bi->trampoline_pa >> 12));	/* STARTUP */
			delay(10000);
		}
		for (uint64_t spin = 0; cpus_online == before && spin < KERNEL_SPIN_LIMIT; spin++)
			cpu_pause();
		if (cpus_online == before)
			kprintf("smp: CPU %u (APIC ID %u) did not start\n", cpu, bi->cpu_hwid[cpu]);
		else
			kprintf("smp: CPU %u (APIC ID %u) is up\n", cpu, bi->cpu_hwid[cpu]);
	}
	return cpus_online;
}
