/*
 * vmk_pmap_enter_blocks: a run of 2 MiB or 1 GiB blocks in one call, as
 * a kernel maps its direct map (Linux's kernel_physical_mapping_init,
 * arm64's __create_pgd_mapping): one lock, one table lookup per level-1
 * table, then per block one store of template | pa.
 *
 * Two passes under the lock. The first reads only: anything mapped in
 * the range is -VMK_EEXIST before any page is allocated or any entry
 * written. The second enters, and can then only run out of memory; the
 * blocks it entered are removed again (PTPs it linked freed, or for the
 * kernel kept, as every kernel enter keeps them). Promotion is tried at
 * the end, once per table, so the undo never meets a block it did not
 * enter.
 */
#include "pmap_internal.h"

/*
 * The read-only pass over n level-lvl blocks from va: 0 if every one may
 * be entered as vmk_pmap_enter_large with NOREPLACE would (an entry that
 * is not valid, or for the kernel a table of zeros), else -VMK_EEXIST
 * (a valid entry, a table with anything in it, a larger block above).
 * *zero: every entry of the range that exists is zero (nothing to replace).
 */
static int range_free(struct vmk_pmap *pm, vmk_vaddr_t va, uint64_t n, unsigned int lvl, bool *zero)
{
	const struct vmk_pmap_arch *arch = vmk_pmap__g.arch;
	vmk_size_t bs = VMK_PT_SIZE(lvl);
	uint64_t i = 0;

	*zero = true;
	while (i < n) {
		vmk_vaddr_t v = va + i * bs;
		vmk_paddr_t t = pm->root;
		unsigned int l = vmk_pmap__g.top, idx;
		uint64_t cnt;
		vmk_pte_t *tbl;

		vmk_pte_t e = 0;

		for (; l > lvl; l--) {
			e = vmk_pmap__pte_load(&vmk_pmap__table(t)[VMK_PT_INDEX(v, l)]);
			if (!arch->is_table(e, l))
				break;
			t = arch->pa_of(e, l);
		}
		if (l > lvl) {
			vmk_size_t span = VMK_PT_SIZE(l);

			if (arch->is_valid(e, l))
				return -VMK_EEXIST;	/* a larger block above: never demoted */
			/* Nothing below this entry: skip what it spans. */
			i += VMK_MIN((span - (v & (span - 1))) / bs, n - i);
			continue;
		}
		tbl = vmk_pmap__table(t);
		idx = VMK_PT_INDEX(v, lvl);
		cnt = VMK_MIN((uint64_t)(VMK_PT_ENTRIES - idx), n - i);
		for (uint64_t k = 0; k < cnt; k++) {
			e = vmk_pmap__pte_load_relaxed(&tbl[idx + k]);
			if (e == 0)
				continue;
			*zero = false;
			if (arch->is_table(e, lvl)) {
				/* Only a kernel table of zeros may go (kernel PTPs are never freed). */
				if (!pm->kernel || !vmk_pmap__every_pte_zero(arch->pa_of(e, lvl)))
					return -VMK_EEXIST;
			} else if (arch->is_valid(e, lvl)) {
				return -VMK_EEXIST;
			}
		}
		i += cnt;
	}
	return 0;
}

/* n blocks from (va, pa) through the general path, one by one; *done counts those entered. */
static int blocks_general(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_paddr_t pa, uint64_t n, unsigned int lvl,
			  uint32_t prot, uint32_t flags, uint64_t *done)
{
	vmk_size_t bs = VMK_PT_SIZE(lvl);

	for (uint64_t k = 0; k < n; k++) {
		struct vmk_page *head = (flags & VMK_PMAP_ENTER_MANAGED) ? vmk_pa_to_page(pa + k * bs) : NULL;
		int err = vmk_pmap__large_one(pm, va + k * bs, pa + k * bs, lvl, prot, flags, head);

		if (err)
			return err;
		(*done)++;
	}
	return 0;
}

/*
 * The run of cnt 2 MiB blocks from (v, pa) inside one level-1 table, the
 * fast way when it can: every entry zero (known so when zero: the
 * read-only pass saw nothing, and only this call has written since),
 * unmanaged, no spare, no mark to record by address, no no-promote range.
 * *done counts those entered.
 */
