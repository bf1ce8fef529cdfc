/*
 * pmap: page tables for x86-64 and arm64, in their hardware formats.
 *
 * One kernel pmap (the upper half: x86-64 canonical high addresses, arm64
 * TTBR1) and any number of user pmaps (the lower half: arm64 TTBR0; on
 * x86-64 a user root also holds the kernel's top-level entries, which are
 * fixed at bootstrap so they never need propagating). Page-table pages
 * (PTPs) come from the physical allocator and are marked VMK_PAGE_PTP; a
 * user PTP counts its valid entries and is freed when that count drops to
 * zero, a kernel PTP has a fixed count and is never freed.
 *
 * Managed mappings (VMK_PMAP_ENTER_MANAGED) get a reverse-map (PV) entry
 * on their page, so every mapping of a page can be found, removed,
 * write-protected, or tested for referenced/modified. PV entries live in
 * page-sized chunks owned by the pmap.
 *
 * Superpages: a level-0 table whose 512 entries map one aligned,
 * physically contiguous run with identical attributes is promoted to a
 * 2 MiB block (and 512 such to 1 GiB where allowed); partial removal or
 * protection demotes. A kernel large mapping entered with
 * VMK_PMAP_ENTER_KEEP_SPARE owns a spare PTP, so it can be demoted without
 * allocating; other kernel demotions take PTPs from a small reserve and
 * fail cleanly (-VMK_ENOMEM, nothing changed) when it is empty. Live
 * kernel memory is promoted to 1 GiB only with cfg.promote_kernel_1g.
 *
 * Every change of a valid entry to another valid entry that the
 * architecture does not allow in place (arm64: a block<->table change, a
 * new output address or memory type) goes through break-before-make:
 * invalid, TLB invalidation, new entry, with the barriers issued through
 * the platform hooks. Ranges that must never be transiently invalid are
 * either marked no-promote (promotion refused; demotion or a live update
 * panics) or use the rendezvous strategy (the update runs while the other
 * CPUs are parked by vmk_rendezvous()).
 *
 * Locking: each pmap has a spin lock; reverse maps share one global lock
 * taken after a pmap lock. All functions may be called from any CPU once
 * vmk_pmap_bootstrap() returned, unless a comment says otherwise. The
 * operations on a page's mappings (vmk_pmap_remove_all and the others
 * below it) find the pmaps through the reverse map, so they start with
 * the PV lock and then need each pmap's lock: when a pmap lock is busy
 * they drop the PV lock, wait for the pmap lock, take the PV lock again
 * and go on, or begin again if the page's mappings changed meanwhile, so
 * a CPU holding that pmap lock and waiting for the PV lock always gets
 * in (no livelock). The pmap they wait for must stay allocated: a walk
 * holds it only while one of its PV entries is listed, and
 * vmk_pmap_destroy, having removed every mapping, waits until no walk
 * holds it before freeing it. So never call these with a pmap lock or
 * the PV lock held (the walk would wait for itself).
 */
#ifndef VMKIT_PMAP_H
#define VMKIT_PMAP_H

#include <vmkit/lib.h>
#include <vmkit/platform.h>

enum vmk_pmap_arch_id {
	VMK_PMAP_ARCH_X86_64 = 0,
	VMK_PMAP_ARCH_ARM64 = 1,
	VMK_PMAP_ARCH_RISCV64 = 2,	/* Sv39 / Sv48 / Sv57 */
};

/* Memory types, mapped to PAT (x86-64) or MAIR (arm64) indexes. */
enum vmk_memtype {
	VMK_MEMTYPE_WB = 0,	/* normal write-back cacheable */
	VMK_MEMTYPE_UC = 1,	/* uncached (x86 UC; arm64 Device-nGnRnE) */
	VMK_MEMTYPE_WC = 2,	/* write-combining (x86 WC; arm64 Normal non-cacheable) */
	VMK_MEMTYPE_DEVICE = 3,	/* device registers (x86 UC; arm64 Device-nGnRE) */
	VMK_MEMTYPE_COUNT
};

