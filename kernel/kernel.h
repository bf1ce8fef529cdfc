/*
 * The demo kernel's internal interface: what the portable boot and
 * self-test code (kernel/ *.c) needs from the architecture (x86_64/,
 * arm64/), and what they share.
 */
#ifndef KERNEL_H
#define KERNEL_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#include <vmkit/lib.h>
#include <vmkit/platform.h>
#include <vmkit/pmap.h>

#define KERNEL_MAX_CPUS		8
#define KERNEL_MAX_DESC_BYTES	(64 * 1024)
#define KERNEL_STACK_SIZE	(64 * 1024)
/*
 * How long a CPU waits for another before it reports a failure, in spin
 * iterations: far beyond any slowness of a loaded host (QEMU runs each CPU
 * as a host thread that may be starved for seconds), so a slow run is
 * never reported as a failure; a real hang ends at the boot's time-out.
 */
#define KERNEL_SPIN_LIMIT	(1ull << 34)
#define KERNEL_EXIT_PASS	33
#define KERNEL_EXIT_FAIL	35

/* What the device tree said (fdt.c), read before EBS. */
#define DT_MAX_MEM	8
struct dt_range {
	uint64_t base, size;
};
struct dt_info {
	uint64_t pa;				/* where the blob was */
	uint32_t size, version;
	bool valid;
	unsigned int nmem, nrsv, ncpus;
	struct dt_range mem[DT_MAX_MEM];	/* memory nodes' reg */
	struct dt_range rsv[DT_MAX_MEM];	/* the /memreserve/ block */
	uint32_t mpidr[KERNEL_MAX_CPUS];	/* /cpus/cpu@... reg (riscv64: the hart ID) */
	char psci[8];				/* /psci method: "hvc" or "smc" */
	/* riscv64: /reserved-memory children (OpenSBI's own region), /chosen, the first CPU's MMU. */
	unsigned int nresmem;
	struct dt_range resmem[DT_MAX_MEM];
	const char *stdout_path;		/* /chosen stdout-path (in the blob), NULL: none */
	uint64_t initrd_start, initrd_end;	/* /chosen linux,initrd-start/-end (0: none) */
	const char *isa, *isa_ext, *mmu_type;	/* riscv,isa / riscv,isa-extensions / mmu-type, in the blob */
	uint32_t isa_len, isa_ext_len, mmu_type_len;
};
/* Read a flattened device tree (identity-mapped); 0 or -VMK_EPARSE (dt->valid says). */
int dt_read(struct dt_info *dt, const void *blob);

/* What the UEFI stage hands to the kernel proper (filled before EBS). */
struct boot_info {
	uint64_t image_pa, image_size;		/* where the firmware loaded us */
	uint64_t image_kva;			/* where the kernel runs after going high */
	uint64_t rsdp_pa, dtb_pa;		/* 0 when absent */
	uint64_t map_size, desc_size;		/* the final (post-EBS) UEFI memory map */
	uint32_t desc_version, ebs_tries;
	unsigned int ncpus;			/* from the MADT (1 if none) */
	uint32_t cpu_hwid[KERNEL_MAX_CPUS];	/* x86 APIC ID / arm64 MPIDR affinity */
	uint64_t lapic_pa;			/* x86: from the MADT */
	uint64_t module_pa, module_size;	/* the "preloaded module" the loader stage placed */
	uint64_t high_tables_pa;		/* x86: pages for the early high-half map */
	uint64_t trampoline_pa;			/* x86: the AP start page below 1 MiB */
	uint64_t ap_pml4_pa;			/* x86: AP start tables below 4 GiB */
	struct dt_info dt;			/* the configuration table's DTB (dt.pa 0: none) */
	bool cpus_from_dt;			/* no ACPI: the CPUs came from the DT */
	uint8_t map[KERNEL_MAX_DESC_BYTES] __attribute__((aligned(8)));
};

extern struct boot_info boot_info;

/* ---- console (console.c): serial output through vmk_out ---- */
void kputs(const char *s);
void kprintf(const char *fmt, ...) VMK_PRINTF(1, 2);
extern struct vmk_out kout;

/* ---- ACPI (acpi.c) ---- */
/* Read the MADT under rsdp (identity-mapped, before EBS): CPUs and the LAPIC. */
void acpi_read_madt(struct boot_info *bi);

/* ---- PE image (pe.c) ---- */
struct pe_section {
	uint64_t rva, size;		/* page-rounded */
	uint32_t prot;			/* VMK_PROT_* */
	char name[9];
};
extern char __ImageBase[];
uint64_t pe_image_size(const void *base);
unsigned int pe_sections(const void *base, struct pe_section *out, unsigned int max);
/* Add delta to every DIR64 base relocation of the loaded image at base. Returns the count. */
unsigned int pe_relocate(void *base, uint64_t delta);

/*
 * ---- the firmware's memory map (efi.c: the UEFI map; riscv64/boot.c:
 * the device tree), printed and added to fw; *nsrc: descriptors read ----
 */
struct vmk_fwmap;
struct vmk_fwmap_diag;
int firmware_map(struct vmk_fwmap *fw, struct vmk_fwmap_diag *diag, unsigned int *nsrc);

/* ---- the kernel proper (main.c), entered at its high address ---- */
VMK_NORETURN void kernel_main(void);

/* ---- self-tests (tests.c) ---- */
void tests_run(void);
void test_result(const char *name, bool ok, const char *fmt, ...) VMK_PRINTF(3, 4);
extern unsigned int tests_passed, tests_failed;

