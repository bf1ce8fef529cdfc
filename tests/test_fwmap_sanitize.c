/*
 * vmk_fwmap_sanitize: unit cases, error paths, and a randomized check
 * against a byte-per-address reference model.
 */
#include "fwmap_test.h"

/* The documented priority order, lowest first. */
static const uint32_t order[] = {
	VMK_MEM_USABLE, VMK_MEM_BOOT_SERVICES, VMK_MEM_BOOTLOADER, VMK_MEM_UNACCEPTED,
	VMK_MEM_SOFT_RESERVED, VMK_MEM_PERSISTENT, VMK_MEM_ACPI_RECLAIM, VMK_MEM_RESERVED,
	VMK_MEM_NOMAP, VMK_MEM_PAL_CODE, VMK_MEM_RUNTIME_DATA, VMK_MEM_RUNTIME_CODE,
	VMK_MEM_ACPI_NVS, VMK_MEM_MMIO_PORT, VMK_MEM_MMIO, VMK_MEM_UNUSABLE,
};

static void add(struct fm *f, uint64_t base, uint64_t size, uint32_t kind)
{
	assert_int_equal(vmk_fwmap_add(&f->m, base, size, kind, 0), 0);
}

static int san(struct fm *f, unsigned int page)
{
	struct vmk_fwmap_sanitize_opts o = { .page_size = page };

	return vmk_fwmap_sanitize(&f->m, &o, &f->d);
}

static void test_sorts_and_merges(void **state)
{
	struct fm *f = fm_new(16);

	(void)state;
	add(f, 0x3000, 0x1000, VMK_MEM_USABLE);
	add(f, 0x0, 0x1000, VMK_MEM_USABLE);
	add(f, 0x1000, 0x2000, VMK_MEM_USABLE);
	add(f, 0x8000, 0x1000, VMK_MEM_RESERVED);
	assert_int_equal(vmk_fwmap_add(&f->m, 0x5000, 0, VMK_MEM_USABLE, 0), -VMK_EINVAL);
	assert_int_equal(f->m.n, 4);
	assert_int_equal(san(f, 0), 0);
	assert_int_equal(f->m.n, 2);
	fm_expect(f, 0, 0, 0x4000, VMK_MEM_USABLE);
	fm_expect(f, 1, 0x8000, 0x1000, VMK_MEM_RESERVED);
	free(f);
}

static void test_split_inside(void **state)
{
	struct fm *f = fm_new(8);

	(void)state;
	add(f, 0x0, 0x100000, VMK_MEM_USABLE);
	add(f, 0x9f000, 0x1000, VMK_MEM_ACPI_NVS);
	assert_int_equal(san(f, 0), 0);
	assert_int_equal(f->m.n, 3);
	fm_expect(f, 0, 0, 0x9f000, VMK_MEM_USABLE);
	fm_expect(f, 1, 0x9f000, 0x1000, VMK_MEM_ACPI_NVS);
	fm_expect(f, 2, 0xa0000, 0x60000, VMK_MEM_USABLE);
	assert_true(fm_has(f, VMK_FWMAP_INFO, 0, "acpi-nvs wins"));
	free(f);
}

static void test_priority_order(void **state)
{
	(void)state;
	/* Every kind's priority is distinct and follows the documented order. */
	for (size_t i = 0; i + 1 < VMK_ARRAY_SIZE(order); i++)
		assert_true(vmk_mem_kind_priority(order[i]) < vmk_mem_kind_priority(order[i + 1]));
	assert_int_equal(VMK_ARRAY_SIZE(order), VMK_MEM_NKINDS - 1);
	/* And sanitize applies it: for every pair, the later kind takes the overlap. */
	for (size_t lo = 0; lo < VMK_ARRAY_SIZE(order); lo++) {
		for (size_t hi = lo + 1; hi < VMK_ARRAY_SIZE(order); hi++) {
			struct fm *f = fm_new(8);

			add(f, 0x2000, 0x2000, order[hi]);
			add(f, 0x0, 0x3000, order[lo]);
			assert_int_equal(san(f, 0), 0);
			assert_int_equal(f->m.n, 2);
			fm_expect(f, 0, 0, 0x2000, order[lo]);
			fm_expect(f, 1, 0x2000, 0x2000, order[hi]);
			free(f);
		}
	}
}

