/*
 * vmk_pmap_enter_blocks (src/pmap/blocks.c): a run of 2 MiB / 1 GiB
 * blocks in one call. Its result must be a loop of vmk_pmap_enter_large
 * with NOREPLACE, entry for entry (the same machine booted twice, so the
 * page tables hash the same, table addresses included); anything mapped
 * in the range is -VMK_EEXIST and bad arguments -VMK_EINVAL, both with
 * nothing changed and nothing allocated; every allocation failing in turn
 * is -VMK_ENOMEM with nothing mapped and no page lost; full user tables
 * are promoted at the end, not in a no-promote range.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"
#include <stdio.h>

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define UVA	0x0000000040000000ull
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define S4K	PT_SIZE(0)
#define S2M	PT_SIZE(1)
#define S1G	PT_SIZE(2)
#define UNMANAGED_PA	(8ull << 30)	/* no RAM there: blocks need none unless managed */
#define MAXB	1200

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;

/* A 1 GiB-aligned kernel address with room for a few GiB above it. */
static vmk_vaddr_t kbase(void)
{
	return (pmt_kva() + 2 * S1G) & ~(S1G - 1);
}

/* One differential case: where, what, and what was there before. */
struct dcase {
	enum vmk_pmap_arch_id arch;
	bool kernel, np;
	unsigned int lvl;
	vmk_vaddr_t va;
	vmk_paddr_t pa;
	uint64_t n;
	uint32_t prot, flags;
	bool page_before, block_after, zero_table;	/* pre-existing state around (and, kernel, in) the range */
	uint64_t zero_at;			/* the block over which a kernel table of zeros is left */
};

static struct dcase draw(enum vmk_pmap_arch_id arch, uint64_t *rng)
{
	struct dcase c = { .arch = arch, .prot = RW };
	vmk_size_t bs;
	uint64_t off;

	c.kernel = pmt_rand(rng) % 2;
	c.lvl = pmt_rand(rng) % 4 == 0 ? 2 : 1;
	bs = PT_SIZE(c.lvl);
	if (c.lvl == 1) {
		off = pmt_rand(rng) % 4 == 0 ? 0 : pmt_rand(rng) % 512;	/* 0: whole tables, may promote */
		c.n = 1 + pmt_rand(rng) % 1100;
	} else {
		off = pmt_rand(rng) % 3;
		c.n = 1 + pmt_rand(rng) % 3;
	}
	c.va = (c.kernel ? kbase() : UVA) + off * bs;
	c.pa = UNMANAGED_PA + off * bs;
	if (pmt_rand(rng) % 3 == 0)
		c.flags |= VMK_PMAP_ENTER_WIRED;
	if (pmt_rand(rng) % 6 == 0)
		c.flags |= VMK_PMAP_ENTER_NOPROMOTE;
	if (pmt_rand(rng) % 3 == 0)
		c.prot = VMK_PROT_READ;
	/* Managed: every block a live page record, inside [2 GiB, 4 GiB). */
	if (pmt_rand(rng) % 4 == 0 && (c.lvl == 2 ? off + c.n <= 2 : off + c.n <= 1024)) {
		c.flags |= VMK_PMAP_ENTER_MANAGED;
		c.pa = PMT_DATA + off * bs;
	}
	if (c.kernel && pmt_rand(rng) % 6 == 0)
		c.flags |= VMK_PMAP_ENTER_KEEP_SPARE;
	c.np = !c.kernel && pmt_rand(rng) % 5 == 0;
	c.page_before = pmt_rand(rng) % 3 == 0;
	c.block_after = pmt_rand(rng) % 3 == 0;
	c.zero_table = c.kernel && c.lvl == 1 && pmt_rand(rng) % 3 == 0;
	c.zero_at = pmt_rand(rng) % c.n;
	return c;
}

/* Boot the machine and put the case's earlier state in place. */
static struct vmk_pmap *setup(const struct dcase *c)
{
	struct vmk_pmap *pm;
	vmk_size_t len = c->n * PT_SIZE(c->lvl);

