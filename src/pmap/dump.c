/*
 * A Linux-ptdump-style dump of an address space: one line per run of
 * contiguous mappings with the same level and attributes, then counts.
 */
#include "pmap_internal.h"

struct run {
	bool open;
	vmk_vaddr_t start, end;
	unsigned int lvl;
	uint32_t attrs;
};

struct dump {
	struct vmk_pmap *pm;
	struct vmk_out *out;
	bool json;
	unsigned int nruns;
	struct run r;
	const struct vmk_pmap_dump_marker *mk;
	size_t nmk, next_mk;
	uint64_t leaves[3], ptps;
};

#define CMP_MASK (~(uint32_t)(VMK_PTE_A_ACCESSED | VMK_PTE_A_DIRTY))

static const char *const lvl_name_x86[] = { "pte", "pmd", "pud", "p4d", "pgd" };
static const char *const mt_name[] = { "WB", "UC", "WC", "DEV" };

static void markers_upto(struct dump *d, vmk_vaddr_t va)
{
	while (d->next_mk < d->nmk && d->mk[d->next_mk].va <= va) {
		if (!d->json)
			vmk_out_printf(d->out, "---[ %s ]---\n", d->mk[d->next_mk].name);
		d->next_mk++;
	}
}

static void flush_run(struct dump *d)
{
	struct run *r = &d->r;
	char sz[32];
	bool exec;

	if (!r->open)
		return;
	r->open = false;
	exec = !(r->attrs & ((r->attrs & VMK_PTE_A_USER) ? VMK_PTE_A_UXN : VMK_PTE_A_PXN));
	vmk_fmt_size(sz, sizeof(sz), r->end - r->start);
	if (d->json) {
		vmk_out_printf(d->out,
			       "%s\n    {\"start\": \"%#llx\", \"end\": \"%#llx\", \"size\": %llu, \"level\": \"%s\", "
			       "\"write\": %s, \"user\": %s, \"exec\": %s, \"global\": %s, \"memtype\": \"%s\", "
			       "\"managed\": %s, \"wired\": %s, \"nopromote\": %s}",
			       d->nruns ? "," : "", (unsigned long long)r->start, (unsigned long long)r->end,
			       (unsigned long long)(r->end - r->start), lvl_name_x86[r->lvl],
			       (r->attrs & VMK_PTE_A_WRITE) ? "true" : "false",
			       (r->attrs & VMK_PTE_A_USER) ? "true" : "false", exec ? "true" : "false",
			       (r->attrs & VMK_PTE_A_GLOBAL) ? "true" : "false",
			       mt_name[VMK_PTE_A_MT_OF(r->attrs) & 3],
			       (r->attrs & VMK_PTE_A_MANAGED) ? "true" : "false",
			       (r->attrs & VMK_PTE_A_WIRED) ? "true" : "false",
			       (r->attrs & VMK_PTE_A_NOPROMOTE) ? "true" : "false");
	} else {
		vmk_out_printf(d->out, "0x%016llx-0x%016llx %9s %s %-3s %-3s %-2s %-3s %-3s%s%s%s\n",
			       (unsigned long long)r->start, (unsigned long long)r->end, sz,
			       lvl_name_x86[r->lvl], (r->attrs & VMK_PTE_A_WRITE) ? "RW" : "ro",
			       (r->attrs & VMK_PTE_A_USER) ? "USR" : "",
			       exec ? "x" : "NX", (r->attrs & VMK_PTE_A_GLOBAL) ? "GLB" : "",
			       mt_name[VMK_PTE_A_MT_OF(r->attrs) & 3],
			       (r->attrs & VMK_PTE_A_MANAGED) ? " managed" : "",
			       (r->attrs & VMK_PTE_A_WIRED) ? " wired" : "",
			       (r->attrs & VMK_PTE_A_NOPROMOTE) ? " nopromote" : "");
	}
	d->nruns++;
}

