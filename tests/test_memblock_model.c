/*
 * Randomized differential test of memblock against a reference model: a
 * per-page state array over a small simulated address space (is it memory,
 * its flags and node, is it reserved). Random add/remove/reserve/free/
 * mark/clear/set_node/alloc sequences; after every step the lists must pass
 * vmk_memblock_check() and equal the canonical lists derived from the
 * model, and the free-range walks and queries must agree with it.
 *
 * Page granularity suffices: every address the test uses is page-aligned,
 * so memblock's answers are too. Memblock's own arrays (which the model
 * cannot place) are read back with vmk_memblock_own_arrays() and checked:
 * a new array must sit in memory that was free. Replay with VMK_SEED;
 * VMK_MEMBLOCK_STEPS sets the steps per round (default 1500).
 */
#include "memblock_util.h"

#define PG	VMK_PAGE_SIZE
#define NPG	2048			/* 8 MiB of address space */
#define BASE	0x40000000ULL		/* at 1 GiB */
#define A(p)	(BASE + (vmk_paddr_t)(p) * PG)
#define P(a)	((size_t)(((a) - BASE) / PG))

struct page {
	bool mem, res, arr;
	int8_t nid;
	uint8_t flags;
};

static struct vmk_memblock mb;
static struct page pg[NPG];
static bool model_has_mirror;	/* some page was ever MIRROR memory (Linux system_has_some_mirror) */
static uint64_t rng;
static unsigned long step_no;
static char last_op[200];
/* what the run exercised */
static bool resize_fixed;	/* this round keeps resizing off throughout */
static unsigned long n_alloc_ok, n_alloc_miss, n_nospace, n_busy, n_grow;	/* the step's operation, printed on a mismatch */

#define NOTE(...) snprintf(last_op, sizeof(last_op), __VA_ARGS__)

