/*
 * riscv64 Sv39/Sv48/Sv57: PTE encodings against values computed by hand
 * from the RISC-V Privileged Specification (V=0 R=1 W=2 X=3 U=4 G=5 A=6
 * D=7 RSW=9:8 PPN=53:10 PBMT=62:61), satp values, and the simulator's
 * walker on hand-built tables (no encoder involved): leaves at every
 * level, misaligned superpages, reserved encodings, Svade faults and
 * Svadu updates. Then the pmap itself on Sv39, Sv48 and Sv57.
 */
#include "harness.h"
#include "mmu.h"
#include "pmap_util.h"
#include "../src/pmap/pmap_arch.h"

#define K (VMK_PTE_A_UXN)			/* kernel page, kernel-executable */
#define U (VMK_PTE_A_USER | VMK_PTE_A_PXN)	/* user page, user-executable */
#define RAM 0x100000ull

static void test_rv_bits(void **state)
{
	const struct vmk_pmap_arch *a = &vmk_pmap_arch_riscv64;

	(void)state;
	/* 4 KiB kernel RWX global, A, D: PPN 0x123456 << 10, V R W X G A D = 0xef. */
	assert_true(a->make_leaf(0x123456000ull, 0, K | VMK_PTE_A_WRITE | VMK_PTE_A_GLOBAL |
				 VMK_PTE_A_ACCESSED | VMK_PTE_A_DIRTY) == 0x48d158efull);
	/* User read-only, not executable, WC (PBMT NC = 1), wired + managed (RSW 9:8). */
	assert_true(a->make_leaf(0x123456000ull, 0, U | VMK_PTE_A_UXN | VMK_PTE_A_WIRED | VMK_PTE_A_MANAGED |
				 VMK_PTE_A_MT(VMK_MEMTYPE_WC)) == ((1ull << 61) | 0x48d15b13ull));
	/* User executable: V R X U = 0x1b. */
	assert_true(a->make_leaf(0x5000, 0, U) == 0x141bull);
	/* 2 MiB kernel read-only, not executable, UC (PBMT IO = 2): V R. */
	assert_true(a->make_leaf(0x40200000ull, 1, K | VMK_PTE_A_PXN | VMK_PTE_A_MT(VMK_MEMTYPE_UC)) ==
		    ((2ull << 61) | 0x10080003ull));
	/* DEVICE is IO too. */
	assert_true(a->make_leaf(0x40200000ull, 1, K | VMK_PTE_A_PXN | VMK_PTE_A_MT(VMK_MEMTYPE_DEVICE)) ==
		    ((2ull << 61) | 0x10080003ull));
	/* 1 GiB and 512 GiB leaves: the PPN low bits of the page size are zero. */
	assert_true(a->make_leaf(0xc0000000ull, 2, K | VMK_PTE_A_ACCESSED) == 0x3000004bull);
	assert_true(a->make_leaf(0x8000000000ull, 3, K | VMK_PTE_A_ACCESSED) == 0x200000004bull);
	/* A write without dirty: W set, D clear. */
	assert_true(a->make_leaf(0x5000, 0, K | VMK_PTE_A_PXN | VMK_PTE_A_WRITE | VMK_PTE_A_ACCESSED) == 0x1447ull);
	/* Pointers: V only (R = W = X = 0; U, A, D reserved), whatever the half. */
	assert_true(a->make_table(0x5000, 1, true) == 0x1401ull);
	assert_true(a->make_table(0x80001000ull, 3, false) == 0x20000401ull);
	assert_true(a->is_table(0x1401, 1) && !a->is_block(0x1401, 1) && a->is_valid(0x1401, 1));
	assert_false(a->is_table(0x1401, 0));
	assert_true(a->is_block(0x10080003ull, 1) && !a->is_table(0x10080003ull, 1));
	assert_false(a->is_block(0x1403ull, 0));	/* a page is no block */
	assert_false(a->is_valid(0x1402ull, 0));	/* V clear */
	assert_false(a->is_valid(0x1405ull, 0));	/* W without R: reserved */
	assert_true(a->pa_of(0x1401, 1) == 0x5000);
	assert_true(a->pa_of(0x10080003ull | (2ull << 61), 1) == 0x40200000ull);
	assert_true(a->pa_of(0x003ffffffffffc0full, 0) == 0x00fffffffffff000ull);
	/* Back: the canonical attributes. */
	assert_int_equal(a->attrs_of((1ull << 61) | 0x48d15b13ull, 0),
			 U | VMK_PTE_A_UXN | VMK_PTE_A_WIRED | VMK_PTE_A_MANAGED | VMK_PTE_A_MT(VMK_MEMTYPE_WC));
	assert_int_equal(a->attrs_of(0x48d158efull, 0), K | VMK_PTE_A_WRITE | VMK_PTE_A_GLOBAL |
			 VMK_PTE_A_ACCESSED | VMK_PTE_A_DIRTY);
	assert_true(a->pte_sw_wired == 0x100 && a->pte_sw_managed == 0x200);
	assert_true(a->no_attrs == (VMK_PTE_A_NOPROMOTE | VMK_PTE_A_KEEPSPARE));
	assert_int_equal(a->pte_pa_shift, 2);
	/* The batch path: template | pa >> 2. */
	assert_true((a->make_leaf(0, 0, U) | (0x123456000ull >> 2)) == a->make_leaf(0x123456000ull, 0, U));
	assert_int_equal(vmk_pmap_default_levels(VMK_PMAP_ARCH_RISCV64), 4);
	assert_true(vmk_pmap_memattr_reg(VMK_PMAP_ARCH_RISCV64) == 0);
}

