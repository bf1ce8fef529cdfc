/*
 * The kernel proper, running at its high address: the boot sequence an
 * embedding kernel runs with vmkit (fwmap -> memblock -> phys -> pmap ->
 * its own page tables -> kmem), then the self-tests.
 */
#include <vmkit/boot.h>
#include <vmkit/fwmap.h>
#include <vmkit/kmap.h>
#include <vmkit/kmem.h>
#include <vmkit/memblock.h>
#include <vmkit/phys.h>
#include <vmkit/pmap.h>
#include <vmkit/resource.h>
#include <vmkit/version.h>

#include "kernel.h"

#define MAX_ENTRIES	KERNEL_MAX_FWMAP
#define RW		(VMK_PROT_READ | VMK_PROT_WRITE)

struct boot_state boot_state;
static struct vmk_platform platform;
static struct vmk_fwmap_entry map_storage[MAX_ENTRIES];
static struct vmk_fwmap fwmap;
static struct vmk_fwmap_msg diag_storage[32];
static struct vmk_fwmap_diag diag;
static struct vmk_memblock mb;
static struct vmk_resource iomem_nodes[1024], iomem_root;
static char iomem_names[8192];
static struct vmk_resource_pool iomem_pool;

/* ---- hooks the kernel adds to the architecture's ---- */

static const char *fi_site;
static unsigned int fi_left;

void fault_inject_arm(const char *site, unsigned int n)
{
	fi_left = n;
	fi_site = site;
}

void fault_inject_disarm(void)
{
	fi_site = NULL;
}

static bool k_fault_inject(void *ctx, const char *site)
{
	(void)ctx;
	if (!fi_site || vmk_strcmp(site, fi_site))
		return false;
	if (fi_left) {
		fi_left--;
		return false;
	}
	return true;
}

static void k_panic(void *ctx, const char *msg)
{
	(void)ctx;
	kprintf("\nvmkit-kernel: PANIC on CPU %u: %s\n", vmk_cpu_id(), msg);
	arch_dump_here();
	kprintf("vmkit-kernel: %u passed, %u failed\n", tests_passed, tests_failed + 1);
	arch_exit(KERNEL_EXIT_FAIL);
}

static void k_log(void *ctx, enum vmk_log_level level, const char *msg)
{
	(void)ctx;
	if (level <= VMK_LOG_INFO)
		kprintf("vmkit: %s\n", msg);
}

static VMK_NORETURN void die(const char *what, int err)
{
	kprintf("vmkit-kernel: boot failed: %s: %s\n", what, vmk_strerror(err));
	kprintf("vmkit-kernel: %u passed, %u failed\n", tests_passed, tests_failed + 1);
	arch_exit(KERNEL_EXIT_FAIL);
}

/* Bytes of memblock memory inside [base, base + size). */
static uint64_t memblock_bytes_in(uint64_t base, uint64_t size)
{
	uint64_t n = 0;

	for (size_t i = 0; i < mb.memory.cnt; i++) {
		const struct vmk_memblock_region *g = &mb.memory.regions[i];
		uint64_t lo = VMK_MAX(g->base, base), hi = VMK_MIN(g->base + g->size, base + size);

		if (hi > lo)
			n += hi - lo;
	}
	return n;
}

/*
 * The device tree from the UEFI configuration table, when there is one:
 * what it says, and whether its memory nodes agree with memblock (built
 * from the UEFI map, which is what the kernel trusts for memory).
 */
static void dt_report(const struct boot_info *bi)
{
	const struct dt_info *dt = &bi->dt;
	uint64_t dt_mem = 0, in_mb = 0;

	if (!dt->pa) {
		kprintf("boot: device tree: none in the UEFI configuration table (%s)\n",
			bi->rsdp_pa ? "the firmware gives ACPI" : "and no ACPI either");
		return;
	}
	if (!dt->valid) {
		kprintf("boot: device tree at 0x%llx: not a valid FDT (ignored)\n", (unsigned long long)dt->pa);
		return;
	}
	kprintf("boot: device tree at 0x%llx: %u bytes, version %u, %u memory range(s), %u /memreserve/, "
		"%u CPU(s)%s, PSCI %s\n", (unsigned long long)dt->pa, dt->size, dt->version, dt->nmem, dt->nrsv,
		dt->ncpus, bi->cpus_from_dt ? " (used: no ACPI)" : "", dt->psci[0] ? dt->psci : "none");
	for (unsigned int i = 0; i < dt->nmem; i++) {
		kprintf("boot: device tree: memory [0x%llx-0x%llx)\n", (unsigned long long)dt->mem[i].base,
			(unsigned long long)(dt->mem[i].base + dt->mem[i].size));
		dt_mem += dt->mem[i].size;
		in_mb += memblock_bytes_in(dt->mem[i].base, dt->mem[i].size);
	}
	for (unsigned int i = 0; i < dt->ncpus; i++)
		kprintf("boot: device tree: cpu %u MPIDR 0x%x\n", i, dt->mpidr[i]);
	kprintf("boot: device tree: memory %s memblock (%llu of the DT's %llu bytes are memblock memory)\n",
		dt_mem && in_mb == dt_mem ? "matches" : "DIFFERS from", (unsigned long long)in_mb,
		(unsigned long long)dt_mem);
}

