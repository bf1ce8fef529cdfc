/*
 * The fault-injection sweep (docs/testing.md): every scenario below runs
 * with "fail the N-th allocation attempt" (every vmk_fault site counts)
 * for N = 0, 1, 2, ... until a run sees no injected failure, i.e. the
 * scenario passes without injection. After each run:
 *  - a run with an injected failure must fail (or absorb it, as a cache
 *    refill may) and leave the machine as it was before the run: frames
 *    per state, free count, kernel mappings, KVA and kmem arenas, kmem
 *    counters (tests/kmem_util.c snapshot; kernel page-table pages the run
 *    added may stay: they are never freed), with kmem_check, the kernel
 *    pmap check, the TLB audit and break-before-make checks passing;
 *  - a run that succeeds is undone by the scenario, and then the same
 *    must hold.
 * A scenario made of several calls unwinds its own completed calls when
 * a later one fails, as a kernel caller would; what the harness checks is
 * that nothing leaked and nothing changed. Scenarios with state of their
 * own (a resource tree, a memblock) check that state per call.
 * Boot-time set-up that has no undo (pmap_bootstrap, kmem_init, per-CPU
 * areas) is swept by the test_sweep_* functions at the end: a failed call
 * must leave the allocator as it was, and the sweep stops at the first
 * run without an injected failure.
 */
#include "kmem_util.h"
#include <vmkit/kmem.h>
#include <vmkit/memblock.h>
#include <vmkit/phys.h>
#include <vmkit/pmap.h>
#include <vmkit/resource.h>
#include <vmkit/vmem.h>

#define PG	4096ull
#define S2M	(2ull << 20)
#define UVA	0x0000000040000000ull
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define MAX_N	4000

struct scenario {
	const char *name;
	/* Run; 0 on success (then undo() must give everything back). */
	int (*run)(void);
	void (*undo)(void);
};

/* ---- kmem ---- */

static vmk_vaddr_t kva[4];

static int km_small(void)
{
	kva[0] = vmk_kmem_malloc(PG, VMK_KM_ZERO);
	return kva[0] ? 0 : -VMK_ENOMEM;
}

static void km_small_undo(void)
{
	vmk_kmem_free(kva[0], PG);
}

/* Three allocations, the last larger than a 2 MiB unit: unwinds the first two when a later one fails. */
static int km_multi(void)
{
	static const vmk_size_t sz[3] = { 5 * PG, 300 * PG, S2M + PG };

	for (int i = 0; i < 3; i++) {
		kva[i] = vmk_kmem_malloc_domain(VMK_DOMAIN_RR, sz[i], 0);
		if (!kva[i]) {
			while (i--)
				vmk_kmem_free(kva[i], sz[i]);
			return -VMK_ENOMEM;
		}
	}
	return 0;
}

static void km_multi_undo(void)
{
	static const vmk_size_t sz[3] = { 5 * PG, 300 * PG, S2M + PG };

	for (int i = 2; i >= 0; i--)
		vmk_kmem_free(kva[i], sz[i]);
}

static int km_contig(void)
{
	kva[0] = vmk_kmem_alloc_contig(64 * PG, 0, VMK_PADDR_MAX, 16 * PG, S2M, 0, 0, VMK_KM_ZERO);
	return kva[0] ? 0 : -VMK_ENOMEM;
}

static void km_contig_undo(void)
{
	vmk_kmem_free(kva[0], 64 * PG);
}

static int km_stack(void)
{
	kva[0] = vmk_kmem_alloc_stack(4, 1, 0);
	return kva[0] ? 0 : -VMK_ENOMEM;
}

static void km_stack_undo(void)
{
	vmk_kmem_free_stack(kva[0], 4, 1);
}

