/*
 * Review of the PV walks that wait for a busy pmap lock (pvops.c): the
 * cases test_pmap_pv_wait leaves out.
 *
 * - Superpage lists. The walk of a page reads three lists (the page's own,
 *   its 2 MiB block head's, its 1 GiB block head's); FreeBSD checks both
 *   md.pv_gen and pvh_gen after such a wait. A block removed while the
 *   walk waits at its entry changes only the block head's list: a walk
 *   that compared the 4 KiB list's generation alone would go on from the
 *   freed entry and walk the removed block. A block demoted meanwhile must
 *   have its new 4 KiB mapping of the page handled after the new
 *   beginning (its dirty/accessed state taken over, not lost).
 * - Hashed generations (256 counters): another page whose head shares the
 *   page's counter may only make the walk begin again (harmless), a page
 *   on another counter must not.
 * - is_referenced, which test_pmap_pv_wait does not run.
 *
 * The interleaving is forced as in test_pmap_pv_wait (pv_interleave.h):
 * CPU 0 holds pm's lock until the walker waits for it, then lets it go and
 * acts while the walker is parked in the cpu_relax hook.
 */
#include "pv_interleave.h"
#include "../src/pmap/pmap_internal.h"

#define S2M	(2ull << 20)
#define S1G	(1ull << 30)
#define VAB	0x0000000040000000ull		/* pm's block (1 GiB aligned) */
#define VA2	0x0000000100000000ull		/* pm2's 4 KiB mapping of the page */
#define VAX	0x0000000140000000ull		/* pm3's mapping of another page */
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define MD	(VMK_PMAP_ENTER_MANAGED | VMK_PMAP_ENTER_DIRTY)

/* The page's offset in its block: its 4 KiB, 2 MiB and 1 GiB heads on three different counters. */
static vmk_paddr_t page_in_block(vmk_paddr_t block)
{
	for (vmk_paddr_t off = 3 * S2M + 5 * 0x1000; off < S1G; off += S2M + 0x1000) {
		vmk_paddr_t pa = block + off;
		uint32_t *g0 = vmk_pmap__pv_gen(vmk_pmap__pv_head(pa, 0));
		uint32_t *g1 = vmk_pmap__pv_gen(vmk_pmap__pv_head(pa, 1));
		uint32_t *g2 = vmk_pmap__pv_gen(vmk_pmap__pv_head(pa, 2));

		if (g0 != g1 && g0 != g2 && g1 != g2)
			return pa;
	}
	fail_msg("no page with three distinct generation counters");
	return 0;
}

/*
 * pm maps the block of size sz holding the page pa, pm2
 * maps pa with 4 KiB. The walk visits pm2 (level 0), then waits at pm's
 * block entry; meanwhile CPU 0 removes the block (demote false) or cuts a
 * 4 KiB hole into it elsewhere, demoting it (demote true).
 */
static void run_block(enum vmk_pmap_arch_id arch, enum pvi_op op, vmk_size_t sz, bool demote)
{
	struct pmt_opts o = { .arch = arch, .ncpus = 2 };
	struct vmk_pmap *pm, *pm2;
	struct pvi_walk w = { .op = op };
	vmk_paddr_t pa, base;
	pthread_t t;

	pmt_boot(&o);
	pa = page_in_block(PMT_DATA);
	base = pa & ~(sz - 1);
	w.pa = pa;
	assert_int_equal(vmk_pmap_create(&pm), 0);
	assert_int_equal(vmk_pmap_create(&pm2), 0);
	assert_int_equal(vmk_pmap_enter_large(pm, VAB, base, sz, RW, MD), 0);
	assert_int_equal(vmk_pmap_enter(pm2, VA2, pa, RW, MD), 0);
	pvi_hook(NULL);
	pvi_start(&t, &w, pm);
	vmk_pmap__unlock(pm);
	if (demote)
		assert_int_equal(vmk_pmap_remove(pm, VAB, VAB + 0x1000), 0);
	else
		assert_int_equal(vmk_pmap_remove(pm, VAB, VAB + sz), 0);
	pvi_finish(t);

	/* It waited once, at pm's block, and began again: the block's list changed. */
	assert_int_equal(vmk_pmap__g.pv_waits, 1);
	assert_int_equal(vmk_pmap__g.pv_restarts, 1);
	pvi_check_done(op, pm2, VA2, pa);
	if (demote)
		pvi_check_done(op, pm, VAB + (pa - base), pa);
	switch (op) {
	case PVI_TS_REFERENCED:
		/* pm2's mapping and pm's (its 4 KiB piece, or the removed block's note). */
		assert_int_equal(w.ret, 2);
		break;
	case PVI_IS_MODIFIED:
	case PVI_IS_REFERENCED:
		assert_int_equal(w.ret, 1);
		break;
	case PVI_REMOVE_ALL:
		assert_int_equal(w.ret, 2 - !demote);
		break;
	default:
		break;
	}
	pmt_check(pm);
	pmt_check(pm2);
	vmk_pmap_destroy(pm);
	vmk_pmap_destroy(pm2);
	pmt_shutdown();
}

