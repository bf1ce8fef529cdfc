/*
 * Review of the order-0 fast paths (rev22p): a seeded random mix of every
 * way a page enters or leaves a per-CPU cache, on two CPUs, against a
 * model kept by the test (pages handed out, by kind) and against
 * vmk_check_phys()'s recount of the records after every step. Moves
 * covered: cache hits and refills (flags 0, PTP, WIRED, ZERO), NOCACHE,
 * bulk in and out (cache side and lock side), frees into a full cache
 * (trims), remote drain requests, rendezvous grabs, direct drains, an
 * offline CPU, pages marked bad while allocated, cached or free, and
 * poisoning switched on and off between steps. Every page handed out
 * must be a fresh record (owner words, pmap bits, memory attribute,
 * reference count) whatever its last owner left in it.
 */
#include "phys_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/phys/phys_internal.h"

#define MiB VMK_MiB
#define GiB VMK_GiB
#define PG VMK_PAGE_SIZE
#define BASE (4 * GiB)
#define NFRAMES (8 * MiB / PG)
#define MAXHELD 3000

struct held {
	struct vmk_page *p;
	unsigned int st;
};

static struct held held[MAXHELD];
static size_t nheld;

static int setup(void **state)
{
	(void)state;
	tp_reset();
	vmk_sim_set_cpu_count(2);
	vmk_sim_set_cpu(0);
	tp_add_free(BASE, 8 * MiB, 0);
	vmk_phys_lazy_init_all();
	nheld = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vmk_phys_set_poison(false);
	vmk_sim_set_cpu(0);
	vmk_sim_set_cpu_count(1);
	return 0;
}

/* What a fresh order-0 allocation must look like (flags as requested). */
static void fresh(struct vmk_page *p, unsigned int flags)
{
	unsigned int st = (flags & VMK_ALLOC_PTP) ? VMK_PAGE_PTP : VMK_PAGE_ALLOC;
	unsigned char *v = vmk_sim_phys_to_virt(vmk_page_to_pa(p));

	assert_int_equal(vmk_page_state(p), st);
	assert_int_equal(p->order, 0);
	assert_int_equal(p->md_pv, 0);
	assert_int_equal(p->owner, 0);
	assert_int_equal(p->md_flags, 0);
	assert_int_equal(p->memattr, VMK_MEMATTR_WB);
	assert_int_equal(p->ref_count, (flags & VMK_ALLOC_WIRED) ? 1 : 0);
	assert_int_equal(p->aux, 0);
	if (flags & VMK_ALLOC_ZERO)
		for (size_t i = 0; i < PG; i++)
			assert_int_equal(v[i], 0);
	/* The owner's use: dirty the page and its owner fields. */
	memset(v, 0x5a, PG);
	p->owner = 0xfeed;
	p->md_flags = 0x3;
	p->memattr = VMK_MEMATTR_WC;
	p->ref_count = 0;
	assert_true(nheld < MAXHELD);
	held[nheld++] = (struct held){ p, st };
}

static void model_check(void)
{
	uint64_t alloc = 0, ptp = 0;

	for (size_t i = 0; i < nheld; i++) {
		if (held[i].st == VMK_PAGE_PTP)
			ptp++;
		else
			alloc++;
	}
	vmk_check_phys();
	assert_int_equal(tp_state(VMK_PAGE_ALLOC), alloc);
	assert_int_equal(tp_state(VMK_PAGE_PTP), ptp);
	assert_int_equal(tp_free() + tp_state(VMK_PAGE_BAD), NFRAMES - alloc - ptp);
}

static struct vmk_page *take_held(size_t i)
{
	struct vmk_page *p = held[i].p;

	p->owner = 0;
	p->md_flags = 0;
	held[i] = held[--nheld];
	return p;
}

static const unsigned int flag_mix[] = {
	0, 0, 0, VMK_ALLOC_PTP, VMK_ALLOC_WIRED, VMK_ALLOC_ZERO,
	VMK_ALLOC_ZERO | VMK_ALLOC_PTP, VMK_ALLOC_NOCACHE, VMK_ALLOC_NOCACHE | VMK_ALLOC_ZERO,
};

static void step(uint64_t *seed)
{
	uint64_t r = tp_rand(seed);
	unsigned int op = (unsigned int)(r % 100);

	if (op < 35) {
		unsigned int flags = flag_mix[(r >> 8) % (sizeof(flag_mix) / sizeof(flag_mix[0]))];
		int n = 1 + (int)((r >> 16) % 200);

		for (int k = 0; k < n && nheld < MAXHELD; k++) {
			struct vmk_page *p = vmk_page_alloc((r >> 40) & 1 ? 0 : VMK_DOMAIN_LOCAL,
							    VMK_POOL_DEFAULT, flags);

			if (!p)
				break;
			fresh(p, flags);
		}
	} else if (op < 70) {
		size_t n = 1 + (size_t)((r >> 16) % 300);

		for (size_t k = 0; k < n && nheld; k++)
			vmk_page_free(take_held((size_t)(tp_rand(seed) % nheld)));
	} else if (op < 78) {
		struct vmk_page *b[64];
		unsigned int flags = (r >> 8) & 1 ? VMK_ALLOC_PTP : 0;
		size_t want = 1 + (size_t)((r >> 16) % 64), got;

		if ((r >> 9) & 1)
			flags |= VMK_ALLOC_ZERO;
		if (nheld + want > MAXHELD)
			return;
		got = vmk_page_alloc_bulk(0, VMK_POOL_DEFAULT, flags, want, b);
		for (size_t k = 0; k < got; k++)
			fresh(b[k], flags);
	} else if (op < 85) {
		struct vmk_page *b[200];
		size_t n = 0, want = 1 + (size_t)((r >> 16) % 200);

		while (n < want && nheld)
			b[n++] = take_held((size_t)(tp_rand(seed) % nheld));
		vmk_page_free_bulk(b, n);
	} else if (op < 88) {
		vmk_sim_set_cpu((unsigned int)((r >> 8) & 1));
	} else if (op < 90) {
		/* A remote request, honoured at that CPU's next free or refill. */
		vmk_phys_drain_cpu(1 - vmk_cpu_id());
	} else if (op < 92) {
		unsigned int self = vmk_cpu_id();

		vmk_sim_rdv_install();
		vmk_sim_rdv_cpu_enter(self);
		vmk_phys_drain_all();
		vmk_sim_rdv_cpu_exit();
		vmk_sim_rdv_uninstall();
	} else if (op < 93) {
		vmk_phys_drain_all_quiescent();
	} else if (op < 94) {
		unsigned int self = vmk_cpu_id();

		vmk_phys_cpu_dead(1 - self);
	} else if (op < 98) {
		/* A frame marked bad in whatever state it is: held, cached or free. */
		uint64_t f = (r >> 8) % NFRAMES;

		(void)vmk_phys_add_bad(BASE + f * PG);
	} else {
		vmk_phys_set_poison(!vmk_phys_poison());
	}
}