/* A range of a kmem arena's KVA backed and unbacked by the caller (kmem_back is all or nothing). */
static int km_back(void)
{
	int r = vmk_vmem_xalloc(vmk_kmem_arena(0, false), 40 * PG, 0, 0, 0, 0, 0, VMK_VMEM_INSTANTFIT, &kva[0]);

	if (r)
		return r;
	r = vmk_kmem_back(0, kva[0], 40 * PG, VMK_KM_ZERO);
	if (r)
		vmk_vmem_xfree(vmk_kmem_arena(0, false), kva[0], 40 * PG);
	return r;
}

static void km_back_undo(void)
{
	vmk_kmem_unback(kva[0], 40 * PG);
	vmk_vmem_xfree(vmk_kmem_arena(0, false), kva[0], 40 * PG);
}

/* ---- phys ---- */

static struct vmk_page *pages[64], *cpage;
static size_t nbulk;

static int ph_bulk_contig(void)
{
	nbulk = vmk_page_alloc_bulk(VMK_DOMAIN_LOCAL, 0, 0, 40, pages);
	if (nbulk != 40) {
		vmk_page_free_bulk(pages, nbulk);
		return -VMK_ENOMEM;
	}
	cpage = vmk_page_alloc_contig(0, 100, 0, VMK_PADDR_MAX, 64 * PG, 0, 0, 0);
	if (!cpage) {
		vmk_page_free_bulk(pages, nbulk);
		return -VMK_ENOMEM;
	}
	return 0;
}

static void ph_bulk_contig_undo(void)
{
	vmk_page_free_contig(cpage, 100);
	vmk_page_free_bulk(pages, nbulk);
}

/*
 * 600 NOFREE pages in one batch, all or nothing (the warm-up run fills
 * the NOFREE pool, where undo puts them back: the later runs find them
 * there).
 */
static struct vmk_page *nofree[600];

static int ph_nofree_batch(void)
{
	return vmk_page_alloc_nofree_batch(0, 0, 600, nofree);
}

static void ph_nofree_batch_undo(void)
{
	for (unsigned int i = 0; i < 600; i++)
		vmk_page_nofree_return(nofree[i]);
}

/* ---- pmap ---- */

static struct vmk_pmap *upm, *upm2;

/*
 * A user address space: 600 managed 4 KiB pages (PV chunks hold 168), a
 * 2 MiB block, a protection change and a remove that demotes the block.
 */
static int pm_user(void)
{
	int r = vmk_pmap_create(&upm);

	if (r)
		return r;
	for (unsigned int i = 0; i < 600 && !r; i++)
		r = vmk_pmap_enter(upm, UVA + i * PG, PMT_DATA + i * PG, RW, VMK_PMAP_ENTER_MANAGED);
	if (!r)
		r = vmk_pmap_enter_large(upm, UVA + 4 * S2M, PMT_DATA + 8 * S2M, S2M, RW, VMK_PMAP_ENTER_MANAGED);
	if (!r)
		r = vmk_pmap_protect(upm, UVA, UVA + 100 * PG, VMK_PROT_READ);
	if (!r)
		r = vmk_pmap_remove(upm, UVA + 4 * S2M + 7 * PG, UVA + 4 * S2M + 9 * PG);
	if (r)
		vmk_pmap_destroy(upm);
	return r;
}

static void pm_user_undo(void)
{
	vmk_pmap_destroy(upm);
}

/*
 * enter_pages (all or nothing) of 1100 pages, a 2 MiB block demoted
 * explicitly, and kernel page tables grown for 64 MiB (the PTPs made
 * so far stay on failure: kernel PTPs are never freed).
 */
static vmk_paddr_t pas[1100];

