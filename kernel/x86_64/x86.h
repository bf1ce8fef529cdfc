/* x86-64 instructions and the pieces the arch files share. */
#ifndef KERNEL_X86_H
#define KERNEL_X86_H

#include <stdint.h>
#include <vmkit/platform.h>

#define PTE_P		0x1ull
#define PTE_W		0x2ull
#define PTE_PS		0x80ull
#define PTE_ADDR	0x000ffffffffff000ull
#define CR0_WP		(1ull << 16)
#define RFLAGS_IF	(1ull << 9)
#define MSR_EFER	0xc0000080u
#define MSR_PAT		0x277u
#define EFER_NXE	(1ull << 11)

#define LAPIC_ID	0x20
#define LAPIC_EOI	0xb0
#define LAPIC_SVR	0xf0
#define LAPIC_ICR_LO	0x300
#define LAPIC_ICR_HI	0x310

/* What the vector entry points in entry.S push, lowest address first. */
struct trap_frame {
	uint64_t gpr[15];	/* r15 .. rax */
	uint64_t vec, err, rip, cs, rflags, rsp, ss;
};

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}
static inline void cpu_pause(void) { __asm__ volatile("pause" : : : "memory"); }
#define CR_RW(n)								\
	static inline uint64_t read_cr##n(void)					\
	{									\
		uint64_t v;							\
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));		\
		return v;							\
	}									\
	static inline void write_cr##n(uint64_t v)				\
	{									\
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");	\
	}
CR_RW(0)
CR_RW(2)
CR_RW(3)
CR_RW(4)
static inline uint64_t rdmsr(uint32_t m)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(m));
	return lo | (uint64_t)hi << 32;
}
static inline void wrmsr(uint32_t m, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(m), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}
static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}
static inline void cpuid_sub(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	__asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}
static inline void invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }
/* INVPCID types: one address in one PCID, one PCID, every PCID with global entries. */
enum { INVPCID_ADDR = 0, INVPCID_SINGLE = 1, INVPCID_ALL_GLOBAL = 2 };
static inline void invpcid(uint64_t type, uint64_t pcid, uint64_t va)
{
	struct { uint64_t pcid, va; } desc = { pcid, va };

	__asm__ volatile("invpcid %0, %1" : : "m"(desc), "r"(type) : "memory");
}

#define CR4_PCIDE	(1ull << 17)
#define CR3_NOFLUSH	(1ull << 63)
/* The kernel address space's PCID when the CPU has PCIDs (not 0, so the tag is visibly live). */
#define KERNEL_PCID	1

/* What CPUID said (cpu.c), and the PCID this CPU's CR3 carries (0 without PCIDE). */
extern bool x86_has_pcid, x86_has_invpcid;
/* Invalidations done by INVLPG, by INVPCID, by a CR3 reload (all CPUs). */
extern volatile uint64_t x86_flushes[3];
/* Load root into CR3: with CR4.PCIDE and the kernel's PCID when the CPU has PCIDs. */
void x86_load_root(uint64_t root);
/* CR3 and CR4 as each AP left its start-up (smp.c), for the self-test. */
extern volatile uint64_t x86_ap_cr3[], x86_ap_cr4[];

extern uint64_t x86_lapic_va;
static inline uint32_t lapic_read(uint32_t reg) { return *(volatile uint32_t *)(uintptr_t)(x86_lapic_va + reg); }
static inline void lapic_write(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(uintptr_t)(x86_lapic_va + reg) = v; }

void x86_load_tables(void);
void x86_cpu_regs_init(void);
void x86_dump_frame(const struct trap_frame *f);
void x86_flush_local(const struct vmk_tlb_req *req);

/* smp.c */
unsigned int x86_cpu_id(void *ctx);
unsigned int x86_cpu_count(void *ctx);
void x86_rendezvous(void *ctx, vmk_rendezvous_fn fn, void *arg);
void x86_shootdown(const struct vmk_tlb_req *req);
/* vmk_cpu_relax(): serve a pending shootdown (any context, interrupts on or off). */
void x86_smp_relax(void);
/* An interrupt for smp.c (IPIs): handled and acknowledged, true; else false. */
bool x86_smp_interrupt(struct trap_frame *f);

#endif