static void test_align(void **state)
{
	struct fm *f = fm_new(16);

	(void)state;
	/* Usable trims inward, reserved widens outward. */
	add(f, 0x800, 0x2000, VMK_MEM_USABLE);		/* [0x800, 0x2800) */
	add(f, 0x5800, 0x100, VMK_MEM_RESERVED);	/* inside page 0x5000 */
	add(f, 0x10000, 0x10000, VMK_MEM_USABLE);
	add(f, 0x14010, 0x10, VMK_MEM_ACPI_RECLAIM);	/* splits, then widens to a page */
	assert_int_equal(san(f, 0), 0);
	assert_int_equal(vmk_fwmap_check(&f->m, 0, NULL), 0);
	assert_int_equal(f->m.n, 5);
	fm_expect(f, 0, 0x1000, 0x1000, VMK_MEM_USABLE);
	fm_expect(f, 1, 0x5000, 0x1000, VMK_MEM_RESERVED);
	fm_expect(f, 2, 0x10000, 0x4000, VMK_MEM_USABLE);
	fm_expect(f, 3, 0x14000, 0x1000, VMK_MEM_ACPI_RECLAIM);
	fm_expect(f, 4, 0x15000, 0xb000, VMK_MEM_USABLE);
	assert_true(fm_has(f, VMK_FWMAP_INFO, 0, "page alignment"));
	free(f);
}

/* A page covered by two usable-class kinds goes whole to the stronger one. */
static void test_align_shared_page(void **state)
{
	struct fm *f = fm_new(16);

	(void)state;
	add(f, 0x0, 0x1800, VMK_MEM_USABLE);
	add(f, 0x1800, 0x1800, VMK_MEM_BOOT_SERVICES);
	/* Two reserved-class kinds in one page: the stronger takes the page. */
	add(f, 0x8000, 0x800, VMK_MEM_ACPI_RECLAIM);
	add(f, 0x8800, 0x800, VMK_MEM_ACPI_NVS);
	/* A page half usable, half uncovered: dropped. */
	add(f, 0x20000, 0x800, VMK_MEM_USABLE);
	assert_int_equal(san(f, 0), 0);
	assert_int_equal(f->m.n, 3);
	fm_expect(f, 0, 0x0, 0x1000, VMK_MEM_USABLE);
	fm_expect(f, 1, 0x1000, 0x2000, VMK_MEM_BOOT_SERVICES);
	fm_expect(f, 2, 0x8000, 0x1000, VMK_MEM_ACPI_NVS);
	free(f);
}

static void test_merge_rules(void **state)
{
	struct fm *f = fm_new(16);
	struct vmk_fwmap_entry a = { .base = 0, .size = 0x1000, .kind = VMK_MEM_USABLE,
				     .fw_type = 7, .attr = 0xf };
	struct vmk_fwmap_entry b = a;
	struct vmk_fwmap_sanitize_opts o = { .merge_ignores_attr = true };

	(void)state;
	b.base = 0x1000;
	b.attr = 0x8;
	assert_int_equal(vmk_fwmap_add_entry(&f->m, &a), 0);
	assert_int_equal(vmk_fwmap_add_entry(&f->m, &b), 0);
	assert_int_equal(san(f, 0), 0);
	assert_int_equal(f->m.n, 2);	/* attrs differ */
	assert_int_equal(vmk_fwmap_sanitize(&f->m, &o, &f->d), 0);
	assert_int_equal(f->m.n, 1);
	fm_expect(f, 0, 0, 0x2000, VMK_MEM_USABLE);
	/* Flags always matter. */
	vmk_fwmap_clear(&f->m);
	assert_int_equal(vmk_fwmap_add(&f->m, 0, 0x1000, VMK_MEM_RESERVED, VMK_FWMAP_F_NOMAP), 0);
	assert_int_equal(vmk_fwmap_add(&f->m, 0x1000, 0x1000, VMK_MEM_RESERVED, 0), 0);
	assert_int_equal(vmk_fwmap_sanitize(&f->m, &o, &f->d), 0);
	assert_int_equal(f->m.n, 2);
	free(f);
}