static int pm_enter_pages(void)
{
	int r = vmk_pmap_create(&upm);

	if (r)
		return r;
	for (unsigned int i = 0; i < 1100; i++)
		pas[i] = PMT_DATA + i * PG;
	r = vmk_pmap_enter_pages(upm, UVA + 3 * PG, pas, 1100, RW, VMK_PMAP_ENTER_MANAGED);
	if (!r)
		r = vmk_pmap_enter_large(upm, UVA + 8 * S2M, PMT_DATA + 8 * S2M, S2M, RW, VMK_PMAP_ENTER_MANAGED);
	if (!r)
		r = vmk_pmap_demote(upm, UVA + 8 * S2M + 5 * PG);
	if (!r)
		r = vmk_pmap_growkernel(kmt_boot_va() + 64 * S2M, kmt_boot_va() + 96 * S2M);
	if (r)
		vmk_pmap_destroy(upm);
	return r;
}

/*
 * A 1 GiB kernel block with its spares (one per 2 MiB piece and one for
 * the block: 513 PTPs), so that it can later be cut down to 4 KiB pages
 * without allocating (a cut allocates nothing: nothing to sweep there).
 */
static int pm_kernel_1g(void)
{
	vmk_vaddr_t va = kmt_boot_va() + (1ull << 30);

	return vmk_pmap_enter_large(vmk_pmap_kernel(), va, PMT_DATA, 1ull << 30, RW, VMK_PMAP_ENTER_KEEP_SPARE);
}

static void pm_kernel_1g_undo(void)
{
	vmk_vaddr_t va = kmt_boot_va() + (1ull << 30);

	VMK_VERIFY(vmk_pmap_remove(vmk_pmap_kernel(), va, va + (1ull << 30)) == 0, "remove");
}

/* fork: a copy of a populated space (a failed copy keeps what it copied: the caller destroys it). */
static int pm_copy(void)
{
	int r = vmk_pmap_create(&upm);

	if (r)
		return r;
	r = vmk_pmap_create(&upm2);
	for (unsigned int i = 0; i < 300 && !r; i++)
		r = vmk_pmap_enter(upm, UVA + i * 2 * PG, PMT_DATA + i * PG, RW, VMK_PMAP_ENTER_MANAGED);
	if (!r)
		r = vmk_pmap_enter_large(upm, UVA + 2 * S2M, PMT_DATA + 4 * S2M, S2M, RW, VMK_PMAP_ENTER_MANAGED);
	if (!r)
		r = vmk_pmap_copy(upm2, upm, UVA, 4 * S2M);
	if (r) {
		if (upm2)
			vmk_pmap_destroy(upm2);
		vmk_pmap_destroy(upm);
	}
	return r;
}

static void pm_copy_undo(void)
{
	vmk_pmap_destroy(upm2);
	vmk_pmap_destroy(upm);
}

static int pm_copy_run(void)
{
	upm2 = NULL;
	return pm_copy();
}

/* The kernel: a 2 MiB block with a spare, cut by a remove (demotion from the spare). */
static int pm_kernel_block(void)
{
	vmk_vaddr_t va = kmt_boot_va();
	int r = vmk_pmap_enter_large(vmk_pmap_kernel(), va, PMT_DATA + 16 * S2M, S2M, RW,
				     VMK_PMAP_ENTER_WIRED | VMK_PMAP_ENTER_KEEP_SPARE);

	if (r)
		return r;
	r = vmk_pmap_remove(vmk_pmap_kernel(), va + 3 * PG, va + 4 * PG);
	if (r)
		vmk_pmap_remove(vmk_pmap_kernel(), va, va + S2M);
	return r;
}

static void pm_kernel_block_undo(void)
{
	VMK_VERIFY(vmk_pmap_remove(vmk_pmap_kernel(), kmt_boot_va(), kmt_boot_va() + S2M) == 0, "remove");
}

/* ---- vmem ---- */

static struct vmk_vmem parent, child;
static vmk_vaddr_t va_x, va_a;

static int vm_import(void *arg, vmk_size_t size, unsigned int flags, vmk_vaddr_t *addrp)
{
	return vmk_vmem_alloc(arg, size, flags | VMK_VMEM_INSTANTFIT, addrp);
}

static void vm_release(void *arg, vmk_vaddr_t addr, vmk_size_t size)
{
	vmk_vmem_free(arg, addr, size);
}

