/*
 * Randomized differential test: the allocator against a per-frame model.
 *
 * The model knows the class of every frame (free, allocated, NOFREE,
 * NOFREE pool, reserved, bad). After every operation the allocator's state
 * of every frame must match the model, vmk_check_phys() must pass, and
 * every failure must be justified by the model: an order-k request fails
 * only if no aligned 2^k run of buddy-free frames exists in the pools it
 * may use, a contiguous request only if no placement exists at all.
 * Replay a failure with VMK_SEED=<seed>; VMK_PHYS_MODEL_OPS sets the length.
 */
#include "phys_util.h"

#define MiB VMK_MiB
#define GiB VMK_GiB
#define PG VMK_PAGE_SIZE

enum { M_FREE, M_ALLOC, M_NOFREE, M_NFPOOL, M_RESV, M_BAD };

struct range { vmk_paddr_t base, end; unsigned int dom; };

/* DMA, DMA32 (with a "kernel" inside), DEFAULT on two domains. */
static const struct range ram[] = {
	{ 1 * MiB, 20 * MiB, 0 },
	{ 4 * GiB, 4 * GiB + 12 * MiB, 0 },
	{ 8 * GiB, 8 * GiB + 6 * MiB, 1 },
};
#define KBASE (17 * MiB)
#define KEND (18 * MiB + 64 * PG)
#define NCPU 3

struct frame { uint8_t cls; bool pend; };

struct hold {
	struct vmk_page *p;
	uint64_t n;		/* frames */
	int kind;		/* 0 order block, 1 contig run, 2 single, 3 nofree */
	unsigned int order;
};

static struct frame *model;
static uint64_t nframes;
static struct hold *holds;
static size_t nholds, cap;
static uint64_t rng;
static uint64_t nfail_alloc, nfail_contig;

static uint64_t idx_of(vmk_paddr_t pa)
{
	uint64_t off = 0;

	for (size_t i = 0; i < VMK_ARRAY_SIZE(ram); i++) {
		if (pa >= ram[i].base && pa < ram[i].end)
			return off + (pa - ram[i].base) / PG;
		off += (ram[i].end - ram[i].base) / PG;
	}
	fail_msg("address %llx outside the machine", (unsigned long long)pa);
	return 0;
}

static vmk_paddr_t pa_of(uint64_t idx)
{
	for (size_t i = 0; i < VMK_ARRAY_SIZE(ram); i++) {
		uint64_t n = (ram[i].end - ram[i].base) / PG;

		if (idx < n)
			return ram[i].base + idx * PG;
		idx -= n;
	}
	return 0;
}

static int cls_of(unsigned int st)
{
	switch (st) {
	case VMK_PAGE_FREE: case VMK_PAGE_PCPU: return M_FREE;
	case VMK_PAGE_ALLOC: case VMK_PAGE_PTP: return M_ALLOC;
	case VMK_PAGE_NOFREE: return M_NOFREE;
	case VMK_PAGE_NOFREE_POOL: return M_NFPOOL;
	case VMK_PAGE_RESERVED: return M_RESV;
	case VMK_PAGE_BAD: return M_BAD;
	}
	fail_msg("bad state %u", st);
	return -1;
}

static void compare(const char *op)
{
	vmk_check_phys();
	for (uint64_t i = 0; i < nframes; i++) {
		struct vmk_page *p = vmk_pa_to_page(pa_of(i));
		int c = cls_of(vmk_page_state(p));

		if (c != model[i].cls)
			fail_msg("after %s: frame %llx is class %d in the allocator, %d in the model", op,
				 (unsigned long long)pa_of(i), c, model[i].cls);
	}
}

static void hold_add(struct vmk_page *p, uint64_t n, int kind, unsigned int order)
{
	if (nholds == cap) {
		cap = cap ? cap * 2 : 256;
		holds = realloc(holds, cap * sizeof(*holds));
	}
	holds[nholds++] = (struct hold){ p, n, kind, order };
}

