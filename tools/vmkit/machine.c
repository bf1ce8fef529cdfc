#include "machine.h"

#include <stdlib.h>
#include <string.h>

#include <vmkit/resource.h>

#include "fwmap_fdt.h"
#include "sim.h"
#include "util.h"

/* parse_iomem_cap(): the pool ran out, try again with a bigger one (tool-internal). */
#define VMK_EAGAIN_TOOL	1000

/* Generated from examples/machines/qemu-q35-ovmf-x86_64-4G.efimap at build time. */
extern const unsigned char vmkit_default_machine[];
extern const size_t vmkit_default_machine_len;

/*
 * Map and /proc/iomem buffers start small and double while a parser says
 * they are full, up to these limits (override with -D): real journals and
 * large servers exceed the 2048 entries and 4096 nodes that once were fixed.
 */
#ifndef VMKIT_TOOL_MAX_MAP_ENTRIES
#define VMKIT_TOOL_MAX_MAP_ENTRIES	(1u << 20)
#endif
#ifndef VMKIT_TOOL_MAX_IOMEM_NODES
#define VMKIT_TOOL_MAX_IOMEM_NODES	(1u << 20)
#endif
#define MACHINE_FIRST_PARSED	2048
#define MACHINE_MAX_MSGS	256

const char *machine_src_option(enum machine_src src)
{
	static const char *const names[] = { "auto", "--e820", "--efi", "--dtb", "--iomem", "--dmesg" };

	return names[src];
}

bool machine_src_from_option(const char *opt, enum machine_src *src)
{
	static const struct { const char *opt; enum machine_src src; } srcs[] = {
		{ "--e820", MACHINE_E820 }, { "--efi", MACHINE_EFI }, { "--dtb", MACHINE_DTB },
		{ "--iomem", MACHINE_IOMEM }, { "--dmesg", MACHINE_DMESG },
		{ "--machine", MACHINE_AUTO },
	};

	for (size_t k = 0; k < sizeof(srcs) / sizeof(srcs[0]); k++) {
		if (!strcmp(opt, srcs[k].opt)) {
			*src = srcs[k].src;
			return true;
		}
	}
	return false;
}

int machine_src_take(const char *opt, const char *value, const char *other, enum machine_src *src,
		     const char **path)
{
	enum machine_src s;

	if (!machine_src_from_option(opt, &s))
		return 0;
	if (!value) {
		tool_error(NULL, 0, "%s needs a FILE", opt);
		return -1;
	}
	if (other) {
		tool_error(NULL, 0, "give one source only (%s and %s)", other, value);
		return -1;
	}
	*src = s;
	*path = value;
	return 1;
}

static bool looks_binary(const unsigned char *b, size_t len)
{
	size_t n = len < 512 ? len : 512;

	for (size_t i = 0; i < n; i++)
		if (b[i] == 0)
			return true;
	return false;
}

/*
 * A binary map: a UEFI descriptor array unless no descriptor size explains
 * it and an E820 table (20- or 24-byte entries) does.
 */
static enum machine_src binary_src(const void *buf, size_t len)
{
	size_t sz;

	if (vmk_fwmap_efi_guess_desc_size(buf, len, &sz) == -VMK_EPARSE &&
	    vmk_fwmap_e820_guess_entry_size(buf, len, &sz) != -VMK_EPARSE)
		return MACHINE_E820;
	return MACHINE_EFI;
}

static bool is_fdt(const unsigned char *b, size_t len)
{
	return len >= 4 && b[0] == 0xd0 && b[1] == 0x0d && b[2] == 0xfe && b[3] == 0xed;
}

/* /proc/iomem: the first non-empty line is "hex-hex : name". */
static bool looks_iomem(const char *t, size_t len)
{
	struct vmk_str line;
	size_t pos = 0;

	while (vmk_next_line(t, len, &pos, &line)) {
		line = vmk_str_trim(line);
		if (!line.len)
			continue;
		return vmk_str_find(line, " : ") > 0 && vmk_isxdigit((unsigned char)line.p[0]);
	}
	return false;
}

