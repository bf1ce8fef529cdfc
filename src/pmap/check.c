/*
 * vmk_pmap_check: verify every invariant of a pmap by walking its tables
 * in hardware format. Used by the tests after every step and by the
 * fault-injection sweep.
 */
#include "pmap_internal.h"

struct chk {
	struct vmk_pmap *pm;
	char *msg;
	size_t len;
	int err;
	uint64_t ptps, leaves[3], resident, wired, managed, spares;
};

static void bad(struct chk *c, const char *fmt, ...) VMK_PRINTF(2, 3);
static void bad(struct chk *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err)
		return;
	c->err = -VMK_EINVAL;
	if (c->msg && c->len) {
		va_start(ap, fmt);
		vmk_vsnprintf(c->msg, c->len, fmt, ap);
		va_end(ap);
	}
}

/* The canonical virtual address of index i at lvl under base. */
static vmk_vaddr_t va_of(struct chk *c, vmk_vaddr_t base, unsigned int i, unsigned int lvl)
{
	vmk_vaddr_t va = base + ((vmk_vaddr_t)i << VMK_PT_SHIFT(lvl));

	if (lvl == vmk_pmap__g.top && c->pm->kernel) {
		if (vmk_pmap__g.arch->split_roots)
			va |= ~(vmk_vaddr_t)0 << vmk_pmap__g.va_bits;
		else if (va >> (vmk_pmap__g.va_bits - 1))
			va |= ~(vmk_vaddr_t)0 << (vmk_pmap__g.va_bits - 1);
	}
	return va;
}

/*
 * A 64 KiB run starting at run (va): all 16 entries contiguous leaves of
 * consecutive pages from a 64 KiB-aligned one, with one set of
 * attributes but for accessed/dirty (the hardware sets those per entry).
 */
static void check_run(struct chk *c, const vmk_pte_t *run, vmk_vaddr_t va)
{
	vmk_pte_t e0 = vmk_pmap__pte_load(&run[0]);
	uint32_t a0 = vmk_pmap__g.arch->attrs_of(e0, 0) & ~(uint32_t)(VMK_PTE_A_ACCESSED | VMK_PTE_A_DIRTY);
	vmk_paddr_t pa0 = vmk_pmap__leaf_pa(e0, 0, va);

	/*
	 * Never no-promote, by bit (arm64) or by range (riscv64 has no bit):
	 * an unfold would break it. The encoding too (riscv64 ppn[0][3:0] =
	 * 0b1000): every entry is what fold() makes of its plain leaf, or
	 * the walk page-faults.
	 */
	if ((pa0 & (VMK_PMAP_CONT_SIZE - 1)) || (a0 & VMK_PTE_A_NOPROMOTE) ||
	    vmk_pmap__in_np(c->pm, va, VMK_PMAP_CONT_SIZE) ||
	    vmk_pmap__g.arch->fold(vmk_pmap__g.arch->unfold(e0, 0)) != e0)
		bad(c, "64 KiB run at %#llx: output %#llx misaligned, no-promote or misencoded", (unsigned long long)va,
		    (unsigned long long)pa0);
	for (unsigned int j = 1; j < VMK_PMAP_CONT_PAGES && !c->err; j++) {
		vmk_pte_t e = vmk_pmap__pte_load(&run[j]);
		vmk_vaddr_t v = va + ((vmk_vaddr_t)j << VMK_PAGE_SHIFT);

		if (!vmk_pmap__is_cont(e, 0) || vmk_pmap__leaf_pa(e, 0, v) != pa0 + ((vmk_paddr_t)j << VMK_PAGE_SHIFT) ||
		    vmk_pmap__g.arch->fold(vmk_pmap__g.arch->unfold(e, j)) != e ||
		    (vmk_pmap__g.arch->attrs_of(e, 0) & ~(uint32_t)(VMK_PTE_A_ACCESSED | VMK_PTE_A_DIRTY)) != a0)
			bad(c, "64 KiB run at %#llx: entry %u (%#llx) does not match entry 0 (%#llx)",
			    (unsigned long long)va, j, (unsigned long long)e, (unsigned long long)e0);
	}
}