/* Two arenas (boundary tags from phys pages), the child importing from the parent. */
static int vm_arenas(void)
{
	struct vmk_vmem_params pp = { .name = "sweep-parent", .base = 1ull << 40, .size = 1ull << 30,
				      .quantum = PG };
	struct vmk_vmem_params cp = { .name = "sweep-child", .quantum = PG, .qcache_max = 4 * PG,
				      .import = vm_import, .release = vm_release, .import_arg = &parent,
				      .import_quantum = 16 * PG };
	int r = vmk_vmem_init(&parent, &pp);

	if (r)
		return r;
	r = vmk_vmem_init(&child, &cp);
	if (r) {
		vmk_vmem_destroy(&parent);
		return r;
	}
	r = vmk_vmem_xalloc(&child, 40 * PG, 8 * PG, 2 * PG, 0, 0, 0, VMK_VMEM_BESTFIT, &va_x);
	if (!r) {
		r = vmk_vmem_alloc(&child, 2 * PG, VMK_VMEM_INSTANTFIT, &va_a);
		if (r)
			vmk_vmem_xfree(&child, va_x, 40 * PG);
	}
	if (r) {
		vmk_vmem_destroy(&child);
		vmk_vmem_destroy(&parent);
	}
	return r;
}

static void vm_arenas_undo(void)
{
	vmk_vmem_free(&child, va_a, 2 * PG);
	vmk_vmem_xfree(&child, va_x, 40 * PG);
	vmk_vmem_destroy(&child);
	vmk_vmem_destroy(&parent);
}

/* ---- resource tree (its own pool: checked per call) ---- */

static struct vmk_resource rnodes[512];
static char rnames[16384];

static int rs_parse(void)
{
	static const char text[] =
		"00000000-00000fff : Reserved\n00001000-0009fbff : System RAM\n000a0000-000bffff : PCI Bus 0000:00\n"
		"00100000-7ffdffff : System RAM\n  01000000-01e00fff : Kernel code\n  01e01000-0246ffff : Kernel data\n"
		"  03000000-0affffff : Crash kernel\n7ffe0000-7fffffff : Reserved\nfebc0000-febdffff : 0000:00:02.0\n"
		"  febc0000-febdffff : e1000e\n100000000-27fffffff : System RAM\n";
	struct vmk_resource root;
	struct vmk_resource_pool pool;
	struct vmk_resource_error err;
	int r;

	vmk_iomem_root_init(&root);
	vmk_resource_pool_init(&pool, rnodes, VMK_ARRAY_SIZE(rnodes), rnames, sizeof(rnames));
	r = vmk_resource_parse(&root, &pool, text, sizeof(text) - 1, &err);
	if (r) {
		/* A failed parse leaves the tree empty and the pool full. */
		assert_null(root.child);
		assert_int_equal(pool.nfree, VMK_ARRAY_SIZE(rnodes));
		assert_int_equal(pool.names_used, 0);
		return r;
	}
	vmk_resource_free_tree(&pool, &root);
	assert_int_equal(pool.nfree, VMK_ARRAY_SIZE(rnodes));
	return 0;
}

static void nothing(void)
{
}

/* ---- memblock growing its arrays (its own state: checked per call) ---- */

#define MB_BASE	(3ull << 30)	/* simulated RAM no other scenario uses */

static struct vmk_memblock mb;

static bool mb_same(const struct vmk_memblock_type *t, const struct vmk_memblock_region *copy, size_t n)
{
	return t->cnt == n && memcmp(t->regions, copy, n * sizeof(*copy)) == 0;
}

