/*
 * vmkit stress: what one simulated CPU does. Each CPU draws operations
 * from its own generator (seeded from the run's seed and its number) over
 * every layer: order-0 pages through its per-CPU cache, higher orders,
 * contiguous and bulk runs, NOFREE pages, kmem and vmem, its slice of the
 * user address space every CPU shares (4 KiB pages, 2 MiB blocks that get
 * promoted and demoted, 64 KiB runs), kernel pages and blocks, private
 * address spaces, reverse-map calls, drains and bad frames. Any call may
 * fail (injected failures): a failure must change nothing, which the
 * model of the slice checks. Accesses go through the CPU's simulated TLB
 * and must agree with the model; reads of the other CPUs' slices fill
 * this CPU's TLB with their translations, so their changes need
 * shootdowns to reach it.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd_stress.h"
#include "mmu.h"
#include "sim.h"

#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define M	VMK_PMAP_ENTER_MANAGED
#define S2M	(2ull << 20)

uint64_t st_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static uint64_t rnd(struct st_cpu *c, uint64_t n)
{
	return st_rand(&c->rng) % n;
}

vmk_vaddr_t st_slot_va(const struct st_cpu *c, unsigned int s)
{
	return st.uva + (vmk_vaddr_t)c->cpu * ST_SLOTS * 4096ull + (vmk_vaddr_t)s * 4096ull;
}

/* Kernel pages of cpu: 2 MiB of 4 KiB pages, then a 2 MiB block. */
static vmk_vaddr_t kpage_va(unsigned int cpu, unsigned int i)
{
	return st.kslice + (vmk_vaddr_t)cpu * 2 * S2M + (vmk_vaddr_t)i * 4096ull;
}

static vmk_vaddr_t kblock_va(unsigned int cpu)
{
	return st.kslice + (vmk_vaddr_t)cpu * 2 * S2M + S2M;
}

#define FAIL(c, ...) do { if (!(c)->err[0]) snprintf((c)->err, sizeof((c)->err), __VA_ARGS__); } while (0)

void st_maybe_park(void)
{
	if (!__atomic_load_n(&st.pause, __ATOMIC_ACQUIRE))
		return;
	__atomic_add_fetch(&st.parked, 1, __ATOMIC_ACQ_REL);
	/* A sleeping call, not a blocking lock: a rendezvous signal still lands here. */
	while (__atomic_load_n(&st.pause, __ATOMIC_ACQUIRE))
		usleep(20);
	__atomic_sub_fetch(&st.parked, 1, __ATOMIC_ACQ_REL);
}

/* ---- the user slice ---- */

/* A slot's mapping is gone: give back what backed it. */
static void slot_release(struct st_cpu *c, unsigned int s)
{
	struct st_slot *sl = &c->slot[s];
	struct st_chunk *ch = &c->chunk[s / 512];

	if (!sl->valid)
		return;
	sl->valid = false;
	ch->mapped--;
	if (ch->mode == ST_CHUNK_PAGES) {
		vmk_page_free(sl->pg);
		sl->pg = NULL;
	}
	if (!ch->mapped) {
		if (ch->mode == ST_CHUNK_BLOCK)
			vmk_page_free_order(ch->block, 9);
		ch->block = NULL;
		ch->mode = ST_CHUNK_EMPTY;
	}
}

/* A failed call must leave slot s as the model has it. */
static void slot_expect(struct st_cpu *c, unsigned int s, const char *what, int r)
{
	struct vmk_pmap_mapping m;
	int e = vmk_pmap_extract(st.shared, st_slot_va(c, s), &m);

	if (c->slot[s].valid ? e || m.pa != c->slot[s].pa : !e)
		FAIL(c, "cpu %u: failed %s (%s) changed slot %u (%s)", c->cpu, what, vmk_strerror(r), s,
		     e ? "now unmapped" : "now mapped");
}

