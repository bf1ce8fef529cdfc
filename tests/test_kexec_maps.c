/*
 * kexec placement on every real memory map in tests/data/memmaps, checked
 * by an independent reader of each file written here: every segment (and
 * every crash kernel reservation) must lie in RAM the file describes and
 * must not touch anything else it lists, nested entries included.
 */
#include "harness.h"
#include <dirent.h>
#include <vmkit/fwmap.h>
#include <vmkit/kexec.h>
#include <vmkit/memblock.h>
#include <vmkit/resource.h>

#define MiB VMK_MiB

/* ---- the independent checker ---- */

struct iv {
	uint64_t a, b;		/* [a, b) */
	char what[64];
};

struct truth {
	struct iv ram[512];
	size_t nram;
	struct iv bad[512];
	size_t nbad;
};

static void add(struct iv *v, size_t *n, uint64_t a, uint64_t b, const char *what)
{
	assert_true(*n < 512);
	v[*n].a = a;
	v[*n].b = b;
	snprintf(v[*n].what, sizeof(v[*n].what), "%s", what);
	(*n)++;
}

/* /proc/iomem: RAM = top-level System RAM; bad = everything else at any depth. */
static void truth_iomem(struct truth *t, const char *text, bool keep_kernel)
{
	const char *l = text;

	while (*l) {
		unsigned long long a, b;
		char name[128];
		const char *nl = strchr(l, '\n');
		int depth = 0;

		while (l[depth] == ' ')
			depth++;
		if (sscanf(l + depth, "%llx-%llx : %127[^\n]", &a, &b, name) == 3) {
			bool kernel = !strncmp(name, "Kernel ", 7);

			if (!strcmp(name, "System RAM")) {
				if (depth == 0)
					add(t->ram, &t->nram, a, b + 1, name);
			} else if (!kernel || keep_kernel) {
				add(t->bad, &t->nbad, a, b + 1, name);
			}
		}
		if (!nl)
			break;
		l = nl + 1;
	}
}

static bool efi_ram(unsigned int type) { return type == 1 || type == 2 || type == 3 || type == 4 || type == 7; }
static bool efi_ok(unsigned int type) { return type == 3 || type == 4 || type == 7; }

/* The qemu .txt companion of an .efimap: "type name phys first-last pages N attr X". */
static void truth_efi_table(struct truth *t, const char *text)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		unsigned int type;
		unsigned long long a, b;
		char name[40];

		if (sscanf(l, " %u %39s phys %llx-%llx", &type, name, &a, &b) != 4)
			continue;
		if (efi_ram(type))
			add(t->ram, &t->nram, a, b + 1, name);
		if (!efi_ok(type))
			add(t->bad, &t->nbad, a, b + 1, name);
	}
}

/* dmesg/journal lines: BIOS-e820 and efi: mem. */
static void truth_dmesg(struct truth *t, const char *text)
{
	static const struct { const char *name; unsigned int type; } names[] = {
		{ "Conventional Memory", 7 }, { "Boot Data", 4 }, { "Boot Code", 3 },
		{ "Loader Data", 2 }, { "Loader Code", 1 },
	};

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *p;
		unsigned long long a, b;
		char kind[32];
		unsigned int type = 0;

		if ((p = strstr(l, "BIOS-e820: [mem ")) &&
		    sscanf(p, "BIOS-e820: [mem %llx-%llx] %31s", &a, &b, kind) == 3) {
			if (!strcmp(kind, "usable"))
				add(t->ram, &t->nram, a, b + 1, "usable");
			else
				add(t->bad, &t->nbad, a, b + 1, kind);
			continue;
		}
		if (!strstr(l, "efi: mem") || !(p = strstr(l, "range=[")) ||
		    sscanf(p, "range=[%llx-%llx)", &a, &b) != 2)
			continue;
		if (strstr(l, "type=")) {
			sscanf(strstr(l, "type="), "type=%u", &type);
		} else {
			type = 0;
			for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
				if (strstr(l, names[i].name))
					type = names[i].type;
		}
		if (efi_ram(type))
			add(t->ram, &t->nram, a, b, "efi ram");
		if (!efi_ok(type))
			add(t->bad, &t->nbad, a, b, "efi other");
	}
}