/* Protection. Read is implied by any valid mapping. */
enum {
	VMK_PROT_NONE = 0,
	VMK_PROT_READ = 1u << 0,
	VMK_PROT_WRITE = 1u << 1,
	VMK_PROT_EXEC = 1u << 2,
};

/* vmk_pmap_enter() flags; the memory type goes in with VMK_PMAP_MEMTYPE(). */
enum {
	VMK_PMAP_ENTER_WIRED = 1u << 0,		/* count as wired */
	VMK_PMAP_ENTER_NOREPLACE = 1u << 1,	/* fail with -VMK_EEXIST if anything is mapped there */
	VMK_PMAP_ENTER_NOSLEEP = 1u << 2,	/* never block for memory (allocations may fail) */
	VMK_PMAP_ENTER_MANAGED = 1u << 3,	/* a managed page: keep a PV entry */
	VMK_PMAP_ENTER_NOPROMOTE = 1u << 4,	/* must stay valid: never promoted/demoted */
	VMK_PMAP_ENTER_DIRTY = 1u << 5,		/* managed: pre-set dirty (the faulting access was a write) */
	/*
	 * Kernel vmk_pmap_enter_large(): keep a spare PTP with the block so
	 * it can be demoted without allocating (boot image and preloads,
	 * which are freed piecewise where allocation is not possible).
	 */
	VMK_PMAP_ENTER_KEEP_SPARE = 1u << 6,
	VMK_PMAP_ENTER_MT_SHIFT = 8,
};
#define VMK_PMAP_MEMTYPE(mt)	((uint32_t)(mt) << VMK_PMAP_ENTER_MT_SHIFT)

/* Feature set read from the CPU's ID registers (pure decoding; see below). */
struct vmk_mmu_features {
	bool gran_4k;		/* arm64: 4 KiB translation granule (always on x86) */
	bool lpa2;		/* arm64: 52-bit addresses with the 4 KiB granule */
	bool page_1g;		/* 1 GiB leaf entries */
	bool nx;		/* no-execute bit (x86 XD; always on arm64) */
	bool pcid;		/* x86 PCID */
	bool invpcid;		/* x86 INVPCID */
	bool la57;		/* x86 5-level paging */
	bool pge;		/* x86 global pages */
	bool hw_af;		/* arm64 hardware access flag update (x86: always) */
	bool hw_dbm;		/* arm64 hardware dirty state (x86: always) */
	unsigned int pa_bits;	/* physical address width */
	unsigned int va_bits;	/* largest virtual address width */
	unsigned int asid_bits;	/* arm64 ASID width, x86 PCID width (0 if none) */
	bool svpbmt;		/* riscv64: page-based memory types */
	bool svnapot;		/* riscv64: NAPOT 64 KiB leaves */
	bool svadu;		/* riscv64: hardware A/D updating can be on */
	bool svade;		/* riscv64: A/D faults (with svadu: until the OS turns Svadu on) */
};

/*
 * Decode arm64 ID_AA64MMFR0_EL1 and ID_AA64MMFR1_EL1. Returns 0, or
 * -VMK_ENOTSUP if the 4 KiB granule is not implemented (TGran4 == 0xF) and
 * -VMK_EINVAL for a reserved PARange value.
 */
int vmk_mmu_features_arm64(uint64_t mmfr0, uint64_t mmfr1, struct vmk_mmu_features *f);

/* CPUID registers the x86-64 decoder reads. */
struct vmk_x86_cpuid {
	uint32_t l1_ecx, l1_edx;		/* leaf 1 */
	uint32_t l7_ebx, l7_ecx;		/* leaf 7, subleaf 0 */
	uint32_t max_ext;			/* leaf 0x80000000 EAX */
	uint32_t e1_edx;			/* leaf 0x80000001 EDX */
	uint32_t e8_eax;			/* leaf 0x80000008 EAX */
};

/*
 * Decode x86-64 CPUID leaves. Returns 0, or -VMK_ENOTSUP if the CPU lacks
 * long-mode paging prerequisites (PAE).
 */
int vmk_mmu_features_x86(const struct vmk_x86_cpuid *c, struct vmk_mmu_features *f);