/* No-promote marks kept by address (marks.c): only on valid leaves that are no run's, counted right. */
static void check_marks(struct chk *c, vmk_paddr_t t, unsigned int lvl, vmk_vaddr_t base)
{
	const vmk_pte_t *tbl = vmk_pmap__table(t);
	unsigned int n = 0;

	if (!vmk_pmap__marks_any(t))
		return;
	for (unsigned int i = 0; i < VMK_PT_ENTRIES && !c->err; i++) {
		vmk_pte_t e = vmk_pmap__pte_load(&tbl[i]);

		if (!vmk_pmap__mark_test(t, i))
			continue;
		n++;
		if (!vmk_pmap__is_leaf(e, lvl) || vmk_pmap__is_cont(e, lvl))
			bad(c, "no-promote mark on %s at %#llx level %u",
			    !vmk_pmap__is_leaf(e, lvl) ? "an entry that is no leaf" : "a 64 KiB run",
			    (unsigned long long)va_of(c, base, i, lvl), lvl);
	}
	if (!c->err && n != vmk_pmap__marks_count(t))
		bad(c, "table %#llx: %u no-promote marks, %u counted", (unsigned long long)t, n,
		    vmk_pmap__marks_count(t));
}

static void walk(struct chk *c, vmk_paddr_t t, unsigned int lvl, vmk_vaddr_t base)
{
	vmk_pte_t *tbl = vmk_pmap__table(t);
	bool shared_top = !c->pm->kernel && !vmk_pmap__g.arch->split_roots && lvl == vmk_pmap__g.top;

	if (vmk_pmap__g.marks)
		check_marks(c, t, lvl, base);

	for (unsigned int i = 0; i < VMK_PT_ENTRIES && !c->err; i++) {
		vmk_pte_t e = vmk_pmap__pte_load(&tbl[i]);
		vmk_vaddr_t va = va_of(c, base, i, lvl);

		if (!vmk_pmap__g.arch->is_valid(e, lvl) || (shared_top && i >= VMK_PT_ENTRIES / 2))
			continue;
		if (vmk_pmap__g.arch->is_table(e, lvl)) {
			vmk_paddr_t ct = vmk_pmap__g.arch->pa_of(e, lvl);
			struct vmk_page *pg = vmk_pa_to_page(ct);
			vmk_pte_t *ctbl = vmk_pmap__table(ct);
			unsigned int n = 0;

			if (!pg || vmk_page_state(pg) != VMK_PAGE_PTP) {
				bad(c, "table at %#llx level %u is not a PTP page", (unsigned long long)va, lvl);
				return;
			}
			for (unsigned int j = 0; j < VMK_PT_ENTRIES; j++)
				n += vmk_pmap__g.arch->is_valid(vmk_pmap__pte_load(&ctbl[j]), lvl - 1);
			if (c->pm->kernel && pg->ref_count != VMK_PMAP_KPTP_REF)
				bad(c, "kernel PTP for %#llx has ref_count %u, not the fixed %u",
				    (unsigned long long)va, pg->ref_count, VMK_PMAP_KPTP_REF);
			if (!c->pm->kernel && pg->ref_count != n)
				bad(c, "PTP for %#llx level %u: ref_count %u but %u valid entries",
				    (unsigned long long)va, lvl - 1, pg->ref_count, n);
			if (!c->pm->kernel && n == 0)
				bad(c, "empty user PTP left at %#llx", (unsigned long long)va);
			c->ptps++;
			walk(c, ct, lvl - 1, va);
			continue;
		}
		if (lvl > 2 || (lvl > 0 && !vmk_pmap__block_ok(c->pm, lvl))) {
			bad(c, "leaf at level %u (%#llx) where blocks are not allowed", lvl,
			    (unsigned long long)va);
			return;
		}
		{
			uint32_t a = vmk_pmap__marked(c->pm, vmk_pmap__g.arch->attrs_of(e, lvl), va, lvl, t);
			vmk_paddr_t pa = vmk_pmap__leaf_pa(e, lvl, va);

			if (lvl == 0 && vmk_pmap__is_cont(e, 0) && i % VMK_PMAP_CONT_PAGES == 0)
				check_run(c, &tbl[i], va);
			else if (lvl == 0 && vmk_pmap__is_cont(e, 0) && !vmk_pmap__is_cont(
					 vmk_pmap__pte_load(&tbl[i & ~(VMK_PMAP_CONT_PAGES - 1)]), 0))
				bad(c, "64 KiB run at %#llx: entry 0 is not part of it", (unsigned long long)va);

			/*
			 * Spares only where flagged: a kernel block entered with
			 * KEEP_SPARE must have one (its demotion must not
			 * allocate); only such blocks carry the bit.
			 */
			if ((a & VMK_PTE_A_KEEPSPARE) && (lvl == 0 || !c->pm->kernel))
				bad(c, "keep-spare bit on a %s leaf at %#llx", lvl ? "user" : "4 KiB",
				    (unsigned long long)va);
			else if ((a & VMK_PTE_A_KEEPSPARE) && !vmk_pmap__spare_has(c->pm, va, lvl))
				bad(c, "kernel block at %#llx entered with KEEP_SPARE has no spare PTP",
				    (unsigned long long)va);
			c->leaves[lvl]++;
			c->resident += (uint64_t)1 << (9 * lvl);
			if (a & VMK_PTE_A_WIRED)
				c->wired += (uint64_t)1 << (9 * lvl);
			if (!!(a & VMK_PTE_A_USER) == c->pm->kernel)
				bad(c, "mapping at %#llx has the wrong user bit", (unsigned long long)va);
			else if (vmk_pmap__leaf_insecure(c->pm, va, VMK_PT_SIZE(lvl), a))
				bad(c, "%s mapping at %#llx", vmk_pmap__leaf_insecure(c->pm, va, VMK_PT_SIZE(lvl), a),
				    (unsigned long long)va);
			if (a & VMK_PTE_A_MANAGED) {
				struct vmk_page *h = vmk_pmap__pv_head(pa, lvl);

				c->managed++;
				if (!h || !vmk_pmap__pv_find(h, c->pm, va, lvl))
					bad(c, "managed mapping at %#llx -> %#llx has no PV entry",
					    (unsigned long long)va, (unsigned long long)pa);
			}
		}
	}
}