/* Every byte of [a, b) in some RAM interval and in no bad one. */
static void check_range(const struct truth *t, const char *file, const char *what,
			uint64_t a, uint64_t b)
{
	uint64_t x = a;

	for (size_t i = 0; i < t->nbad; i++)
		if (t->bad[i].a < b && a < t->bad[i].b)
			fail_msg("%s: %s 0x%llx-0x%llx overlaps '%s' 0x%llx-0x%llx", file, what,
				 (unsigned long long)a, (unsigned long long)b, t->bad[i].what,
				 (unsigned long long)t->bad[i].a, (unsigned long long)t->bad[i].b);
	/* Covered by RAM: walk forward through the intervals that contain x. */
	while (x < b) {
		bool moved = false;

		for (size_t i = 0; i < t->nram; i++)
			if (t->ram[i].a <= x && x < t->ram[i].b) {
				x = t->ram[i].b;
				moved = true;
			}
		if (!moved)
			fail_msg("%s: %s 0x%llx-0x%llx: 0x%llx is not RAM", file, what,
				 (unsigned long long)a, (unsigned long long)b, (unsigned long long)x);
	}
}

static void check_plan(const struct truth *t, const char *file, const struct vmk_kexec_plan *p)
{
	for (size_t i = 0; i < p->nseg; i++) {
		const struct vmk_kexec_seg *s = &p->seg[i];
		uint64_t align = s->req.align > 4096 ? s->req.align : 4096;

		check_range(t, file, s->req.name, s->base, s->base + s->memsz);
		assert_true((s->base - s->req.phase) % align == 0);
		assert_true(s->memsz >= s->req.memsz && s->memsz % 4096 == 0);
		for (size_t j = 0; j < i; j++)
			assert_true(p->seg[j].base + p->seg[j].memsz <= s->base ||
				    s->base + s->memsz <= p->seg[j].base);
	}
}

/* ---- building plans with the library ---- */

static struct vmk_kexec_store st, cst;
static struct vmk_kexec_plan plan, cplan;
static struct vmk_resource nodes[1024];
static char names[65536];
static struct vmk_fwmap_entry ents[2048];
static uint8_t img[0x4000];