static void test_rv_satp(void **state)
{
	(void)state;
	/* MODE 63:60 (Sv39 8, Sv48 9, Sv57 10), ASID 59:44, PPN 43:0. */
	assert_true(vmk_pmap_riscv_satp(4, 5, 0x80001000ull) == 0x9000500000080001ull);
	assert_true(vmk_pmap_riscv_satp(3, 0, 0x2000) == 0x8000000000000002ull);
	assert_true(vmk_pmap_riscv_satp(5, 0xffff, 0xfffffffffff000ull) == 0xafffffffffffffffull);
	assert_true(vmk_pmap_riscv_satp(2, 1, 0x2000) == 0);
	assert_true(vmk_pmap_riscv_satp(6, 1, 0x2000) == 0);
}

static uint64_t *slot(vmk_paddr_t table, unsigned int idx)
{
	return vmk_sim_phys_to_virt(table + idx * 8ull);
}

/* A pointer entry to the table at pa, written out: PPN << 10 | V. */
static uint64_t ptr(vmk_paddr_t pa)
{
	return ((pa >> 12) << 10) | 1;
}

static void ram_reset(void)
{
	vmk_sim_install();
	vmk_sim_ram_reset();
	assert_int_equal(vmk_sim_ram_add(RAM, 0x10000), 0);
	memset(vmk_sim_phys_to_virt(RAM), 0, 0x10000);
}

