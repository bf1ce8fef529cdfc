/*
 * Spare page-table pages, filed by the block they can demote.
 *
 * A block at (va, lvl) is an entry of a level-lvl table: its host. The
 * spares of a host's entries are found in O(1) through a directory of
 * 512 words, one per entry: the spare's record, with two flag bits (the
 * spare was allocated for a KEEP_SPARE block; the block's keep-spare
 * mark, where its entry has no bit for it). The directory needs no memory
 * of its own: a spare's contents mean nothing until it is taken (and
 * zeroed then), so the directory lives in one of the host's own spares,
 * and moves to another one when that spare is taken. The host's record
 * points to it (owner, see below).
 *
 * A host is a live table, or the spare of a larger block: the spares of
 * the 2 MiB pieces of a 1 GiB block (dormant since the promotion that
 * made it, or allocated with a KEEP_SPARE 1 GiB block) are filed under
 * the 1 GiB block's spare, the table a demotion makes of it. So the
 * directory goes with the page: a demotion that takes the spare finds the
 * pieces' spares filed under its new table, and a removal frees them with
 * the spare (vmk_pmap__spares_drop).
 *
 * The host's owner word: 0, or the directory's address | VMK_PMAP_OWNER_DIR,
 * or (a live table with no-promote marks, marks.c) the marks page, which
 * then keeps the directory's address.
 *
 * Every function here runs under the pmap's lock.
 */
#include "pmap_internal.h"

#define SPARE_RESERVED	1ull	/* in a directory word: allocated for a KEEP_SPARE block */
#define SPARE_KEEP	2ull	/* in a directory word: the block's keep-spare mark (marks.c) */
#define SPARE_FLAGS	7ull

static uint64_t *page_words(struct vmk_page *pg)
{
	return (uint64_t *)(void *)vmk_pmap__table(vmk_page_to_pa(pg));
}

static struct vmk_page *word_page(uint64_t w)
{
	return (struct vmk_page *)(uintptr_t)(w & ~SPARE_FLAGS);
}

/* The directory of host h, or NULL. */
static uint64_t *dir_of(const struct vmk_page *h)
{
	uint64_t o = h->owner;

	if (o & VMK_PMAP_OWNER_DIR)
		return (uint64_t *)(uintptr_t)(o & ~VMK_PMAP_OWNER_DIR);
	return o ? *vmk_pmap__marks_spares((struct vmk_page *)(uintptr_t)o) : NULL;
}

static void dir_set(struct vmk_page *h, uint64_t *d)
{
	uint64_t o = h->owner;

	if (o && !(o & VMK_PMAP_OWNER_DIR))
		*vmk_pmap__marks_spares((struct vmk_page *)(uintptr_t)o) = d;
	else
		h->owner = d ? (uint64_t)(uintptr_t)d | VMK_PMAP_OWNER_DIR : 0;
}

/* The directory word for entry idx of host h (0: no spare). */
static uint64_t word_at(const struct vmk_page *h, unsigned int idx)
{
	const uint64_t *d = dir_of(h);

	return d ? d[idx] : 0;
}

/* The cache entry of the live table at t (not the root): its record and entries. */
static unsigned int table_slot(struct vmk_pmap *pm, vmk_paddr_t t)
{
	unsigned int i = (unsigned int)(t >> VMK_PAGE_SHIFT) & (VMK_PMAP_HOSTS - 1);

	if (pm->hosts[i].pa != t || !pm->hosts[i].pg) {
		pm->hosts[i].pg = vmk_pa_to_page(t);
		pm->hosts[i].tbl = vmk_pmap__table(t);
		pm->hosts[i].pa = t;
	}
	return i;
}

/*
 * The host of the level-lvl entry for va: the live table on va's path,
 * or, below a block, the spare filed for it (NULL if there is none).
 */
static struct vmk_page *host_of(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl)
{
	const struct vmk_pmap_arch *a = vmk_pmap__g.arch;
	unsigned int l = vmk_pmap__g.top, i = VMK_PMAP_HOSTS;
	vmk_pte_t *tbl = pm->root_tbl;
	struct vmk_page *h;