	pmt_boot_arch(c->arch);
	pm = c->kernel ? vmk_pmap_kernel() : pmt_user(false);
	if (c->np)
		assert_int_equal(vmk_pmap_protect_bbm(pm, UVA, S1G, VMK_PMAP_BBM_NOPROMOTE), 0);
	if (c->page_before)
		assert_int_equal(vmk_pmap_enter(pm, c->va - S4K, PMT_DATA, RW, 0), 0);
	if (c->block_after)
		assert_int_equal(vmk_pmap_enter_large(pm, c->va + len, UNMANAGED_PA, S2M, RW, 0), 0);
	if (c->zero_table) {
		vmk_vaddr_t z = c->va + c->zero_at * S2M + 3 * S4K;

		/* The kernel keeps the emptied level-0 table: NOREPLACE replaces a table of zeros. */
		assert_int_equal(vmk_pmap_enter(pm, z, PMT_DATA, RW, 0), 0);
		assert_int_equal(vmk_pmap_remove(pm, z, z + S4K), 0);
	}
	return pm;
}

/* The loop the batched call must equal. */
static int loop_large(struct vmk_pmap *pm, const struct dcase *c)
{
	vmk_size_t bs = PT_SIZE(c->lvl);

	for (uint64_t i = 0; i < c->n; i++) {
		int r = vmk_pmap_enter_large(pm, c->va + i * bs, c->pa + i * bs, bs, c->prot,
					     c->flags | VMK_PMAP_ENTER_NOREPLACE);

		if (r)
			return r;
	}
	return 0;
}

/* What one way of entering leaves: snapshot, and each block as extracted (at a page inside it). */
struct result {
	struct pmt_snap s;
	struct vmk_pmap_mapping m[MAXB];
};

static void run(const struct dcase *c, bool batched, struct result *out)
{
	struct vmk_pmap *pm = setup(c);
	vmk_size_t bs = PT_SIZE(c->lvl);

	if (batched)
		assert_int_equal(vmk_pmap_enter_blocks(pm, c->va, c->pa, c->n * bs, bs, c->prot, c->flags), 0);
	else
		assert_int_equal(loop_large(pm, c), 0);
	pmt_check(pm);
	pmt_snap_take(pm, &out->s);
	memset(out->m, 0, sizeof(out->m));
	for (uint64_t i = 0; i < c->n; i++) {
		struct vmk_pmap_mapping m = pmt_extract(pm, c->va + i * bs + 5 * S4K);

		/* Field by field: no padding compared. */
		out->m[i].pa = m.pa;
		out->m[i].size = m.size;
		out->m[i].prot = m.prot;
		out->m[i].memtype = m.memtype;
		out->m[i].user = m.user;
		out->m[i].global = m.global;
		out->m[i].wired = m.wired;
		out->m[i].managed = m.managed;
		out->m[i].nopromote = m.nopromote;
		out->m[i].accessed = m.accessed;
		out->m[i].dirty = m.dirty;
		assert_true(m.pa == c->pa + i * bs + 5 * S4K);
	}
	if (c->kernel)
		pmt_shutdown();
	else {
		pmt_drop_user(pm);
		pmt_shutdown();
	}
}

static struct result res_a, res_b;

