/*
 * kmem: kmem_malloc/free with reservations and promotion, NOFREE rollback
 * (seed 002), the fault-injection sweep over every kmem scenario, stale
 * mappings through the simulated MMU, guard pages, contiguous memory.
 */
#include "kmem_util.h"

#define PG	4096ull
#define S2M	(2ull << 20)

static const enum vmk_pmap_arch_id arches[] = { VMK_PMAP_ARCH_X86_64, VMK_PMAP_ARCH_ARM64 };

static int touch(unsigned int cpu, vmk_vaddr_t va, uint32_t acc, struct vmk_mmu_walk *w)
{
	return vmk_sim_mmu_access(cpu, va, acc, w);
}

static void test_malloc_free(void **st)
{
	(void)st;
	for (unsigned int a = 0; a < 2; a++) {
		struct kmt_snap s0;
		struct vmk_mmu_walk w;
		vmk_vaddr_t va;

		kmt_boot(arches[a]);
		/* Kernel page tables grown for a unit stay (as FreeBSD's pmap_growkernel): grow them first. */
		vmk_kmem_free(vmk_kmem_malloc(PG, 0), PG);
		kmt_snap(&s0);
		va = vmk_kmem_malloc(3 * PG + 5, VMK_KM_ZERO);
		assert_true(va >= pmt_kva() && va < pmt_kva() + KMT_WINDOW);
		for (int i = 0; i < 4; i++) {
			assert_int_equal(touch(0, va + i * PG, VMK_MMU_WRITE, &w), 0);
			assert_int_equal(*(uint64_t *)vmk_sim_phys_to_virt(w.pa), 0);
			assert_false(w.kexec);	/* no-execute */
		}
		assert_int_equal(touch(0, va, VMK_MMU_EXEC, NULL), VMK_MMU_FAULT_PERMISSION);
		kmt_check();
		vmk_kmem_free(va, 3 * PG + 5);
		kmt_check();
		kmt_same(&s0, "after free");
		kmt_shutdown();
	}
}

/*
 * A freed page must not stay reachable: CPUs that cached the translation
 * see it gone (the TLBs were invalidated before the KVA could be reused),
 * and the next allocation at that address maps its own frame.
 */
static void test_no_stale_mapping(void **st)
{
	(void)st;
	for (unsigned int a = 0; a < 2; a++) {
		struct pmt_opts o = { .arch = arches[a], .ncpus = 2 };
		struct vmk_mmu_walk w0, w1;
		vmk_vaddr_t va, vb;
		char msg[200];

		kmt_boot_opts(&o);
		va = vmk_kmem_malloc(PG, 0);
		assert_int_equal(touch(0, va, VMK_MMU_WRITE, &w0), 0);
		assert_int_equal(touch(1, va, VMK_MMU_READ, &w1), 0);
		assert_true(vmk_sim_tlb_count(1) > 0);
		vmk_kmem_free(va, PG);
		assert_int_equal(vmk_sim_tlb_audit(msg, sizeof(msg)), 0);
		assert_int_equal(touch(1, va, VMK_MMU_READ, NULL), VMK_MMU_FAULT_TRANSLATION);
		assert_int_equal(touch(0, va, VMK_MMU_READ, NULL), VMK_MMU_FAULT_TRANSLATION);
		/* The cache hands the same KVA out again: it must translate afresh. */
		vb = vmk_kmem_malloc(PG, 0);
		assert_int_equal(vb, va);
		assert_int_equal(touch(1, vb, VMK_MMU_READ, &w1), 0);
		assert_int_equal(vmk_sim_tlb_audit(msg, sizeof(msg)), 0);
		vmk_kmem_free(vb, PG);
		kmt_check();
		kmt_shutdown();
	}
}

