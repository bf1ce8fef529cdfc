/* The hand-over from memblock: segments, page array, free ranges, boot report, lazy init. */
#include "phys_util.h"

#include <vmkit/memblock.h>

#define MiB VMK_MiB
#define GiB VMK_GiB
#define PG VMK_PAGE_SIZE
#define CHUNK_PAGES ((uint64_t)1 << (VMK_MAX_ORDER - 1))

static struct vmk_memblock mb;

static int setup(void **state)
{
	(void)state;
	tp_reset();
	vmk_memblock_init(&mb);
	return 0;
}

/* Page-array bytes of a one-pool segment [b, e), computed from the record size. */
static uint64_t meta_of(uint64_t b, uint64_t e)
{
	uint64_t n = (e - b) / PG;
	uint64_t chunks = (e / PG - 1) / CHUNK_PAGES - (b / PG) / CHUNK_PAGES + 1;
	uint64_t bytes = n * 32 + 2 * ((chunks + 63) / 64) * 8;

	return (bytes + PG - 1) / PG * PG;
}

/* A small two-node machine with a kernel image, a NOMAP hole and bad frames. */
static void build_machine(void)
{
	assert_int_equal(vmk_sim_ram_add(0, 8 * MiB), 0);
	assert_int_equal(vmk_sim_ram_add(8 * MiB, 1 * MiB), 0);
	assert_int_equal(vmk_sim_ram_add(9 * MiB, 55 * MiB), 0);
	assert_int_equal(vmk_sim_ram_add(4 * GiB, 64 * MiB), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 0, 64 * MiB, 0, 0), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 4 * GiB, 64 * MiB, 1, 0), 0);
	assert_int_equal(vmk_memblock_mark_nomap(&mb, 8 * MiB, 1 * MiB), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 1 * MiB, 2 * MiB), 0);	/* kernel */
	assert_int_equal(vmk_memblock_reserve(&mb, 0, PG), 0);			/* real-mode page */
}

static void test_handover_report(void **state)
{
	static const vmk_paddr_t bad[] = {
		4 * GiB + 5 * PG,		/* free: withheld */
		2 * MiB,			/* inside the kernel: bad when freed */
		8 * MiB + PG,			/* NOMAP: no record */
		4 * GiB + 5 * PG,		/* duplicate */
	};
	struct vmk_phys_init_args args = { .bad = bad, .nbad = VMK_ARRAY_SIZE(bad) };
	const struct vmk_phys_boot_report *r;
	struct vmk_phys_stats st;
	uint64_t meta;

	(void)state;
	build_machine();
	assert_int_equal(vmk_phys_init(&mb, &args), 0);
	assert_int_equal(vmk_phys_init(&mb, &args), -VMK_EBUSY);
	tp_check();
	r = vmk_phys_boot_report();
	/* Segments: [0,8M) DMA, [9M,16M) DMA, [16M,64M) DMA32 on node 0; [4G,+64M) on node 1. */
	assert_int_equal(r->nsegs, 4);
	meta = meta_of(0, 8 * MiB) + meta_of(9 * MiB, 16 * MiB) + meta_of(16 * MiB, 64 * MiB) +
	       meta_of(4 * GiB, 4 * GiB + 64 * MiB);
	assert_true(r->total == 128 * MiB);
	assert_true(r->nomap == 1 * MiB);
	assert_true(r->page_array == meta);
	assert_true(r->bad == PG);
	assert_int_equal(r->bad_reserved, 1);
	assert_true(r->reserved == 2 * MiB + PG);
	assert_true(r->partial == 0);
	assert_true(r->free == 128 * MiB - 1 * MiB - meta - PG - 2 * MiB - PG);
	assert_true(r->free + r->reserved + r->page_array + r->bad + r->nomap + r->partial +
		    r->driver_managed == r->total);
	vmk_phys_get_stats(&st);
	assert_true(st.free * PG == r->free);
	assert_true(st.present * PG == 127 * MiB);
	assert_int_equal(st.ndomains, 2);
	/* Each segment's page array came from its own node. */
	assert_true(vmk_phys_free_pages(1, VMK_POOL_DEFAULT) * PG ==
		    64 * MiB - PG - meta_of(4 * GiB, 4 * GiB + 64 * MiB));
	assert_null(vmk_pa_to_page(8 * MiB + PG));
	assert_int_equal(vmk_page_state(vmk_pa_to_page(4 * GiB + 5 * PG)), VMK_PAGE_BAD);
	assert_int_equal(vmk_page_state(vmk_pa_to_page(2 * MiB)), VMK_PAGE_RESERVED);
	assert_int_equal(vmk_page_state(vmk_pa_to_page(0)), VMK_PAGE_RESERVED);
	/* Freeing the kernel image later: the bad frame inside it stays out. */
	assert_int_equal(vmk_phys_bootstrap_free(1 * MiB, 3 * MiB), 0);
	assert_int_equal(vmk_page_state(vmk_pa_to_page(2 * MiB)), VMK_PAGE_BAD);
	vmk_phys_get_stats(&st);
	assert_true(st.free * PG == r->free + 2 * MiB - PG);
	tp_check();
	{
		char buf[4096];
		struct vmk_outbuf ob;

		vmk_outbuf_init(&ob, buf, sizeof(buf));
		vmk_phys_print_boot(&ob.out);
		assert_non_null(strstr(buf, "== total 134217728"));
		vmk_outbuf_init(&ob, buf, sizeof(buf));
		vmk_phys_print_json(&ob.out);
		assert_false(ob.overflow);
		assert_non_null(strstr(buf, "\"nomap\": 1048576"));
		assert_non_null(strstr(buf, "\"bytes_per_frame\": 32"));
	}
}

