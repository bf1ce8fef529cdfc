/* The forced PV-walk interleaving of pv_interleave.h. */
#include "pv_interleave.h"
#include "../src/pmap/pmap_internal.h"

#include <sched.h>

static void (*sim_relax)(void *);
static struct pvi_hooks hooks;
static _Thread_local bool on_walker;
static unsigned long w_relax;		/* the walker's cpu_relax calls */
static int w_waiting, go;

static void relax_hook(void *ctx)
{
	if (on_walker) {
		unsigned long n = __atomic_add_fetch(&w_relax, 1, __ATOMIC_ACQ_REL);

		/* Waiting is published only once parked: between relaxes the walker
		 * retries the lock, and an unlock there would let it skip the wait. */
		if (n >= 3) {
			__atomic_store_n(&w_waiting, 1, __ATOMIC_RELEASE);
			while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE))
				sched_yield();
			if (hooks.released)
				hooks.released();
		}
	} else if (hooks.other_relax) {
		hooks.other_relax();
	}
	if (sim_relax)
		sim_relax(ctx);
}

static void *walker(void *arg)
{
	struct pvi_walk *w = arg;

	vmk_sim_set_cpu(1);
	on_walker = true;
	switch (w->op) {
	case PVI_CLEAR_MODIFY:
		vmk_pmap_clear_modify(w->pa);
		break;
	case PVI_REMOVE_WRITE:
		vmk_pmap_remove_write(w->pa);
		break;
	case PVI_TS_REFERENCED:
		w->ret = vmk_pmap_ts_referenced(w->pa);
		break;
	case PVI_IS_MODIFIED:
		w->ret = vmk_pmap_is_modified(w->pa);
		break;
	case PVI_IS_REFERENCED:
		w->ret = vmk_pmap_is_referenced(w->pa);
		break;
	case PVI_REMOVE_ALL:
		w->ret = vmk_pmap_remove_all(w->pa);
		break;
	}
	return NULL;
}

void pvi_hook(const struct pvi_hooks *h)
{
	struct vmk_platform *plat = vmk_sim_platform();

	hooks = h ? *h : (struct pvi_hooks){ 0 };
	sim_relax = plat->cpu_relax;
	plat->cpu_relax = relax_hook;
	w_relax = 0;
	w_waiting = go = 0;
	vmk_pmap__g.pv_waits = 0;
	vmk_pmap__g.pv_restarts = 0;
}

void pvi_start(pthread_t *t, struct pvi_walk *w, struct vmk_pmap *pm)
{
	vmk_pmap__lock(pm);
	assert_int_equal(pthread_create(t, NULL, walker, w), 0);
	while (!__atomic_load_n(&w_waiting, __ATOMIC_ACQUIRE))
		sched_yield();
}

void pvi_release(void)
{
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
}

void pvi_finish(pthread_t t)
{
	pvi_release();
	assert_int_equal(pthread_join(t, NULL), 0);
	vmk_sim_platform()->cpu_relax = sim_relax;
}

void pvi_check_done(enum pvi_op op, struct vmk_pmap *p, vmk_vaddr_t va, vmk_paddr_t pa)
{
	struct vmk_pmap_mapping m;
	int r = vmk_pmap_extract(p, va, &m);

	if (op == PVI_REMOVE_ALL) {
		assert_int_equal(r, -VMK_ENOENT);
		return;
	}
	assert_int_equal(r, 0);
	assert_true(m.pa == pa);
	if (op == PVI_CLEAR_MODIFY)
		assert_false(m.dirty);
	if (op == PVI_REMOVE_WRITE)
		assert_false(m.prot & VMK_PROT_WRITE);
	if (op == PVI_TS_REFERENCED)
		assert_false(m.accessed);
}