/*
 * What the riscv64 decoder reads: properties of a hart's device-tree node
 * as stored (string bytes with their NULs; NUL-terminated or not; len 0:
 * absent).
 */
struct vmk_riscv_dt {
	const char *isa;		/* riscv,isa: "rv64imafdc_zicsr_svpbmt_svnapot" */
	size_t isa_len;
	const char *isa_extensions;	/* riscv,isa-extensions: "i\0m\0a\0svnapot\0" */
	size_t isa_extensions_len;
	const char *mmu_type;		/* mmu-type: "riscv,sv39", "riscv,sv48", "riscv,sv57" */
	size_t mmu_type_len;
};

/*
 * Decode a riscv64 hart's MMU features: svpbmt, svnapot, svadu, svade
 * from riscv,isa-extensions when present, else from riscv,isa (versions
 * such as "svnapot1p0", upper case and a first multi-letter name without
 * '_' accepted; "g" is imafd); va_bits 39/48/57 from mmu-type (39 when
 * absent); hw_af/hw_dbm only for Svadu without Svade (the DT binding's
 * rule); pa_bits 56, 1 GiB leaves, NX and global always. Returns 0;
 * -VMK_ENOTSUP for a hart vmkit cannot page (RV32, RV64E, mmu-type
 * riscv,none/sv32); -VMK_EINVAL for a malformed property. On error *f is
 * zeroed and err (errlen bytes, may be NULL) says what and at which column.
 * Pure; any context.
 */
int vmk_mmu_features_riscv(const struct vmk_riscv_dt *dt, struct vmk_mmu_features *f,
			   char *err, size_t errlen);

struct vmk_pmap_config;

/*
 * Set a riscv64 pmap configuration from decoded features: arch, levels
 * (3/4/5 from va_bits 39/48/57: the largest mode the hart has; a caller
 * may choose fewer), no_svpbmt, svnapot (on or off: off is what keeps
 * a hart without Svnapot from meeting the reserved N bit), large_1g, nx.
 * Other fields are left as
 * they are. Returns 0, or -VMK_EINVAL for another va_bits. Any context.
 */
int vmk_pmap_config_riscv(const struct vmk_mmu_features *f, struct vmk_pmap_config *cfg);

/* Value to load into IA32_PAT (x86-64) or MAIR_EL1 (arm64) for vmkit's memory types. */
uint64_t vmk_pmap_memattr_reg(enum vmk_pmap_arch_id arch);

/*
 * riscv64: the satp value selecting the table at root (page aligned)
 * with asid (16 bits) in mode Sv39 (levels 3), Sv48 (4) or Sv57 (5).
 * Returns 0 (Bare) for any other level count. Pure; any context.
 */
uint64_t vmk_pmap_riscv_satp(unsigned int levels, uint32_t asid, vmk_paddr_t root);

/* Number of levels used when a configuration asks for 0. */
unsigned int vmk_pmap_default_levels(enum vmk_pmap_arch_id arch);

struct vmk_pmap;

