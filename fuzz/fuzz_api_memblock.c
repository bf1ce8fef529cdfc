/*
 * API-sequence fuzzer for memblock: the input is a sequence of
 * operations (add, remove, reserve, free, mark/clear NOMAP, allocate with
 * size, alignment, window and direction from the input, with an injected
 * allocation failure when the input asks) run against a per-page model
 * of 128 pages. After every operation: vmk_memblock_check() (a panic
 * aborts), the totals and every page's memory / map-memory / reserved
 * answer equal the model's; a failed operation changed nothing. An
 * allocation must take free pages (memory, not NOMAP, not reserved),
 * aligned, inside its window, and be the highest (top-down) or lowest
 * (bottom-up) such block; "nothing fits" must be true in the model.
 */
#include "fuzz_util.h"

#include <vmkit/memblock.h>
#include "sim.h"

#define NPG	128
#define PG	VMK_PAGE_SIZE
#define BASE	0x40000000ull
#define A(p)	(BASE + (vmk_paddr_t)(p) * PG)

struct page {
	bool mem, res, nomap;
};

static struct vmk_memblock mb;
static struct page pg[NPG], saved[NPG];

static bool page_free(size_t p)
{
	return pg[p].mem && !pg[p].res && !pg[p].nomap;
}

static void compare(const char *op)
{
	uint64_t mem = 0, res = 0;

	vmk_memblock_check(&mb);
	for (size_t p = 0; p < NPG; p++) {
		FZ_CHECK(vmk_memblock_is_memory(&mb, A(p)) == pg[p].mem, "%s: page %zu memory", op, p);
		FZ_CHECK(vmk_memblock_is_map_memory(&mb, A(p)) == (pg[p].mem && !pg[p].nomap),
			 "%s: page %zu map memory", op, p);
		FZ_CHECK(vmk_memblock_is_reserved(&mb, A(p)) == pg[p].res, "%s: page %zu reserved", op, p);
		mem += pg[p].mem;
		res += pg[p].res;
	}
	FZ_CHECK(vmk_memblock_phys_mem_size(&mb) == mem * PG, "%s: memory size", op);
	FZ_CHECK(vmk_memblock_reserved_size(&mb) == res * PG, "%s: reserved size", op);
}

/* Is [p, p + n) an aligned free block inside [lo, hi)? */
static bool fits(size_t p, size_t n, size_t align, size_t lo, size_t hi)
{
	if (p < lo || p + n > hi || A(p) % (align * PG))
		return false;
	for (size_t i = p; i < p + n; i++)
		if (!page_free(i))
			return false;
	return true;
}

static void alloc(struct fz_in *in)
{
	size_t n = 1 + fz_u8(in) % 16, align = (size_t)1 << (fz_u8(in) % 6);
	size_t lo = fz_u8(in) % NPG, hi = lo + 1 + fz_u8(in) % (NPG - lo + 8);
	uint8_t f = fz_u8(in);
	vmk_paddr_t pa = 0;
	int r;

	hi = VMK_MIN(hi, (size_t)NPG + 8);
	if (f & 1)
		vmk_sim_fail_nth(f >> 5, "memblock", false);
	r = vmk_memblock_alloc_range(&mb, n * PG, align * PG, A(lo), A(hi), VMK_NUMA_NO_NODE, 0, &pa);
	vmk_sim_fail_off();
	if (r) {
		FZ_CHECK(r == -VMK_ENOMEM || r == -VMK_ENOSPC, "alloc: %d", r);
		if (!(f & 1) && r == -VMK_ENOMEM)
			for (size_t p = lo; p + n <= VMK_MIN(hi, (size_t)NPG); p++)
				FZ_CHECK(!fits(p, n, align, lo, hi), "alloc of %zu pages failed, page %zu fits", n, p);
		return;
	}
	FZ_CHECK(pa >= BASE && (pa - BASE) % PG == 0, "alloc: %#llx", (unsigned long long)pa);
	{
		size_t p = (size_t)((pa - BASE) / PG);

		FZ_CHECK(fits(p, n, align, lo, hi), "alloc: [%zu, +%zu) does not fit", p, n);
		/* The highest fit top-down, the lowest bottom-up. */
		for (size_t q = lo; q + n <= VMK_MIN(hi, (size_t)NPG); q++)
			if (mb.bottom_up ? q < p : q > p)
				FZ_CHECK(!fits(q, n, align, lo, hi), "alloc at page %zu, page %zu fits better", p, q);
		for (size_t i = p; i < p + n; i++)
			pg[i].res = true;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool installed;
	struct fz_in in = { data, size };
	unsigned int steps = 0;

	if (!installed) {
		vmk_sim_install();
		installed = true;
	}
	vmk_memblock_init(&mb);
	memset(pg, 0, sizeof(pg));
	while (in.n && steps++ < 100) {
		uint8_t op = fz_u8(&in) % 8;
		size_t p = fz_u8(&in) % NPG, n = 1 + fz_u8(&in) % VMK_MIN(48, NPG - p), e;
		int r = 0;

		e = VMK_MIN(p + n, (size_t)NPG);
		memcpy(saved, pg, sizeof(pg));
		switch (op) {
		case 0:
			r = vmk_memblock_add(&mb, A(p), n * PG);
			for (size_t i = p; !r && i < e; i++)
				if (!pg[i].mem)
					pg[i] = (struct page){ .mem = true, .res = pg[i].res };
			break;
		case 1:
			r = vmk_memblock_remove(&mb, A(p), n * PG);
			for (size_t i = p; !r && i < e; i++)
				pg[i].mem = pg[i].nomap = false;
			break;
		case 2:
			r = vmk_memblock_reserve(&mb, A(p), n * PG);
			for (size_t i = p; !r && i < e; i++)
				pg[i].res = true;
			break;
		case 3:
			r = vmk_memblock_free(&mb, A(p), n * PG);
			for (size_t i = p; !r && i < e; i++)
				pg[i].res = false;
			break;
		case 4:
			r = vmk_memblock_mark_nomap(&mb, A(p), n * PG);
			for (size_t i = p; !r && i < e; i++)
				pg[i].nomap = pg[i].mem;
			break;
		case 5:
			r = vmk_memblock_clear_nomap(&mb, A(p), n * PG);
			for (size_t i = p; !r && i < e; i++)
				pg[i].nomap = false;
			break;
		case 6:
			alloc(&in);
			break;
		default:
			vmk_memblock_set_bottom_up(&mb, !mb.bottom_up);
			break;
		}
		if (r) {
			FZ_CHECK(r == -VMK_ENOSPC, "op %u: %d", op, r);
			memcpy(pg, saved, sizeof(pg));
		}
		compare("step");
	}
	return 0;
}
