/*
 * Tests written for mutations of tools/mutate/mutations.txt that survived
 * the rest of the suite (each names the mutation it kills):
 *  - the barrier sequence around every TLB invalidation the pmap issues
 *    outside break-before-make: a PTE-store barrier (DSB ISHST) since the
 *    previous request, and the completion wait (DSB ISH) right after it
 *    (barrier-dsb-before-tlbi-dropped, barrier-tlbi-sync-swapped);
 *  - accessed/dirty the hardware sets in a block between the demotion's
 *    read and its break reach the pieces (demote-loses-late-ad); the
 *    hardware write is made at the demotion's PTE-store barrier, the
 *    point where the new table is published, so a demotion without that
 *    barrier fails it too (barrier-demote-table-store);
 *  - unfolding a 64 KiB run gives every entry the run's A/D OR
 *    (unfold-ad-not-ored);
 *  - a vmem span touching another by one byte is refused
 *    (vmem-span-overlap-off-by-one);
 *  - the frame just past a physical segment has no page record
 *    (phys-segment-end-lookup).
 */
#include "pmap_util.h"
#include "phys_util.h"
#include "../src/pmap/pmap_internal.h"
#include <vmkit/vmem.h>

#define UVA	0x0000000040000000ull
#define S2M	PT_SIZE(1)
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

/* ---- hook wrappers: the order of barriers and invalidations as the platform sees it ---- */
static void (*real_tlb)(void *, const struct vmk_tlb_req *);
static void (*real_barrier)(void *, enum vmk_barrier);
static int last_barrier = -1;		/* the last barrier kind since the previous request */
static bool want_sync;			/* a request was issued: the next barrier must wait for it */
static unsigned int checked, bad_order;
static char bad_msg[160];
/* Armed by the demotion test. */
static vmk_pte_t *late_slot;		/* set dirty in this block at the demotion's barrier */
static unsigned int late_lvl;

static void note_bad(const char *what, int kind)
{
	if (bad_order++ == 0)
		snprintf(bad_msg, sizeof(bad_msg), "%s (last barrier %d)", what, kind);
}

static void wrap_barrier(void *ctx, enum vmk_barrier kind)
{
	if (want_sync && kind != VMK_BARRIER_TLB_SYNC)
		note_bad("a TLB request not followed by its completion wait", (int)kind);
	want_sync = false;
	last_barrier = (int)kind;
	if (late_slot && kind == VMK_BARRIER_PTE_STORE) {
		/* The hardware writes through the block before the break (x86: before the exchange). */
		vmk_pte_t e = vmk_pmap__pte_load(late_slot);

		while (!vmk_pmap__pte_cas(late_slot, &e, vmk_pmap__leaf_rebuild(e, late_lvl,
				vmk_pmap__g.arch->attrs_of(e, late_lvl) | VMK_PTE_A_ACCESSED | VMK_PTE_A_DIRTY)))
			;
		late_slot = NULL;
	}
	real_barrier(ctx, kind);
}

static void wrap_tlb(void *ctx, const struct vmk_tlb_req *req)
{
	if (want_sync)
		note_bad("two TLB requests without a completion wait between them", last_barrier);
	if (!req->in_bbm) {	/* the window's own barriers are inline, not hooks */
		checked++;
		if (last_barrier != VMK_BARRIER_PTE_STORE)
			note_bad("a TLB request without a PTE-store barrier before it", last_barrier);
		want_sync = true;
	}
	last_barrier = -1;
	real_tlb(ctx, req);
}

static void boot_wrapped(enum vmk_pmap_arch_id arch, bool promote)
{
	struct pmt_opts o = { .arch = arch, .ncpus = 2, .no_promote = !promote };
	struct vmk_platform *p;

	pmt_boot(&o);
	p = vmk_sim_platform();
	real_tlb = p->tlb_invalidate;
	real_barrier = p->barrier;
	p->tlb_invalidate = wrap_tlb;
	p->barrier = wrap_barrier;
	last_barrier = -1;
	want_sync = false;
	checked = bad_order = 0;
	bad_msg[0] = '\0';
	late_slot = NULL;
}