/* Bootstrap configuration of the kernel pmap. */
struct vmk_pmap_config {
	enum vmk_pmap_arch_id arch;
	/*
	 * x86-64: 4 or 5; arm64: 4 (48-bit VA, start level 0) or 3 (39-bit, start
	 * level 1); riscv64: 3 (Sv39), 4 (Sv48) or 5 (Sv57). 0: default (4).
	 */
	unsigned int levels;
	bool large_1g;		/* allow 1 GiB leaves (x86: CPUID Page1GB) */
	bool no_promote;	/* disable automatic promotion */
	/*
	 * Let automatic promotion make kernel 1 GiB blocks (off: promoting
	 * live kernel memory to 1 GiB opens a 1 GiB break-before-make
	 * window; explicit 1 GiB vmk_pmap_enter_large() is always allowed).
	 */
	bool promote_kernel_1g;
	bool nx;		/* x86: NX available (arm64 always has XN) */
	bool no_svpbmt;		/* riscv64 without Svpbmt: every memory type is the PMA's */
	/*
	 * 64 KiB contiguous runs: arm64 folds 16 aligned, physically
	 * contiguous 4 KiB leaves with one set of attributes into a
	 * contiguous-bit run unless no_cont; riscv64 makes Svnapot runs only
	 * with svnapot (the extension is optional) and not no_cont. x86-64
	 * has no such mapping. See docs/pmap.md "64 KiB contiguous runs".
	 */
	bool no_cont;
	bool svnapot;		/* riscv64: Svnapot is implemented (N bit, 64 KiB) */
	unsigned int asid_bits;	/* 0: no ASIDs/PCIDs; else tag user pmaps (x86 PCID: up to 12) */
	/* Kernel virtual window; its top-level entries are created now and never change. */
	vmk_vaddr_t kva_start, kva_end;
	/* Optional: load a CPU's translation roots (CR3 / TTBR0+TTBR1) with asid. */
	void (*load_root)(void *ctx, unsigned int cpu, vmk_paddr_t user_root,
			  vmk_paddr_t kernel_root, uint32_t asid);
	void *load_root_ctx;
	/*
	 * Optional (arm64): the kernel direct map, where phys_to_virt(pa) is
	 * dmap_base + pa for pa < dmap_end - dmap_base, and tmp_va, a kernel
	 * page reserved for vmkit. When a break-before-make window would
	 * unmap the page-table page holding the entry it rewrites (demoting
	 * or promoting the direct-map block that maps its own table), the
	 * entry is written through a temporary mapping of that table at
	 * tmp_va instead (FreeBSD arm64 tmpl2). kva_ptr(kva_ptr_ctx, va)
	 * turns a kernel virtual address into a pointer (NULL: the address
	 * itself); it is called before the window, never inside. 0: none.
	 */
	vmk_vaddr_t dmap_base, dmap_end, tmp_va;
	void *(*kva_ptr)(void *ctx, vmk_vaddr_t va);
	void *kva_ptr_ctx;
};

/*
 * Create the kernel pmap. The physical allocator must be initialised
 * (PTPs come from it). Call once at boot (tests may call it again after
 * re-initialising the allocator; the previous kernel pmap is forgotten).
 * Returns 0, -VMK_EINVAL for a bad configuration or -VMK_ENOMEM.
 */
int vmk_pmap_bootstrap(const struct vmk_pmap_config *cfg);

/* The kernel pmap (NULL before vmk_pmap_bootstrap). */
struct vmk_pmap *vmk_pmap_kernel(void);

/*
 * Create an empty user pmap in *out. Returns 0 or -VMK_ENOMEM/-VMK_EINVAL.
 * Any context that may allocate. Every pmap (the kernel's too) has an id
 * no other had since bootstrap: its TLB requests carry it
 * (vmk_tlb_req.pmap_id), and the md_pv of each of its page-table pages
 * holds it, so a simulator can tell whose table a walk reads.
 */
int vmk_pmap_create(struct vmk_pmap **out);

/*
 * Remove every mapping of a user pmap and free it with its PTPs and PV
 * chunks. The pmap must not be active on any CPU (panics otherwise:
 * activate another pmap there first). Takes the pmap's lock and the PV
 * lock; before freeing the pmap it waits (spinning) for any page
 * operation that found one of its mappings and is waiting for its lock,
 * which only takes the lock and lets it go. Any context that may free
 * pages, with neither this pmap's lock nor the PV lock held.
 */
void vmk_pmap_destroy(struct vmk_pmap *pmap);

/*
 * Map the 4 KiB page at pa at va with prot and flags (VMK_PMAP_ENTER_*,
 * VMK_PMAP_MEMTYPE). Replaces an existing mapping unless NOREPLACE (a
 * block over va is then an existing mapping: never demoted). May promote
 * the surrounding 2 MiB. Returns 0, -VMK_EINVAL (unaligned, wrong
 * half, MANAGED without a page), -VMK_EEXIST (NOREPLACE) or -VMK_ENOMEM;
 * on failure nothing changed.
 */
int vmk_pmap_enter(struct vmk_pmap *pmap, vmk_vaddr_t va, vmk_paddr_t pa,
		   uint32_t prot, uint32_t flags);