/* One-page allocations fill a unit from its reservation; the full unit is promoted. */
static void test_units_promote(void **st)
{
	(void)st;
	for (unsigned int a = 0; a < 2; a++) {
		static vmk_vaddr_t v[KMT_WINDOW / S2M > 600 ? 600 : 1];
		struct vmk_pmap_mapping m;
		struct kmt_snap s0;
		uint64_t ptps;
		unsigned int n = 0;
		vmk_vaddr_t unit = 0;

		kmt_boot(arches[a]);
		vmk_kmem_free(vmk_kmem_malloc(4 * S2M, 0), 4 * S2M);
		kmt_snap(&s0);
		for (n = 0; n < 600; n++) {
			v[n] = vmk_kmem_malloc(PG, 0);
			assert_true(v[n] != 0);
		}
		/* Some unit is wholly backed by now, and mapped by one 2 MiB block. */
		for (unsigned int i = 0; i < n && !unit; i++)
			if (vmk_pmap_extract(vmk_pmap_kernel(), v[i], &m) == 0 && m.size == S2M)
				unit = v[i] & ~(S2M - 1);
		assert_true(unit != 0);
		assert_int_equal(m.pa & (S2M - 1), v[0] & (S2M - 1) & 0);
		kmt_check();
		/* Freeing one page demotes from the spare PTP: no page-table page is allocated. */
		ptps = pmt_ptp_pages();
		vmk_kmem_free(unit + 7 * PG, PG);
		assert_int_equal(pmt_ptp_pages(), ptps);
		assert_int_equal(vmk_pmap_extract(vmk_pmap_kernel(), unit, &m), 0);
		assert_int_equal(m.size, PG);
		for (unsigned int i = 0; i < n; i++)
			if (v[i] != unit + 7 * PG)
				vmk_kmem_free(v[i], PG);
		kmt_check();
		kmt_same(&s0, "after freeing everything");
		kmt_shutdown();
	}
}

/* A 2 MiB allocation is one reservation: physically contiguous and aligned, one block. */
static void test_large_malloc_is_superpage(void **st)
{
	struct vmk_pmap_mapping m;
	vmk_vaddr_t va;

	(void)st;
	kmt_boot(VMK_PMAP_ARCH_X86_64);
	va = vmk_kmem_malloc(S2M, 0);
	assert_true(va && (va & (S2M - 1)) == 0);
	assert_int_equal(vmk_pmap_extract(vmk_pmap_kernel(), va, &m), 0);
	assert_int_equal(m.size, S2M);
	assert_int_equal(m.pa & (S2M - 1), 0);
	vmk_kmem_free(va, S2M);
	kmt_check();
	kmt_shutdown();
}

/*
 * Seed 002: a NOFREE allocation of several pages failing part-way gives
 * the pages it took back to the NOFREE pool (never through the ordinary
 * free path, which panics for NOFREE pages) and frees the KVA.
 */
static void test_seed_nofree_rollback(void **st)
{
	(void)st;
	for (unsigned int fail_at = 1; fail_at < 6; fail_at++) {
		struct vmk_phys_stats p0, p1;
		struct kmt_snap s0;
		vmk_vaddr_t va;

		kmt_boot(VMK_PMAP_ARCH_X86_64);
		/* Warm the NOFREE pool and unit so the rollback is the only change. */
		va = vmk_kmem_malloc(PG, VMK_KM_NOFREE);
		assert_true(va != 0);
		kmt_snap(&s0);
		vmk_phys_get_stats(&p0);
		vmk_sim_fail_nth(fail_at, "phys.nofree", false);
		va = vmk_kmem_malloc(6 * PG, VMK_KM_NOFREE);
		assert_int_equal(vmk_sim_faults_injected(), 1);
		vmk_sim_fail_off();
		assert_int_equal(va, 0);
		vmk_phys_get_stats(&p1);
		assert_int_equal(p1.nofree_returned - p0.nofree_returned, fail_at);
		assert_int_equal(p1.state[VMK_PAGE_NOFREE], p0.state[VMK_PAGE_NOFREE]);
		kmt_same(&s0, "after the failed NOFREE allocation");
		kmt_check();
		/* The pages are reusable: the retry takes them. */
		va = vmk_kmem_malloc(6 * PG, VMK_KM_NOFREE);
		assert_true(va != 0);
		vmk_phys_get_stats(&p1);
		assert_int_equal(p1.nofree_imported, p0.nofree_imported);
		assert_panics(vmk_kmem_free(va, 6 * PG), "NOFREE");
		kmt_check();
		kmt_shutdown();
	}
}

