/*
 * Agreement with Linux on the same machine (issue 15, docs/linux-oracle.md).
 * For every run `make linux-oracle` stored under tests/data/linux/<run>/,
 * `vmkit memmap --dmesg console.log` (with the run's crashkernel= and the
 * kernel where Linux had it) is compared with what Linux itself showed:
 *   - /proc/iomem: the entries that come from firmware and memblock, top
 *     level and nested, names included (linux_oracle.h says which);
 *   - memblock.memory: the regions of Linux's first memblock=debug dump;
 *   - crashkernel=: the "Crash kernel" entries (part of the iomem lines),
 *     with vmkit given the memblock reservations Linux had made by then.
 * Every line on which they differ goes into a report; the test passes when
 * the report equals the run's agree.expected, whose every line is a
 * difference docs/linux-oracle.md explains ("Differences from Linux"). An
 * empty agree.expected means full agreement. VMKIT_ORACLE_UPDATE=1 rewrites
 * the expected files (after a new `make linux-oracle`; review the diff).
 */
#include "harness.h"
#include "cli_util.h"
#include "linux_oracle.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ARGS	1000

struct counts {
	size_t kx, kx_eq, kx_in, kx_vn, kd, kd_eq, kd_in, kd_vn;
	size_t res, res_pred, res_expl, res_unexpl, zones, zones_present, zones_span;
	size_t runs, top, top_eq, iomem, iomem_eq, memblock, memblock_eq, crash, crash_eq;
};

static struct counts total;