/*
 * Map n 4 KiB pages pas[0..n) at va, va + 4 KiB, ... in one call (one
 * lock, one table lookup per 512 entries), as FreeBSD's pmap_enter_object
 * or a fault-around would. The range must be unmapped. All or nothing:
 * returns 0, or -VMK_EINVAL / -VMK_EEXIST (something mapped there) /
 * -VMK_ENOMEM with nothing changed. Promotes full tables at the end.
 */
int vmk_pmap_enter_pages(struct vmk_pmap *pmap, vmk_vaddr_t va, const vmk_paddr_t *pas, size_t n,
			 uint32_t prot, uint32_t flags);

/*
 * Map a 2 MiB or 1 GiB (size) aligned block at va -> pa directly. With
 * NOREPLACE any existing mapping or non-empty table there (or a larger
 * block above) makes it fail with -VMK_EEXIST leaving everything as it
 * was; a kernel table of zeros is replaced (kernel PTPs are never freed).
 * Without NOREPLACE, a larger block above is demoted, an old block
 * replaced, a kernel table with no valid entry replaced, else -VMK_EEXIST.
 * A replaced kernel table becomes the block's spare; a kernel block
 * entered with VMK_PMAP_ENTER_KEEP_SPARE gets one allocated (a 1 GiB one
 * also one per 2 MiB piece, so that it can be cut down to 4 KiB pages
 * without allocating: 513 PTPs). Returns 0 or
 * -VMK_E*; on failure nothing changed.
 */
int vmk_pmap_enter_large(struct vmk_pmap *pmap, vmk_vaddr_t va, vmk_paddr_t pa,
			 vmk_size_t size, uint32_t prot, uint32_t flags);

/*
 * Map [va, va + len) -> [pa, pa + len) with blocks of block bytes (2 MiB
 * or 1 GiB, a level the architecture allows pmap a block at, as for
 * vmk_pmap_enter_large), in one call: a direct map or any large linear
 * range. len is a non-zero multiple of block, va and pa aligned to it.
 * The range must be unmapped, as for vmk_pmap_enter_large with NOREPLACE
 * (implied): any valid entry, a table with anything in it or a larger
 * block above is -VMK_EEXIST; a kernel table of zeros is replaced (it
 * becomes the block's spare). Other flags as vmk_pmap_enter_large
 * (MANAGED, WIRED, KEEP_SPARE, NOPROMOTE, memory type). All or nothing:
 * returns 0, or -VMK_EINVAL / -VMK_EEXIST (no mapping changed; only a
 * short kernel PTP reserve is topped up, as after any kernel enter) /
 * -VMK_ENOMEM (every block this call entered removed again;
 * user PTPs it linked freed, kernel ones kept empty, as every kernel
 * enter keeps them). Full tables are promoted at the end, as a loop of
 * vmk_pmap_enter_large would have. Takes pmap's spin lock once and may
 * allocate PTPs: any context where vmk_pmap_enter_large may run, never
 * with pmap's lock held.
 */
int vmk_pmap_enter_blocks(struct vmk_pmap *pmap, vmk_vaddr_t va, vmk_paddr_t pa, vmk_size_t len,
			  vmk_size_t block, uint32_t prot, uint32_t flags);

/*
 * Remove every mapping in [sva, eva) (page aligned). Large mappings cut by
 * the range are demoted first (kernel: from their spare PTP; user: a new
 * PTP). Returns 0, -VMK_EINVAL, or -VMK_ENOMEM when a user demotion could
 * not get a PTP, with nothing changed.
 */
int vmk_pmap_remove(struct vmk_pmap *pmap, vmk_vaddr_t sva, vmk_vaddr_t eva);

/*
 * Set the protection of every mapping in [sva, eva) to exactly prot
 * (unlike FreeBSD's, it may also add permissions; VMK_PROT_NONE removes).
 * Dirty state of a page losing write access is kept on the page. Same
 * returns as vmk_pmap_remove.
 */
int vmk_pmap_protect(struct vmk_pmap *pmap, vmk_vaddr_t sva, vmk_vaddr_t eva, uint32_t prot);