/* ---- page tables, through vmkit's kmap ---- */

/* The direct map: what the boot policy makes mapped memory, with the firmware's memory types. */
static void map_direct(struct vmk_pmap *k)
{
	struct vmk_kmap_direct_stats st;
	int r = vmk_kmap_direct(k, arch_dmap_base, &fwmap, arch_boot_policy, &st);

	if (r)
		die("direct map", r);
	kprintf("boot: direct map at 0x%016llx: %llu MiB in %llu runs, %llu/%llu/%llu leaves of 4K/2M/1G\n",
		(unsigned long long)arch_dmap_base, (unsigned long long)(st.bytes >> 20),
		(unsigned long long)st.runs, (unsigned long long)st.leaves[0],
		(unsigned long long)st.leaves[1], (unsigned long long)st.leaves[2]);
}

/*
 * The image by section with its own protection, from the PE headers:
 * headers r--, text r-x, rdata r--, data (and bss) rw-, relocations r--.
 */
static void map_image(struct vmk_pmap *k)
{
	const struct boot_info *bi = &boot_info;
	struct boot_state *bs = &boot_state;
	struct vmk_kmap_section ks[9] = { { 4096, VMK_PROT_READ, 0 } };
	uint64_t next = 4096;
	int r;

	bs->nsect = pe_sections(__ImageBase, bs->sect, 8);
	for (unsigned int s = 0; s < bs->nsect; s++) {
		const struct pe_section *p = &bs->sect[s];

		if (p->rva != next)
			die("image sections are not back to back", -VMK_EINVAL);
		ks[1 + s] = (struct vmk_kmap_section){ p->size, p->prot, 0 };
		next = p->rva + p->size;
		kprintf("boot: image %-8s 0x%016llx-0x%016llx %c%c%c\n", p->name,
			(unsigned long long)(bi->image_kva + p->rva), (unsigned long long)(bi->image_kva + next),
			'r', p->prot & VMK_PROT_WRITE ? 'w' : '-', p->prot & VMK_PROT_EXEC ? 'x' : '-');
	}
	if (next != VMK_ALIGN_UP(bi->image_size, VMK_PAGE_SIZE))
		die("the image has bytes outside its sections", -VMK_EINVAL);
	r = vmk_kmap_image(k, bi->image_kva, bi->image_pa, ks, 1 + bs->nsect);
	if (r)
		die("image (W^X refused or mapping failed)", r);
}

void boot_note_device(uint64_t va, uint64_t pa, uint64_t size, unsigned int memtype)
{
	if (boot_state.ndev < KERNEL_MAX_DEVICES)
		boot_state.dev[boot_state.ndev++] = (typeof(boot_state.dev[0])){ va, pa, size, memtype };
}

/* ---- boot-services memory back to the allocator ---- */

static void free_boot_services(void)
{
	struct vmk_phys_stats st;
	uint64_t freed = 0;

	vmk_phys_get_stats(&st);
	boot_state.free_before_bs = st.free;
	for (size_t i = 0; i < fwmap.n; i++) {
		const struct vmk_fwmap_entry *e = &fwmap.e[i];
		uint64_t base = e->base, end = e->base + e->size;
		int r;

		if (e->kind != VMK_MEM_BOOT_SERVICES)
			continue;
		if (base < arch_low_reserve)
			base = arch_low_reserve;	/* stays reserved (x86: AP trampoline) */
		if (base >= end)
			continue;
		r = vmk_phys_bootstrap_free(base, end);
		if (r)
			die("freeing boot-services memory", r);
		freed += (end - base) / VMK_PAGE_SIZE;
	}
	vmk_phys_get_stats(&st);
	boot_state.free_after_bs = st.free;
	boot_state.bs_freed_pages = freed;
	kprintf("boot: boot-services memory freed: %llu pages (free pages %llu -> %llu)\n",
		(unsigned long long)freed, (unsigned long long)boot_state.free_before_bs,
		(unsigned long long)boot_state.free_after_bs);
}