/* Mark frames of a new allocation, checking they were free. */
static void take(struct vmk_page *p, uint64_t n, int cls)
{
	uint64_t i0 = idx_of(vmk_page_to_pa(p));

	for (uint64_t i = 0; i < n; i++) {
		assert_int_equal(model[i0 + i].cls, M_FREE);
		assert_true(vmk_page_to_pa(&p[i]) == pa_of(i0 + i));
		model[i0 + i].cls = (uint8_t)cls;
	}
}

static void give(struct vmk_page *p, uint64_t n, int from)
{
	uint64_t i0 = idx_of(vmk_page_to_pa(p));

	for (uint64_t i = 0; i < n; i++) {
		assert_int_equal(model[i0 + i].cls, from);
		if (model[i0 + i].pend) {
			model[i0 + i].cls = M_BAD;
			model[i0 + i].pend = false;
		} else {
			model[i0 + i].cls = from == M_NOFREE ? M_NFPOOL : M_FREE;
		}
	}
}

static unsigned int pool_of(vmk_paddr_t pa)
{
	return pa < VMK_PHYS_DMA_END ? VMK_POOL_DMA :
	       pa < VMK_PHYS_DMA32_END ? VMK_POOL_DMA32 : VMK_POOL_DEFAULT;
}

static unsigned int dom_of(vmk_paddr_t pa)
{
	for (size_t i = 0; i < VMK_ARRAY_SIZE(ram); i++)
		if (pa >= ram[i].base && pa < ram[i].end)
			return ram[i].dom;
	return 0;
}

/* Is there an aligned 2^k run of buddy-FREE frames in an allowed (domain, pool)? */
static bool block_exists(unsigned int k, int dom, unsigned int pool, unsigned int flags)
{
	for (size_t r = 0; r < VMK_ARRAY_SIZE(ram); r++) {
		vmk_paddr_t a = VMK_ALIGN_UP(ram[r].base, PG << k);

		for (; a + (PG << k) <= ram[r].end; a += PG << k) {
			unsigned int q = pool_of(a);
			bool ok = true;

			if (pool_of(a + (PG << k) - 1) != q || q < pool ||
			    ((flags & VMK_ALLOC_EXACT_POOL) && q != pool) ||
			    ((flags & VMK_ALLOC_EXACT_DOMAIN) && (int)ram[r].dom != dom))
				continue;
			for (uint64_t i = 0; i < ((uint64_t)1 << k) && ok; i++)
				ok = vmk_page_state(vmk_pa_to_page(a + i * PG)) == VMK_PAGE_FREE;
			if (ok)
				return true;
		}
	}
	return false;
}

/* Does any valid contiguous placement exist over buddy-FREE frames? */
static bool contig_exists(uint64_t n, vmk_paddr_t lo, vmk_paddr_t hi, vmk_paddr_t align,
			  vmk_paddr_t bound)
{
	for (size_t r = 0; r < VMK_ARRAY_SIZE(ram); r++) {
		for (vmk_paddr_t a = VMK_ALIGN_UP(VMK_MAX(ram[r].base, lo), align);
		     a + n * PG <= VMK_MIN(ram[r].end, hi); a += align) {
			bool ok = !bound || a / bound == (a + n * PG - 1) / bound;

			/* A run never spans two segments: pools split them. */
			ok = ok && pool_of(a) == pool_of(a + n * PG - 1);
			for (uint64_t i = 0; i < n && ok; i++)
				ok = vmk_page_state(vmk_pa_to_page(a + i * PG)) == VMK_PAGE_FREE;
			if (ok)
				return true;
		}
	}
	return false;
}

static uint64_t rnd(uint64_t n)
{
	return tp_rand(&rng) % n;
}