static void op_enter(struct st_cpu *c)
{
	unsigned int s = (unsigned int)rnd(c, ST_SLOTS);
	struct st_slot *sl = &c->slot[s];
	struct st_chunk *ch = &c->chunk[s / 512];
	uint32_t prot = rnd(c, 2) ? RW : VMK_PROT_READ;
	struct vmk_page *pg = NULL;
	vmk_paddr_t pa;
	int r;

	if (ch->mode == ST_CHUNK_BLOCK) {
		pa = vmk_page_to_pa(ch->block) + (s % 512) * 4096ull;
	} else if (sl->valid) {
		pa = sl->pa;	/* a protection change through enter */
	} else {
		pg = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, VMK_ALLOC_ZERO);
		if (!pg) {
			c->failed++;
			return;
		}
		pa = vmk_page_to_pa(pg);
	}
	r = vmk_pmap_enter(st.shared, st_slot_va(c, s), pa, prot, M);
	if (r) {
		c->failed++;
		slot_expect(c, s, "enter", r);
		if (pg)
			vmk_page_free(pg);
		return;
	}
	if (!sl->valid) {
		sl->valid = true;
		ch->mapped++;
		if (ch->mode == ST_CHUNK_EMPTY)
			ch->mode = ST_CHUNK_PAGES;
		sl->pg = pg;
	}
	sl->pa = pa;
	sl->prot = prot;
}

static void op_remove(struct st_cpu *c)
{
	unsigned int s = (unsigned int)rnd(c, ST_SLOTS), n = 1 + (unsigned int)rnd(c, rnd(c, 8) ? 64 : 1024);
	int r;

	n = n > ST_SLOTS - s ? ST_SLOTS - s : n;
	r = vmk_pmap_remove(st.shared, st_slot_va(c, s), st_slot_va(c, s + n));
	if (r) {
		c->failed++;
		slot_expect(c, s, "remove", r);
		return;
	}
	for (unsigned int q = s; q < s + n; q++)
		slot_release(c, q);
}

static void op_protect(struct st_cpu *c)
{
	unsigned int s = (unsigned int)rnd(c, ST_SLOTS), n = 1 + (unsigned int)rnd(c, rnd(c, 8) ? 64 : 1024);
	uint32_t prot = rnd(c, 2) ? RW : VMK_PROT_READ;
	int r;

	n = n > ST_SLOTS - s ? ST_SLOTS - s : n;
	r = vmk_pmap_protect(st.shared, st_slot_va(c, s), st_slot_va(c, s + n), prot);
	if (r) {
		c->failed++;
		slot_expect(c, s, "protect", r);
		return;
	}
	for (unsigned int q = s; q < s + n; q++)
		c->slot[q].prot = prot;
}

/*
 * Back an empty chunk with a 2 MiB block and map it whole (one call or
 * 512): promotion. On a block chunk, map a 64 KiB-aligned group of 16
 * slots with one protection (a contiguous run where the arch has them),
 * or the whole chunk again with one protection (a promotion after the
 * demotions).
 */
static void op_fill(struct st_cpu *c)
{
	unsigned int k = (unsigned int)rnd(c, ST_CHUNKS), first = k * 512, n = 512;
	struct st_chunk *ch = &c->chunk[k];
	uint32_t prot = rnd(c, 2) ? RW : VMK_PROT_READ;
	vmk_paddr_t base;
	int r = 0;

	if (ch->mode == ST_CHUNK_PAGES)
		return;
	if (ch->mode == ST_CHUNK_EMPTY) {
		struct vmk_page *b = vmk_page_alloc_order(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 9, VMK_ALLOC_ZERO);

		if (!b) {
			c->failed++;
			return;
		}
		ch->block = b;
		ch->mode = ST_CHUNK_BLOCK;
		if (rnd(c, 2)) {
			vmk_paddr_t pas[512];

			for (unsigned int q = 0; q < 512; q++)
				pas[q] = vmk_page_to_pa(b) + q * 4096ull;
			r = vmk_pmap_enter_pages(st.shared, st_slot_va(c, first), pas, 512, prot, M);
			if (r) {
				c->failed++;
				slot_expect(c, first, "enter_pages", r);
				slot_expect(c, first + 511, "enter_pages", r);
				ch->block = NULL;
				ch->mode = ST_CHUNK_EMPTY;
				vmk_page_free_order(b, 9);
				return;
			}
			for (unsigned int q = first; q < first + 512; q++) {
				c->slot[q].valid = true;
				c->slot[q].pa = pas[q - first];
				c->slot[q].prot = prot;
				c->slot[q].pg = NULL;
			}
			ch->mapped = 512;
			return;
		}
	} else if (rnd(c, 4)) {
		first += 16 * (unsigned int)rnd(c, 32);
		n = 16;
	}
	base = vmk_page_to_pa(ch->block);
	for (unsigned int q = first; q < first + n; q++) {
		vmk_paddr_t pa = base + (q % 512) * 4096ull;

		r = vmk_pmap_enter(st.shared, st_slot_va(c, q), pa, prot, M);
		if (r) {
			c->failed++;
			slot_expect(c, q, "enter", r);
			break;
		}
		if (!c->slot[q].valid) {
			c->slot[q].valid = true;
			ch->mapped++;
		}
		c->slot[q].pa = pa;
		c->slot[q].prot = prot;
		c->slot[q].pg = NULL;
	}
	if (!ch->mapped) {
		vmk_page_free_order(ch->block, 9);
		ch->block = NULL;
		ch->mode = ST_CHUNK_EMPTY;
	}
}