static void test_width(void **state)
{
	struct vmk_fwmap_sanitize_opts o = { .phys_bits = 32 };
	struct fm *f = fm_new(16);

	(void)state;
	add(f, 0x0, 0x1000, VMK_MEM_USABLE);
	add(f, 0xfff00000, 0x200000, VMK_MEM_USABLE);	/* straddles 4 GiB */
	add(f, 0x200000000ull, 0x1000, VMK_MEM_RESERVED);	/* wholly beyond */
	/* Refuse: error, map unchanged (order too). */
	o.beyond = VMK_FWMAP_BEYOND_REFUSE;
	assert_int_equal(vmk_fwmap_sanitize(&f->m, &o, &f->d), -VMK_ERANGE);
	assert_int_equal(f->m.n, 3);
	fm_expect(f, 1, 0xfff00000, 0x200000, VMK_MEM_USABLE);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 0, "32-bit"));
	/* Clip. */
	o.beyond = VMK_FWMAP_BEYOND_CLIP;
	assert_int_equal(vmk_fwmap_sanitize(&f->m, &o, &f->d), 0);
	assert_int_equal(f->m.n, 2);
	fm_expect(f, 1, 0xfff00000, 0x100000, VMK_MEM_USABLE);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 0, "clipped"));
	assert_true(fm_has(f, VMK_FWMAP_WARN, 0, "dropped"));
	/* Drop. */
	vmk_fwmap_clear(&f->m);
	add(f, 0x0, 0x1000, VMK_MEM_USABLE);
	add(f, 0xfff00000, 0x200000, VMK_MEM_USABLE);
	o.beyond = VMK_FWMAP_BEYOND_DROP;
	assert_int_equal(vmk_fwmap_sanitize(&f->m, &o, &f->d), 0);
	assert_int_equal(f->m.n, 1);
	/* 64 bits: no limit; an entry may end exactly at 2^64. */
	vmk_fwmap_clear(&f->m);
	add(f, UINT64_MAX - 0xfff, 0x1000, VMK_MEM_RESERVED);
	add(f, UINT64_MAX - 0x2fff, 0x2000, VMK_MEM_RESERVED);
	o.phys_bits = 64;
	assert_int_equal(vmk_fwmap_sanitize(&f->m, &o, &f->d), 0);
	assert_int_equal(f->m.n, 1);
	fm_expect(f, 0, UINT64_MAX - 0x2fff, 0x3000, VMK_MEM_RESERVED);
	free(f);
}

