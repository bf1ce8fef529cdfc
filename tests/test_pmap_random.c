/*
 * Randomized differential test and fault-injection sweep.
 *
 * Differential: random enter / enter_large / remove / protect / copy /
 * remove_all on two user pmaps, against a reference model VA -> (PA,
 * protection, memory type, managed). After every step every page of both
 * windows is checked through extract and through the software MMU (a
 * fresh walk of the hardware-format tables, and accesses through the
 * per-CPU TLBs, which also catches a missing invalidation), and the
 * pmap invariants are checked. The seed is printed (replay: VMK_SEED);
 * VMK_PMAP_STEPS sets the number of steps per architecture.
 *
 * Sweep: a fixed scenario is run with the n-th allocation failing, for
 * every n until none fails; each failed operation must leave the state
 * as it was, and in the end no PTP or PV chunk may be left behind.
 */
#include "pmap_util.h"
#include "../src/pmap/pmap_internal.h"

#define ARCH_OF(state) (*(enum vmk_pmap_arch_id *)*(state))
#define UVA	0x0000000040000000ull
#define WPAGES	2048u			/* 8 MiB window per pmap */
#define S2M	PT_SIZE(1)
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define M	VMK_PMAP_ENTER_MANAGED

static enum vmk_pmap_arch_id x86 = VMK_PMAP_ARCH_X86_64, arm = VMK_PMAP_ARCH_ARM64, rv = VMK_PMAP_ARCH_RISCV64;
static enum vmk_pmap_arch_id cur_arch;

struct ment {
	bool valid, managed;
	uint32_t prot;
	unsigned int mt;
	vmk_paddr_t pa;
};

struct model {
	struct ment e[2][WPAGES];
	struct vmk_pmap *pm[2];
	unsigned int cpu[2];	/* CPU each pmap is active on */
	uint64_t rng;
};

static const uint32_t prots[] = { VMK_PROT_READ, RW, VMK_PROT_READ | VMK_PROT_EXEC, RW | VMK_PROT_EXEC };

static unsigned int norm_mt(unsigned int mt)
{
	return (cur_arch != VMK_PMAP_ARCH_ARM64 && mt == VMK_MEMTYPE_DEVICE) ? VMK_MEMTYPE_UC : mt;
}

static uint64_t rnd(struct model *md, uint64_t n)
{
	return pmt_rand(&md->rng) % n;
}

/* Check every page of pmap i against the model, through extract and the MMU. */
static void verify(struct model *md, unsigned int i, unsigned int step)
{
	for (unsigned int p = 0; p < WPAGES; p++) {
		const struct ment *e = &md->e[i][p];
		vmk_vaddr_t va = UVA + p * 4096ull;
		struct vmk_pmap_mapping m;
		struct vmk_mmu_walk w;
		int r = vmk_pmap_extract(md->pm[i], va + 0x10, &m);
		int f = vmk_sim_mmu_probe(md->cpu[i], va + 0x10, 0, &w);

		if (!e->valid) {
			if (r != -VMK_ENOENT || f != VMK_MMU_FAULT_TRANSLATION)
				fail_msg("step %u pmap %u va %#llx: unmapped in the model, extract %d, walk %s",
					 step, i, (unsigned long long)va, r, vmk_mmu_fault_name(f));
			continue;
		}
		if (r || f)
			fail_msg("step %u pmap %u va %#llx: mapped in the model, extract %d, walk %s", step, i,
				 (unsigned long long)va, r, vmk_mmu_fault_name(f));
		if (m.pa != e->pa + 0x10 || m.prot != e->prot || m.memtype != norm_mt(e->mt) ||
		    m.managed != e->managed || !m.user)
			fail_msg("step %u pmap %u va %#llx: extract pa %#llx prot %u mt %u managed %d, model pa %#llx prot %u mt %u managed %d",
				 step, i, (unsigned long long)va, (unsigned long long)m.pa, m.prot, m.memtype,
				 m.managed, (unsigned long long)e->pa + 0x10, e->prot, norm_mt(e->mt), e->managed);
		if (w.pa != e->pa + 0x10 || !w.user || w.writable != !!(e->prot & VMK_PROT_WRITE) ||
		    w.uexec != !!(e->prot & VMK_PROT_EXEC) || w.kexec)
			fail_msg("step %u pmap %u va %#llx: the MMU walk disagrees (pa %#llx w%d ux%d)", step, i,
				 (unsigned long long)va, (unsigned long long)w.pa, w.writable, w.uexec);
	}
	pmt_check(md->pm[i]);
}