static int parse_iomem_cap(struct machine *mc, const char *text, size_t len, size_t cap)
{
	size_t names = cap * 64;
	struct vmk_resource *nodes = calloc(cap, sizeof(*nodes));
	char *namebuf = malloc(names);
	struct vmk_resource_pool pool;
	struct vmk_resource root;
	struct vmk_resource_error err;
	int ret;

	if (!nodes || !namebuf) {
		free(nodes);
		free(namebuf);
		return -VMK_ENOMEM;
	}
	vmk_resource_pool_init(&pool, nodes, cap, namebuf, names);
	vmk_iomem_root_init(&root);
	ret = vmk_resource_parse(&root, &pool, text, len, &err);
	if (ret == -VMK_ENOMEM && cap < VMKIT_TOOL_MAX_IOMEM_NODES)
		ret = -VMK_EAGAIN_TOOL;
	else if (ret)
		vmk_fwmap_diag_add(&mc->diag, VMK_FWMAP_ERR, err.line ? VMK_FWMAP_AT_LINE : VMK_FWMAP_AT_NONE,
				   err.line, "%s", err.msg);
	else
		ret = vmk_resource_to_fwmap(&root, &mc->map);
	free(nodes);
	free(namebuf);
	return ret;
}

/* /proc/iomem with a node pool that doubles (from 4096) while it runs out. */
static int parse_iomem(struct machine *mc, const char *text, size_t len)
{
	int ret;

	for (size_t cap = 4096;; cap *= 2) {
		ret = parse_iomem_cap(mc, text, len, cap);
		if (ret != -VMK_EAGAIN_TOOL)
			return ret;
	}
}

/* Run the parser for src over buf into mc->map. */
static int parse_src(struct machine *mc, const void *buf, size_t len, enum machine_src src,
		     size_t efi_desc_size)
{
	const unsigned char *b = buf;

	switch (src) {
	case MACHINE_E820:
		if (looks_binary(b, len)) {
			mc->format_name = "e820";
			return vmk_fwmap_parse_e820(&mc->map, buf, len,
						    efi_desc_size == 20 || efi_desc_size == 24 ?
						    efi_desc_size : 0, &mc->diag);
		}
		mc->format_name = "e820-text";
		return vmk_fwmap_parse_e820_text(&mc->map, buf, len, &mc->diag);
	case MACHINE_EFI:
		if (looks_binary(b, len)) {
			mc->format_name = "efi";
			/* The guess warns with the size it took and refuses ambiguity. */
			return efi_desc_size ? vmk_fwmap_parse_efi(&mc->map, buf, len, efi_desc_size,
								   VMK_EFI_DESC_VERSION, &mc->diag)
					     : vmk_fwmap_parse_efi_guess(&mc->map, buf, len, &mc->diag);
		}
		mc->format_name = "efi-text";
		return vmk_fwmap_parse_efi_text(&mc->map, buf, len, &mc->diag);
	case MACHINE_DTB:
		mc->format_name = "dtb";
		return vmk_fwmap_parse_fdt(&mc->map, buf, len, &mc->diag);
	case MACHINE_IOMEM:
		mc->format_name = "iomem";
		return parse_iomem(mc, buf, len);
	default:
		mc->format_name = "dmesg";
		return vmk_fwmap_parse_dmesg(&mc->map, buf, len, &mc->diag);
	}
}

/*
 * NUMA affinity out of a log: Linux prints every SRAT memory affinity entry
 * it takes as "ACPI: SRAT: Node N PXM P [mem 0xA-0xB]" (x86 and arm64 alike;
 * " hotplug" or " non-volatile" may follow).
 */
static void numa_from_log(struct machine *mc, const char *text, size_t len)
{
	static const char key[] = "ACPI: SRAT: Node ";
	const char *p = text, *end = text + len;

	while (p < end && mc->nnuma < MACHINE_MAX_NUMA) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		char line[256];
		const char *k;
		unsigned int nid, pxm;
		unsigned long long a, b;

		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), p);
		k = strstr(line, key);
		if (k && sscanf(k + sizeof(key) - 1, "%u PXM %u [mem %llx-%llx]", &nid, &pxm, &a, &b) == 4 &&
		    a <= b && b != ~0ULL)
			mc->numa[mc->nnuma++] = (struct vmk_numa_range){ .base = a, .end = b + 1, .nid = (int)nid };
		p = nl ? nl + 1 : end;
	}
}

int machine_numa_apply(const struct machine *mc, struct vmk_memblock *mb, bool arch_x86)
{
	int r;

	/* No affinity stated: no nodes (memblock output stays as the source's kernel prints it). */
	if (mc->nnuma == 0)
		return 0;
	r = vmk_boot_numa_apply(mb, mc->numa, mc->nnuma,
				    arch_x86 ? VMK_BOOT_ARCH_X86_64 : VMK_BOOT_ARCH_ARM64);

	if (r < 0) {
		tool_error(mc->path, 0, "NUMA affinity: %s (nodes 0 to %d)", vmk_strerror(r),
			   VMK_MAX_DOMAINS - 1);
		return -1;
	}
	return 0;
}

