/*
 * Set-up calls and configurations the other tests never use: arguments
 * vmk_pmap_bootstrap, vmk_kmem_init and the enter calls refuse; an x86-64
 * pmap without NX (every mapping executable); riscv64 without Svpbmt
 * (every mapping takes the PMA's memory type); kmem memory of the device
 * type; enter_pages in a no-promote range; vmk_strncmp.
 */
#include "kmem_util.h"
#include <vmkit/kmem.h>

#define PG	4096ull
#define S2M	(2ull << 20)
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)

static void base_config(struct vmk_pmap_config *pc, enum vmk_pmap_arch_id arch)
{
	memset(pc, 0, sizeof(*pc));
	pc->arch = arch;
	pc->nx = true;
	pc->kva_start = PMT_KVA;
	pc->kva_end = PMT_KVA_END;
}

/* A booted pmap machine, then the kernel pmap made again with pc (phys as pmt_boot left it). */
static void reboot_pmap(const struct vmk_pmap_config *pc)
{
	pmt_boot_arch(pc->arch);
	assert_int_equal(vmk_pmap_bootstrap(pc), 0);
}

static void test_bootstrap_refuses(void **state)
{
	struct vmk_pmap_config pc;

	pmt_boot_arch(VMK_PMAP_ARCH_X86_64);
	base_config(&pc, VMK_PMAP_ARCH_X86_64);
	pc.arch = (enum vmk_pmap_arch_id)77;
	assert_int_equal(vmk_pmap_bootstrap(&pc), -VMK_EINVAL);
	base_config(&pc, VMK_PMAP_ARCH_X86_64);
	pc.levels = 3;
	assert_int_equal(vmk_pmap_bootstrap(&pc), -VMK_EINVAL);
	base_config(&pc, VMK_PMAP_ARCH_X86_64);
	pc.asid_bits = 13;	/* PCIDs are 12 bits */
	assert_int_equal(vmk_pmap_bootstrap(&pc), -VMK_EINVAL);
	base_config(&pc, VMK_PMAP_ARCH_X86_64);
	pc.kva_start = 0x1000;	/* the user half */
	assert_int_equal(vmk_pmap_bootstrap(&pc), -VMK_EINVAL);
	pmt_shutdown();
}

/* x86-64 without EFER.NXE: no XD bit, so a read-only mapping is executable too. */
static void test_x86_without_nx(void **state)
{
	struct vmk_pmap_config pc;
	struct vmk_pmap_mapping m;

	base_config(&pc, VMK_PMAP_ARCH_X86_64);
	pc.nx = false;
	reboot_pmap(&pc);
	assert_int_equal(vmk_pmap_enter(vmk_pmap_kernel(), PMT_KVA, PMT_DATA, VMK_PROT_READ, 0), 0);
	assert_int_equal(vmk_pmap_extract(vmk_pmap_kernel(), PMT_KVA, &m), 0);
	assert_true(m.prot & VMK_PROT_EXEC);
	assert_int_equal(m.pa, PMT_DATA);
	pmt_shutdown();
}

/* riscv64 without Svpbmt: the PBMT bits are reserved; an uncached request is written as the PMA's type. */
static void test_riscv_without_svpbmt(void **state)
{
	struct vmk_pmap_config pc;
	struct vmk_pmap_mapping m;
	char msg[200];

	base_config(&pc, VMK_PMAP_ARCH_RISCV64);
	pc.no_svpbmt = true;
	reboot_pmap(&pc);
	assert_int_equal(vmk_pmap_enter(vmk_pmap_kernel(), PMT_KVA, PMT_DATA, RW, VMK_PMAP_MEMTYPE(VMK_MEMTYPE_UC)), 0);
	assert_int_equal(vmk_pmap_extract(vmk_pmap_kernel(), PMT_KVA, &m), 0);
	assert_int_equal(m.memtype, VMK_MEMTYPE_WB);
	assert_int_equal(vmk_pmap_check(vmk_pmap_kernel(), msg, sizeof(msg)), 0);
	pmt_shutdown();
}

