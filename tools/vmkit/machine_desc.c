/*
 * The machine-description parser of `vmkit boot` (format: docs/boot-sim.md).
 * One directive per line, tokens separated by blanks, '#' starts a
 * comment. Errors name the line; the first one stops the parse.
 */
#include "machine_desc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmkit/lib.h>
#include <vmkit/pmap.h>

#define MAX_TOK 16

struct pctx {
	const char *name;
	unsigned int line;
};

static int perr(const struct pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(const struct pctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vmkit boot: %s:%u: ", c->name, c->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static bool num(const char *s, uint64_t *v)
{
	struct vmk_str str = { s, strlen(s) };
	size_t used;

	return vmk_parse_size(str, v, &used) == 0 && used == str.len;
}

static int want_num(const struct pctx *c, const char *what, const char *s, uint64_t *v)
{
	if (!num(s, v))
		return perr(c, "%s: '%s' is not a number or size", what, s);
	return 0;
}

static int want_u32(const struct pctx *c, const char *what, const char *s, uint32_t *v)
{
	uint64_t x;

	if (want_num(c, what, s, &x))
		return -1;
	if (x > UINT32_MAX)
		return perr(c, "%s: '%s' does not fit 32 bits", what, s);
	*v = (uint32_t)x;
	return 0;
}

/* "key=value": the value if tok starts with key=, else NULL. */
static const char *kv(const char *tok, const char *key)
{
	size_t n = strlen(key);

	return !strncmp(tok, key, n) && tok[n] == '=' ? tok + n + 1 : NULL;
}

static int copy_str(const struct pctx *c, const char *what, char *dst, size_t cap, const char *s)
{
	if (strlen(s) >= cap)
		return perr(c, "%s: longer than %zu characters", what, cap - 1);
	strcpy(dst, s);
	return 0;
}

static int p_firmware(struct machine_desc *d, const struct pctx *c, char **t, int n)
{
	if (n < 2 || n > 3)
		return perr(c, "firmware: want 'firmware FILE [auto|efi|e820|dtb|iomem|dmesg]'");
	if (d->nmem)
		return perr(c, "firmware: the memory is already given by 'memory' lines");
	if (d->firmware[0])
		return perr(c, "firmware: given twice");
	d->fw_src = MACHINE_AUTO;
	if (n == 3 && strcmp(t[2], "auto")) {
		char opt[16];

		snprintf(opt, sizeof(opt), "--%s", t[2]);
		if (!machine_src_from_option(opt, &d->fw_src) || !strcmp(t[2], "machine"))
			return perr(c, "firmware: unknown format '%s'", t[2]);
	}
	return copy_str(c, "firmware", d->firmware, sizeof(d->firmware), t[1]);
}

static int p_memory(struct machine_desc *d, const struct pctx *c, char **t, int n)
{
	static const char *const kinds[] = { "usable", "reserved", "acpi", "nvs", "unusable", "persistent" };
	struct md_memory *m;
	bool known = false;

	if (n < 3 || n > 4)
		return perr(c, "memory: want 'memory BASE SIZE [usable|reserved|acpi|nvs|unusable|persistent]'");
	if (d->firmware[0])
		return perr(c, "memory: the memory is already given by a firmware map");
	if (d->nmem == MD_MAX_MEMORY)
		return perr(c, "memory: more than %d lines", MD_MAX_MEMORY);
	m = &d->mem[d->nmem];
	if (want_num(c, "memory BASE", t[1], &m->base) || want_num(c, "memory SIZE", t[2], &m->size))
		return -1;
	if (!m->size || m->base + m->size < m->base)
		return perr(c, "memory: empty or wrapping range");
	snprintf(m->kind, sizeof(m->kind), "%s", n == 4 ? t[3] : "usable");
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		known |= !strcmp(m->kind, kinds[k]);
	if (!known)
		return perr(c, "memory: unknown kind '%s'", m->kind);
	d->nmem++;
	return 0;
}

static int p_node(struct machine_desc *d, const struct pctx *c, char **t, int n)
{
	struct md_node_range *r;
	uint64_t nid;

	if (n != 4)
		return perr(c, "node: want 'node N BASE SIZE'");
	if (d->nnode == MD_MAX_NODE_RANGES)
		return perr(c, "node: more than %d lines", MD_MAX_NODE_RANGES);
	r = &d->node[d->nnode];
	if (want_num(c, "node N", t[1], &nid))
		return -1;
	if (nid >= MD_MAX_NODES)
		return perr(c, "node: %s is not a node from 0 to %d", t[1], MD_MAX_NODES - 1);
	r->nid = (unsigned int)nid;
	if (want_num(c, "node BASE", t[2], &r->base) || want_num(c, "node SIZE", t[3], &r->size))
		return -1;
	if (!r->size || r->base + r->size < r->base)
		return perr(c, "node: empty or wrapping range");
	d->nnode++;
	return 0;
}

/* "node-cpus N A[-B][,C...]" */
static int p_node_cpus(struct machine_desc *d, const struct pctx *c, char **t, int n)
{
	uint64_t nid;
	char buf[256], *save = NULL;

	if (n != 3)
		return perr(c, "node-cpus: want 'node-cpus N FIRST[-LAST][,...]'");
	if (want_num(c, "node-cpus N", t[1], &nid))
		return -1;
	if (nid >= MD_MAX_NODES)
		return perr(c, "node-cpus: %s is not a node from 0 to %d", t[1], MD_MAX_NODES - 1);
	snprintf(buf, sizeof(buf), "%s", t[2]);
	for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		char *dash = strchr(p, '-');
		uint64_t a, b;

		if (dash)
			*dash = 0;
		if (want_num(c, "node-cpus", p, &a) || want_num(c, "node-cpus", dash ? dash + 1 : p, &b))
			return -1;
		if (a > b || b >= MD_MAX_CPUS)
			return perr(c, "node-cpus: bad CPU range (CPUs are 0 to %d)", MD_MAX_CPUS - 1);
		for (uint64_t i = a; i <= b; i++)
			d->cpu_node[i] = (uint8_t)nid;
	}
	return 0;
}

static int p_cpu_id(struct machine_desc *d, const struct pctx *c, char **t, int n)
{
	for (int i = 1; i < n; i++) {
		const char *v;

		if ((v = kv(t[i], "signature"))) {
			if (want_u32(c, "cpu-id signature", v, &d->cpu_signature))
				return -1;
		} else if ((v = kv(t[i], "platform"))) {
			if (want_u32(c, "cpu-id platform", v, &d->cpu_platform))
				return -1;
			if (d->cpu_platform > 7)
				return perr(c, "cpu-id: platform is the platform ID, 0 to 7");
		} else if ((v = kv(t[i], "revision"))) {
			if (want_u32(c, "cpu-id revision", v, &d->cpu_revision))
				return -1;
		} else {
			return perr(c, "cpu-id: unknown field '%s' (signature=, platform=, revision=)", t[i]);
		}
	}
	return 0;
}

static int p_kernel(struct machine_desc *d, const struct pctx *c, char **t, int n)
{
	for (int i = 1; i < n; i++) {
		static const char *const keys[] = { "text", "rodata", "data", "bss" };
		uint64_t *dst[] = { &d->text, &d->rodata, &d->data, &d->bss };
		const char *v;
		bool done = false;

		for (int k = 0; k < 4 && !done; k++) {
			if ((v = kv(t[i], keys[k]))) {
				if (want_num(c, keys[k], v, dst[k]))
					return -1;
				done = true;
			}
		}
		if (done)
			continue;
		if ((v = kv(t[i], "at"))) {
			if (want_num(c, "kernel at", v, &d->kernel_addr))
				return -1;
			if (d->kernel_addr % (2 * VMK_MiB))
				return perr(c, "kernel: at= must be 2 MiB aligned");
			d->kernel_fixed = true;
		} else {
			return perr(c, "kernel: unknown field '%s' (text=, rodata=, data=, bss=, at=)", t[i]);
		}
	}
	if (!d->text)
		return perr(c, "kernel: text= must not be 0");
	return 0;
}

static int add_module(struct machine_desc *d, const struct pctx *c, const char *path,
		      const char *type, uint64_t size, bool unload)
{
	struct md_module *m;

	if (d->nmod == MD_MAX_MODULES)
		return perr(c, "more than %d preloaded files", MD_MAX_MODULES);
	if (path[0] != '/')
		return perr(c, "'%s': the loader records full paths (start with '/')", path);
	for (size_t i = 0; i < d->nmod; i++)
		if (!strcmp(d->mod[i].path, path))
			return perr(c, "'%s' is preloaded twice", path);
	m = &d->mod[d->nmod];
	memset(m, 0, sizeof(*m));
	if (copy_str(c, "path", m->path, sizeof(m->path), path) ||
	    copy_str(c, "type", m->type, sizeof(m->type), type))
		return -1;
	m->size = size;
	m->unload = unload;
	d->nmod++;
	return 0;
}

static int p_module(struct machine_desc *d, const struct pctx *c, char **t, int n)
{
	uint64_t size;
	bool unload = false;

	if (n < 4 || n > 5 || (n == 5 && strcmp(t[4], "unload")))
		return perr(c, "module: want 'module PATH TYPE SIZE [unload]'");
	if (!strcmp(t[2], "cpu_microcode"))
		return perr(c, "module: give the microcode bundle with 'microcode PATH' and 'ucode' lines");
	if (want_num(c, "module SIZE", t[3], &size))
		return -1;
	if (!size)
		return perr(c, "module: size 0");
	unload = n == 5;
	return add_module(d, c, t[1], t[2], size, unload);
}

static int p_microcode(struct machine_desc *d, const struct pctx *c, char **t, int n)
{
	const char *v;

	if (n < 2 || n > 3)
		return perr(c, "microcode: want 'microcode PATH [release=yes|no]'");
	for (size_t i = 0; i < d->nmod; i++)
		if (!strcmp(d->mod[i].type, "cpu_microcode"))
			return perr(c, "microcode: one bundle per machine");
	if (n == 3) {
		if (!(v = kv(t[2], "release")) || (strcmp(v, "yes") && strcmp(v, "no")))
			return perr(c, "microcode: want release=yes or release=no");
		d->ucode_release = !strcmp(v, "yes");
	}
	/* The size is known once every ucode line is read. */
	return add_module(d, c, t[1], "cpu_microcode", 0, false);
}

static int p_ucode(struct machine_desc *d, const struct pctx *c, char **t, int n)
{
	struct md_ucode *u;

	if (d->nucode == MD_MAX_UCODE)
		return perr(c, "ucode: more than %d updates", MD_MAX_UCODE);
	u = &d->ucode[d->nucode];
	memset(u, 0, sizeof(*u));
	u->size = 2048;
	for (int i = 1; i < n; i++) {
		const char *v;

		if ((v = kv(t[i], "signature"))) {
			if (want_u32(c, "ucode signature", v, &u->signature))
				return -1;
		} else if ((v = kv(t[i], "platform"))) {
			/* A mask of platform IDs, as the header's processor flags. */
			if (want_u32(c, "ucode platform", v, &u->platform))
				return -1;
			if (u->platform > 0xff)
				return perr(c, "ucode: platform is an 8-bit mask of platform IDs");
		} else if ((v = kv(t[i], "revision"))) {
			if (want_u32(c, "ucode revision", v, &u->revision))
				return -1;
		} else if ((v = kv(t[i], "size"))) {
			if (want_num(c, "ucode size", v, &u->size))
				return -1;
		} else if (!strcmp(t[i], "ext")) {
			u->ext = true;
		} else if (!strcmp(t[i], "corrupt")) {
			u->corrupt = true;
		} else {
			return perr(c, "ucode: unknown field '%s' (signature=, platform=, revision=, size=, ext, corrupt)",
				    t[i]);
		}
	}
	if (u->size < 1024 || u->size % 16 || u->size > 16 * VMK_MiB)
		return perr(c, "ucode: size must be a multiple of 16 from 1K to 16M");
	d->nucode++;
	return 0;
}

static int p_bad(struct machine_desc *d, const struct pctx *c, char **t, int n)
{
	for (int i = 1; i < n; i++) {
		if (d->nbad == MD_MAX_BAD)
			return perr(c, "bad: more than %d frames", MD_MAX_BAD);
		if (want_num(c, "bad", t[i], &d->bad[d->nbad]))
			return -1;
		d->nbad++;
	}
	return n > 1 ? 0 : perr(c, "bad: want 'bad ADDR...'");
}

/* "r--", "r-x", "rw-": the protection of an image section (W^X is the pmap's to refuse). */
static bool prot_word(const char *w, uint32_t *prot)
{
	if (strlen(w) != 3 || w[0] != 'r' || (w[1] != 'w' && w[1] != '-') || (w[2] != 'x' && w[2] != '-'))
		return false;
	*prot = VMK_PROT_READ | (w[1] == 'w' ? VMK_PROT_WRITE : 0) | (w[2] == 'x' ? VMK_PROT_EXEC : 0);
	return true;
}

/* image PA VA PROT:SIZE...: the kernel image where a loader placed it, by section. */
static int p_image(struct machine_desc *d, const struct pctx *c, char **t, int n)
{
	if (n < 4)
		return perr(c, "image: want 'image PA VA PROT:SIZE...'");
	if (d->have_image)
		return perr(c, "image: given twice");
	if (want_num(c, "image PA", t[1], &d->image_pa) || want_num(c, "image VA", t[2], &d->image_va))
		return -1;
	if ((d->image_pa | d->image_va) % VMK_PAGE_SIZE)
		return perr(c, "image: PA and VA must be 4K aligned");
	for (int i = 3; i < n; i++) {
		char w[8];
		const char *colon = strchr(t[i], ':');
		struct md_section *sc = &d->sect[d->nsect];

		if (d->nsect == MD_MAX_SECTIONS)
			return perr(c, "image: more than %d sections", MD_MAX_SECTIONS);
		if (!colon || colon - t[i] >= (long)sizeof(w))
			return perr(c, "image: '%s' is not PROT:SIZE", t[i]);
		snprintf(w, sizeof(w), "%.*s", (int)(colon - t[i]), t[i]);
		if (!prot_word(w, &sc->prot))
			return perr(c, "image: '%s' is not r--, r-x or rw-", w);
		if (want_num(c, "image section", colon + 1, &sc->size))
			return -1;
		if (!sc->size || sc->size % VMK_PAGE_SIZE)
			return perr(c, "image: section sizes are non-zero multiples of 4K");
		d->nsect++;
	}
	d->have_image = true;
	return 0;
}

/* device VA PA SIZE uc|wc|wb|device */
static int p_device(struct machine_desc *d, const struct pctx *c, char **t, int n)
{
	static const char *const types[] = { "wb", "uc", "wc", "device" };
	struct md_device *dv = &d->dev[d->ndev];
	unsigned int k;

	if (n != 5)
		return perr(c, "device: want 'device VA PA SIZE uc|wc|wb|device'");
	if (d->ndev == MD_MAX_DEVICES)
		return perr(c, "device: more than %d", MD_MAX_DEVICES);
	if (want_num(c, "device VA", t[1], &dv->va) || want_num(c, "device PA", t[2], &dv->pa) ||
	    want_num(c, "device size", t[3], &dv->size))
		return -1;
	if ((dv->va | dv->pa | dv->size) % VMK_PAGE_SIZE || !dv->size)
		return perr(c, "device: VA, PA and SIZE must be 4K aligned, SIZE not 0");
	for (k = 0; k < 4 && strcmp(t[4], types[k]); k++)
		;
	if (k == 4)
		return perr(c, "device: type '%s' is not uc, wc, wb or device", t[4]);
	dv->memtype = k;	/* VMK_MEMTYPE_WB, _UC, _WC, _DEVICE */
	d->ndev++;
	return 0;
}

/* pmap [1g=yes|no] [tmp=VA dmap=SIZE] */
static int p_pmap(struct machine_desc *d, const struct pctx *c, char **t, int n)
{
	const char *v;

	for (int i = 1; i < n; i++) {
		if ((v = kv(t[i], "1g")) && (!strcmp(v, "yes") || !strcmp(v, "no"))) {
			d->pmap_no_1g = !strcmp(v, "no");
		} else if ((v = kv(t[i], "tmp"))) {
			if (want_num(c, "pmap tmp", v, &d->pmap_tmp_va))
				return -1;
		} else if ((v = kv(t[i], "dmap"))) {
			if (want_num(c, "pmap dmap", v, &d->pmap_dmap_size))
				return -1;
		} else {
			return perr(c, "pmap: unknown field '%s' (1g=yes|no, tmp=VA, dmap=SIZE)", t[i]);
		}
	}
	if (!d->pmap_tmp_va != !d->pmap_dmap_size || d->pmap_tmp_va % VMK_PAGE_SIZE)
		return perr(c, "pmap: tmp= (4K aligned) and dmap= go together");
	return 0;
}

static int directive(struct machine_desc *d, const struct pctx *c, char **t, int n,
		     const char *rest)
{
	const char *k = t[0];
	uint64_t v;

	if (!strcmp(k, "name"))
		return n == 2 ? copy_str(c, "name", d->name, sizeof(d->name), t[1])
			      : perr(c, "name: want one word");
	if (!strcmp(k, "arch")) {
		if (n == 2 && (!strcmp(t[1], "x86_64") || !strcmp(t[1], "x86-64")))
			d->arch = MD_ARCH_X86_64;
		else if (n == 2 && (!strcmp(t[1], "arm64") || !strcmp(t[1], "aarch64")))
			d->arch = MD_ARCH_ARM64;
		else
			return perr(c, "arch: want x86_64 or arm64");
		return 0;
	}
	if (!strcmp(k, "firmware"))
		return p_firmware(d, c, t, n);
	if (!strcmp(k, "memory"))
		return p_memory(d, c, t, n);
	if (!strcmp(k, "cpus")) {
		if (n != 2 || want_num(c, "cpus", t[1], &v))
			return n != 2 ? perr(c, "cpus: want 'cpus N'") : -1;
		if (v < 1 || v > MD_MAX_CPUS)
			return perr(c, "cpus: %s is not from 1 to %d", t[1], MD_MAX_CPUS);
		d->cpus = (unsigned int)v;
		return 0;
	}
	if (!strcmp(k, "node"))
		return p_node(d, c, t, n);
	if (!strcmp(k, "node-cpus"))
		return p_node_cpus(d, c, t, n);
	if (!strcmp(k, "cpu-id"))
		return p_cpu_id(d, c, t, n);
	if (!strcmp(k, "kernel"))
		return p_kernel(d, c, t, n);
	if (!strcmp(k, "module"))
		return p_module(d, c, t, n);
	if (!strcmp(k, "microcode"))
		return p_microcode(d, c, t, n);
	if (!strcmp(k, "ucode"))
		return p_ucode(d, c, t, n);
	if (!strcmp(k, "cmdline"))
		return copy_str(c, "cmdline", d->cmdline, sizeof(d->cmdline), rest);
	if (!strcmp(k, "bad"))
		return p_bad(d, c, t, n);
	if (!strcmp(k, "image"))
		return p_image(d, c, t, n);
	if (!strcmp(k, "device"))
		return p_device(d, c, t, n);
	if (!strcmp(k, "pmap"))
		return p_pmap(d, c, t, n);
	if (!strcmp(k, "boot-services")) {
		if (n != 2 || strcmp(t[1], "late"))
			return perr(c, "boot-services: want 'boot-services late'");
		d->bs_late = true;
		return 0;
	}
	if (!strcmp(k, "kmem")) {
		if (n != 3 || want_num(c, "kmem base", t[1], &d->kmem_base) ||
		    want_num(c, "kmem size", t[2], &d->kmem_size))
			return n != 3 ? perr(c, "kmem: want 'kmem BASE SIZE'") : -1;
		if (!d->kmem_size || (d->kmem_base | d->kmem_size) % (2 * VMK_MiB))
			return perr(c, "kmem: BASE and SIZE must be multiples of 2M, SIZE not 0");
		return 0;
	}
	if (!strcmp(k, "percpu")) {
		bool strat = n == 3 && (!strcmp(t[2], "alone") || !strcmp(t[2], "rendezvous"));

		if ((n != 2 && !strat) || want_num(c, "percpu", t[1], &v))
			return n != 2 && !strat ? perr(c, "percpu: want 'percpu SIZE [alone|rendezvous]'") : -1;
		d->percpu_rendezvous = strat && !strcmp(t[2], "rendezvous");
		if (!v || v % VMK_PAGE_SIZE || v > 2 * VMK_MiB)
			return perr(c, "percpu: want a multiple of 4K up to 2M");
		d->percpu_size = v;
		return 0;
	}
	return perr(c, "unknown directive '%s'", k);
}

int machine_desc_parse(struct machine_desc *d, const char *name, const char *text, size_t len)
{
	struct pctx c = { name, 0 };
	size_t pos = 0;

	memset(d, 0, sizeof(*d));
	d->cpus = 1;
	d->text = 8 * VMK_MiB;
	d->rodata = 2 * VMK_MiB;
	d->data = 1 * VMK_MiB;
	d->bss = 1 * VMK_MiB;
	d->ucode_release = true;
	d->percpu_size = 64 * VMK_KiB;
	while (pos < len) {
		char line[1200], raw[1200], *t[MAX_TOK], *save = NULL, *hash;
		const char *rest = "";
		size_t e = pos, rl;
		int n = 0;

		while (e < len && text[e] != '\n')
			e++;
		c.line++;
		if (e - pos >= sizeof(line))
			return perr(&c, "line longer than %zu characters", sizeof(line) - 1);
		memcpy(line, text + pos, e - pos);
		line[e - pos] = 0;
		if (strlen(line) != e - pos)
			return perr(&c, "a NUL byte: not a text file");
		pos = e + 1;
		if ((hash = strchr(line, '#')))
			*hash = 0;
		memcpy(raw, line, strlen(line) + 1);
		for (char *p = strtok_r(line, " \t\r", &save); p; p = strtok_r(NULL, " \t\r", &save)) {
			if (n == MAX_TOK && strcmp(t[0], "cmdline"))
				return perr(&c, "more than %d words", MAX_TOK);
			if (n < MAX_TOK)
				t[n++] = p;
		}
		if (!n)
			continue;
		if (n > 1) {
			/* The rest of the line as written (for cmdline), less trailing blanks. */
			rest = raw + (t[1] - line);
			rl = strlen(rest);
			while (rl && (rest[rl - 1] == ' ' || rest[rl - 1] == '\t' || rest[rl - 1] == '\r'))
				raw[(size_t)(rest - raw) + --rl] = 0;
		}
		if (directive(d, &c, t, n, rest))
			return -1;
	}
	c.line = 0;
	if (!d->firmware[0] && !d->nmem) {
		fprintf(stderr, "vmkit boot: %s: no memory: give 'firmware FILE' or 'memory' lines\n", name);
		return -1;
	}
	for (size_t i = 0; i < d->nmod; i++)
		if (!strcmp(d->mod[i].type, "cpu_microcode") && !d->nucode) {
			fprintf(stderr, "vmkit boot: %s: 'microcode' without any 'ucode' line\n", name);
			return -1;
		}
	if (d->have_image && d->nmod) {
		fprintf(stderr, "vmkit boot: %s: 'image' places the kernel alone: no 'module' or 'microcode' lines\n",
			name);
		return -1;
	}
	if (d->nucode) {
		bool have = false;

		for (size_t i = 0; i < d->nmod; i++)
			have |= !strcmp(d->mod[i].type, "cpu_microcode");
		if (!have) {
			fprintf(stderr, "vmkit boot: %s: 'ucode' lines without a 'microcode PATH' bundle\n", name);
			return -1;
		}
	}
	return 0;
}

uint64_t machine_desc_image_size(const struct machine_desc *d)
{
	return VMK_ALIGN_UP(d->text, VMK_PAGE_SIZE) + VMK_ALIGN_UP(d->rodata, VMK_PAGE_SIZE) +
	       VMK_ALIGN_UP(d->data, VMK_PAGE_SIZE) + VMK_ALIGN_UP(d->bss, VMK_PAGE_SIZE);
}

/* E820 text for inline memory lines ("BIOS-e820: [mem a-b] type"). */
static char *inline_e820(const struct machine_desc *d, size_t *len)
{
	static const struct { const char *kind, *e820; } names[] = {
		{ "usable", "usable" }, { "reserved", "reserved" }, { "acpi", "ACPI data" },
		{ "nvs", "ACPI NVS" }, { "unusable", "unusable" }, { "persistent", "persistent (type 7)" },
	};
	size_t cap = 64 + d->nmem * 96, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	for (size_t i = 0; i < d->nmem; i++) {
		const char *e = "usable";

		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (!strcmp(names[k].kind, d->mem[i].kind))
				e = names[k].e820;
		n += (size_t)snprintf(buf + n, cap - n, "BIOS-e820: [mem 0x%016llx-0x%016llx] %s\n",
				      (unsigned long long)d->mem[i].base,
				      (unsigned long long)(d->mem[i].base + d->mem[i].size - 1), e);
	}
	*len = n;
	return buf;
}

int machine_desc_load_map(const struct machine_desc *d, const char *dir, bool embedded,
			  struct machine *mc)
{
	char path[2 * MD_PATH_MAX + 2];
	const char *base;

	if (d->nmem) {
		size_t len;
		char *text = inline_e820(d, &len);
		int r;

		if (!text) {
			fprintf(stderr, "vmkit boot: out of memory\n");
			return -1;
		}
		r = machine_parse(mc, "<memory lines>", text, len, MACHINE_E820, 0, 0);
		free(text);
		return r;
	}
	base = strrchr(d->firmware, '/');
	base = base ? base + 1 : d->firmware;
	if (embedded) {
		/* The embedded description names the map embedded next to it. */
		if (strcmp(base, "qemu-q35-ovmf-x86_64-4G.efimap")) {
			fprintf(stderr, "vmkit boot: the embedded description names '%s', which is not embedded\n",
				d->firmware);
			return -1;
		}
		return machine_load_default(mc, 0);
	}
	if (d->firmware[0] == '/' || !dir[0])
		snprintf(path, sizeof(path), "%s", d->firmware);
	else
		snprintf(path, sizeof(path), "%s/%s", dir, d->firmware);
	return machine_load(mc, path, d->fw_src, 0, 0);
}
