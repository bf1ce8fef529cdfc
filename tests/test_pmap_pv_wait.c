/*
 * The page-centred PV walks (remove_all, remove_write, clear_modify,
 * ts_referenced, is_modified) meeting a pmap lock that another CPU holds.
 *
 * A walk holds the PV lock and needs the lock of each mapping's pmap,
 * which is ordered before the PV lock; the CPU holding that pmap lock may
 * be waiting for the PV lock (vmk_pmap_enter takes them in that order). A
 * walk that lets go of the PV lock for one cpu_relax and then takes it
 * again and retries hardly ever lets that CPU in: both spin, a livelock
 * (test_pmap_mt hung that way on a loaded machine). The walk must wait for
 * the pmap lock with the PV lock dropped, and begin again only when the
 * page's PV lists changed meanwhile; the pmap it waits on must stay
 * allocated until it is done with it, even if destroyed meanwhile.
 *
 * The interleaving is forced through the platform's cpu_relax hook
 * (pv_interleave.h), so
 * every run takes the same path: the walker is CPU 1; CPU 0 (the test)
 * holds the pmap lock until the walker has relaxed twice (it is waiting,
 * whatever for), then acts as another CPU would: takes the PV lock as
 * vmk_pmap_enter does, removes the very mapping the walker waits for, or
 * removes it and destroys the pmap. From its third relax on the walker
 * parks in the hook until CPU 0 is done, so it cannot run ahead; the PV
 * lock is free whenever it parks. The count of walks that began again
 * (vmk_pmap__g.pv_restarts) must then be 0 when the lists did not change
 * and 1 when they did, however long the pmap lock was held.
 */
#include "pv_interleave.h"
#include "../src/pmap/pmap_internal.h"

#define VA1	0x0000000040000000ull		/* pm's mapping of the page */
#define VA2	0x0000000080000000ull		/* pm2's mapping of the page */
#define VAQ	(VA1 + 0x1000)			/* pm's mapping of another page: keeps its PV chunk */
#define PG	(PMT_DATA + 0x10000)
#define PGQ	(PMT_DATA + 0x20000)
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define MD	(VMK_PMAP_ENTER_MANAGED | VMK_PMAP_ENTER_DIRTY)

enum scene {
	SC_ENTER,	/* CPU 0 takes the PV lock under the pmap lock, then lets both go */
	SC_REMOVE,	/* CPU 0 removes pm's mapping of the page (the walker's entry) */
	SC_DESTROY,	/* ... then destroys pm while the walker still waits for its lock */
};

static int destroying, checked;
static struct vmk_page *pm_page;	/* the page holding pm (SC_DESTROY) */
static char err[160];

/* The walker may still touch the pmap it waits for: it must not be freed yet. */
static void walker_released(void)
{
	if (!checked++ && pm_page && vmk_page_state(pm_page) != VMK_PAGE_ALLOC)
		snprintf(err, sizeof(err), "the pmap the walk waits on was freed under it");
}

/* CPU 0 waits inside vmk_pmap_destroy: let the walker finish. */
static void cpu0_relax(void)
{
	if (__atomic_load_n(&destroying, __ATOMIC_ACQUIRE))
		pvi_release();
}