static void op_access(struct st_cpu *c)
{
	for (unsigned int k = 0; k < 8 && !c->err[0]; k++) {
		unsigned int s = (unsigned int)rnd(c, ST_SLOTS);
		bool wr = rnd(c, 2);
		struct vmk_mmu_walk w;
		int f = vmk_sim_mmu_access(c->cpu, st_slot_va(c, s),
					   (wr ? VMK_MMU_WRITE : VMK_MMU_READ) | VMK_MMU_USER, &w);
		bool ok = c->slot[s].valid && (!wr || (c->slot[s].prot & VMK_PROT_WRITE));

		if ((f == 0) != ok || (f == 0 && w.pa != c->slot[s].pa))
			FAIL(c, "cpu %u: user %s of slot %u (va %#llx) through its TLB: %s, the model says %s (pa %#llx, model %#llx)",
			     c->cpu, wr ? "write" : "read", s, (unsigned long long)st_slot_va(c, s),
			     vmk_mmu_fault_name(f), ok ? "allowed" : "denied", (unsigned long long)w.pa,
			     (unsigned long long)c->slot[s].pa);
	}
	/* Other CPUs' slices and kernel pages: this TLB caches them, their owners change them. */
	for (unsigned int k = 0; k < 4 && st.ncpus > 1; k++) {
		const struct st_cpu *o = &st.cpu[rnd(c, st.ncpus)];

		(void)vmk_sim_mmu_access(c->cpu, st_slot_va(o, (unsigned int)rnd(c, ST_SLOTS)),
					 VMK_MMU_READ | VMK_MMU_USER, NULL);
		(void)vmk_sim_mmu_access(c->cpu, kpage_va(o->cpu, (unsigned int)rnd(c, ST_KPAGES)), VMK_MMU_READ,
					 NULL);
	}
}

/* Reverse-map calls on one of this CPU's mapped pages (only this slot maps it). */
static void op_pv(struct st_cpu *c)
{
	unsigned int s = (unsigned int)rnd(c, ST_SLOTS);
	vmk_paddr_t pa = c->slot[s].pa;

	if (!c->slot[s].valid)
		return;
	switch (rnd(c, 4)) {
	case 0:
		(void)vmk_pmap_is_modified(pa);
		(void)vmk_pmap_is_referenced(pa);
		break;
	case 1:
		(void)vmk_pmap_ts_referenced(pa);
		break;
	case 2:
		vmk_pmap_clear_modify(pa);
		break;
	default:
		vmk_pmap_remove_write(pa);
		/*
		 * The page lost write access; a 2 MiB block or 64 KiB run over
		 * it loses it whole (no demotion): the pages sharing the leaf
		 * are read-only now too.
		 */
		for (unsigned int q = s & ~511u; q < (s & ~511u) + 512; q++) {
			struct vmk_pmap_mapping m;

			if (c->slot[q].valid && !vmk_pmap_extract(st.shared, st_slot_va(c, q), &m) &&
			    !(m.prot & VMK_PROT_WRITE))
				c->slot[q].prot &= ~(uint32_t)VMK_PROT_WRITE;
		}
		if (c->slot[s].prot & VMK_PROT_WRITE)
			FAIL(c, "cpu %u: slot %u still writable after remove_write", c->cpu, s);
		break;
	}
}

/* ---- physical allocations ---- */

