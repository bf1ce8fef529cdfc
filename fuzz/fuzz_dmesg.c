/*
 * libFuzzer target: every dmesg / journal text form of a memory map (the
 * E820 lines of every kernel since 2.6 with their edit lines, the EFI
 * "mem.." lines of 3.x and 4.x+, memblock debugfs lists, and the
 * whole-dmesg entry point that picks one). Byte 0 picks a line prefix;
 * the rest is the text. Properties:
 *  - every parser either fails leaving the map as it was, or gives a map
 *    whose entries are non-empty and do not wrap;
 *  - the whole-dmesg result is exactly what the parser it picked gives;
 *  - the same text with a "[    1.234567] " or a journalctl prefix put in
 *    front of every line parses to the same entries (the prefixes are
 *    noise the parsers strip);
 *  - an E820 text result rendered in Linux's form parses back to itself;
 *  - sanitizing any result gives a sorted, non-overlapping map.
 */
#include "fuzz_util.h"

#include <vmkit/fwmap.h>
#include "sim.h"

#define CAP 1024

typedef int (*text_fn)(struct vmk_fwmap *, const char *, size_t, struct vmk_fwmap_diag *);

static struct vmk_fwmap_entry e1[CAP], e2[CAP], e3[CAP];
static struct vmk_fwmap_msg msgs[32];

struct result {
	int r;
	struct vmk_fwmap m;
};

static void parse(text_fn f, const char *t, size_t n, struct vmk_fwmap_entry *st, struct result *out)
{
	struct vmk_fwmap_diag d;

	vmk_fwmap_init(&out->m, st, CAP);
	vmk_fwmap_diag_init(&d, msgs, VMK_ARRAY_SIZE(msgs));
	FZ_CHECK(vmk_fwmap_add(&out->m, 0x7000, 0x1000, VMK_MEM_NOMAP, VMK_FWMAP_F_NOMAP) == 0, "add");
	out->r = f(&out->m, t, n, &d);
	if (out->r) {
		FZ_CHECK(out->m.n == 1 && out->m.e[0].base == 0x7000, "a failed parse changed the map");
		return;
	}
	for (size_t i = 0; i < out->m.n; i++)
		FZ_CHECK(out->m.e[i].size && out->m.e[i].base + (out->m.e[i].size - 1) >= out->m.e[i].base,
			 "entry %zu empty or wrapping", i);
}

static bool same(const struct result *a, const struct result *b, bool src)
{
	if (a->r != b->r || a->m.n != b->m.n)
		return false;
	for (size_t i = 0; i < a->m.n; i++) {
		const struct vmk_fwmap_entry *x = &a->m.e[i], *y = &b->m.e[i];

		if (x->base != y->base || x->size != y->size || x->kind != y->kind ||
		    x->fw_type != y->fw_type || x->attr != y->attr || x->flags != y->flags ||
		    (src && x->src != y->src))
			return false;
	}
	return true;
}

static void sanitized(struct vmk_fwmap *m)
{
	size_t bad = 0;

	m->cap = CAP;
	FZ_CHECK(vmk_fwmap_sanitize(m, NULL, NULL) == 0, "sanitize failed");
	FZ_CHECK(vmk_fwmap_check(m, VMK_PAGE_SIZE, &bad) == 0, "sanitized map bad at %zu", bad);
}

/* The text with prefix put in front of every line (heap; *len set). */
static char *prefixed(const char *t, size_t n, const char *prefix, size_t *len)
{
	size_t pl = strlen(prefix), lines = 1, k = 0;
	char *out;

	for (size_t i = 0; i < n; i++)
		lines += t[i] == '\n';
	out = malloc(n + lines * pl + 1);
	if (!out)
		abort();
	for (size_t i = 0; i <= n; i++) {
		if (i == 0 || t[i - 1] == '\n') {
			if (i == n)
				break;
			memcpy(out + k, prefix, pl);
			k += pl;
		}
		if (i < n)
			out[k++] = t[i];
	}
	*len = k;
	return out;
}

/*
 * Lines that already carry a prefix of their own (a stamp, a syslog level,
 * a "kernel: " anywhere, as a journal line has) would get two, which no
 * log holds.
 */
static bool plain_lines(const char *t, size_t n)
{
	bool start = true;

	if (memmem(t, n, "kernel: ", 8))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (start && (t[i] == '[' || t[i] == '<' || t[i] == ' ' || t[i] == '\t'))
			return false;
		if (t[i] == '\r' || t[i] == 0)
			return false;
		start = t[i] == '\n';
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const text_fn fns[] = {
		vmk_fwmap_parse_e820_text, vmk_fwmap_parse_efi_text, vmk_fwmap_parse_memblock_debugfs,
	};
	static const char *const prefixes[] = {
		"[    1.234567] ", "Dec 03 02:47:03 host kernel: ",
	};
	static bool installed;
	static struct result a, b, c;
	const char *t = (const char *)data + 1;
	size_t n = size ? size - 1 : 0;

	if (!installed) {
		vmk_sim_install();
		installed = true;
	}
	if (size < 1)
		return 0;
	parse(vmk_fwmap_parse_dmesg, t, n, e1, &a);
	if (a.r == 0) {
		bool found = false;

		for (size_t i = 0; i < VMK_ARRAY_SIZE(fns) && !found; i++) {
			parse(fns[i], t, n, e2, &b);
			found = same(&a, &b, true);
		}
		FZ_CHECK(found, "the whole-dmesg map is none of the form parsers' maps");
	}
	for (size_t i = 0; i < VMK_ARRAY_SIZE(fns); i++) {
		parse(fns[i], t, n, e2, &b);
		if (i < 2 && plain_lines(t, n)) {
			size_t pn;
			char *p = prefixed(t, n, prefixes[data[0] & 1], &pn);

			parse(fns[i], p, pn, e3, &c);
			free(p);
			FZ_CHECK(same(&b, &c, true), "parser %zu: a line prefix changed the result (%d vs %d)",
				 i, b.r, c.r);
		}
		if (b.r)
			continue;
		if (i == 0 && b.m.n > 1) {
			/* (a text of only "[gap ...]" lines is a map with no entry) */
			struct fz_buf out;
			struct vmk_fwmap v = b.m;

			/* Without the marker entry (added by code, fw_type 0). */
			v.e++;
			v.n--;
			v.cap--;
			fz_buf_init(&out);
			vmk_fwmap_render_e820(&v, &out.out, NULL);
			parse(fns[0], out.p ? out.p : "", out.len, e3, &c);
			FZ_CHECK(same(&b, &c, false), "the E820 text does not round-trip:\n%s", out.p);
			fz_buf_free(&out);
		}
		sanitized(&b.m);
	}
	return 0;
}
