/*
 * Self-tests on the real (emulated) MMU, each reported on the serial
 * port as "test: <name>: ok|FAILED: <details>". Every check reads the
 * hardware's answer (a load, a store, a fault) or vmkit's accounting,
 * never vmkit's own view of what it did alone.
 */
#include <stdarg.h>

#include <vmkit/kmap.h>
#include <vmkit/kmem.h>
#include <vmkit/phys.h>
#include <vmkit/pmap.h>

#include "kernel.h"

#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)
#define PG	VMK_PAGE_SIZE

unsigned int tests_passed, tests_failed;

void test_result(const char *name, bool ok, const char *fmt, ...)
{
	va_list ap;

	kprintf("test: %s: %s", name, ok ? "ok" : "FAILED");
	if (fmt && *fmt) {
		kputs(ok ? " (" : ": ");
		va_start(ap, fmt);
		vmk_out_vprintf(&kout, fmt, ap);
		va_end(ap);
		if (ok)
			kputs(")");
	}
	kputs("\n");
	if (ok)
		tests_passed++;
	else
		tests_failed++;
}

static struct vmk_pmap *kp(void)
{
	return vmk_pmap_kernel();
}

static uint64_t *dmap(uint64_t pa)
{
	return vmk_phys_to_virt(pa);
}

static uint64_t free_pages(void)
{
	struct vmk_phys_stats st;

	vmk_phys_drain_all_quiescent();
	vmk_phys_get_stats(&st);
	return st.free;
}

static uint64_t alloc_pa(void)
{
	struct vmk_page *p = vmk_page_alloc(0, VMK_POOL_DEFAULT, 0);

	return p ? vmk_page_to_pa(p) : 0;
}

static void free_pa(uint64_t pa)
{
	vmk_page_free(vmk_pa_to_page(pa));
}

static bool fault_is(unsigned int before, uint64_t addr, bool not_present, bool write, bool fetch)
{
	return last_fault.count == before + 1 && last_fault.addr == addr &&
	       arch_fault_not_present(last_fault.code) == not_present &&
	       arch_fault_write(last_fault.code) == write && arch_fault_fetch(last_fault.code) == fetch;
}

/* The image's own protections, as the MMU enforces them. */
static void t_image_wx(void)
{
	const struct boot_state *bs = &boot_state;
	uint64_t text = 0, data = 0, v;
	unsigned int n = last_fault.count;
	bool wfault, xfault;

	for (unsigned int s = 0; s < bs->nsect; s++) {
		if ((bs->sect[s].prot & VMK_PROT_EXEC) && !text)
			text = boot_info.image_kva + bs->sect[s].rva;
		if ((bs->sect[s].prot & VMK_PROT_WRITE) && !data)
			data = boot_info.image_kva + bs->sect[s].rva;
	}
	if (!text || !data) {
		test_result("image_wx", false, "no text or data section");
		return;
	}
	probe_read((void *)(uintptr_t)text, &v);
	wfault = probe_write((void *)(uintptr_t)text, v) == 1 && fault_is(n, text, false, true, false);
	n = last_fault.count;
	xfault = probe_exec((void *)(uintptr_t)data) == 1 && fault_is(n, data, false, false, true);
	test_result("image_wx", wfault && xfault && boot_state.on_vmkit_tables,
		    "write to .text at 0x%llx %s, execute in .data at 0x%llx %s",
		    (unsigned long long)text, wfault ? "faulted" : "did NOT fault",
		    (unsigned long long)data, xfault ? "faulted" : "did NOT fault");
}

/* Map a page, use it through real loads and stores, unmap it, see the fault. */
static void t_map_unmap(void)
{
	uint64_t va = arch_test_va, pa = alloc_pa(), v = 0;
	unsigned int n;
	bool ok;
	int r;

	if (!pa) {
		test_result("map_unmap", false, "no page");
		return;
	}
	*dmap(pa) = 0x1111222233334444ull;
	r = vmk_pmap_enter(kp(), va, pa, RW, 0);
	ok = !r && probe_read((void *)(uintptr_t)va, &v) == 0 && v == 0x1111222233334444ull;
	ok = ok && probe_write((void *)(uintptr_t)(va + 8), 0x5555666677778888ull) == 0 &&
	     dmap(pa)[1] == 0x5555666677778888ull;
	r = r ? r : vmk_pmap_remove(kp(), va, va + PG);
	n = last_fault.count;
	ok = ok && !r && probe_read((void *)(uintptr_t)va, &v) == 1 && fault_is(n, va, true, false, false);
	test_result("map_unmap", ok, "page 0x%llx at 0x%llx: load, store, then a not-present fault after remove",
		    (unsigned long long)pa, (unsigned long long)va);
	free_pa(pa);
}