static void put(uint8_t *b, size_t off, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t img_size = 16 * MiB;

static void image(bool arm)
{
	memset(img, 0, sizeof(img));
	if (arm) {
		put(img, 0x10, img_size, 8);
		put(img, 0x18, 0xa, 8);
		put(img, 0x38, 0x644d5241, 4);
		return;
	}
	img[0x1f1] = 3;
	put(img, 0x1fe, 0xaa55, 2);
	memcpy(img + 0x202, "HdrS", 4);
	put(img, 0x206, 0x020f, 2);
	img[0x211] = 1;
	put(img, 0x22c, 0x7fffffff, 4);
	put(img, 0x230, 2 * MiB, 4);
	img[0x234] = 1;
	put(img, 0x236, VMK_XLF_KERNEL_64 | VMK_XLF_CAN_BE_LOADED_ABOVE_4G, 2);
	put(img, 0x238, 2047, 4);
	put(img, 0x258, 16 * MiB, 8);
	put(img, 0x260, img_size, 4);
}

static bool ends(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && !strcmp(s + n - m, suf);
}

/* Build the plan from file; fill the truth. Returns false for companions to skip. */
static bool load(const char *file, struct truth *t, unsigned int flags)
{
	static struct vmk_resource root;
	struct vmk_resource_pool pool;
	struct vmk_resource_error rerr;
	struct vmk_fwmap m;
	char rel[256];
	size_t len, dsz;
	char *buf;

	snprintf(rel, sizeof(rel), "memmaps/%s", file);
	memset(t, 0, sizeof(*t));
	vmk_kexec_plan_init_store(&plan, &st);
	vmk_fwmap_init(&m, ents, 2048);
	if (!strncmp(file, "iomem-", 6)) {
		buf = th_read_data(rel, &len);
		vmk_resource_pool_init(&pool, nodes, 1024, names, sizeof(names));
		vmk_iomem_root_init(&root);
		assert_int_equal(vmk_resource_parse(&root, &pool, buf, len, &rerr), 0);
		assert_int_equal(vmk_kexec_plan_from_resources(&plan, &root, flags), 0);
		truth_iomem(t, buf, flags & VMK_KEXEC_KEEP_RUNNING_KERNEL);
		free(buf);
		return true;
	}
	if (ends(file, ".efimap")) {
		char txt[256];

		buf = th_read_data(rel, &len);
		assert_int_equal(vmk_fwmap_efi_guess_desc_size(buf, len, &dsz), 0);
		assert_int_equal(vmk_fwmap_parse_efi(&m, buf, len, dsz, 1, NULL), 0);
		free(buf);
		snprintf(txt, sizeof(txt), "%.*s.txt", (int)(strlen(rel) - 7), rel);
		buf = th_read_data(txt, &len);
		truth_efi_table(t, buf);
		free(buf);
	} else if (!strncmp(file, "e820-", 5) || !strncmp(file, "efi-", 4)) {
		buf = th_read_data(rel, &len);
		assert_int_equal(vmk_fwmap_parse_dmesg(&m, buf, len, NULL), 0);
		truth_dmesg(t, buf);
		free(buf);
	} else {
		return false;	/* README, the .txt companions of the .efimap files */
	}
	assert_int_equal(vmk_fwmap_sanitize(&m, NULL, NULL), 0);
	assert_int_equal(vmk_kexec_plan_from_fwmap(&plan, &m), 0);
	return true;
}

static int load_image(struct vmk_kexec_plan *p, bool arm, enum vmk_kexec_mode mode,
		      const struct vmk_range *dump, size_t ndump)
{
	struct vmk_kexec_load ld = { 0 };

	/* Small excerpts (efi-x86-linux4: 14.5 MiB of RAM) get a small kernel. */
	img_size = vmk_kexec_free_bytes(p) < 96 * MiB ? 4 * MiB : 16 * MiB;
	image(arm);
	ld.arch = arm ? VMK_KEXEC_ARCH_ARM64 : VMK_KEXEC_ARCH_X86_64;
	ld.mode = mode;
	ld.kernel = img;
	ld.kernel_len = sizeof(img);
	ld.kernel_size = img_size / 2;
	ld.initrd_size = img_size / 2;
	ld.dtb_size = arm ? 64 * 1024 : 16 * 1024;
	ld.cmdline = "console=ttyS0 root=/dev/vda";
	ld.ncpus = 2;
	ld.dump = dump;
	ld.ndump = ndump;
	return vmk_kexec_load_image(p, &ld);
}

static void run_file(const char *file)
{
	static struct vmk_memblock mb;
	struct truth t;
	bool arm = strstr(file, "aarch64") || strstr(file, "arm64");

	for (int dir = 0; dir < 2; dir++) {
		for (unsigned int flags = 0; flags <= VMK_KEXEC_KEEP_RUNNING_KERNEL; flags++) {
			struct vmk_crashkernel ck;
			struct vmk_crash_arch ca;
			struct vmk_crash_region cr;
			struct vmk_range dump[256];
			size_t ndump;
			char err[256];
			int ret;

			if (!load(file, &t, flags))
				return;
			assert_true(t.nram > 0);
			vmk_kexec_set_dir(&plan, dir ? VMK_KEXEC_BOTTOM_UP : VMK_KEXEC_TOP_DOWN);
			/* Every hole the engine sees is clean before anything is placed. */
			for (size_t i = 0; i < plan.ram.n; i++)
				assert_true(plan.ram.r[i].end > plan.ram.r[i].base);
			ret = load_image(&plan, arm, VMK_KEXEC_NORMAL, NULL, 0);
			if (ret)
				fail_msg("%s: %s", file, plan.err);
			/* More segments until memory runs out: each still clean. */
			for (int k = 0; k < 8; k++) {
				struct vmk_kexec_req r = { 0 };
				static const char *const nm[] = { "x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7" };

				r.name = nm[k];
				r.bufsz = r.memsz = (uint64_t)(k + 1) * 3 * MiB + 12345;
				r.align = (uint64_t)1 << (12 + 2 * k % 10);
				if (vmk_kexec_place(&plan, &r, NULL) == -VMK_ENOMEM)
					assert_non_null(strstr(plan.err, "largest hole"));
			}
			check_plan(&t, file, &plan);
			assert_int_equal(vmk_kexec_verify(&plan), 0);

			/* A crash kernel reserved on this machine, and a kdump load into it. */
			if (flags)
				continue;
			load(file, &t, 0);
			vmk_crash_arch_defaults(arm ? VMK_KEXEC_ARCH_ARM64 : VMK_KEXEC_ARCH_X86_64, &ca);
			ret = vmk_crashkernel_parse_cmdline("crashkernel=64M", vmk_rangeset_total(&plan.ram),
							    &ca, &ck, err, sizeof(err));
			if (ret == -VMK_ERANGE)
				continue;	/* an excerpt with less than 64 MiB of RAM */
			assert_int_equal(ret, 0);
			vmk_memblock_init(&mb);
			vmk_memblock_allow_resize(&mb, true);
			vmk_memblock_set_bottom_up(&mb, dir);
			assert_int_equal(vmk_kexec_plan_to_memblock(&plan, &mb), 0);
			ret = vmk_crashkernel_reserve(&mb, &ck, &ca, &cr, err, sizeof(err));
			if (ret == -VMK_ENOMEM)
				continue;	/* an excerpt without a 64 MiB aligned hole */
			assert_int_equal(ret, 0);
			check_range(&t, file, "crash kernel", cr.main.base, cr.main.end);
			if (cr.low.end > cr.low.base)
				check_range(&t, file, "crash kernel low", cr.low.base, cr.low.end);
			assert_int_equal(vmk_kdump_ranges(&plan.ram, NULL, &cr, dump, 256, &ndump), 0);
			for (size_t i = 0; i < ndump; i++)
				assert_true(dump[i].end <= cr.main.base || dump[i].base >= cr.main.end);
			vmk_kexec_plan_init_store(&cplan, &cst);
			vmk_kexec_plan_crash(&cplan, &cr.main, 1);
			vmk_kexec_set_dir(&cplan, dir ? VMK_KEXEC_BOTTOM_UP : VMK_KEXEC_TOP_DOWN);
			ret = load_image(&cplan, arm, VMK_KEXEC_CRASH, dump, ndump);
			if (ret)
				fail_msg("%s kdump: %s", file, cplan.err);
			check_plan(&t, file, &cplan);
			for (size_t i = 0; i < cplan.nseg; i++)
				assert_true(cplan.seg[i].base >= cr.main.base &&
					    cplan.seg[i].base + cplan.seg[i].memsz <= cr.main.end);
		}
	}
}

static void test_every_map(void **state)
{
	const char *dir = th_data_path("memmaps");
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (!ends(de->d_name, ".md") && !(strncmp(de->d_name, "qemu-", 5) == 0 &&
						 ends(de->d_name, ".txt")))
			n++;
		run_file(de->d_name);
	}
	closedir(d);
	assert_int_equal(n, 13);	/* 2 iomem, 3 e820, 2 efi text, 6 efimap */
}

