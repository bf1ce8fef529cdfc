/*
 * Reverse maps: PV entries, allocated from page-sized chunks owned by one
 * pmap (so an entry finds its pmap by masking its address, and a pmap's
 * entries go away with it). A page's PV list is circular among its
 * entries; md_pv in struct vmk_page points at the first one (0: none).
 * A 2 MiB or 1 GiB managed mapping has one entry, on the list of the
 * first page of the block, tagged with its level in the low bits of va.
 *
 * Chunks are protected by their pmap's lock; the lists by the global PV
 * lock (taken after a pmap lock).
 */
#include "pmap_internal.h"

#define PV_PER_CHUNK	168
#define PV_MAP_WORDS	((PV_PER_CHUNK + 63) / 64)

struct pv_chunk {
	struct vmk_list link;		/* on pmap->pv_chunks */
	struct vmk_pmap *pmap;
	struct vmk_page *page;
	uint64_t free_map[PV_MAP_WORDS];	/* 1: entry free */
	uint32_t nfree;
	uint32_t pad;
	struct vmk_pv pv[PV_PER_CHUNK];
};

VMK_STATIC_ASSERT(sizeof(struct pv_chunk) <= VMK_PAGE_SIZE, "a PV chunk must fit a page");
VMK_STATIC_ASSERT(VMK_PMAP_PV_GENS == 256, "vmk_pmap__pv_gen takes the top 8 bits of its hash");

static struct pv_chunk *pv_chunk_of(const struct vmk_pv *pv)
{
	return (struct pv_chunk *)((uintptr_t)pv & ~(uintptr_t)VMK_PAGE_MASK);
}

struct vmk_pmap *vmk_pmap__pv_pmap(const struct vmk_pv *pv)
{
	return pv_chunk_of(pv)->pmap;
}

static int pv_chunk_new(struct vmk_pmap *pm)
{
	struct vmk_page *pg;
	struct pv_chunk *c;

	if (vmk_fault("pmap.pv_chunk"))
		return -VMK_ENOMEM;
	pg = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 0);
	if (!pg)
		return -VMK_ENOMEM;
	c = vmk_phys_to_virt(vmk_page_to_pa(pg));
	VMK_VERIFY(c && ((uintptr_t)c & VMK_PAGE_MASK) == 0, "PV chunk page not page-aligned in the direct map");
	vmk_memset(c, 0, sizeof(*c));
	c->pmap = pm;
	c->page = pg;
	for (unsigned int i = 0; i < PV_PER_CHUNK; i++)
		c->free_map[i / 64] |= 1ull << (i % 64);
	c->nfree = PV_PER_CHUNK;
	vmk_list_add(&pm->pv_chunks, &c->link);
	pm->pv_free += PV_PER_CHUNK;
	pm->st.pv_chunks++;
	__atomic_add_fetch(&vmk_pmap__g.pages_held, 1, __ATOMIC_RELAXED);
	return 0;
}

static void pv_chunk_free(struct vmk_pmap *pm, struct pv_chunk *c)
{
	struct vmk_page *pg = c->page;

	vmk_list_del(&c->link);
	pm->pv_free -= PV_PER_CHUNK;
	pm->st.pv_chunks--;
	vmk_page_free(pg);
	__atomic_sub_fetch(&vmk_pmap__g.pages_held, 1, __ATOMIC_RELAXED);
}

int vmk_pmap__pv_reserve(struct vmk_pmap *pm, uint64_t n)
{
	unsigned int added = 0;

	while (pm->pv_free < n) {
		if (pv_chunk_new(pm)) {
			/* Give back what this call took: fresh chunks sit at the head. */
			while (added--) {
				struct pv_chunk *c = vmk_list_entry(pm->pv_chunks.next, struct pv_chunk, link);

				pv_chunk_free(pm, c);
			}
			return -VMK_ENOMEM;
		}
		added++;
	}
	return 0;
}

struct vmk_pv *vmk_pmap__pv_alloc(struct vmk_pmap *pm)
{
	struct pv_chunk *c;

	if (pm->pv_free == 0 && pv_chunk_new(pm))
		return NULL;
	c = vmk_list_entry(pm->pv_chunks.next, struct pv_chunk, link);
	VMK_ASSERT(c->nfree > 0, "PV chunk at the head of the list is full");
	for (unsigned int w = 0; w < PV_MAP_WORDS; w++) {
		if (c->free_map[w]) {
			unsigned int b = vmk_ffs64(c->free_map[w]);
			struct vmk_pv *pv = &c->pv[w * 64 + b];

			c->free_map[w] &= ~(1ull << b);
			c->nfree--;
			pm->pv_free--;
			pm->st.pv_entries++;
			if (c->nfree == 0) {	/* full chunks go to the tail */
				vmk_list_del(&c->link);
				vmk_list_add_tail(&pm->pv_chunks, &c->link);
			}
			vmk_list_init(&pv->link);
			pv->va_lvl = 0;
			return pv;
		}
	}
	VMK_ASSERT(false, "PV chunk free count and bitmap disagree");
	return NULL;
}