static void unwrap(void)
{
	struct vmk_platform *p = vmk_sim_platform();

	p->tlb_invalidate = real_tlb;
	p->barrier = real_barrier;
	pmt_shutdown();
}

static struct vmk_pmap *user(void)
{
	struct vmk_pmap *u;

	assert_int_equal(vmk_pmap_create(&u), 0);
	vmk_pmap_activate(u, 0);
	vmk_pmap_activate(u, 1);
	return u;
}

static void drop_user(struct vmk_pmap *u)
{
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_activate(vmk_pmap_kernel(), 1);
	vmk_pmap_destroy(u);
}

/*
 * Kills barrier-dsb-before-tlbi-dropped and barrier-tlbi-sync-swapped:
 * every request outside a break-before-make window comes after a
 * PTE-store barrier and is followed by the completion wait.
 */
static void test_tlbi_barrier_sequence(void **state)
{
	enum vmk_pmap_arch_id arch = ARCH_OF(state);
	struct vmk_pmap *u, *k;
	vmk_vaddr_t kva;

	boot_wrapped(arch, true);
	u = user();
	k = vmk_pmap_kernel();
	kva = pmt_kva();
	for (unsigned int i = 0; i < 512; i++)
		assert_int_equal(vmk_pmap_enter(u, UVA + i * 4096ull, PMT_DATA + i * 4096ull, RW, 0), 0);
	assert_int_equal(vmk_pmap_protect(u, UVA, UVA + 8 * 4096ull, VMK_PROT_READ), 0);
	assert_int_equal(vmk_pmap_remove(u, UVA + 4096, UVA + 3 * 4096), 0);
	assert_int_equal(vmk_pmap_remove(u, UVA, UVA + S2M), 0);
	assert_int_equal(vmk_pmap_enter(k, kva, PMT_DATA, RW, 0), 0);
	assert_int_equal(vmk_pmap_enter(k, kva, PMT_DATA + 4096, RW, 0), 0);
	assert_int_equal(vmk_pmap_remove(k, kva, kva + 4096), 0);
	pmt_check(u);
	drop_user(u);
	if (bad_order)
		fail_msg("%s: %u barrier-order errors, the first: %s", pmt_arch_name(arch), bad_order, bad_msg);
	assert_true(checked >= 4);
	unwrap();
}

/*
 * Kills demote-loses-late-ad: a managed block entered clean is written
 * by the hardware after the demotion read it (at the demotion's barrier,
 * before the break); the pieces, and the page, must say modified.
 */
static void test_demote_keeps_late_ad(void **state)
{
	enum vmk_pmap_arch_id arch = ARCH_OF(state);
	struct vmk_pmap *u;
	struct vmk_pmap_mapping m;
	unsigned int lvl;

	boot_wrapped(arch, false);
	u = user();
	assert_int_equal(vmk_pmap_enter_large(u, UVA, PMT_DATA, S2M, RW, VMK_PMAP_ENTER_MANAGED), 0);
	assert_false(vmk_pmap_is_modified(PMT_DATA + 5 * 4096ull));
	late_slot = vmk_pmap__walk(u, UVA, &lvl, NULL);
	late_lvl = lvl;
	assert_int_equal(lvl, 1);
	assert_int_equal(vmk_pmap_demote(u, UVA), 0);
	assert_null(late_slot);		/* the write happened inside the demotion */
	assert_int_equal(vmk_pmap_extract(u, UVA + 5 * 4096ull, &m), 0);
	assert_true(m.dirty);
	assert_true(vmk_pmap_is_modified(PMT_DATA + 5 * 4096ull));
	pmt_check(u);
	assert_int_equal(vmk_pmap_remove(u, UVA, UVA + S2M), 0);
	drop_user(u);
	unwrap();
}

/*
 * Kills unfold-ad-not-ored: one write marks one entry of a run dirty;
 * every page of the run reads as modified, before and after a change to
 * another entry unfolds the run.
 */