/* What a reader of the top level only would do: overlap a nested reservation. */
static void test_top_level_only_is_wrong(void **state)
{
	struct vmk_kexec_req r = { 0 };
	struct truth t;
	vmk_paddr_t b;

	(void)state;
	r.name = "blob";
	r.bufsz = r.memsz = 4 * MiB;

	/* The naive model: RAM = top-level System RAM, nothing nested. */
	load("iomem-arm64-nested.txt", &t, 0);
	vmk_kexec_plan_init_store(&cplan, &cst);
	vmk_kexec_add_ram(&cplan, 0x14000000, 0x1f000000);
	vmk_kexec_set_dir(&cplan, VMK_KEXEC_BOTTOM_UP);
	assert_int_equal(vmk_kexec_place(&cplan, &r, &b), 0);
	assert_true(b == 0x14000000);	/* over "reserved" 0x14154000-0x14154fff */
	assert_true(b < 0x14155000 && 0x14154000 < b + r.memsz);

	/* Nested entries honoured: the first hole of 4 MiB, over the old kernel's code. */
	vmk_kexec_set_dir(&plan, VMK_KEXEC_BOTTOM_UP);
	assert_int_equal(vmk_kexec_place(&plan, &r, &b), 0);
	assert_true(b == 0x14bd0000);
	check_plan(&t, "iomem-arm64-nested.txt", &plan);
	/* Keeping the running kernel: past the last nested reservation. */
	load("iomem-arm64-nested.txt", &t, VMK_KEXEC_KEEP_RUNNING_KERNEL);
	vmk_kexec_set_dir(&plan, VMK_KEXEC_BOTTOM_UP);
	assert_int_equal(vmk_kexec_place(&plan, &r, &b), 0);
	assert_true(b == 0x17378000);
	assert_int_equal(plan.nexcl, 7);	/* 4 reserved, 2 kernel, the segment */
}