/*
 * mc->exact: a copy of the parsed entries sanitized with no page alignment.
 * Its messages repeat the main sanitize's, so they go to a scratch sink.
 */
static int sanitize_exact(struct machine *mc, const struct vmk_fwmap_sanitize_opts *opts)
{
	struct vmk_fwmap_sanitize_opts o = *opts;
	struct vmk_fwmap_msg scratch[4];
	struct vmk_fwmap_diag d;
	struct vmk_fwmap_entry *e = calloc(mc->map.cap, sizeof(*e));

	if (!e)
		return -VMK_ENOMEM;
	memcpy(e, mc->map.e, mc->map.n * sizeof(*e));
	mc->exact = mc->map;
	mc->exact.e = e;
	o.page_size = 1;
	vmk_fwmap_diag_init(&d, scratch, 4);
	/* A failure is the main sanitize's too, which reports it. */
	(void)vmk_fwmap_sanitize(&mc->exact, &o, &d);
	return 0;
}

int machine_parse(struct machine *mc, const char *path, const void *buf, size_t len,
		  enum machine_src src, unsigned int phys_bits, size_t efi_desc_size)
{
	const unsigned char *b = buf;
	struct vmk_fwmap_entry *ents = NULL;
	struct vmk_fwmap_msg *msgs = calloc(MACHINE_MAX_MSGS, sizeof(*msgs));
	/* Same-kind neighbours merge even if their raw EFI types differ (code/data). */
	struct vmk_fwmap_sanitize_opts opts = { .phys_bits = phys_bits, .merge_ignores_attr = true };
	size_t parsed = MACHINE_FIRST_PARSED;
	int ret;

	memset(mc, 0, sizeof(*mc));
	mc->path = path;
	mc->diag.msg = msgs;
	if (!msgs) {
		tool_error(path, 0, "out of memory");
		return -1;
	}
	if (len == 0) {
		tool_error(path, 0, "empty file");
		return -1;
	}
	if (src == MACHINE_AUTO) {
		if (is_fdt(b, len))
			src = MACHINE_DTB;
		else if (looks_binary(b, len))
			src = efi_desc_size == 20 || efi_desc_size == 24 ? MACHINE_E820
									: binary_src(buf, len);
		else if (looks_iomem(buf, len))
			src = MACHINE_IOMEM;
		else
			src = MACHINE_DMESG;
	}
	/* Parse into room that doubles while the parser says the map is full. */
	for (;;) {
		/* The room past 'parsed' is sanitize's working space. */
		ents = calloc(vmk_fwmap_sanitize_cap(parsed), sizeof(*ents));
		if (!ents) {
			tool_error(path, 0, "out of memory for %zu map entries", parsed);
			return -1;
		}
		vmk_fwmap_init(&mc->map, ents, parsed);
		vmk_fwmap_diag_init(&mc->diag, msgs, MACHINE_MAX_MSGS);
		ret = parse_src(mc, buf, len, src, efi_desc_size);
		if (ret != -VMK_ENOSPC || parsed >= VMKIT_TOOL_MAX_MAP_ENTRIES)
			break;
		free(ents);
		mc->map.e = NULL;
		parsed *= 2;
	}
	mc->entries_read = mc->map.n;
	if (!ret && src == MACHINE_DTB)
		mc->nnuma = vmk_fwmap_fdt_numa(buf, len, mc->numa, MACHINE_MAX_NUMA);
	else if (!ret && src == MACHINE_DMESG)
		numa_from_log(mc, buf, len);
	if (ret == -VMK_ENOSPC)
		vmk_fwmap_diag_add(&mc->diag, VMK_FWMAP_ERR, VMK_FWMAP_AT_NONE, 0,
				   "more than %zu map entries (the limit, VMKIT_TOOL_MAX_MAP_ENTRIES)",
				   parsed);
	mc->map.cap = vmk_fwmap_sanitize_cap(parsed);
	if (!ret)
		ret = sanitize_exact(mc, &opts);
	if (!ret)
		ret = vmk_fwmap_sanitize(&mc->map, &opts, &mc->diag);
	if (ret) {
		machine_print_diag(mc, VMK_FWMAP_ERR);
		if (mc->diag.errors == 0)
			tool_error(path, 0, "%s (%s input)", vmk_strerror(ret), mc->format_name);
		return -1;
	}
	return 0;
}

