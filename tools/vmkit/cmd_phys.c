/*
 * vmkit phys: simulate a boot up to the page allocator and report it.
 *
 * A machine (the embedded QEMU q35 UEFI map, a map file, or a synthetic
 * machine of a given size and NUMA domain count) goes through memblock,
 * a kernel image is reserved, and memblock hands over to the physical
 * allocator. Prints the boot report (every byte accounted for), segments,
 * /proc/buddyinfo and per-state frame counts, or one JSON document.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <vmkit/boot.h>
#include <vmkit/memblock.h>
#include <vmkit/phys.h>

#include "machine.h"
#include "sim.h"
#include "util.h"

#define MAX_BAD 256

struct phys_opts {
	const char *path;
	enum machine_src src;
	uint64_t ram;			/* synthetic machine size, 0: a map */
	unsigned int domains;
	uint64_t kernel_size;
	vmk_paddr_t bad[MAX_BAD];
	size_t nbad;
	bool json, eager;
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: vmkit phys [SOURCE] [options]\n"
"\n"
"Simulate a boot up to the physical page allocator: the machine's memory map\n"
"goes into memblock, a kernel image is reserved, and memblock hands over to\n"
"the allocator (segments per node and pool, page array from memblock, free\n"
"ranges into the buddy lists, memblock's own arrays freed last). Prints the\n"
"boot report (every byte accounted for), the segments, /proc/buddyinfo per\n"
"domain and pool, and frames per state. Without a SOURCE, the embedded\n"
"default machine (QEMU q35, 4 GiB, OVMF UEFI map) is used.\n"
"\n"
"SOURCE (one of):\n"
"  --ram SIZE         a synthetic machine with SIZE of RAM (64M to 64T): RAM\n"
"                     from 0 to 2 GiB (less the first MiB) and above 4 GiB\n"
"  --machine FILE     a firmware map in any format 'vmkit memmap' reads\n"
"  --efi FILE, --e820 FILE, --dtb FILE, --iomem FILE, --dmesg FILE\n"
"\n"
"options:\n"
"  --domains N        split a synthetic machine's RAM into N NUMA domains (1-%d)\n"
"  --bad ADDR[,ADDR]  frames to withhold as bad (repeatable)\n"
"  --kernel-size SIZE kernel image to reserve (default 16M; 0: none)\n"
"  --eager            initialise every page record at hand-over (default: lazily,\n"
"                     in 4 MiB chunks when first needed); refused when the records\n"
"                     (one per 4 KiB frame) would not fit in 3/4 of the host's free memory\n"
"  --json             one JSON document (keys: bytes_per_frame, boot, segments, bad_frames,\n"
"                     states, buddyinfo, nofree, handover_ns)\n"
"  --help             this text\n"
"\n"
"Options may be given once, except --bad. FILE - is stdin.\n"
"Exit status: 0 done, 1 bad input data or a machine this host cannot hold, 2 bad usage.\n",
		VMK_MAX_DOMAINS);
}

static int add_bad(struct phys_opts *o, const char *arg)
{
	char buf[512];
	char *save = NULL;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		uint64_t pa;

		if (!tool_parse_size("--bad", t, &pa))
			return -1;
		if (o->nbad == MAX_BAD) {
			tool_error(NULL, 0, "--bad: more than %d addresses", MAX_BAD);
			return -1;
		}
		o->bad[o->nbad++] = pa;
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct phys_opts *o)
{
	struct tool_seen seen = { .n = 0 };

	memset(o, 0, sizeof(*o));
	o->kernel_size = 16 * VMK_MiB;
	o->domains = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		uint64_t n;
		int r;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		}
		/* Every option once, except --bad (a list may be split). */
		if (strcmp(a, "--bad") && !tool_seen_once(&seen, a))
			return -1;
		if (!strcmp(a, "--json")) {
			o->json = true;
			continue;
		}
		if (!strcmp(a, "--eager")) {
			o->eager = true;
			continue;
		}
		r = machine_src_take(a, v, o->path ? o->path : o->ram ? "--ram" : NULL, &o->src, &o->path);
		if (r < 0)
			return -1;
		if (r) {
			i++;
			continue;
		}
		if (!v) {
			tool_error(NULL, 0, "unknown option or missing value: '%s' (see --help)", a);
			return -1;
		}
		if (!strcmp(a, "--ram")) {
			if (!tool_parse_size(a, v, &o->ram))
				return -1;
			if (o->path) {
				tool_error(NULL, 0, "give one source only (%s and --ram)", o->path);
				return -1;
			}
			if (o->ram < 64 * VMK_MiB || o->ram > 64 * VMK_TiB) {
				tool_error(NULL, 0, "--ram: %s is not between 64M and 64T", v);
				return -1;
			}
		} else if (!strcmp(a, "--domains")) {
			if (!tool_parse_size(a, v, &n) || n < 1 || n > VMK_MAX_DOMAINS) {
				tool_error(NULL, 0, "--domains: '%s' is not from 1 to %d", v,
					   VMK_MAX_DOMAINS);
				return -1;
			}
			o->domains = (unsigned int)n;
		} else if (!strcmp(a, "--bad")) {
			if (add_bad(o, v))
				return -1;
		} else if (!strcmp(a, "--kernel-size")) {
			if (!tool_parse_size(a, v, &o->kernel_size))
				return -1;
		} else {
			tool_error(NULL, 0, "unknown option '%s' (see --help)", a);
			return -1;
		}
		i++;
	}
	if (o->domains > 1 && !o->ram) {
		tool_error(NULL, 0, "--domains needs a synthetic machine (--ram)");
		return -1;
	}
	return 0;
}