static char *read_opt(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Where Linux had its image: "Kernel code" start to the end of the last "Kernel ..." entry. */
static bool kernel_of(const char *iomem, unsigned long long *base, unsigned long long *size)
{
	unsigned long long lo = ~0ULL, hi = 0, s, e;
	const char *p = iomem;

	while (p && *p) {
		int pos = 0;
		const char *l = p;

		while (*l == ' ')
			l++;
		if (sscanf(l, "%llx-%llx : %n", &s, &e, &pos) == 2 && pos &&
		    !strncmp(l + pos, "Kernel ", 7)) {
			lo = s < lo ? s : lo;
			hi = e > hi ? e : hi;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	if (lo > hi)
		return false;
	*base = lo & ~0xfffULL;
	*size = ((hi | 0xfffULL) + 1) - *base;
	return true;
}

/* Linux lines missing from vmkit's and the other way round, into rep. */
static bool skipped(const char *s, const char *only, const char *skip)
{
	return (only && !strstr(s, only)) || (skip && strstr(s, skip));
}

static void compare(const char *what, const struct lo_lines *linux_l, const struct lo_lines *vmkit_l,
		    struct lo_lines *rep, size_t *n, size_t *eq, const char *only, const char *skip)
{
	for (size_t i = 0; i < linux_l->n; i++) {
		if (skipped(linux_l->s[i], only, skip))
			continue;
		(*n)++;
		if (lo_lines_has(vmkit_l, linux_l->s[i]))
			(*eq)++;
		else
			lo_lines_add(rep, "%s: linux only: %s", what, linux_l->s[i]);
	}
	for (size_t i = 0; i < vmkit_l->n; i++) {
		if (skipped(vmkit_l->s[i], only, skip))
			continue;
		if (!lo_lines_has(linux_l, vmkit_l->s[i]))
			lo_lines_add(rep, "%s: vmkit only: %s", what, vmkit_l->s[i]);
	}
}

static struct cli_result run_vmkit(const char *name, const char **args, size_t n, struct lo_lines *rep);

/* The first number after key in text (hex with base 16 unless it starts 0x). */
static bool num_after(const char *text, const char *key, int base, unsigned long long *v)
{
	const char *p = strstr(text, key);

	if (!p)
		return false;
	*v = strtoull(p + strlen(key), NULL, base);
	return true;
}

/*
 * kexec: vmkit plans the same load (kernel of the same size, the 1 MiB
 * initrd, the command line) on the run's /proc/iomem and is compared with
 * the segments kexec-tools chose (kexec -l -d in the guest): every vmkit
 * segment must lie in memory kexec-tools would also accept (its MEMORY
 * RANGES of type 0 / "System RAM ranges"; for kdump the crash kernel), and
 * each segment (base and memsz) vmkit and kexec-tools do not share is listed.
 */
static void compare_kexec(const char *dir, const char *name, bool x86, const struct lo_lines *crash,
			  bool kdump, struct lo_lines *rep, size_t *n, size_t *eq, size_t *inside, size_t *vn)
{
	const char *tag = kdump ? "kdump" : "kexec";
	char path[4096], ksz[32], dsz[32];
	unsigned long long ram[64][2], seg[16][2], v;
	size_t nram = 0, nseg = 0;
	char *kx, line[256];
	const char *p, *args[24];
	size_t na = 0;
	struct cli_result r;
	bool in_ranges = false, failed;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, name, kdump ? "kexec-p" : "kexec-l");
	kx = read_opt(path);
	if (!kx)
		return;
	for (p = kx; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		unsigned long long a, b;
		int t;

		snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
		if (!kdump && (!strcmp(line, "MEMORY RANGES") || !strcmp(line, "System RAM ranges;"))) {
			in_ranges = true;
			continue;
		}
		if (in_ranges && sscanf(line, "%llx-%llx (%d)", &a, &b, &t) == 3) {
			if (t == 0 && nram < 64) {
				ram[nram][0] = a;
				ram[nram++][1] = b;
			}
			continue;
		}
		in_ranges = false;
		if (sscanf(line, "segment[%*u].mem = %llx", &a) == 1 && nseg < 16)
			seg[nseg][0] = a;
		if (sscanf(line, "segment[%*u].memsz = %llx", &a) == 1 && nseg < 16)
			seg[nseg++][1] = a;
	}
	/* A kdump load goes into the main crash region (the highest), nowhere else. */
	for (size_t i = 0; kdump && i < crash->n; i++) {
		unsigned long long a, b;

		if (sscanf(crash->s[i], "%llx-%llx", &a, &b) == 2 && (nram == 0 || a > ram[0][0])) {
			ram[0][0] = a;
			ram[0][1] = b;
			nram = 1;
		}
	}
	failed = !strstr(kx, "# exit status 0");
	if (!(x86 ? num_after(kx, "kernel init_size ", 0, &v) : num_after(kx, "image_size:", 16, &v))) {
		free(kx);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s/iomem", dir, name);
	snprintf(ksz, sizeof(ksz), "0x%llx", v);
	args[na++] = "kexec-plan";
	args[na++] = "--iomem";
	args[na++] = path;
	if (kdump)
		args[na++] = "--kdump";
	args[na++] = "--arch";
	args[na++] = x86 ? "x86_64" : "arm64";
	args[na++] = "--kernel";
	args[na++] = ksz;
	args[na++] = "--initrd";
	args[na++] = "1048576";
	args[na++] = "--cmdline";
	args[na++] = "console=null";
	if (!x86) {
		/* kexec-tools arm64 puts the kernel at the lowest free address, the rest after it. */
		args[na++] = "--bottom-up";
		args[na++] = "--dtb";
		snprintf(dsz, sizeof(dsz), "%llu", num_after(kx, "dtb:    base ", 16, &v) &&
			 num_after(strstr(kx, "dtb:    base "), "size ", 16, &v) ? v : 4096ULL);
		args[na++] = dsz;
	}
	args[na++] = "--json";
	args[na] = NULL;
	if (getenv("VMKIT_ORACLE_VERBOSE")) {
		print_message("%s: vmkit", name);
		for (size_t i = 0; i < na; i++)
			print_message(" %s", args[i]);
		print_message("\n");
	}
	r = cli_run(args);
	if (failed) {
		const char *why = strstr(kx, "kexec: ") ? strstr(kx, "kexec: ") :
				  strstr(kx, "locate_hole failed") ? strstr(kx, "locate_hole failed") : "?";

		/* Both refusing (nothing fits) is agreement; the message is kept all the same. */
		lo_lines_add(rep, "%s: kexec-tools failed (%.*s), vmkit: exit status %d", tag,
			     (int)strcspn(why, "\n"), why, r.status);
	} else if (r.status != 0) {
		lo_lines_add(rep, "%s: vmkit kexec-plan: exit status %d: %.*s", tag, r.status,
			     (int)strcspn(r.err, "\n"), r.err);
	}
	if (r.status == 0) {
		const char *o = strstr(r.out, "\"segments\":[");

		for (o = o ? strstr(o, "{\"name\":\"") : NULL; o; o = strstr(o + 1, "{\"name\":\"")) {
			char nm[32];
			unsigned long long b = 0, m = 0;
			bool in = false, same = false;

			if (sscanf(o, "{\"name\":\"%31[^\"]\",\"base\":%llu", nm, &b) != 2 ||
			    !num_after(o, "\"memsz\":", 10, &m) || strstr(o, "\"excluded\"") == o)
				break;
			(*vn)++;
			for (size_t i = 0; i < nram; i++)
				in |= b >= ram[i][0] && b + m - 1 <= ram[i][1];
			*inside += in;
			if (!in)
				lo_lines_add(rep, "%s: vmkit %s 0x%llx-0x%llx is outside kexec-tools' memory", tag, nm,
					     b, b + m - 1);
			for (size_t i = 0; i < nseg; i++)
				same |= seg[i][0] == b && seg[i][1] == m;
			if (!same)
				lo_lines_add(rep, "%s: vmkit %s at 0x%llx (memsz 0x%llx), kexec-tools has no such segment",
					     tag, nm, b, m);
			if (strstr(o, "],\"excluded\"") && strstr(o, "],\"excluded\"") < strstr(o, "}"))
				break;
		}
		for (size_t i = 0; i < nseg; i++) {
			char at[40];

			(*n)++;
			snprintf(at, sizeof(at), "\"base\":%llu,", seg[i][0]);
			if (strstr(r.out, at) && num_after(strstr(r.out, at), "\"memsz\":", 10, &v) && v == seg[i][1])
				(*eq)++;
			else
				lo_lines_add(rep, "%s: kexec-tools segment 0x%llx (memsz 0x%llx), vmkit has no such segment",
					     tag, seg[i][0], seg[i][1]);
		}
	}
	cli_free(&r);
	free(kx);
}

/*
 * Where a piece of Linux's memblock.reserved comes from, when vmkit does not
 * predict it: the Linux internals vmkit does not model (docs/linux-oracle.md,
 * "memblock.reserved"). A piece is matched by the function that reserved
 * it (who); "alloc" categories take only pieces a memblock_alloc* made.
 */
struct res_cat {
	const char *name;
	bool alloc_only;
	const char *const who[8];
};

static const struct res_cat res_cats[] = {
	{ "page tables", false, { "init_mem_mapping", "alloc_low_pages", "spp_getpage", "early_pgtable_alloc" } },
	{ "struct page arrays (sparse, vmemmap)", false,
	  { "sparse_", "vmemmap_", "__earlyonly_bootmem_alloc", "memmap_alloc" } },
	{ "NUMA node data", false, { "numa_", "alloc_node_data" } },
	{ "per-CPU areas", false, { "pcpu_" } },
	{ "swiotlb", false, { "swiotlb_" } },
	{ "x86 real-mode trampoline", false, { "reserve_real_mode" } },
	{ "ACPI table list", false, { "acpi_reserve_initial_tables" } },
	{ "EFI boot services regions", false, { "efi_reserve_boot_services" } },
	{ "EFI memory map and configuration tables", false,
	  { "efi_memblock_x86_reserve_range", "efi_memattr_init", "efi_init", "efi_config_parse_tables",
	    "reserve_regions" } },
	{ "MP table", false, { "smp_scan_config" } },
	{ "arm64 kernel image and initrd", false, { "arm64_memblock_init" } },
	{ "kernel data allocated early", true, { "" } },
};

struct res_ctx {
	bool x86;
	unsigned long long kb, ke, rd_a, rd_b;	/* Linux's kernel image, x86 initrd (RAMDISK line) */
	const struct lo_lines *crash;		/* "0xA-0xB" */
	unsigned long long (*v)[2];		/* vmkit's reserved, sorted */
	size_t nv;
};

static bool inside_lines(const struct lo_lines *l, unsigned long long a, unsigned long long b)
{
	for (size_t i = 0; i < l->n; i++) {
		unsigned long long x, y;

		if (sscanf(l->s[i], "%llx-%llx", &x, &y) == 2 && x <= a && b <= y)
			return true;
	}
	return false;
}

/* The category of piece p (a name), or NULL if nothing explains it. */
static const char *res_category(const struct res_ctx *c, const struct lo_piece *p)
{
	if (inside_lines(c->crash, p->a, p->b))
		return "crash kernel (compared as crash: above)";
	if (p->a >= c->kb && p->b <= c->ke)
		return "kernel image";
	if (c->rd_b && p->a >= c->rd_a && p->b <= c->rd_b)
		return "initrd";
	if (c->x86 && p->b < 0x100000 && (!p->who[0] || !strcmp(p->who, "setup_arch")))
		return "x86 first 1 MiB";
	if (c->x86 && !strcmp(p->who, "setup_arch") && p->a == c->ke + 1)
		return "x86 kernel brk area";
	/* arm64 reserves only the blob before memblock=debug is parsed (setup_machine_fdt). */
	if (!c->x86 && !p->who[0])
		return "arm64 device tree blob";
	for (size_t i = 0; i < sizeof(res_cats) / sizeof(res_cats[0]); i++) {
		if (res_cats[i].alloc_only && p->alloc)
			return res_cats[i].name;
		for (size_t k = 0; !res_cats[i].alloc_only && k < 8 && res_cats[i].who[k]; k++)
			if (!strncmp(p->who, res_cats[i].who[k], strlen(res_cats[i].who[k])))
				return res_cats[i].name;
	}
	return NULL;
}

/* Bytes of [a, b] that vmkit's reserved ranges cover. */
static unsigned long long vmkit_covers(const struct res_ctx *c, unsigned long long a, unsigned long long b)
{
	unsigned long long n = 0;

	for (size_t i = 0; i < c->nv; i++) {
		unsigned long long x = c->v[i][0] > a ? c->v[i][0] : a, y = c->v[i][1] < b ? c->v[i][1] : b;

		if (x <= y)
			n += y - x + 1;
	}
	return n;
}

struct res_counts {
	size_t pieces, predicted, explained, unexplained, vmkit_only;
};

/*
 * memblock.reserved region by region: every piece of Linux's final list is
 * predicted by vmkit (inside its reservations: firmware, map, kernel image,
 * low memory), or in a category above (one report line per category with
 * its pieces, bytes and functions), or unexplained (returned: the test
 * fails). vmkit's reservations outside Linux's list are listed too.
 */
static void compare_reserved(const char *dir, const char *name, const char *log, const char *iomem, bool x86,
			     const struct lo_lines *v_res, const struct lo_lines *crash, struct lo_lines *rep,
			     struct res_counts *rc)
{
	char path[4096], *debugfs;
	struct lo_pieces lp = { 0 };
	struct res_ctx c = { .x86 = x86, .crash = crash };
	struct { const char *name; size_t n; unsigned long long bytes; char who[512]; } agg[32];
	size_t nagg = 0;
	const char *rd;

	snprintf(path, sizeof(path), "%s/%s/memblock-reserved", dir, name);
	debugfs = read_opt(path);
	lo_reserved_pieces(log, debugfs, &lp);
	if (!kernel_of(iomem, &c.kb, &c.ke))
		c.kb = 1, c.ke = 0;
	else
		c.ke += c.kb - 1;
	rd = strstr(log, "RAMDISK: [mem ");
	if (rd && sscanf(rd, "RAMDISK: [mem %llx-%llx]", &c.rd_a, &c.rd_b) != 2)
		c.rd_b = 0;
	c.v = malloc((v_res->n + 1) * sizeof(*c.v));
	assert_non_null(c.v);
	for (size_t i = 0; i < v_res->n; i++)
		if (sscanf(v_res->s[i], "[%llx-%llx]", &c.v[c.nv][0], &c.v[c.nv][1]) == 2)
			c.nv++;
	for (size_t i = 0; i < lp.n; i++) {
		const struct lo_piece *p = &lp.p[i];
		const char *cat;
		size_t k;

		rc->pieces++;
		if (vmkit_covers(&c, p->a, p->b) == p->b - p->a + 1) {
			rc->predicted++;
			continue;
		}
		cat = res_category(&c, p);
		if (getenv("VMKIT_ORACLE_VERBOSE"))
			print_message("%s: reserved [0x%llx-0x%llx] %s%s: %s\n", name, p->a, p->b, p->who,
				      p->alloc ? " (alloc)" : "", cat ? cat : "UNEXPLAINED");
		if (!cat) {
			rc->unexplained++;
			print_message("%s: memblock.reserved: unexplained Linux region [0x%llx-0x%llx] (reserved by %s)\n",
				      name, p->a, p->b, p->who[0] ? p->who : "a call before memblock=debug");
			continue;
		}
		rc->explained++;
		for (k = 0; k < nagg && strcmp(agg[k].name, cat); k++)
			;
		if (k == nagg) {
			assert_true(nagg < 32);
			agg[nagg].name = cat;
			agg[nagg].n = 0;
			agg[nagg].bytes = 0;
			strcpy(agg[nagg++].who, " ");
		}
		agg[k].n++;
		agg[k].bytes += p->b - p->a + 1 - vmkit_covers(&c, p->a, p->b);
		if (p->who[0]) {
			char w[LO_WHO + 2];

			snprintf(w, sizeof(w), " %s ", p->who);
			if (!strstr(agg[k].who, w) && strlen(agg[k].who) + strlen(w) < sizeof(agg[k].who))
				strcat(strcat(agg[k].who, p->who), " ");
		}
	}
	for (size_t k = 0; k < nagg; k++) {
		size_t wl = strlen(agg[k].who);

		lo_lines_add(rep, "memblock.reserved: linux only: %s: %zu regions, 0x%llx bytes%s%.*s%s", agg[k].name,
			     agg[k].n, agg[k].bytes, wl > 1 ? " (" : "", wl > 1 ? (int)wl - 2 : 0, agg[k].who + 1,
			     wl > 1 ? ")" : "");
	}
	/* vmkit's reservations Linux does not have, range by range. */
	for (size_t i = 0; i < c.nv; i++) {
		unsigned long long a = c.v[i][0], b = c.v[i][1];

		for (size_t k = 0; k < lp.n && a <= b; k++) {
			if (lp.p[k].b < a)
				continue;
			if (lp.p[k].a > a) {
				unsigned long long e = lp.p[k].a - 1 < b ? lp.p[k].a - 1 : b;

				lo_lines_add(rep, "memblock.reserved: vmkit only: [0x%llx-0x%llx]", a, e);
				rc->vmkit_only++;
			}
			if (lp.p[k].b >= b)
				a = b + 1;
			else if (lp.p[k].b + 1 > a)
				a = lp.p[k].b + 1;
		}
		if (a <= b) {
			lo_lines_add(rep, "memblock.reserved: vmkit only: [0x%llx-0x%llx]", a, b);
			rc->vmkit_only++;
		}
	}
	free(c.v);
	free(debugfs);
	lo_pieces_free(&lp);
}

/*
 * Zones. vmkit's page allocator has pools where Linux has zones (DMA below
 * 16 MiB, DMA32 below 4 GiB, DEFAULT above), per NUMA domain. Linux 6.1
 * arm64 calls its below-4-GiB zone DMA (zone_dma_bits is 32 when no device
 * limits it) and leaves DMA32 empty: that zone is vmkit's DMA32 pool.
 */
static const char *pool_of(bool x86, const char *zone)
{
	if (!strcmp(zone, "Normal"))
		return "DEFAULT";
	if (!strcmp(zone, "DMA"))
		return x86 ? "DMA" : "DMA32";
	if (!strcmp(zone, "DMA32"))
		return x86 ? "DMA32" : "(none)";
	return "(none)";
}

#define MAX_ZONES	32

struct zone {
	int node;
	char name[24];
	unsigned long long spanned, present, managed, start;	/* Linux: pfns and pages */
	unsigned long long first, end, frames, free;		/* vmkit: its pool's frames */
	bool linux_has, vmkit_has;
};

static struct zone *zone_get(struct zone *z, size_t *n, int node, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (z[i].node == node && !strcmp(z[i].name, name))
			return &z[i];
	assert_true(*n < MAX_ZONES);
	memset(&z[*n], 0, sizeof(z[*n]));
	z[*n].node = node;
	z[*n].first = ~0ULL;
	snprintf(z[*n].name, sizeof(z[*n].name), "%s", name);
	return &z[(*n)++];
}

/* NOMAP pages of node in pfns [a, b) (vmkit's memblock.memory lines "[0xA-0xB] node N flags: 0x4"). */
static unsigned long long nomap_pages(const struct lo_lines *mb, int node, unsigned long long a, unsigned long long b)
{
	unsigned long long n = 0;

	for (size_t i = 0; i < mb->n; i++) {
		unsigned long long x, y;
		int nd;
		unsigned int f;

		if (sscanf(mb->s[i], "[%llx-%llx] node %d flags: %x", &x, &y, &nd, &f) != 4 || nd != node ||
		    !(f & 4))
			continue;
		x >>= 12;
		y = (y >> 12) + 1;
		x = x > a ? x : a;
		y = y < b ? y : b;
		n += x < y ? y - x : 0;
	}
	return n;
}

struct zone_counts {
	size_t zones, present_eq, span_eq, buddy, buddy_eq;
};

/*
 * Per node and zone: Linux's /proc/zoneinfo (start_pfn, spanned, present,
 * managed) against vmkit's pool of the same memory (`vmkit phys`: its
 * segments and free lists), and the zones /proc/buddyinfo lists against
 * vmkit's. Present pages and the first page must agree; Linux spans holes
 * up to the node's end or the zone boundary where vmkit's pool ends at its
 * last frame; vmkit keeps no page records for NOMAP memory, which Linux
 * counts present; managed pages differ by every allocation Linux made
 * (checked: neither side has more than present).
 */
static void compare_zones(const char *dir, const char *name, const char **src, bool x86, const struct lo_lines *v_mb,
			  struct lo_lines *rep, struct zone_counts *zc)
{
	char path[4096], *zi, *bi, zname[24];
	const char *args[8], *p;
	struct zone z[MAX_ZONES];
	size_t nz = 0, na = 0;
	struct cli_result r;
	struct zone *cur = NULL;

	snprintf(path, sizeof(path), "%s/%s/zoneinfo", dir, name);
	zi = read_opt(path);
	snprintf(path, sizeof(path), "%s/%s/buddyinfo", dir, name);
	bi = read_opt(path);
	if (!zi || !bi) {
		free(zi);
		free(bi);
		return;
	}
	args[na++] = "phys";
	args[na++] = src[0];
	args[na++] = src[1];
	args[na++] = "--kernel-size";
	args[na++] = "0";
	args[na++] = "--json";
	args[na] = NULL;
	r = run_vmkit(name, args, na, rep);
	for (p = zi; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		int node;
		unsigned long long v;

		if (sscanf(p, "Node %d, zone %15s", &node, zname) == 2) {
			cur = zone_get(z, &nz, node, zname);
			continue;
		}
		if (!cur)
			continue;
		if (sscanf(p, " spanned %llu", &v) == 1)
			cur->spanned = v;
		else if (sscanf(p, " present %llu", &v) == 1)
			cur->present = v, cur->linux_has = v > 0;
		else if (sscanf(p, " managed %llu", &v) == 1)
			cur->managed = v;
		else if (sscanf(p, " start_pfn: %llu", &v) == 1)
			cur->start = v;
	}
	for (p = r.status == 0 ? strstr(r.out, "\"segments\"") : NULL; p && (p = strstr(p, "{\"start\": ")); p++) {
		unsigned long long a, b;
		int dom;
		char pool[16];

		if (sscanf(p, "{\"start\": %llu, \"end\": %llu, \"domain\": %d, \"pool\": \"%15[^\"]\"", &a, &b, &dom,
			   pool) != 4)
			break;
		/* Under the name of the Linux zone that is this pool. */
		for (size_t i = 0; i < nz; i++)
			if (z[i].node == dom && !strcmp(pool_of(x86, z[i].name), pool)) {
				cur = &z[i];
				goto found;
			}
		snprintf(zname, sizeof(zname), "pool %s", pool);
		cur = zone_get(z, &nz, dom, zname);
found:
		cur->vmkit_has = true;
		cur->frames += (b - a) >> 12;
		cur->first = (a >> 12) < cur->first ? a >> 12 : cur->first;
		cur->end = (b >> 12) > cur->end ? b >> 12 : cur->end;
	}
	for (p = r.status == 0 ? strstr(r.out, "\"buddyinfo\"") : NULL; p && (p = strstr(p, "{\"node\": ")); p++) {
		int node;
		char pool[16];
		const char *f = strstr(p, "\"free\": [");
		unsigned long long pages = 0;

		if (sscanf(p, "{\"node\": %d, \"pool\": \"%15[^\"]\"", &node, pool) != 2 || !f)
			break;
		f += 9;
		for (int o = 0; *f && *f != ']'; o++) {
			pages += strtoull(f, (char **)&f, 10) << o;
			f += strspn(f, ", ");
		}
		for (size_t i = 0; i < nz; i++)
			if (z[i].node == node && !strcmp(pool_of(x86, z[i].name), pool))
				z[i].free += pages;
	}
	for (size_t i = 0; i < nz; i++) {
		struct zone *q = &z[i];
		unsigned long long nomap;
		char line[64];
		bool in_buddy;

		if (!q->linux_has && !q->vmkit_has)
			continue;
		zc->zones++;
		if (!q->linux_has) {
			lo_lines_add(rep, "zones: node %d %s: vmkit only (%llu frames)", q->node, q->name, q->frames);
			continue;
		}
		if (!q->vmkit_has) {
			lo_lines_add(rep, "zones: node %d %s: linux only (%llu present)", q->node, q->name, q->present);
			continue;
		}
		nomap = nomap_pages(v_mb, q->node, q->start, q->start + q->spanned);
		if (q->present == q->frames) {
			zc->present_eq++;
		} else if (q->present == q->frames + nomap) {
			zc->present_eq++;
			lo_lines_add(rep, "zones: node %d %s: linux present %llu = vmkit %llu frames + %llu NOMAP pages",
				     q->node, q->name, q->present, q->frames, nomap);
		} else {
			lo_lines_add(rep, "zones: node %d %s: linux present %llu, vmkit %llu frames (%llu NOMAP pages)",
				     q->node, q->name, q->present, q->frames, nomap);
		}
		if (q->start == q->first && q->start + q->spanned == q->end)
			zc->span_eq++;
		if (q->start != q->first)
			lo_lines_add(rep, "zones: node %d %s: linux starts at pfn 0x%llx, vmkit's first frame is pfn 0x%llx",
				     q->node, q->name, q->start, q->first);
		if (q->start + q->spanned != q->end)
			lo_lines_add(rep, "zones: node %d %s: linux spans to pfn 0x%llx, vmkit's last frame ends at pfn 0x%llx",
				     q->node, q->name, q->start + q->spanned, q->end);
		/* Neither side manages more than is present. */
		if (q->managed > q->present || q->free > q->frames)
			lo_lines_add(rep, "zones: node %d %s: managed %llu / free %llu above present", q->node, q->name,
				     q->managed, q->free);
		/* /proc/buddyinfo lists the populated zones. */
		snprintf(line, sizeof(line), "Node %d, zone %8s ", q->node, q->name);
		in_buddy = strstr(bi, line) != NULL;
		zc->buddy++;
		zc->buddy_eq += in_buddy;
		if (!in_buddy)
			lo_lines_add(rep, "buddyinfo: node %d %s: not in linux's /proc/buddyinfo", q->node, q->name);
		if (getenv("VMKIT_ORACLE_VERBOSE"))
			print_message("%s: node %d %-6s linux start 0x%llx spanned %llu present %llu managed %llu; vmkit "
				      "first 0x%llx end 0x%llx frames %llu free %llu\n", name, q->node, q->name, q->start,
				      q->spanned, q->present, q->managed, q->first, q->end, q->frames, q->free);
	}
	cli_free(&r);
	free(zi);
	free(bi);
}

/* Run vmkit with args[0..n); a failure goes into the report. */
static struct cli_result run_vmkit(const char *name, const char **args, size_t n, struct lo_lines *rep)
{
	struct cli_result r;

	if (getenv("VMKIT_ORACLE_VERBOSE")) {
		print_message("%s: vmkit", name);
		for (size_t i = 0; i < n; i++)
			print_message(" %s", args[i]);
		print_message("\n");
	}
	r = cli_run(args);
	if (r.status != 0)
		lo_lines_add(rep, "vmkit %s: exit status %d: %.*s", args[0], r.status,
			     (int)strcspn(r.err, "\n"), r.err);
	return r;
}

static void run_one(const char *dir, const char *name, bool update, int *failed)
{
	char path[4096], dtb[4096], kaddr[32], ksize[32];
	struct stat st;
	char *prov, *iomem, *log, *arch, *crash, *expected, *section;
	const char *args[MAX_ARGS];
	struct lo_lines res = { 0 }, rep = { 0 }, l_io = { 0 }, v_io = { 0 }, l_mb = { 0 }, v_mb = { 0 };
	struct lo_lines specs = { 0 }, crash_l = { 0 }, v_crash = { 0 }, v_res = { 0 };
	struct res_counts rc = { 0 };
	struct zone_counts zc = { 0 };
	unsigned long long kb, ks;
	struct cli_result r;
	size_t kx_n = 0, kx_eq = 0, kx_in = 0, kx_vn = 0, kd_n = 0, kd_eq = 0, kd_in = 0, kd_vn = 0;
	size_t top_n = 0, top_eq = 0, na = 0, crash_n = 0, crash_eq = 0, io_n = 0, io_eq = 0, mb_n = 0, mb_eq = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/provenance.txt", dir, name);
	prov = read_opt(path);
	snprintf(path, sizeof(path), "%s/%s/iomem", dir, name);
	iomem = read_opt(path);
	snprintf(path, sizeof(path), "%s/%s/console.log", dir, name);
	log = read_opt(path);
	if (!prov || !iomem || !log)
		fail_msg("%s: provenance.txt, iomem and console.log are needed", name);
	arch = lo_prov(prov, "arch");
	crash = lo_prov(prov, "crashkernel");
	assert_non_null(arch);
	assert_non_null(crash);

	args[na++] = "memmap";
	snprintf(dtb, sizeof(dtb), "%s/%s/machine.dtb", dir, name);
	if (stat(dtb, &st) == 0) {
		/* A device-tree boot: the log has no map, the blob QEMU handed over has. */
		args[na++] = "--dtb";
		args[na++] = dtb;
	} else {
		args[na++] = "--dmesg";
		args[na++] = path;
	}
	args[na++] = "--arch";
	args[na++] = !strncmp(arch, "amd64", 5) ? "x86_64" : "arm64";
	if (strstr(prov, "firmware: aavmf")) {
		/* The EFI stub loaded the image into Loader memory vmkit keeps reserved. */
		args[na++] = "--kernel-size";
		args[na++] = "0";
	} else if (kernel_of(iomem, &kb, &ks)) {
		snprintf(kaddr, sizeof(kaddr), "0x%llx", kb);
		snprintf(ksize, sizeof(ksize), "0x%llx", ks);
		args[na++] = "--kernel-addr";
		args[na++] = kaddr;
		args[na++] = "--kernel-size";
		args[na++] = ksize;
	}

	/* vmkit's own model of the boot: the map, the kernel, nothing else. */
	args[na] = NULL;
	lo_iomem_scope(iomem, &l_io);
	r = run_vmkit(name, args, na, &rep);
	if (r.status == 0) {
		section = lo_section(r.out, "/proc/iomem:");
		lo_iomem_scope(section, &v_io);
		free(section);
		compare("iomem", &l_io, &v_io, &rep, &io_n, &io_eq, NULL, "Crash kernel");
		lo_memblock_memory(log, &l_mb);
		lo_memblock_memory(r.out, &v_mb);
		/* No affinity in the source: vmkit gives no node where Linux's dummy_numa_init says 0. */
		for (size_t i = 0; i < v_mb.n; i++) {
			char *nd = strstr(v_mb.s[i], " node - ");

			if (nd)
				nd[6] = '0';
		}
		compare("memblock.memory", &l_mb, &v_mb, &rep, &mb_n, &mb_eq, NULL, NULL);
		lo_memblock_reserved(r.out, &v_res);
	}
	cli_free(&r);

	/*
	 * crashkernel=: vmkit places it in the memblock Linux had when it placed
	 * its own (every reservation made by then, from the memblock=debug log).
	 */
	for (size_t i = 0; i < l_io.n; i++) {
		unsigned long long a, b;

		if (strstr(l_io.s[i], "Crash kernel") && sscanf(l_io.s[i], " %llx-%llx", &a, &b) == 2)
			lo_lines_add(&crash_l, "0x%llx-0x%llx", a, b);
	}
	lo_reserved_before_crash(log, &crash_l, &res);
	assert_true(res.n < (MAX_ARGS - 40) / 2);
	for (size_t i = 0; i < res.n; i++) {
		args[na++] = "--reserve";
		args[na++] = res.s[i];
	}
	for (char *t = strtok(crash, " "); t; t = strtok(NULL, " ")) {
		if (strncmp(t, "crashkernel=", 12))
			continue;
		lo_lines_add(&specs, "%s", t + 12);
	}
	assert_true(na + 2 * specs.n < MAX_ARGS);
	for (size_t i = 0; i < specs.n; i++) {
		args[na++] = "--crashkernel";
		args[na++] = specs.s[i];
	}
	args[na] = NULL;
	if (specs.n) {
		r = run_vmkit(name, args, na, &rep);
		if (r.status == 0) {
			section = lo_section(r.out, "/proc/iomem:");
			lo_iomem_scope(section, &v_crash);
			free(section);
			compare("crash", &l_io, &v_crash, &rep, &crash_n, &crash_eq, "Crash kernel", NULL);
		}
	}
	cli_free(&r);
	{
		const char *src[2] = { args[1], args[2] };

		compare_zones(dir, name, src, !strncmp(arch, "amd64", 5), &v_mb, &rep, &zc);
	}
	compare_reserved(dir, name, log, iomem, !strncmp(arch, "amd64", 5), &v_res, &crash_l, &rep, &rc);
	*failed += (int)rc.unexplained;
	compare_kexec(dir, name, !strncmp(arch, "amd64", 5), &crash_l, false, &rep, &kx_n, &kx_eq, &kx_in, &kx_vn);
	if (crash_l.n)
		compare_kexec(dir, name, !strncmp(arch, "amd64", 5), &crash_l, true, &rep, &kd_n, &kd_eq, &kd_in,
			      &kd_vn);
	for (size_t i = 0; i < l_io.n; i++) {
		if (l_io.s[i][0] == ' ' || strstr(l_io.s[i], "Crash kernel"))
			continue;
		top_n++;
		top_eq += lo_lines_has(&v_io, l_io.s[i]);
	}
	print_message("linux-oracle %-18s iomem top level %2zu/%2zu equal, all %2zu/%2zu, crash kernel %zu/%zu, "
		      "memblock.memory %zu/%zu, kexec segments equal %zu/%zu, vmkit's in kexec-tools' memory %zu/%zu\n",
		      name, top_eq, top_n, io_eq, io_n, crash_eq, crash_n, mb_eq, mb_n, kx_eq, kx_n, kx_in, kx_vn);
	print_message("linux-oracle %-18s memblock.reserved: %zu Linux regions, %zu predicted by vmkit, %zu explained, "
		      "%zu unexplained; %zu vmkit-only ranges\n", name, rc.pieces, rc.predicted, rc.explained,
		      rc.unexplained, rc.vmkit_only);
	print_message("linux-oracle %-18s zones: %zu compared, present equal %zu, span equal %zu, in buddyinfo %zu/%zu\n",
		      name, zc.zones, zc.present_eq, zc.span_eq, zc.buddy_eq, zc.buddy);
	total.zones += zc.zones;
	total.zones_present += zc.present_eq;
	total.zones_span += zc.span_eq;
	total.res += rc.pieces;
	total.res_pred += rc.predicted;
	total.res_expl += rc.explained;
	total.res_unexpl += rc.unexplained;
	print_message("linux-oracle %-18s kdump segments equal %zu/%zu, vmkit's in the crash kernel %zu/%zu\n",
		      name, kd_eq, kd_n, kd_in, kd_vn);
	total.kd += kd_n;
	total.kd_eq += kd_eq;
	total.kd_in += kd_in;
	total.kd_vn += kd_vn;
	total.kx += kx_n;
	total.kx_eq += kx_eq;
	total.kx_in += kx_in;
	total.kx_vn += kx_vn;
	total.top += top_n;
	total.top_eq += top_eq;
	total.runs++;
	total.iomem += io_n;
	total.iomem_eq += io_eq;
	total.crash += crash_n;
	total.crash_eq += crash_eq;
	total.memblock += mb_n;
	total.memblock_eq += mb_eq;

	snprintf(path, sizeof(path), "%s/%s/agree.expected", dir, name);
	if (update) {
		f = fopen(path, "w");
		assert_non_null(f);
		for (size_t i = 0; i < rep.n; i++)
			fprintf(f, "%s\n", rep.s[i]);
		fclose(f);
	} else {
		struct lo_lines exp = { 0 };

		expected = read_opt(path);
		if (!expected)
			expected = strdup("");
		for (char *t = strtok(expected, "\n"); t; t = strtok(NULL, "\n"))
			lo_lines_add(&exp, "%s", t);
		for (size_t i = 0; i < rep.n; i++)
			if (!lo_lines_has(&exp, rep.s[i])) {
				print_message("%s: new difference: %s\n", name, rep.s[i]);
				(*failed)++;
			}
		for (size_t i = 0; i < exp.n; i++)
			if (!lo_lines_has(&rep, exp.s[i])) {
				print_message("%s: listed difference gone (update agree.expected): %s\n",
					      name, exp.s[i]);
				(*failed)++;
			}
		lo_lines_free(&exp);
		free(expected);
	}
	lo_lines_free(&res);
	lo_lines_free(&rep);
	lo_lines_free(&l_io);
	lo_lines_free(&v_io);
	lo_lines_free(&l_mb);
	lo_lines_free(&v_mb);
	lo_lines_free(&specs);
	lo_lines_free(&crash_l);
	lo_lines_free(&v_crash);
	lo_lines_free(&v_res);
	free(prov);
	free(iomem);
	free(log);
	free(arch);
	free(crash);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every stored run agrees with Linux except for its listed differences. */
static void test_every_run(void **state)
{
	const char *dir = th_data_path("linux");
	bool update = getenv("VMKIT_ORACLE_UPDATE") && !strcmp(getenv("VMKIT_ORACLE_UPDATE"), "1");
	struct dirent **ents;
	int n, failed = 0;

	(void)state;
	n = scandir(dir, &ents, NULL, by_name);
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		char p[4096];
		struct stat st;

		snprintf(p, sizeof(p), "%s/%s/console.log", dir, ents[i]->d_name);
		if (ents[i]->d_name[0] != '.' && stat(p, &st) == 0)
			run_one(dir, ents[i]->d_name, update, &failed);
		free(ents[i]);
	}
	free(ents);
	print_message("linux-oracle: %zu runs: iomem top level %zu/%zu entries equal, all %zu/%zu, crash kernel "
		      "%zu/%zu, memblock.memory %zu/%zu, kexec segments %zu/%zu, vmkit's in kexec-tools' memory %zu/%zu\n",
		      total.runs, total.top_eq, total.top, total.iomem_eq, total.iomem,
		      total.crash_eq, total.crash, total.memblock_eq, total.memblock, total.kx_eq, total.kx,
		      total.kx_in, total.kx_vn);
	print_message("linux-oracle: kdump segments %zu/%zu equal, vmkit's in the crash kernel %zu/%zu\n",
		      total.kd_eq, total.kd, total.kd_in, total.kd_vn);
	print_message("linux-oracle: memblock.reserved: %zu Linux regions: %zu predicted by vmkit, %zu in explained "
		      "categories, %zu unexplained\n", total.res, total.res_pred, total.res_expl, total.res_unexpl);
	print_message("linux-oracle: zones: %zu (node, zone) pairs, present pages equal %zu (NOMAP counted), spans "
		      "equal %zu\n", total.zones, total.zones_present, total.zones_span);
	assert_true(total.runs >= 10);
	assert_int_equal(failed, 0);
}

/* The scope filter: device windows go, firmware entries inside them move up. */
static void test_scope(void **state)
{
	struct lo_lines l = { 0 };

	(void)state;
	lo_iomem_scope("00000000-00000fff : Reserved\n"
		       "000a0000-000bffff : PCI Bus 0000:00\n"
		       "00100000-3ffdffff : System RAM\n"
		       "  01000000-01e01d31 : Kernel code\n"
		       "  3a000000-3dffffff : Crash kernel\n"
		       "b0000000-bfffffff : PCI MMCONFIG 0000 [bus 00-ff]\n"
		       "  b0000000-bfffffff : Reserved\n"
		       "    b0000000-bfffffff : pnp 00:04\n"
		       "fd00000000-ffffffffff : Reserved\n", &l);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.s[0], "00000000-00000fff : Reserved");
	assert_string_equal(l.s[1], "00100000-3ffdffff : System RAM");
	assert_string_equal(l.s[2], "  3a000000-3dffffff : Crash kernel");
	assert_string_equal(l.s[3], "b0000000-bfffffff : Reserved");
	assert_string_equal(l.s[4], "fd00000000-ffffffffff : Reserved");
	lo_lines_free(&l);
}

/* The reservations handed to vmkit: the last dump, then reserve/free lines, not the crash kernel's. */
static void test_reserved_before_crash(void **state)
{
	struct lo_lines l = { 0 };

	(void)state;
	struct lo_lines crash = { 0 };

	lo_lines_add(&crash, "0x3a000000-0x3dffffff");
	lo_reserved_before_crash(
		"[    0.000000] Command line: crashkernel=64M\n"
		"[    0.000000] MEMBLOCK configuration:\n"
		"[    0.000000]  reserved[0x0]\t[0x0000000000000000-0x000000000000ffff], 0x10000 bytes flags: 0x0\n"
		"[    0.000000] MEMBLOCK configuration:\n"
		"[    0.000000]  reserved[0x0]\t[0x0000000000000000-0x00000000000fffff], 0x100000 bytes on node 0 flags: 0x0\n"
		"[    0.000000]  reserved[0x1]\t[0x0000000001000000-0x0000000004410fff], 0x3411000 bytes flags: 0x0\n"
		"[    0.100000] memblock_reserve: [0x0000000005000000-0x0000000005000fff] x+0x1/0x2\n"
		"[    0.100000] memblock_reserve: [0x0000000005001000-0x0000000005001fff] x+0x1/0x2\n"
		"[    0.100000] memblock_phys_free: [0x0000000005000800-0x00000000050017ff] x+0x1/0x2\n"
		"[    0.177921] memblock_phys_alloc_range: 67108864 bytes reserve_crashkernel+0x1/0x2\n"
		"[    0.177957] memblock_reserve: [0x000000003a000000-0x000000003dffffff] memblock_alloc_range_nid+0xb0/0x13d\n"
		"[    0.178001] Reserving 64MB of memory at 928MB for crashkernel (System RAM: 1023MB)\n"
		"[    0.178000] MEMBLOCK configuration:\n"
		"[    0.178000]  reserved[0x0]\t[0x0000000000000000-0x0000000000000fff], 0x1000 bytes flags: 0x0\n",
		&crash, &l);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.s[0], "0x0-0xfffff");
	assert_string_equal(l.s[1], "0x1000000-0x4410fff");
	assert_string_equal(l.s[2], "0x5000000-0x50007ff");
	assert_string_equal(l.s[3], "0x5001800-0x5001fff");
	lo_lines_free(&l);
	lo_lines_free(&crash);
}

/* Linux's final memblock.reserved in pieces by owner: dump, reserve/alloc/free lines, the cut at "Memory:". */
static void test_reserved_pieces(void **state)
{
	struct lo_pieces p = { 0 };

	(void)state;
	lo_reserved_pieces(
		"[    0.000000] MEMBLOCK configuration:\n"
		"[    0.000000]  reserved[0x0]\t[0x0000000000000000-0x000000000000ffff], 0x10000 bytes flags: 0x0\n"
		"[    0.000000] memblock_reserve: [0x0000000000000000-0x00000000000fffff] setup_arch+0x7e0/0xd4f\n"
		"[    0.000000] memblock_alloc_try_nid: 4096 bytes align=0x1000 nid=-1 from=0x0 max_addr=0x0 "
		"pcpu_fc_alloc+0xf2/0x148\n"
		"[    0.000000] memblock_reserve: [0x0000000000200000-0x0000000000201fff] memblock_alloc_range_nid+0xb0/0x13d\n"
		"[    0.000000] memblock_phys_free: [0x0000000000201000-0x0000000000201fff] pcpu_embed_first_chunk+0x2\n"
		"[    0.000000] memblock_reserve: [0x0000000000202000-0x0000000000202fff] efi_init+0x1/0x2\n"
		"[    0.100000] Memory: 207548K/1048056K available (14343K kernel code)\n"
		"[    0.200000] memblock_reserve: [0x0000000000300000-0x0000000000300fff] late+0x1/0x2\n",
		NULL, &p);
	assert_int_equal(p.n, 3);
	/* The dump's 64 KiB are inside setup_arch's later 1 MiB: one piece, the latest owner. */
	assert_true(p.p[0].a == 0 && p.p[0].b == 0xfffff && !strcmp(p.p[0].who, "setup_arch") && !p.p[0].alloc);
	assert_true(p.p[1].a == 0x200000 && p.p[1].b == 0x200fff && !strcmp(p.p[1].who, "pcpu_fc_alloc") &&
		    p.p[1].alloc);
	assert_true(p.p[2].a == 0x202000 && p.p[2].b == 0x202fff && !strcmp(p.p[2].who, "efi_init"));
	lo_pieces_free(&p);
	/* debugfs (arm64) is the final list; a range no line reserved has no owner. */
	lo_reserved_pieces("[    0.0] memblock_reserve: [0x0000000000200000-0x0000000000200fff] efi_init+0x1/0x2\n",
			   "   0: 0x0000000000100000..0x0000000000200fff\n", &p);
	assert_int_equal(p.n, 2);
	assert_true(p.p[0].a == 0x100000 && p.p[0].b == 0x1fffff && !p.p[0].who[0]);
	assert_true(p.p[1].a == 0x200000 && p.p[1].b == 0x200fff && !strcmp(p.p[1].who, "efi_init"));
	lo_pieces_free(&p);
}

/*
 * A device-tree boot log has no firmware map: vmkit reads the memory of its
 * memblock=debug dump (it failed with "memory region 0x40210000 is below
 * the end of the previous one", misreading the oracle's debugfs lists), and
 * without a dump it says what the log lacks.
 */
static void test_dmesg_dt_boot(void **state)
{
	char path[4096], tmp[] = "/tmp/vmkit-dtlog-XXXXXX";
	const char *args[] = { "memmap", "--dmesg", path, "--kernel-size", "0", NULL };
	struct cli_result r;
	char *log, *line;
	FILE *f;
	int fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/virt-dt-4G-numa/console.log", th_data_path("linux"));
	r = cli_run(args);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "(dmesg, 2 entries read"));
	assert_non_null(strstr(r.out, "\n40000000-13fffffff : System RAM\n"));
	cli_free(&r);
	/* The same log without memblock=debug's lines, nor the oracle's sections. */
	log = read_opt(path);
	assert_non_null(log);
	fd = mkstemp(tmp);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	for (line = strtok(log, "\n"); line; line = strtok(NULL, "\n"))
		if (!strstr(line, "memblock") && !strstr(line, "MEMBLOCK") && !strstr(line, "memory[") &&
		    !strstr(line, "reserved[") && !strstr(line, ": 0x"))
			fprintf(f, "%s\n", line);
	fclose(f);
	free(log);
	args[2] = tmp;
	r = cli_run(args);
	unlink(tmp);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "a device-tree boot log: no map in it (boot with memblock=debug"));
	assert_non_null(strstr(r.err, "--dtb"));
	cli_free(&r);
}