/* What a virtual address translates to. */
struct vmk_pmap_mapping {
	vmk_paddr_t pa;			/* the byte va translates to */
	vmk_size_t size;		/* 4 KiB, 2 MiB or 1 GiB */
	uint32_t prot;			/* VMK_PROT_* */
	enum vmk_memtype memtype;
	bool user, global, wired, managed, nopromote, accessed, dirty;
	/* Part of a 64 KiB contiguous run (size stays 4 KiB; accessed/dirty are the run's). */
	bool contiguous;
};

/* Translate va. Returns 0 with *m filled, or -VMK_ENOENT if unmapped. */
int vmk_pmap_extract(struct vmk_pmap *pmap, vmk_vaddr_t va, struct vmk_pmap_mapping *m);

/*
 * Copy the managed mappings of src in [addr, addr + len) into dst, as fork
 * does, where dst has nothing mapped; only leaves wholly inside the range
 * are copied, large mappings stay large; a leaf of another memory type
 * than write-back only inside a vmk_pmap_allow_device window of dst (else
 * skipped). Protection is preserved, wiring
 * is not; a 4 KiB copy starts unreferenced and clean (a block keeps its
 * accessed/dirty state, as FreeBSD's does). Like FreeBSD's
 * pmap_copy() it is an optimisation: on -VMK_ENOMEM the copies made so far
 * remain (each a complete, valid mapping) and nothing leaks; the caller's
 * faults fill in the rest. Returns 0, -VMK_EINVAL or -VMK_ENOMEM.
 */
int vmk_pmap_copy(struct vmk_pmap *dst, struct vmk_pmap *src, vmk_vaddr_t addr, vmk_size_t len);

/*
 * Operations on every managed mapping of the page at pa, in every pmap,
 * through its PV entries. Each takes the PV lock and, in turn, the lock
 * of each pmap mapping the page, waiting for a busy one (see Locking
 * above): call them with no pmap lock and not the PV lock held, and not
 * from interrupt context: both locks are held with interrupts enabled, so
 * a handler that interrupted their holder would wait for it forever on
 * its own CPU. A pa without a page record is ignored (0 / false).
 */

/*
 * Remove every managed mapping of the page at pa, in every pmap (through
 * its PV entries; large mappings covering it are demoted, or removed
 * when a user demotion cannot allocate). Returns the number removed.
 */
unsigned int vmk_pmap_remove_all(vmk_paddr_t pa);

/* Write-protect every managed mapping of the page at pa (dirty state is kept). */
void vmk_pmap_remove_write(vmk_paddr_t pa);

/* Count and clear the referenced (accessed) bits of the page's mappings. */
unsigned int vmk_pmap_ts_referenced(vmk_paddr_t pa);

/* True if a managed mapping of the page (or a removed one) made it dirty. */
bool vmk_pmap_is_modified(vmk_paddr_t pa);

/* True if a managed mapping of the page has its accessed bit set. */
bool vmk_pmap_is_referenced(vmk_paddr_t pa);

/* Clear the modified state of the page and of all its managed mappings. */
void vmk_pmap_clear_modify(vmk_paddr_t pa);

/*
 * Make sure kernel page-table pages exist for [kva_start, end), so that
 * vmk_pmap_qenter() there never allocates. Returns 0 or -VMK_ENOMEM
 * (the PTPs made so far stay: kernel PTPs are never freed).
 */
int vmk_pmap_growkernel(vmk_vaddr_t start, vmk_vaddr_t end);

/*
 * Kernel quick enter: map n pages pas[] at va (global, read/write, WB,
 * unmanaged; no-promote inside a no-promote range) without allocating.
 * A block promoted over the range (qenter's leaves are promotable like an
 * unmanaged enter's) is demoted with its spare PTP first.
 * Returns -VMK_ENOENT if a PTP is missing (grow the kernel first) or
 * -VMK_EINVAL for a physical address that is not page aligned or beyond
 * the leaf's address field, with nothing changed, or 0.
 */
int vmk_pmap_qenter(vmk_vaddr_t va, const vmk_paddr_t *pas, size_t n);

