/*
 * The TLB invalidation counts check (sim/tlb_counts.c, part of pmt_check):
 * the pmap's per-kind counters must be what reached the platform. Each
 * mutant is a platform-hook wrapper that changes what reaches the
 * simulator behind the pmap's back, as a pmap path that issued a request
 * without counting it, counted one it never issued, or counted one kind
 * and issued another would; the check must name it. Without a mutant the
 * same operations check clean.
 */
#include "pmap_util.h"

#define UVA	0x0000000040000000ull
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

enum mutant {
	MUT_NONE,
	MUT_TWICE,		/* request n issued twice (the second uncounted) */
	MUT_DROP,		/* request n never issued */
	MUT_DROP_LAST,		/* the last request never issued */
	MUT_KIND,		/* request n (a by-VA one) issued as a full flush */
};

static enum mutant mut;
static unsigned int nth, seen;
static void (*real_tlb)(void *, const struct vmk_tlb_req *);

static void mutant_tlb(void *ctx, const struct vmk_tlb_req *req)
{
	struct vmk_tlb_req r = *req;
	bool hit = req->pmap && ++seen == nth;

	if (hit && mut == MUT_DROP)
		return;
	if (hit && mut == MUT_KIND)
		r.kind = VMK_TLB_ALL;
	real_tlb(ctx, &r);
	if (hit && mut == MUT_TWICE)
		real_tlb(ctx, &r);
}

/* The workload: enters, a one-page remove, a range remove, a protect. Returns its requests. */
static unsigned int workload(struct vmk_pmap *u, bool drop_last)
{
	unsigned int before = seen;

	for (unsigned int i = 0; i < 8; i++)
		assert_int_equal(vmk_pmap_enter(u, UVA + i * 4096ull, PMT_DATA + i * 4096ull, RW, 0), 0);
	assert_int_equal(vmk_pmap_remove(u, UVA + 4096, UVA + 2 * 4096), 0);
	assert_int_equal(vmk_pmap_remove(u, UVA + 2 * 4096, UVA + 5 * 4096), 0);
	if (drop_last) {
		mut = MUT_DROP;
		nth = seen + 1;
	}
	assert_int_equal(vmk_pmap_protect(u, UVA, UVA + 8 * 4096, VMK_PROT_READ), 0);
	return seen - before;
}

/* Run the workload with mutant m on request n; returns the check's verdict, message in msg. */
static int run(enum vmk_pmap_arch_id arch, enum mutant m, unsigned int n, char *msg, size_t len,
	       unsigned int *requests)
{
	struct pmt_opts o = { .arch = arch };
	struct vmk_platform *p;
	struct vmk_pmap *u;
	struct vmk_pmap_stats st;
	int r;

	pmt_boot(&o);
	p = vmk_sim_platform();
	real_tlb = p->tlb_invalidate;
	p->tlb_invalidate = mutant_tlb;
	vmk_sim_tlb_expect_broken_pmap(m != MUT_NONE);
	assert_int_equal(vmk_pmap_create(&u), 0);
	vmk_pmap_activate(u, 0);
	seen = 0;
	mut = m == MUT_DROP_LAST ? MUT_NONE : m;
	nth = n;
	*requests = workload(u, m == MUT_DROP_LAST);
	vmk_pmap_stats(u, &st);
	r = vmk_sim_tlb_check_counts(u, st.tlbi, msg, len);
	mut = MUT_NONE;
	p->tlb_invalidate = real_tlb;
	vmk_sim_tlb_expect_broken_pmap(false);
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(u);
	pmt_shutdown();
	return r;
}

static void expect_caught(enum vmk_pmap_arch_id arch, enum mutant m, unsigned int n, const char *what,
			  const char *needle)
{
	char msg[256];
	unsigned int reqs;

	if (run(arch, m, n, msg, sizeof(msg), &reqs) == 0)
		fail_msg("%s: not caught", what);
	if (!strstr(msg, needle))
		fail_msg("%s: caught as '%s', expected '%s'", what, msg, needle);
	printf("  %s: caught: %s\n", what, msg);
}

static void test_counts_clean(void **state)
{
	char msg[256];
	unsigned int reqs;

	assert_int_equal(run(ARCH_OF(state), MUT_NONE, 0, msg, sizeof(msg), &reqs), 0);
	assert_true(reqs >= 3);		/* a page, a range, a protect at least */
}

static void test_counts_extra_request(void **state)
{
	expect_caught(ARCH_OF(state), MUT_TWICE, 1, "a request issued twice", "issued again, not counted");
}

static void test_counts_missing_request(void **state)
{
	expect_caught(ARCH_OF(state), MUT_DROP, 1, "a request never issued", "counted but never issued");
}

static void test_counts_missing_last_request(void **state)
{
	expect_caught(ARCH_OF(state), MUT_DROP_LAST, 0, "the last request never issued",
		      "the last that reached the platform");
}

static void test_counts_wrong_kind(void **state)
{
	expect_caught(ARCH_OF(state), MUT_KIND, 1, "a by-VA request issued as a full flush", "TLB requests, the platform saw");
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_counts_clean),
		T(test_counts_extra_request),
		T(test_counts_missing_request),
		T(test_counts_missing_last_request),
		T(test_counts_wrong_kind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