static int sum_usable(void *arg, vmk_paddr_t s, vmk_paddr_t e, const struct vmk_resource *res)
{
	uint64_t a = (s + 4095) & ~4095ull, b = (e + 1) & ~4095ull;

	(void)res;
	if (b > a)
		*(uint64_t *)arg += b - a;
	return 0;
}

static void test_iomem_facts(void **state)
{
	struct vmk_resource_pool pool;
	struct vmk_resource root;
	struct vmk_resource_error rerr;
	struct truth t;
	size_t len;
	char *buf;
	uint64_t usable = 0;

	(void)state;
	/* CentOS 6: three System RAM ranges, nothing nested to exclude. */
	load("iomem-x86-centos6.txt", &t, 0);
	assert_int_equal(plan.ram.n, 3);
	assert_true(plan.ram.r[0].base == 0x10000 && plan.ram.r[0].end == 0x9e800);
	assert_true(plan.ram.r[1].base == 0x100000 && plan.ram.r[1].end == 0x7fee0000);
	assert_true(plan.ram.r[2].base == 0x7ff00000 && plan.ram.r[2].end == 0x80000000);
	assert_int_equal(plan.nexcl, 0);
	/* The same file, keeping the running kernel: code, data, bss excluded. */
	load("iomem-x86-centos6.txt", &t, VMK_KEXEC_KEEP_RUNNING_KERNEL);
	assert_int_equal(plan.nexcl, 3);
	assert_int_equal(plan.excl[0].kind, VMK_KEXEC_EXCL_KERNEL);

	/* The plan's holes equal the resource module's usable-RAM walk. */
	buf = th_read_data("memmaps/iomem-arm64-nested.txt", &len);
	vmk_resource_pool_init(&pool, nodes, 1024, names, sizeof(names));
	vmk_iomem_root_init(&root);
	assert_int_equal(vmk_resource_parse(&root, &pool, buf, len, &rerr), 0);
	vmk_resource_walk_usable_ram(&root, 0, VMK_PADDR_MAX, sum_usable, &usable);
	load("iomem-arm64-nested.txt", &t, 0);
	assert_true(vmk_kexec_free_bytes(&plan) == usable);
	/* By hand: 176 MiB of RAM minus 4 KiB + 10 MiB + 5 MiB + 160 KiB reserved. */
	assert_true(usable == 0xb000000 - 0x1000 - 0xa10000 - 0x500000 - 0x28000);
	free(buf);
}