static void op_alloc(void)
{
	unsigned int k = rnd(4) ? (unsigned int)rnd(4) : (unsigned int)rnd(VMK_MAX_ORDER);
	unsigned int pool = (unsigned int)rnd(VMK_NPOOLS);
	int dom = (int)rnd(2);
	unsigned int flags = (unsigned int)rnd(8) & (VMK_ALLOC_EXACT_POOL | VMK_ALLOC_EXACT_DOMAIN);
	struct vmk_page *p;

	if (rnd(3) == 0)
		flags |= VMK_ALLOC_NOCACHE;
	p = vmk_page_alloc_order(dom, pool, k, flags);
	if (!p) {
		nfail_alloc++;
		/* Own caches were drained on the way; other CPUs' caches are not available. */
		if (block_exists(k, dom, pool, flags))
			fail_msg("order-%u alloc (dom %d pool %u flags %x) failed but a free block exists",
				 k, dom, pool, flags);
		return;
	}
	assert_int_equal(vmk_page_to_pa(p) % (PG << k), 0);
	assert_true(pool_of(vmk_page_to_pa(p)) >= pool);
	if (flags & VMK_ALLOC_EXACT_POOL)
		assert_int_equal(pool_of(vmk_page_to_pa(p)), pool);
	if (flags & VMK_ALLOC_EXACT_DOMAIN)
		assert_int_equal(dom_of(vmk_page_to_pa(p)), dom);
	take(p, (uint64_t)1 << k, M_ALLOC);
	hold_add(p, (uint64_t)1 << k, k ? 0 : 2, k);
}

static void op_contig(void)
{
	uint64_t n = 1 + rnd(rnd(4) ? 16 : 300);
	vmk_paddr_t align = PG << rnd(8), bound = 0, lo, hi;
	size_t r = rnd(VMK_ARRAY_SIZE(ram));
	struct vmk_page *p;

	lo = ram[r].base + rnd((ram[r].end - ram[r].base) / PG) * PG;
	hi = lo + (1 + rnd(2048)) * PG;
	if (rnd(2)) {
		bound = PG << (10 - rnd(3));
		if (bound < n * PG)
			bound = 0;
	}
	if (rnd(4) == 0) {
		lo = 0;
		hi = UINT64_MAX;
	}
	p = vmk_page_alloc_contig(VMK_DOMAIN_LOCAL, n, lo, hi, align, bound, VMK_MEMATTR_WC, 0);
	if (!p) {
		nfail_contig++;
		if (contig_exists(n, lo, hi, align, bound))
			fail_msg("contig %llu pages in [%llx,%llx) align %llx bound %llx failed but fits",
				 (unsigned long long)n, (unsigned long long)lo, (unsigned long long)hi,
				 (unsigned long long)align, (unsigned long long)bound);
		return;
	}
	{
		vmk_paddr_t pa = vmk_page_to_pa(p);

		assert_true(pa >= lo && pa + n * PG <= hi && pa % align == 0);
		assert_true(!bound || pa / bound == (pa + n * PG - 1) / bound);
		assert_int_equal(p[n - 1].memattr, VMK_MEMATTR_WC);
	}
	take(p, n, M_ALLOC);
	hold_add(p, n, 1, 0);
}

static void op_bulk(void)
{
	struct vmk_page *v[48];
	size_t n = 1 + rnd(48), got;
	unsigned int pool = (unsigned int)rnd(VMK_NPOOLS);

	got = vmk_page_alloc_bulk(0, pool, VMK_ALLOC_EXACT_DOMAIN, n, v);
	for (size_t i = 0; i < got; i++) {
		assert_int_equal(vmk_page_state(v[i]), VMK_PAGE_ALLOC);
		assert_true(pool_of(vmk_page_to_pa(v[i])) >= pool);
		take(v[i], 1, M_ALLOC);
		hold_add(v[i], 1, 2, 0);
	}
	if (got < n)
		assert_false(block_exists(0, 0, pool, VMK_ALLOC_EXACT_DOMAIN));
}