/* A log with SeaBIOS's E820 map and the kernel's first-page edit, as a file. */
static const char *seabios_log(void)
{
	static char path[] = "/tmp/vmkit-oracle-XXXXXX";
	static const char text[] =
		"[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
		"[    0.000000] BIOS-e820: [mem 0x000000000009fc00-0x000000000009ffff] reserved\n"
		"[    0.000000] BIOS-e820: [mem 0x00000000000f0000-0x00000000000fffff] reserved\n"
		"[    0.000000] BIOS-e820: [mem 0x0000000000100000-0x000000001ffdffff] usable\n"
		"[    0.000000] BIOS-e820: [mem 0x000000001ffe0000-0x000000001fffffff] reserved\n"
		"[    0.000000] e820: update [mem 0x00000000-0x00000fff] usable ==> reserved\n"
		"[    0.000000] e820: remove [mem 0x000a0000-0x000fffff] usable\n";
	static bool made;
	int fd;

	/* A flag, not the template's last byte: mkstemp may leave an 'X' there. */
	if (made)
		return path;
	made = true;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	return path;
}

/* x86 /proc/iomem shows the E820 table byte for byte, as Linux does (it was page-rounded). */
static void test_x86_iomem_byte_exact(void **state)
{
	const char *args[] = { "memmap", "--dmesg", seabios_log(), "--kernel-size", "0", NULL };
	struct cli_result r = cli_run(args);
	char *io;

	(void)state;
	assert_int_equal(r.status, 0);
	io = lo_section(r.out, "/proc/iomem:");
	assert_non_null(strstr(io, "00000000-00000fff : Reserved\n"
				   "00001000-0009fbff : System RAM\n"));
	assert_non_null(strstr(io, "0009fc00-0009ffff : Reserved\n"
				   "000f0000-000fffff : Reserved\n"
				   "00100000-1ffdffff : System RAM\n"));
	/* memblock stays page-granular (Linux trims it: memblock_trim_memory). */
	assert_non_null(strstr(r.out, "[0x0000000000001000-0x000000000009efff]"));
	free(io);
	cli_free(&r);
}

