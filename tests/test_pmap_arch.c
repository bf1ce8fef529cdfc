/*
 * Descriptor layer tests, per architecture: every descriptor kind, bit
 * positions checked against the manuals (expected values written out by
 * hand here), canonical attribute round trips, the software MMU walker
 * agreeing with the descriptors, and ID register decoding.
 */
#include "harness.h"
#include "mmu.h"
#include "../src/pmap/pmap_arch.h"

#define K (VMK_PTE_A_UXN)			/* kernel page, kernel-executable */
#define U (VMK_PTE_A_USER | VMK_PTE_A_PXN)	/* user page, user-executable */

static void test_x86_bits(void **state)
{
	const struct vmk_pmap_arch *a = &vmk_pmap_arch_x86_64;
	uint64_t pa = 0x123456000ull;

	(void)state;
	/* 4 KiB kernel RW global WC: P RW A D G, WC = PAT index 6 = PAT(bit 7) + PCD. */
	assert_true(a->make_leaf(pa, 0, K | VMK_PTE_A_WRITE | VMK_PTE_A_GLOBAL | VMK_PTE_A_ACCESSED |
				 VMK_PTE_A_DIRTY | VMK_PTE_A_MT(VMK_MEMTYPE_WC)) ==
		    (pa | 0x1 | 0x2 | 0x20 | 0x40 | 0x100 | 0x10 | 0x80));
	/* Same as a 2 MiB page: PS (bit 7) and the PAT bit moves to bit 12. */
	assert_true(a->make_leaf(0x40200000ull, 1, K | VMK_PTE_A_WRITE | VMK_PTE_A_GLOBAL | VMK_PTE_A_ACCESSED |
				 VMK_PTE_A_DIRTY | VMK_PTE_A_MT(VMK_MEMTYPE_WC)) ==
		    (0x40200000ull | 0x1 | 0x2 | 0x20 | 0x40 | 0x100 | 0x10 | 0x80 | 0x1000));
	/* 1 GiB UC read-only kernel, not executable: PCD+PWT (index 3), NX. */
	assert_true(a->make_leaf(0x80000000ull, 2, K | VMK_PTE_A_PXN | VMK_PTE_A_MT(VMK_MEMTYPE_UC)) ==
		    (0x80000000ull | 0x1 | 0x80 | 0x8 | 0x10 | (1ull << 63)));
	/* User, not executable: U/S and NX; wired+managed+nopromote in bits 9-11. */
	assert_true(a->make_leaf(pa, 0, U | VMK_PTE_A_UXN | VMK_PTE_A_WIRED | VMK_PTE_A_MANAGED |
				 VMK_PTE_A_NOPROMOTE) ==
		    (pa | 0x1 | 0x4 | (1ull << 63) | 0x200 | 0x400 | 0x800));
	/* The raw software bits the bulk paths test: wired bit 9, managed bit 10. */
	assert_true(a->pte_sw_wired == 0x200 && a->pte_sw_managed == 0x400);
	/* User executable: no NX. */
	assert_true(a->make_leaf(pa, 0, U) == (pa | 0x1 | 0x4));
	/* Tables: P RW A, plus U/S for user tables; no PS. */
	assert_true(a->make_table(0x5000, 1, true) == (0x5000 | 0x1 | 0x2 | 0x4 | 0x20));
	assert_true(a->make_table(0x5000, 3, false) == (0x5000 | 0x1 | 0x2 | 0x20));
	assert_true(a->is_table(0x5023, 1) && !a->is_block(0x5023, 1));
	assert_false(a->is_table(0x5023, 0));
	assert_true(a->is_block(0x400000a3ull, 1) && !a->is_table(0x400000a3ull, 1));
	assert_false(a->is_valid(0x40000082ull, 1));	/* P clear */
	/* pa_of masks bit 12 (PAT) out of a large page and keeps it in a table address. */
	assert_true(a->pa_of(0x40201083ull, 1) == 0x40200000ull);
	assert_true(a->pa_of(0x40201003ull, 1) == 0x40201000ull);
	assert_true(a->pa_of(0x000ffffffffff001ull | (1ull << 63), 0) == 0x000ffffffffff000ull);
	/* IA32_PAT: entry 0 WB (6), 3 UC (0), 6 WC (1). */
	assert_int_equal(a->memattr_reg & 0xff, 0x06);
	assert_int_equal((a->memattr_reg >> 24) & 0xff, 0x00);
	assert_int_equal((a->memattr_reg >> 48) & 0xff, 0x01);
	assert_true(vmk_pmap_memattr_reg(VMK_PMAP_ARCH_X86_64) == a->memattr_reg);
}