/*
 * The TLB-tag path this machine runs with (arch_tlb_tags_check: x86-64
 * PCID and INVPCID when CPUID has them, on every CPU, or the fallback;
 * arm64 global kernel mappings in TTBR1), and a page remapped in place to
 * another frame, through that path's invalidation, reads the new frame.
 */
static void t_tlb_tags(void)
{
	char what[320];
	bool tags = arch_tlb_tags_check(what, sizeof(what));
	uint64_t va = arch_test_va + 0x40000, a = alloc_pa(), b = alloc_pa(), v1 = 0, v2 = 0;
	int r = a && b ? 0 : -VMK_ENOMEM;

	if (!r) {
		*dmap(a) = 0xaaaa0000aaaa0000ull;
		*dmap(b) = 0xbbbb0000bbbb0000ull;
		r = vmk_pmap_enter(kp(), va, a, RW, 0);
	}
	if (!r && !probe_read((void *)(uintptr_t)va, &v1))
		r = vmk_pmap_enter(kp(), va, b, RW, 0);
	if (!r && probe_read((void *)(uintptr_t)va, &v2))
		v2 = 0;
	vmk_pmap_remove(kp(), va, va + PG);
	test_result("tlb_tags", tags && !r && v1 == 0xaaaa0000aaaa0000ull && v2 == 0xbbbb0000bbbb0000ull,
		    "%s; a page remapped in place read 0x%llx then 0x%llx", what, (unsigned long long)v1,
		    (unsigned long long)v2);
	if (a)
		free_pa(a);
	if (b)
		free_pa(b);
}

static void t_unmapped_fault(void)
{
	uint64_t va = arch_test_va + 0x123000, v;
	unsigned int n = last_fault.count;
	bool ok = probe_read((void *)(uintptr_t)va, &v) == 1 && fault_is(n, va, true, false, false);

	n = last_fault.count;
	ok = ok && probe_write((void *)(uintptr_t)va, 1) == 1 && fault_is(n, va, true, true, false);
	test_result("unmapped_fault", ok, "load and store at 0x%llx: vector %llu code 0x%llx",
		    (unsigned long long)va, (unsigned long long)last_fault.vector,
		    (unsigned long long)last_fault.code);
}

static void t_readonly_fault(void)
{
	uint64_t va = arch_test_va + 0x10000, pa = alloc_pa(), v = 0;
	unsigned int n;
	bool ok;

	*dmap(pa) = 42;
	ok = !vmk_pmap_enter(kp(), va, pa, VMK_PROT_READ, 0) && probe_read((void *)(uintptr_t)va, &v) == 0 &&
	     v == 42;
	n = last_fault.count;
	ok = ok && probe_write((void *)(uintptr_t)va, 7) == 1 && fault_is(n, va, false, true, false) &&
	     *dmap(pa) == 42;
	/* Upgrade to RW: the store now lands (no stale read-only translation). */
	ok = ok && !vmk_pmap_protect(kp(), va, va + PG, RW) && probe_write((void *)(uintptr_t)va, 7) == 0 &&
	     *dmap(pa) == 7;
	vmk_pmap_remove(kp(), va, va + PG);
	test_result("readonly_fault", ok, "protection fault on a store to a read-only page, then RW after protect");
	free_pa(pa);
}