/* Random ranges (deterministic per printed seed): the batched call equals the loop. */
static void test_differential(void **state)
{
	enum vmk_pmap_arch_id arch = ARCH_OF(state);
	unsigned long seed = th_seed();
	uint64_t rng = seed * 2654435761u + 7 + arch;
	unsigned int promoted = 0, cases = 14;

	printf("enter_blocks differential (%s): seed %lu, %u cases\n", pmt_arch_name(arch), seed, cases);
	for (unsigned int i = 0; i < cases; i++) {
		struct dcase c = draw(arch, &rng);

		run(&c, false, &res_a);
		run(&c, true, &res_b);
		if (memcmp(&res_a.s.st, &res_b.s.st, sizeof(res_a.s.st)) || res_a.s.hash != res_b.s.hash)
			printf("case %u: %s lvl %u va %#llx pa %#llx n %llu flags %#x np %d before %d after %d zero %d@%llu\n",
			       i, c.kernel ? "kernel" : "user", c.lvl, (unsigned long long)c.va,
			       (unsigned long long)c.pa, (unsigned long long)c.n, c.flags, c.np, c.page_before,
			       c.block_after, c.zero_table, (unsigned long long)c.zero_at);
		if ((c.flags & VMK_PMAP_ENTER_MANAGED) && res_b.s.st.promotions) {
			/*
			 * The one documented difference: the batched call has every
			 * PV entry before a promotion frees 511 of them, where the
			 * loop reused them, so it may keep more chunk pages (and
			 * tables sit elsewhere). The mappings are the same.
			 */
			assert_true(res_b.s.st.pv_chunks >= res_a.s.st.pv_chunks);
			res_b.s.st.pv_chunks = res_a.s.st.pv_chunks;
			assert_memory_equal(&res_a.s.st, &res_b.s.st, sizeof(res_a.s.st));
		} else {
			pmt_snap_same(&res_a.s, &res_b.s);
		}
		assert_memory_equal(res_a.m, res_b.m, sizeof(res_a.m));
		promoted += res_b.s.st.promotions > 0;
	}
	printf("%u cases promoted\n", promoted);
}

/* The same cases fixed: a promotion, a kernel table of zeros, 1 GiB blocks, the general path. */
static void test_differential_fixed(void **state)
{
	enum vmk_pmap_arch_id arch = ARCH_OF(state);
	struct dcase cs[] = {
		/* user, two whole tables and a piece: two promotions */
		{ .lvl = 1, .va = UVA, .pa = UNMANAGED_PA, .n = 1024 + 100, .prot = RW },
		/* kernel, a table of zeros in the middle, wired */
		{ .kernel = true, .lvl = 1, .n = 700, .prot = RW, .flags = VMK_PMAP_ENTER_WIRED, .zero_table = true,
		  .zero_at = 350 },
		/* user, managed (the general path), crossing a table */
		{ .lvl = 1, .va = UVA + 500 * S2M, .pa = PMT_DATA, .n = 30, .prot = RW, .flags = VMK_PMAP_ENTER_MANAGED },
		/* kernel, 1 GiB blocks */
		{ .kernel = true, .lvl = 2, .n = 3, .prot = VMK_PROT_READ },
		/* user, 1 GiB managed */
		{ .lvl = 2, .va = UVA, .pa = PMT_DATA, .n = 2, .prot = RW, .flags = VMK_PMAP_ENTER_MANAGED },
		/* user, a no-promote range over a whole table, and a page before */
		{ .lvl = 1, .va = UVA, .pa = UNMANAGED_PA, .n = 600, .prot = RW, .np = true, .block_after = true },
		/* kernel, keep-spare */
		{ .kernel = true, .lvl = 1, .n = 20, .prot = RW, .flags = VMK_PMAP_ENTER_KEEP_SPARE, .page_before = true },
	};

	for (unsigned int i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		struct dcase c = cs[i];

		c.arch = arch;
		if (c.kernel) {
			c.va = kbase();		/* the default levels' window */
			c.pa = UNMANAGED_PA;
		}
		run(&c, false, &res_a);
		run(&c, true, &res_b);
		pmt_snap_same(&res_a.s, &res_b.s);
		assert_memory_equal(res_a.m, res_b.m, sizeof(res_a.m));
		if (i == 0)
			assert_int_equal(res_b.s.st.promotions, 2);
		if (i == 5)
			assert_int_equal(res_b.s.st.promotions, 0);
	}
}