static void test_arm64_bits(void **state)
{
	const struct vmk_pmap_arch *a = &vmk_pmap_arch_arm64;
	uint64_t pa = 0x123456000ull;
	const uint64_t SH = 3ull << 8, AF = 1ull << 10, NG = 1ull << 11, DBM = 1ull << 51;
	const uint64_t PXN = 1ull << 53, UXN = 1ull << 54, APU = 1ull << 6, APRO = 1ull << 7;

	(void)state;
	/* Level 3 page, user RW clean, not executable, WB (AttrIndx 0), non-global. */
	assert_true(a->make_leaf(pa, 0, U | VMK_PTE_A_UXN | VMK_PTE_A_WRITE | VMK_PTE_A_ACCESSED) ==
		    (pa | 0x3 | APU | APRO | SH | AF | NG | DBM | PXN | UXN));
	/* Dirty: AP[2] clear. */
	assert_true(a->make_leaf(pa, 0, U | VMK_PTE_A_UXN | VMK_PTE_A_WRITE | VMK_PTE_A_DIRTY |
				 VMK_PTE_A_ACCESSED) ==
		    (pa | 0x3 | APU | SH | AF | NG | DBM | PXN | UXN));
	/* Level 2 block: bits[1:0] = 01; kernel RO Device-nGnRE (AttrIndx 3), global. */
	assert_true(a->make_leaf(0x40200000ull, 1, K | VMK_PTE_A_PXN | VMK_PTE_A_GLOBAL |
				 VMK_PTE_A_ACCESSED | VMK_PTE_A_MT(VMK_MEMTYPE_DEVICE)) ==
		    (0x40200000ull | 0x1 | (3ull << 2) | APRO | SH | AF | PXN | UXN));
	/* Level 1 block, Normal-NC (AttrIndx 2), UC is Device-nGnRnE (AttrIndx 1). */
	assert_true((a->make_leaf(0x40000000ull, 2, K | VMK_PTE_A_MT(VMK_MEMTYPE_WC)) & 0x1f) == (0x1 | (2 << 2)));
	assert_true((a->make_leaf(pa, 0, K | VMK_PTE_A_MT(VMK_MEMTYPE_UC)) & 0x1f) == (0x3 | (1 << 2)));
	/* Software bits 55-57. */
	assert_true((a->make_leaf(pa, 0, K | VMK_PTE_A_WIRED | VMK_PTE_A_MANAGED | VMK_PTE_A_NOPROMOTE) >> 55 & 7) == 7);
	/* The raw software bits the bulk paths test: wired 55, managed 56. */
	assert_true(a->pte_sw_wired == 1ull << 55 && a->pte_sw_managed == 1ull << 56);
	/* Tables: bits[1:0] = 11 at levels 0-2. */
	assert_true(a->make_table(0x5000, 1, true) == (0x5000 | 0x3));
	assert_true(a->is_table(0x5003, 1) && a->is_table(0x5003, 3));
	assert_false(a->is_table(0x5003, 0));	/* at level 3 that is a page */
	assert_true(a->is_valid(0x5003, 0));
	assert_false(a->is_valid(0x5001, 0));	/* 0b01 at level 3: reserved, invalid */
	assert_false(a->is_valid(0x5001, 3));	/* no level 0 block with 4 KiB granule */
	assert_true(a->is_block(0x40000001ull, 2) && a->is_block(0x40200001ull, 1));
	assert_true(a->pa_of(0x0000fffffffff003ull | UXN, 0) == 0x0000fffffffff000ull);
	assert_true(a->pa_of(0x40201001ull, 1) == 0x40200000ull);
	/* MAIR_EL1: Attr0 0xff, Attr1 0x00, Attr2 0x44, Attr3 0x04. */
	assert_true(a->memattr_reg == 0x044400ffull);
}

/* The canonical attributes an arch returns for a requested set. */
static uint32_t canonical(enum vmk_pmap_arch_id id, uint32_t at)
{
	if (!(at & VMK_PTE_A_WRITE))
		at &= ~(uint32_t)VMK_PTE_A_DIRTY;
	if (id == VMK_PMAP_ARCH_X86_64 && VMK_PTE_A_MT_OF(at) == VMK_MEMTYPE_DEVICE)
		at = (at & ~(uint32_t)VMK_PTE_A_MT_MASK) | VMK_PTE_A_MT(VMK_MEMTYPE_UC);
	return at;
}