void vmk_pmap__pv_free(struct vmk_pmap *pm, struct vmk_pv *pv)
{
	struct pv_chunk *c = pv_chunk_of(pv);
	unsigned int i = (unsigned int)(pv - c->pv);

	VMK_ASSERT(c->pmap == pm, "PV entry freed into another pmap");
	VMK_ASSERT(!(c->free_map[i / 64] & (1ull << (i % 64))), "PV entry double free");
	c->free_map[i / 64] |= 1ull << (i % 64);
	c->nfree++;
	pm->pv_free++;
	pm->st.pv_entries--;
	if (c->nfree == PV_PER_CHUNK) {
		pv_chunk_free(pm, c);
	} else if (c->nfree == 1) {	/* has room again: to the head */
		vmk_list_del(&c->link);
		vmk_list_add(&pm->pv_chunks, &c->link);
	}
}

void vmk_pmap__pv_free_all_chunks(struct vmk_pmap *pm)
{
	while (!vmk_list_empty(&pm->pv_chunks)) {
		struct pv_chunk *c = vmk_list_entry(pm->pv_chunks.next, struct pv_chunk, link);

		VMK_ASSERT(c->nfree == PV_PER_CHUNK, "destroying a pmap with PV entries in use");
		pv_chunk_free(pm, c);
	}
}

struct vmk_page *vmk_pmap__pv_head(vmk_paddr_t pa, unsigned int lvl)
{
	return vmk_pa_to_page(pa & ~(VMK_PT_SIZE(lvl) - 1));
}

struct vmk_page *vmk_pmap__pv_walk_head(vmk_paddr_t pa, unsigned int lvl)
{
	struct vmk_page *h = vmk_pmap__pv_head(pa, lvl);

	if (!h)
		return NULL;
	/*
	 * A block's first frame is a mapped page while the block is mapped,
	 * so its state cannot change under the walk then. In any other
	 * state its md_pv is no list: phys's links while free, the pmap's id
	 * in a page-table page.
	 */
	switch (vmk_page_state(h)) {
	case VMK_PAGE_NONE:
	case VMK_PAGE_FREE:
	case VMK_PAGE_PCPU:
	case VMK_PAGE_NOFREE_POOL:
	case VMK_PAGE_PTP:
		return NULL;
	default:
		return h;
	}
}

void vmk_pmap__pv_link(struct vmk_page *head, struct vmk_pv *pv)
{
	struct vmk_pv *first = (struct vmk_pv *)(uintptr_t)head->md_pv;

	if (first)
		vmk_list_add_tail(&first->link, &pv->link);
	else
		head->md_pv = (uint64_t)(uintptr_t)pv;
	(*vmk_pmap__pv_gen(head))++;
}

void vmk_pmap__pv_unlink(struct vmk_page *head, struct vmk_pv *pv)
{
	if (head->md_pv == (uint64_t)(uintptr_t)pv) {
		struct vmk_pv *next = vmk_list_entry(pv->link.next, struct vmk_pv, link);

		head->md_pv = next == pv ? 0 : (uint64_t)(uintptr_t)next;
	}
	vmk_list_del(&pv->link);
	(*vmk_pmap__pv_gen(head))++;
}

struct vmk_pv *vmk_pmap__pv_first(struct vmk_page *head)
{
	return (struct vmk_pv *)(uintptr_t)head->md_pv;
}

struct vmk_pv *vmk_pmap__pv_next(struct vmk_page *head, struct vmk_pv *pv)
{
	struct vmk_pv *next = vmk_list_entry(pv->link.next, struct vmk_pv, link);

	return next == vmk_pmap__pv_first(head) ? NULL : next;
}

struct vmk_pv *vmk_pmap__pv_find(struct vmk_page *head, struct vmk_pmap *pm, vmk_vaddr_t va,
				 unsigned int lvl)
{
	for (struct vmk_pv *pv = vmk_pmap__pv_first(head); pv; pv = vmk_pmap__pv_next(head, pv))
		if (pv->va_lvl == (va | lvl) && vmk_pmap__pv_pmap(pv) == pm)
			return pv;
	return NULL;
}