static int mb_grow(void)
{
	static struct vmk_memblock_region mem[1024], res[1024];
	int r = 0;

	vmk_memblock_init(&mb);
	vmk_memblock_allow_resize(&mb, true);
	assert_int_equal(vmk_memblock_add(&mb, MB_BASE, 256ull << 20), 0);
	/* 200 separate reservations: the reserved array (128 slots) must grow. */
	for (unsigned int i = 0; i < 200 && !r; i++) {
		size_t nm = mb.memory.cnt, nr = mb.reserved.cnt;

		memcpy(mem, mb.memory.regions, nm * sizeof(mem[0]));
		memcpy(res, mb.reserved.regions, nr * sizeof(res[0]));
		r = vmk_memblock_reserve(&mb, MB_BASE + i * 4 * PG, PG);
		if (r) {
			assert_true(mb_same(&mb.memory, mem, nm) && mb_same(&mb.reserved, res, nr));
			break;
		}
		vmk_memblock_check(&mb);
	}
	if (!r) {
		vmk_paddr_t pa;

		r = vmk_memblock_alloc(&mb, 16 * PG, PG, &pa);
	}
	vmk_memblock_check(&mb);
	return r;
}

static const struct scenario scenarios[] = {
	{ "kmem: malloc one page", km_small, km_small_undo },
	{ "kmem: three mallocs up to 2 MiB + 4 KiB (unwound on failure)", km_multi, km_multi_undo },
	{ "kmem: contiguous, aligned, not crossing 2 MiB", km_contig, km_contig_undo },
	{ "kmem: stack with guard pages", km_stack, km_stack_undo },
	{ "kmem: back and unback a range of arena KVA", km_back, km_back_undo },
	{ "phys: bulk and contiguous allocations", ph_bulk_contig, ph_bulk_contig_undo },
	{ "phys: NOFREE batch of 600 pages", ph_nofree_batch, ph_nofree_batch_undo },
	{ "pmap: user space (600 managed pages, block, protect, demoting remove)", pm_user, pm_user_undo },
	{ "pmap: enter_pages of 1100 pages, explicit demotion, growkernel", pm_enter_pages, pm_user_undo },
	{ "pmap: 1 GiB kernel block with its 513 spare PTPs", pm_kernel_1g, pm_kernel_1g_undo },
	{ "pmap: copy (fork) of a space with pages and a block", pm_copy_run, pm_copy_undo },
	{ "pmap: kernel block with a spare, demoted by a remove", pm_kernel_block, pm_kernel_block_undo },
	{ "vmem: importing arena over a parent, xalloc and alloc", vm_arenas, vm_arenas_undo },
	{ "resource: /proc/iomem parse into a pool", rs_parse, nothing },
	{ "memblock: reservations growing the arrays, then an allocation", mb_grow, nothing },
};

/* kmt_same without the page-table pages a run may add to the kernel (never freed). */
static void same_but_kernel_ptps(const struct kmt_snap *a, const char *what)
{
	struct kmt_snap b;
	uint64_t grown;

	kmt_snap(&b);
	grown = b.state[VMK_PAGE_PTP] - a->state[VMK_PAGE_PTP];
	if (b.state[VMK_PAGE_PTP] < a->state[VMK_PAGE_PTP] || a->free - b.free != grown)
		fail_msg("%s: PTP %llu -> %llu, free %llu -> %llu", what,
			 (unsigned long long)a->state[VMK_PAGE_PTP], (unsigned long long)b.state[VMK_PAGE_PTP],
			 (unsigned long long)a->free, (unsigned long long)b.free);
	b.state[VMK_PAGE_PTP] = a->state[VMK_PAGE_PTP];
	b.state[VMK_PAGE_FREE] += grown;
	b.free += grown;
	for (unsigned int i = 0; i < VMK_PAGE_NSTATES; i++)
		if (a->state[i] != b.state[i])
			fail_msg("%s: %s frames %llu -> %llu", what, vmk_page_state_name(i),
				 (unsigned long long)a->state[i], (unsigned long long)b.state[i]);
	if (a->resident != b.resident || a->kva_alloc != b.kva_alloc || a->arena_alloc != b.arena_alloc ||
	    a->nofree_alloc != b.nofree_alloc || a->km.pages_backed != b.km.pages_backed ||
	    a->km.resv_active != b.km.resv_active || a->km.units != b.km.units)
		fail_msg("%s: kernel mappings, KVA or kmem counters changed (resident %llu -> %llu, "
			 "kva %llu -> %llu, backed %llu -> %llu)", what, (unsigned long long)a->resident,
			 (unsigned long long)b.resident, (unsigned long long)a->kva_alloc,
			 (unsigned long long)b.kva_alloc, (unsigned long long)a->km.pages_backed,
			 (unsigned long long)b.km.pages_backed);
}