static void test_random_moves_keep_counters_exact(void **state)
{
	const char *env = getenv("REV22P_SEED");
	uint64_t seed0 = env ? strtoull(env, NULL, 0) : 0x22b0c0ffeeULL, seed = seed0;

	(void)state;
	printf("rev22p pcpu seed 0x%llx\n", (unsigned long long)seed0);
	for (int i = 0; i < 1500; i++) {
		step(&seed);
		model_check();
	}
	while (nheld)
		vmk_page_free(take_held(nheld - 1));
	model_check();
	tp_check();
}

/*
 * Every page the general free refused is refused by the fast paths too
 * (single and bulk), before anything moves: a free page, a page in
 * another CPU's cache, a bad page, a reserved page. The counters are
 * untouched by each refusal.
 */
static void test_free_refuses_what_general_path_refuses(void **state)
{
	struct vmk_page *p, *cached, *free_pg, *bad_pg, *resv, *arr[2];

	(void)state;
	tp_add(8 * GiB, 4 * MiB, 0);
	resv = vmk_pa_to_page(8 * GiB + 3 * PG);
	assert_int_equal(vmk_page_state(resv), VMK_PAGE_RESERVED);
	p = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);
	assert_non_null(p);
	/* A page CPU 1 freed sits in CPU 1's cache. */
	vmk_sim_set_cpu(1);
	cached = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);
	vmk_page_free(cached);
	vmk_sim_set_cpu(0);
	assert_int_equal(vmk_page_state(cached), VMK_PAGE_PCPU);
	free_pg = vmk_pa_to_page(BASE + NFRAMES * PG - PG);
	assert_int_equal(vmk_page_state(free_pg), VMK_PAGE_FREE);
	bad_pg = vmk_pa_to_page(BASE + NFRAMES * PG - 2 * PG);
	assert_int_equal(vmk_phys_add_bad(vmk_page_to_pa(bad_pg)), 0);
	assert_int_equal(vmk_page_state(bad_pg), VMK_PAGE_BAD);
	nheld = 0;
	held[nheld++] = (struct held){ p, VMK_PAGE_ALLOC };
	model_check();

	assert_panics(vmk_page_free(cached), "double free");
	assert_panics(vmk_page_free(free_pg), "double free");
	assert_panics(vmk_page_free(bad_pg), "double free");
	assert_panics(vmk_page_free(resv), "double free");
	arr[0] = p;
	arr[1] = cached;
	assert_panics(vmk_page_free_bulk(arr, 2), "double free");
	arr[1] = resv;
	assert_panics(vmk_page_free_bulk(arr, 2), "double free");
	assert_int_equal(vmk_page_state(p), VMK_PAGE_ALLOC);
	model_check();

	/* Marked bad while allocated: the free retires it instead of caching it. */
	assert_int_equal(vmk_phys_add_bad(vmk_page_to_pa(p)), 0);
	assert_int_equal(vmk_page_state(p), VMK_PAGE_ALLOC);
	vmk_page_free(take_held(0));
	assert_int_equal(vmk_page_state(p), VMK_PAGE_BAD);
	model_check();
}

/*
 * Poisoning on: a page freed on the fast path is poisoned and checked when
 * the cache hands it out again, so a write after the free is caught.
 */
static void test_poisoned_cache_hit_checks_pattern(void **state)
{
	struct vmk_page *p, *q;
	unsigned char *v;

	(void)state;
	vmk_phys_set_poison(true);
	p = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);
	assert_non_null(p);
	vmk_page_free(p);
	assert_true(pg_flags(p) & VMK_PGF_POISON);
	q = vmk_page_alloc(0, VMK_POOL_DEFAULT, VMK_ALLOC_ZERO);
	assert_ptr_equal(q, p);
	assert_false(pg_flags(q) & VMK_PGF_POISON);
	v = vmk_sim_phys_to_virt(vmk_page_to_pa(q));
	for (size_t i = 0; i < PG; i++)
		assert_int_equal(v[i], 0);
	vmk_page_free(q);
	v[100] = 1;	/* a write after the free */
#if VMK_DEBUG
	assert_panics(vmk_page_alloc(0, VMK_POOL_DEFAULT, 0), "written after it was freed");
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_random_moves_keep_counters_exact, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_free_refuses_what_general_path_refuses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_poisoned_cache_hit_checks_pattern, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