/*
 * Synthetic machine: RAM at [0, min(ram, 2G)) and [4G, ...), split into
 * domains by address every ram/domains bytes. Returns 0, 1 (message
 * printed) or a negative memblock error.
 */
static int synth_memblock(struct vmk_memblock *mb, const struct phys_opts *o)
{
	uint64_t low = VMK_MIN(o->ram, 2 * VMK_GiB);
	uint64_t per = VMK_ALIGN_DOWN(o->ram / o->domains, 2 * VMK_MiB), done = 0;
	const struct { vmk_paddr_t base; uint64_t size; } r[2] = {
		{ 0, low }, { 4 * VMK_GiB, o->ram - low },
	};
	int err;

	for (int i = 0; i < 2; i++) {
		if (!r[i].size)
			continue;
		if (vmk_sim_ram_add(r[i].base, r[i].size)) {
			tool_error(NULL, 0, "cannot simulate %llu bytes of RAM",
				   (unsigned long long)r[i].size);
			return 1;
		}
		for (uint64_t off = 0; off < r[i].size;) {
			unsigned int nid = (unsigned int)VMK_MIN(done / per, (uint64_t)o->domains - 1);
			uint64_t len = r[i].size - off;

			if (nid < o->domains - 1)
				len = VMK_MIN(len, (nid + 1) * per - done);
			err = vmk_memblock_add_node(mb, r[i].base + off, len, (int)nid, 0);
			if (err)
				return err;
			off += len;
			done += len;
		}
	}
	/* Firmware and real-mode memory below 1 MiB. */
	return vmk_memblock_reserve(mb, 0, VMK_MiB);
}

/* Bytes of memory this host can give the tool now (MemAvailable), 0 if unknown. */
static uint64_t host_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	unsigned long long kb;
	long pages, psz;

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
				fclose(f);
				return (uint64_t)kb * 1024;
			}
		}
		fclose(f);
	}
	pages = sysconf(_SC_AVPHYS_PAGES);
	psz = sysconf(_SC_PAGESIZE);
	return pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : 0;
}

/*
 * Eager initialisation writes a record for every frame into the simulated
 * RAM, so the host must hold the page array: refuse up front what it
 * cannot (a 64 TiB machine needs 512 GiB of records) instead of being
 * killed for running out of memory. Returns true if it fits.
 */
static bool fits_host(const struct vmk_memblock *mb, bool eager)
{
	uint64_t frames = vmk_memblock_phys_mem_size(mb) / VMK_PAGE_SIZE;
	uint64_t need = frames * sizeof(struct vmk_page), avail = host_available();
	char h1[32], h2[32];

	if (!eager || !avail || need <= avail / 4 * 3)
		return true;
	tool_error(NULL, 0, "--eager on %s of RAM writes %s of page records (%zu bytes per "
		   "4 KiB frame), more than the 3/4 of the %s this host has available: use a "
		   "smaller machine or leave out --eager (records are then set up lazily)",
		   vmk_fmt_size(h1, sizeof(h1), vmk_memblock_phys_mem_size(mb)),
		   vmk_fmt_size(h2, sizeof(h2), need), sizeof(struct vmk_page),
		   vmk_fmt_size((char[32]){ 0 }, 32, avail));
	return false;
}

