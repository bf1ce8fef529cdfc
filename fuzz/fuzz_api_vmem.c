/*
 * API-sequence fuzzer for vmem: a child arena (quantum caches, importing
 * 4-page multiples) over a parent arena; the input is a sequence of
 * alloc (any policy), constrained xalloc (alignment, phase, nocross,
 * window), free, span additions to the parent and cache drains, with
 * injected failures (tags, allocation) where the input asks. Boundary
 * tags come from a counting host-page source. Checked against a model of
 * the live segments after every operation: vmk_vmem_check() of both
 * arenas, a new segment disjoint from every live one and within its
 * constraints, the allocated byte count covering the live bytes (equal
 * once drained), a failed operation changing no count. At the end
 * everything is freed: nothing allocated, every imported span returned,
 * and after destroy every tag page back at the source (nothing leaked).
 */
#include "fuzz_util.h"

#include <vmkit/vmem.h>
#include "sim.h"

#define Q	4096ull
#define BASE	0x100000000ull
#define NQ	1024ull
#define MAXL	256

struct seg {
	vmk_vaddr_t a;
	vmk_size_t n;
	bool x;		/* from xalloc */
};

static struct vmk_vmem parent, child;
static struct seg live[MAXL];
static size_t nlive;
static long tag_pages_out;

static void *tag_alloc(void *ctx, uint64_t *cookie)
{
	void *p = aligned_alloc(4096, 4096);

	(void)ctx;
	if (p)
		tag_pages_out++;
	*cookie = 0;
	return p;
}

static void tag_free(void *ctx, void *page, uint64_t cookie)
{
	(void)ctx;
	(void)cookie;
	tag_pages_out--;
	free(page);
}

static const struct vmk_vmem_tag_source tags = { tag_alloc, tag_free, NULL };

static int import(void *arg, vmk_size_t size, unsigned int flags, vmk_vaddr_t *addrp)
{
	return vmk_vmem_xalloc(arg, size, 0, 0, 0, 0, 0, flags, addrp);
}

static void release(void *arg, vmk_vaddr_t addr, vmk_size_t size)
{
	vmk_vmem_xfree(arg, addr, size);
}

static void check(const char *op)
{
	char msg[160];
	vmk_size_t sum = 0;

	FZ_CHECK(vmk_vmem_check(&parent, msg, sizeof(msg)) == 0, "%s: parent: %s", op, msg);
	FZ_CHECK(vmk_vmem_check(&child, msg, sizeof(msg)) == 0, "%s: child: %s", op, msg);
	for (size_t i = 0; i < nlive; i++)
		sum += (live[i].n + Q - 1) & ~(Q - 1);
	FZ_CHECK(vmk_vmem_size(&child, VMK_VMEM_ALLOC) >= sum, "%s: allocated below the live bytes", op);
	FZ_CHECK(vmk_vmem_size(&parent, VMK_VMEM_ALLOC) >= vmk_vmem_size(&child, VMK_VMEM_TOTAL),
		 "%s: the child holds more than it imported", op);
}

static void add_live(vmk_vaddr_t a, vmk_size_t n, bool x)
{
	vmk_size_t rn = (n + Q - 1) & ~(Q - 1);

	FZ_CHECK(a % Q == 0, "address %#llx not quantum aligned", (unsigned long long)a);
	for (size_t i = 0; i < nlive; i++)
		FZ_CHECK(a + rn <= live[i].a || a >= live[i].a + ((live[i].n + Q - 1) & ~(Q - 1)),
			 "[%#llx, +%#llx) overlaps a live segment", (unsigned long long)a, (unsigned long long)n);
	live[nlive++] = (struct seg){ a, n, x };
}

static void free_one(size_t i)
{
	if (live[i].x)
		vmk_vmem_xfree(&child, live[i].a, live[i].n);
	else
		vmk_vmem_free(&child, live[i].a, live[i].n);
	live[i] = live[--nlive];
}