/* A few accesses through the TLB of the pmap's CPU: they must fault exactly as the model says. */
static void touch(struct model *md, unsigned int step)
{
	for (unsigned int k = 0; k < 24; k++) {
		unsigned int i = (unsigned int)rnd(md, 2), p = (unsigned int)rnd(md, WPAGES);
		static const uint32_t kinds[] = { VMK_MMU_READ, VMK_MMU_WRITE, VMK_MMU_EXEC };
		uint32_t kind = kinds[rnd(md, 3)];
		const struct ment *e = &md->e[i][p];
		bool ok = e->valid && (kind == VMK_MMU_READ || (kind == VMK_MMU_WRITE && (e->prot & VMK_PROT_WRITE)) ||
				       (kind == VMK_MMU_EXEC && (e->prot & VMK_PROT_EXEC)));
		int f = vmk_sim_mmu_access(md->cpu[i], UVA + p * 4096ull, kind | VMK_MMU_USER, NULL);

		if ((f == 0) != ok)
			fail_msg("step %u: access %u to pmap %u page %u gave %s, model says %s", step, kind, i, p,
				 vmk_mmu_fault_name(f), ok ? "allowed" : "denied");
	}
}

static bool range_empty(struct model *md, unsigned int i, unsigned int p0, unsigned int n)
{
	for (unsigned int p = p0; p < p0 + n; p++)
		if (md->e[i][p].valid)
			return false;
	return true;
}

static void model_set(struct model *md, unsigned int i, unsigned int p, vmk_paddr_t pa, uint32_t prot,
		      unsigned int mt, bool managed)
{
	md->e[i][p] = (struct ment){ true, managed, prot, mt, pa };
}