/*
 * A spare serves a block at its address (its own, or a larger one it lies
 * in: dormant since that promotion). One allocated for the block
 * (reserved) exists only for a kernel block entered with KEEP_SPARE: any
 * other block that has a spare has the page-table page it was promoted
 * from or replaced, which existed anyway.
 */
static void check_spare(void *arg, struct vmk_page *pg, vmk_vaddr_t sva, unsigned int slvl, bool reserved)
{
	struct chk *c = arg;
	unsigned int l;
	vmk_pte_t se = vmk_pmap__pte_load(vmk_pmap__walk(c->pm, sva, &l, NULL));

	c->spares++;
	if (vmk_page_state(pg) != VMK_PAGE_PTP)
		bad(c, "spare PTP for %#llx is not a PTP page", (unsigned long long)sva);
	if (!vmk_pmap__g.arch->is_block(se, l) || l < slvl)
		bad(c, "spare PTP for %#llx level %u but no block maps it", (unsigned long long)sva, slvl);
	else if (reserved && (!c->pm->kernel ||
			      !(vmk_pmap__marked(c->pm, vmk_pmap__g.arch->attrs_of(se, l), sva, l, 0) &
				VMK_PTE_A_KEEPSPARE)))
		bad(c, "spare PTP allocated for %#llx level %u, a block not entered with KEEP_SPARE",
		    (unsigned long long)sva, slvl);
}