static void t_nx(void)
{
	uint64_t va = arch_test_va + 0x20000, pa = alloc_pa();
	size_t len = (size_t)(arch_ret_insn_end - arch_ret_insn_start);
	unsigned int n;
	bool exec_ok, nx_ok;

	vmk_memcpy(dmap(pa), arch_ret_insn_start, len);
	exec_ok = !vmk_pmap_enter(kp(), va, pa, VMK_PROT_READ | VMK_PROT_EXEC, 0) &&
		  probe_exec((void *)(uintptr_t)va) == 0;
	n = last_fault.count;
	nx_ok = !vmk_pmap_protect(kp(), va, va + PG, VMK_PROT_READ) && probe_exec((void *)(uintptr_t)va) == 1 &&
		fault_is(n, va, false, false, true);
	vmk_pmap_remove(kp(), va, va + PG);
	test_result("nx", exec_ok && nx_ok, "executable page ran (%s), execute-never page faulted on fetch (%s)",
		    exec_ok ? "yes" : "no", nx_ok ? "yes" : "no");
	free_pa(pa);
}

/* Promote a 2 MiB run built from 512 page mappings, demote it, and read through it all along. */
static bool read_all(uint64_t va, uint64_t base_pa, unsigned int skip)
{
	for (unsigned int i = 0; i < 512; i++) {
		uint64_t v;

		if (i == skip)
			continue;
		if (probe_read((void *)(uintptr_t)(va + i * PG), &v) || v != ((base_pa + i * PG) ^ 0xabcdull))
			return false;
	}
	return true;
}

static void t_promote_demote(void)
{
	uint64_t va = arch_test_va + 0x40000000ull, pa, other, v;
	struct vmk_page *blk = vmk_page_alloc_order(0, VMK_POOL_DEFAULT, 9, 0);
	struct vmk_pmap_mapping m;
	struct vmk_pmap_stats s0, s1;
	bool promoted, demoted, hole, remap, ok;
	unsigned int n;
	int r = 0;

	if (!blk) {
		test_result("promote_demote", false, "no 2 MiB block");
		return;
	}
	pa = vmk_page_to_pa(blk);
	for (unsigned int i = 0; i < 512; i++)
		*dmap(pa + i * PG) = (pa + i * PG) ^ 0xabcdull;
	vmk_pmap_stats(kp(), &s0);
	for (unsigned int i = 0; i < 512 && !r; i++) {
		r = vmk_pmap_enter(kp(), va + i * PG, pa + i * PG, RW, 0);
		/* Read through what is mapped so far, as a user of the range would. */
		if (!r && (probe_read((void *)(uintptr_t)va, &v) || v != (pa ^ 0xabcdull)))
			r = -1;
	}
	vmk_pmap_stats(kp(), &s1);
	promoted = !r && !vmk_pmap_extract(kp(), va + 0x1000, &m) && m.size == 2 * VMK_MiB &&
		   s1.promotions == s0.promotions + 1 && read_all(va, pa, 512);
	demoted = !vmk_pmap_demote(kp(), va) && !vmk_pmap_extract(kp(), va + 0x1000, &m) && m.size == PG &&
		  read_all(va, pa, 512);
	/* Remove one page of the demoted run: the MMU must fault there at once. */
	n = last_fault.count;
	hole = !vmk_pmap_remove(kp(), va + 77 * PG, va + 78 * PG) &&
	       probe_read((void *)(uintptr_t)(va + 77 * PG), &v) == 1 &&
	       fault_is(n, va + 77 * PG, true, false, false) && read_all(va, pa, 77);
	/* Map another frame there: the new frame is read, not the old one. */
	other = alloc_pa();
	*dmap(other) = 0x0707070707070707ull;
	remap = other && !vmk_pmap_enter(kp(), va + 77 * PG, other, RW, 0) &&
		!probe_read((void *)(uintptr_t)(va + 77 * PG), &v) && v == 0x0707070707070707ull;
	/* Put the original frame back: the run is whole again and promotes again. */
	ok = !vmk_pmap_enter(kp(), va + 77 * PG, pa + 77 * PG, RW, 0) && read_all(va, pa, 512);
	ok = ok && !vmk_pmap_extract(kp(), va, &m) && m.size == 2 * VMK_MiB;
	vmk_pmap_remove(kp(), va, va + 2 * VMK_MiB);
	n = last_fault.count;
	ok = ok && probe_read((void *)(uintptr_t)(va + 5 * PG), &v) == 1 && last_fault.count == n + 1;
	test_result("promote_demote", promoted && demoted && hole && remap && ok,
		    "promoted %d, demoted %d, hole faults %d, remap seen %d, re-promoted and removed %d",
		    promoted, demoted, hole, remap, ok);
	if (other)
		free_pa(other);
	vmk_page_free_order(blk, 9);
}