/* Build a 4-level table chain in simulated RAM mapping va with leaf at lvl; return the root. */
static vmk_paddr_t build_chain(const struct vmk_pmap_arch *a, vmk_vaddr_t va, unsigned int lvl,
			       vmk_pte_t leaf, bool user)
{
	vmk_paddr_t base = 0x100000;

	memset(vmk_sim_phys_to_virt(base), 0, 5 * 4096);
	for (unsigned int l = 3; l > lvl; l--) {
		vmk_pte_t *t = vmk_sim_phys_to_virt(base + (3 - l) * 4096);

		t[VMK_PT_INDEX(va, l)] = a->make_table(base + (4 - l) * 4096, l, user);
	}
	((vmk_pte_t *)vmk_sim_phys_to_virt(base + (3 - lvl) * 4096))[VMK_PT_INDEX(va, lvl)] = leaf;
	return base;
}

static void roundtrip(enum vmk_pmap_arch_id id)
{
	const struct vmk_pmap_arch *a = vmk_pmap__arch(id);
	static const uint32_t opt[] = { VMK_PTE_A_WRITE, VMK_PTE_A_GLOBAL, VMK_PTE_A_ACCESSED,
					VMK_PTE_A_DIRTY, VMK_PTE_A_WIRED, VMK_PTE_A_MANAGED,
					VMK_PTE_A_NOPROMOTE };
	struct vmk_mmu_cfg mc = { .arch = id, .levels = 4, .nxe = true, .smep = true,
				  .hw_af = true, .hw_dbm = false };
	unsigned int n = 0;

	vmk_sim_install();
	vmk_sim_ram_reset();
	assert_int_equal(vmk_sim_ram_add(0x100000, 0x10000), 0);
	for (unsigned int lvl = 0; lvl <= 2; lvl++) {
		vmk_paddr_t pa = 0x7654321ull << VMK_PT_SHIFT(lvl) & 0x0000fffffffff000ull;

		pa &= ~(VMK_PT_SIZE(lvl) - 1);
		for (unsigned int m = 0; m < (1u << VMK_ARRAY_SIZE(opt)); m++)
			for (unsigned int mode = 0; mode < 4; mode++)
				for (unsigned int mt = 0; mt < VMK_MEMTYPE_COUNT; mt++) {
					bool user = mode & 1, exec = mode & 2;
					uint32_t at = VMK_PTE_A_MT(mt), want;
					vmk_pte_t e;
					struct vmk_mmu_walk w;
					vmk_vaddr_t va = user ? 0x00007f1234000000ull : 0xffff800012000000ull;
					vmk_paddr_t root;

					for (unsigned int i = 0; i < VMK_ARRAY_SIZE(opt); i++)
						if (m & (1u << i))
							at |= opt[i];
					at |= user ? U | (exec ? 0 : VMK_PTE_A_UXN) : K | (exec ? 0 : VMK_PTE_A_PXN);
					want = canonical(id, at);
					e = a->make_leaf(pa, lvl, at);
					assert_true(a->is_valid(e, lvl));
					assert_int_equal(a->is_block(e, lvl), lvl > 0);
					assert_false(a->is_table(e, lvl));
					assert_true(a->pa_of(e, lvl) == pa);
					if (lvl == 0)	/* the batch path: template | pa */
						assert_true((a->make_leaf(0, 0, at) | pa) == e);
					/* Remove reads wired/managed from the raw bits, at every level. */
					assert_int_equal(!!(e & a->pte_sw_wired), !!(at & VMK_PTE_A_WIRED));
					assert_int_equal(!!(e & a->pte_sw_managed), !!(at & VMK_PTE_A_MANAGED));
					if (a->attrs_of(e, lvl) != want)
						fail_msg("%s lvl %u attrs %#x -> %#x, want %#x", a->name, lvl, at,
							 a->attrs_of(e, lvl), want);
					/* The independent walker reads the same meaning. */
					va &= ~(VMK_PT_SIZE(lvl) - 1);
					va |= 0x123 & (VMK_PT_SIZE(lvl) - 1);
					root = build_chain(a, va, lvl, e, user);
					assert_int_equal(vmk_mmu_walk(&mc, root, root, va, 0, false, &w), 0);
					assert_int_equal(w.level, lvl);
					assert_true(w.pa == pa + (va & (VMK_PT_SIZE(lvl) - 1)));
					assert_int_equal(w.user, user);
					assert_int_equal(w.writable, !!(at & VMK_PTE_A_WRITE) &&
							 (id == VMK_PMAP_ARCH_X86_64 || (at & VMK_PTE_A_DIRTY)));
					assert_int_equal(w.global, !!(at & VMK_PTE_A_GLOBAL));
					assert_int_equal(user ? w.uexec : w.kexec, exec);
					if (user)
						assert_false(w.kexec);	/* SMEP / PXN */
					else
						assert_false(w.uexec);
					n++;
				}
	}
	assert_int_equal(n, 3 * 128 * 4 * 4);
	vmk_sim_ram_reset();
}