static void test_live_source(void **state)
{
	static struct vmk_memblock mb;
	struct vmk_resource root, ram, acpi, crash;
	struct vmk_kexec_req r = { 0 };
	vmk_paddr_t b;

	(void)state;
	/* arm64-like boot: RAM 1-2 GiB; UEFI memmap and kernel reserved; NOMAP runtime. */
	vmk_memblock_init(&mb);
	vmk_memblock_add(&mb, 0x40000000, 0x40000000);
	vmk_memblock_reserve(&mb, 0x40200000, 0x2000000);	/* kernel */
	vmk_memblock_reserve(&mb, 0x7fe00000, 0x10000);		/* UEFI memory map */
	vmk_memblock_mark_nomap(&mb, 0x7ff00000, 0x100000);	/* runtime services */
	vmk_iomem_root_init(&root);
	vmk_resource_init(&ram, 0x40000000, 0x7fffffff, "System RAM", VMK_RES_SYSTEM_RAM | VMK_RES_BUSY, 0);
	vmk_resource_init(&acpi, 0x7fd00000, 0x7fd0ffff, "ACPI Tables", VMK_RES_MEM | VMK_RES_BUSY,
			  VMK_RES_DESC_ACPI_TABLES);
	vmk_resource_init(&crash, 0x70000000, 0x77ffffff, "Crash kernel",
			  VMK_RES_SYSTEM_RAM | VMK_RES_BUSY, VMK_RES_DESC_CRASH_KERNEL);
	assert_int_equal(vmk_resource_request(&root, &ram, NULL), 0);
	assert_int_equal(vmk_resource_insert(&root, &acpi, NULL), 0);
	assert_int_equal(vmk_resource_insert(&root, &crash, NULL), 0);
	vmk_kexec_plan_init_store(&plan, &st);
	assert_int_equal(vmk_kexec_plan_from_live(&plan, &mb, &root), 0);
	assert_int_equal(plan.nexcl, 5);
	r.name = "a";
	r.bufsz = r.memsz = 0x100000;
	/* Top-down: below ACPI, memmap, runtime services. */
	assert_int_equal(vmk_kexec_place(&plan, &r, &b), 0);
	assert_true(b == 0x7fc00000);
	/* Bottom-up: after the kernel. */
	r.name = "b";
	r.dir = VMK_KEXEC_BOTTOM_UP;
	assert_int_equal(vmk_kexec_place(&plan, &r, &b), 0);
	assert_true(b == 0x40000000);
	r.name = "c";
	r.memsz = r.bufsz = 0x300000;
	assert_int_equal(vmk_kexec_place(&plan, &r, &b), 0);
	assert_true(b == 0x42200000);
	/* 0x78000000-0x7fc00000 free above the crash kernel; a 200 MiB segment cannot fit there. */
	r.name = "d";
	r.dir = VMK_KEXEC_TOP_DOWN;
	r.min = 0x6f000000;
	r.memsz = r.bufsz = 200 * MiB;
	assert_int_equal(vmk_kexec_place(&plan, &r, &b), -VMK_ENOMEM);
	assert_non_null(strstr(plan.err, "largest hole in the window 0x78000000-0x7fbfffff"));
	assert_int_equal(vmk_kexec_verify(&plan), 0);
}

/*
 * Driver-managed memory (kmem, virtio-mem) is not offered to kexec: Linux
 * skips it in the memblock walk (MEMBLOCK_NONE) and in
 * locate_mem_hole_callback (IORESOURCE_SYSRAM_DRIVER_MANAGED).
 */
