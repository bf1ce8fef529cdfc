/* Helpers for the kmem tests (linked into every test binary; used by test_kmem*, test_preload*). */
#include "kmem_util.h"

void kmt_boot_opts(const struct pmt_opts *o)
{
	struct vmk_kmem_config c = { 0 };

	vmk_kmem_reset();
	pmt_boot(o);
	c.kva_start = pmt_kva();
	c.kva_end = pmt_kva() + KMT_WINDOW;
	assert_int_equal(vmk_kmem_init(&c), 0);
}

void kmt_boot(enum vmk_pmap_arch_id arch)
{
	struct pmt_opts o = { .arch = arch };

	kmt_boot_opts(&o);
}

void kmt_shutdown(void)
{
	vmk_kmem_reset();
	pmt_shutdown();
}

vmk_vaddr_t kmt_boot_va(void)
{
	return pmt_kva() + KMT_BOOT_OFF;
}

static uint64_t tag_pages(void)
{
	uint64_t n = vmk_vmem_tag_pages(vmk_kmem_kva_arena());

	for (unsigned int d = 0; vmk_kmem_arena(d, false); d++)
		n += vmk_vmem_tag_pages(vmk_kmem_arena(d, false)) + vmk_vmem_tag_pages(vmk_kmem_arena(d, true));
	return n;
}

void kmt_snap(struct kmt_snap *s)
{
	struct vmk_phys_stats ps;
	struct vmk_pmap_stats ks;

	memset(s, 0, sizeof(*s));
	for (unsigned int d = 0; vmk_kmem_arena(d, false); d++)
		vmk_vmem_qcache_drain(vmk_kmem_arena(d, false));
	vmk_phys_drain_all_quiescent();
	vmk_phys_get_stats(&ps);
	memcpy(s->state, ps.state, sizeof(s->state));
	/* vmem tag pages are kept for reuse, not leaked: count them as free. */
	s->state[VMK_PAGE_ALLOC] -= tag_pages();
	s->state[VMK_PAGE_FREE] += tag_pages();
	s->state[VMK_PAGE_FREE] += s->state[VMK_PAGE_PCPU];
	s->state[VMK_PAGE_PCPU] = 0;
	s->free = ps.free + tag_pages();
	s->nofree_returned = ps.nofree_returned;
	vmk_pmap_stats(vmk_pmap_kernel(), &ks);
	s->resident = ks.resident;
	s->kva_alloc = vmk_vmem_size(vmk_kmem_kva_arena(), VMK_VMEM_ALLOC);
	s->arena_alloc = vmk_vmem_size(vmk_kmem_arena(0, false), VMK_VMEM_ALLOC);
	s->nofree_alloc = vmk_vmem_size(vmk_kmem_arena(0, true), VMK_VMEM_ALLOC);
	vmk_kmem_stats(&s->km);
}

void kmt_same(const struct kmt_snap *a, const char *what)
{
	struct kmt_snap b;

	kmt_snap(&b);
	for (unsigned int i = 0; i < VMK_PAGE_NSTATES; i++)
		if (a->state[i] != b.state[i])
			fail_msg("%s: %s frames %llu -> %llu (ptp +%llu)", what, vmk_page_state_name(i),
				 (unsigned long long)a->state[i], (unsigned long long)b.state[i], (unsigned long long)b.state[VMK_PAGE_PTP] - a->state[VMK_PAGE_PTP]);
#define SAME(f) if (a->f != b.f) fail_msg("%s: " #f " %llu -> %llu", what, \
					  (unsigned long long)a->f, (unsigned long long)b.f)
	SAME(free);
	SAME(resident);
	SAME(kva_alloc);
	SAME(arena_alloc);
	SAME(nofree_alloc);
	SAME(km.pages_backed);
	SAME(km.nofree_pages);
	SAME(km.resv_active);
	SAME(km.resv_pages_idle);
	SAME(km.units);
#undef SAME
}

void kmt_check_fast(void)
{
	char msg[256];

	if (vmk_kmem_check(msg, sizeof(msg)) != 0)
		fail_msg("kmem_check: %s", msg);
	pmt_check(vmk_pmap_kernel());
}

void kmt_check(void)
{
	kmt_check_fast();
	vmk_phys_drain_all_quiescent();
	vmk_check_phys();
}