static bool same_list(const struct vmk_memblock_type *t, const struct exp_region *e, size_t n)
{
	if (t->cnt != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (t->regions[i].base != e[i].base || t->regions[i].size != e[i].size ||
		    t->regions[i].nid != e[i].nid || t->regions[i].flags != e[i].flags)
			return false;
	return true;
}

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t rnd_below(size_t n) { return (size_t)(rnd() % n); }

static int rnd_nid(void)
{
	static const int nids[] = { VMK_NUMA_NO_NODE, 0, 1, 2 };

	return nids[rnd_below(4)];
}

static uint32_t rnd_flags(void)
{
	static const uint32_t f[] = {
		0, 0, 0, VMK_MEMBLOCK_HOTPLUG, VMK_MEMBLOCK_MIRROR, VMK_MEMBLOCK_NOMAP,
		VMK_MEMBLOCK_MIRROR | VMK_MEMBLOCK_HOTPLUG, VMK_MEMBLOCK_DRIVER_MANAGED,
	};

	return f[rnd_below(VMK_ARRAY_SIZE(f))];
}

/* A random range [*p, *p + *n) of pages, mostly small. */
static void rnd_range(size_t *p, size_t *n)
{
	size_t len = rnd_below(8) ? 1 + rnd_below(8) : 1 + rnd_below(NPG / 4);

	*p = rnd_below(NPG);
	*n = VMK_MIN(len, NPG - *p);
}

static bool page_free(const struct page *q)
{
	return q->mem && !q->res && !q->arr &&
	       !(q->flags & (VMK_MEMBLOCK_NOMAP | VMK_MEMBLOCK_DRIVER_MANAGED));
}

/* ---- canonical lists from the model ---- */

static size_t model_memory(struct exp_region *out)
{
	size_t n = 0;

	for (size_t p = 0; p < NPG; p++) {
		if (!pg[p].mem)
			continue;
		if (n && out[n - 1].base + out[n - 1].size == A(p) &&
		    out[n - 1].nid == pg[p].nid && out[n - 1].flags == pg[p].flags) {
			out[n - 1].size += PG;
			continue;
		}
		out[n++] = (struct exp_region){ A(p), PG, pg[p].nid, pg[p].flags };
	}
	return n;
}

static size_t model_reserved(struct exp_region *out)
{
	size_t n = 0;

	for (size_t p = 0; p < NPG; p++) {
		if (!pg[p].res && !pg[p].arr)
			continue;
		if (n && out[n - 1].base + out[n - 1].size == A(p)) {
			out[n - 1].size += PG;
			continue;
		}
		out[n++] = (struct exp_region){ A(p), PG, VMK_NUMA_NO_NODE, 0 };
	}
	return n;
}

/* Free ranges in ascending order, per node (or all). */
static size_t model_free(int nid, struct vmk_range *out, int *nids)
{
	size_t n = 0;

	for (size_t p = 0; p < NPG; p++) {
		if (!page_free(&pg[p]) || (nid != VMK_NUMA_NO_NODE && pg[p].nid != nid))
			continue;
		if (n && out[n - 1].end == A(p) && page_free(&pg[p - 1]) &&
		    pg[p - 1].nid == pg[p].nid && pg[p - 1].flags == pg[p].flags) {
			out[n - 1].end += PG;
			continue;
		}
		out[n].base = A(p);
		out[n].end = A(p) + PG;
		nids[n++] = pg[p].nid;
	}
	return n;
}

/* Re-read memblock's own arrays into the model, checking where new ones went. */
static void sync_arrays(vmk_paddr_t limit)
{
	struct vmk_range own[2];
	size_t n = vmk_memblock_own_arrays(&mb, own);
	bool was[NPG];

	for (size_t p = 0; p < NPG; p++) {
		was[p] = pg[p].arr;
		pg[p].arr = false;
	}
	for (size_t i = 0; i < n; i++) {
		assert_true(own[i].base >= BASE && own[i].end <= A(NPG));
		assert_true(VMK_IS_ALIGNED(own[i].base, PG) && VMK_IS_ALIGNED(own[i].end, PG));
		for (size_t p = P(own[i].base); p < P(own[i].end); p++) {
			if (!was[p]) {
				/* a new array: must have been free memory below the limit */
				if (pg[p].res)
					fail_msg("step %lu: new array at %#llx overlaps a reservation",
						 step_no, (unsigned long long)A(p));
				assert_true(pg[p].mem);
				assert_false(pg[p].flags & (VMK_MEMBLOCK_NOMAP |
							     VMK_MEMBLOCK_DRIVER_MANAGED));
				assert_true(A(p) + PG <= limit);
			}
			pg[p].arr = true;
		}
	}
}

static void compare(void)
{
	static struct exp_region e[NPG];
	static struct vmk_range fr[NPG];
	static int nids[NPG];
	size_t n;
	uint64_t idx;
	vmk_paddr_t b, en;
	int nid, want_nid;

	vmk_memblock_check(&mb);
	n = model_memory(e);
	if (!same_list(&mb.memory, e, n))
		print_message("step %lu: %s\n", step_no, last_op);
	expect_list(&mb.memory, e, n);
	n = model_reserved(e);
	if (!same_list(&mb.reserved, e, n)) {
		print_message("step %lu: %s\n", step_no, last_op);
		for (size_t i = 0; i < n; i++)
			print_message("  model reserved[%zu] = [%#llx, +%#llx)\n", i,
				      (unsigned long long)e[i].base, (unsigned long long)e[i].size);
	}
	expect_list(&mb.reserved, e, n);

	/* free ranges, both directions, for all nodes and one random node */
	for (int k = 0; k < 2; k++) {
		size_t i = 0;
		vmk_size_t sum = 0;

		want_nid = k == 0 ? VMK_NUMA_NO_NODE : rnd_nid();
		n = model_free(want_nid, fr, nids);
		vmk_memblock_foreach_free(&mb, idx, want_nid, b, en, &nid) {
			assert_true(i < n);
			if (b != fr[i].base || en != fr[i].end || nid != nids[i])
				fail_msg("step %lu: free range %zu is [%#llx, %#llx) node %d, model "
					 "[%#llx, %#llx) node %d", step_no, i,
					 (unsigned long long)b, (unsigned long long)en, nid,
					 (unsigned long long)fr[i].base,
					 (unsigned long long)fr[i].end, nids[i]);
			sum += en - b;
			i++;
		}
		assert_int_equal(i, n);
		vmk_memblock_foreach_free_reverse(&mb, idx, want_nid, b, en, &nid) {
			assert_true(i > 0);
			i--;
			assert_true(b == fr[i].base && en == fr[i].end && nid == nids[i]);
		}
		assert_int_equal(i, 0);
		if (k == 0)
			assert_true(vmk_memblock_free_size(&mb) == sum);
	}
	/* point queries */
	for (int k = 0; k < 4; k++) {
		size_t p = rnd_below(NPG), len = 1 + rnd_below(4);
		bool any_res = false, all_mem = true;

		assert_int_equal(vmk_memblock_is_memory(&mb, A(p) + rnd_below(PG)), pg[p].mem);
		assert_int_equal(vmk_memblock_is_map_memory(&mb, A(p)),
				 pg[p].mem && !(pg[p].flags & VMK_MEMBLOCK_NOMAP));
		assert_int_equal(vmk_memblock_is_reserved(&mb, A(p)), pg[p].res || pg[p].arr);
		len = VMK_MIN(len, NPG - p);
		for (size_t q = p; q < p + len; q++) {
			any_res |= pg[q].res || pg[q].arr;
			all_mem &= pg[q].mem;
		}
		assert_int_equal(vmk_memblock_is_region_reserved(&mb, A(p), len * PG), any_res);
		assert_int_equal(vmk_memblock_is_region_memory(&mb, A(p), len * PG), all_mem);
	}
}

/* Page q is in the list (memory or reserved) the operation works on. */
static bool in_list(size_t q, bool res)
{
	return res ? (pg[q].res || pg[q].arr) : pg[q].mem;
}

/* Pages q and r would sit in one region of that list. */
static bool same_region(size_t q, size_t r, bool res)
{
	return in_list(q, res) && in_list(r, res) &&
	       (res || (pg[q].nid == pg[r].nid && pg[q].flags == pg[r].flags));
}

/*
 * Slots adding [p, p + n) takes: one per hole that does not touch a
 * compatible neighbour (those just grow). Exact, like memblock's.
 */
static size_t add_need(size_t p, size_t n, bool res, int nid, uint32_t fl)
{
	size_t need = 0;

	for (size_t a = p; a < p + n; ) {
		size_t b = a;
		bool left, right;

		if (in_list(a, res)) {
			a++;
			continue;
		}
		while (b < p + n && !in_list(b, res))
			b++;
		left = a > 0 && in_list(a - 1, res) &&
		       (res || (pg[a - 1].nid == nid && pg[a - 1].flags == fl));
		right = b < NPG && in_list(b, res) &&
			(res || (pg[b].nid == nid && pg[b].flags == fl));
		need += !left && !right;
		a = b;
	}
	return need;
}

/* Removing [p, p + n) takes a slot only if it punches a hole inside one region. */
static size_t remove_need(size_t p, size_t n, bool res)
{
	if (p == 0 || p + n >= NPG)
		return 0;
	for (size_t q = p; q <= p + n; q++)
		if (!same_region(p - 1, q, res))
			return 0;
	return 1;
}

/* Splitting at the edges of [p, p + n): one slot per region straddling an edge. */
static size_t isolate_need(size_t p, size_t n)
{
	return (p > 0 && same_region(p - 1, p, false)) +
	       (p + n < NPG && same_region(p + n - 1, p + n, false));
}

/*
 * Check an operation's result against the slots it needed (the list's
 * cnt and max before it): with room it must succeed; without, it fails
 * with -VMK_ENOSPC if resizing is off, else it grows or fails with
 * -VMK_ENOMEM. A failure changes nothing. Returns true on success.
 */
static bool outcome(int err, const struct mb_snap *s, const struct vmk_memblock_type *t,
		    size_t need)
{
	if (t->cnt + need <= t->max) {
		if (err)
			fail_msg("step %lu: %s failed (%d) though %s had room (%zu + %zu <= %zu)",
				 step_no, last_op, err, t->name, t->cnt, need, t->max);
		return true;
	}
	if (!s->mb.can_resize) {
		if (err != -VMK_ENOSPC)
			fail_msg("step %lu: %s on a full %s without resizing returned %d",
				 step_no, last_op, t->name, err);
	} else if (!err) {
		return true;
	} else if (err != -VMK_ENOMEM) {
		fail_msg("step %lu: %s: unexpected error %d", step_no, last_op, err);
	}
	if (!snap_same(s, &mb))
		fail_msg("step %lu: failed op (%d) changed the lists", step_no, err);
	n_nospace++;
	return false;
}

/* An operation over one of memblock's own arrays: refused, nothing changed. */
static void busy(int err, const struct mb_snap *s)
{
	n_busy++;
	if (err != -VMK_EBUSY)
		fail_msg("step %lu: %s over an own array returned %d, not -VMK_EBUSY",
			 step_no, last_op, err);
	if (!snap_same(s, &mb))
		fail_msg("step %lu: refused op changed the lists", step_no);
}

static bool touches_array(size_t p, size_t n)
{
	for (size_t q = p; q < p + n; q++)
		if (pg[q].arr)
			return true;
	return false;
}

/* Pages [c, c + size) lie in one free range matching the request. */
static bool block_ok(size_t c, size_t size, int nid, bool mirror)
{
	for (size_t q = c; q < c + size; q++)
		if (!page_free(&pg[q]) || pg[q].nid != pg[c].nid || pg[q].flags != pg[c].flags ||
		    (nid != VMK_NUMA_NO_NODE && pg[q].nid != nid) ||
		    (mirror && !(pg[q].flags & VMK_MEMBLOCK_MIRROR)))
			return false;
	return true;
}

/* Brute force: every aligned candidate in [lo, hi), from the top or the bottom. */
static bool model_find(size_t size, size_t align, size_t lo, size_t hi, int nid,
		       bool mirror, size_t *out)
{
	size_t first = (lo + align - 1) / align * align;

	if (hi < size || first + size > hi)
		return false;
	if (!mb.bottom_up) {
		for (size_t c = (hi - size) / align * align; ; c -= align) {
			if (block_ok(c, size, nid, mirror)) {
				*out = c;
				return true;
			}
			if (c < first + align)
				return false;
		}
	}
	for (size_t c = first; c + size <= hi; c += align) {
		if (block_ok(c, size, nid, mirror)) {
			*out = c;
			return true;
		}
	}
	return false;
}

static bool model_alloc(size_t size, size_t align, size_t lo, size_t hi, int nid,
			uint32_t flags, size_t *out)
{
	bool mirror = (flags & VMK_MEMBLOCK_ALLOC_MIRROR) || model_has_mirror;

	for (;;) {
		if (model_find(size, align, lo, hi, nid, mirror, out))
			return true;
		if (nid != VMK_NUMA_NO_NODE && !(flags & VMK_MEMBLOCK_ALLOC_EXACT_NID) &&
		    model_find(size, align, lo, hi, VMK_NUMA_NO_NODE, mirror, out))
			return true;
		if (!mirror)
			return false;
		mirror = false;
	}
}

static void one_step(void)
{
	struct mb_snap s;
	size_t p, n, q;
	int err = 0, nid = rnd_nid();
	uint32_t fl = rnd_flags();
	unsigned int op = (unsigned int)rnd_below(100);
	size_t shared_with = SIZE_MAX, shared_n = 0;
	vmk_paddr_t limit = mb.current_limit;

	rnd_range(&p, &n);
	snap_take(&s, &mb);
	NOTE("op %u range pages [%zu, +%zu) nid %d flags %#x", op, p, n, nid, (unsigned)fl);
	if (op < 22) {				/* add */
		size_t need = add_need(p, n, false, nid, fl);

		err = vmk_memblock_add_node(&mb, A(p), n * PG, nid, fl);
		if (outcome(err, &s, &s.mb.memory, need))
			for (q = p; q < p + n; q++)
				if (!pg[q].mem)
					pg[q] = (struct page){ true, pg[q].res, pg[q].arr, (int8_t)nid,
							       (uint8_t)fl };
	} else if (op < 30) {			/* remove */
		err = vmk_memblock_remove(&mb, A(p), n * PG);
		if (touches_array(p, n))
			busy(err, &s);
		else if (outcome(err, &s, &s.mb.memory, remove_need(p, n, false)))
			for (q = p; q < p + n; q++)
				pg[q].mem = false, pg[q].flags = 0, pg[q].nid = 0;
	} else if (op < 50) {			/* reserve */
		size_t need = add_need(p, n, true, VMK_NUMA_NO_NODE, 0);

		err = vmk_memblock_reserve(&mb, A(p), n * PG);
		if (outcome(err, &s, &s.mb.reserved, need))
			for (q = p; q < p + n; q++)
				pg[q].res = true;
		shared_with = err ? SIZE_MAX : p;
		shared_n = n;
	} else if (op < 60) {			/* free */
		err = vmk_memblock_free(&mb, A(p), n * PG);
		if (touches_array(p, n))
			busy(err, &s);
		else if (outcome(err, &s, &s.mb.reserved, remove_need(p, n, true)))
			for (q = p; q < p + n; q++)
				pg[q].res = false;
	} else if (op < 72) {			/* mark (< 66) or clear */
		bool mark = op < 66, change = false;

		if (fl == 0)
			fl = VMK_MEMBLOCK_NOMAP;
		for (q = p; q < p + n; q++)
			change |= pg[q].mem && (mark ? (pg[q].flags & fl) != fl : (pg[q].flags & fl) != 0);
		err = mark ? vmk_memblock_mark(&mb, A(p), n * PG, fl)
			   : vmk_memblock_clear(&mb, A(p), n * PG, fl);
		if (mark && (fl & VMK_MEMBLOCK_NOMAP) && touches_array(p, n))
			busy(err, &s);
		else if (outcome(err, &s, &s.mb.memory, change ? isolate_need(p, n) : 0))
			for (q = p; q < p + n; q++)
				if (pg[q].mem)
					pg[q].flags = mark ? pg[q].flags | fl : pg[q].flags & ~fl;
	} else if (op < 78) {			/* set node */
		bool change = false;

		for (q = p; q < p + n; q++)
			change |= pg[q].mem && pg[q].nid != nid;
		err = vmk_memblock_set_node(&mb, A(p), n * PG, nid);
		if (outcome(err, &s, &s.mb.memory, change ? isolate_need(p, n) : 0))
			for (q = p; q < p + n; q++)
				if (pg[q].mem)
					pg[q].nid = (int8_t)nid;
	} else if (op < 97) {			/* allocate */
		size_t size = 1 + rnd_below(rnd_below(4) ? 4 : 32), align = (size_t)1 << rnd_below(4);
		size_t lo = 0, hi = NPG, lim = NPG, got;
		vmk_paddr_t min = 0, max = 0, pa = 0;
		uint32_t af = 0;
		bool hit;

		if (rnd_below(3) == 0) {	/* a window, possibly crossing the limit */
			lo = rnd_below(NPG);
			hi = lo + 1 + rnd_below(NPG - lo);
			min = A(lo);
			max = A(hi);
		} else {
			min = rnd_below(2) ? 0 : A(0) - PG * rnd_below(16);
		}
		if (rnd_below(4) == 0)
			af |= VMK_MEMBLOCK_ALLOC_EXACT_NID;
		if (rnd_below(4) == 0)
			af |= VMK_MEMBLOCK_ALLOC_MIRROR;
		if (rnd_below(6) == 0)
			af |= VMK_MEMBLOCK_ALLOC_NOLIMIT;
		if (!(af & VMK_MEMBLOCK_ALLOC_NOLIMIT) && mb.current_limit < A(NPG))
			lim = mb.current_limit <= A(0) ? 0 : P(mb.current_limit);
		hi = VMK_MIN(hi, lim);
		hit = hi > lo && model_alloc(size, align, lo, hi, nid, af, &got);
		NOTE("alloc %zu pages align %zu [%zu, %zu) nid %d flags %#x %s: model %s %zu",
		     size, align, lo, hi, nid, (unsigned)af, mb.bottom_up ? "bottom-up" : "top-down",
		     hit ? "hit" : "miss", hit ? got : 0);
		err = vmk_memblock_alloc_range(&mb, size * PG, align * PG, min, max, nid, af, &pa);
		if (hit && !outcome(err, &s, &s.mb.reserved,
				    add_need(got, size, true, VMK_NUMA_NO_NODE, 0))) {
			/* recording the block needed a slot that could not be had */
		} else if (err) {
			/* nothing fits: the model agrees (hit would have succeeded above) */
			assert_int_equal(err, -VMK_ENOMEM);
			assert_true(snap_same(&s, &mb));
			n_alloc_miss++;
		} else {
			if (!hit)
				fail_msg("step %lu: allocated %#llx, model found nothing", step_no,
					 (unsigned long long)pa);
			if (pa != A(got))
				fail_msg("step %lu: allocated %#llx, model says %#llx "
					 "(size %zu align %zu [%zu, %zu) nid %d flags %#x %s)",
					 step_no, (unsigned long long)pa,
					 (unsigned long long)A(got), size, align, lo, hi, nid,
					 (unsigned)af, mb.bottom_up ? "bottom-up" : "top-down");
			for (q = got; q < got + size; q++)
				pg[q].res = true;
			n_alloc_ok++;
		}
	} else if (op < 98) {			/* direction */
		vmk_memblock_set_bottom_up(&mb, !mb.bottom_up);
	} else if (op < 99) {			/* limit */
		vmk_memblock_set_current_limit(&mb, rnd_below(2) ? VMK_PADDR_MAX : A(rnd_below(NPG + 1)));
	} else if (!resize_fixed) {		/* resizing on/off */
		vmk_memblock_allow_resize(&mb, rnd_below(4) != 0);
	}
	/* arrays grow only inside operations, below the limit of that moment */
	if (!err)
		sync_arrays(limit);
	n_grow += mb.memory.array_pa != s.mb.memory.array_pa;
	n_grow += mb.reserved.array_pa != s.mb.reserved.array_pa;
	/* an array the caller reserved over stays reserved when replaced: whole */
	if (shared_with != SIZE_MAX) {
		struct vmk_range own[2];
		size_t k = vmk_memblock_own_arrays(&mb, own);

		for (size_t i = 0; i < k; i++)
			if (A(shared_with) < own[i].end && own[i].base < A(shared_with + shared_n))
				for (q = P(own[i].base); q < P(own[i].end); q++)
					pg[q].res = true;
	}
	snap_free(&s);
	for (q = 0; q < NPG && !model_has_mirror; q++)
		model_has_mirror = pg[q].mem && (pg[q].flags & VMK_MEMBLOCK_MIRROR);
	assert_true(mb.has_mirror == model_has_mirror);
	compare();
}

static void test_model(void **state)
{
	unsigned long steps = 1500, rounds = 8, grown = 0;
	const char *env = getenv("VMK_MEMBLOCK_STEPS");

	(void)state;
	if (env)
		steps = strtoul(env, NULL, 0);
	rng = th_seed() * 2654435761ULL + 1;
	vmk_sim_ram_reset();
	assert_int_equal(vmk_sim_ram_add(BASE, NPG * PG), 0);
	for (unsigned long r = 0; r < rounds; r++) {
		memset(pg, 0, sizeof(pg));
		model_has_mirror = false;
		vmk_memblock_init(&mb);
		resize_fixed = r % 4 == 3;
		vmk_memblock_allow_resize(&mb, !resize_fixed);
		for (unsigned long i = 0; i < steps; i++) {
			step_no = r * steps + i;
			one_step();
		}
		grown += mb.memory.array_allocated + mb.reserved.array_allocated;
	}
	print_message("memblock model: %lu rounds x %lu steps: %lu allocations, %lu misses, "
		      "%lu growths, %lu out of slots, %lu refused over own arrays\n",
		      rounds, steps, n_alloc_ok, n_alloc_miss, n_grow, n_nospace, n_busy);
	/* the default run must exercise every kind of outcome */
	if (steps >= 1500) {
		assert_true(n_alloc_ok > 100 && n_alloc_miss > 10);
		assert_true(n_grow >= 4 && n_nospace > 0 && grown > 0);
	}
	vmk_sim_ram_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