/* ---- the report `vmkit boot` prints, from this boot ---- */

static void print_report(const struct vmk_pmap_config *pc, const struct vmk_kmem_config *kc)
{
	static struct kernel_layout l;
	const struct boot_state *bs = &boot_state;

	l.fwmap = &fwmap;
	l.pc = pc;
	l.image_pa = boot_info.image_pa;
	l.image_va = boot_info.image_kva;
	l.sect[0].size = VMK_PAGE_SIZE;		/* the PE headers */
	l.sect[0].prot = VMK_PROT_READ;
	for (unsigned int s = 0; s < bs->nsect; s++) {
		l.sect[1 + s].size = bs->sect[s].size;
		l.sect[1 + s].prot = bs->sect[s].prot;
	}
	l.nsect = 1 + bs->nsect;
	l.image_size = VMK_ALIGN_UP(boot_info.image_size, VMK_PAGE_SIZE);
	l.kmem_base = kc->kva_start;
	l.kmem_size = kc->kva_end - kc->kva_start;
	l.ram = bs->ram;
	l.ncpus = boot_info.ncpus;
	l.percpu_size = KERNEL_PCPU_SIZE;
	l.percpu_bytes = (uint64_t)boot_info.ncpus * KERNEL_PCPU_SIZE;
	boot_report(&l);
}

/* ---- the boot ---- */