/* The block the walk waits at is removed meanwhile: only its head's list changed. */
static void test_block_removed_while_waiting(void **state)
{
	(void)state;
	run_block(VMK_PMAP_ARCH_X86_64, PVI_CLEAR_MODIFY, S2M, false);
	run_block(VMK_PMAP_ARCH_X86_64, PVI_REMOVE_ALL, S2M, false);
	run_block(VMK_PMAP_ARCH_ARM64, PVI_TS_REFERENCED, S2M, false);
	run_block(VMK_PMAP_ARCH_X86_64, PVI_REMOVE_WRITE, S1G, false);
	run_block(VMK_PMAP_ARCH_X86_64, PVI_IS_REFERENCED, S1G, false);
}

/* The block is demoted meanwhile: the walk handles pm's new 4 KiB mapping of the page. */
static void test_block_demoted_while_waiting(void **state)
{
	(void)state;
	run_block(VMK_PMAP_ARCH_X86_64, PVI_CLEAR_MODIFY, S2M, true);
	run_block(VMK_PMAP_ARCH_ARM64, PVI_TS_REFERENCED, S2M, true);
	run_block(VMK_PMAP_ARCH_X86_64, PVI_REMOVE_ALL, S2M, true);
	run_block(VMK_PMAP_ARCH_RISCV64, PVI_REMOVE_WRITE, S2M, true);
	run_block(VMK_PMAP_ARCH_X86_64, PVI_IS_MODIFIED, S1G, true);
}

/* A page other than PG, in PMT_DATA, whose 4 KiB head is on counter c (same) or on none of PG's. */
static vmk_paddr_t other_page(vmk_paddr_t pg, bool same)
{
	uint32_t *g[3];

	for (unsigned int l = 0; l < 3; l++)
		g[l] = vmk_pmap__pv_gen(vmk_pmap__pv_head(pg, l));
	for (vmk_paddr_t pa = PMT_DATA + 64 * 0x1000; pa < PMT_DATA + S1G; pa += 0x1000) {
		uint32_t *c = vmk_pmap__pv_gen(vmk_pmap__pv_head(pa, 0));

		if (pa == pg)
			continue;
		if (same ? c == g[0] : c != g[0] && c != g[1] && c != g[2])
			return pa;
	}
	fail_msg("no page found");
	return 0;
}

/*
 * While the walk waits at pm's entry, CPU 0 maps and unmaps another page:
 * one whose list shares the page's generation counter makes it begin again
 * (spuriously, and it still does its whole work), one on another counter
 * does not.
 */
static void run_hashed(enum pvi_op op, bool same)
{
	struct pmt_opts o = { .arch = VMK_PMAP_ARCH_X86_64, .ncpus = 2 };
	struct vmk_pmap *pm, *pm2, *pm3;
	vmk_paddr_t pg = PMT_DATA + 0x10000, px;
	struct pvi_walk w = { .op = op, .pa = pg };
	pthread_t t;

	pmt_boot(&o);
	px = other_page(pg, same);
	assert_int_equal(vmk_pmap_create(&pm), 0);
	assert_int_equal(vmk_pmap_create(&pm2), 0);
	assert_int_equal(vmk_pmap_create(&pm3), 0);
	assert_int_equal(vmk_pmap_enter(pm, VAB, pg, RW, MD), 0);
	assert_int_equal(vmk_pmap_enter(pm2, VA2, pg, RW, MD), 0);
	pvi_hook(NULL);
	pvi_start(&t, &w, pm);
	vmk_pmap__unlock(pm);
	assert_int_equal(vmk_pmap_enter(pm3, VAX, px, RW, MD), 0);
	assert_int_equal(vmk_pmap_remove(pm3, VAX, VAX + 0x1000), 0);
	pvi_finish(t);

	assert_int_equal(vmk_pmap__g.pv_waits, 1);
	assert_int_equal(vmk_pmap__g.pv_restarts, same ? 1 : 0);
	pvi_check_done(op, pm, VAB, pg);
	pvi_check_done(op, pm2, VA2, pg);
	if (op == PVI_TS_REFERENCED)
		assert_int_equal(w.ret, 2);
	pmt_check(pm);
	pmt_check(pm2);
	pmt_check(pm3);
	vmk_pmap_destroy(pm);
	vmk_pmap_destroy(pm2);
	vmk_pmap_destroy(pm3);
	pmt_shutdown();
}

static void test_hashed_counter_shared(void **state)
{
	(void)state;
	run_hashed(PVI_CLEAR_MODIFY, true);
	run_hashed(PVI_TS_REFERENCED, true);
	run_hashed(PVI_REMOVE_ALL, true);
}

static void test_hashed_counter_other(void **state)
{
	(void)state;
	run_hashed(PVI_REMOVE_WRITE, false);
	run_hashed(PVI_TS_REFERENCED, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_removed_while_waiting),
		cmocka_unit_test(test_block_demoted_while_waiting),
		cmocka_unit_test(test_hashed_counter_shared),
		cmocka_unit_test(test_hashed_counter_other),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