void machine_print_diag(const struct machine *mc, enum vmk_fwmap_sev min_sev)
{
	for (size_t i = 0; i < mc->diag.n; i++) {
		const struct vmk_fwmap_msg *m = &mc->diag.msg[i];
		void (*say)(const char *, unsigned int, const char *, ...) =
			m->sev >= VMK_FWMAP_ERR ? tool_error : tool_warning;

		if (m->sev < min_sev)
			continue;
		if (m->where == VMK_FWMAP_AT_LINE)
			say(mc->path, (unsigned int)m->at, "%s", m->text);
		else if (m->where == VMK_FWMAP_AT_ENTRY)
			say(mc->path, 0, "entry %u: %s", (unsigned int)m->at, m->text);
		else if (m->where == VMK_FWMAP_AT_OFFSET)
			say(mc->path, 0, "offset %u: %s", (unsigned int)m->at, m->text);
		else
			say(mc->path, 0, "%s", m->text);
	}
	if (mc->diag.lost)
		tool_warning(mc->path, 0, "%zu more messages not kept", mc->diag.lost);
}

int machine_load(struct machine *mc, const char *path, enum machine_src src,
		 unsigned int phys_bits, size_t efi_desc_size)
{
	size_t len;
	char *buf = tool_read_file(path, &len);
	int ret;

	if (!buf) {
		memset(mc, 0, sizeof(*mc));
		return -1;
	}
	ret = machine_parse(mc, path, buf, len, src, phys_bits, efi_desc_size);
	free(buf);
	return ret;
}

int machine_load_default(struct machine *mc, unsigned int phys_bits)
{
	return machine_parse(mc, "<embedded q35-4G>", vmkit_default_machine,
			     vmkit_default_machine_len, MACHINE_EFI, phys_bits, 0);
}

/* Holes smaller than this are backed too: fewer host mappings, same answer. */
#define BACK_GAP	(1ull << 30)

struct back_range {
	vmk_paddr_t lo, hi;
	bool ram;
};

static int back_cmp(const void *a, const void *b)
{
	const struct back_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

bool machine_back_ram(const struct vmk_fwmap *m)
{
	struct back_range *r = calloc(m->n ? m->n : 1, sizeof(*r));
	size_t n = 0, k = 0;
	bool ok = true;

	if (!r)
		return false;
	for (size_t i = 0; i < m->n; i++) {
		vmk_paddr_t end = m->e[i].base + m->e[i].size;
		bool ram = vmk_mem_kind_is_ram(m->e[i].kind);

		if ((!ram && m->e[i].kind != VMK_MEM_RESERVED) || !m->e[i].size)
			continue;
		if (end < m->e[i].base)		/* ends at 2^64 */
			end = VMK_ALIGN_DOWN(VMK_PADDR_MAX, VMK_PAGE_SIZE);
		r[n].lo = VMK_ALIGN_DOWN(m->e[i].base, VMK_PAGE_SIZE);
		r[n].hi = VMK_ALIGN_DOWN(end, VMK_PAGE_SIZE) + (end % VMK_PAGE_SIZE ? VMK_PAGE_SIZE : 0);
		r[n++].ram = ram;
	}
	qsort(r, n, sizeof(*r), back_cmp);
	/*
	 * One host mapping per cluster of ranges, not one over the whole span:
	 * a reserved window near 1 TiB (QEMU's pc and q35 have one) would make
	 * it a terabyte, which a sanitizer's shadow layout cannot always place.
	 */
	for (size_t i = 0; i < n; i++) {
		if (k && r[i].lo <= r[k - 1].hi + BACK_GAP) {
			r[k - 1].hi = VMK_MAX(r[k - 1].hi, r[i].hi);
			r[k - 1].ram |= r[i].ram;
		} else {
			r[k++] = r[i];
		}
	}
	/* A cluster of reserved ranges only is not memory: backing it is optional. */
	for (size_t i = 0; i < k; i++)
		if (vmk_sim_ram_add(r[i].lo, r[i].hi - r[i].lo) && r[i].ram)
			ok = false;
	free(r);
	return ok && k > 0;
}

void machine_free(struct machine *mc)
{
	free(mc->map.e);
	free(mc->exact.e);
	free(mc->diag.msg);
	mc->map.e = NULL;
	mc->exact.e = NULL;
	mc->diag.msg = NULL;
}