static void step_once(struct model *md, unsigned int step)
{
	unsigned int op = (unsigned int)rnd(md, 100), i = (unsigned int)rnd(md, 2);
	struct vmk_pmap *pm = md->pm[i];
	uint32_t prot = prots[rnd(md, 4)];
	unsigned int mt = rnd(md, 8) == 0 ? (unsigned int)rnd(md, VMK_MEMTYPE_COUNT) : VMK_MEMTYPE_WB;
	bool managed = rnd(md, 5) != 0;
	uint32_t fl = VMK_PMAP_MEMTYPE(mt) | (managed ? M : 0);

	if (op < 35) {
		/* enter one page; PAs mostly follow VA so that tables can fill up and promote */
		unsigned int p = (unsigned int)rnd(md, WPAGES);
		vmk_paddr_t pa = PMT_DATA + p * 4096ull + (rnd(md, 4) == 0 ? rnd(md, 64) * 4096ull : 0);
		bool norep = rnd(md, 10) == 0;
		int r = vmk_pmap_enter(pm, UVA + p * 4096ull, pa, prot,
				       fl | (norep ? VMK_PMAP_ENTER_NOREPLACE : 0) |
				       (rnd(md, 10) == 0 ? VMK_PMAP_ENTER_WIRED : 0));

		if (norep && md->e[i][p].valid) {
			assert_int_equal(r, -VMK_EEXIST);
		} else {
			assert_int_equal(r, 0);
			model_set(md, i, p, pa, prot, mt, managed);
		}
	} else if (op < 45) {
		/* fill a whole 2 MiB chunk contiguously: promotion, unless the run is misaligned */
		unsigned int c = (unsigned int)rnd(md, WPAGES / 512);
		vmk_paddr_t shift = rnd(md, 3) == 0 ? (1 + rnd(md, 511)) * 4096ull : 0;

		for (unsigned int p = c * 512; p < c * 512 + 512; p++) {
			vmk_paddr_t pa = PMT_DATA + p * 4096ull + shift;

			assert_int_equal(vmk_pmap_enter(pm, UVA + p * 4096ull, pa, prot, fl), 0);
			model_set(md, i, p, pa, prot, mt, managed);
		}
	} else if (op < 52) {
		/* a 2 MiB block directly */
		unsigned int c = (unsigned int)rnd(md, WPAGES / 512);
		vmk_paddr_t pa = PMT_DATA + S2M * (8 + rnd(md, 8));
		struct vmk_pmap_mapping m;
		bool block = vmk_pmap_extract(pm, UVA + c * S2M, &m) == 0 && m.size == S2M;
		int r = vmk_pmap_enter_large(pm, UVA + c * S2M, pa, S2M, prot, fl);

		if (range_empty(md, i, c * 512, 512) || block) {
			assert_int_equal(r, 0);
			for (unsigned int p = 0; p < 512; p++)
				model_set(md, i, c * 512 + p, pa + p * 4096ull, prot, mt, managed);
		} else {
			assert_int_equal(r, -VMK_EEXIST);
		}
	} else if (op < 67) {
		unsigned int a = (unsigned int)rnd(md, WPAGES), n = 1 + (unsigned int)rnd(md, rnd(md, 2) ? 8 : 700);

		n = VMK_MIN(n, WPAGES - a);
		assert_int_equal(vmk_pmap_remove(pm, UVA + a * 4096ull, UVA + (a + n) * 4096ull), 0);
		for (unsigned int p = a; p < a + n; p++)
			md->e[i][p].valid = false;
	} else if (op < 82) {
		unsigned int a = (unsigned int)rnd(md, WPAGES), n = 1 + (unsigned int)rnd(md, rnd(md, 2) ? 8 : 700);
		uint32_t np = rnd(md, 8) == 0 ? VMK_PROT_NONE : prots[rnd(md, 4)];

		n = VMK_MIN(n, WPAGES - a);
		assert_int_equal(vmk_pmap_protect(pm, UVA + a * 4096ull, UVA + (a + n) * 4096ull, np), 0);
		for (unsigned int p = a; p < a + n; p++) {
			if (np == VMK_PROT_NONE)
				md->e[i][p].valid = false;
			else
				md->e[i][p].prot = np;
		}
	} else if (op < 92) {
		/* copy a range from pmap i to the other, as fork does */
		unsigned int j = 1 - i, a = (unsigned int)rnd(md, WPAGES), n = 1 + (unsigned int)rnd(md, 1200);
		struct ment before[WPAGES];

		n = VMK_MIN(n, WPAGES - a);
		memcpy(before, md->e[j], sizeof(before));
		for (unsigned int p = a; p < a + n;) {
			struct vmk_pmap_mapping m;
			unsigned int pages = 1, base = p;

			if (md->e[i][p].valid) {
				assert_int_equal(vmk_pmap_extract(pm, UVA + p * 4096ull, &m), 0);
				pages = (unsigned int)(m.size / 4096);
				base = p & ~(pages - 1);
			}
			if (md->e[i][p].valid && md->e[i][p].managed && base >= a && base + pages <= a + n &&
			    range_empty(md, j, base, pages)) {
				/* checked against the state before the copy, then applied */
				for (unsigned int q = base; q < base + pages; q++)
					before[q] = md->e[i][q];
			}
			p = base + pages;
		}
		assert_int_equal(vmk_pmap_copy(md->pm[j], pm, UVA + a * 4096ull, n * 4096ull), 0);
		memcpy(md->e[j], before, sizeof(before));
	} else if (op < 96) {
		/* remove_all of a mapped managed page */
		unsigned int p = (unsigned int)rnd(md, WPAGES);
		vmk_paddr_t pa;

		if (!md->e[i][p].valid || !md->e[i][p].managed)
			return;
		pa = md->e[i][p].pa;
		vmk_pmap_remove_all(pa);
		for (unsigned int k = 0; k < 2; k++)
			for (unsigned int q = 0; q < WPAGES; q++)
				if (md->e[k][q].valid && md->e[k][q].managed && md->e[k][q].pa == pa)
					md->e[k][q].valid = false;
	} else {
		/* referenced/modified bookkeeping does not change translations */
		unsigned int p = (unsigned int)rnd(md, WPAGES);

		if (md->e[i][p].valid && md->e[i][p].managed) {
			(void)vmk_pmap_ts_referenced(md->e[i][p].pa);
			vmk_pmap_clear_modify(md->e[i][p].pa);
		}
	}
}