/*
 * Kernel quick remove: unmap n pages at va entered with vmk_pmap_qenter().
 * Pages already unmapped are skipped; a promoted block over a page is
 * demoted with its spare PTP(s) (no allocation); a page mapped by any
 * other block or by a managed mapping (not qenter's) panics before
 * anything changes. Pmap
 * lock taken inside; any context a spinlock may be taken in.
 */
void vmk_pmap_qremove(vmk_vaddr_t va, size_t n);

/* Make pmap the current user address space of cpu (loads the roots). */
void vmk_pmap_activate(struct vmk_pmap *pmap, unsigned int cpu);

/*
 * Demote the large mapping at va to the next level down (a no-op if va is
 * mapped by 4 KiB pages). Returns 0, -VMK_ENOENT or -VMK_ENOMEM.
 */
int vmk_pmap_demote(struct vmk_pmap *pmap, vmk_vaddr_t va);

/*
 * Break-before-make strategies for a kernel range that exception handlers
 * (per-CPU data) must be able to reach at all times.
 */
/*
 * Declare [va, va + size) of the kernel pmap a range where a writable
 * and executable mapping is intended (the only documented case: a
 * trampoline or code patched while it runs; everything else keeps W^X),
 * so vmk_pmap_check does not report it. Page aligned; up to 8 ranges per
 * pmap, never removed. Returns 0, -VMK_EINVAL (not the kernel pmap, empty,
 * misaligned or wrapping range) or -VMK_ENOSPC. Takes the pmap's lock.
 */
int vmk_pmap_allow_wx(struct vmk_pmap *kernel, vmk_vaddr_t va, vmk_size_t size);

/*
 * Declare [va, va + size) of user pmap a device window: the only place
 * where vmk_pmap_enter* accept a memory type other than VMK_MEMTYPE_WB
 * for it (elsewhere they return -VMK_EINVAL), for a driver that maps
 * device registers or a frame buffer into a process on purpose. Page
 * aligned; up to 8 per pmap, never removed. Returns 0, -VMK_EINVAL (the
 * kernel pmap, empty, misaligned or wrapping range) or -VMK_ENOSPC.
 * Takes the pmap's lock; call it before entering the device mappings.
 */
int vmk_pmap_allow_device(struct vmk_pmap *user, vmk_vaddr_t va, vmk_size_t size);

enum vmk_pmap_bbm {
	VMK_PMAP_BBM_NOPROMOTE,	/* set the no-promote bit: never promoted; demotion/update panics */
	VMK_PMAP_BBM_RENDEZVOUS,	/* updates run with every other CPU parked */
};

/*
 * Protect [va, va + size) of pmap with strategy. NOPROMOTE sets the
 * software no-promote bit in every leaf already there (do it while the
 * memory is not yet live) and on every later enter; RENDEZVOUS records the
 * range (up to 8 per pmap). Returns 0, -VMK_EINVAL, -VMK_ENOSPC or
 * -VMK_EBUSY (NOPROMOTE over a range mapped by a large block).
 */
int vmk_pmap_protect_bbm(struct vmk_pmap *pmap, vmk_vaddr_t va, vmk_size_t size,
			 enum vmk_pmap_bbm strategy);

#define VMK_PMAP_TLB_KINDS	5	/* VMK_TLB_PAGE .. VMK_TLB_NONGLOBAL */

/* Counters of a pmap. */
struct vmk_pmap_stats {
	uint64_t resident;		/* 4 KiB pages mapped */
	uint64_t wired;			/* 4 KiB pages wired */
	uint64_t ptps;			/* page-table pages (root included) */
	uint64_t spare_ptps;		/* PTPs kept to demote a block without allocating */
	uint64_t reserve_ptps;		/* kernel: PTPs in the demotion reserve */
	uint64_t mappings[3];		/* leaves of 4 KiB, 2 MiB, 1 GiB */
	uint64_t pv_entries;		/* PV entries in use */
	uint64_t pv_chunks;		/* PV chunk pages */
	uint64_t promotions, demotions, promotion_failures;
	/* TLB invalidation requests issued for this pmap, by enum vmk_tlb_kind. */
	uint64_t tlbi[VMK_PMAP_TLB_KINDS];
	uint64_t tlbi_nonleaf;		/* of those, not last-level (walk caches too) */
	/* 64 KiB contiguous runs written, and unfolded back to 16 plain leaves (arm64, riscv64 Svnapot). */
	uint64_t folds, unfolds;
};