static void sweep(const struct scenario *s)
{
	unsigned long n, failed_runs = 0;
	char what[160];

	kmt_boot(VMK_PMAP_ARCH_X86_64);
	/* A warm-up run: the first use of a path may grow caches and kernel tables for good. */
	assert_int_equal(s->run(), 0);
	s->undo();
	for (n = 0; n < MAX_N; n++) {
		struct kmt_snap before;
		unsigned long injected;
		int r;

		kmt_snap(&before);
		vmk_sim_fail_nth(n, NULL, false);
		r = s->run();
		injected = vmk_sim_faults_injected();
		vmk_sim_fail_off();
		snprintf(what, sizeof(what), "%s, allocation %lu failing", s->name, n);
		if (r) {
			if (!injected)
				fail_msg("%s: failed (%d) without an injected failure", what, r);
			failed_runs++;
		} else {
			s->undo();
		}
		same_but_kernel_ptps(&before, what);
		kmt_check_fast();
		if (!injected)
			break;
	}
	if (n == MAX_N)
		fail_msg("%s: still failing after %d injected failures", s->name, MAX_N);
	print_message("sweep: %-72s %4lu allocation points, %4lu runs failed cleanly\n", s->name, n,
		      failed_runs);
	kmt_check();
	kmt_shutdown();
}

static void test_sweep(void **state)
{
	sweep(*state);
}

/*
 * Boot-time set-up, which has no undo: each run gets a fresh machine.
 * The call must fail only with an injected failure, and then leave the
 * allocator exactly as it was (and, for kmem, the kernel page tables it
 * grew are the only frames it kept); the first run without injection
 * succeeds.
 */
static void *boot_meta;

/* RAM [1 GiB, 4 GiB) with [1 GiB, 1 GiB + 256 MiB) free, as pmt_boot lays it out, but no pmap. */
static void phys_only(void)
{
	size_t m = vmk_phys_seg_meta_size(PMT_RAM_BASE, PMT_RAM_END);

	vmk_kmem_reset();
	pmt_shutdown();
	vmk_sim_install();
	free(boot_meta);
	boot_meta = aligned_alloc(64, (m + 63) & ~(size_t)63);
	assert_non_null(boot_meta);
	assert_int_equal(vmk_sim_ram_add(PMT_RAM_BASE, PMT_RAM_END - PMT_RAM_BASE), 0);
	assert_int_equal(vmk_phys_seg_add(PMT_RAM_BASE, PMT_RAM_END, 0, boot_meta), 0);
	assert_int_equal(vmk_phys_bootstrap_free(PMT_RAM_BASE, PMT_ALLOC_END), 0);
}

static void phys_same(const struct vmk_phys_stats *a, uint64_t ptp_kept, const char *what)
{
	struct vmk_phys_stats b;

	vmk_phys_drain_all_quiescent();
	vmk_phys_get_stats(&b);
	if (b.state[VMK_PAGE_PTP] != a->state[VMK_PAGE_PTP] + ptp_kept ||
	    b.state[VMK_PAGE_ALLOC] != a->state[VMK_PAGE_ALLOC] || b.free + ptp_kept != a->free)
		fail_msg("%s: PTP %llu -> %llu (%llu kept), ALLOC %llu -> %llu, free %llu -> %llu", what,
			 (unsigned long long)a->state[VMK_PAGE_PTP], (unsigned long long)b.state[VMK_PAGE_PTP],
			 (unsigned long long)ptp_kept, (unsigned long long)a->state[VMK_PAGE_ALLOC],
			 (unsigned long long)b.state[VMK_PAGE_ALLOC], (unsigned long long)a->free,
			 (unsigned long long)b.free);
	vmk_check_phys();
}