/* Allocate every page, checking the count, then free them all. */
static uint64_t drain_all_pages(void)
{
	struct vmk_page *p, *list = NULL;
	uint64_t n = 0;

	while ((p = vmk_page_alloc(VMK_DOMAIN_RR, VMK_POOL_DEFAULT, VMK_ALLOC_LOWMEM)) != NULL) {
		p->owner = (uint64_t)(uintptr_t)list;
		list = p;
		n++;
	}
	while (list) {
		p = list;
		list = (struct vmk_page *)(uintptr_t)p->owner;
		p->owner = 0;
		vmk_page_free(p);
	}
	vmk_phys_drain_all_quiescent();
	return n;
}

static void test_lazy_and_eager_agree(void **state)
{
	struct vmk_phys_init_args eager = { .eager = true };
	struct vmk_phys_stats st;
	uint64_t free_lazy, free_eager;

	(void)state;
	build_machine();
	assert_int_equal(vmk_phys_init(&mb, NULL), 0);
	tp_check();
	vmk_phys_get_stats(&st);
	assert_true(st.lazy > 0);
	assert_true(vmk_phys_boot_report()->lazy_frames == st.lazy);
	free_lazy = st.free;
	/* Allocation initialises chunks on demand: every free page comes out. */
	assert_int_equal(drain_all_pages(), free_lazy);
	tp_check();
	vmk_phys_get_stats(&st);
	assert_int_equal(st.free, free_lazy);
	/* Whatever is left lazy is reserved (the page array itself). */
	vmk_phys_lazy_init_all();
	vmk_phys_get_stats(&st);
	assert_int_equal(st.lazy, 0);
	tp_check();

	tp_reset();
	vmk_memblock_init(&mb);
	build_machine();
	assert_int_equal(vmk_phys_init(&mb, &eager), 0);
	vmk_phys_get_stats(&st);
	assert_int_equal(st.lazy, 0);
	free_eager = st.free;
	assert_int_equal(free_eager, free_lazy);
	tp_check();
	assert_int_equal(drain_all_pages(), free_eager);
	tp_check();
}