static void t_page_loop(void)
{
	static uint64_t pas[256];
	uint64_t f0 = free_pages(), f1 = 0, f2;
	bool ok = true;

	for (int round = 0; round < 8 && ok; round++) {
		for (int i = 0; i < 256; i++) {
			pas[i] = alloc_pa();
			ok = ok && pas[i];
			if (pas[i])
				*dmap(pas[i]) = pas[i];
		}
		f1 = free_pages();
		ok = ok && f1 == f0 - 256;
		for (int i = 0; i < 256; i++) {
			ok = ok && pas[i] && *dmap(pas[i]) == pas[i];
			if (pas[i])
				free_pa(pas[i]);
		}
	}
	f2 = free_pages();
	test_result("page_alloc_free", ok && f2 == f0,
		    "8 rounds of 256 pages: free %llu -> %llu -> %llu", (unsigned long long)f0,
		    (unsigned long long)f1, (unsigned long long)f2);
}

static void t_kmem(void)
{
	static const uint64_t sizes[] = { PG, 3 * PG, 64 * 1024, 2 * VMK_MiB, 5 * VMK_MiB + PG };
	struct vmk_kmem_stats k0, k1;
	uint64_t f0 = 0, f1;
	bool ok = true;

	/*
	 * Round 0 imports KVA units, whose page-table pages kmem keeps for
	 * good; from then on every round must give back exactly what it took.
	 */
	for (int round = 0; round < 4 && ok; round++) {
		vmk_vaddr_t va[5];

		if (round == 1) {
			f0 = free_pages();
			vmk_kmem_stats(&k0);
		}

		for (int i = 0; i < 5; i++) {
			va[i] = vmk_kmem_malloc(sizes[i], VMK_KM_ZERO);
			ok = ok && va[i];
			for (uint64_t o = 0; va[i] && o < sizes[i]; o += PG) {
				uint64_t v = 1;

				ok = ok && probe_read((void *)(uintptr_t)(va[i] + o), &v) == 0 && v == 0 &&
				     probe_write((void *)(uintptr_t)(va[i] + o), va[i] + o) == 0;
			}
		}
		for (int i = 0; i < 5; i++) {
			for (uint64_t o = 0; va[i] && o < sizes[i]; o += PG)
				ok = ok && *(volatile uint64_t *)(uintptr_t)(va[i] + o) == va[i] + o;
			if (va[i])
				vmk_kmem_free(va[i], sizes[i]);
		}
	}
	vmk_kmem_stats(&k1);
	f1 = free_pages();
	test_result("kmem_malloc_free", ok && f1 == f0 && k1.pages_backed == k0.pages_backed,
		    "rounds 2-4 of 5 sizes up to 5 MiB: free pages %llu -> %llu, backed %llu -> %llu",
		    (unsigned long long)f0, (unsigned long long)f1, (unsigned long long)k0.pages_backed,
		    (unsigned long long)k1.pages_backed);
}

static void t_nofree_rollback(void)
{
	static struct vmk_page *pages[700];
	uint64_t f0 = free_pages(), f1;
	int r;

	/* 700 pages need two 2 MiB imports; the second fails. */
	fault_inject_arm("phys.nofree.import", 1);
	r = vmk_page_alloc_nofree_batch(0, 0, 700, pages);
	fault_inject_disarm();
	f1 = free_pages();
	test_result("nofree_batch_rollback", r == -VMK_ENOMEM && f1 == f0,
		    "batch of 700 failing at the second import: %s, free pages %llu -> %llu",
		    vmk_strerror(r), (unsigned long long)f0, (unsigned long long)f1);
}