static void test_rv_walk_sv39(void **state)
{
	struct vmk_mmu_cfg mc = { .arch = VMK_PMAP_ARCH_RISCV64, .levels = 3 };
	vmk_paddr_t root = RAM, l1 = RAM + 0x1000, l0 = RAM + 0x2000;
	struct vmk_mmu_walk w;

	(void)state;
	ram_reset();
	*slot(root, 1) = ptr(l1);
	*slot(l1, 1) = ptr(l0);
	*slot(l0, 1) = 0x14c7;			/* pa 0x5000 V R W A D */
	*slot(l1, 2) = 0x800c7;			/* 2 MiB at 0x200000 */
	*slot(l1, 3) = 0x804c7;			/* "2 MiB" at 0x201000: misaligned */
	*slot(root, 2) = 0x300000c7;		/* 1 GiB at 0xc0000000 */
	*slot(root, 4) = 0x300040c7;		/* "1 GiB" at 0xc0010000: misaligned */
	*slot(l0, 2) = 0x14c5;			/* W without R */
	*slot(l0, 3) = 0x14c7 | (1ull << 54);	/* reserved bit */
	*slot(l0, 4) = 0x14c7 | (3ull << 61);	/* PBMT 3: reserved */
	*slot(l0, 5) = 0x14c7 | (1ull << 61);	/* PBMT NC */
	*slot(l0, 7) = 0x1401;			/* a pointer at the last level */
	*slot(l1, 4) = ptr(l0) | 0x40;		/* a pointer with A set: reserved */
	*slot(l0, 8) = 0x145b;			/* user R X A */
	*slot(l0, 9) = 0x14e7;			/* global */

	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x40201123ull, VMK_MMU_READ, true, &w), 0);
	assert_true(w.pa == 0x5123 && w.level == 0 && w.writable && !w.user && !w.global);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x40401234ull, VMK_MMU_WRITE, true, &w), 0);
	assert_true(w.pa == 0x201234 && w.level == 1);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x40600000ull, VMK_MMU_READ, false, &w), VMK_MMU_FAULT_RESERVED);
	assert_int_equal(w.fault_level, 1);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x80012345ull, VMK_MMU_READ, false, &w), 0);
	assert_true(w.pa == 0xc0012345ull && w.level == 2);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x100000000ull, VMK_MMU_READ, false, &w), VMK_MMU_FAULT_RESERVED);
	assert_int_equal(w.fault_level, 2);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x40202000ull, VMK_MMU_READ, false, &w), VMK_MMU_FAULT_RESERVED);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x40203000ull, VMK_MMU_READ, false, &w), VMK_MMU_FAULT_RESERVED);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x40204000ull, VMK_MMU_READ, false, &w), VMK_MMU_FAULT_RESERVED);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x40205000ull, VMK_MMU_READ, false, &w), 0);
	assert_int_equal(w.memattr, 1);
	mc.no_svpbmt = true;	/* without Svpbmt the PBMT bits are reserved */
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x40205000ull, VMK_MMU_READ, false, &w), VMK_MMU_FAULT_RESERVED);
	mc.no_svpbmt = false;
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x40206000ull, VMK_MMU_READ, false, &w),
			 VMK_MMU_FAULT_TRANSLATION);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x40207000ull, VMK_MMU_READ, false, &w),
			 VMK_MMU_FAULT_TRANSLATION);
	assert_int_equal(w.fault_level, 0);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x40801000ull, VMK_MMU_READ, false, &w), VMK_MMU_FAULT_RESERVED);
	/* U pages: user read and execute; S-mode read (SUM) but never execute. */
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x40208000ull, VMK_MMU_READ | VMK_MMU_USER, false, &w), 0);
	assert_true(w.user && w.uexec && !w.kexec);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x40208000ull, VMK_MMU_EXEC | VMK_MMU_USER, false, &w), 0);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x40208000ull, VMK_MMU_READ, false, &w), 0);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x40208000ull, VMK_MMU_EXEC, false, &w),
			 VMK_MMU_FAULT_PERMISSION);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x40208000ull, VMK_MMU_WRITE | VMK_MMU_USER, false, &w),
			 VMK_MMU_FAULT_PERMISSION);
	/* An S page from user mode; an S page without X fetched. */
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x40201000ull, VMK_MMU_READ | VMK_MMU_USER, false, &w),
			 VMK_MMU_FAULT_PERMISSION);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x40201000ull, VMK_MMU_EXEC, false, &w),
			 VMK_MMU_FAULT_PERMISSION);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x40209000ull, VMK_MMU_READ, false, &w), 0);
	assert_true(w.global);
	/* Sv39: bits 63:39 must equal bit 38. */
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x0000004000000000ull, VMK_MMU_READ, false, &w),
			 VMK_MMU_FAULT_ADDRESS);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0xffffffc000000000ull, VMK_MMU_READ, false, &w),
			 VMK_MMU_FAULT_TRANSLATION);
	vmk_sim_ram_reset();
}