static void held_free(struct st_cpu *c, unsigned int i, bool mark_bad)
{
	struct st_held *h = &c->held[i];
	vmk_paddr_t pa = vmk_page_to_pa(h->pg);

	/*
	 * A frame in use marked bad becomes BAD when it is freed. The slot is
	 * taken before the frame is marked: checking the count first let two
	 * CPUs near the limit both mark a frame, and the one without a slot
	 * went unrecorded (the books then disagreed on BAD frames).
	 */
	if (mark_bad) {
		uint64_t k = __atomic_load_n(&st.bad_added, __ATOMIC_RELAXED);

		while (k < ST_MAX_BAD && !__atomic_compare_exchange_n(&st.bad_added, &k, k + 1, false,
								      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			;
		if (k < ST_MAX_BAD)
			st.bad[k] = vmk_phys_add_bad(pa) == 0 ? pa : ST_BAD_NONE;
	}
	switch (h->kind) {
	case ST_H_ORDER:
		vmk_page_free_order(h->pg, h->order);
		break;
	case ST_H_CONTIG:
		vmk_page_free_contig(h->pg, h->n);
		break;
	case ST_H_BULK:
		vmk_page_free_bulk(h->bulk, h->n);
		free(h->bulk);
		break;
	}
	c->held[i] = c->held[--c->nheld];
}

static void op_phys(struct st_cpu *c)
{
	unsigned int k = (unsigned int)rnd(c, 16);
	struct st_held h = { .kind = ST_H_ORDER };

	if (c->nheld == ST_HELD || (c->nheld && rnd(c, 2))) {
		held_free(c, (unsigned int)rnd(c, c->nheld), false);
		return;
	}
	if (k < 8) {
		h.pg = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, rnd(c, 4) ? 0 : VMK_ALLOC_ZERO);
	} else if (k < 12) {
		h.order = 1 + (unsigned int)rnd(c, 9);
		h.pg = vmk_page_alloc_order(VMK_DOMAIN_RR, VMK_POOL_DEFAULT, h.order, 0);
	} else if (k < 14) {
		vmk_paddr_t align = 4096ull << rnd(c, 6);

		h.kind = ST_H_CONTIG;
		h.n = 1 + (size_t)rnd(c, 64);
		h.pg = vmk_page_alloc_contig(0, h.n, 0, ~0ull, align, rnd(c, 2) ? 0 : 1ull << 21, 0, 0);
	} else {
		h.kind = ST_H_BULK;
		h.n = 1 + (size_t)rnd(c, 32);
		h.bulk = malloc(h.n * sizeof(*h.bulk));
		if (!h.bulk)
			return;
		h.n = vmk_page_alloc_bulk(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 0, h.n, h.bulk);
		h.pg = h.n ? h.bulk[0] : NULL;
		if (!h.pg)
			free(h.bulk);
	}
	if (!h.pg) {
		c->failed++;
		return;
	}
	c->held[c->nheld++] = h;
}

/* NOFREE pages are kept for ever: bounded over the run, and counted for the accounting. */
static void op_nofree(struct st_cpu *c)
{
	struct vmk_page *pages[8];
	size_t n = 1 + (size_t)rnd(c, 8);

	if (__atomic_load_n(&st.nofree_pages, __ATOMIC_RELAXED) + 8 > ST_NOFREE_MAX)
		return;
	switch (rnd(c, 3)) {
	case 0:
		if (!vmk_page_alloc_nofree(VMK_DOMAIN_LOCAL, 0)) {
			c->failed++;
			return;
		}
		n = 1;
		break;
	case 1:
		if (vmk_page_alloc_nofree_batch(0, 0, n, pages)) {
			c->failed++;
			return;
		}
		break;
	default: {
		vmk_vaddr_t va = vmk_kmem_malloc(n * 4096, VMK_KM_NOFREE | (rnd(c, 2) ? VMK_KM_ZERO : 0));

		if (!va) {
			c->failed++;
			return;
		}
		if (vmk_sim_mmu_access(c->cpu, va + (n - 1) * 4096, VMK_MMU_WRITE, NULL))
			FAIL(c, "cpu %u: NOFREE kmem %#llx + %zu pages not writable through its TLB", c->cpu, (unsigned long long)va, n);
		break;
	}
	}
	__atomic_add_fetch(&st.nofree_pages, n, __ATOMIC_RELAXED);
}

/* A page of this CPU's marked bad, then freed (it must become BAD, never free). */
static void op_bad(struct st_cpu *c)
{
	for (unsigned int i = 0; i < c->nheld; i++)
		if (c->held[i].kind == ST_H_ORDER && c->held[i].order == 0) {
			held_free(c, i, true);
			return;
		}
}

/* ---- kmem and vmem ---- */

enum { KM_MALLOC, KM_STACK, VM_ALLOC, VM_XALLOC };

static void km_free(struct st_cpu *c, struct st_km *a, unsigned int kind)
{
	switch (kind) {
	case KM_MALLOC:
		vmk_kmem_free(a->va, a->size);
		break;
	case KM_STACK:
		vmk_kmem_free_stack(a->va, (unsigned int)(a->size / 4096), 1);
		break;
	case VM_ALLOC:
		vmk_vmem_free(&st.vmem, a->va, a->size);
		break;
	default:
		vmk_vmem_xfree(&st.vmem, a->va, a->size);
		break;
	}
}

/* kmem entries: the low bit of size says a stack (sizes are page multiples). */
static void op_kmem(struct st_cpu *c)
{
	struct st_km a = { 0 };
	unsigned int k = (unsigned int)rnd(c, 8);

	if (c->nkm == ST_KM || (c->nkm && rnd(c, 2))) {
		unsigned int i = (unsigned int)rnd(c, c->nkm);

		a = c->km[i];
		km_free(c, &(struct st_km){ a.va, a.size & ~1ull }, a.size & 1 ? KM_STACK : KM_MALLOC);
		c->km[i] = c->km[--c->nkm];
		return;
	}
	if (k < 5) {
		a.size = (1 + rnd(c, rnd(c, 4) ? 16 : 600)) * 4096;
		a.va = vmk_kmem_malloc_domain(rnd(c, 2) ? VMK_DOMAIN_LOCAL : VMK_DOMAIN_RR, a.size,
					      rnd(c, 2) ? VMK_KM_ZERO : 0);
	} else if (k < 7) {
		a.size = (1 + rnd(c, 8)) * 4096;
		a.va = vmk_kmem_alloc_contig(a.size, 0, ~0ull, 4096ull << rnd(c, 5), 0, VMK_MEMTYPE_WB, 0,
					     VMK_KM_ZERO);
	} else {
		a.va = vmk_kmem_alloc_stack(4, 1, 0);
		a.size = 4 * 4096;
		if (a.va && vmk_sim_mmu_access(c->cpu, a.va - 4096, VMK_MMU_READ, NULL) == 0)
			FAIL(c, "cpu %u: the guard page below stack %#llx is readable through its TLB", c->cpu, (unsigned long long)a.va);
	}
	if (!a.va) {
		c->failed++;
		return;
	}
	if (vmk_sim_mmu_access(c->cpu, a.va, VMK_MMU_WRITE, NULL) ||
	    vmk_sim_mmu_access(c->cpu, a.va + a.size - 4096, VMK_MMU_WRITE, NULL))
		FAIL(c, "cpu %u: kmem %#llx (%llu bytes) not writable through its TLB", c->cpu, (unsigned long long)a.va,
		     (unsigned long long)a.size);
	if (k >= 7)
		a.size |= 1;
	c->km[c->nkm++] = a;
}

/* vmem entries: the low bit of size says xalloc. */
static void op_vmem(struct st_cpu *c)
{
	struct st_km a = { 0 };
	int r;

	if (c->nvm == ST_VM || (c->nvm && rnd(c, 2))) {
		unsigned int i = (unsigned int)rnd(c, c->nvm);

		a = c->vm[i];
		km_free(c, &(struct st_km){ a.va, a.size & ~1ull }, a.size & 1 ? VM_XALLOC : VM_ALLOC);
		c->vm[i] = c->vm[--c->nvm];
		return;
	}
	a.size = (1 + rnd(c, rnd(c, 2) ? 8 : 256)) * 4096;
	if (rnd(c, 3)) {
		r = vmk_vmem_alloc(&st.vmem, a.size, (unsigned int)rnd(c, 3), &a.va);
	} else {
		r = vmk_vmem_xalloc(&st.vmem, a.size, 4096ull << rnd(c, 6), 0, 0, 0, 0, 0, &a.va);
		a.size |= 1;
	}
	if (r) {
		c->failed++;
		return;
	}
	c->vm[c->nvm++] = a;
}

/* ---- the kernel address space ---- */

static struct vmk_page *kpage[ST_MAX_CPUS][ST_KPAGES];

static void op_kernel(struct st_cpu *c)
{
	unsigned int i = (unsigned int)rnd(c, ST_KPAGES);
	vmk_vaddr_t va = kpage_va(c->cpu, i);
	struct vmk_page **pp = &kpage[c->cpu][i];
	int r;

	if (*pp) {
		if (vmk_sim_mmu_access(c->cpu, va, VMK_MMU_WRITE, NULL))
			FAIL(c, "cpu %u: kernel page %#llx faults through its TLB", c->cpu, (unsigned long long)va);
		r = vmk_pmap_remove(vmk_pmap_kernel(), va, va + 4096);
		if (r) {
			c->failed++;
			return;
		}
		vmk_page_free(*pp);
		*pp = NULL;
		return;
	}
	*pp = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 0);
	if (!*pp) {
		c->failed++;
		return;
	}
	r = vmk_pmap_enter(vmk_pmap_kernel(), va, vmk_page_to_pa(*pp), RW, 0);
	if (r) {
		c->failed++;
		vmk_page_free(*pp);
		*pp = NULL;
	}
}