static void pmap_config(struct vmk_pmap_config *pc, enum vmk_pmap_arch_id arch)
{
	memset(pc, 0, sizeof(*pc));
	pc->arch = arch;
	pc->large_1g = true;
	pc->nx = true;
	pc->asid_bits = 8;
	pc->kva_start = PMT_KVA;
	pc->kva_end = PMT_KVA_END;
}

static void test_sweep_pmap_bootstrap(void **state)
{
	static const enum vmk_pmap_arch_id archs[] = { VMK_PMAP_ARCH_X86_64, VMK_PMAP_ARCH_ARM64,
						       VMK_PMAP_ARCH_RISCV64 };

	for (size_t i = 0; i < VMK_ARRAY_SIZE(archs); i++) {
		unsigned long n, failed_runs = 0;
		char what[96];

		for (n = 0; n < MAX_N; n++) {
			struct vmk_pmap_config pc;
			struct vmk_phys_stats before;
			struct vmk_pmap *k0;
			unsigned long injected;
			int r;

			phys_only();
			pmap_config(&pc, archs[i]);
			vmk_phys_get_stats(&before);
			k0 = vmk_pmap_kernel();
			vmk_sim_fail_nth(n, NULL, false);
			r = vmk_pmap_bootstrap(&pc);
			injected = vmk_sim_faults_injected();
			vmk_sim_fail_off();
			snprintf(what, sizeof(what), "pmap_bootstrap (%s), allocation %lu failing", pmt_arch_name(archs[i]), n);
			if (!r)
				break;
			if (!injected)
				fail_msg("%s: failed (%d) without an injected failure", what, r);
			assert_int_equal(r, -VMK_ENOMEM);
			/*
			 * Nothing kept, and no half-built kernel pmap published
			 * (the previous one, over the allocator phys_only() reset,
			 * is forgotten as a successful bootstrap forgets it).
			 */
			phys_same(&before, 0, what);
			assert_true(vmk_pmap_kernel() == NULL || vmk_pmap_kernel() == k0);
			failed_runs++;
		}
		if (n == MAX_N)
			fail_msg("pmap_bootstrap: still failing after %d injected failures", MAX_N);
		assert_true(vmk_pmap_kernel() != NULL);
		print_message("sweep: pmap_bootstrap (%s) %lu allocation points, %lu runs failed cleanly\n",
			      pmt_arch_name(archs[i]), n, failed_runs);
	}
	pmt_shutdown();
}

static void test_sweep_kmem_init(void **state)
{
	unsigned long n, failed_runs = 0;
	struct vmk_kmem_config c = { 0 };
	char what[96];

	pmt_boot_arch(VMK_PMAP_ARCH_X86_64);
	c.kva_start = pmt_kva();
	c.kva_end = pmt_kva() + KMT_WINDOW;
	for (n = 0; n < MAX_N; n++) {
		struct vmk_phys_stats before;
		struct vmk_pmap_stats kb, ka;
		unsigned long injected;
		int r;

		vmk_kmem_reset();
		vmk_phys_drain_all_quiescent();
		vmk_phys_get_stats(&before);
		vmk_pmap_stats(vmk_pmap_kernel(), &kb);
		vmk_sim_fail_nth(n, NULL, false);
		r = vmk_kmem_init(&c);
		injected = vmk_sim_faults_injected();
		vmk_sim_fail_off();
		snprintf(what, sizeof(what), "kmem_init, allocation %lu failing", n);
		if (!r)
			break;
		if (!injected)
			fail_msg("%s: failed (%d) without an injected failure", what, r);
		assert_int_equal(r, -VMK_ENOMEM);
		/* Failed: no arena, no unit table; only kernel page tables it grew may stay. */
		assert_null(vmk_kmem_kva_arena());
		vmk_pmap_stats(vmk_pmap_kernel(), &ka);
		assert_int_equal(ka.resident, kb.resident);
		phys_same(&before, ka.ptps - kb.ptps, what);
		pmt_check(vmk_pmap_kernel());
		failed_runs++;
	}
	if (n == MAX_N)
		fail_msg("kmem_init: still failing after %d injected failures", MAX_N);
	/* The machine works after the failures: kmem as a whole, checked. */
	{
		vmk_vaddr_t va = vmk_kmem_malloc(5 * PG, VMK_KM_ZERO);

		assert_true(va != 0);
		kmt_check();
		vmk_kmem_free(va, 5 * PG);
	}
	print_message("sweep: kmem_init %lu allocation points, %lu runs failed cleanly\n", n, failed_runs);
	vmk_kmem_reset();
	pmt_shutdown();
}