static void test_lazy_lookups(void **state)
{
	struct vmk_page *p;
	vmk_paddr_t pa = 4 * GiB + 40 * MiB + 3 * PG;
	struct vmk_phys_stats st;
	uint64_t lazy0;

	(void)state;
	build_machine();
	assert_int_equal(vmk_phys_init(&mb, NULL), 0);
	vmk_phys_get_stats(&st);
	lazy0 = st.lazy;
	/* Looking a frame up initialises its chunk (and only it). */
	p = vmk_pa_to_page(pa);
	assert_non_null(p);
	assert_int_equal(vmk_page_state(p), VMK_PAGE_FREE);
	assert_true(vmk_page_to_pa(p) == pa);
	vmk_phys_get_stats(&st);
	assert_int_equal(st.lazy, lazy0 - CHUNK_PAGES);
	tp_check();
	/* Bad page in a lazy chunk. */
	assert_int_equal(vmk_phys_add_bad(4 * GiB + 48 * MiB), 0);
	tp_check();
	/* Contig allocation reaches into lazy chunks. */
	p = vmk_page_alloc_contig(1, 3000, 4 * GiB, 4 * GiB + 64 * MiB, 2 * MiB, 0, 0,
				  VMK_ALLOC_EXACT_DOMAIN);
	assert_non_null(p);
	tp_check();
	vmk_page_free_contig(p, 3000);
	tp_check();
}

static void test_memblock_arrays_released(void **state)
{
	struct vmk_range own[2];
	size_t n;

	(void)state;
	build_machine();
	vmk_memblock_allow_resize(&mb, true);
	/* Enough reservations to make memblock grow its reserved array. */
	for (int i = 0; i < 3 * VMK_MEMBLOCK_INIT_REGIONS; i++)
		assert_int_equal(vmk_memblock_reserve(&mb, 32 * MiB + (uint64_t)i * 2 * PG, PG), 0);
	n = vmk_memblock_own_arrays(&mb, own);
	assert_true(n >= 1);
	assert_int_equal(vmk_phys_init(&mb, NULL), 0);
	tp_check();
	for (size_t i = 0; i < n; i++)
		for (vmk_paddr_t a = own[i].base; a < own[i].end; a += PG)
			assert_int_equal(vmk_page_state(vmk_pa_to_page(a)), VMK_PAGE_FREE);
	assert_true(vmk_phys_boot_report()->memblock_arrays > 0);
	assert_int_equal(tp_state(VMK_PAGE_RESERVED) * PG,
			 vmk_phys_boot_report()->reserved + vmk_phys_boot_report()->page_array);
}

/*
 * Seed 000: the kernel image and preloaded modules are not in memblock's
 * memory (as with FreeBSD's phys_avail); a segment added over them after
 * the hand-over starts reserved, and freeing preloaded data later gives
 * its pages to the allocator, coalescing with the memory around it.
 */
static void test_kernel_segment_after_handover(void **state)
{
	static char meta[65536] __attribute__((aligned(64)));
	vmk_paddr_t kb = 4 * GiB + 16 * MiB, ke = kb + 4 * MiB;
	struct vmk_phys_stats st;
	uint64_t free0;
	struct vmk_page *p;

	(void)state;
	assert_int_equal(vmk_sim_ram_add(4 * GiB, 64 * MiB), 0);
	assert_int_equal(vmk_memblock_add(&mb, 4 * GiB, 64 * MiB), 0);
	assert_int_equal(vmk_memblock_remove(&mb, kb, ke - kb), 0);
	assert_int_equal(vmk_phys_init(&mb, NULL), 0);
	assert_null(vmk_pa_to_page(kb));
	free0 = tp_free();
	assert_true(vmk_phys_seg_meta_size(kb, ke) <= sizeof(meta));
	assert_int_equal(vmk_phys_seg_add(kb, ke, 0, meta), 0);
	tp_check();
	assert_int_equal(vmk_page_state(vmk_pa_to_page(kb)), VMK_PAGE_RESERVED);
	vmk_phys_get_stats(&st);
	assert_int_equal(st.nsegs, 3);
	assert_int_equal(st.free, free0);
	/* The segment's frames are never handed out while reserved. */
	p = vmk_page_alloc_contig(0, 1, kb, ke, 0, 0, 0, 0);
	assert_null(p);
	/* Free the preloaded data (the upper 2 MiB), then the image's slack. */
	assert_int_equal(vmk_phys_bootstrap_free(kb + 2 * MiB, ke), 0);
	assert_int_equal(vmk_phys_bootstrap_free(kb + 1 * MiB, kb + 2 * MiB), 0);
	tp_check();
	assert_int_equal(tp_free(), free0 + 3 * MiB / PG);
	p = vmk_page_alloc_contig(0, 512, kb, ke, 2 * MiB, 0, 0, 0);
	assert_non_null(p);
	assert_true(vmk_page_to_pa(p) == kb + 2 * MiB);
	vmk_page_free_contig(p, 512);
	tp_check();
}

