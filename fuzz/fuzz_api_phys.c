/*
 * API-sequence fuzzer for the physical allocator: two domains of simulated
 * RAM; the input is a sequence of order-n, contiguous (count, window,
 * alignment, boundary) and bulk allocations from a domain, frees of live
 * ones (single, contiguous, bulk), per-CPU drains, with injected failures
 * where the input asks. The model is the list of live blocks, each page
 * stamped with its allocation's serial number. Checked after every
 * operation: a new block lies in RAM, is aligned / inside its window /
 * not crossing its boundary, overlaps no live block; free pages counted
 * by the allocator plus live pages equal the pages there are; a stamp
 * survives until its block is freed. At the end everything is freed,
 * every invariant checked (vmk_check_phys through tp_check) and the free
 * count is back where it started.
 */
#include "fuzz_util.h"

#include <vmkit/phys.h>
#include "phys_util.h"

#define PG	4096ull
#define R0	(1ull << 30)
#define R0SZ	(16ull << 20)
#define R1	(8ull << 30)
#define R1SZ	(8ull << 20)
#define MAXL	128
#define MAXBULK	16

struct blk {
	vmk_paddr_t pa;
	size_t n;
	unsigned int kind;	/* 0: order, 1: contig, 2: bulk page */
	unsigned int order;
	uint64_t serial;
};

static struct blk live[MAXL];
static size_t nlive;
static uint64_t base_free, serial;

static uint64_t live_pages(void)
{
	uint64_t n = 0;

	for (size_t i = 0; i < nlive; i++)
		n += live[i].n;
	return n;
}

static void stamp(vmk_paddr_t pa, size_t n, uint64_t s)
{
	for (size_t i = 0; i < n; i++)
		memcpy(vmk_sim_phys_to_virt(pa + i * PG), &s, 8);
}

static void add(vmk_paddr_t pa, size_t n, unsigned int kind, unsigned int order)
{
	FZ_CHECK(pa % PG == 0 && ((pa >= R0 && pa + n * PG <= R0 + R0SZ) || (pa >= R1 && pa + n * PG <= R1 + R1SZ)),
		 "block [%#llx, +%zu pages) outside RAM", (unsigned long long)pa, n);
	for (size_t i = 0; i < nlive; i++)
		FZ_CHECK(pa + n * PG <= live[i].pa || pa >= live[i].pa + live[i].n * PG,
			 "block %#llx overlaps live block %#llx", (unsigned long long)pa,
			 (unsigned long long)live[i].pa);
	live[nlive] = (struct blk){ pa, n, kind, order, ++serial };
	stamp(pa, n, serial);
	nlive++;
}

static void release(size_t i)
{
	struct blk b = live[i];

	for (size_t k = 0; k < b.n; k++) {
		uint64_t s;

		memcpy(&s, vmk_sim_phys_to_virt(b.pa + k * PG), 8);
		FZ_CHECK(s == b.serial, "page %#llx of a live block was overwritten (serial %llu, found %llu)",
			 (unsigned long long)(b.pa + k * PG), (unsigned long long)b.serial, (unsigned long long)s);
	}
	if (b.kind == 0)
		vmk_page_free_order(vmk_pa_to_page(b.pa), b.order);
	else if (b.kind == 1)
		vmk_page_free_contig(vmk_pa_to_page(b.pa), b.n);
	else
		vmk_page_free(vmk_pa_to_page(b.pa));
	live[i] = live[--nlive];
}

static void set_fault(uint8_t f)
{
	static const char *const sites[] = { "phys", "phys.alloc", "phys.contig", "phys.bulk" };

	if (f & 1)
		vmk_sim_fail_nth((f >> 1) & 3, sites[(f >> 3) & 3], (f & 0x20) != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool booted;
	static const int domains[] = { 0, 1, VMK_DOMAIN_LOCAL, VMK_DOMAIN_RR };
	struct fz_in in = { data, size };
	unsigned int steps = 0;

	if (!booted) {
		tp_reset();
		tp_add_free(R0, R0SZ, 0);
		tp_add_free(R1, R1SZ, 1);
		base_free = tp_free();
		booted = true;
	}
	nlive = 0;
	while (in.n && steps++ < 200) {
		uint8_t op = fz_u8(&in) % 6, f = fz_u8(&in), a = fz_u8(&in);
		int dom = domains[a & 3];
		unsigned int flags = (a & 4 ? VMK_ALLOC_EXACT_DOMAIN : 0) | (a & 8 ? VMK_ALLOC_NOCACHE : 0) |
				     (a & 16 ? VMK_ALLOC_ZERO : 0);
		struct vmk_page *p;

		switch (op) {
		case 0: {
			unsigned int order = fz_u8(&in) % 6;

			if (nlive == MAXL)
				break;
			set_fault(f);
			p = vmk_page_alloc_order(dom, 0, order, flags);
			vmk_sim_fail_off();
			if (p) {
				FZ_CHECK(vmk_page_to_pa(p) % (PG << order) == 0, "order %u block misaligned", order);
				add(vmk_page_to_pa(p), (size_t)1 << order, 0, order);
			}
			break;
		}
		case 1: {
			size_t n = 1 + fz_u8(&in) % 40;
			vmk_paddr_t lo = fz_u8(&in) & 1 ? R0 + (fz_u8(&in) % 16) * (1ull << 20) : 0;
			vmk_paddr_t hi = fz_u8(&in) & 1 ? R1 + (fz_u8(&in) % 8) * (1ull << 20) : VMK_PADDR_MAX;
			vmk_paddr_t al = PG << (fz_u8(&in) % 8), bd = fz_u8(&in) & 1 ? PG << (6 + fz_u8(&in) % 6) : 0;

			if (nlive == MAXL)
				break;
			set_fault(f);
			p = vmk_page_alloc_contig(dom, n, lo, hi, al, bd, 0, flags & ~VMK_ALLOC_NOCACHE);
			vmk_sim_fail_off();
			if (p) {
				vmk_paddr_t pa = vmk_page_to_pa(p);

				FZ_CHECK(pa >= lo && pa + n * PG <= hi && pa % al == 0 &&
					 (!bd || pa / bd == (pa + n * PG - 1) / bd), "contig block breaks its constraints");
				add(pa, n, 1, 0);
			}
			break;
		}
		case 2: {
			struct vmk_page *pages[MAXBULK];
			size_t n = 1 + fz_u8(&in) % MAXBULK, got;

			if (nlive + n > MAXL)
				break;
			set_fault(f);
			got = vmk_page_alloc_bulk(dom, 0, flags & ~VMK_ALLOC_NOCACHE, n, pages);
			vmk_sim_fail_off();
			FZ_CHECK(got <= n, "bulk: %zu of %zu", got, n);
			for (size_t i = 0; i < got; i++)
				add(vmk_page_to_pa(pages[i]), 1, 2, 0);
			break;
		}
		case 3:
		case 4:
			if (nlive)
				release(f % nlive);
			break;
		default:
			vmk_phys_drain_all();
			break;
		}
		FZ_CHECK(tp_free() + live_pages() == base_free, "free %llu + live %llu != %llu pages",
			 (unsigned long long)tp_free(), (unsigned long long)live_pages(),
			 (unsigned long long)base_free);
	}
	while (nlive)
		release(nlive - 1);
	tp_check();
	FZ_CHECK(tp_free() == base_free, "leak: %llu free of %llu", (unsigned long long)tp_free(),
		 (unsigned long long)base_free);
	return 0;
}