/* Entries written straight into the storage, bypassing vmk_fwmap_add. */
static void test_malformed_entries(void **state)
{
	struct fm *f = fm_new(16);
	struct vmk_fwmap_sanitize_opts o = { .phys_bits = 64 };

	(void)state;
	f->m.e[0] = (struct vmk_fwmap_entry){ .base = 0x1000, .size = 0, .kind = VMK_MEM_USABLE, .src = 1 };
	f->m.e[1] = (struct vmk_fwmap_entry){ .base = 0x2000, .size = 0x1000, .kind = 99, .src = 2 };
	f->m.e[2] = (struct vmk_fwmap_entry){ .base = 0x3000, .size = 0x1000, .kind = VMK_MEM_NONE, .src = 3 };
	f->m.e[3] = (struct vmk_fwmap_entry){ .base = UINT64_MAX - 0xfff, .size = 0x5000,
					      .kind = VMK_MEM_MMIO, .src = 4 };
	f->m.e[4] = (struct vmk_fwmap_entry){ .base = 0x4000, .size = 0x1000, .kind = VMK_MEM_USABLE, .src = 5 };
	f->m.n = 5;
	assert_int_equal(vmk_fwmap_sanitize(&f->m, &o, &f->d), 0);
	assert_int_equal(f->m.n, 2);
	fm_expect(f, 0, 0x4000, 0x1000, VMK_MEM_USABLE);
	fm_expect(f, 1, UINT64_MAX - 0xfff, 0x1000, VMK_MEM_MMIO);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 1, "zero-length"));
	assert_true(fm_has(f, VMK_FWMAP_WARN, 2, "invalid kind 99"));
	assert_true(fm_has(f, VMK_FWMAP_WARN, 3, "invalid kind 0"));
	assert_true(fm_has(f, VMK_FWMAP_WARN, 4, "wraps"));
	free(f);
}

static void test_bad_opts(void **state)
{
	struct fm *f = fm_new(4);
	struct vmk_fwmap_sanitize_opts o = { .phys_bits = 65 };

	(void)state;
	add(f, 0, 0x1000, VMK_MEM_USABLE);
	assert_int_equal(vmk_fwmap_sanitize(&f->m, &o, NULL), -VMK_EINVAL);
	o = (struct vmk_fwmap_sanitize_opts){ .page_size = 3000 };
	assert_int_equal(vmk_fwmap_sanitize(&f->m, &o, NULL), -VMK_EINVAL);
	o = (struct vmk_fwmap_sanitize_opts){ .beyond = 7 };
	assert_int_equal(vmk_fwmap_sanitize(&f->m, &o, NULL), -VMK_EINVAL);
	assert_int_equal(f->m.n, 1);
	/* Empty map: nothing to do. */
	vmk_fwmap_clear(&f->m);
	assert_int_equal(vmk_fwmap_sanitize(&f->m, NULL, NULL), 0);
	free(f);
}

static int cmp_entry(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct vmk_fwmap_entry));
}

/* Not enough room to split: -VMK_ENOSPC with the same set of entries. */
static void test_enospc(void **state)
{
	struct fm *f = fm_new(3);
	struct vmk_fwmap_entry before[3], after[3];

	(void)state;
	add(f, 0x10000, 0x1000, VMK_MEM_RESERVED);
	add(f, 0x0, 0x100000, VMK_MEM_USABLE);
	add(f, 0x20000, 0x1000, VMK_MEM_ACPI_NVS);
	memcpy(before, f->m.e, sizeof(before));
	assert_int_equal(san(f, 0), -VMK_ENOSPC);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 0, "no room"));
	assert_int_equal(f->m.n, 3);
	memcpy(after, f->m.e, sizeof(after));
	qsort(before, 3, sizeof(before[0]), cmp_entry);
	qsort(after, 3, sizeof(after[0]), cmp_entry);
	assert_memory_equal(before, after, sizeof(before));
	/* With the documented capacity it succeeds. */
	f->m.cap = vmk_fwmap_sanitize_cap(3);
	assert_int_equal(san(f, 0), 0);
	assert_int_equal(f->m.n, 5);
	/* An overlap-free map needs no room at all. */
	f->m.cap = f->m.n;
	assert_int_equal(san(f, 0), 0);
	assert_int_equal(f->m.n, 5);
	free(f);
}

/* ---- randomized check against a reference model ---- */

#define SPACE	512u	/* addresses modelled */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return r->s;
}

