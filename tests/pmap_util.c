/* Helpers for the pmap tests (linked into every test binary; used by test_pmap*). */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

static void *pmt_meta;
static struct pmt_opts pmt_cur;

vmk_vaddr_t pmt_kva(void)
{
	if (pmt_cur.arch == VMK_PMAP_ARCH_RISCV64 && pmt_cur.levels == 3)
		return PMT_KVA_SV39;
	return (pmt_cur.arch == VMK_PMAP_ARCH_ARM64 && pmt_cur.levels == 3) ? PMT_KVA3 : PMT_KVA;
}

void pmt_boot(const struct pmt_opts *o)
{
	struct vmk_mmu_cfg mc;
	struct vmk_pmap_config pc;
	size_t m;
	unsigned int ncpus = o->ncpus ? o->ncpus : 1;

	pmt_shutdown();
	pmt_cur = *o;
	vmk_sim_install();
	vmk_sim_ram_reset();
	vmk_sim_set_cpu_count(ncpus);
	vmk_sim_set_cpu(0);
	vmk_phys_reset();
	m = vmk_phys_seg_meta_size(PMT_RAM_BASE, PMT_RAM_END);
	assert_true(m > 0);
	pmt_meta = aligned_alloc(64, (m + 63) & ~(size_t)63);
	assert_non_null(pmt_meta);
	assert_int_equal(vmk_sim_ram_add(PMT_RAM_BASE, PMT_RAM_END - PMT_RAM_BASE), 0);
	assert_int_equal(vmk_phys_seg_add(PMT_RAM_BASE, PMT_RAM_END, 0, pmt_meta), 0);
	assert_int_equal(vmk_phys_bootstrap_free(PMT_RAM_BASE, PMT_ALLOC_END), 0);

	memset(&mc, 0, sizeof(mc));
	mc.arch = o->arch;
	mc.levels = o->levels ? o->levels : vmk_pmap_default_levels(o->arch);
	mc.nxe = true;
	mc.smep = true;
	mc.hw_af = !o->hw_af_off;
	mc.hw_dbm = !o->hw_dbm_off;
	mc.tlb_entries = 64;
	mc.check_ptp = !o->sim_old_model;
	mc.no_page_1g = o->no_1g || o->sim_no_page_1g;
	mc.pa_bits = o->sim_pa_bits;
	mc.no_walk_cache = o->sim_old_model;
	mc.svnapot = !o->no_cont;
	if (o->rv_feat) {
		mc.svnapot = o->rv_feat->svnapot;
		mc.no_svpbmt = !o->rv_feat->svpbmt;
	}
	vmk_sim_mmu_install(&mc);
	/* Every CPU may walk and cache any live translation at any barrier or TLBI. */
	vmk_sim_mmu_speculate(o->sim_old_model ? 0 : o->spec_pct ? o->spec_pct : 10, 2, th_seed());

	memset(&pc, 0, sizeof(pc));
	pc.arch = o->arch;
	pc.levels = o->levels;
	pc.large_1g = !o->no_1g;
	pc.no_promote = o->no_promote;
	pc.promote_kernel_1g = o->promote_kernel_1g;
	pc.nx = true;
	pc.no_cont = o->no_cont;
	pc.svnapot = !o->no_cont;
	pc.asid_bits = o->asid_bits;
	pc.kva_start = pmt_kva();
	pc.kva_end = o->kva_top ? 0 : pmt_kva() == PMT_KVA ? PMT_KVA_END : pmt_kva() + (16ull << 30);
	pc.load_root = vmk_sim_mmu_load_root_hook;
	pc.dmap_base = o->dmap_base;
	pc.dmap_end = o->dmap_end;
	pc.tmp_va = o->tmp_va;
	pc.kva_ptr = o->kva_ptr;
	if (o->rv_feat) {
		assert_int_equal(vmk_pmap_config_riscv(o->rv_feat, &pc), 0);
		assert_int_equal(pc.levels, mc.levels);
	}
	assert_int_equal(vmk_pmap_bootstrap(&pc), 0);
	for (unsigned int c = 0; c < ncpus; c++)
		vmk_pmap_activate(vmk_pmap_kernel(), c);
}

void pmt_boot_arch(enum vmk_pmap_arch_id arch)
{
	struct pmt_opts o = { .arch = arch };

	pmt_boot(&o);
}

void pmt_shutdown(void)
{
	vmk_sim_mmu_uninstall();
	vmk_sim_tlb_flush_all();
	vmk_phys_reset();
	vmk_sim_ram_reset();
	free(pmt_meta);
	pmt_meta = NULL;
	vmk_sim_set_cpu_count(1);
	vmk_sim_set_cpu(0);
}

uint64_t pmt_ptp_pages(void)
{
	struct vmk_phys_stats st;

	vmk_phys_get_stats(&st);
	return st.state[VMK_PAGE_PTP];
}

uint64_t pmt_alloc_pages(void)
{
	struct vmk_phys_stats st;

	vmk_phys_get_stats(&st);
	return st.state[VMK_PAGE_ALLOC];
}

