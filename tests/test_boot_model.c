/*
 * Randomized property test of src/boot against a per-page model.
 *
 * A random page-granular firmware map (every kind, NOMAP and IN_RAM flags,
 * every map format, entries shuffled and duplicated) is sanitized and fed
 * through the boot path of `vmkit memmap`: memblock from the map, a low
 * reservation, the kernel image (chosen or fixed), the resource tree with
 * nested reservations. The model computes, page by page and from the
 * policy table alone, what is RAM, free, reserved and no-map, where the
 * kernel must go, and what a kexec loader reading /proc/iomem may use,
 * and every figure is compared (so RAM = usable + reserved + no-map holds
 * with each term checked on its own). VMK_BOOT_MODEL_ROUNDS sets the
 * number of rounds (default 150); the seed is printed (VMK_SEED replays).
 */
#include "harness.h"

#include <vmkit/boot.h>

#define PG		4096ull
#define NPAGES		640
#define CAP		4096

enum { F_FREE = 1, F_LOW = 2, F_KERNEL = 4, F_ARRAY = 8 };

static struct vmk_fwmap_entry ents[CAP];
static struct vmk_memblock mb;
static struct vmk_resource nodes[8192];
static char names[64 * 1024];

/* Per page: the action of its entry (SKIP for a hole) and reservations. */
static enum vmk_boot_action act[NPAGES];
static uint32_t kind_of[NPAGES], flags_of[NPAGES];
static unsigned char res_by[NPAGES];
static unsigned char seen[NPAGES];

static unsigned long rng_state;
static unsigned long grown;	/* rounds in which memblock grew an array */

static unsigned long rnd(unsigned long n)
{
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned long)((rng_state >> 33) % n);
}

static bool model_free(size_t p)
{
	return act[p] == VMK_BOOT_FREE && !res_by[p];
}

/* Mark the pages of memblock's own arrays (they come out of free memory). */
static void mark_arrays(void)
{
	struct vmk_range own[2];
	size_t n = vmk_memblock_own_arrays(&mb, own);

	for (size_t i = 0; i < n; i++) {
		assert_true(own[i].base % PG == 0 && own[i].end % PG == 0);
		assert_true(own[i].end <= NPAGES * PG);
		for (uint64_t a = own[i].base; a < own[i].end; a += PG) {
			size_t p = (size_t)(a / PG);

			if (res_by[p] & F_ARRAY)
				continue;
			assert_int_equal(act[p], VMK_BOOT_FREE);
			assert_false(res_by[p] & (F_LOW | F_KERNEL));
			res_by[p] |= F_ARRAY;
		}
	}
}

static int mark_usable(void *arg, vmk_paddr_t s, vmk_paddr_t e, const struct vmk_resource *r)
{
	(void)arg;
	(void)r;
	assert_true(s % PG == 0 && (e + 1) % PG == 0 && e < NPAGES * PG);
	for (uint64_t a = s; a <= e; a += PG)
		seen[a / PG]++;
	return 0;
}