static void test_bad_input(void **state)
{
	(void)state;
	assert_int_equal(vmk_phys_init(NULL, NULL), -VMK_EINVAL);
	assert_int_equal(vmk_sim_ram_add(0, 16 * MiB), 0);
	assert_int_equal(vmk_memblock_add_node(&mb, 0, 16 * MiB, 0, 0), 0);
	vmk_memblock_allow_resize(&mb, true);
	/* Too many segments: every other page NOMAP. */
	for (int i = 0; i < VMK_PHYS_MAX_SEGS + 1; i++)
		assert_int_equal(vmk_memblock_mark_nomap(&mb, (uint64_t)(2 * i + 1) * PG, PG), 0);
	{
		vmk_size_t before = vmk_memblock_reserved_size(&mb);

		assert_int_equal(vmk_phys_init(&mb, NULL), -VMK_ENOSPC);
		assert_true(vmk_memblock_reserved_size(&mb) == before);
	}
	/* No memory: nothing to manage, but no failure. */
	tp_reset();
	vmk_memblock_init(&mb);
	assert_int_equal(vmk_phys_init(&mb, NULL), 0);
	assert_null(vmk_page_alloc(0, 0, 0));
	/* No room for the page array. */
	tp_reset();
	vmk_memblock_init(&mb);
	assert_int_equal(vmk_sim_ram_add(0, 1 * MiB), 0);
	assert_int_equal(vmk_memblock_add(&mb, 0, 1 * MiB), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 0, 1 * MiB - 4 * PG), 0);
	assert_int_equal(vmk_memblock_reserve(&mb, 1 * MiB - 3 * PG, PG), 0);
	assert_int_equal(vmk_phys_init(&mb, NULL), -VMK_ENOMEM);
	assert_int_equal(vmk_memblock_reserved_size(&mb), 1 * MiB - 3 * PG);
}

static void test_init_fault_sweep(void **state)
{
	unsigned long n;
	int err;

	(void)state;
	for (n = 0;; n++) {
		vmk_size_t before;

		tp_reset();
		vmk_memblock_init(&mb);
		build_machine();
		before = vmk_memblock_reserved_size(&mb);
		vmk_sim_fail_nth(n, "", false);
		err = vmk_phys_init(&mb, NULL);
		if (vmk_sim_faults_injected() == 0) {
			assert_int_equal(err, 0);
			vmk_sim_fail_off();
			break;
		}
		vmk_sim_fail_off();
		/* A failed hand-over leaves memblock and the allocator as they were. */
		assert_int_equal(err, -VMK_ENOMEM);
		assert_true(vmk_memblock_reserved_size(&mb) == before);
		vmk_memblock_check(&mb);
		assert_null(vmk_pa_to_page(4 * GiB));
		assert_int_equal(tp_free(), 0);
		/* And it can be retried. */
		assert_int_equal(vmk_phys_init(&mb, NULL), 0);
		tp_check();
	}
	assert_true(n >= 4);
	tp_check();
}

/* The QEMU q35 UEFI map, fed to memblock as an arm64-style EFI boot would. */
static void load_q35(void)
{
	size_t len, pos = 0;
	char *text = th_read_data("memmaps/qemu-q35-ovmf-x86_64-4G.txt", &len);
	struct vmk_str line;

	while (vmk_next_line(text, len, &pos, &line)) {
		char buf[256], name[32];
		unsigned long long first, last;
		int type;

		if (line.len == 0 || line.p[0] == '#')
			continue;
		memcpy(buf, line.p, line.len);
		buf[line.len] = '\0';
		assert_int_equal(sscanf(buf, "%d %31s phys %llx-%llx", &type, name, &first, &last), 4);
		vmk_size_t size = last - first + 1;

		switch (type) {
		case 1: case 2: case 3: case 4: case 7:
			assert_int_equal(vmk_memblock_add(&mb, first, size), 0);
			break;
		case 5: case 6: case 10:
			assert_int_equal(vmk_memblock_add(&mb, first, size), 0);
			assert_int_equal(vmk_memblock_mark_nomap(&mb, first, size), 0);
			break;
		case 9:
			assert_int_equal(vmk_memblock_add(&mb, first, size), 0);
			assert_int_equal(vmk_memblock_reserve(&mb, first, size), 0);
			break;
		default:
			assert_int_equal(vmk_memblock_reserve(&mb, first, size), 0);
			break;
		}
	}
	free(text);
	/* Back the RAM: one simulated range per memory region. */
	for (size_t i = 0; i < mb.memory.cnt; i++)
		assert_int_equal(vmk_sim_ram_add(mb.memory.regions[i].base, mb.memory.regions[i].size), 0);
}