static void t_kmem_fail_rollback(void)
{
	struct vmk_kmem_stats k0, k1;
	uint64_t f0 = free_pages(), f1;
	vmk_vaddr_t va;

	vmk_kmem_stats(&k0);
	fault_inject_arm("kmem.back", 5);
	va = vmk_kmem_malloc(16 * PG, 0);
	fault_inject_disarm();
	vmk_kmem_stats(&k1);
	f1 = free_pages();
	test_result("kmem_fail_rollback", !va && f1 == f0 && k1.pages_backed == k0.pages_backed,
		    "a 16-page kmem_malloc failing part-way: %s, free pages %llu -> %llu",
		    va ? "succeeded" : "failed", (unsigned long long)f0, (unsigned long long)f1);
	if (va)
		vmk_kmem_free(va, 16 * PG);
}

static void t_release_module(void)
{
	const struct boot_info *bi = &boot_info;
	uint64_t f0 = free_pages(), f1, pages = bi->module_size / PG;
	bool content = *dmap(bi->module_pa + PG) == (0x6d6f64756c650000ull | 1);
	int r = vmk_phys_bootstrap_free(bi->module_pa, bi->module_pa + bi->module_size);

	f1 = free_pages();
	test_result("release_preloaded_module", content && !r && f1 == f0 + pages,
		    "%llu pages at 0x%llx (content %s): free pages %llu -> %llu", (unsigned long long)pages,
		    (unsigned long long)bi->module_pa, content ? "intact" : "WRONG", (unsigned long long)f0,
		    (unsigned long long)f1);
}

static void t_boot_services(void)
{
	const struct boot_state *bs = &boot_state;

	test_result("boot_services_freed",
		    bs->bs_freed_pages > 0 && bs->free_after_bs == bs->free_before_bs + bs->bs_freed_pages,
		    "%llu pages: free %llu -> %llu", (unsigned long long)bs->bs_freed_pages,
		    (unsigned long long)bs->free_before_bs, (unsigned long long)bs->free_after_bs);
}

/* The page tables as the MMU walks them: no leaf both writable and executable, none user. */
static void t_wx_report(void)
{
	static struct vmk_kmap_report rep;
	int r = vmk_kmap_report(kp(), 0, 0, &rep);

	test_result("page_table_wx_report", r == 0 && rep.wx_leaves == 0 && rep.user_leaves == 0 && rep.leaves > 0,
		    "%llu leaves, %llu MiB mapped, %llu writable+executable, %llu user",
		    (unsigned long long)rep.leaves, (unsigned long long)(rep.bytes >> 20),
		    (unsigned long long)rep.wx_leaves, (unsigned long long)rep.user_leaves);
}

/* The loader's early high-half tables are dead once vmkit's tables run: their pages go back. */
static void t_release_loader_tables(void)
{
	uint64_t f0 = free_pages(), f1, n = arch_high_tables_pages;
	int r = vmk_phys_bootstrap_free(boot_info.high_tables_pa, boot_info.high_tables_pa + n * PG);

	f1 = free_pages();
	test_result("release_loader_tables", !r && f1 == f0 + n, "%llu pages at 0x%llx: free pages %llu -> %llu",
		    (unsigned long long)n, (unsigned long long)boot_info.high_tables_pa, (unsigned long long)f0,
		    (unsigned long long)f1);
}

static void t_checks(void)
{
	char msg[160] = "";
	int r = vmk_pmap_check(kp(), msg, sizeof(msg));

	if (!r)
		r = vmk_kmem_check(msg, sizeof(msg));
	vmk_check_phys();
	test_result("invariants", !r, "%s", r ? msg : "pmap, kmem and phys checks pass");
}

void tests_run(void)
{
	/* Boot-services memory exists only after a UEFI boot (riscv64 starts from OpenSBI). */
	if (boot_info.desc_size)
		t_boot_services();
	t_image_wx();
	t_map_unmap();
	t_unmapped_fault();
	t_tlb_tags();
	t_readonly_fault();
	t_nx();
	t_promote_demote();
	t_page_loop();
	t_kmem();
	t_nofree_rollback();
	t_kmem_fail_rollback();
	if (boot_info.module_size)	/* riscv64: the initrd, when QEMU was given one */
		t_release_module();
	/* riscv64's early table lives in the image: nothing separate to give back. */
	if (arch_high_tables_pages)
		t_release_loader_tables();
	t_wx_report();
	test_smp();
	t_checks();
}