static void test_rv_walk_ad(void **state)
{
	struct vmk_mmu_cfg mc = { .arch = VMK_PMAP_ARCH_RISCV64, .levels = 3 };
	vmk_paddr_t root = RAM, l1 = RAM + 0x1000, l0 = RAM + 0x2000;
	struct vmk_mmu_walk w;
	uint64_t *noa, *clean;

	(void)state;
	ram_reset();
	*slot(root, 0) = ptr(l1);
	*slot(l1, 0) = ptr(l0);
	noa = slot(l0, 1);
	clean = slot(l0, 2);
	*noa = 0x1407;		/* V R W, A = 0 */
	*clean = 0x1447;	/* V R W A, D = 0 */
	/* Svade (default): A = 0 faults on any access, D = 0 on a store; nothing is written. */
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x1000, VMK_MMU_READ, true, &w), VMK_MMU_FAULT_ACCESS_FLAG);
	assert_true(*noa == 0x1407);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x2000, VMK_MMU_READ, true, &w), 0);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x2000, VMK_MMU_WRITE, true, &w), VMK_MMU_FAULT_ACCESS_FLAG);
	assert_true(*clean == 0x1447);
	/* A read-only page written: a permission fault before any A/D question. */
	*slot(l0, 3) = 0x1443;
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x3000, VMK_MMU_WRITE, true, &w), VMK_MMU_FAULT_PERMISSION);
	/* Svadu: the walker sets A, then D on the store. */
	mc.hw_af = mc.hw_dbm = true;
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x1000, VMK_MMU_READ, true, &w), 0);
	assert_true(*noa == 0x1447);
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x1000, VMK_MMU_WRITE, true, &w), 0);
	assert_true(*noa == 0x14c7 && w.pte == 0x14c7);
	/* A probe (no update) changes nothing. */
	assert_int_equal(vmk_mmu_walk(&mc, root, 0, 0x2000, VMK_MMU_WRITE, false, &w), 0);
	assert_true(*clean == 0x1447);
	vmk_sim_ram_reset();
}

/* Sv48 512 GiB leaf; Sv57 4 KiB through five tables at a high kernel address. */
static void test_rv_walk_sv48_sv57(void **state)
{
	struct vmk_mmu_cfg mc = { .arch = VMK_PMAP_ARCH_RISCV64, .levels = 4 };
	struct vmk_mmu_walk w;
	vmk_vaddr_t va = 0xff12345678123456ull;

	(void)state;
	ram_reset();
	*slot(RAM, 1) = 0x20000000c7ull;	/* 512 GiB at 0x8000000000 */
	assert_int_equal(vmk_mmu_walk(&mc, RAM, 0, 0x8000001234ull, VMK_MMU_WRITE, true, &w), 0);
	assert_true(w.pa == 0x8000001234ull && w.level == 3);
	*slot(RAM, 2) = 0x20000400c7ull;	/* misaligned 512 GiB */
	assert_int_equal(vmk_mmu_walk(&mc, RAM, 0, 0x10000000000ull, VMK_MMU_READ, false, &w),
			 VMK_MMU_FAULT_RESERVED);
	/* Sv48 rejects what Sv57 accepts. */
	assert_int_equal(vmk_mmu_walk(&mc, RAM, 0, va, VMK_MMU_READ, false, &w), VMK_MMU_FAULT_ADDRESS);
	mc.levels = 5;
	memset(vmk_sim_phys_to_virt(RAM), 0, 0x10000);
	for (unsigned int l = 4; l >= 1; l--)
		*slot(RAM + (4 - l) * 0x1000ull, (unsigned int)(va >> (12 + 9 * l)) & 511) =
			ptr(RAM + (5 - l) * 0x1000ull);
	*slot(RAM + 0x4000, (unsigned int)(va >> 12) & 511) = 0x2468ace000ull | 0xc7;	/* pa 0x91a2b38000 */
	assert_int_equal(vmk_mmu_walk(&mc, RAM, 0, va, VMK_MMU_READ, false, &w), 0);
	assert_true(w.level == 0 && w.pa == 0x91a2b38456ull);
	vmk_sim_ram_reset();
}