/* A 2 MiB kernel block, used and removed whole. */
static void op_kblock(struct st_cpu *c)
{
	struct vmk_page *b = vmk_page_alloc_order(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 9, 0);
	vmk_vaddr_t va = kblock_va(c->cpu);
	struct vmk_pmap_mapping m;
	int r;

	if (!b) {
		c->failed++;
		return;
	}
	r = vmk_pmap_enter_large(vmk_pmap_kernel(), va, vmk_page_to_pa(b), S2M, RW, 0);
	if (r) {
		c->failed++;
		vmk_page_free_order(b, 9);
		return;
	}
	if (vmk_pmap_extract(vmk_pmap_kernel(), va + 4096 * rnd(c, 512), &m) || m.size != S2M ||
	    vmk_sim_mmu_access(c->cpu, va + 4096 * rnd(c, 512), VMK_MMU_WRITE, NULL))
		FAIL(c, "cpu %u: kernel block %#llx not mapped as one, or faults through its TLB", c->cpu, (unsigned long long)va);
	r = vmk_pmap_remove(vmk_pmap_kernel(), va, va + S2M);
	if (r)
		FAIL(c, "cpu %u: removing kernel block %#llx: %s", c->cpu, (unsigned long long)va, vmk_strerror(r));
	else
		vmk_page_free_order(b, 9);
}

