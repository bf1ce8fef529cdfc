/*
 * vmkit ptdump: boot a simulated machine (RAM, physical allocator, kernel
 * pmap with a direct map in large pages, a kernel image, preloaded
 * modules, vmalloc-style 4 KiB mappings, device MMIO, per-CPU areas and a
 * small user process) and print its page tables Linux-ptdump style.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "sim.h"
#include "util.h"
#include <vmkit/phys.h>
#include <vmkit/pmap.h>

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define RW (VMK_PROT_READ | VMK_PROT_WRITE)

struct layout {
	vmk_paddr_t ram_base;
	vmk_vaddr_t dmap, vmalloc, pcpu, mmio, image, modules, kva_start;
	vmk_paddr_t mmio_pa;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmkit ptdump [--arch x86_64|arm64|riscv64] [--levels N] [--ram SIZE] [--cpus N] [--user] [--json]\n"
		"\n"
		"Boot a simulated machine and dump its page tables: one line per run of\n"
		"mappings with the same level and attributes, then counts of 4K/2M/1G\n"
		"mappings and page-table pages.\n"
		"  --arch     descriptor format (default x86_64)\n"
		"  --levels   x86_64: 4 or 5; arm64: 4 (48-bit) or 3 (39-bit);\n"
		"             riscv64: 3 (Sv39), 4 (Sv48) or 5 (Sv57). Default 4\n"
		"  --ram      RAM size (default 4G, at least 256M)\n"
		"  --cpus     CPUs with a per-CPU area (default 4, at most 64)\n"
		"  --user     also dump a small user address space\n"
		"  --json     one JSON document: kernel (and user with --user), each with\n"
		"             arch, levels, space, runs (start and end as hex strings, end\n"
		"             exclusive; size, level, permissions, memtype) and counts\n"
		"Options may be given once. Exit status: 0 done, 1 failure, 2 bad usage.\n");
}

static void make_layout(enum vmk_pmap_arch_id arch, unsigned int levels, struct layout *l)
{
	memset(l, 0, sizeof(*l));
	if (arch == VMK_PMAP_ARCH_X86_64) {
		/* Linux x86-64's layout (Documentation/arch/x86/x86_64/mm.rst). */
		l->ram_base = 0;
		l->dmap = levels == 5 ? 0xff11000000000000ull : 0xffff888000000000ull;
		l->vmalloc = levels == 5 ? 0xffa0000000000000ull : 0xffffc90000000000ull;
		l->pcpu = 0xfffffe0000000000ull;
		l->mmio = 0xffffff0000000000ull;
		l->image = 0xffffffff80000000ull;
		l->modules = 0xffffffffa0000000ull;
		l->mmio_pa = 0xfee00000ull;	/* local APIC */
	} else if (arch == VMK_PMAP_ARCH_RISCV64) {
		/*
		 * Linux riscv64's layout (Documentation/arch/riscv/vm-layout.rst):
		 * vmalloc/ioremap below the direct map, modules and the kernel
		 * in the top 4 GiB; QEMU virt's RAM at 2 GiB, its UART at 0x10000000.
		 */
		static const vmk_vaddr_t vmalloc[] = { 0xffffffc800000000ull, 0xffff8f0000000000ull,
						       0xff20000000000000ull };
		static const vmk_vaddr_t dmap[] = { 0xffffffd800000000ull, 0xffffaf8000000000ull,
						    0xff60000000000000ull };

		l->ram_base = 0x80000000ull;
		l->vmalloc = vmalloc[levels - 3];
		l->dmap = dmap[levels - 3];
		l->pcpu = l->vmalloc + 16 * GiB;
		l->mmio = l->vmalloc + 32 * GiB;
		l->image = 0xffffffff80000000ull;
		l->modules = 0xffffffff00000000ull;
		l->mmio_pa = 0x10000000ull;	/* QEMU virt NS16550A */
		l->kva_start = l->vmalloc;
		return;
	} else if (levels == 3) {
		l->ram_base = 0x40000000ull;
		l->dmap = 0xffffff8000000000ull;
		l->vmalloc = 0xffffffc000000000ull;
		l->pcpu = 0xffffffd000000000ull;
		l->mmio = 0xffffffe000000000ull;
		l->image = 0xffffffc008000000ull;
		l->modules = 0xffffffc000000000ull + 512 * MiB;
		l->mmio_pa = 0x09000000ull;	/* QEMU virt PL011 */
	} else {
		l->ram_base = 0x40000000ull;
		l->dmap = 0xffff000000000000ull;
		l->vmalloc = 0xffff800010000000ull;
		l->pcpu = 0xffff800100000000ull;
		l->mmio = 0xfffffbfffe000000ull;
		l->image = 0xffff800008000000ull;
		l->modules = 0xffff800000000000ull;
		l->mmio_pa = 0x09000000ull;
	}
	l->kva_start = l->dmap;
}