static void test_live_skips_driver_managed(void **state)
{
	static struct vmk_memblock mb;
	struct vmk_resource root, ram, kmem;
	struct vmk_kexec_req r = { 0 };
	vmk_paddr_t b;

	(void)state;
	vmk_memblock_init(&mb);
	vmk_memblock_add(&mb, 0x40000000, 0x40000000);
	assert_int_equal(vmk_memblock_add_node(&mb, 0x100000000ull, 0x40000000, VMK_NUMA_NO_NODE,
					       VMK_MEMBLOCK_DRIVER_MANAGED), 0);
	vmk_memblock_reserve(&mb, 0x40200000, 0x2000000);
	vmk_kexec_plan_init_store(&plan, &st);
	assert_int_equal(vmk_kexec_plan_from_live(&plan, &mb, NULL), 0);
	assert_true(vmk_rangeset_total(&plan.ram) == 0x40000000);
	r.name = "kernel";
	r.bufsz = r.memsz = 0x1000000;
	assert_int_equal(vmk_kexec_place(&plan, &r, &b), 0);
	assert_true(b == 0x7f000000);	/* top-down: below 2 GiB, not in the kmem range */

	/* A driver-managed resource over memblock memory without the flag: kept clear too. */
	vmk_memblock_init(&mb);
	vmk_memblock_add(&mb, 0x40000000, 0x80000000);
	vmk_iomem_root_init(&root);
	vmk_resource_init(&ram, 0x40000000, 0x7fffffff, "System RAM", VMK_RES_SYSTEM_RAM | VMK_RES_BUSY, 0);
	vmk_resource_init(&kmem, 0x80000000, 0xbfffffff, "System RAM (kmem)",
			  VMK_RES_SYSTEM_RAM | VMK_RES_BUSY | VMK_RES_SYSRAM_DRIVER_MANAGED, 0);
	assert_int_equal(vmk_resource_request(&root, &ram, NULL), 0);
	assert_int_equal(vmk_resource_request(&root, &kmem, NULL), 0);
	vmk_kexec_plan_init_store(&plan, &st);
	assert_int_equal(vmk_kexec_plan_from_live(&plan, &mb, &root), 0);
	r.name = "kernel";
	assert_int_equal(vmk_kexec_place(&plan, &r, &b), 0);
	assert_true(b == 0x7f000000);
	assert_true(vmk_kexec_free_bytes(&plan) == 0x40000000 - 0x1000000);
	assert_int_equal(vmk_kexec_verify(&plan), 0);
}

static const struct vmk_kexec_excl *excl_at(const struct vmk_kexec_plan *p, vmk_paddr_t base)
{
	for (size_t i = 0; i < p->nexcl; i++)
		if (p->excl[i].base == base)
			return &p->excl[i];
	fail_msg("no exclusion at %#llx", (unsigned long long)base);
	return NULL;
}

/*
 * Each firmware kind and resource descriptor becomes the exclusion kind
 * kexec-tools would give it; a range reaching 2^64 is clamped, not wrapped;
 * a NOMAP exclusion goes back to memblock as NOMAP, the others as reserved.
 */