static void set_fault(uint8_t f)
{
	if (f & 1)
		vmk_sim_fail_nth((f >> 1) & 3, f & 8 ? "vmem.bt" : "vmem", (f & 0x10) != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool installed;
	struct vmk_vmem_params pp = { .name = "parent", .base = BASE, .size = NQ * Q, .quantum = Q,
				      .tags = &tags };
	struct vmk_vmem_params cp = { .name = "child", .quantum = Q, .qcache_max = 4 * Q, .import = import,
				      .release = release, .import_arg = &parent, .import_quantum = 4 * Q,
				      .tags = &tags };
	struct fz_in in = { data, size };
	vmk_vaddr_t extra = BASE + NQ * Q;
	unsigned int steps = 0;

	if (!installed) {
		vmk_sim_install();
		installed = true;
	}
	FZ_CHECK(vmk_vmem_init(&parent, &pp) == 0 && vmk_vmem_init(&child, &cp) == 0, "init");
	nlive = 0;
	while (in.n && steps++ < 300) {
		uint8_t op = fz_u8(&in) % 6, f = fz_u8(&in);
		vmk_size_t pa0 = vmk_vmem_size(&parent, VMK_VMEM_ALLOC), ca0 = vmk_vmem_size(&child, VMK_VMEM_ALLOC);
		vmk_vaddr_t a = 0;
		int r = 0;

		switch (op) {
		case 0:
		case 1: {
			vmk_size_t n = 1 + fz_u32(&in) % (op ? 64 * Q : 6 * Q);

			if (nlive == MAXL)
				break;
			set_fault(f);
			r = vmk_vmem_alloc(&child, n, fz_u8(&in) % 3, &a);
			vmk_sim_fail_off();
			if (!r)
				add_live(a, n, false);
			break;
		}
		case 2: {
			vmk_size_t n = Q * (1 + fz_u8(&in) % 32), al = Q << (fz_u8(&in) % 8);
			vmk_size_t ph = al > Q ? (fz_u8(&in) * Q) % al : 0;
			vmk_size_t nc = fz_u8(&in) & 1 ? VMK_MAX(al, Q << (1 + fz_u8(&in) % 9)) : 0;
			vmk_vaddr_t lo = fz_u8(&in) & 1 ? BASE + Q * (fz_u32(&in) % (2 * NQ)) : 0;
			vmk_vaddr_t hi = fz_u8(&in) & 1 ? lo + Q * (1 + fz_u32(&in) % (2 * NQ)) : 0;

			if (nlive == MAXL)
				break;
			if (nc && nc < n)
				nc = 0;
			set_fault(f);
			r = vmk_vmem_xalloc(&child, n, al, ph, nc, lo, hi, fz_u8(&in) % 3, &a);
			vmk_sim_fail_off();
			FZ_CHECK(r == 0 || r == -VMK_ENOMEM || r == -VMK_EINVAL, "xalloc: %d", r);
			if (!r) {
				FZ_CHECK(a % al == ph, "xalloc: %#llx %% %#llx != %#llx", (unsigned long long)a,
					 (unsigned long long)al, (unsigned long long)ph);
				FZ_CHECK(a >= lo && (!hi || a + n <= hi), "xalloc outside its window");
				FZ_CHECK(!nc || a / nc == (a + n - 1) / nc, "xalloc crosses %#llx",
					 (unsigned long long)nc);
				add_live(a, n, true);
			}
			break;
		}
		case 3:
			if (nlive)
				free_one(f % nlive);
			break;
		case 4:
			set_fault(f);
			r = vmk_vmem_add(&parent, extra, 64 * Q);
			vmk_sim_fail_off();
			FZ_CHECK(r == 0 || r == -VMK_ENOMEM, "add: %d", r);
			if (!r)
				extra += 128 * Q;	/* leave a hole: spans stay apart */
			break;
		default:
			vmk_vmem_qcache_drain(&child);
			break;
		}
		if (r)
			FZ_CHECK(vmk_vmem_size(&parent, VMK_VMEM_ALLOC) == pa0 &&
				 vmk_vmem_size(&child, VMK_VMEM_ALLOC) == ca0, "op %u failed (%d) but changed counts", op, r);
		check("step");
	}
	while (nlive)
		free_one(nlive - 1);
	vmk_vmem_qcache_drain(&child);
	check("end");
	FZ_CHECK(vmk_vmem_size(&child, VMK_VMEM_ALLOC) == 0, "child still has allocations");
	vmk_vmem_destroy(&child);
	FZ_CHECK(vmk_vmem_size(&parent, VMK_VMEM_ALLOC) == 0, "a span imported by the child was not returned");
	vmk_vmem_destroy(&parent);
	FZ_CHECK(tag_pages_out == 0, "%ld tag pages not returned", tag_pages_out);
	return 0;
}