static int ptd_fail(const char *what, int r)
{
	tool_error(NULL, 0, "%s: %s", what, vmk_strerror(r));
	return 1;
}

/*
 * The direct map: 1 GiB where aligned (where the kernel may have 1 GiB
 * leaves: not at the root of riscv64 Sv39), 2 MiB where aligned, 4 KiB
 * for the rest.
 */
static int map_direct(struct vmk_pmap *k, const struct layout *l, vmk_size_t ram)
{
	vmk_paddr_t pa = l->ram_base, end = l->ram_base + ram;
	bool try_1g = true;
	int r = 0;

	while (pa < end && !r) {
		vmk_vaddr_t va = l->dmap + pa;

		if (try_1g && !(pa & (GiB - 1)) && end - pa >= GiB) {
			r = vmk_pmap_enter_large(k, va, pa, GiB, RW, VMK_PMAP_ENTER_NOREPLACE);
			if (r == -VMK_EINVAL) {
				try_1g = false;
				r = 0;
				continue;
			}
			pa += GiB;
		} else if (!(pa & (2 * MiB - 1)) && end - pa >= 2 * MiB) {
			r = vmk_pmap_enter_large(k, va, pa, 2 * MiB, RW, VMK_PMAP_ENTER_NOREPLACE);
			pa += 2 * MiB;
		} else {
			r = vmk_pmap_enter(k, va, pa, RW, VMK_PMAP_ENTER_NOREPLACE);
			pa += 4096;
		}
	}
	return r;
}