static void op_free(void)
{
	size_t i;
	struct hold h;

	if (!nholds)
		return;
	i = rnd(nholds);
	h = holds[i];
	holds[i] = holds[--nholds];
	switch (h.kind) {
	case 0:
		give(h.p, h.n, M_ALLOC);
		vmk_page_free_order(h.p, h.order);
		break;
	case 1:
		give(h.p, h.n, M_ALLOC);
		if (rnd(2)) {
			vmk_page_free_contig(h.p, h.n);
		} else {
			for (uint64_t k = 0; k < h.n; k++)
				vmk_page_free(&h.p[k]);
		}
		break;
	case 2: {
		/* Free a batch of singles in one bulk call. */
		struct vmk_page *v[16];
		size_t n = 0;

		v[n++] = h.p;
		for (size_t j = 0; j < nholds && n < 16;) {
			if (holds[j].kind == 2 && rnd(2)) {
				v[n++] = holds[j].p;
				holds[j] = holds[--nholds];
			} else {
				j++;
			}
		}
		for (size_t j = 0; j < n; j++)
			give(v[j], 1, M_ALLOC);
		if (n == 1 && rnd(2))
			vmk_page_free(v[0]);
		else
			vmk_page_free_bulk(v, n);
		break;
	}
	case 3:
		give(h.p, 1, M_NOFREE);
		vmk_page_nofree_return(h.p);
		break;
	}
}

/* Frames the allocator moved FREE -> NOFREE_POOL (imports) or back (undone imports). */
static void sync_nofree_pool(void)
{
	for (uint64_t i = 0; i < nframes; i++) {
		unsigned int st = vmk_page_state(vmk_pa_to_page(pa_of(i)));

		if (st == VMK_PAGE_NOFREE_POOL && model[i].cls == M_FREE)
			model[i].cls = M_NFPOOL;
	}
}

/* A new NOFREE page came from the pool, or from a block imported by this call. */
static void from_pool(struct vmk_page *p)
{
	struct frame *f = &model[idx_of(vmk_page_to_pa(p))];

	assert_true(f->cls == M_NFPOOL || f->cls == M_FREE);
	f->cls = M_FREE;
}

static void op_nofree(void)
{
	struct vmk_page *v[40];
	size_t n = 1 + rnd(40);
	int dom = (int)rnd(2);

	if (rnd(2)) {
		struct vmk_page *p = vmk_page_alloc_nofree(dom, 0);

		sync_nofree_pool();
		if (!p)
			return;
		from_pool(p);
		take(p, 1, M_NOFREE);
		hold_add(p, 1, 3, 0);
		return;
	}
	if (vmk_page_alloc_nofree_batch(dom, 0, n, v) != 0) {
		/* All or nothing: no frame may have changed. */
		compare("failed nofree batch");
		return;
	}
	sync_nofree_pool();
	for (size_t i = 0; i < n; i++) {
		from_pool(v[i]);
		take(v[i], 1, M_NOFREE);
		hold_add(v[i], 1, 3, 0);
	}
}

static void op_bad(void)
{
	uint64_t i = rnd(nframes);
	int err = vmk_phys_add_bad(pa_of(i));

	switch (model[i].cls) {
	case M_BAD:
		assert_int_equal(err, -VMK_EEXIST);
		break;
	case M_FREE:
	case M_NFPOOL:
		if (err == -VMK_EBUSY) {
			assert_int_equal(vmk_page_state(vmk_pa_to_page(pa_of(i))), VMK_PAGE_PCPU);
			break;
		}
		assert_int_equal(err, 0);
		model[i].cls = M_BAD;
		break;
	default:
		if (model[i].pend) {
			assert_int_equal(err, -VMK_EEXIST);
		} else {
			assert_int_equal(err, 0);
			model[i].pend = true;
		}
	}
}

static void op_bootfree(void)
{
	vmk_paddr_t a = KBASE + rnd((KEND - KBASE) / PG) * PG;
	vmk_paddr_t b = a + (1 + rnd(64)) * PG;
	bool all = b <= KEND;
	int err;

	for (vmk_paddr_t x = a; x < b && all; x += PG)
		all = model[idx_of(x)].cls == M_RESV;
	err = vmk_phys_bootstrap_free(a, b);
	if (!all) {
		assert_int_equal(err, -VMK_EINVAL);
		return;
	}
	assert_int_equal(err, 0);
	for (vmk_paddr_t x = a; x < b; x += PG) {
		struct frame *f = &model[idx_of(x)];

		f->cls = f->pend ? M_BAD : M_FREE;
		f->pend = false;
	}
}