static void test_kmem_init_refuses(void **state)
{
	struct vmk_kmem_config c = { 0 };

	vmk_kmem_reset();
	pmt_boot_arch(VMK_PMAP_ARCH_X86_64);
	assert_int_equal(vmk_kmem_init(NULL), -VMK_EINVAL);
	c.kva_start = pmt_kva();
	c.kva_end = pmt_kva();
	assert_int_equal(vmk_kmem_init(&c), -VMK_EINVAL);	/* empty */
	c.kva_end = pmt_kva() + S2M + PG;
	assert_int_equal(vmk_kmem_init(&c), -VMK_EINVAL);	/* end not 2 MiB aligned */
	c.kva_start = pmt_kva() + PG;
	c.kva_end = pmt_kva() + 2 * S2M;
	assert_int_equal(vmk_kmem_init(&c), -VMK_EINVAL);	/* start not 2 MiB aligned */
	assert_null(vmk_kmem_kva_arena());
	c.kva_start = pmt_kva();
	assert_int_equal(vmk_kmem_init(&c), 0);
	assert_int_equal(vmk_kmem_init(&c), -VMK_EBUSY);
	vmk_kmem_reset();
	pmt_shutdown();
}

/* kmem_alloc_contig with the device memory type maps it as device memory. */
static void test_kmem_contig_device(void **state)
{
	struct vmk_pmap_mapping m;
	vmk_vaddr_t va;

	kmt_boot(VMK_PMAP_ARCH_ARM64);
	va = vmk_kmem_alloc_contig(4 * PG, 0, VMK_PADDR_MAX, 0, 0, VMK_MEMATTR_DEVICE, 0, 0);
	assert_true(va != 0);
	assert_int_equal(vmk_pmap_extract(vmk_pmap_kernel(), va + 3 * PG, &m), 0);
	assert_int_equal(m.memtype, VMK_MEMTYPE_DEVICE);
	vmk_kmem_free(va, 4 * PG);
	kmt_check();
	kmt_shutdown();
}

/* enter_pages: bad arguments; inside a no-promote range every leaf is no-promote. */
static void test_enter_pages_args_and_nopromote(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_mapping m;
	vmk_paddr_t pas[4] = { PMT_DATA, PMT_DATA + PG, PMT_DATA + 2 * PG, PMT_DATA + 3 * PG };
	vmk_vaddr_t va;

	pmt_boot_arch(VMK_PMAP_ARCH_X86_64);
	k = vmk_pmap_kernel();
	va = pmt_kva() + 8 * S2M;
	assert_int_equal(vmk_pmap_enter_pages(k, va, NULL, 4, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_pages(k, va, pas, 0, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_pages(k, va + 8, pas, 4, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_protect_bbm(k, va, S2M, VMK_PMAP_BBM_NOPROMOTE), 0);
	assert_int_equal(vmk_pmap_enter_pages(k, va, pas, 4, RW, 0), 0);
	for (unsigned int i = 0; i < 4; i++) {
		assert_int_equal(vmk_pmap_extract(k, va + i * PG, &m), 0);
		assert_true(m.nopromote);
		assert_int_equal(m.pa, pas[i]);
	}
	pmt_check(k);
	pmt_shutdown();
}

/* A managed block needs page records that are not free. */
static void test_enter_large_managed_free_head(void **state)
{
	struct vmk_pmap *u;

	pmt_boot_arch(VMK_PMAP_ARCH_X86_64);
	assert_int_equal(vmk_pmap_create(&u), 0);
	/* [1 GiB, 1 GiB + 256 MiB) is the allocator's free memory. */
	assert_int_equal(vmk_pmap_enter_large(u, 0x40000000ull, PMT_RAM_BASE + 64 * S2M, S2M, RW,
					      VMK_PMAP_ENTER_MANAGED), -VMK_EINVAL);
	pmt_check(u);
	vmk_pmap_destroy(u);
	pmt_shutdown();
}

static void test_strncmp(void **state)
{
	assert_int_equal(vmk_strncmp("abc", "abd", 0), 0);
	assert_int_equal(vmk_strncmp("abc", "abd", 2), 0);
	assert_true(vmk_strncmp("abc", "abd", 3) < 0);
	assert_true(vmk_strncmp("abd", "abc", 3) > 0);
	assert_int_equal(vmk_strncmp("ab", "ab", 10), 0);
	assert_true(vmk_strncmp("ab", "abc", 10) < 0);
	assert_true(vmk_strncmp("\xff", "a", 1) > 0);	/* compared as unsigned char */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bootstrap_refuses),
		cmocka_unit_test(test_x86_without_nx),
		cmocka_unit_test(test_riscv_without_svpbmt),
		cmocka_unit_test(test_kmem_init_refuses),
		cmocka_unit_test(test_kmem_contig_device),
		cmocka_unit_test(test_enter_pages_args_and_nopromote),
		cmocka_unit_test(test_enter_large_managed_free_head),
		cmocka_unit_test(test_strncmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
