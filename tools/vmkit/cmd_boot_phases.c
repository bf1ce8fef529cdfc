/*
 * vmkit boot: the phases of a simulated boot, in the order a kernel runs
 * them. Each phase is timed on its own; a phase the build cannot run yet
 * says so (ran == false, why) instead of being faked.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vmkit/boot.h>
#include <vmkit/kmap.h>
#include <vmkit/phys.h>
#include <vmkit/pmap.h>

#include "cmd_boot.h"
#include "sim.h"

#define POOL_NODES	8192
#define POOL_NAMES	(512 * 1024)
#define RW		(VMK_PROT_READ | VMK_PROT_WRITE)
/* Where the kernel image is mapped (Linux's __START_KERNEL_map; arm64's KIMAGE_VADDR). */
#define KVA_IMAGE_X86_64	0xffffffff80000000ull
#define KVA_IMAGE_ARM64		0xffff800008000000ull

static const char *const phase_names[PH_NPHASES] = {
	"fwmap", "memblock", "resources", "handover", "pagetables",
	"kmem", "percpu", "microcode", "preloads",
};

const char *boot_phase_name(enum boot_phase p)
{
	return phase_names[p];
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int fail(const struct boot *b, const char *phase, const char *what, int err)
{
	fprintf(stderr, "vmkit boot: %s: %s: %s%s%s\n", b->name, phase, what, err ? ": " : "",
		err ? vmk_strerror(err) : "");
	return -1;
}

/* ---- memblock ---- */

static int set_nodes(struct boot *b)
{
	const struct machine_desc *d = b->d;
	int err;

	if (!d->nnode)
		return 0;
	/* Memory no node line covers is on node 0. */
	err = vmk_memblock_set_node(&b->mb, 0, VMK_PADDR_MAX, 0);
	for (size_t i = 0; i < d->nnode && !err; i++)
		err = vmk_memblock_set_node(&b->mb, d->node[i].base, d->node[i].size, (int)d->node[i].nid);
	return err ? fail(b, "memblock", "NUMA node", err) : 0;
}

/* Kernel image and the preloaded files after it, page by page, as a loader lays them out. */
/*
 * An "image" line: the kernel is where a loader (a real kernel's UEFI
 * stage) already put it, at its virtual base; it is reserved there.
 * The report's text/rodata/data sizes sum the sections by protection.
 */
static int place_image(struct boot *b)
{
	const struct machine_desc *d = b->d;
	int err;

	b->kbase = d->image_pa;
	b->kva = d->image_va;
	b->ksize = 0;
	for (size_t i = 0; i < d->nsect; i++) {
		int k = d->sect[i].prot & VMK_PROT_EXEC ? 0 : d->sect[i].prot & VMK_PROT_WRITE ? 2 : 1;

		b->sect_size[k] += d->sect[i].size;
		b->ksize += d->sect[i].size;
	}
	b->npre = 0;
	b->preload_end = b->kbase + b->ksize;
	/* Outside RAM its bytes would be in no accounting category. */
	if (!vmk_memblock_is_region_memory(&b->mb, b->kbase, b->ksize)) {
		fprintf(stderr, "vmkit boot: %s: memblock: the kernel image [0x%016llx-0x%016llx] is not all RAM\n",
			b->name, (unsigned long long)b->kbase, (unsigned long long)(b->kbase + b->ksize - 1));
		return -1;
	}
	err = vmk_memblock_reserve(&b->mb, b->kbase, b->ksize);
	return err ? fail(b, "memblock", "reserving the kernel image", err) : 0;
}

static int place_kernel(struct boot *b)
{
	const struct machine_desc *d = b->d;
	uint64_t img = machine_desc_image_size(d), off = img, total, min;
	int err;

	if (d->have_image)
		return place_image(b);

	b->sect_size[0] = VMK_ALIGN_UP(d->text, VMK_PAGE_SIZE);
	b->sect_size[1] = VMK_ALIGN_UP(d->rodata, VMK_PAGE_SIZE);
	b->sect_size[2] = VMK_ALIGN_UP(d->data, VMK_PAGE_SIZE);
	b->sect_size[3] = VMK_ALIGN_UP(d->bss, VMK_PAGE_SIZE);
	for (int s = 1; s < 4; s++)
		b->sect_off[s] = b->sect_off[s - 1] + b->sect_size[s - 1];
	b->ksize = img;
	b->kva = d->arch == MD_ARCH_X86_64 ? KVA_IMAGE_X86_64 : KVA_IMAGE_ARM64;
	b->npre = d->nmod;
	for (size_t i = 0; i < d->nmod; i++) {
		struct boot_preload *p = &b->pre[i];

		p->mod = &d->mod[i];
		p->size = strcmp(p->mod->type, "cpu_microcode") ? p->mod->size : boot_ucode_bundle_size(d);
		p->pa = off;		/* relative until the image is placed */
		off += VMK_ALIGN_UP(p->size, VMK_PAGE_SIZE);
	}
	total = off;
	min = d->arch == MD_ARCH_X86_64 ? 16 * VMK_MiB : vmk_memblock_start_of_dram(&b->mb);
	b->kbase = d->kernel_addr;
	err = vmk_boot_reserve_kernel(&b->mb, total, 2 * VMK_MiB, min, d->kernel_fixed, &b->kbase);
	if (err)
		return fail(b, "memblock", "no room for the kernel image and its preloaded files", err);
	for (size_t i = 0; i < b->npre; i++) {
		b->pre[i].pa += b->kbase;
		b->pre[i].va = b->kva + (b->pre[i].pa - b->kbase);
	}
	b->preload_end = b->kbase + total;
	return 0;
}

static int crashkernel(struct boot *b)
{
	struct vmk_crash_arch ca;
	struct vmk_crashkernel ck;
	char why[200];

	if (!strstr(b->d->cmdline, "crashkernel="))
		return 0;
	vmk_crash_arch_defaults(b->d->arch == MD_ARCH_X86_64 ? VMK_KEXEC_ARCH_X86_64 : VMK_KEXEC_ARCH_ARM64,
				&ca);
	if (vmk_crashkernel_parse_cmdline(b->d->cmdline, vmk_memblock_phys_mem_size(&b->mb), &ca, &ck,
					  why, sizeof(why))) {
		fprintf(stderr, "vmkit boot: %s: cmdline: %s\n", b->name, why);
		return -1;
	}
	if (vmk_crashkernel_reserve(&b->mb, &ck, &ca, &b->crash, why, sizeof(why))) {
		fprintf(stderr, "vmkit boot: %s: crashkernel: %s\n", b->name, why);
		return -1;
	}
	return 0;
}

/* The boot policy of the machine's architecture (arm64 UEFI maps differ from x86's). */
static uint32_t boot_policy_arch(const struct boot *b)
{
	return b->d->arch == MD_ARCH_X86_64 ? VMK_BOOT_ARCH_X86_64 : VMK_BOOT_ARCH_ARM64;
}

static int phase_memblock(struct boot *b)
{
	int err;

	vmk_memblock_init(&b->mb);
	vmk_memblock_allow_resize(&b->mb, machine_back_ram(&b->mc.map));
	err = vmk_boot_memblock_from_fwmap_arch(&b->mb, &b->mc.map, boot_policy_arch(b));
	if (err)
		return fail(b, "memblock", "from the firmware map", err);
	if (!vmk_memblock_phys_mem_size(&b->mb))
		return fail(b, "memblock", "the firmware map holds no RAM", 0);
	if (set_nodes(b))
		return -1;
	if (b->d->arch == MD_ARCH_X86_64) {
		/* Linux x86 keeps the first MiB (BIOS, real-mode trampoline) out of the allocator. */
		b->early_base = 0;
		b->early_size = VMK_MiB;
		err = vmk_memblock_reserve(&b->mb, 0, VMK_MiB);
		if (err)
			return fail(b, "memblock", "reserving the first MiB", err);
	}
	/* A real kernel still runs on the firmware's tables and stack until its own are loaded. */
	for (size_t i = 0; i < b->mc.map.n && b->d->bs_late && !err; i++)
		if (b->mc.map.e[i].kind == VMK_MEM_BOOT_SERVICES)
			err = vmk_memblock_reserve(&b->mb, b->mc.map.e[i].base, b->mc.map.e[i].size);
	if (err)
		return fail(b, "memblock", "keeping boot-services memory", err);
	if (place_kernel(b) || crashkernel(b))
		return -1;
	vmk_memblock_check(&b->mb);
	snprintf(b->ph[PH_MEMBLOCK].note, sizeof(b->ph[PH_MEMBLOCK].note),
		 "%zu memory regions, %zu reserved, kernel at 0x%llx", b->mb.memory.cnt,
		 b->mb.reserved.cnt, (unsigned long long)b->kbase);
	return 0;
}

/* Write the preloaded files' contents into simulated RAM (the loader's job). */
static int load_preloads(struct boot *b)
{
	for (size_t i = 0; i < b->npre; i++) {
		struct boot_preload *p = &b->pre[i];

		for (uint64_t off = 0; off < p->size; off += VMK_PAGE_SIZE) {
			unsigned char *h = vmk_sim_phys_to_virt(p->pa + off);

			if (!h)
				return fail(b, "memblock", "preloaded file outside simulated RAM", 0);
		}
		if (!strcmp(p->mod->type, "cpu_microcode")) {
			/* Simulated RAM is one host mapping per range: the file is contiguous. */
			boot_ucode_bundle_write(b->d, vmk_sim_phys_to_virt(p->pa));
		} else {
			unsigned char *h = vmk_sim_phys_to_virt(p->pa);

			memcpy(h, "\177ELF", 4);
		}
	}
	return 0;
}

/* ---- /proc/iomem ---- */

static int phase_resources(struct boot *b)
{
	int err;

	b->nodes = calloc(POOL_NODES, sizeof(*b->nodes));
	b->names = malloc(POOL_NAMES);
	if (!b->nodes || !b->names)
		return fail(b, "resources", "out of memory", 0);
	vmk_resource_pool_init(&b->pool, b->nodes, POOL_NODES, b->names, POOL_NAMES);
	vmk_iomem_root_init(&b->root);
	err = vmk_boot_resources_from_fwmap(&b->root, &b->pool, &b->mc.map);
	if (!err && b->crash.main.end > b->crash.main.base)
		err = vmk_crashkernel_insert_resources(&b->root, &b->crash, &b->crash_res[0], &b->crash_res[1]);
	if (!err)
		err = vmk_boot_resources_add_reserved(&b->root, &b->pool, &b->mb, b->kbase, b->ksize);
	if (err)
		return fail(b, "resources", "resource tree", err);
	snprintf(b->ph[PH_RESOURCES].note, sizeof(b->ph[PH_RESOURCES].note), "%zu resources",
		 vmk_resource_check(&b->root));
	return 0;
}

/* ---- hand-over ---- */

static void snapshot(struct boot *b)
{
	b->nmem = VMK_MIN(b->mb.memory.cnt, (size_t)BOOT_MAX_REGIONS);
	b->nresv = VMK_MIN(b->mb.reserved.cnt, (size_t)BOOT_MAX_REGIONS);
	for (size_t i = 0; i < b->nmem; i++) {
		const struct vmk_memblock_region *r = &b->mb.memory.regions[i];

		b->mem[i] = (struct boot_region){ r->base, r->size, r->flags, r->nid };
	}
	for (size_t i = 0; i < b->nresv; i++) {
		const struct vmk_memblock_region *r = &b->mb.reserved.regions[i];

		b->resv[i] = (struct boot_region){ r->base, r->size, r->flags, r->nid };
	}
	b->ram = vmk_memblock_phys_mem_size(&b->mb);
}

static int phase_handover(struct boot *b, bool eager)
{
	struct vmk_phys_init_args args = { b->d->bad, b->d->nbad, eager };
	int err;

	if (b->mb.memory.cnt > BOOT_MAX_REGIONS || b->mb.reserved.cnt > BOOT_MAX_REGIONS)
		return fail(b, "handover", "more memblock regions than the report keeps", 0);
	snapshot(b);
	err = vmk_phys_init(&b->mb, &args);
	if (err)
		return fail(b, "handover", "vmk_phys_init", err);
	snprintf(b->ph[PH_HANDOVER].note, sizeof(b->ph[PH_HANDOVER].note), "%u segments, %s page records",
		 vmk_phys_boot_report()->nsegs, eager ? "eager" : "lazy");
	return 0;
}

/* ---- kernel page tables ---- */

int boot_vrange_free(const struct boot *b, const char *phase, uint64_t va, uint64_t size, const char *what)
{
	uint64_t last = va + size - 1;

	for (size_t i = 0; i < b->nvr && size; i++) {
		const struct boot_vrange *o = &b->vr[i];
		size_t n = strlen(what);

		if (!o->size || va > o->va + o->size - 1 || o->va > last)
			continue;
		fprintf(stderr, "vmkit boot: %s: %s: the %s [0x%016llx-0x%016llx] %s the %s [0x%016llx-0x%016llx]\n",
			b->name, phase, what, (unsigned long long)va, (unsigned long long)last,
			n && what[n - 1] == 's' ? "overlap" : "overlaps", o->what, (unsigned long long)o->va,
			(unsigned long long)(o->va + o->size - 1));
		return -1;
	}
	return 0;
}

static void add_vrange(struct boot *b, uint64_t va, uint64_t size, const char *what)
{
	if (b->nvr < BOOT_MAX_VRANGES)
		b->vr[b->nvr++] = (struct boot_vrange){ va, size, what };
}

/*
 * The direct map (include/vmkit/kmap.h): every range of the firmware map
 * the boot policy makes memory, NOMAP excluded, with the firmware's
 * memory type, never executable. The policy is the one the memblock
 * phase used (the machine's architecture's), so the direct map covers
 * exactly memblock's mapped memory.
 */
static int map_direct(struct boot *b, struct vmk_pmap *k)
{
	uint64_t top = 0;
	int r;

	r = vmk_kmap_direct(k, b->dmap, &b->mc.map, boot_policy_arch(b), &b->dstats);
	if (r)
		return fail(b, "pagetables", "direct map", r);
	for (size_t i = 0; i < b->mc.map.n; i++)
		top = VMK_MAX(top, b->mc.map.e[i].base + b->mc.map.e[i].size);
	add_vrange(b, b->dmap, VMK_ALIGN_UP(top, VMK_GiB), "direct map");
	return 0;
}

/*
 * The image by section, W^X: text r-x, rodata r--, data and bss rw-,
 * and the preloaded files after it rw- and releasable (they are freed
 * piecewise where nothing may be allocated: their large pages keep a
 * spare page-table page).
 */
static int map_image(struct boot *b, struct vmk_pmap *k)
{
	struct vmk_kmap_section s[5] = {
		{ b->sect_size[0], VMK_PROT_READ | VMK_PROT_EXEC, 0 },
		{ b->sect_size[1], VMK_PROT_READ, 0 },
		{ b->sect_size[2], RW, 0 },
		{ b->sect_size[3], RW, 0 },
		{ b->preload_end - b->kbase - b->ksize, RW, VMK_KMAP_RELEASABLE },
	};
	struct vmk_kmap_section is[MD_MAX_SECTIONS];
	int r;

	for (size_t i = 0; i < b->d->nsect; i++)
		is[i] = (struct vmk_kmap_section){ b->d->sect[i].size, b->d->sect[i].prot, 0 };
	if (boot_vrange_free(b, "pagetables", b->kva, b->preload_end - b->kbase, "kernel image and preloaded files"))
		return -1;
	if (b->d->have_image)
		r = vmk_kmap_image(k, b->kva, b->kbase, is, b->d->nsect);
	else
		r = vmk_kmap_image(k, b->kva, b->kbase, s, 5);
	if (r)
		return fail(b, "pagetables", "kernel image", r);
	/* One range: the image's last 2 MiB leaf may also hold preloaded files. */
	add_vrange(b, b->kva, b->preload_end - b->kbase, "kernel image and preloaded files");
	return 0;
}

/* The "device" lines: registers mapped rw-, 4 KiB pages, never promoted, as a kernel maps them. */
static int map_devices(struct boot *b, struct vmk_pmap *k)
{
	for (size_t i = 0; i < b->d->ndev; i++) {
		const struct md_device *dv = &b->d->dev[i];

		if (boot_vrange_free(b, "pagetables", dv->va, dv->size, "device registers"))
			return -1;
		for (uint64_t off = 0; off < dv->size; off += VMK_PAGE_SIZE) {
			int r = vmk_pmap_enter(k, dv->va + off, dv->pa + off, RW,
					       VMK_PMAP_ENTER_NOREPLACE | VMK_PMAP_ENTER_NOPROMOTE |
						       VMK_PMAP_MEMTYPE(dv->memtype));

			if (r)
				return fail(b, "pagetables", "device mapping", r);
		}
		add_vrange(b, dv->va, dv->size, "device registers");
	}
	return 0;
}

/*
 * "boot-services late": the kernel runs on its own tables now, so the
 * firmware's (and its stack) go to the allocator, above the early
 * reservation.
 */
static int free_boot_services(struct boot *b)
{
	uint64_t floor = b->early_base + b->early_size;

	for (size_t i = 0; i < b->mc.map.n && b->d->bs_late; i++) {
		const struct vmk_fwmap_entry *e = &b->mc.map.e[i];
		uint64_t base = VMK_MAX(e->base, floor), end = e->base + e->size;
		int r;

		if (e->kind != VMK_MEM_BOOT_SERVICES || base >= end)
			continue;
		r = vmk_phys_bootstrap_free(base, end);
		if (r)
			return fail(b, "pagetables", "freeing boot-services memory", r);
	}
	return 0;
}

/* The kernel's pointer for a kernel VA: through the kernel page tables to simulated RAM. */
static void *kva_ptr(void *ctx, vmk_vaddr_t va)
{
	struct vmk_pmap_mapping m;

	(void)ctx;
	if (vmk_pmap_extract(vmk_pmap_kernel(), va, &m))
		return NULL;
	return vmk_sim_phys_to_virt(m.pa);
}

static int phase_pagetables(struct boot *b)
{
	struct vmk_pmap_config pc;
	struct vmk_pmap_stats st;
	int r;

	memset(&pc, 0, sizeof(pc));
	if (b->d->arch == MD_ARCH_X86_64) {
		pc.arch = VMK_PMAP_ARCH_X86_64;
		b->dmap = 0xffff888000000000ull;
	} else {
		pc.arch = VMK_PMAP_ARCH_ARM64;
		b->dmap = 0xffff000000000000ull;
	}
	pc.levels = 4;
	pc.large_1g = !b->d->pmap_no_1g;
	pc.nx = true;
	pc.kva_start = b->dmap;
	pc.kva_end = 0xfffffffffffff000ull;
	if (b->d->pmap_tmp_va) {
		pc.dmap_base = b->dmap;
		pc.dmap_end = b->dmap + b->d->pmap_dmap_size;
		pc.tmp_va = b->d->pmap_tmp_va;
		pc.kva_ptr = kva_ptr;
	}
	r = vmk_pmap_bootstrap(&pc);
	if (r)
		return fail(b, "pagetables", "kernel pmap", r);
	if (map_direct(b, vmk_pmap_kernel()) || map_image(b, vmk_pmap_kernel()) ||
	    map_devices(b, vmk_pmap_kernel()) || free_boot_services(b))
		return -1;
	vmk_pmap_stats(vmk_pmap_kernel(), &st);
	snprintf(b->ph[PH_PAGETABLES].note, sizeof(b->ph[PH_PAGETABLES].note),
		 "%llu page-table pages (%llu spare), %llu/%llu/%llu mappings of 4K/2M/1G",
		 (unsigned long long)st.ptps, (unsigned long long)st.spare_ptps,
		 (unsigned long long)st.mappings[0], (unsigned long long)st.mappings[1],
		 (unsigned long long)st.mappings[2]);
	return 0;
}

/* ---- the driver ---- */


int boot_run(struct boot *b, const struct machine_desc *d, const char *dir, bool embedded, bool eager)
{
	double t;
	int r;

	b->d = d;
	vmk_phys_reset();
	vmk_sim_ram_reset();
	vmk_sim_set_cpu_count(d->cpus);
	for (unsigned int c = 0; c < d->cpus; c++)
		vmk_phys_set_cpu_domain(c, d->cpu_node[c]);

	t = now_ns();
	r = machine_desc_load_map(d, dir, embedded, &b->mc);
	b->have_map = true;
	if (r)
		return -1;
	b->ph[PH_FWMAP].ns = now_ns() - t;
	b->ph[PH_FWMAP].ran = true;
	snprintf(b->ph[PH_FWMAP].note, sizeof(b->ph[PH_FWMAP].note), "%s: %zu entries read, %zu after sanitizing",
		 b->mc.format_name, b->mc.entries_read, b->mc.map.n);

#define PHASE(p, call) do {					\
		t = now_ns();					\
		if (call)					\
			return -1;				\
		b->ph[p].ns = now_ns() - t;			\
		b->ph[p].ran = true;				\
	} while (0)

	PHASE(PH_MEMBLOCK, phase_memblock(b) || load_preloads(b) || boot_preload_records(b));
	PHASE(PH_RESOURCES, phase_resources(b));
	PHASE(PH_HANDOVER, phase_handover(b, eager));
	PHASE(PH_PAGETABLES, phase_pagetables(b));
	PHASE(PH_KMEM, boot_phase_kmem(b));
	PHASE(PH_PERCPU, boot_phase_percpu(b));
	PHASE(PH_MICROCODE, boot_phase_microcode(b));
	PHASE(PH_PRELOADS, boot_phase_preloads(b));
#undef PHASE
	vmk_check_phys();
	return 0;
}

void boot_free(struct boot *b)
{
	boot_kmem_free(b);
	if (b->have_map)
		machine_free(&b->mc);
	free(b->nodes);
	free(b->names);
	b->nodes = NULL;
	b->names = NULL;
	vmk_phys_reset();
	vmk_sim_ram_reset();
}