static void test_model(void **state)
{
	const char *e = getenv("VMK_PHYS_MODEL_OPS");
	unsigned long ops = e ? strtoul(e, NULL, 0) : 2500;
	uint64_t cnt[12] = { 0 };

	(void)state;
	rng = th_seed() * 2654435761u + 1;
	tp_reset();
	vmk_sim_set_cpu_count(NCPU);
	nframes = 0;
	for (size_t i = 0; i < VMK_ARRAY_SIZE(ram); i++) {
		tp_add(ram[i].base, ram[i].end - ram[i].base, ram[i].dom);
		nframes += (ram[i].end - ram[i].base) / PG;
	}
	model = calloc(nframes, sizeof(*model));
	for (uint64_t i = 0; i < nframes; i++)
		model[i].cls = M_RESV;
	for (size_t i = 0; i < VMK_ARRAY_SIZE(ram); i++) {
		vmk_paddr_t b = ram[i].base, en = ram[i].end;

		if (b < KBASE && KBASE < en) {
			assert_int_equal(vmk_phys_bootstrap_free(b, KBASE), 0);
			assert_int_equal(vmk_phys_bootstrap_free(KEND, en), 0);
		} else {
			assert_int_equal(vmk_phys_bootstrap_free(b, en), 0);
		}
	}
	for (uint64_t i = 0; i < nframes; i++)
		if (pa_of(i) < KBASE || pa_of(i) >= KEND)
			model[i].cls = M_FREE;
	for (unsigned int d = 0; d < 2; d++)
		for (unsigned int q = 0; q < VMK_NPOOLS; q++)
			assert_int_equal(vmk_phys_set_lowmem_reserve(d, q, 0), 0);
	compare("boot");
	for (unsigned long n = 0; n < ops; n++) {
		unsigned int op = (unsigned int)rnd(100);
		const char *name;

		if (op < 30) {
			op_alloc();
			name = "alloc";
			cnt[0]++;
		} else if (op < 62) {
			op_free();
			name = "free";
			cnt[1]++;
		} else if (op < 72) {
			op_contig();
			name = "contig";
			cnt[2]++;
		} else if (op < 80) {
			op_bulk();
			name = "bulk";
			cnt[3]++;
		} else if (op < 87) {
			op_nofree();
			name = "nofree";
			cnt[4]++;
		} else if (op < 89) {
			op_bad();
			name = "bad";
			cnt[5]++;
		} else if (op < 92) {
			op_bootfree();
			name = "bootfree";
			cnt[6]++;
		} else if (op < 97) {
			vmk_sim_set_cpu((unsigned int)rnd(NCPU));
			name = "cpu switch";
			cnt[7]++;
		} else {
			vmk_phys_drain_cpu((unsigned int)rnd(NCPU));
			name = "drain";
			cnt[8]++;
		}
		compare(name);
	}
	print_message("model: %llu alloc, %llu free, %llu contig, %llu bulk, %llu nofree, %llu bad, "
		      "%llu bootfree, %llu cpu, %llu drain; %llu allocs and %llu contigs failed "
		      "(justified); %zu held at the end\n",
		      (unsigned long long)cnt[0], (unsigned long long)cnt[1], (unsigned long long)cnt[2],
		      (unsigned long long)cnt[3], (unsigned long long)cnt[4], (unsigned long long)cnt[5],
		      (unsigned long long)cnt[6], (unsigned long long)cnt[7], (unsigned long long)cnt[8],
		      (unsigned long long)nfail_alloc, (unsigned long long)nfail_contig, nholds);
	/* Give everything back; every frame that is not bad or permanent is free again. */
	while (nholds) {
		op_free();
		compare("final free");
	}
	vmk_phys_drain_all_quiescent();
	compare("drained");
	free(model);
	free(holds);
	holds = NULL;
	nholds = cap = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