/* A short-lived address space of this CPU's own: create, map, run in it, destroy. */
static void op_private(struct st_cpu *c)
{
	struct vmk_pmap *pm;
	struct vmk_page *pg[8] = { 0 };
	int r;

	if (vmk_pmap_create(&pm)) {
		c->failed++;
		return;
	}
	vmk_pmap_activate(pm, c->cpu);
	for (unsigned int i = 0; i < 8; i++) {
		vmk_vaddr_t va = st.uva + (vmk_vaddr_t)i * 4096 * 97;

		pg[i] = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, VMK_ALLOC_ZERO);
		if (!pg[i])
			break;
		r = vmk_pmap_enter(pm, va, vmk_page_to_pa(pg[i]), RW, M);
		if (r) {
			vmk_page_free(pg[i]);
			pg[i] = NULL;
			break;
		}
		if (vmk_sim_mmu_access(c->cpu, va, VMK_MMU_WRITE | VMK_MMU_USER, NULL))
			FAIL(c, "cpu %u: private space page %#llx faults through its TLB", c->cpu, (unsigned long long)va);
	}
	vmk_pmap_activate(st.shared, c->cpu);
	vmk_pmap_destroy(pm);
	for (unsigned int i = 0; i < 8; i++)
		if (pg[i])
			vmk_page_free(pg[i]);
	__atomic_add_fetch(&st.private_spaces, 1, __ATOMIC_RELAXED);
}

static void op_drain(struct st_cpu *c)
{
	if (rnd(c, 4))
		vmk_phys_drain_cpu(c->cpu);
	else
		vmk_phys_drain_all();
}