/* NOFREE memory gathers in its own units, apart from ordinary memory. */
static void test_nofree_own_units(void **st)
{
	vmk_vaddr_t a, b, c;

	(void)st;
	kmt_boot(VMK_PMAP_ARCH_X86_64);
	a = vmk_kmem_malloc(PG, 0);
	b = vmk_kmem_malloc(PG, VMK_KM_NOFREE);
	c = vmk_kmem_malloc(PG, VMK_KM_NOFREE);
	assert_true(a && b && c);
	assert_true((a & ~(S2M - 1)) != (b & ~(S2M - 1)));
	assert_int_equal(b & ~(S2M - 1), c & ~(S2M - 1));
	vmk_kmem_free(a, PG);
	kmt_check();
	kmt_shutdown();
}

/* ---- the fault-injection sweep over every kmem scenario ---- */

struct scen {
	const char *name;
	vmk_vaddr_t (*run)(void);
	void (*undo)(vmk_vaddr_t);
};

static vmk_vaddr_t s_page(void) { return vmk_kmem_malloc(PG, VMK_KM_ZERO); }
static void u_page(vmk_vaddr_t v) { vmk_kmem_free(v, PG); }
static vmk_vaddr_t s_64k(void) { return vmk_kmem_malloc(64 << 10, 0); }
static void u_64k(vmk_vaddr_t v) { vmk_kmem_free(v, 64 << 10); }
static vmk_vaddr_t s_3m(void) { return vmk_kmem_malloc(3 << 20, 0); }
static void u_3m(vmk_vaddr_t v) { vmk_kmem_free(v, 3 << 20); }
static vmk_vaddr_t s_nofree(void) { return vmk_kmem_malloc(5 * PG, VMK_KM_NOFREE); }
static vmk_vaddr_t s_contig(void)
{
	return vmk_kmem_alloc_contig(16 * PG, 0, 4ull << 30, 64 << 10, 0, VMK_MEMATTR_UC, 0, 0);
}
static void u_contig(vmk_vaddr_t v) { vmk_kmem_free(v, 16 * PG); }
static vmk_vaddr_t s_stack(void) { return vmk_kmem_alloc_stack(4, 1, 0); }
static void u_stack(vmk_vaddr_t v) { vmk_kmem_free_stack(v, 4, 1); }

static const struct scen scens[] = {
	{ "1 page", s_page, u_page },
	{ "64 KiB", s_64k, u_64k },
	{ "3 MiB", s_3m, u_3m },
	{ "NOFREE 5 pages", s_nofree, NULL },
	{ "contig 16 pages UC", s_contig, u_contig },
	{ "stack", s_stack, u_stack },
};

static void test_fault_sweep(void **st)
{
	(void)st;
	for (unsigned int a = 0; a < 2; a++) {
		kmt_boot(arches[a]);
		for (unsigned int k = 0; k < VMK_ARRAY_SIZE(scens); k++) {
			const struct scen *sc = &scens[k];
			vmk_vaddr_t v;
			unsigned long n;

			/* Warm up: units and page tables the scenario needs exist once. */
			v = sc->run();
			assert_true(v != 0);
			if (sc->undo)
				sc->undo(v);
			/* Every site for the first 48 failures, then every 29th (big scenarios have hundreds). */
			for (n = 0;; n += n < 48 ? 1 : 29) {
				struct kmt_snap s0;
				char what[96];

				kmt_snap(&s0);
				vmk_sim_fail_nth(n, NULL, false);
				v = sc->run();
				if (vmk_sim_faults_injected() == 0) {
					vmk_sim_fail_off();
					assert_true(v != 0);
					if (sc->undo)
						sc->undo(v);
					break;
				}
				vmk_sim_fail_off();
				snprintf(what, sizeof(what), "%s, %s, failure %lu", pmt_arch_name(arches[a]), sc->name, n);
				if (v != 0) {
					/* A failure that the code recovered from (e.g. no reservation: single frames). */
					if (sc->undo)
						sc->undo(v);
					else
						continue;
				}
				kmt_same(&s0, what);
				kmt_check_fast();
			}
			fprintf(stderr, "sweep %s %s: %lu attempts before the first that no failure hit, all unwound\n",
				pmt_arch_name(arches[a]), sc->name, n);
			assert_true(n >= 2);
			kmt_check();
		}
		kmt_shutdown();
	}
}