/* Current counters of pmap. */
void vmk_pmap_stats(struct vmk_pmap *pmap, struct vmk_pmap_stats *st);

/*
 * Check every invariant of pmap (PTP counts match valid entries, PTPs are
 * marked, PV entries match managed leaves, counters match) and the
 * security rules of its leaves (docs/pmap.md "Security properties"):
 * kernel W^X outside vmk_pmap_allow_wx ranges, kernel leaves never
 * user-executable, user leaves never kernel-executable (PXN / SMEP /
 * riscv64 U pages), user leaves of memory types other than write-back
 * only inside vmk_pmap_allow_device windows; a broken rule is reported
 * with the leaf's address. Returns 0, or -VMK_EINVAL after logging the
 * first broken invariant into msg. Takes the pmap's lock: not from
 * interrupt context.
 */
int vmk_pmap_check(struct vmk_pmap *pmap, char *msg, size_t msglen);

/* Physical address of pmap's root table. */
vmk_paddr_t vmk_pmap_root(struct vmk_pmap *pmap);

/*
 * Page-fault entry point for MMUs without hardware accessed/dirty update
 * (riscv64 Svade, arm64 without FEAT_HAFDBS): the access prot (one of
 * VMK_PROT_READ/WRITE/EXEC; user: from user mode) to va faulted because
 * the leaf's accessed or, for a write, dirty state was clear. Sets it on
 * that leaf alone (no re-enter) and invalidates its translation. Returns 0
 * (retry the access), -VMK_ENOENT if nothing maps va, -VMK_EACCES if the
 * mapping does not allow the access (a real fault), -VMK_EINVAL for bad
 * arguments. Takes pm's spin lock: any context where vmk_pmap_enter may
 * run, never with pm's lock held.
 */
int vmk_pmap_fault_ad(struct vmk_pmap *pm, vmk_vaddr_t va, uint32_t prot, bool user);

/* The ASID/PCID of a user pmap (0 when untagged). */
uint32_t vmk_pmap_asid(struct vmk_pmap *pmap);

/*
 * Call fn(ctx, va, m) for every leaf of pmap that intersects [sva, eva)
 * (eva 0: up to 2^64), in address order, where va is the leaf's first
 * address (it may lie below sva) and m its translation (m->pa the leaf's
 * first byte, m->size its size). The tables are read, so this shows what
 * the MMU would use. fn runs with the pmap lock held and must not call
 * the pmap; a nonzero return stops the walk. Returns 0, fn's nonzero
 * return, or -VMK_EINVAL (no pmap or fn, eva <= sva). Any context where
 * the pmap lock may be taken.
 */
int vmk_pmap_walk(struct vmk_pmap *pmap, vmk_vaddr_t sva, vmk_vaddr_t eva,
		  int (*fn)(void *ctx, vmk_vaddr_t va, const struct vmk_pmap_mapping *m), void *ctx);

/* Options of the dump. */
enum {
	VMK_PMAP_DUMP_JSON = 1u << 0,
};

/* A named address (sorted ascending) printed as "---[ name ]---" before the first run at or above it. */
struct vmk_pmap_dump_marker {
	vmk_vaddr_t va;
	const char *name;
};

/*
 * Linux-ptdump-style dump of pmap to out: one line per run of contiguous
 * mappings with the same level and attributes (range, size, level,
 * attributes), then counts of 4 KiB, 2 MiB and 1 GiB mappings and PTPs.
 * markers (may be NULL) label address ranges. Takes the pmap lock.
 */
void vmk_pmap_dump(struct vmk_pmap *pmap, struct vmk_out *out, uint32_t flags,
		   const struct vmk_pmap_dump_marker *markers, size_t nmarkers);

#endif /* VMKIT_PMAP_H */