/* The pmap on riscv64: enter at every page size, read back through the simulated MMU. */
static void pmap_smoke(unsigned int levels)
{
	struct pmt_opts o = { .arch = VMK_PMAP_ARCH_RISCV64, .levels = levels };
	struct vmk_pmap *pm;
	struct vmk_mmu_walk w;
	vmk_paddr_t pa;
	vmk_vaddr_t kva;

	pmt_boot(&o);
	kva = pmt_kva();
	assert_int_equal(vmk_pmap_create(&pm), 0);
	vmk_pmap_activate(pm, 0);
	pa = PMT_ALLOC_END + 0x5000;	/* RAM outside the allocator */
	assert_int_equal(vmk_pmap_enter(pm, 0x40000000ull, pa, VMK_PROT_READ | VMK_PROT_WRITE, 0), 0);
	assert_int_equal(vmk_sim_mmu_access(0, 0x40000123ull, VMK_MMU_WRITE | VMK_MMU_USER, &w), 0);
	assert_true(w.pa == pa + 0x123 && w.level == 0);
	assert_int_equal(vmk_sim_mmu_access(0, 0x40000123ull, VMK_MMU_EXEC | VMK_MMU_USER, &w),
			 VMK_MMU_FAULT_PERMISSION);
	assert_int_equal(vmk_pmap_enter_large(vmk_pmap_kernel(), kva + (2ull << 20), PMT_ALLOC_END + (2ull << 20),
					      2ull << 20, VMK_PROT_READ | VMK_PROT_WRITE, VMK_PMAP_MEMTYPE(VMK_MEMTYPE_WC)), 0);
	assert_int_equal(vmk_sim_mmu_access(0, kva + (3ull << 20), VMK_MMU_WRITE, &w), 0);
	assert_true(w.pa == PMT_ALLOC_END + (3ull << 20) && w.level == 1 && w.memattr == 1 && w.global);
	/* 1 GiB in the user half (with Sv39 a kernel one sits at the shared root level). */
	assert_int_equal(vmk_pmap_enter_large(pm, 0x80000000ull, 2ull << 30, 1ull << 30, VMK_PROT_READ, 0), 0);
	assert_int_equal(vmk_sim_mmu_access(0, 0x80001234ull, VMK_MMU_READ | VMK_MMU_USER, &w), 0);
	assert_true(w.pa == (2ull << 30) + 0x1234 && w.level == 2 && !w.global);
	vmk_pmap_remove(pm, 0x80000000ull, 0xc0000000ull);
	vmk_pmap_remove(pm, 0x40000000ull, 0x40001000ull);
	assert_int_equal(vmk_sim_mmu_access(0, 0x40000123ull, VMK_MMU_READ | VMK_MMU_USER, &w),
			 VMK_MMU_FAULT_TRANSLATION);
	pmt_check(pm);
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
}

static void test_rv_pmap_sv39(void **state) { (void)state; pmap_smoke(3); }
static void test_rv_pmap_sv48(void **state) { (void)state; pmap_smoke(4); }
static void test_rv_pmap_sv57(void **state) { (void)state; pmap_smoke(5); }

/*
 * The fault-time A/D entry point: with Svade (riscv64) and without
 * AF/DBM hardware (arm64) a store to a clean managed page faults;
 * vmk_pmap_fault_ad sets dirty on that leaf and the retried store goes
 * through. A cleared accessed state (ts_referenced) faults a read until
 * the entry point sets it. Real faults stay faults.
 */