/* Kind of every address [window, window + SPACE) after sanitizing, by the spec. */
static void reference(const struct vmk_fwmap_entry *in, size_t n, uint64_t window,
		      uint64_t limit, bool drop, uint64_t page, uint32_t *out)
{
	static uint32_t byte[SPACE];

	memset(byte, 0, sizeof(byte));
	for (size_t i = 0; i < n; i++) {
		uint64_t last;

		if (in[i].size == 0 || in[i].kind == 0 || in[i].kind >= VMK_MEM_NKINDS)
			continue;
		last = in[i].size - 1 > UINT64_MAX - in[i].base ? UINT64_MAX :
		       in[i].base + in[i].size - 1;
		if (last > limit) {
			if (drop || in[i].base > limit)
				continue;
			last = limit;
		}
		for (uint64_t a = 0; a < SPACE; a++) {
			uint64_t x = window + a;

			if (x >= in[i].base && x <= last &&
			    vmk_mem_kind_priority(in[i].kind) > vmk_mem_kind_priority(byte[a]))
				byte[a] = in[i].kind;
		}
	}
	/* Per page: any reserved-class byte -> the strongest one; else fully usable-class -> strongest; else none. */
	for (uint64_t p = 0; p < SPACE; p += page) {
		uint32_t res = 0, use = 0;
		bool full = true;

		for (uint64_t a = p; a < p + page; a++) {
			uint32_t k = byte[a];

			if (k == 0)
				full = false;
			else if (vmk_mem_kind_usable_class(k)) {
				if (vmk_mem_kind_priority(k) > vmk_mem_kind_priority(use))
					use = k;
			} else if (vmk_mem_kind_priority(k) > vmk_mem_kind_priority(res)) {
				res = k;
			}
		}
		for (uint64_t a = p; a < p + page; a++)
			out[a] = res ? res : (full ? use : 0);
	}
}

