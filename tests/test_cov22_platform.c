/*
 * The platform wrappers with no platform installed, with a platform whose
 * optional hooks are all absent, and with every hook present: each
 * wrapper either calls its hook (with the hook's ctx and arguments) or
 * gives the documented fallback (platform.h), and a fallback never calls
 * a hook of a platform that is no longer installed.
 */
#include "harness.h"

struct calls {
	unsigned int p2v, tlbi, barrier, relax, intr_off, intr_on, rdv, log, fault;
	unsigned long restored;
	enum vmk_barrier last_barrier;
	char last_log[64];
	enum vmk_log_level last_level;
};

static struct calls calls;
static struct vmk_platform full;
static struct vmk_platform empty;
static char backing[64];

static void *h_p2v(void *ctx, vmk_paddr_t pa)
{
	((struct calls *)ctx)->p2v++;
	return pa < sizeof(backing) ? backing + pa : NULL;
}

static void h_tlbi(void *ctx, const struct vmk_tlb_req *req)
{
	(void)req;
	((struct calls *)ctx)->tlbi++;
}

static void h_barrier(void *ctx, enum vmk_barrier kind)
{
	((struct calls *)ctx)->barrier++;
	((struct calls *)ctx)->last_barrier = kind;
}

static void h_relax(void *ctx)
{
	((struct calls *)ctx)->relax++;
}

static unsigned long h_intr_off(void *ctx)
{
	((struct calls *)ctx)->intr_off++;
	return 0x5a;
}

static void h_intr_on(void *ctx, unsigned long state)
{
	((struct calls *)ctx)->intr_on++;
	((struct calls *)ctx)->restored = state;
}

static unsigned int h_count(void *ctx)
{
	(void)ctx;
	return 4;
}

static unsigned int h_id(void *ctx)
{
	(void)ctx;
	return 3;
}

static void h_rdv(void *ctx, vmk_rendezvous_fn fn, void *arg)
{
	((struct calls *)ctx)->rdv++;
	fn(arg, 2);
}

static void h_log(void *ctx, enum vmk_log_level level, const char *msg)
{
	struct calls *c = ctx;

	c->log++;
	c->last_level = level;
	snprintf(c->last_log, sizeof(c->last_log), "%s", msg);
}

static bool h_fault(void *ctx, const char *site)
{
	((struct calls *)ctx)->fault++;
	return strcmp(site, "x.fail") == 0;
}

struct rdv_seen {
	unsigned int runs;
	unsigned int cpu;
	void *arg;
};

static void rdv_fn(void *arg, unsigned int cpu)
{
	struct rdv_seen *s = arg;

	s->runs++;
	s->cpu = cpu;
	s->arg = arg;
}

static int setup(void **state)
{
	(void)state;
	memset(&calls, 0, sizeof(calls));
	full = (struct vmk_platform){
		.phys_to_virt = h_p2v, .tlb_invalidate = h_tlbi, .barrier = h_barrier,
		.cpu_id = h_id, .cpu_count = h_count, .rendezvous = h_rdv,
		.cpu_relax = h_relax, .intr_disable = h_intr_off, .intr_restore = h_intr_on,
		.panic = vmk_sim_platform()->panic, .log = h_log, .fault_inject = h_fault,
		.ctx = &calls,
	};
	empty = (struct vmk_platform){ .panic = vmk_sim_platform()->panic, .ctx = &calls };
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vmk_sim_install();
	vmk_sim_set_cpu(0);
	return 0;
}