void *st_worker(void *arg)
{
	struct st_cpu *c = arg;

	vmk_sim_rdv_cpu_enter(c->cpu);
	vmk_pmap_activate(st.shared, c->cpu);
	while (!__atomic_load_n(&st.stop, __ATOMIC_ACQUIRE)) {
		unsigned int op = (unsigned int)rnd(c, 100);

		st_maybe_park();
		if (c->err[0]) {
			usleep(100);
			continue;
		}
		if (op < 20)
			op_enter(c);
		else if (op < 28)
			op_remove(c);
		else if (op < 34)
			op_protect(c);
		else if (op < 38)
			op_fill(c);
		else if (op < 48)
			op_access(c);
		else if (op < 51)
			op_pv(c);
		else if (op < 64)
			op_phys(c);
		else if (op < 65)
			op_nofree(c);
		else if (op < 73)
			op_kmem(c);
		else if (op < 79)
			op_vmem(c);
		else if (op < 88)
			op_kernel(c);
		else if (op < 90)
			op_kblock(c);
		else if (op < 92)
			op_private(c);
		else if (op < 94)
			op_drain(c);
		else if (op < 95 && rnd(c, 20) == 0)
			op_bad(c);
		else
			op_access(c);
		__atomic_store_n(&c->ops, c->ops + 1, __ATOMIC_RELAXED);
	}
	vmk_sim_rdv_cpu_exit();
	return NULL;
}

bool st_teardown(struct st_cpu *c)
{
	int r = vmk_pmap_remove(st.shared, st_slot_va(c, 0), st_slot_va(c, ST_SLOTS));

	if (r) {
		FAIL(c, "cpu %u: removing its user slice at teardown: %s", c->cpu, vmk_strerror(r));
		return false;
	}
	for (unsigned int s = 0; s < ST_SLOTS; s++)
		slot_release(c, s);
	for (unsigned int i = 0; i < ST_KPAGES; i++) {
		vmk_vaddr_t va = kpage_va(c->cpu, i);

		if (!kpage[c->cpu][i])
			continue;
		if ((r = vmk_pmap_remove(vmk_pmap_kernel(), va, va + 4096))) {
			FAIL(c, "cpu %u: removing kernel page %#llx: %s", c->cpu, (unsigned long long)va, vmk_strerror(r));
			return false;
		}
		vmk_page_free(kpage[c->cpu][i]);
		kpage[c->cpu][i] = NULL;
	}
	/* --inject-bug leak: CPU 0 takes a page it never gives back; the accounting must say so. */
	if (st.bug == ST_BUG_LEAK && c->cpu == 0)
		(void)vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 0);
	/* --inject-bug kmap: CPU 0 maps a kernel page and frees the frame with the mapping left. */
	if (st.bug == ST_BUG_KMAP && c->cpu == 0) {
		struct vmk_page *pg = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 0);

		if (pg && vmk_pmap_enter(vmk_pmap_kernel(), kpage_va(0, 0), vmk_page_to_pa(pg), RW, 0) == 0)
			vmk_page_free(pg);
	}
	while (c->nheld)
		held_free(c, c->nheld - 1, false);
	while (c->nkm) {
		struct st_km a = c->km[--c->nkm];

		km_free(c, &(struct st_km){ a.va, a.size & ~1ull }, a.size & 1 ? KM_STACK : KM_MALLOC);
	}
	while (c->nvm) {
		struct st_km a = c->vm[--c->nvm];

		km_free(c, &(struct st_km){ a.va, a.size & ~1ull }, a.size & 1 ? VM_XALLOC : VM_ALLOC);
	}
	return true;
}

bool st_verify_slice(struct st_cpu *c, char *msg, size_t len)
{
	for (unsigned int s = 0; s < ST_SLOTS; s++) {
		struct vmk_pmap_mapping m;
		int e = vmk_pmap_extract(st.shared, st_slot_va(c, s), &m);
		uint32_t want = c->slot[s].prot;

		if (!c->slot[s].valid && !e) {
			snprintf(msg, len, "cpu %u slot %u: mapped (pa %#llx), the model has it unmapped", c->cpu, s,
				 (unsigned long long)m.pa);
			return false;
		}
		if (c->slot[s].valid && (e || m.pa != c->slot[s].pa || (m.prot & RW) != want)) {
			snprintf(msg, len, "cpu %u slot %u: %s pa %#llx prot %#x, the model has pa %#llx prot %#x",
				 c->cpu, s, e ? "unmapped" : "mapped", e ? 0ull : (unsigned long long)m.pa,
				 e ? 0u : m.prot, (unsigned long long)c->slot[s].pa, want);
			return false;
		}
	}
	return true;
}