void kernel_main(void)
{
	struct boot_info *bi = &boot_info;
	struct vmk_fwmap_sanitize_opts so = { .merge_ignores_attr = true };	/* as vmkit memmap/boot */
	struct vmk_pmap_config pc;
	struct vmk_kmem_config kc;
	struct vmk_pmap_stats ps;
	struct vmk_phys_stats st;
	unsigned int nsrc = 0;
	int r;

	arch_cpu_init();
	platform = arch_platform;
	platform.panic = k_panic;
	platform.log = k_log;
	platform.fault_inject = k_fault_inject;
	vmk_platform_set(&platform);
	kprintf("\nvmkit-kernel: vmkit %s, image 0x%llx (%llu KiB) running at 0x%llx, %u CPU(s) in the %s, "
		"RSDP 0x%llx\n", vmk_version(), (unsigned long long)bi->image_pa,
		(unsigned long long)(bi->image_size >> 10), (unsigned long long)bi->image_kva, bi->ncpus,
		bi->cpus_from_dt ? "device tree" : "MADT", (unsigned long long)bi->rsdp_pa);
	/* fwmap: the firmware's map (UEFI: the binary memory map; riscv64: the device tree), sanitized. */
	vmk_fwmap_init(&fwmap, map_storage, MAX_ENTRIES);
	vmk_fwmap_diag_init(&diag, diag_storage, 32);
	r = firmware_map(&fwmap, &diag, &nsrc);
	if (!r)
		r = vmk_fwmap_sanitize(&fwmap, &so, &diag);
	vmk_fwmap_diag_print(&diag, &kout, "fwmap", VMK_FWMAP_WARN);
	if (r)
		die("fwmap", r);
	kprintf("boot: fwmap: %u descriptors, %zu entries after sanitizing\n", nsrc, fwmap.n);
	vmk_fwmap_render_table(&fwmap, &kout);

	/* memblock, per the boot policy; boot-services memory stays ours until we left it. */
	vmk_memblock_init(&mb);
	vmk_memblock_allow_resize(&mb, true);
	r = vmk_boot_memblock_from_fwmap_arch(&mb, &fwmap, arch_boot_policy);
	if (r)
		die("memblock from the firmware map", r);
	/*
	 * memblock exactly as the boot policy left it, before this kernel's
	 * own reservations: `vmkit memmap --efi LOG --kernel-size 0
	 * --reserve-low 0` on the host prints the same block from the map
	 * printed above (kernel/check-boot.sh compares them).
	 */
	kprintf("boot: memblock from the firmware map (policy %s):\n", arch_boot_policy ? "arm64" : "x86_64");
	vmk_memblock_dump(&mb, &kout);
	kprintf("boot: end of memblock\n");
	/* /proc/iomem as Linux would show it at this point (the arch's way), for the same comparison. */
	vmk_resource_pool_init(&iomem_pool, iomem_nodes, VMK_ARRAY_SIZE(iomem_nodes), iomem_names,
			       sizeof(iomem_names));
	vmk_iomem_root_init(&iomem_root);
	r = arch_boot_policy ? vmk_boot_resources_from_memblock(&iomem_root, &iomem_pool, &mb)
			     : vmk_boot_resources_from_fwmap(&iomem_root, &iomem_pool, &fwmap);
	if (!r)
		r = vmk_boot_resources_add_reserved(&iomem_root, &iomem_pool, &mb, 0, 0);
	if (r)
		die("resource tree", r);
	kprintf("boot: /proc/iomem:\n");
	vmk_resource_render(&iomem_root, &kout);
	kprintf("boot: end of /proc/iomem\n");
	r = arch_low_reserve ? vmk_memblock_reserve(&mb, 0, arch_low_reserve) : 0;
	for (size_t i = 0; i < fwmap.n && !r; i++)
		if (fwmap.e[i].kind == VMK_MEM_BOOT_SERVICES) {
			boot_state.bs_bytes += fwmap.e[i].size;
			r = vmk_memblock_reserve(&mb, fwmap.e[i].base, fwmap.e[i].size);
		}
	if (r)
		die("memblock reservations", r);
	if (!vmk_memblock_is_region_reserved(&mb, bi->image_pa, bi->image_size))
		die("the kernel image is not reserved", -VMK_EINVAL);
	boot_state.ram = vmk_memblock_phys_mem_size(&mb);
	kprintf("boot: memblock: %zu memory regions (%llu MiB), %zu reserved\n", mb.memory.cnt,
		(unsigned long long)(boot_state.ram >> 20), mb.reserved.cnt);

	dt_report(bi);

	/* phys */
	r = vmk_phys_init(&mb, NULL);
	if (r)
		die("vmk_phys_init", r);
	vmk_phys_get_stats(&st);
	kprintf("boot: phys: %llu free pages\n", (unsigned long long)st.free);

	/* pmap: the kernel's own page tables, then switch to them. */
	vmk_memset(&pc, 0, sizeof(pc));
	arch_pmap_config(&pc);
	r = vmk_pmap_bootstrap(&pc);
	if (r)
		die("vmk_pmap_bootstrap", r);
	map_direct(vmk_pmap_kernel());
	map_image(vmk_pmap_kernel());
	r = arch_map_devices();
	if (r)
		die("device mappings", r);
	boot_state.kernel_root = vmk_pmap_root(vmk_pmap_kernel());
	vmk_pmap_stats(vmk_pmap_kernel(), &ps);
	kprintf("boot: kernel pmap: root 0x%llx, %llu page-table pages, %llu/%llu/%llu mappings of 4K/2M/1G, "
		"%llu 64 KiB runs folded\n", (unsigned long long)boot_state.kernel_root, (unsigned long long)ps.ptps,
		(unsigned long long)ps.mappings[0], (unsigned long long)ps.mappings[1],
		(unsigned long long)ps.mappings[2], (unsigned long long)ps.folds);
	arch_switch_root(boot_state.kernel_root);
	boot_state.on_vmkit_tables = true;
	kprintf("boot: running on vmkit's page tables\n");

	/* The firmware's tables and stack are no longer used: its memory goes to phys. */
	free_boot_services();

	/* kmem */
	vmk_memset(&kc, 0, sizeof(kc));
	kc.kva_start = arch_kmem_base;
	kc.kva_end = arch_kmem_base + arch_kmem_size;
	kc.ncpus = bi->ncpus;
	r = vmk_kmem_init(&kc);
	if (r)
		die("vmk_kmem_init", r);
	kprintf("boot: kmem: window 0x%016llx-0x%016llx\n", (unsigned long long)kc.kva_start,
		(unsigned long long)kc.kva_end);

	/*
	 * Per-CPU areas in ordinary kmem memory, their 2 MiB blocks promoted
	 * and demoted only with the other CPUs parked (the SMP self-test
	 * promotes and demotes the block around CPU 1's area while CPU 1
	 * uses it).
	 */
	for (unsigned int c = 0; c < bi->ncpus; c++) {
		boot_state.pcpu_va[c] = vmk_kmem_pcpu_alloc(0, KERNEL_PCPU_SIZE, VMK_KMEM_PCPU_RENDEZVOUS);
		if (!boot_state.pcpu_va[c])
			die("per-CPU area", -VMK_ENOMEM);
		kprintf("boot: per-CPU area of CPU %u: 0x%llx, %u KiB\n", c, (unsigned long long)boot_state.pcpu_va[c],
			KERNEL_PCPU_SIZE >> 10);
	}

	print_report(&pc, &kc);

	kprintf("boot: %u CPU(s) online\n", arch_start_cpus());
	tests_run();
	kprintf("vmkit-kernel: %u passed, %u failed\n", tests_passed, tests_failed);
	arch_exit(tests_failed || !tests_passed ? KERNEL_EXIT_FAIL : KERNEL_EXIT_PASS);
}