/* Something mapped at the first, a middle or the last block: -VMK_EEXIST, nothing changed, nothing allocated. */
static void test_eexist(void **state)
{
	enum vmk_pmap_arch_id arch = ARCH_OF(state);

	for (unsigned int kernel = 0; kernel < 2; kernel++) {
		for (unsigned int what = 0; what < 3; what++) {
			for (unsigned int where = 0; where < 3; where++) {
				struct vmk_pmap *pm;
				struct pmt_snap s0, s1;
				vmk_vaddr_t base, va, x;
				uint64_t n = 600, at = where == 0 ? 0 : where == 1 ? 300 : n - 1;
				int r = 0;

				pmt_boot_arch(arch);
				pm = kernel ? vmk_pmap_kernel() : pmt_user(false);
				base = kernel ? kbase() : UVA;
				va = base + 100 * S2M;
				x = va + at * S2M;
				/* Something below the range already, so that its tables exist in part. */
				assert_int_equal(vmk_pmap_enter(pm, base - S4K, PMT_DATA, RW, 0), 0);
				if (what == 0)		/* one 4 KiB page */
					r = vmk_pmap_enter(pm, x + 7 * S4K, PMT_DATA, RW, 0);
				else if (what == 1)	/* one 2 MiB block */
					r = vmk_pmap_enter_large(pm, x, UNMANAGED_PA, S2M, RW, 0);
				else			/* a 1 GiB block above */
					r = vmk_pmap_enter_large(pm, x & ~(S1G - 1), UNMANAGED_PA, S1G, RW, 0);
				assert_int_equal(r, 0);
				pmt_snap_take(pm, &s0);
				assert_int_equal(vmk_pmap_enter_blocks(pm, va, UNMANAGED_PA, n * S2M, S2M, RW, 0),
						 -VMK_EEXIST);
				pmt_snap_take(pm, &s1);
				pmt_snap_same(&s0, &s1);
				/* Even with every allocation failing, it is the overlap that is reported. */
				vmk_sim_fail_nth(0, "", true);
				assert_int_equal(vmk_pmap_enter_blocks(pm, va, UNMANAGED_PA, n * S2M, S2M, RW,
								       VMK_PMAP_ENTER_WIRED), -VMK_EEXIST);
				vmk_sim_fail_off();
				pmt_snap_take(pm, &s1);
				pmt_snap_same(&s0, &s1);
				/* 1 GiB blocks over the same: refused too. */
				if (!(kernel && !vmk_pmap__block_ok(pm, 2)))
					assert_int_equal(vmk_pmap_enter_blocks(pm, x & ~(S1G - 1), UNMANAGED_PA, 2 * S1G,
									       S1G, RW, 0), -VMK_EEXIST);
				pmt_snap_take(pm, &s1);
				pmt_snap_same(&s0, &s1);
				pmt_check(pm);
				if (!kernel)
					pmt_drop_user(pm);
				pmt_shutdown();
			}
		}
	}
}