static void test_stack_guards(void **st)
{
	(void)st;
	for (unsigned int a = 0; a < 2; a++) {
		vmk_vaddr_t s;

		kmt_boot(arches[a]);
		s = vmk_kmem_alloc_stack(4, 1, 0);
		assert_true(s != 0);
		for (int i = 0; i < 4; i++)
			assert_int_equal(touch(0, s + i * PG + 8, VMK_MMU_WRITE, NULL), 0);
		/* One byte past either end faults. */
		assert_int_equal(touch(0, s - 1, VMK_MMU_WRITE, NULL), VMK_MMU_FAULT_TRANSLATION);
		assert_int_equal(touch(0, s + 4 * PG, VMK_MMU_WRITE, NULL), VMK_MMU_FAULT_TRANSLATION);
		vmk_kmem_free_stack(s, 4, 1);
		kmt_check();
		kmt_shutdown();
	}
}

static void test_alloc_contig(void **st)
{
	struct vmk_pmap_mapping m;
	vmk_paddr_t pa0;
	vmk_vaddr_t va;

	(void)st;
	kmt_boot(VMK_PMAP_ARCH_ARM64);
	va = vmk_kmem_alloc_contig(16 * PG, 0, 4ull << 30, 64 << 10, 0, VMK_MEMATTR_WC, 0, VMK_KM_ZERO);
	assert_true(va != 0);
	assert_int_equal(vmk_pmap_extract(vmk_pmap_kernel(), va, &m), 0);
	pa0 = m.pa;
	assert_int_equal(pa0 & 0xffff, 0);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(vmk_pmap_extract(vmk_pmap_kernel(), va + i * PG, &m), 0);
		assert_int_equal(m.pa, pa0 + i * PG);
		assert_int_equal(m.memtype, VMK_MEMTYPE_WC);
	}
	vmk_kmem_free(va, 16 * PG);
	assert_int_equal(vmk_kmem_alloc_contig(PG, 0, 4ull << 30, 0, 0, VMK_MEMATTR_WT, 0, 0), 0);
	/* Nothing in range: fails cleanly. */
	assert_int_equal(vmk_kmem_alloc_contig(PG, 0, 1ull << 30, 0, 0, VMK_MEMATTR_WB, 0, 0), 0);
	kmt_check();
	kmt_shutdown();
}

static void test_bad_frees_panic(void **st)
{
	vmk_vaddr_t va;

	(void)st;
	kmt_boot(VMK_PMAP_ARCH_X86_64);
	va = vmk_kmem_malloc(PG, 0);
	assert_panics(vmk_kmem_free(pmt_kva() + KMT_WINDOW + PG, PG), "outside kmem");
	assert_panics(vmk_kmem_free(pmt_kva() + KMT_WINDOW - S2M, PG), "no kmem arena");
	vmk_kmem_free(va, PG);
	kmt_check();
	kmt_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malloc_free),
		cmocka_unit_test(test_no_stale_mapping),
		cmocka_unit_test(test_units_promote),
		cmocka_unit_test(test_large_malloc_is_superpage),
		cmocka_unit_test(test_seed_nofree_rollback),
		cmocka_unit_test(test_nofree_own_units),
		cmocka_unit_test(test_fault_sweep),
		cmocka_unit_test(test_stack_guards),
		cmocka_unit_test(test_alloc_contig),
		cmocka_unit_test(test_bad_frees_panic),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