static void build_map(struct vmk_fwmap *m)
{
	static const uint32_t formats[] = {
		VMK_FWMAP_FMT_NONE, VMK_FWMAP_FMT_E820, VMK_FWMAP_FMT_EFI, VMK_FWMAP_FMT_FDT,
	};
	struct vmk_fwmap_entry e;
	size_t p = 0, n;
	bool fine = rnd(2);	/* short runs: hundreds of entries, so the arrays grow */

	vmk_fwmap_init(m, ents, CAP);
	m->format = formats[rnd(4)];
	for (size_t i = 0; i < NPAGES; i++) {
		act[i] = VMK_BOOT_SKIP;
		kind_of[i] = VMK_MEM_NONE;
		flags_of[i] = 0;
		res_by[i] = 0;
	}
	while (p < NPAGES) {
		size_t len = 1 + rnd(fine ? 2 : rnd(4) ? 6 : 40);

		if (len > NPAGES - p)
			len = NPAGES - p;
		if (rnd(6) == 0) {	/* a hole */
			p += len;
			continue;
		}
		memset(&e, 0, sizeof(e));
		e.base = p * PG;
		e.size = len * PG;
		e.kind = rnd(3) ? VMK_MEM_USABLE : 1 + (uint32_t)rnd(VMK_MEM_NKINDS - 1);
		if (rnd(10) == 0)
			e.flags |= VMK_FWMAP_F_NOMAP;
		if (rnd(10) == 0)
			e.flags |= VMK_FWMAP_F_IN_RAM;
		assert_int_equal(vmk_fwmap_add_entry(m, &e), 0);
		for (size_t i = p; i < p + len; i++) {
			act[i] = vmk_boot_action(&e, m->format);
			kind_of[i] = e.kind;
			flags_of[i] = e.flags;
		}
		p += len;
	}
	/* Unsorted input with exact duplicates: sanitize must not care. */
	n = m->n;
	for (size_t i = 0; i < n / 4; i++)
		assert_int_equal(vmk_fwmap_add_entry(m, &m->e[rnd(n)]), 0);
	for (size_t i = m->n; i > 1; i--) {
		size_t j = rnd(i);

		e = m->e[i - 1];
		m->e[i - 1] = m->e[j];
		m->e[j] = e;
	}
	assert_int_equal(vmk_fwmap_sanitize(m, NULL, NULL), 0);
	assert_int_equal(vmk_fwmap_check(m, PG, NULL), 0);
	/* Sanitizing kept every page's kind and flags. */
	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < m->n; i++)
		for (uint64_t a = m->e[i].base; a < m->e[i].base + m->e[i].size; a += PG) {
			assert_true(a < NPAGES * PG);
			assert_int_equal(m->e[i].kind, kind_of[a / PG]);
			assert_int_equal(m->e[i].flags, flags_of[a / PG]);
			seen[a / PG] = 1;
		}
	for (size_t i = 0; i < NPAGES; i++)
		assert_int_equal(seen[i], kind_of[i] != VMK_MEM_NONE);
}

/* Lowest align-aligned start >= min of npages model-free pages, or -1. */
static long expect_kernel(size_t min_pg, size_t npages, size_t align_pg)
{
	for (size_t k = (min_pg + align_pg - 1) / align_pg * align_pg; k + npages <= NPAGES;
	     k += align_pg) {
		size_t i;

		for (i = k; i < k + npages && model_free(i); i++)
			;
		if (i == k + npages)
			return (long)k;
	}
	return -1;
}

