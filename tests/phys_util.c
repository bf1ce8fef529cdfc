/* Helpers for the phys tests (linked into every test binary; used by test_phys*). */
#include "phys_util.h"

struct tp_machine tp_m;

void tp_reset(void)
{
	for (unsigned int i = 0; i < tp_m.nmeta; i++)
		free(tp_m.meta[i]);
	tp_m.nmeta = 0;
	vmk_sim_install();
	vmk_sim_ram_reset();
	vmk_sim_set_cpu_count(1);
	vmk_sim_set_cpu(0);
	vmk_phys_reset();
}

void tp_add(vmk_paddr_t base, vmk_size_t size, unsigned int domain)
{
	size_t m = vmk_phys_seg_meta_size(base, base + size);
	void *meta;

	assert_true(m > 0);
	assert_true(tp_m.nmeta < TP_MAX_META);
	meta = aligned_alloc(64, (m + 63) & ~(size_t)63);
	assert_non_null(meta);
	memset(meta, 0xa5, m);	/* records must not rely on zeroed memory */
	tp_m.meta[tp_m.nmeta++] = meta;
	assert_int_equal(vmk_sim_ram_add(base, size), 0);
	assert_int_equal(vmk_phys_seg_add(base, base + size, domain, meta), 0);
}

void tp_add_free(vmk_paddr_t base, vmk_size_t size, unsigned int domain)
{
	tp_add(base, size, domain);
	assert_int_equal(vmk_phys_bootstrap_free(base, base + size), 0);
}

uint64_t tp_free(void)
{
	struct vmk_phys_stats st;

	vmk_phys_get_stats(&st);
	return st.free;
}

uint64_t tp_state(unsigned int s)
{
	struct vmk_phys_stats st;

	vmk_phys_get_stats(&st);
	return st.state[s];
}

void tp_check(void)
{
	vmk_check_phys();
}

uint64_t tp_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}