int vmkit_cmd_ptdump(int argc, char **argv)
{
	enum vmk_pmap_arch_id arch = VMK_PMAP_ARCH_X86_64;
	unsigned int levels = 4, cpus = 4;
	uint64_t ram = 4 * GiB, v;
	bool json = false, user = false;
	struct vmk_pmap_config pc;
	struct layout l;
	struct vmk_pmap *k, *u = NULL;
	struct vmk_out out;
	vmk_paddr_t img;
	static void *meta;	/* the page array lives as long as the machine */
	size_t msz;
	int r;

	struct tool_seen seen = { .n = 0 };

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!tool_seen_once(&seen, a)) {
			return 2;	/* every option once */
		} else if (i + 1 == argc && (!strcmp(a, "--arch") || !strcmp(a, "--levels") ||
					     !strcmp(a, "--cpus") || !strcmp(a, "--ram"))) {
			tool_error(NULL, 0, "%s needs a value", a);
			return 2;
		} else if (!strcmp(a, "--json")) {
			json = true;
		} else if (!strcmp(a, "--user")) {
			user = true;
		} else if (!strcmp(a, "--arch") && i + 1 < argc) {
			if (!tool_parse_pmap_arch(argv[++i], &arch))
				return 2;
		} else if (!strcmp(a, "--levels") && i + 1 < argc) {
			if (!tool_parse_size("--levels", argv[++i], &v))
				return 2;
			levels = (unsigned int)v;
		} else if (!strcmp(a, "--cpus") && i + 1 < argc) {
			if (!tool_parse_size("--cpus", argv[++i], &v) || v == 0 || v > 64) {
				tool_error(NULL, 0, "--cpus: want 1..64");
				return 2;
			}
			cpus = (unsigned int)v;
		} else if (!strcmp(a, "--ram") && i + 1 < argc) {
			if (!tool_parse_size("--ram", argv[++i], &ram))
				return 2;
		} else {
			tool_error(NULL, 0, "unknown option '%s'", a);
			usage(stderr);
			return 2;
		}
	}
	if ((arch == VMK_PMAP_ARCH_X86_64 && levels != 4 && levels != 5) ||
	    (arch == VMK_PMAP_ARCH_ARM64 && levels != 4 && levels != 3) ||
	    (arch == VMK_PMAP_ARCH_RISCV64 && (levels < 3 || levels > 5))) {
		tool_error(NULL, 0, "--levels: %s supports %s",
			arch == VMK_PMAP_ARCH_X86_64 ? "x86_64" : arch == VMK_PMAP_ARCH_ARM64 ? "arm64" : "riscv64",
			arch == VMK_PMAP_ARCH_X86_64 ? "4 or 5" : arch == VMK_PMAP_ARCH_ARM64 ? "3 or 4" : "3, 4 or 5");
		return 2;
	}
	if (ram < 256 * MiB || ram > 64 * GiB || (ram & (2 * MiB - 1))) {
		tool_error(NULL, 0, "--ram: want 256M..64G in 2 MiB steps");
		return 2;
	}
	make_layout(arch, levels, &l);

	/* RAM and the allocator; the kernel image and the preloaded modules stay reserved. */
	vmk_phys_reset();
	vmk_sim_ram_reset();
	free(meta);
	vmk_sim_set_cpu_count(cpus);
	msz = vmk_phys_seg_meta_size(l.ram_base, l.ram_base + ram);
	meta = aligned_alloc(64, (msz + 63) & ~(size_t)63);
	if (!meta)
		return ptd_fail("page array", -VMK_ENOMEM);
	img = l.ram_base + 16 * MiB;	/* image: 16..24 MiB, modules: 24..28 MiB */
	if ((r = vmk_sim_ram_add(l.ram_base, ram)) || (r = vmk_phys_seg_add(l.ram_base, l.ram_base + ram, 0, meta)) ||
	    (r = vmk_phys_bootstrap_free(l.ram_base + MiB, img)) ||
	    (r = vmk_phys_bootstrap_free(img + 12 * MiB, l.ram_base + ram)))
		return ptd_fail("RAM", r);

	memset(&pc, 0, sizeof(pc));
	pc.arch = arch;
	pc.levels = levels;
	pc.large_1g = true;
	pc.nx = true;
	pc.kva_start = l.kva_start;
	pc.kva_end = 0xfffffffffffff000ull;
	if ((r = vmk_pmap_bootstrap(&pc)))
		return ptd_fail("kernel pmap", r);
	k = vmk_pmap_kernel();
	if ((r = map_direct(k, &l, ram)))
		return ptd_fail("direct map", r);
	/* Kernel image: text RX (2 MiB pages), rodata R, data+bss RW (4 KiB pages). */
	for (unsigned int i = 0; i < 2 && !r; i++)
		r = vmk_pmap_enter_large(k, l.image + i * 2 * MiB, img + i * 2 * MiB, 2 * MiB,
					 VMK_PROT_READ | VMK_PROT_EXEC, VMK_PMAP_ENTER_KEEP_SPARE);
	for (unsigned int i = 0; i < 256 && !r; i++)
		r = vmk_pmap_enter(k, l.image + 4 * MiB + i * 4096ull, img + 4 * MiB + i * 4096ull, VMK_PROT_READ, 0);
	for (unsigned int i = 0; i < 768 && !r; i++)
		r = vmk_pmap_enter(k, l.image + 5 * MiB + i * 4096ull, img + 5 * MiB + i * 4096ull, RW, 0);
	if (r)
		return ptd_fail("kernel image", r);
	/* Preloaded modules: 2 MiB mappings (each with a spare PTP, so they can be freed in part). */
	for (unsigned int i = 0; i < 2 && !r; i++)
		r = vmk_pmap_enter_large(k, l.modules + i * 2 * MiB, img + 8 * MiB + i * 2 * MiB, 2 * MiB, RW,
					 VMK_PMAP_ENTER_KEEP_SPARE);
	if (r)
		return ptd_fail("modules", r);
	/* vmalloc: 64 scattered pages through the quick-enter path. */
	{
		vmk_paddr_t pas[64];

		for (unsigned int i = 0; i < 64; i++) {
			struct vmk_page *pg = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 0);

			if (!pg)
				return ptd_fail("vmalloc pages", -VMK_ENOMEM);
			pas[i] = vmk_page_to_pa(pg);
		}
		if ((r = vmk_pmap_growkernel(l.vmalloc, l.vmalloc + 64 * 4096)) ||
		    (r = vmk_pmap_qenter(l.vmalloc, pas, 64)))
			return ptd_fail("vmalloc", r);
	}
	/* Device MMIO: uncached / device memory. */
	if ((r = vmk_pmap_enter(k, l.mmio, l.mmio_pa, RW, VMK_PMAP_MEMTYPE(VMK_MEMTYPE_DEVICE))) ||
	    (r = vmk_pmap_enter(k, l.mmio + 4096, l.mmio_pa + 0x1000, RW, VMK_PMAP_MEMTYPE(VMK_MEMTYPE_UC))))
		return ptd_fail("MMIO", r);
	/* Per-CPU areas: 32 KiB each, must stay valid (no-promote), 64 KiB apart. */
	if ((r = vmk_pmap_protect_bbm(k, l.pcpu, (vmk_size_t)cpus * 64 * 1024, VMK_PMAP_BBM_NOPROMOTE)))
		return ptd_fail("per-CPU", r);
	for (unsigned int c = 0; c < cpus && !r; c++)
		for (unsigned int i = 0; i < 8 && !r; i++) {
			struct vmk_page *pg = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, VMK_ALLOC_ZERO);

			r = pg ? vmk_pmap_enter(k, l.pcpu + c * 65536ull + i * 4096ull, vmk_page_to_pa(pg), RW,
						VMK_PMAP_ENTER_WIRED) : -VMK_ENOMEM;
		}
	if (r)
		return ptd_fail("per-CPU", r);
	if (user) {
		/* A process: text RX, data RW, a 2 MiB heap block, a stack. */
		/* The stack below the top of the user half (Sv39 / arm64 3 levels: 2^38 / 2^39). */
		unsigned int ubits = 12 + 9 * levels - (arch == VMK_PMAP_ARCH_ARM64 ? 0 : 1);
		vmk_vaddr_t stack = ubits >= 47 ? 0x7ffffffe0000ull : (1ull << ubits) - 0x20000;

		if ((r = vmk_pmap_create(&u)))
			return ptd_fail("user pmap", r);
		for (unsigned int i = 0; i < 16 && !r; i++) {
			struct vmk_page *pg = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 0);

			r = pg ? vmk_pmap_enter(u, 0x400000ull + i * 4096ull, vmk_page_to_pa(pg),
						i < 8 ? VMK_PROT_READ | VMK_PROT_EXEC : RW, VMK_PMAP_ENTER_MANAGED)
			       : -VMK_ENOMEM;
		}
		if (!r)
			r = vmk_pmap_enter_large(u, 0x40000000ull, img + 8 * MiB, 2 * MiB, RW, VMK_PMAP_ENTER_MANAGED);
		for (unsigned int i = 0; i < 4 && !r; i++) {
			struct vmk_page *pg = vmk_page_alloc(VMK_DOMAIN_LOCAL, VMK_POOL_DEFAULT, 0);

			r = pg ? vmk_pmap_enter(u, stack + i * 4096ull, vmk_page_to_pa(pg), RW,
						VMK_PMAP_ENTER_MANAGED)
			       : -VMK_ENOMEM;
		}
		if (r)
			return ptd_fail("user mappings", r);
	}

	tool_out_file(&out, stdout);
	{
		const struct vmk_pmap_dump_marker mk[] = {
			{ l.dmap, "Direct map" },
			{ l.modules, "Modules" },
			{ l.image, "Kernel image" },
			{ l.vmalloc, "vmalloc" },
			{ l.pcpu, "Per-CPU areas" },
			{ l.mmio, "MMIO" },
		};
		struct vmk_pmap_dump_marker sorted[6];
		size_t n = 6;

		/* Markers must be ascending. */
		memcpy(sorted, mk, sizeof(mk));
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 && sorted[j - 1].va > sorted[j].va; j--) {
				struct vmk_pmap_dump_marker t = sorted[j];

				sorted[j] = sorted[j - 1];
				sorted[j - 1] = t;
			}
		if (json)
			printf("{\"kernel\": ");
		vmk_pmap_dump(k, &out, json ? VMK_PMAP_DUMP_JSON : 0, sorted, n);
		if (u) {
			printf(json ? ", \"user\": " : "\n");
			vmk_pmap_dump(u, &out, json ? VMK_PMAP_DUMP_JSON : 0, NULL, 0);
		}
		if (json)
			printf("}\n");
	}
	fflush(stdout);
	return 0;
}