	if (!tbl)
		tbl = pm->root_tbl = vmk_pmap__table(pm->root);
	for (; l > lvl; l--) {		/* down the live tables */
		vmk_pte_t e = vmk_pmap__pte_load(&tbl[VMK_PT_INDEX(va, l)]);

		if (!a->is_table(e, l))
			break;
		i = table_slot(pm, a->pa_of(e, l));
		tbl = pm->hosts[i].tbl;
	}
	h = i == VMK_PMAP_HOSTS ? pm->root_page : pm->hosts[i].pg;
	for (; l > lvl && h; l--)	/* below a block: down the spares filed under it */
		h = word_page(word_at(h, VMK_PT_INDEX(va, l)));
	return h;
}

/* The directory word of the spare for (va, lvl), or NULL if it has none. */
static uint64_t *word_of(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl)
{
	struct vmk_page *h = host_of(pm, va, lvl);
	uint64_t *d = h ? dir_of(h) : NULL;

	return d && d[VMK_PT_INDEX(va, lvl)] ? &d[VMK_PT_INDEX(va, lvl)] : NULL;
}

void vmk_pmap__spare_insert(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl,
			    struct vmk_page *pg, bool reserved)
{
	struct vmk_page *h = host_of(pm, va, lvl);
	unsigned int idx = VMK_PT_INDEX(va, lvl);
	uint64_t *d;

	VMK_ASSERT(h, "spare PTP for %#llx level %u, where no table or spare holds the block",
		   (unsigned long long)va, lvl);
	VMK_ASSERT(!((uintptr_t)pg & SPARE_FLAGS), "page record %p is not 8-byte aligned", (void *)pg);
	VMK_ASSERT(!pg->owner || (pg->owner & VMK_PMAP_OWNER_DIR),
		   "spare PTP for %#llx still has no-promote marks", (unsigned long long)va);
	d = dir_of(h);
	if (!d) {
		/* The first spare of this host holds its directory. */
		d = page_words(pg);
		vmk_memset(d, 0, VMK_PT_ENTRIES * sizeof(*d));
		dir_set(h, d);
	}
	VMK_ASSERT(!d[idx], "two spare PTPs for one block at %#llx", (unsigned long long)va);
	d[idx] = (uint64_t)(uintptr_t)pg | (reserved ? SPARE_RESERVED : 0);
	pm->st.spare_ptps++;
}

/*
 * Clear entry idx of h's directory d (its word w). If the spare leaving
 * holds the directory, the directory moves to another spare of h, or
 * goes if there is none.
 */
static void dir_clear(struct vmk_page *h, uint64_t *d, unsigned int idx, uint64_t w)
{
	d[idx] = 0;
	if (page_words(word_page(w)) != d)
		return;
	for (unsigned int i = 0; i < VMK_PT_ENTRIES; i++) {
		if (d[i]) {
			uint64_t *nd = page_words(word_page(d[i]));

			vmk_memcpy(nd, d, VMK_PT_ENTRIES * sizeof(*d));
			dir_set(h, nd);
			return;
		}
	}
	dir_set(h, NULL);
}

struct vmk_page *vmk_pmap__spare_take(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl,
				      bool *reserved)
{
	struct vmk_page *h, *pg;
	unsigned int idx = VMK_PT_INDEX(va, lvl);
	uint64_t *d, w;

	if (!pm->st.spare_ptps || !(h = host_of(pm, va, lvl)) || !(d = dir_of(h)) || !(w = d[idx]))
		return NULL;
	dir_clear(h, d, idx, w);
	pg = word_page(w);
	if (reserved)
		*reserved = (w & SPARE_RESERVED) != 0;
	pm->st.spare_ptps--;
	vmk_pmap__ptes_zero(vmk_pmap__table(vmk_page_to_pa(pg)), VMK_PT_ENTRIES);
	pg->ref_count = pm->kernel ? VMK_PMAP_KPTP_REF : 0;
	return pg;
}

bool vmk_pmap__spare_has(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl)
{
	return word_of(pm, va, lvl) != NULL;
}

bool vmk_pmap__spare_keep(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl)
{
	uint64_t *w = word_of(pm, va, lvl);

	return w && (*w & SPARE_KEEP);
}

void vmk_pmap__spare_set_keep(struct vmk_pmap *pm, vmk_vaddr_t va, unsigned int lvl)
{
	uint64_t *w = word_of(pm, va, lvl);

	VMK_ASSERT(w, "keep-spare mark for %#llx level %u, which has no spare", (unsigned long long)va, lvl);
	*w |= SPARE_KEEP;
}

bool vmk_pmap__spare_under(struct vmk_page *host, unsigned int idx)
{
	return word_at(host, idx) != 0;
}