/* ---- what the architecture provides ---- */
void arch_serial_putc(char c);
VMK_NORETURN void arch_exit(int status);
/* Before EBS: allocate what the architecture needs from the firmware. */
int arch_pre_ebs(void *system_table, struct boot_info *bi);
/* After EBS, still on the firmware's tables: go to the high half and call kernel_main there. */
VMK_NORETURN void arch_go_high(struct boot_info *bi);
/* On the high half, first thing: own exception vectors, descriptor tables, memory attributes. */
void arch_cpu_init(void);
/* The platform hooks (vmk_platform) with real instructions. */
extern const struct vmk_platform arch_platform;
/* Kernel virtual layout. */
extern const uint64_t arch_dmap_base, arch_kmem_base, arch_kmem_size, arch_test_va;
/* Low memory the kernel keeps out of the allocator (x86: the first MiB). */
extern const uint64_t arch_low_reserve;
/* Pages of the early high-half tables the loader stage allocated (freed after the switch). */
extern const unsigned int arch_high_tables_pages;
/* The boot policy of include/vmkit/boot.h (enum vmk_boot_arch). */
extern const uint32_t arch_boot_policy;
/* CPUs parked in the current rendezvous (the self-test reads it). */
extern volatile unsigned int smp_rdv_parked_count;
/* Rendezvous run so far. */
extern volatile uint64_t smp_rendezvous_count;
/* Fill the kernel pmap config from the CPU's ID registers. */
void arch_pmap_config(struct vmk_pmap_config *pc);
/* Map device registers into the kernel pmap; 0 or a vmkit error. */
int arch_map_devices(void);
/* Load vmkit's kernel root on this CPU. */
void arch_switch_root(uint64_t root_pa);
/* Start the other CPUs; returns how many answered. */
unsigned int arch_start_cpus(void);
/*
 * The TLB-tag path in use, checked on every CPU online: x86-64 PCID
 * (CR4.PCIDE, the kernel's PCID in CR3) and INVPCID when CPUID has them,
 * else the INVLPG/CR3 fallback; arm64 global kernel mappings in TTBR1.
 * Writes what it found to buf; returns true if the registers agree.
 */
bool arch_tlb_tags_check(char *buf, size_t n);
/* Dump registers of the current state (panic). */
void arch_dump_here(void);

/* Probes: 0 if the access worked, 1 if it faulted (the fault is recorded). */
int probe_read(const volatile void *p, uint64_t *out);
int probe_write(volatile void *p, uint64_t v);
int probe_exec(const void *fn);
struct fault_record {
	unsigned int count;
	uint64_t vector, addr, code, ip;
};
extern volatile struct fault_record last_fault;
/* The instruction bytes probe_exec runs from a test page ("return 0"). */
extern const uint8_t arch_ret_insn_start[], arch_ret_insn_end[];
/* Fault-code tests: was the fault a not-present / write / fetch fault? */
bool arch_fault_not_present(uint64_t code);
bool arch_fault_write(uint64_t code);
bool arch_fault_fetch(uint64_t code);

/* Fault injection for the self-tests: the n-th allocation at site (counting from 0) fails. */
void fault_inject_arm(const char *site, unsigned int n);
void fault_inject_disarm(void);

#define KERNEL_MAX_FWMAP	1024
#define KERNEL_MAX_DEVICES	4
/* Bytes of each CPU's area (vmk_kmem_pcpu_alloc). */
#define KERNEL_PCPU_SIZE	(64 * 1024)

/* What the boot did, for the self-tests. */
struct boot_state {
	/* Device registers the architecture mapped (arch_map_devices): the report lists them. */
	struct {
		uint64_t va, pa, size;
		unsigned int memtype;
	} dev[KERNEL_MAX_DEVICES];
	unsigned int ndev;
	uint64_t pcpu_va[KERNEL_MAX_CPUS];	/* each CPU's per-CPU area (kmem VA) */
	uint64_t ram, bs_bytes, bs_freed_pages, kernel_root;
	uint64_t free_before_bs, free_after_bs;
	unsigned int nsect;
	struct pe_section sect[8];
	bool on_vmkit_tables;
};
extern struct boot_state boot_state;

struct vmk_fwmap;

/* The boot's layout, as the report (report.c) describes it to `vmkit boot`. */
struct kernel_layout {
	const struct vmk_fwmap *fwmap;		/* sanitized */
	const struct vmk_pmap_config *pc;
	uint64_t image_pa, image_va, image_size;	/* image_size: the sections' sum */
	unsigned int nsect;
	struct { uint64_t size; uint32_t prot; } sect[9];	/* headers first */
	uint64_t kmem_base, kmem_size;
	uint64_t ram;				/* memblock memory */
	unsigned int ncpus;
	uint64_t percpu_size, percpu_bytes;
};
/* Print the layout as machine-description lines, then the `vmkit boot` report. */
void boot_report(const struct kernel_layout *l);
/* Record a device mapping arch_map_devices() made. */
void boot_note_device(uint64_t va, uint64_t pa, uint64_t size, unsigned int memtype);

/* The two-CPU test (smp_test.c), and shootdowns a CPU served (arch). */
void test_smp(void);
uint64_t smp_shootdowns_served(unsigned int cpu);
/* What smp_shootdowns_served() counts on this architecture. */
extern const char arch_shootdown_what[];

/* Per-CPU work for the SMP test: run on CPU cpu (called by the arch's AP entry). */
void smp_ap_main(unsigned int cpu);

#endif