int vmk_pmap_check(struct vmk_pmap *pm, char *msg, size_t msglen)
{
	struct chk c;

	vmk_memset(&c, 0, sizeof(c));
	c.pm = pm;
	c.msg = msg;
	c.len = msglen;
	if (msg && msglen)
		msg[0] = '\0';
	vmk_pmap__lock(pm);
	vmk_pmap__pv_lock();
	c.ptps = 1;
	if (!pm->kernel && !vmk_pmap__g.arch->split_roots) {
		/* The kernel half of a shared root: the kernel's own top-level entries, unchanged since bootstrap. */
		const vmk_pte_t *u = vmk_pmap__table(pm->root), *k = vmk_pmap__table(vmk_pmap__g.kpmap.root);

		for (unsigned int i = VMK_PT_ENTRIES / 2; i < VMK_PT_ENTRIES && !c.err; i++)
			if (vmk_pmap__pte_load(&u[i]) != vmk_pmap__pte_load(&k[i]))
				bad(&c, "user root entry %u is not the kernel's (%#llx, the kernel has %#llx)", i,
				    (unsigned long long)vmk_pmap__pte_load(&u[i]),
				    (unsigned long long)vmk_pmap__pte_load(&k[i]));
	}
	walk(&c, pm->root, vmk_pmap__g.top, 0);
	vmk_pmap__spare_foreach(pm, check_spare, &c);
	if (pm->leaf.tbl) {
		/* The cached level-0 table must be the one linked for its va. */
		vmk_paddr_t parent;
		vmk_pte_t *pp = vmk_pmap__entry_at(pm, pm->leaf.va, 1, &parent);
		vmk_pte_t e = pp ? vmk_pmap__pte_load(pp) : 0;

		if (!pp || !vmk_pmap__g.arch->is_table(e, 1) || vmk_pmap__g.arch->pa_of(e, 1) != pm->leaf.pa ||
		    pm->leaf.tbl != vmk_pmap__table(pm->leaf.pa) || pm->leaf.pg != vmk_pa_to_page(pm->leaf.pa))
			bad(&c, "cached level-0 table %#llx is not the table linked for %#llx",
			    (unsigned long long)pm->leaf.pa, (unsigned long long)pm->leaf.va);
	}
	if (pm->mid.tbl) {
		/* So must the cached level-1 table. */
		vmk_pte_t *pp = vmk_pmap__entry_at(pm, pm->mid.va, 2, NULL);
		vmk_pte_t e = pp ? vmk_pmap__pte_load(pp) : 0;

		if (!pp || !vmk_pmap__g.arch->is_table(e, 2) || vmk_pmap__g.arch->pa_of(e, 2) != pm->mid.pa ||
		    pm->mid.tbl != vmk_pmap__table(pm->mid.pa) || pm->mid.pg != vmk_pa_to_page(pm->mid.pa))
			bad(&c, "cached level-1 table %#llx is not the table linked for %#llx",
			    (unsigned long long)pm->mid.pa, (unsigned long long)pm->mid.va);
	}
	if (c.ptps != pm->st.ptps)
		bad(&c, "%llu PTPs in the tables, %llu counted", (unsigned long long)c.ptps,
		    (unsigned long long)pm->st.ptps);
	for (unsigned int l = 0; l < 3; l++)
		if (c.leaves[l] != pm->st.mappings[l])
			bad(&c, "%llu level-%u leaves in the tables, %llu counted", (unsigned long long)c.leaves[l],
			    l, (unsigned long long)pm->st.mappings[l]);
	if (c.resident != pm->st.resident)
		bad(&c, "resident %llu, counted %llu", (unsigned long long)c.resident,
		    (unsigned long long)pm->st.resident);
	if (c.wired != pm->st.wired)
		bad(&c, "wired %llu, counted %llu", (unsigned long long)c.wired, (unsigned long long)pm->st.wired);
	if (c.managed != pm->st.pv_entries)
		bad(&c, "%llu managed mappings but %llu PV entries", (unsigned long long)c.managed,
		    (unsigned long long)pm->st.pv_entries);
	if (c.spares != pm->st.spare_ptps)
		bad(&c, "%llu spare PTPs, counted %llu", (unsigned long long)c.spares,
		    (unsigned long long)pm->st.spare_ptps);
	{
		/* The non-last-level requests are some of the requests counted by kind. */
		uint64_t all = 0;

		for (unsigned int k = 0; k < VMK_PMAP_TLB_KINDS; k++)
			all += pm->st.tlbi[k];
		if (pm->st.tlbi_nonleaf > all)
			bad(&c, "%llu non-last-level TLB requests among %llu", (unsigned long long)pm->st.tlbi_nonleaf,
			    (unsigned long long)all);
	}
	if (pm->kernel && pm->st.reserve_ptps != vmk_pmap__g.nkpool)
		bad(&c, "%u PTPs in the kernel reserve, counted %llu", vmk_pmap__g.nkpool,
		    (unsigned long long)pm->st.reserve_ptps);
	for (unsigned int i = 0; pm->kernel && i < vmk_pmap__g.nkpool; i++)
		if (vmk_page_state(vmk_pmap__g.kpool[i]) != VMK_PAGE_PTP)
			bad(&c, "a page of the kernel PTP reserve is not a PTP page");
	vmk_pmap__pv_unlock();
	vmk_pmap__unlock(pm);
	return c.err;
}