static void one_round(void)
{
	struct vmk_fwmap m;
	struct vmk_resource_pool pool;
	struct vmk_resource root;
	size_t low, kpages, kalign, kmin;
	vmk_paddr_t kbase = 0;
	bool fixed, resize = rnd(4) != 0;
	long want;
	uint64_t ram = 0, freeb = 0, nomap = 0, nomap_mb = 0, idx = 0;
	vmk_paddr_t b, e;
	int err;

	build_map(&m);
	vmk_memblock_init(&mb);
	vmk_memblock_allow_resize(&mb, resize);
	err = vmk_boot_memblock_from_fwmap(&mb, &m);
	if (!resize && err == -VMK_ENOSPC)
		return;		/* more regions than the static arrays hold */
	assert_int_equal(err, 0);
	mark_arrays();

	low = rnd(20);
	if (low) {
		err = vmk_memblock_reserve(&mb, 0, low * PG);
		if (!resize && err == -VMK_ENOSPC)
			return;
		assert_int_equal(err, 0);
		for (size_t i = 0; i < low; i++)
			res_by[i] |= F_LOW;
		mark_arrays();
	}

	kpages = 1 + rnd(24);
	kalign = (size_t)1 << rnd(5);
	kmin = rnd(NPAGES / 2);
	fixed = rnd(3) == 0;
	if (fixed) {
		size_t k = rnd(NPAGES - kpages);
		bool ok = true;

		for (size_t i = k; i < k + kpages; i++)
			ok = ok && model_free(i);
		kbase = k * PG;
		err = vmk_boot_reserve_kernel(&mb, kpages * PG, kalign * PG, kmin * PG, true, &kbase);
		if (!resize && err == -VMK_ENOSPC)
			return;
		want = ok ? (long)k : -1;
		assert_int_equal(err, ok ? 0 : -VMK_EBUSY);
	} else {
		want = expect_kernel(kmin, kpages, kalign);
		err = vmk_boot_reserve_kernel(&mb, kpages * PG, kalign * PG, kmin * PG, false, &kbase);
		if (!resize && err == -VMK_ENOSPC)
			return;
		assert_int_equal(err, want < 0 ? -VMK_ENOMEM : 0);
		if (want >= 0)
			assert_int_equal(kbase, (uint64_t)want * PG);
	}
	if (want >= 0)
		for (size_t i = (size_t)want; i < (size_t)want + kpages; i++)
			res_by[i] |= F_KERNEL;
	else
		kpages = 0;
	mark_arrays();
	vmk_memblock_check(&mb);
	grown += mb.memory.array_allocated || mb.reserved.array_allocated;

	/* memblock against the model, page by page and in total. */
	for (size_t i = 0; i < NPAGES; i++) {
		ram += act[i] != VMK_BOOT_SKIP;
		nomap += act[i] == VMK_BOOT_NOMAP;
		freeb += model_free(i);
		assert_int_equal(vmk_memblock_is_memory(&mb, i * PG), act[i] != VMK_BOOT_SKIP);
	}
	for (size_t i = 0; i < mb.memory.cnt; i++)
		if (mb.memory.regions[i].flags & VMK_MEMBLOCK_NOMAP)
			nomap_mb += mb.memory.regions[i].size;
	memset(seen, 0, sizeof(seen));
	while (vmk_memblock_next_free(&mb, &idx, VMK_NUMA_NO_NODE, &b, &e, NULL))
		for (uint64_t a = b; a < e; a += PG)
			seen[a / PG]++;
	for (size_t i = 0; i < NPAGES; i++)
		if (seen[i] != model_free(i))
			fail_msg("page %zu (kind %s flags %#x, reserved by %#x): memblock free %d, model %d",
				 i, vmk_mem_kind_name(kind_of[i]), (unsigned)flags_of[i],
				 (unsigned)res_by[i], seen[i], model_free(i));
	assert_int_equal(vmk_memblock_phys_mem_size(&mb), ram * PG);
	assert_int_equal(nomap_mb, nomap * PG);
	assert_int_equal(vmk_memblock_free_size(&mb), freeb * PG);
	assert_true(freeb + nomap <= ram);

	/* /proc/iomem: a kexec loader may use exactly the free pages and the kernel. */
	vmk_resource_pool_init(&pool, nodes, VMK_ARRAY_SIZE(nodes), names, sizeof(names));
	vmk_iomem_root_init(&root);
	assert_int_equal(vmk_boot_resources_from_fwmap(&root, &pool, &m), 0);
	assert_int_equal(vmk_boot_resources_add_reserved(&root, &pool, &mb, kbase, kpages * PG), 0);
	vmk_resource_check(&root);
	memset(seen, 0, sizeof(seen));
	assert_int_equal(vmk_resource_walk_usable_ram(&root, 0, VMK_PADDR_MAX, mark_usable, NULL), 0);
	for (size_t i = 0; i < NPAGES; i++) {
		bool want_usable = model_free(i) || (res_by[i] & F_KERNEL);

		if (seen[i] != want_usable)
			fail_msg("page %zu (kind %s flags %#x, reserved by %#x): /proc/iomem usable %d, model %d",
				 i, vmk_mem_kind_name(kind_of[i]), (unsigned)flags_of[i],
				 (unsigned)res_by[i], seen[i], want_usable);
	}
}

static void test_boot_model(void **state)
{
	const char *env = getenv("VMK_BOOT_MODEL_ROUNDS");
	unsigned long rounds = env ? strtoul(env, NULL, 0) : 150;

	(void)state;
	rng_state = th_seed();
	vmk_sim_install();
	/* Back the pages so that memblock can grow its arrays. */
	vmk_sim_ram_reset();
	assert_int_equal(vmk_sim_ram_add(0, NPAGES * PG), 0);
	for (unsigned long r = 0; r < rounds; r++)
		one_round();
	vmk_sim_ram_reset();
	if (rounds >= 50)
		assert_true(grown > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