static void random_round(struct rng *r, unsigned long round, uint64_t seed)
{
	static const uint32_t flagset[] = { 0, VMK_FWMAP_F_NOMAP, VMK_FWMAP_F_RUNTIME };
	struct fm *f = fm_new(8192);
	struct vmk_fwmap_entry in[64];
	uint32_t want[SPACE];
	size_t n = 1 + rnd(r) % 40, bad = 0;
	bool top = rnd(r) % 4 == 0;
	uint64_t window = top ? UINT64_MAX - SPACE + 1 : 0;
	uint64_t page = (uint64_t)1 << (rnd(r) % 6);	/* 1 .. 32 */
	unsigned int bits = top ? 64 : (rnd(r) % 3 == 0 ? 8 : 64);	/* 8 bits: limit 255 */
	struct vmk_fwmap_sanitize_opts o = {
		.phys_bits = bits, .page_size = page,
		.beyond = rnd(r) % 2 ? VMK_FWMAP_BEYOND_CLIP : VMK_FWMAP_BEYOND_DROP,
		.merge_ignores_attr = rnd(r) % 2,
	};
	uint64_t limit = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
	int res;

	for (size_t i = 0; i < n; i++) {
		in[i] = (struct vmk_fwmap_entry){
			.base = window + rnd(r) % SPACE,
			.size = rnd(r) % 5 == 0 ? rnd(r) % 8 : rnd(r) % 160,
			.kind = 1 + (uint32_t)(rnd(r) % (VMK_MEM_NKINDS - 1)),
			.flags = flagset[rnd(r) % 3],
			.attr = rnd(r) % 3,
			.fw_type = (uint32_t)(rnd(r) % 2),
			.src = (uint32_t)(i + 1),
		};
		/* Sometimes ranges that run off the top of the window (and 2^64). */
		if (top && rnd(r) % 8 == 0)
			in[i].size = UINT64_MAX;
		if (rnd(r) % 30 == 0)
			in[i].kind = rnd(r) % 2 ? 0 : 1000;
	}
	memcpy(f->m.e, in, n * sizeof(in[0]));
	f->m.n = n;
	/* Capacity: either the guaranteed one, or something tighter. */
	f->m.cap = rnd(r) % 3 ? vmk_fwmap_sanitize_cap(n) : n + rnd(r) % (2 * n + 1);
	res = vmk_fwmap_sanitize(&f->m, &o, &f->d);
	if (res == -VMK_ENOSPC) {
		struct vmk_fwmap_entry a[64], b[64];

		assert_true(f->m.cap < vmk_fwmap_sanitize_cap(n));
		assert_int_equal(f->m.n, n);
		memcpy(a, in, n * sizeof(in[0]));
		memcpy(b, f->m.e, n * sizeof(in[0]));
		qsort(a, n, sizeof(a[0]), cmp_entry);
		qsort(b, n, sizeof(b[0]), cmp_entry);
		if (memcmp(a, b, n * sizeof(a[0])))
			fail_msg("seed %llu round %lu: ENOSPC changed the entries",
				 (unsigned long long)seed, round);
		free(f);
		return;
	}
	if (res)
		fail_msg("seed %llu round %lu: sanitize returned %d", (unsigned long long)seed, round, res);
	if (vmk_fwmap_check(&f->m, page, &bad))
		fail_msg("seed %llu round %lu: output entry %zu breaks the invariants",
			 (unsigned long long)seed, round, bad);
	/* Merged: no two touching entries with one label. */
	for (size_t i = 1; i < f->m.n; i++) {
		const struct vmk_fwmap_entry *p = &f->m.e[i - 1], *q = &f->m.e[i];
		bool same = p->kind == q->kind && p->flags == q->flags &&
			    (o.merge_ignores_attr || (p->attr == q->attr && p->fw_type == q->fw_type));

		if (same && p->base + p->size == q->base && !(p->base == 0 && q->base + q->size == 0))
			fail_msg("seed %llu round %lu: entries %zu and %zu should have merged",
				 (unsigned long long)seed, round, i - 1, i);
	}
	reference(in, n, window, limit, o.beyond == VMK_FWMAP_BEYOND_DROP, page, want);
	for (uint64_t a = 0; a < SPACE; a++) {
		uint64_t x = window + a;
		uint32_t got = 0;

		for (size_t i = 0; i < f->m.n; i++)
			if (x >= f->m.e[i].base && x - f->m.e[i].base < f->m.e[i].size)
				got = f->m.e[i].kind;
		if (got != want[a])
			fail_msg("seed %llu round %lu: address 0x%llx is %s, the model says %s "
				 "(page %llu, bits %u)", (unsigned long long)seed, round,
				 (unsigned long long)x, vmk_mem_kind_name(got),
				 vmk_mem_kind_name(want[a]), (unsigned long long)page, bits);
	}
	/* Idempotent. */
	{
		size_t n1 = f->m.n;
		struct vmk_fwmap_entry *copy = malloc(n1 * sizeof(*copy) + 1);

		memcpy(copy, f->m.e, n1 * sizeof(*copy));
		assert_int_equal(vmk_fwmap_sanitize(&f->m, &o, NULL), 0);
		assert_int_equal(f->m.n, n1);
		if (memcmp(copy, f->m.e, n1 * sizeof(*copy)))
			fail_msg("seed %llu round %lu: a second sanitize changed the map",
				 (unsigned long long)seed, round);
		free(copy);
	}
	free(f);
}

static void test_random(void **state)
{
	unsigned long seed = th_seed();
	struct rng r = { seed * 2654435761u + 1 };
	const char *env = getenv("VMK_FWMAP_ROUNDS");
	unsigned long rounds = env ? strtoul(env, NULL, 0) : 2000;

	(void)state;
	for (unsigned long i = 0; i < rounds; i++)
		random_round(&r, i, seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorts_and_merges),
		cmocka_unit_test(test_split_inside),
		cmocka_unit_test(test_priority_order),
		cmocka_unit_test(test_align),
		cmocka_unit_test(test_align_shared_page),
		cmocka_unit_test(test_merge_rules),
		cmocka_unit_test(test_width),
		cmocka_unit_test(test_malformed_entries),
		cmocka_unit_test(test_bad_opts),
		cmocka_unit_test(test_enospc),
		cmocka_unit_test(test_random),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