static void test_q35_4g(void **state)
{
	const struct vmk_phys_boot_report *r;
	vmk_size_t mem, freeb;
	struct vmk_phys_stats st;

	(void)state;
	load_q35();
	mem = vmk_memblock_phys_mem_size(&mb);
	freeb = vmk_memblock_free_size(&mb);
	assert_int_equal(vmk_phys_init(&mb, NULL), 0);
	tp_check();
	r = vmk_phys_boot_report();
	assert_true(r->total == mem);
	assert_true(r->free + r->reserved + r->page_array + r->bad + r->nomap + r->partial +
		    r->driver_managed == r->total);
	/* memblock's free bytes (all whole pages here) minus the page array we took. */
	assert_true(r->free == freeb - r->page_array);
	/* 32 bytes per 4 KiB frame: the page array is 1/128 of managed memory, plus bitmaps and rounding. */
	assert_true(r->page_array >= (mem - r->nomap) / 128);
	assert_true(r->page_array <= (mem - r->nomap) / 128 + r->nsegs * 2 * PG);
	vmk_phys_get_stats(&st);
	assert_int_equal(st.free * PG, r->free);
	assert_int_equal(drain_all_pages(), st.free);
	tp_check();
}

/*
 * The boot report is computed before memblock's grown arrays are freed:
 * freeing them ends memblock (debug builds poison the arrays first, so a read
 * after the free sees 0xcc bytes and the report's byte count breaks).
 * Sub-page memory regions (not managed, counted as partial) make the
 * memory array itself grow.
 */
static void test_account_before_arrays_freed(void **state)
{
	const struct vmk_phys_boot_report *r;
	struct vmk_range own[2];
	volatile uint64_t total = 128 * MiB;
	size_t n;
	volatile int err = -1;

	(void)state;
	build_machine();
	vmk_memblock_allow_resize(&mb, true);
	for (int i = 0; i < VMK_MEMBLOCK_INIT_REGIONS + 40; i++) {
		assert_int_equal(vmk_memblock_add(&mb, 6 * GiB + (uint64_t)i * 2 * PG, 1024), 0);
		total += 1024;
	}
	n = vmk_memblock_own_arrays(&mb, own);
	assert_true(n >= 1);
	assert_false(VMK_SIM_TRY_PANIC(err = vmk_phys_init(&mb, NULL)));
	assert_int_equal(err, 0);
	r = vmk_phys_boot_report();
	assert_true(r->total == total);
	assert_true(r->partial == (uint64_t)(VMK_MEMBLOCK_INIT_REGIONS + 40) * 1024);
	assert_true(r->memblock_arrays > 0);
	/* The arrays were released (and poisoned: their old contents are gone). */
	for (size_t i = 0; i < n; i++) {
		vmk_paddr_t a = VMK_ALIGN_UP(own[i].base, PG);

		if (a + PG > own[i].end)
			continue;
		assert_int_equal(vmk_page_state(vmk_pa_to_page(a)), VMK_PAGE_FREE);
		assert_int_equal(*(unsigned char *)vmk_sim_phys_to_virt(a), 0xcc);
	}
	tp_check();
}

/*
 * Two overlapping vmk_phys_bootstrap_free() calls: the second runs at the
 * end of the first one's first interrupt-disabled section (as another CPU
 * could, between the check and the free). Exactly one frees the range.
 */