void vmk_pmap__spare_set_keep_under(struct vmk_page *host, unsigned int idx)
{
	uint64_t *d = dir_of(host);

	VMK_ASSERT(d && d[idx], "keep-spare mark for entry %u, which has no spare", idx);
	d[idx] |= SPARE_KEEP;
}

void vmk_pmap__spares_drop(struct vmk_pmap *pm, struct vmk_page *host, struct vmk_pmap_batch *b)
{
	uint64_t *d = dir_of(host);
	struct vmk_page *holder = NULL;

	if (!d)
		return;
	for (unsigned int i = 0; i < VMK_PT_ENTRIES; i++) {
		struct vmk_page *pg = word_page(d[i]);

		if (!pg)
			continue;
		vmk_pmap__spares_drop(pm, pg, b);
		pm->st.spare_ptps--;
		if (page_words(pg) == d) {
			holder = pg;	/* freed last: it holds the words this loop reads */
			continue;
		}
		pg->owner = b ? (uint64_t)(uintptr_t)b->free : 0;
		if (b)
			b->free = pg;
		else
			vmk_pmap__ptp_free(pm, pg);
	}
	dir_set(host, NULL);
	holder->owner = b ? (uint64_t)(uintptr_t)b->free : 0;
	if (b)
		b->free = holder;
	else
		vmk_pmap__ptp_free(pm, holder);
}

/* The va of entry i of a level-lvl table at base (sign-extended at the kernel's top). */
static vmk_vaddr_t va_of(struct vmk_pmap *pm, vmk_vaddr_t base, unsigned int i, unsigned int lvl)
{
	vmk_vaddr_t va = base + ((vmk_vaddr_t)i << VMK_PT_SHIFT(lvl));

	if (lvl == vmk_pmap__g.top && pm->kernel) {
		if (vmk_pmap__g.arch->split_roots)
			va |= ~(vmk_vaddr_t)0 << vmk_pmap__g.va_bits;
		else if (va >> (vmk_pmap__g.va_bits - 1))
			va |= ~(vmk_vaddr_t)0 << (vmk_pmap__g.va_bits - 1);
	}
	return va;
}

/*
 * Visit host h of level-lvl entries at base (tbl: its entries if it is a
 * live table, NULL for a spare) and every host below it: fn on each spare
 * (if fn), or each host's spares dropped (if !fn).
 */
static void visit(struct vmk_pmap *pm, struct vmk_page *h, const vmk_pte_t *tbl, unsigned int lvl,
		  vmk_vaddr_t base, vmk_pmap_spare_fn fn, void *arg)
{
	bool shared_top = !pm->kernel && !vmk_pmap__g.arch->split_roots && lvl == vmk_pmap__g.top;

	for (unsigned int i = 0; i < VMK_PT_ENTRIES; i++) {
		vmk_vaddr_t va = va_of(pm, base, i, lvl);
		uint64_t w = word_at(h, i);
		vmk_pte_t e;

		if (shared_top && i >= VMK_PT_ENTRIES / 2)
			break;		/* the kernel's tables */
		if (w && fn) {
			fn(arg, word_page(w), va, lvl, (w & SPARE_RESERVED) != 0);
			if (lvl > 1)
				visit(pm, word_page(w), NULL, lvl - 1, va, fn, arg);
		}
		if (!tbl || lvl < 2)
			continue;
		e = vmk_pmap__pte_load(&tbl[i]);
		if (vmk_pmap__g.arch->is_valid(e, lvl) && vmk_pmap__g.arch->is_table(e, lvl)) {
			vmk_paddr_t ct = vmk_pmap__g.arch->pa_of(e, lvl);

			visit(pm, vmk_pa_to_page(ct), vmk_pmap__table(ct), lvl - 1, va, fn, arg);
		}
	}
	if (!fn)
		vmk_pmap__spares_drop(pm, h, NULL);
}

void vmk_pmap__spare_foreach(struct vmk_pmap *pm, vmk_pmap_spare_fn fn, void *arg)
{
	visit(pm, pm->root_page, vmk_pmap__table(pm->root), vmk_pmap__g.top, 0, fn, arg);
}

void vmk_pmap__spare_free_all(struct vmk_pmap *pm)
{
	if (pm->st.spare_ptps)
		visit(pm, pm->root_page, vmk_pmap__table(pm->root), vmk_pmap__g.top, 0, NULL, NULL);
}