/* Every wrapper once, through the hooks of a full platform. */
static void test_every_hook_called(void **state)
{
	struct vmk_tlb_req req;
	struct rdv_seen seen = { 0 };

	(void)state;
	vmk_platform_set(&full);
	assert_ptr_equal(vmk_platform_get(), &full);
	assert_ptr_equal(vmk_phys_to_virt(8), backing + 8);
	assert_null(vmk_phys_to_virt(sizeof(backing)));
	assert_int_equal(calls.p2v, 2);

	memset(&req, 0, sizeof(req));
	vmk_tlb_invalidate(&req);
	assert_int_equal(calls.tlbi, 1);

	vmk_barrier(VMK_BARRIER_FULL);
	assert_int_equal(calls.barrier, 1);
	assert_int_equal(calls.last_barrier, VMK_BARRIER_FULL);

	vmk_cpu_relax();
	assert_int_equal(calls.relax, 1);

	assert_int_equal(vmk_intr_disable(), 0x5a);
	vmk_intr_restore(0x77);
	assert_int_equal(calls.intr_off, 1);
	assert_int_equal(calls.intr_on, 1);
	assert_int_equal(calls.restored, 0x77);

	assert_int_equal(vmk_cpu_id(), 3);
	assert_int_equal(vmk_cpu_count(), 4);

	vmk_rendezvous(rdv_fn, &seen);
	assert_int_equal(calls.rdv, 1);
	assert_int_equal(seen.runs, 1);
	assert_int_equal(seen.cpu, 2);
	assert_ptr_equal(seen.arg, &seen);

	vmk_log(VMK_LOG_WARN, "cov %d %s", 22, "log");
	assert_int_equal(calls.log, 1);
	assert_int_equal(calls.last_level, VMK_LOG_WARN);
	assert_string_equal(calls.last_log, "cov 22 log");

	assert_true(vmk_fault("x.fail"));
	assert_false(vmk_fault("x.other"));
	assert_int_equal(calls.fault, 2);
}

/*
 * A platform with only the panic hook: every optional wrapper gives its
 * fallback. The rendezvous runs fn once on the calling CPU (0), and no
 * hook of the full platform (installed before) is called.
 */
static void test_hooks_absent(void **state)
{
	struct vmk_tlb_req req;
	struct rdv_seen seen = { 0 };
	struct calls before;

	(void)state;
	vmk_platform_set(&full);
	vmk_platform_set(&empty);
	before = calls;
	assert_null(vmk_phys_to_virt(8));
	memset(&req, 0, sizeof(req));
	vmk_tlb_invalidate(&req);
	vmk_barrier(VMK_BARRIER_FULL);
	vmk_cpu_relax();
	assert_int_equal(vmk_intr_disable(), 0);
	vmk_intr_restore(0x77);
	assert_int_equal(vmk_cpu_id(), 0);
	assert_int_equal(vmk_cpu_count(), 1);
	vmk_rendezvous(rdv_fn, &seen);
	assert_int_equal(seen.runs, 1);
	assert_int_equal(seen.cpu, 0);
	assert_ptr_equal(seen.arg, &seen);
	vmk_log(VMK_LOG_WARN, "dropped %d", 1);
	assert_false(vmk_fault("x.fail"));
	assert_memory_equal(&before, &calls, sizeof(calls));
}

/* No platform at all: the same fallbacks. */
static void test_no_platform(void **state)
{
	struct vmk_tlb_req req;
	struct rdv_seen seen = { 0 };
	struct calls before;

	(void)state;
	vmk_platform_set(&full);
	vmk_platform_set(NULL);
	assert_null(vmk_platform_get());
	before = calls;
	assert_null(vmk_phys_to_virt(8));
	memset(&req, 0, sizeof(req));
	vmk_tlb_invalidate(&req);
	vmk_barrier(VMK_BARRIER_FULL);
	vmk_cpu_relax();
	assert_int_equal(vmk_intr_disable(), 0);
	vmk_intr_restore(0x77);
	assert_int_equal(vmk_cpu_count(), 1);
	vmk_rendezvous(rdv_fn, &seen);
	assert_int_equal(seen.runs, 1);
	assert_int_equal(seen.cpu, 0);
	vmk_log(VMK_LOG_WARN, "dropped %d", 2);
	assert_false(vmk_fault("x.fail"));
	assert_memory_equal(&before, &calls, sizeof(calls));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_hook_called, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hooks_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_platform, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