static unsigned long (*ov_prev_disable)(void *);
static void (*ov_prev_restore)(void *, unsigned long);
static unsigned long ov_depth;
static bool ov_armed;
static int ov_inner = 1;
static vmk_paddr_t ov_base, ov_end;

static unsigned long ov_disable(void *ctx)
{
	ov_depth++;
	return ov_prev_disable ? ov_prev_disable(ctx) : 0;
}

static void ov_restore(void *ctx, unsigned long s)
{
	if (ov_prev_restore)
		ov_prev_restore(ctx, s);
	if (--ov_depth == 0 && ov_armed) {
		ov_armed = false;
		ov_inner = vmk_phys_bootstrap_free(ov_base, ov_end);
	}
}

static void test_bootstrap_free_overlapping_calls(void **state)
{
	static char meta[65536] __attribute__((aligned(64)));
	struct vmk_platform *pl = vmk_sim_platform();
	vmk_paddr_t kb = 4 * GiB + 16 * MiB, ke = kb + 4 * MiB;
	uint64_t free0;
	int outer = 1;
	bool panicked;

	(void)state;
	assert_int_equal(vmk_sim_ram_add(4 * GiB, 64 * MiB), 0);
	assert_int_equal(vmk_memblock_add(&mb, 4 * GiB, 64 * MiB), 0);
	assert_int_equal(vmk_memblock_remove(&mb, kb, ke - kb), 0);
	assert_int_equal(vmk_phys_init(&mb, NULL), 0);
	assert_int_equal(vmk_phys_seg_add(kb, ke, 0, meta), 0);
	free0 = tp_free();
	ov_base = kb + 1 * MiB;
	ov_end = kb + 3 * MiB;
	ov_prev_disable = pl->intr_disable;
	ov_prev_restore = pl->intr_restore;
	pl->intr_disable = ov_disable;
	pl->intr_restore = ov_restore;
	ov_depth = 0;
	ov_inner = 1;
	ov_armed = true;
	panicked = VMK_SIM_TRY_PANIC(outer = vmk_phys_bootstrap_free(kb, kb + 2 * MiB));
	pl->intr_disable = ov_prev_disable;
	pl->intr_restore = ov_prev_restore;
	assert_false(panicked);
	assert_false(ov_armed);
	assert_int_equal(outer, 0);
	/* The overlapping call saw frames already free: nothing changed. */
	assert_int_equal(ov_inner, -VMK_EINVAL);
	tp_check();
	assert_int_equal(tp_free(), free0 + 2 * MiB / PG);
	assert_int_equal(vmk_page_state(vmk_pa_to_page(kb + 2 * MiB)), VMK_PAGE_RESERVED);
}

static void test_big_lazy(void **state)
{
	struct vmk_phys_stats st;
	struct vmk_page *p;

	(void)state;
	/* 64 GiB: only the chunk bitmaps and a few records are touched. */
	assert_int_equal(vmk_sim_ram_add(4 * GiB, 64 * GiB), 0);
	assert_int_equal(vmk_memblock_add(&mb, 4 * GiB, 64 * GiB), 0);
	assert_int_equal(vmk_phys_init(&mb, NULL), 0);
	vmk_phys_get_stats(&st);
	assert_true(st.lazy >= st.present - 2 * CHUNK_PAGES);
	p = vmk_page_alloc(0, 0, 0);
	assert_non_null(p);
	vmk_page_free(p);
	tp_check();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_handover_report, setup),
		cmocka_unit_test_setup(test_lazy_and_eager_agree, setup),
		cmocka_unit_test_setup(test_lazy_lookups, setup),
		cmocka_unit_test_setup(test_memblock_arrays_released, setup),
		cmocka_unit_test_setup(test_kernel_segment_after_handover, setup),
		cmocka_unit_test_setup(test_bad_input, setup),
		cmocka_unit_test_setup(test_init_fault_sweep, setup),
		cmocka_unit_test_setup(test_q35_4g, setup),
		cmocka_unit_test_setup(test_big_lazy, setup),
		cmocka_unit_test_setup(test_account_before_arrays_freed, setup),
		cmocka_unit_test_setup(test_bootstrap_free_overlapping_calls, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