static void leaf(struct dump *d, vmk_vaddr_t va, unsigned int lvl, uint32_t a)
{
	struct run *r = &d->r;

	d->leaves[lvl]++;
	if (r->open && r->end == va && r->lvl == lvl && (r->attrs & CMP_MASK) == (a & CMP_MASK) &&
	    !(d->next_mk < d->nmk && d->mk[d->next_mk].va <= va)) {
		r->end = va + VMK_PT_SIZE(lvl);
		return;
	}
	flush_run(d);
	markers_upto(d, va);
	r->open = true;
	r->start = va;
	r->end = va + VMK_PT_SIZE(lvl);
	r->lvl = lvl;
	r->attrs = a;
}

static void walk(struct dump *d, vmk_paddr_t t, unsigned int lvl, vmk_vaddr_t base)
{
	vmk_pte_t *tbl = vmk_pmap__table(t);
	bool shared_top = !d->pm->kernel && !vmk_pmap__g.arch->split_roots && lvl == vmk_pmap__g.top;

	for (unsigned int i = 0; i < VMK_PT_ENTRIES; i++) {
		vmk_pte_t e = vmk_pmap__pte_load(&tbl[i]);
		vmk_vaddr_t va = base + ((vmk_vaddr_t)i << VMK_PT_SHIFT(lvl));

		if (lvl == vmk_pmap__g.top && d->pm->kernel) {
			if (vmk_pmap__g.arch->split_roots)
				va |= ~(vmk_vaddr_t)0 << vmk_pmap__g.va_bits;
			else if (va >> (vmk_pmap__g.va_bits - 1))
				va |= ~(vmk_vaddr_t)0 << (vmk_pmap__g.va_bits - 1);
		}
		if (!vmk_pmap__g.arch->is_valid(e, lvl) || (shared_top && i >= VMK_PT_ENTRIES / 2))
			continue;
		if (vmk_pmap__g.arch->is_table(e, lvl)) {
			d->ptps++;
			walk(d, vmk_pmap__g.arch->pa_of(e, lvl), lvl - 1, va);
		} else {
			leaf(d, va, lvl, vmk_pmap__marked(d->pm, vmk_pmap__g.arch->attrs_of(e, lvl), va, lvl, t));
		}
	}
}

void vmk_pmap_dump(struct vmk_pmap *pm, struct vmk_out *out, uint32_t flags,
		   const struct vmk_pmap_dump_marker *markers, size_t nmarkers)
{
	struct dump d;

	vmk_memset(&d, 0, sizeof(d));
	d.pm = pm;
	d.out = out;
	d.json = flags & VMK_PMAP_DUMP_JSON;
	d.mk = markers;
	d.nmk = markers ? nmarkers : 0;
	d.ptps = 1;
	vmk_pmap__lock(pm);
	if (d.json)
		vmk_out_printf(out, "{\n  \"arch\": \"%s\", \"levels\": %u, \"space\": \"%s\",\n  \"runs\": [",
			       vmk_pmap__g.arch->name, vmk_pmap__g.levels, pm->kernel ? "kernel" : "user");
	else
		vmk_out_printf(out, "---[ %s %s address space, %u levels ]---\n", vmk_pmap__g.arch->name,
			       pm->kernel ? "kernel" : "user", vmk_pmap__g.levels);
	walk(&d, pm->root, vmk_pmap__g.top, 0);
	flush_run(&d);
	if (d.json)
		vmk_out_printf(out, "\n  ],\n  \"counts\": {\"4K\": %llu, \"2M\": %llu, \"1G\": %llu, "
			       "\"ptps\": %llu, \"spare_ptps\": %llu, \"runs\": %u}\n}\n",
			       (unsigned long long)d.leaves[0], (unsigned long long)d.leaves[1],
			       (unsigned long long)d.leaves[2], (unsigned long long)d.ptps,
			       (unsigned long long)pm->st.spare_ptps, d.nruns);
	else
		vmk_out_printf(out, "---[ counts ]---\n4K mappings: %llu\n2M mappings: %llu\n1G mappings: %llu\n"
			       "page-table pages: %llu (+%llu spare)\n",
			       (unsigned long long)d.leaves[0], (unsigned long long)d.leaves[1],
			       (unsigned long long)d.leaves[2], (unsigned long long)d.ptps,
			       (unsigned long long)pm->st.spare_ptps);
	vmk_pmap__unlock(pm);
}