static void test_x86_roundtrip(void **state)
{
	(void)state;
	roundtrip(VMK_PMAP_ARCH_X86_64);
}

static void test_arm64_roundtrip(void **state)
{
	(void)state;
	roundtrip(VMK_PMAP_ARCH_ARM64);
}

static void test_arm64_features(void **state)
{
	struct vmk_mmu_features f;

	(void)state;
	/* PARange 5 (48 bits), ASIDBits 2 (16), TGran4 0 (supported). */
	assert_int_equal(vmk_mmu_features_arm64(0x25, 0x2, &f), 0);
	assert_true(f.gran_4k && !f.lpa2);
	assert_int_equal(f.pa_bits, 48);
	assert_int_equal(f.asid_bits, 16);
	assert_true(f.hw_af && f.hw_dbm);
	/* TGran4 = 0xF alone means no 4 KiB granule. */
	assert_int_equal(vmk_mmu_features_arm64(0xf0000005ull, 0, &f), -VMK_ENOTSUP);
	assert_false(f.gran_4k);
	assert_false(f.hw_af);
	/* TGran4 = 1: LPA2, supported; PARange 6 gives 52 bits only then. */
	assert_int_equal(vmk_mmu_features_arm64(0x10000006ull, 1, &f), 0);
	assert_true(f.gran_4k && f.lpa2);
	assert_int_equal(f.pa_bits, 52);
	assert_true(f.hw_af && !f.hw_dbm);
	assert_int_equal(f.asid_bits, 8);
	assert_int_equal(vmk_mmu_features_arm64(0x00000006ull, 0, &f), 0);
	assert_int_equal(f.pa_bits, 48);
	/* Other values than 0xF (reserved today) still mean "implemented". */
	assert_int_equal(vmk_mmu_features_arm64(0x20000002ull, 0, &f), 0);
	assert_true(f.gran_4k);
	assert_int_equal(f.pa_bits, 40);
	/* PARange 0 is 32 bits; 8 is reserved. */
	assert_int_equal(vmk_mmu_features_arm64(0x0, 0, &f), 0);
	assert_int_equal(f.pa_bits, 32);
	assert_int_equal(vmk_mmu_features_arm64(0x8, 0, &f), -VMK_EINVAL);
}

static void test_x86_features(void **state)
{
	struct vmk_mmu_features f;
	struct vmk_x86_cpuid c;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(vmk_mmu_features_x86(&c, &f), -VMK_ENOTSUP);	/* no PAE */
	c.l1_edx = (1u << 6) | (1u << 13);	/* PAE, PGE */
	c.l1_ecx = 1u << 17;			/* PCID */
	c.l7_ebx = 1u << 10;			/* INVPCID */
	c.l7_ecx = 1u << 16;			/* LA57 */
	c.max_ext = 0x80000008u;
	c.e1_edx = (1u << 20) | (1u << 26);	/* NX, Page1GB */
	c.e8_eax = 46 | (57 << 8);
	assert_int_equal(vmk_mmu_features_x86(&c, &f), 0);
	assert_true(f.pge && f.pcid && f.invpcid && f.la57 && f.nx && f.page_1g);
	assert_int_equal(f.pa_bits, 46);
	assert_int_equal(f.va_bits, 57);
	assert_int_equal(f.asid_bits, 12);
	/* Without leaf 0x80000001 nothing extended is claimed; MAXPHYADDR defaults to 36. */
	c.max_ext = 0x80000000u;
	c.l1_ecx = 0;
	c.l7_ecx = 0;
	assert_int_equal(vmk_mmu_features_x86(&c, &f), 0);
	assert_false(f.nx || f.page_1g || f.pcid || f.la57);
	assert_int_equal(f.pa_bits, 36);
	assert_int_equal(f.va_bits, 48);
}

