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
	{ "phys: bulk and contiguous allocations", ph_bulk_contig, ph_bulk_contig_undo },
	{ "pmap: user space (600 managed pages, block, protect, demoting remove)", pm_user, pm_user_undo },
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

int main(void)
{
	struct CMUnitTest tests[VMK_ARRAY_SIZE(scenarios)];

	for (size_t i = 0; i < VMK_ARRAY_SIZE(scenarios); i++)
		tests[i] = (struct CMUnitTest){ .name = scenarios[i].name, .test_func = test_sweep,
						.initial_state = (void *)&scenarios[i] };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
