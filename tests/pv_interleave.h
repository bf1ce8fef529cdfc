/*
 * A page-centred PV walk forced to wait for a pmap lock, the same way on
 * every run (test_pmap_pv_wait, test_pmap_pv_review). The walker is CPU 1
 * on its own thread; CPU 0 (the test) holds the pmap's lock until the
 * walker has relaxed twice (it is waiting, for that lock when every other
 * lock it needs is free), then acts as another CPU would while the walker
 * is parked in the cpu_relax hook, from its third relax until CPU 0 lets
 * it go. The PV lock is free whenever the walker parks.
 */
#ifndef VMKIT_TEST_PV_INTERLEAVE_H
#define VMKIT_TEST_PV_INTERLEAVE_H

#include "pmap_util.h"

#include <pthread.h>

enum pvi_op {
	PVI_CLEAR_MODIFY, PVI_REMOVE_WRITE, PVI_TS_REFERENCED, PVI_IS_MODIFIED, PVI_IS_REFERENCED,
	PVI_REMOVE_ALL
};

/* What the walker runs on page pa, and what it returned (the bool or count ops). */
struct pvi_walk {
	enum pvi_op op;
	vmk_paddr_t pa;
	unsigned int ret;
};

/* Optional calls from the cpu_relax hook (NULL: none). */
struct pvi_hooks {
	void (*released)(void);		/* on the walker, each time it leaves the hook after CPU 0 let it go */
	void (*other_relax)(void);	/* on any other thread's relax (CPU 0 waiting inside a call) */
};

/* Put the hook in front of the simulator's cpu_relax; zero the walk's counters and vmk_pmap__g's PV wait counts. */
void pvi_hook(const struct pvi_hooks *h);
/* Lock pm, start the walker; return once it waits (pm still locked: CPU 0 lets it go when it likes). */
void pvi_start(pthread_t *t, struct pvi_walk *w, struct vmk_pmap *pm);
/* Let the parked walker go on. Any thread. */
void pvi_release(void);
/* Let it go, wait for it to end, take the hook away. */
void pvi_finish(pthread_t t);
/* Assert what op left on the mapping at va of p, which maps pa (none left if op removes). */
void pvi_check_done(enum pvi_op op, struct vmk_pmap *p, vmk_vaddr_t va, vmk_paddr_t pa);

#endif