static unsigned int steps_wanted(void)
{
	const char *s = getenv("VMK_PMAP_STEPS");

	return s && *s ? (unsigned int)strtoul(s, NULL, 0) : 250;
}

static void test_differential(void **state)
{
	struct pmt_opts o = { .arch = ARCH_OF(state), .ncpus = 3, .asid_bits = 8 };
	static struct model md;
	unsigned long seed = th_seed();
	unsigned int steps = steps_wanted();
	uint64_t ptp0;

	cur_arch = o.arch;
	pmt_boot(&o);
	ptp0 = pmt_ptp_pages();
	memset(&md, 0, sizeof(md));
	md.rng = seed * 2654435761u + 1 + o.arch;
	printf("pmap differential (%s): seed %lu, %u steps\n", pmt_arch_name(o.arch), seed, steps);
	for (unsigned int i = 0; i < 2; i++) {
		assert_int_equal(vmk_pmap_create(&md.pm[i]), 0);
		/* Memory types other than WB in user space: inside a device window only. */
		assert_int_equal(vmk_pmap_allow_device(md.pm[i], 0, 1ull << 38), 0);
		md.cpu[i] = i + 1;
		vmk_pmap_activate(md.pm[i], md.cpu[i]);
	}
	for (unsigned int s = 0; s < steps; s++) {
		step_once(&md, s);
		touch(&md, s);
		verify(&md, 0, s);
		verify(&md, 1, s);
	}
	pmt_check(vmk_pmap_kernel());
	for (unsigned int i = 0; i < 2; i++) {
		vmk_pmap_activate(vmk_pmap_kernel(), md.cpu[i]);
		vmk_pmap_destroy(md.pm[i]);
	}
	assert_int_equal(pmt_ptp_pages(), ptp0);
	pmt_shutdown();
}

/* ---- fault-injection sweep ---- */

struct fsnap {
	struct vmk_pmap_stats st[2];
	uint64_t hash[2];
	uint64_t ptp, alloc;
};

static void fsnap_take(struct vmk_pmap **pm, struct fsnap *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned int i = 0; i < 2; i++) {
		if (!pm[i])
			continue;
		pmt_map_stats(pm[i], &s->st[i]);
		s->hash[i] = pmt_tree_hash(vmk_pmap_root(pm[i]), vmk_pmap__g.top);
	}
	s->ptp = pmt_ptp_pages();
	s->alloc = pmt_alloc_pages();
}

static unsigned int failed_ops;

/* Run op; if it failed, nothing may have changed (copy is advisory: it may keep what it copied). */
static void op_check(struct vmk_pmap **pm, int r, const struct fsnap *before, bool advisory)
{
	static struct fsnap after;

	if (r == 0)
		return;
	assert_int_equal(r, -VMK_ENOMEM);
	failed_ops++;
	fsnap_take(pm, &after);
	if (advisory) {
		pmt_check(pm[0]);
		pmt_check(pm[1]);
		return;
	}
	assert_memory_equal(after.st, before->st, sizeof(after.st));
	assert_memory_equal(after.hash, before->hash, sizeof(after.hash));
	assert_int_equal(after.ptp, before->ptp);
	assert_int_equal(after.alloc, before->alloc);
}

#define OP(pm, expr, adv) do {						\
	static struct fsnap b_;						\
	fsnap_take(pm, &b_);						\
	op_check(pm, (expr), &b_, adv);					\
} while (0)