/* Per-CPU areas (boot time, no free function): swept until the first success. */
static void test_sweep_kmem_pcpu(void **state)
{
	static const enum vmk_kmem_pcpu_strategy strat[] = { VMK_KMEM_PCPU_ALONE, VMK_KMEM_PCPU_RENDEZVOUS };

	for (size_t i = 0; i < VMK_ARRAY_SIZE(strat); i++) {
		unsigned long n, failed_runs = 0;
		char what[96];

		kmt_boot(VMK_PMAP_ARCH_ARM64);
		for (n = 0; n < MAX_N; n++) {
			struct kmt_snap before;
			unsigned long injected;
			vmk_vaddr_t va;

			kmt_snap(&before);
			vmk_sim_fail_nth(n, NULL, false);
			va = vmk_kmem_pcpu_alloc(0, 5 * PG, strat[i]);
			injected = vmk_sim_faults_injected();
			vmk_sim_fail_off();
			snprintf(what, sizeof(what), "kmem_pcpu_alloc (%s), allocation %lu failing",
				 i ? "rendezvous" : "alone", n);
			if (va) {
				/* No free function: give it back by hand, so that kmem can be reset. */
				if (strat[i] == VMK_KMEM_PCPU_ALONE) {
					vmk_kmem_unback(va, 5 * PG);
					vmk_vmem_xfree(vmk_kmem_kva_arena(), va, VMK_KMEM_UNIT);
				} else {
					vmk_kmem_free(va, 5 * PG);
				}
				break;
			}
			if (!injected)
				fail_msg("%s: failed without an injected failure", what);
			same_but_kernel_ptps(&before, what);
			kmt_check_fast();
			failed_runs++;
		}
		if (n == MAX_N)
			fail_msg("kmem_pcpu_alloc: still failing after %d injected failures", MAX_N);
		kmt_check();
		print_message("sweep: kmem_pcpu_alloc (%s) %lu allocation points, %lu runs failed cleanly\n",
			      i ? "rendezvous" : "alone", n, failed_runs);
		kmt_shutdown();
	}
}

int main(void)
{
	struct CMUnitTest tests[VMK_ARRAY_SIZE(scenarios) + 3];

	for (size_t i = 0; i < VMK_ARRAY_SIZE(scenarios); i++)
		tests[i] = (struct CMUnitTest){ .name = scenarios[i].name, .test_func = test_sweep,
						.initial_state = (void *)&scenarios[i] };
	tests[VMK_ARRAY_SIZE(scenarios)] = (struct CMUnitTest)cmocka_unit_test(test_sweep_pmap_bootstrap);
	tests[VMK_ARRAY_SIZE(scenarios) + 1] = (struct CMUnitTest)cmocka_unit_test(test_sweep_kmem_init);
	tests[VMK_ARRAY_SIZE(scenarios) + 2] = (struct CMUnitTest)cmocka_unit_test(test_sweep_kmem_pcpu);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