static void test_exclusion_kinds(void **state)
{
	static struct vmk_memblock mb;
	struct vmk_fwmap m;
	struct vmk_resource root, ram, nvs, far;
	const struct vmk_kexec_excl *e;

	(void)state;
	vmk_fwmap_init(&m, ents, VMK_ARRAY_SIZE(ents));
	assert_int_equal(vmk_fwmap_add(&m, 0, 0x40000000, VMK_MEM_USABLE, 0), 0);
	assert_int_equal(vmk_fwmap_add(&m, 0x100000, 0x100000, VMK_MEM_NOMAP, 0), 0);
	assert_int_equal(vmk_fwmap_add(&m, 0x200000, 0x100000, VMK_MEM_PERSISTENT, 0), 0);
	assert_int_equal(vmk_fwmap_add(&m, 0x300000, 0x100000, VMK_MEM_ACPI_NVS, 0), 0);
	assert_int_equal(vmk_fwmap_add(&m, 0xfffffffffff00000ull, 0x100000, VMK_MEM_RESERVED, 0), 0);
	vmk_kexec_plan_init_store(&plan, &st);
	assert_int_equal(vmk_kexec_plan_from_fwmap(&plan, &m), 0);
	assert_int_equal(excl_at(&plan, 0x100000)->kind, VMK_KEXEC_EXCL_NOMAP);
	assert_int_equal(excl_at(&plan, 0x200000)->kind, VMK_KEXEC_EXCL_OTHER);
	assert_int_equal(excl_at(&plan, 0x300000)->kind, VMK_KEXEC_EXCL_ACPI_NVS);
	e = excl_at(&plan, 0xfffffffffff00000ull);
	assert_int_equal(e->kind, VMK_KEXEC_EXCL_RESERVED);
	assert_true(e->end == VMK_PADDR_MAX);
	assert_int_equal(vmk_kexec_verify(&plan), 0);

	/* Back to memblock: NOMAP stays out of the direct map, ACPI NVS is reserved. */
	vmk_memblock_init(&mb);
	assert_int_equal(vmk_kexec_plan_to_memblock(&plan, &mb), 0);
	assert_false(vmk_memblock_is_map_memory(&mb, 0x100000));
	assert_true(vmk_memblock_is_memory(&mb, 0x100000));
	assert_true(vmk_memblock_is_map_memory(&mb, 0x300000));
	assert_true(vmk_memblock_is_reserved(&mb, 0x300000));
	assert_false(vmk_memblock_is_reserved(&mb, 0x400000));

	/* The live source: "ACPI Non-volatile Storage" in RAM, a reservation outside RAM ignored. */
	vmk_memblock_init(&mb);
	vmk_memblock_add(&mb, 0x40000000, 0x40000000);
	vmk_iomem_root_init(&root);
	vmk_resource_init(&ram, 0x40000000, 0x7fffffff, "System RAM", VMK_RES_SYSTEM_RAM | VMK_RES_BUSY, 0);
	vmk_resource_init(&nvs, 0x50000000, 0x500fffff, "ACPI Non-volatile Storage",
			  VMK_RES_MEM | VMK_RES_BUSY, VMK_RES_DESC_ACPI_NV_STORAGE);
	vmk_resource_init(&far, 0x90000000, 0x900fffff, "Reserved", VMK_RES_MEM | VMK_RES_BUSY,
			  VMK_RES_DESC_RESERVED);
	assert_int_equal(vmk_resource_request(&root, &ram, NULL), 0);
	assert_int_equal(vmk_resource_request(&ram, &nvs, NULL), 0);
	assert_int_equal(vmk_resource_request(&root, &far, NULL), 0);
	vmk_kexec_plan_init_store(&plan, &st);
	assert_int_equal(vmk_kexec_plan_from_live(&plan, &mb, &root), 0);
	assert_int_equal(plan.nexcl, 1);
	e = excl_at(&plan, 0x50000000);
	assert_int_equal(e->kind, VMK_KEXEC_EXCL_ACPI_NVS);
	assert_true(e->end == 0x50100000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_skips_driver_managed),
		cmocka_unit_test(test_exclusion_kinds),
		cmocka_unit_test(test_every_map),
		cmocka_unit_test(test_top_level_only_is_wrong),
		cmocka_unit_test(test_iomem_facts),
		cmocka_unit_test(test_live_source),
	};

	vmk_sim_install();
	/* Every map's RAM lies below 64 GiB; a smaller mapping also fits under TSan. */
	if (vmk_sim_ram_add(0, 1ull << 36)) {
		fprintf(stderr, "cannot back 64 GiB of simulated RAM\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