/* The walker: permission checks and hardware A/D updates, per arch. */
static void test_walker_ad(void **state)
{
	const struct vmk_pmap_arch *x = &vmk_pmap_arch_x86_64, *r = &vmk_pmap_arch_arm64;
	struct vmk_mmu_cfg mx = { .arch = VMK_PMAP_ARCH_X86_64, .levels = 4, .nxe = true, .smep = true };
	struct vmk_mmu_cfg mr = { .arch = VMK_PMAP_ARCH_ARM64, .levels = 4, .hw_af = true, .hw_dbm = true };
	struct vmk_mmu_walk w;
	vmk_vaddr_t va = 0x00007f0000001000ull;
	vmk_paddr_t root;
	vmk_pte_t *leaf;

	(void)state;
	vmk_sim_install();
	vmk_sim_ram_reset();
	assert_int_equal(vmk_sim_ram_add(0x100000, 0x10000), 0);
	/* x86: a write sets A and D in the leaf, A in the tables. */
	root = build_chain(x, va, 0, x->make_leaf(0x5000, 0, U | VMK_PTE_A_WRITE), true);
	leaf = vmk_sim_phys_to_virt(root + 3 * 4096 + VMK_PT_INDEX(va, 0) * 8);
	assert_int_equal(vmk_mmu_walk(&mx, root, 0, va, VMK_MMU_READ | VMK_MMU_USER, true, &w), 0);
	assert_true((*leaf & 0x60) == 0x20);
	assert_int_equal(vmk_mmu_walk(&mx, root, 0, va, VMK_MMU_WRITE | VMK_MMU_USER, true, &w), 0);
	assert_true((*leaf & 0x60) == 0x60);
	/* Kernel fetch from a user page: SMEP. */
	assert_int_equal(vmk_mmu_walk(&mx, root, 0, va, VMK_MMU_EXEC, true, &w), VMK_MMU_FAULT_PERMISSION);
	/* Non-canonical address. */
	assert_int_equal(vmk_mmu_walk(&mx, root, 0, 0x0000900000000000ull, VMK_MMU_READ, false, &w),
			 VMK_MMU_FAULT_ADDRESS);
	/* NX without EFER.NXE is a reserved bit. */
	*leaf |= 1ull << 63;
	mx.nxe = false;
	assert_int_equal(vmk_mmu_walk(&mx, root, 0, va, VMK_MMU_READ, false, &w), VMK_MMU_FAULT_RESERVED);

	/* arm64: writable-clean (DBM, AP[2]=1): a write clears AP[2]; AF set on first access. */
	root = build_chain(r, va, 0, r->make_leaf(0x5000, 0, U | VMK_PTE_A_UXN | VMK_PTE_A_WRITE), true);
	leaf = vmk_sim_phys_to_virt(root + 3 * 4096 + VMK_PT_INDEX(va, 0) * 8);
	assert_false(*leaf & (1ull << 10));
	assert_int_equal(vmk_mmu_walk(&mr, root, 0, va, VMK_MMU_READ | VMK_MMU_USER, true, &w), 0);
	assert_true(*leaf & (1ull << 10));
	assert_true(*leaf & (1ull << 7));
	assert_int_equal(vmk_mmu_walk(&mr, root, 0, va, VMK_MMU_WRITE | VMK_MMU_USER, true, &w), 0);
	assert_false(*leaf & (1ull << 7));
	assert_int_equal(vmk_mmu_walk(&mr, root, 0, va, VMK_MMU_EXEC | VMK_MMU_USER, true, &w),
			 VMK_MMU_FAULT_PERMISSION);
	/* Without hardware DBM a clean page faults on write; without HA, AF=0 faults. */
	*leaf = r->make_leaf(0x5000, 0, U | VMK_PTE_A_WRITE);
	mr.hw_dbm = false;
	mr.hw_af = false;
	assert_int_equal(vmk_mmu_walk(&mr, root, 0, va, VMK_MMU_READ | VMK_MMU_USER, true, &w),
			 VMK_MMU_FAULT_ACCESS_FLAG);
	*leaf |= 1ull << 10;
	assert_int_equal(vmk_mmu_walk(&mr, root, 0, va, VMK_MMU_WRITE | VMK_MMU_USER, true, &w),
			 VMK_MMU_FAULT_PERMISSION);
	/* A user address through TTBR1 or a hole between the halves faults. */
	assert_int_equal(vmk_mmu_walk(&mr, root, 0, 0x0001000000000000ull, VMK_MMU_READ, false, &w),
			 VMK_MMU_FAULT_ADDRESS);
	vmk_sim_ram_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x86_bits),
		cmocka_unit_test(test_arm64_bits),
		cmocka_unit_test(test_x86_roundtrip),
		cmocka_unit_test(test_arm64_roundtrip),
		cmocka_unit_test(test_x86_features),
		cmocka_unit_test(test_arm64_features),
		cmocka_unit_test(test_walker_ad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