static void fault_ad(enum vmk_pmap_arch_id arch)
{
	struct pmt_opts o = { .arch = arch, .hw_af_off = true, .hw_dbm_off = true };
	struct vmk_pmap *pm;
	struct vmk_mmu_walk w;
	vmk_paddr_t pa = PMT_DATA;	/* RAM the allocator does not hand out, with page records */
	vmk_vaddr_t va = 0x40000000ull;
	int store_fault = arch == VMK_PMAP_ARCH_RISCV64 ? VMK_MMU_FAULT_ACCESS_FLAG : VMK_MMU_FAULT_PERMISSION;

	pmt_boot(&o);
	assert_int_equal(vmk_pmap_create(&pm), 0);
	vmk_pmap_activate(pm, 0);
	assert_int_equal(vmk_pmap_enter(pm, va, pa, VMK_PROT_READ | VMK_PROT_WRITE, VMK_PMAP_ENTER_MANAGED), 0);
	assert_int_equal(vmk_pmap_enter(pm, va + 0x1000, pa, VMK_PROT_READ, 0), 0);
	/* Clean: the store faults, the load does not. */
	assert_int_equal(vmk_sim_mmu_access(0, va, VMK_MMU_READ | VMK_MMU_USER, &w), 0);
	assert_int_equal(vmk_sim_mmu_access(0, va, VMK_MMU_WRITE | VMK_MMU_USER, &w), store_fault);
	assert_false(vmk_pmap_is_modified(pa));
	assert_int_equal(vmk_pmap_fault_ad(pm, va + 0x10, VMK_PROT_WRITE, true), 0);
	assert_int_equal(vmk_sim_mmu_access(0, va, VMK_MMU_WRITE | VMK_MMU_USER, &w), 0);
	assert_true(vmk_pmap_is_modified(pa));
	/* Accessed cleared by the page daemon: a load faults until the entry point runs. */
	assert_true(vmk_pmap_ts_referenced(pa) >= 1);
	vmk_sim_tlb_flush_all();
	assert_int_equal(vmk_sim_mmu_access(0, va, VMK_MMU_READ | VMK_MMU_USER, &w), VMK_MMU_FAULT_ACCESS_FLAG);
	assert_int_equal(vmk_pmap_fault_ad(pm, va, VMK_PROT_READ, true), 0);
	assert_int_equal(vmk_sim_mmu_access(0, va, VMK_MMU_READ | VMK_MMU_USER, &w), 0);
	/* Real faults: nothing mapped, a store to a read-only page, a user access to the kernel. */
	assert_int_equal(vmk_pmap_fault_ad(pm, va + 0x5000, VMK_PROT_READ, true), -VMK_ENOENT);
	assert_int_equal(vmk_pmap_fault_ad(pm, va + 0x1000, VMK_PROT_WRITE, true), -VMK_EACCES);
	assert_int_equal(vmk_pmap_fault_ad(pm, va, VMK_PROT_EXEC, true), -VMK_EACCES);
	assert_int_equal(vmk_pmap_fault_ad(vmk_pmap_kernel(), pmt_kva(), VMK_PROT_READ, false), -VMK_ENOENT);
	assert_int_equal(vmk_pmap_fault_ad(pm, va, 1u << 7, true), -VMK_EINVAL);
	pmt_check(pm);
	vmk_pmap_remove(pm, va, va + 0x2000);
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(pm);
	pmt_shutdown();
}

static void test_fault_ad_riscv64(void **state) { (void)state; fault_ad(VMK_PMAP_ARCH_RISCV64); }
static void test_fault_ad_arm64(void **state) { (void)state; fault_ad(VMK_PMAP_ARCH_ARM64); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rv_bits),
		cmocka_unit_test(test_rv_satp),
		cmocka_unit_test(test_rv_walk_sv39),
		cmocka_unit_test(test_rv_walk_ad),
		cmocka_unit_test(test_rv_walk_sv48_sv57),
		cmocka_unit_test(test_rv_pmap_sv39),
		cmocka_unit_test(test_rv_pmap_sv48),
		cmocka_unit_test(test_rv_pmap_sv57),
		cmocka_unit_test(test_fault_ad_riscv64),
		cmocka_unit_test(test_fault_ad_arm64),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