static int blocks_run(struct vmk_pmap *pm, vmk_vaddr_t v, vmk_paddr_t pa, uint64_t cnt, uint32_t prot,
		      uint32_t flags, bool zero, uint64_t *done)
{
	unsigned int idx = VMK_PT_INDEX(v, 1);
	struct vmk_page *pg;
	vmk_pte_t *tbl, tmpl, used = 0;
	vmk_paddr_t t;
	uint32_t a;
	int err = 0;

	/* The table, with a hold for the first entry (user pmaps). */
	if (vmk_pmap__mid_hit(pm, v)) {
		t = pm->mid.pa;
		tbl = pm->mid.tbl;
		pg = pm->mid.pg;
		vmk_pmap__ptp_hold(pm, t);
	} else {
		t = vmk_pmap__get_table(pm, v, 1, false, &err);
		if (!t)
			return err;
		tbl = vmk_pmap__table(t);
		pg = vmk_pa_to_page(t);
	}
	for (uint64_t k = 0; !zero && k < cnt; k++)
		used |= vmk_pmap__pte_load_relaxed(&tbl[idx + k]);
	if (used || (pm->nnp && vmk_pmap__in_np(pm, v, cnt * VMK_PT_SIZE(1)))) {
		/* A kernel table of zeros to replace, or no-promote blocks: the hold keeps a new table alive. */
		err = blocks_general(pm, v, pa, cnt, 1, prot, flags, done);
		vmk_pmap__abort_ptp(pm, v, 1, t);
		return err;
	}
	tmpl = vmk_pmap__block_tmpl(pm, prot, flags, &a);
	VMK_ASSERT(tmpl == vmk_pmap__g.arch->make_leaf(0, 1, a), "the 2 MiB template at %#llx is not the leaf",
		   (unsigned long long)v);
	/* Consecutive blocks' entries differ by the output address of 2 MiB (the same bits at every level). */
	{
		vmk_pte_t e = tmpl | vmk_pmap__pte_pa(pa), step = vmk_pmap__pte_pa(VMK_PT_SIZE(1));
		vmk_pte_t *p = &tbl[idx], *end = p + cnt;

		for (; p < end; p++, e += step)
			vmk_pmap__pte_store(p, e);
	}
	/* One publication for the table's new entries: PTE_STORE (and ISB for the kernel) before any use. */
	vmk_pmap__tlb_made(pm);
	if (!pm->kernel && t != pm->root) {
		VMK_ASSERT(pg->ref_count + (cnt - 1) <= VMK_PT_ENTRIES,
			   "PTP %#llx holds more than 512 entries", (unsigned long long)t);
		pg->ref_count += (uint32_t)(cnt - 1);	/* the hold counts the first */
	}
	vmk_pmap__count_leaf(pm, 1, (int)cnt);
	if (a & VMK_PTE_A_WIRED)
		pm->st.wired += cnt * VMK_PT_ENTRIES;
	*done += cnt;
	return 0;
}

/* Remove the n level-lvl blocks from va this call entered. */
static void blocks_undo(struct vmk_pmap *pm, vmk_vaddr_t va, uint64_t n, unsigned int lvl)
{
	struct vmk_pmap_batch b = { .free = NULL };

	for (uint64_t i = 0; i < n; i++) {
		vmk_vaddr_t v = va + i * VMK_PT_SIZE(lvl);
		unsigned int l;
		vmk_paddr_t t;
		vmk_pte_t *p = vmk_pmap__walk(pm, v, &l, &t);

		VMK_ASSERT(l == lvl && vmk_pmap__is_leaf(vmk_pmap__pte_load(p), lvl),
			   "block %#llx entered by this call is gone", (unsigned long long)v);
		vmk_pmap__remove_leaf(pm, p, v, lvl, t, false, &b);
	}
	vmk_pmap__batch_flush(pm, &b);
}

/* True if every block may be entered managed (vmk_pmap__block_head). */
static bool heads_ok(vmk_paddr_t pa, uint64_t n, vmk_size_t bs)
{
	for (uint64_t i = 0; i < n; i++)
		if (!vmk_pmap__block_head(pa + i * bs, bs))
			return false;
	return true;
}

int vmk_pmap_enter_blocks(struct vmk_pmap *pm, vmk_vaddr_t va, vmk_paddr_t pa, vmk_size_t len, vmk_size_t block,
			  uint32_t prot, uint32_t flags)
{
	unsigned int lvl = block == VMK_PT_SIZE(1) ? 1 : block == VMK_PT_SIZE(2) ? 2 : 0;
	vmk_paddr_t mask;
	uint64_t n, done = 0;
	bool fast, zero;
	int err;

	if (!pm || !lvl || !vmk_pmap__block_ok(pm, lvl) || len == 0 || (len & (block - 1)) ||
	    ((va | pa) & (block - 1)))
		return -VMK_EINVAL;
	n = len / block;
	mask = vmk_pmap__g.arch->page_pa_mask;
	if (pa + (len - block) < pa || (pa & ~mask) || ((pa + (len - block)) & ~mask) ||
	    !vmk_pmap__range_ok(pm, va, va + len) || !vmk_pmap__prot_ok(pm, va, len, prot, flags))
		return -VMK_EINVAL;
	if ((flags & VMK_PMAP_ENTER_MANAGED) && !heads_ok(pa, n, block))
		return -VMK_EINVAL;
	if (!pm->kernel)
		flags &= ~(uint32_t)VMK_PMAP_ENTER_KEEP_SPARE;
	flags |= VMK_PMAP_ENTER_NOREPLACE;	/* the range must be unmapped */
	fast = lvl == 1 && !(flags & (VMK_PMAP_ENTER_MANAGED | VMK_PMAP_ENTER_KEEP_SPARE)) &&
	       !(vmk_pmap__g.marks && (flags & VMK_PMAP_ENTER_NOPROMOTE));
	vmk_pmap__lock(pm);
	err = range_free(pm, va, n, lvl, &zero);
	if (err)
		goto out;
	if (!fast) {
		err = blocks_general(pm, va, pa, n, lvl, prot, flags, &done);
	} else {
		/* One level-1 table per round. */
		while (done < n) {
			vmk_vaddr_t v = va + done * block;
			uint64_t cnt = VMK_MIN((uint64_t)(VMK_PT_ENTRIES - VMK_PT_INDEX(v, 1)), n - done);

			err = blocks_run(pm, v, pa + done * block, cnt, prot, flags, zero, &done);
			if (err)
				break;
		}
	}
	if (err) {
		blocks_undo(pm, va, done, lvl);
	} else if (vmk_pmap__g.promote) {
		/* Each table the run touched (no-promote blocks are refused and counted there). */
		vmk_pmap__try_promote_range(pm, va, len, lvl + 1);
	}
out:
	if (pm->kernel && vmk_pmap__g.nkpool < VMK_PMAP_KPOOL)
		vmk_pmap__kpool_fill(pm);
	vmk_pmap__unlock(pm);
	return err;
}