/* A --bad address outside RAM withholds nothing: say so. */
static void warn_bad_outside(const struct vmk_memblock *mb, const struct phys_opts *o)
{
	for (size_t i = 0; i < o->nbad; i++)
		if (!vmk_memblock_is_memory(mb, o->bad[i]))
			tool_warning(NULL, 0, "--bad 0x%llx is not in RAM: nothing withheld there",
				     (unsigned long long)o->bad[i]);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int vmkit_cmd_phys(int argc, char **argv)
{
	static struct vmk_memblock mb;
	struct phys_opts o;
	struct machine mc;
	struct vmk_phys_init_args args;
	struct vmk_out out;
	const char *name = "<embedded q35-4G>";
	bool have_map = false;
	double t0, t1;
	int ret = 1, err;

	if (parse_args(argc, argv, &o))
		return 2;
	memset(&mc, 0, sizeof(mc));
	vmk_phys_reset();
	vmk_memblock_init(&mb);
	if (o.ram) {
		name = "<synthetic>";
		vmk_memblock_allow_resize(&mb, true);
		err = synth_memblock(&mb, &o);
		if (err) {
			if (err > 0)
				goto out;
			tool_error(NULL, 0, "memblock: %s", vmk_strerror(err));
			goto out;
		}
	} else {
		if (o.path ? machine_load(&mc, o.path, o.src, 0, 0) : machine_load_default(&mc, 0)) {
			machine_free(&mc);
			return 1;
		}
		have_map = true;
		if (o.path)
			name = o.path;
		machine_print_diag(&mc, VMK_FWMAP_WARN);
		vmk_memblock_allow_resize(&mb, machine_back_ram(&mc.map));
		/* The boot policy of the map's architecture (arm64 UEFI maps differ from x86's). */
		err = vmk_boot_memblock_from_fwmap_arch(&mb, &mc.map, vmk_boot_guess_arch(&mc.map));
		if (err) {
			tool_error(name, 0, "memblock: %s", vmk_strerror(err));
			goto out;
		}
		/* Domains: the map's NUMA affinity (SRAT lines, DT numa-node-id), else one. */
		if (machine_numa_apply(&mc, &mb, vmk_boot_guess_arch(&mc.map) == VMK_BOOT_ARCH_X86_64))
			goto out;
	}
	if (!fits_host(&mb, o.eager))
		goto out;
	warn_bad_outside(&mb, &o);
	if (o.kernel_size) {
		vmk_paddr_t kbase = 0;

		err = vmk_boot_reserve_kernel(&mb, o.kernel_size, 2 * VMK_MiB, 16 * VMK_MiB, false,
					      &kbase);
		if (err) {
			tool_error(name, 0, "no free memory for a %llu-byte kernel image (%s)",
				   (unsigned long long)o.kernel_size, vmk_strerror(err));
			goto out;
		}
	}
	memset(&args, 0, sizeof(args));
	args.bad = o.bad;
	args.nbad = o.nbad;
	args.eager = o.eager;
	t0 = now_ns();
	err = vmk_phys_init(&mb, &args);
	t1 = now_ns();
	if (err) {
		tool_error(name, 0, "hand-over to the page allocator failed: %s", vmk_strerror(err));
		goto out;
	}
	vmk_check_phys();
	tool_out_file(&out, stdout);
	if (o.json) {
		/* The allocator's document, with the measured time added before the closing brace. */
		char *buf;
		size_t cap = 1 << 20;
		struct vmk_outbuf ob;

		buf = malloc(cap);
		if (!buf) {
			tool_error(NULL, 0, "out of memory");
			goto out;
		}
		vmk_outbuf_init(&ob, buf, cap);
		vmk_phys_print_json(&ob.out);
		if (ob.overflow || ob.len < 3) {
			tool_error(NULL, 0, "report too large");
			free(buf);
			goto out;
		}
		ob.len -= 3;	/* "\n}\n" */
		printf("%.*s,\n  \"machine\": ", (int)ob.len, buf);
		vmk_out_json_string(&out, name);	/* a path: any bytes */
		printf(",\n  \"handover_ns\": %.0f\n}\n", t1 - t0);
		free(buf);
	} else {
		printf("machine: %s\n", name);
		vmk_phys_print_boot(&out);
		printf("  hand-over took %.3f ms\n\n", (t1 - t0) / 1e6);
		vmk_phys_print_segments(&out);
		printf("\n");
		vmk_phys_print_buddyinfo(&out);
		printf("\n");
		vmk_phys_print_states(&out);
		printf("\n");
		vmk_phys_print_bad(&out);
	}
	ret = 0;
out:
	if (have_map)
		machine_free(&mc);
	vmk_phys_reset();
	vmk_sim_ram_reset();
	return ret;
}