static void test_unfold_ors_ad(void **state)
{
	enum vmk_pmap_arch_id arch = ARCH_OF(state);
	struct vmk_pmap *u;
	vmk_paddr_t pas[16];

	boot_wrapped(arch, false);
	u = user();
	for (unsigned int i = 0; i < 16; i++)
		pas[i] = PMT_DATA + i * 4096ull;
	assert_int_equal(vmk_pmap_enter_pages(u, UVA, pas, 16, RW, VMK_PMAP_ENTER_MANAGED), 0);
	assert_int_equal(vmk_sim_mmu_access(0, UVA + 3 * 4096, VMK_MMU_WRITE | VMK_MMU_USER, NULL), 0);
	assert_int_equal(vmk_pmap_protect(u, UVA + 9 * 4096ull, UVA + 10 * 4096ull, VMK_PROT_READ), 0);
	for (unsigned int i = 0; i < 16; i++) {
		struct vmk_pmap_mapping m;

		assert_int_equal(vmk_pmap_extract(u, UVA + i * 4096ull, &m), 0);
		assert_false(m.contiguous);
		if (!vmk_pmap_is_modified(PMT_DATA + i * 4096ull))
			fail_msg("%s: page %u of the unfolded run lost the run's dirty state", pmt_arch_name(arch), i);
	}
	pmt_check(u);
	assert_int_equal(vmk_pmap_remove(u, UVA, UVA + 16 * 4096ull), 0);
	drop_user(u);
	unwrap();
}

/* Kills vmem-span-overlap-off-by-one. */
static void test_vmem_span_touching_refused(void **state)
{
	struct vmk_vmem_params p = { .name = "touch", .quantum = 1 };
	struct vmk_vmem vm;

	(void)state;
	tp_reset();
	tp_add_free(1ull << 30, 16ull << 20, 0);
	assert_int_equal(vmk_vmem_init(&vm, &p), 0);
	assert_int_equal(vmk_vmem_add(&vm, 100, 100), 0);
	assert_int_equal(vmk_vmem_add(&vm, 199, 10), -VMK_EEXIST);	/* shares byte 199 */
	assert_int_equal(vmk_vmem_add(&vm, 90, 11), -VMK_EEXIST);	/* shares byte 100 */
	assert_int_equal(vmk_vmem_add(&vm, 200, 10), 0);		/* adjacent is fine */
	assert_int_equal(vmk_vmem_add(&vm, 90, 10), 0);
	assert_int_equal(vmk_vmem_check(&vm, NULL, 0), 0);
	vmk_vmem_destroy(&vm);
}

/*
 * Kills phys-segment-end-lookup: the frame right after a segment (a hole
 * before the next one, or past the last) has no page record.
 */
static void test_no_page_past_segment_end(void **state)
{
	(void)state;
	tp_reset();
	/* Ends off any lookup-section boundary: the lookup must not stop in the segment before. */
	tp_add_free(1ull << 30, (16ull << 20) + 12288, 0);
	tp_add_free((1ull << 30) + (32ull << 20), 16ull << 20, 0);
	assert_non_null(vmk_pa_to_page((1ull << 30) + (16ull << 20) + 8192));
	assert_null(vmk_pa_to_page((1ull << 30) + (16ull << 20) + 12288));
	assert_null(vmk_pa_to_page((1ull << 30) + (24ull << 20)));
	assert_non_null(vmk_pa_to_page((1ull << 30) + (32ull << 20)));
	assert_null(vmk_pa_to_page((1ull << 30) + (48ull << 20)));
	assert_null(vmk_pa_to_page((1ull << 30) - 4096));
	tp_check();
}

#define T3(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), \
	      cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T3(test_tlbi_barrier_sequence),
		T3(test_demote_keeps_late_ad),
		cmocka_unit_test_prestate(test_unfold_ors_ad, &arm),
		cmocka_unit_test_prestate(test_unfold_ors_ad, &rv),
		cmocka_unit_test(test_vmem_span_touching_refused),
		cmocka_unit_test(test_no_page_past_segment_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