void pmt_check(struct vmk_pmap *pm)
{
	char msg[256];

	if (vmk_pmap_check(pm, msg, sizeof(msg)) != 0)
		fail_msg("pmap invariant: %s", msg);
	if (vmk_sim_tlb_audit(msg, sizeof(msg)) != 0)
		fail_msg("TLB audit: %s", msg);
	if (vmk_sim_mmu_bbm_violations() != 0)
		fail_msg("break-before-make: %s", vmk_sim_mmu_bbm_msg());
	if (vmk_sim_intr_violations() != 0)
		fail_msg("interrupts / break-before-make window: %s", vmk_sim_intr_msg());
	{
		struct vmk_pmap_stats st;

		vmk_pmap_stats(pm, &st);
		if (vmk_sim_tlb_check_counts(pm, st.tlbi, msg, sizeof(msg)) != 0)
			fail_msg("TLB invalidation counts: %s", msg);
	}
}

void pmt_map_stats(struct vmk_pmap *pm, struct vmk_pmap_stats *st)
{
	vmk_pmap_stats(pm, st);
	memset(st->tlbi, 0, sizeof(st->tlbi));
	st->tlbi_nonleaf = 0;
	st->folds = st->unfolds = 0;
}

struct vmk_pmap *pmt_user(bool device)
{
	struct vmk_pmap *pm;

	assert_int_equal(vmk_pmap_create(&pm), 0);
	if (device)
		assert_int_equal(vmk_pmap_allow_device(pm, 0, 1ull << 38), 0);
	vmk_pmap_activate(pm, 0);
	return pm;
}

struct vmk_pmap *pmt_boot_user(enum vmk_pmap_arch_id arch)
{
	pmt_boot_arch(arch);
	return pmt_user(false);
}

void pmt_drop_user(struct vmk_pmap *pm)
{
	pmt_check(pm);
	vmk_pmap_activate(vmk_pmap_kernel(), 0);
	vmk_pmap_destroy(pm);
}

struct vmk_pmap *pmt_boot_user_all(const struct pmt_opts *o)
{
	struct vmk_pmap *u;

	pmt_boot(o);
	assert_int_equal(vmk_pmap_create(&u), 0);
	for (unsigned int c = 0; c < (o->ncpus ? o->ncpus : 1); c++)
		vmk_pmap_activate(u, c);
	return u;
}

void pmt_kernel_all(void)
{
	for (unsigned int c = 0; c < (pmt_cur.ncpus ? pmt_cur.ncpus : 1); c++)
		vmk_pmap_activate(vmk_pmap_kernel(), c);
}

void pmt_pages(vmk_paddr_t *pas, vmk_paddr_t pa0, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		pas[i] = pa0 + i * 4096ull;
}

unsigned int pmt_reported(char *msg, size_t len)
{
	unsigned int n = vmk_sim_tlb_audit(msg, len);

	if (vmk_sim_mmu_bbm_violations()) {
		snprintf(msg, len, "%s", vmk_sim_mmu_bbm_msg());
		n += (unsigned int)vmk_sim_mmu_bbm_violations();
	}
	return n;
}

struct pmt_kva_probe pmt_kva_probe;

void *pmt_kva_through_mmu(void *ctx, vmk_vaddr_t va)
{
	struct vmk_mmu_walk w;

	(void)ctx;
	pmt_kva_probe.calls++;
	pmt_kva_probe.last = va;
	if (vmk_sim_mmu_probe(0, va, VMK_MMU_READ | VMK_MMU_WRITE, &w) != 0)
		return NULL;
	pmt_kva_probe.pa = w.pa;
	return vmk_sim_phys_to_virt(w.pa);
}

struct vmk_pmap_mapping pmt_extract(struct vmk_pmap *pm, vmk_vaddr_t va)
{
	struct vmk_pmap_mapping m;

	assert_int_equal(vmk_pmap_extract(pm, va, &m), 0);
	return m;
}

struct vmk_pmap_stats pmt_stats(struct vmk_pmap *pm)
{
	struct vmk_pmap_stats st;

	vmk_pmap_stats(pm, &st);
	return st;
}

uint64_t pmt_tree_hash(vmk_paddr_t t, unsigned int lvl)
{
	const vmk_pte_t *tbl = vmk_sim_phys_to_virt(t);
	uint64_t h = 1469598103934665603ull;

	for (unsigned int i = 0; i < 512; i++) {
		vmk_pte_t e = tbl[i];

		h = (h ^ e ^ i) * 1099511628211ull;
		if (lvl > 0 && vmk_pmap__g.arch->is_table(e, lvl))
			h ^= pmt_tree_hash(vmk_pmap__g.arch->pa_of(e, lvl), lvl - 1) * 31;
	}
	return h;
}

void pmt_snap_take(struct vmk_pmap *pm, struct pmt_snap *s)
{
	memset(s, 0, sizeof(*s));
	pmt_map_stats(pm, &s->st);
	s->hash = pmt_tree_hash(vmk_pmap_root(pm), vmk_pmap__g.top);
	s->ptp = pmt_ptp_pages();
	s->alloc = pmt_alloc_pages();
}

void pmt_snap_same(const struct pmt_snap *a, const struct pmt_snap *b)
{
	assert_memory_equal(&a->st, &b->st, sizeof(a->st));
	assert_true(a->hash == b->hash);
	assert_int_equal(a->ptp, b->ptp);
	assert_int_equal(a->alloc, b->alloc);
}

uint64_t pmt_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

const char *pmt_arch_name(enum vmk_pmap_arch_id a)
{
	return a == VMK_PMAP_ARCH_X86_64 ? "x86_64" : a == VMK_PMAP_ARCH_ARM64 ? "arm64" : "riscv64";
}