/* Bad arguments: -VMK_EINVAL, nothing changed. */
static void test_einval(void **state)
{
	enum vmk_pmap_arch_id arch = ARCH_OF(state);
	struct vmk_pmap *u, *k;
	struct pmt_snap su0, su1, sk0, sk1;
	vmk_vaddr_t kb, utop;
	vmk_paddr_t patop;

	u = pmt_boot_user(arch);
	k = vmk_pmap_kernel();
	kb = kbase();
	/* The first address past the user half, and past the descriptor's output address. */
	utop = 1ull << (vmk_pmap__g.arch->split_roots ? vmk_pmap__g.va_bits : vmk_pmap__g.va_bits - 1);
	patop = (vmk_pmap__g.arch->page_pa_mask | VMK_PAGE_MASK) + 1;
	pmt_snap_take(u, &su0);
	pmt_snap_take(k, &sk0);
	assert_int_equal(vmk_pmap_enter_blocks(NULL, UVA, UNMANAGED_PA, S2M, S2M, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_blocks(u, UVA + S4K, UNMANAGED_PA, S2M, S2M, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_blocks(u, UVA, UNMANAGED_PA + S4K, S2M, S2M, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_blocks(u, UVA, UNMANAGED_PA, S2M + S4K, S2M, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_blocks(u, UVA, UNMANAGED_PA, 0, S2M, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_blocks(u, UVA, UNMANAGED_PA, S2M, S4K, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_blocks(u, UVA, UNMANAGED_PA, 4 * S2M, 2 * S2M, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_blocks(u, 0, UNMANAGED_PA, PT_SIZE(3), PT_SIZE(3), RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_blocks(u, UVA, UNMANAGED_PA, S1G + S2M, S1G, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_blocks(u, UVA + S2M, UNMANAGED_PA, S1G, S1G, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_blocks(u, UVA, UNMANAGED_PA, S2M, S2M, VMK_PROT_NONE, 0), -VMK_EINVAL);
	/* A PA beyond the descriptor's output address, first or last block. */
	assert_int_equal(vmk_pmap_enter_blocks(u, UVA, patop, S2M, S2M, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_blocks(u, UVA, patop - S2M, 2 * S2M, S2M, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_blocks(u, UVA, ~(S2M - 1), 2 * S2M, S2M, RW, 0), -VMK_EINVAL);
	/* Out of the half: user past its top, kernel below its window, a range wrapping. */
	assert_int_equal(vmk_pmap_enter_blocks(u, utop - S2M, UNMANAGED_PA, 2 * S2M, S2M, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_blocks(u, utop - S2M, UNMANAGED_PA, S2M, S2M, RW, 0), 0);
	assert_int_equal(vmk_pmap_remove(u, utop - S2M, utop), 0);
	assert_int_equal(vmk_pmap_enter_blocks(u, kb, UNMANAGED_PA, S2M, S2M, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_blocks(k, UVA, UNMANAGED_PA, S2M, S2M, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_blocks(k, pmt_kva() - S2M, UNMANAGED_PA, 2 * S2M, S2M, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_blocks(k, ~(S2M - 1), UNMANAGED_PA, S2M, S2M, RW, 0), -VMK_EINVAL);
	/* Managed without a page record for the last block. */
	assert_int_equal(vmk_pmap_enter_blocks(u, UVA, PMT_RAM_END - S2M, 2 * S2M, S2M, RW, VMK_PMAP_ENTER_MANAGED),
			 -VMK_EINVAL);
	/* A user memory type other than write-back outside a device window. */
	assert_int_equal(vmk_pmap_enter_blocks(u, UVA, UNMANAGED_PA, S2M, S2M, RW,
					       VMK_PMAP_MEMTYPE(VMK_MEMTYPE_DEVICE)), -VMK_EINVAL);
	pmt_snap_take(u, &su1);
	pmt_snap_take(k, &sk1);
	pmt_snap_same(&su0, &su1);
	pmt_snap_same(&sk0, &sk1);
	pmt_drop_user(u);
	pmt_shutdown();
}

/* Levels a block may not be at: no 1 GiB pages; the kernel at the top of a shared Sv39 root. */
static void test_einval_levels(void **state)
{
	enum vmk_pmap_arch_id arch = ARCH_OF(state);
	struct pmt_opts o = { .arch = arch, .no_1g = true };
	struct vmk_pmap *u, *k;
	struct pmt_snap s0, s1;

	pmt_boot(&o);
	u = pmt_user(false);
	k = vmk_pmap_kernel();
	pmt_snap_take(k, &s0);
	assert_int_equal(vmk_pmap_enter_blocks(u, UVA, UNMANAGED_PA, S1G, S1G, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_blocks(k, kbase(), UNMANAGED_PA, S1G, S1G, RW, 0), -VMK_EINVAL);
	assert_int_equal(vmk_pmap_enter_blocks(k, kbase(), UNMANAGED_PA, S1G, S2M, RW, 0), 0);
	pmt_check(k);
	pmt_drop_user(u);
	pmt_shutdown();
	if (arch == VMK_PMAP_ARCH_RISCV64) {
		struct pmt_opts o3 = { .arch = arch, .levels = 3 };

		pmt_boot(&o3);
		k = vmk_pmap_kernel();
		u = pmt_user(false);
		pmt_snap_take(k, &s0);
		assert_int_equal(vmk_pmap_enter_blocks(k, kbase(), UNMANAGED_PA, S1G, S1G, RW, 0), -VMK_EINVAL);
		pmt_snap_take(k, &s1);
		pmt_snap_same(&s0, &s1);
		/* A user root is not shared at the top: 1 GiB there is a block of its own. */
		assert_int_equal(vmk_pmap_enter_blocks(u, UVA, UNMANAGED_PA, 2 * S1G, S1G, RW, 0), 0);
		assert_true(pmt_extract(u, UVA + S1G + 5).size == S1G);
		pmt_drop_user(u);
		pmt_shutdown();
	}
	(void)s1;
}

/*
 * Every allocation failing in turn (PTPs, PV chunks, spares, marks):
 * -VMK_ENOMEM, nothing mapped, no page lost, the checker clean; user: the
 * whole snapshot as before; kernel: PTPs it linked stay, counted.
 */
static unsigned int sweep(enum vmk_pmap_arch_id arch, bool kernel, unsigned int lvl, uint64_t n, uint32_t flags,
		  vmk_paddr_t pa)
{
	struct vmk_pmap *pm;
	vmk_size_t bs = PT_SIZE(lvl);
	vmk_vaddr_t va;
	unsigned int nfail = 0;

	pmt_boot_arch(arch);
	pm = kernel ? vmk_pmap_kernel() : pmt_user(false);
	va = (kernel ? kbase() : UVA) + (lvl == 1 ? 300 * S2M : 0);
	/* A table already there for part of the range. */
	assert_int_equal(vmk_pmap_enter(pm, va - S4K, PMT_DATA, RW, 0), 0);
	for (unsigned int f = 0;; f++) {
		struct pmt_snap s0, s1;
		int r;

		pmt_snap_take(pm, &s0);
		vmk_sim_fail_nth(f, "pmap.", false);
		r = vmk_pmap_enter_blocks(pm, va, pa, n * bs, bs, RW, flags);
		vmk_sim_fail_off();
		if (r == 0)
			break;
		assert_int_equal(r, -VMK_ENOMEM);
		nfail++;
		pmt_check(pm);
		pmt_snap_take(pm, &s1);
		if (!kernel) {
			pmt_snap_same(&s0, &s1);
		} else {
			/* Nothing mapped; the new pages are exactly the kernel tables it linked. */
			assert_memory_equal(s0.st.mappings, s1.st.mappings, sizeof(s0.st.mappings));
			assert_true(s0.st.resident == s1.st.resident && s0.st.wired == s1.st.wired);
			assert_true(s0.st.pv_entries == s1.st.pv_entries && s0.st.spare_ptps == s1.st.spare_ptps);
			assert_int_equal(s1.ptp + s1.alloc - (s0.ptp + s0.alloc),
					 (s1.st.ptps + s1.st.reserve_ptps + s1.st.pv_chunks) -
					 (s0.st.ptps + s0.st.reserve_ptps + s0.st.pv_chunks));
		}
	}
	assert_int_equal(pmt_stats(pm).mappings[lvl], n);
	pmt_check(pm);
	if (!kernel)
		pmt_drop_user(pm);
	pmt_shutdown();
	return nfail;
}

static void test_enomem_sweep(void **state)
{
	enum vmk_pmap_arch_id arch = ARCH_OF(state);

	/* The fast path: new level-1 (and level-2) tables as the run crosses 1 GiB boundaries. */
	assert_true(sweep(arch, false, 1, 1400, 0, UNMANAGED_PA) >= 3);
	assert_true(sweep(arch, true, 1, 1400, VMK_PMAP_ENTER_WIRED, UNMANAGED_PA) >= 2);
	/* The general path: managed (PV chunks), keep-spare (a spare each), no-promote marks (riscv64). */
	assert_true(sweep(arch, false, 1, 40, VMK_PMAP_ENTER_MANAGED, PMT_DATA) >= 1);
	assert_true(sweep(arch, true, 1, 40, VMK_PMAP_ENTER_KEEP_SPARE, UNMANAGED_PA) >= 40);
	assert_true(sweep(arch, true, 1, 40, VMK_PMAP_ENTER_NOPROMOTE, UNMANAGED_PA) >= (vmk_pmap__g.marks ? 1u : 0u));
	assert_true(sweep(arch, false, 2, 2, VMK_PMAP_ENTER_MANAGED, PMT_DATA) >= 1);
}

/* Full user tables become 1 GiB blocks at the end of the call; a no-promote range stays 2 MiB. */
static void test_promotion(void **state)
{
	enum vmk_pmap_arch_id arch = ARCH_OF(state);
	struct vmk_pmap *u = pmt_boot_user(arch);
	struct vmk_pmap_stats st;

	assert_int_equal(vmk_pmap_enter_blocks(u, UVA, UNMANAGED_PA, 2 * S1G + 4 * S2M, S2M, RW, 0), 0);
	st = pmt_stats(u);
	assert_int_equal(st.promotions, 2);
	assert_int_equal(st.mappings[2], 2);
	assert_int_equal(st.mappings[1], 4);
	assert_true(pmt_extract(u, UVA + S1G + 77 * S2M).size == S1G);
	assert_true(pmt_extract(u, UVA + 2 * S1G + S2M).size == S2M);
	pmt_check(u);
	/* Not 1 GiB-aligned in PA: full, but no promotion (a counted failure). */
	assert_int_equal(vmk_pmap_enter_blocks(u, UVA + 4 * S1G, UNMANAGED_PA + S2M, S1G, S2M, RW, 0), 0);
	st = pmt_stats(u);
	assert_int_equal(st.promotions, 2);
	assert_int_equal(st.promotion_failures, 1);
	/* A no-promote range: the blocks carry the bit, the full table stays. */
	assert_int_equal(vmk_pmap_protect_bbm(u, UVA + 6 * S1G, S1G, VMK_PMAP_BBM_NOPROMOTE), 0);
	assert_int_equal(vmk_pmap_enter_blocks(u, UVA + 6 * S1G, UNMANAGED_PA, S1G, S2M, RW, 0), 0);
	st = pmt_stats(u);
	assert_int_equal(st.promotions, 2);
	assert_int_equal(st.mappings[1], 4 + 512 + 512);
	assert_true(pmt_extract(u, UVA + 6 * S1G + 3 * S2M).nopromote);
	pmt_drop_user(u);
	pmt_shutdown();
	/* Promotion off: nothing promoted. */
	{
		struct pmt_opts o = { .arch = arch, .no_promote = true };

		pmt_boot(&o);
		u = pmt_user(false);
		assert_int_equal(vmk_pmap_enter_blocks(u, UVA, UNMANAGED_PA, S1G, S2M, RW, 0), 0);
		assert_int_equal(pmt_stats(u).promotions, 0);
		assert_int_equal(pmt_stats(u).mappings[1], 512);
		pmt_drop_user(u);
		pmt_shutdown();
	}
}

/* A kernel direct map in one call: counts, no spares, the reserve full, the cached table the linked one. */
static void test_kernel_direct_map(void **state)
{
	struct vmk_pmap *k;
	struct vmk_pmap_stats st0, st;
	vmk_vaddr_t b;

	pmt_boot_arch(ARCH_OF(state));
	k = vmk_pmap_kernel();
	b = kbase();
	vmk_pmap_stats(k, &st0);
	assert_int_equal(vmk_pmap_enter_blocks(k, b, 0, 3 * S1G, S2M, RW, 0), 0);
	vmk_pmap_stats(k, &st);
	assert_int_equal(st.mappings[1] - st0.mappings[1], 3 * 512);
	assert_int_equal(st.spare_ptps, st0.spare_ptps);
	assert_int_equal(st.reserve_ptps, VMK_PMAP_KPOOL);
	assert_int_equal(st.promotions, 0);
	assert_true(pmt_extract(k, b + S1G + 3 * S2M + 4096).pa == S1G + 3 * S2M + 4096);
	pmt_check(k);
	/* Again: all of it is mapped now. */
	assert_int_equal(vmk_pmap_enter_blocks(k, b + S1G, S1G, S2M, S2M, RW, 0), -VMK_EEXIST);
	/* Then a piece removed and entered again: the kernel table it kept is reused. */
	assert_int_equal(vmk_pmap_remove(k, b + S1G, b + 2 * S1G), 0);
	assert_int_equal(vmk_pmap_enter_blocks(k, b + S1G, S1G, S1G, S2M, RW, 0), 0);
	pmt_check(k);
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_differential),
		T(test_differential_fixed),
		T(test_eexist),
		T(test_einval),
		T(test_einval_levels),
		T(test_enomem_sweep),
		T(test_promotion),
		T(test_kernel_direct_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