static void run(enum vmk_pmap_arch_id arch, enum pvi_op op, enum scene sc)
{
	static const struct pvi_hooks hooks = { .released = walker_released, .other_relax = cpu0_relax };
	struct pmt_opts o = { .arch = arch, .ncpus = 2 };
	struct vmk_pmap *pm, *pm2;
	struct pvi_walk w = { .op = op, .pa = PG };
	pthread_t t;

	pmt_boot(&o);
	destroying = checked = 0;
	pm_page = NULL;
	err[0] = '\0';
	assert_int_equal(vmk_pmap_create(&pm), 0);
	assert_int_equal(vmk_pmap_create(&pm2), 0);
	/* The page's list: pm's entry first (the walk waits there), then pm2's. */
	assert_int_equal(vmk_pmap_enter(pm, VA1, PG, RW, MD), 0);
	assert_int_equal(vmk_pmap_enter(pm, VAQ, PGQ, RW, MD), 0);
	assert_int_equal(vmk_pmap_enter(pm2, VA2, PG, RW, MD), 0);
	pvi_hook(&hooks);
	pvi_start(&t, &w, pm);
	if (sc == SC_ENTER) {
		/* What vmk_pmap_enter does next with the pmap lock held. */
		vmk_pmap__pv_lock();
		vmk_pmap__pv_unlock();
		vmk_pmap__unlock(pm);
	} else {
		vmk_paddr_t tpa;
		unsigned int lvl;
		vmk_pte_t *p = vmk_pmap__walk(pm, VA1, &lvl, &tpa);

		assert_int_equal(lvl, 0);
		vmk_pmap__remove_leaf(pm, p, VA1, 0, tpa, false, NULL);
		vmk_pmap__unlock(pm);
	}
	if (sc == SC_DESTROY) {
		assert_int_equal(vmk_pmap_remove(pm, VAQ, VAQ + 0x1000), 0);
		pm_page = pm->self_page;
		__atomic_store_n(&destroying, 1, __ATOMIC_RELEASE);
		vmk_pmap_destroy(pm);
		pm = NULL;
	}
	pvi_finish(t);

	if (err[0])
		fail_msg("%s", err);
	/* Waited once, at pm's entry; began again only if the lists changed meanwhile. */
	assert_int_equal(vmk_pmap__g.pv_waits, 1);
	assert_int_equal(vmk_pmap__g.pv_restarts, sc == SC_ENTER ? 0 : 1);
	pvi_check_done(op, pm2, VA2, PG);
	if (sc == SC_ENTER)
		pvi_check_done(op, pm, VA1, PG);
	switch (op) {
	case PVI_TS_REFERENCED:
		/* Both accessed (a removed mapping leaves its referenced state on the page). */
		assert_int_equal(w.ret, 2);
		break;
	case PVI_IS_MODIFIED:
		assert_int_equal(w.ret, 1);
		break;
	case PVI_REMOVE_ALL:
		assert_int_equal(w.ret, sc == SC_ENTER ? 2 : 1);
		break;
	default:
		break;
	}
	if (pm)
		pmt_check(pm);
	pmt_check(pm2);
	if (pm)
		vmk_pmap_destroy(pm);
	vmk_pmap_destroy(pm2);
	pmt_shutdown();
}

static void test_wait_clear_modify(void **state)
{
	(void)state;
	run(VMK_PMAP_ARCH_X86_64, PVI_CLEAR_MODIFY, SC_ENTER);
	run(VMK_PMAP_ARCH_ARM64, PVI_CLEAR_MODIFY, SC_ENTER);
}

static void test_wait_remove_write(void **state)
{
	(void)state;
	run(VMK_PMAP_ARCH_X86_64, PVI_REMOVE_WRITE, SC_ENTER);
	run(VMK_PMAP_ARCH_RISCV64, PVI_REMOVE_WRITE, SC_ENTER);
}

static void test_wait_ts_referenced(void **state)
{
	(void)state;
	run(VMK_PMAP_ARCH_X86_64, PVI_TS_REFERENCED, SC_ENTER);
}

static void test_wait_is_modified(void **state)
{
	(void)state;
	run(VMK_PMAP_ARCH_X86_64, PVI_IS_MODIFIED, SC_ENTER);
}

static void test_wait_remove_all(void **state)
{
	(void)state;
	run(VMK_PMAP_ARCH_X86_64, PVI_REMOVE_ALL, SC_ENTER);
	run(VMK_PMAP_ARCH_ARM64, PVI_REMOVE_ALL, SC_ENTER);
}

/* The entry the walk waits at goes away meanwhile: it must not be used. */
static void test_entry_removed_while_waiting(void **state)
{
	(void)state;
	run(VMK_PMAP_ARCH_X86_64, PVI_CLEAR_MODIFY, SC_REMOVE);
	run(VMK_PMAP_ARCH_X86_64, PVI_REMOVE_ALL, SC_REMOVE);
	run(VMK_PMAP_ARCH_ARM64, PVI_TS_REFERENCED, SC_REMOVE);
}

/* The pmap the walk waits for is destroyed meanwhile: its memory must outlive the wait. */
static void test_pmap_destroyed_while_waiting(void **state)
{
	(void)state;
	run(VMK_PMAP_ARCH_X86_64, PVI_CLEAR_MODIFY, SC_DESTROY);
	run(VMK_PMAP_ARCH_X86_64, PVI_REMOVE_ALL, SC_DESTROY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wait_clear_modify),
		cmocka_unit_test(test_wait_remove_write),
		cmocka_unit_test(test_wait_ts_referenced),
		cmocka_unit_test(test_wait_is_modified),
		cmocka_unit_test(test_wait_remove_all),
		cmocka_unit_test(test_entry_removed_while_waiting),
		cmocka_unit_test(test_pmap_destroyed_while_waiting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