static void scenario(struct vmk_pmap **pm)
{
	/* 4 KiB pages across tables, a full chunk (promotion), a block, a 1 GiB-free mix. */
	for (unsigned int p = 0; p < 520; p++)
		OP(pm, vmk_pmap_enter(pm[0], UVA + p * 4096ull, PMT_DATA + p * 4096ull, RW, M), false);
	OP(pm, vmk_pmap_enter_large(pm[0], UVA + 2 * S2M, PMT_DATA + 2 * S2M, S2M, RW, M), false);
	{
		static vmk_paddr_t pas[700];

		for (unsigned int i = 0; i < 700; i++)
			pas[i] = PMT_DATA + 5 * S2M + i * 4096ull;
		OP(pm, vmk_pmap_enter_pages(pm[1], UVA + 5 * S2M, pas, 700, RW, M), false);
	}
	OP(pm, vmk_pmap_enter(pm[0], UVA + 3 * S2M + 0x5000, PMT_DATA + 0x5000, RW, 0), false);
	/* Demotions: protect and remove inside blocks. */
	OP(pm, vmk_pmap_protect(pm[0], UVA + 0x3000, UVA + 0x4000, VMK_PROT_READ), false);
	OP(pm, vmk_pmap_remove(pm[0], UVA + 2 * S2M + 0x8000, UVA + 2 * S2M + 0xa000), false);
	/* Fork-like copy and reverse-map removal. */
	OP(pm, vmk_pmap_copy(pm[1], pm[0], UVA, 4 * S2M), true);
	OP(pm, vmk_pmap_enter_large(pm[1], UVA + S2M * 3, PMT_DATA + 4 * S2M, S2M, RW, M), false);
	vmk_pmap_remove_all(PMT_DATA + 0x7000);
	vmk_pmap_remove_all(PMT_DATA + 4 * S2M + 0x7000);	/* a block in pm[1]: demoted or removed */
	OP(pm, vmk_pmap_remove(pm[0], UVA, UVA + 0x100000), false);
	pmt_check(pm[0]);
	pmt_check(pm[1]);
}

static void test_fault_sweep(void **state)
{
	unsigned long n;
	unsigned int runs = 0;

	cur_arch = ARCH_OF(state);
	failed_ops = 0;
	for (n = 0;; n++) {
		struct vmk_pmap *pm[2] = { NULL, NULL };
		uint64_t ptp0, alloc0;
		int r0, r1;

		pmt_boot_arch(cur_arch);
		ptp0 = pmt_ptp_pages();
		alloc0 = pmt_alloc_pages();
		vmk_sim_fail_nth(n, NULL, false);
		r0 = vmk_pmap_create(&pm[0]);
		r1 = r0 ? r0 : vmk_pmap_create(&pm[1]);
		if (r0 == 0 && r1 == 0)
			scenario(pm);
		else
			assert_int_equal(r0 ? r0 : r1, -VMK_ENOMEM);
		runs++;
		if (vmk_sim_faults_injected() == 0) {
			vmk_sim_fail_off();
			if (pm[0])
				vmk_pmap_destroy(pm[0]);
			if (pm[1])
				vmk_pmap_destroy(pm[1]);
			assert_int_equal(pmt_ptp_pages(), ptp0);
			assert_int_equal(pmt_alloc_pages(), alloc0);
			break;
		}
		vmk_sim_fail_off();
		for (unsigned int i = 0; i < 2; i++)
			if (pm[i])
				vmk_pmap_destroy(pm[i]);
		/* Zero leaked PTPs, PV chunks or pmap pages. */
		if (pmt_ptp_pages() != ptp0 || pmt_alloc_pages() != alloc0)
			fail_msg("failing allocation %lu leaked %lld PTPs and %lld other pages", n,
				 (long long)(pmt_ptp_pages() - ptp0), (long long)(pmt_alloc_pages() - alloc0));
		pmt_check(vmk_pmap_kernel());
		pmt_shutdown();
	}
	printf("fault sweep (%s): %u runs, %u operations failed cleanly\n", pmt_arch_name(cur_arch), runs,
	       failed_ops);
	assert_true(runs > 10 && failed_ops > 10);
	pmt_shutdown();
}

#define T(f) cmocka_unit_test_prestate(f, &x86), cmocka_unit_test_prestate(f, &arm), cmocka_unit_test_prestate(f, &rv)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_differential),
		/*
		 * The exhaustive allocation-failure sweep stays x86/arm64: riscv64
		 * takes x86's allocation paths (no break-before-make) and a third
		 * sweep would add ~45 s under TSan.
		 */
		cmocka_unit_test_prestate(test_fault_sweep, &x86),
		cmocka_unit_test_prestate(test_fault_sweep, &arm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