/* --reserve: memblock_reserve before the crash kernel, which then goes below it. */
static void test_reserve_option(void **state)
{
	const char *ok[] = { "memmap", "--dmesg", seabios_log(), "--kernel-size", "0",
			     "--reserve", "0x1e000000-0x1fdfffff", "--crashkernel", "64M", NULL };
	const char *bad[][8] = {
		{ "memmap", "--reserve", "0x2000-0x1000", NULL },
		{ "memmap", "--reserve", "0x1000", NULL },
		{ "memmap", "--reserve", "0x1000-", NULL },
		{ "memmap", "--reserve", "-0x1000", NULL },
		{ "memmap", "--reserve", "1x-2", NULL },
	};
	struct cli_result r = cli_run(ok);

	(void)state;
	assert_int_equal(r.status, 0);
	/* Top-down, 16 MiB aligned, below the reservation (without it: 0x1b000000). */
	assert_non_null(strstr(r.out, "  1a000000-1dffffff : Crash kernel\n"
				      "  1e000000-1fdfffff : reserved\n"));
	cli_free(&r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = cli_run(bad[i]);
		assert_int_equal(r.status, 2);
		assert_non_null(strstr(r.err, "--reserve"));
		cli_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x86_iomem_byte_exact),
		cmocka_unit_test(test_reserve_option),
		cmocka_unit_test(test_scope),
		cmocka_unit_test(test_reserved_before_crash),
		cmocka_unit_test(test_reserved_pieces),
		cmocka_unit_test(test_dmesg_dt_boot),
		cmocka_unit_test(test_every_run),
	};

	int ret = cmocka_run_group_tests(tests, NULL, NULL);

	unlink(seabios_log());
	return ret;
}
