/*
 * libFuzzer target: the binary E820 table (20- and 24-byte entries, and
 * the entry-size guess). The first byte picks the entry size (0: 20,
 * 1: 24, 2: guessed); the rest is the table. Properties:
 *  - the parse agrees with an independent reading of the raw entries
 *    (disabled 24-byte entries and zero lengths skipped, a wrapping
 *    entry fails the whole table, every field carried over);
 *  - a failed parse leaves the map as it was;
 *  - rendering in Linux's dmesg form and parsing that text gives back
 *    the same ranges and types (the text round trip);
 *  - the sanitized map is sorted, non-overlapping and page-aligned, and
 *    sanitizing again changes nothing.
 */
#include "fuzz_util.h"

#include <vmkit/fwmap.h>
#include "sim.h"

#define CAP 2048

static struct vmk_fwmap_entry ents[CAP], back[CAP], copy[CAP];
static struct vmk_fwmap_msg msgs[32];

/* The expected entries of a table read with entry size esz; -1 if it must fail. */
static long expect(const uint8_t *d, size_t n, size_t esz, struct vmk_fwmap_entry *out)
{
	long k = 0;

	for (size_t i = 0; i + esz <= n; i += esz) {
		const uint8_t *p = d + i;
		uint64_t base = fz_le(p, 8), size = fz_le(p + 8, 8);
		uint32_t type = (uint32_t)fz_le(p + 16, 4), attr = esz == 24 ? (uint32_t)fz_le(p + 20, 4) : 0;

		if (esz == 24 && !(attr & 1))
			continue;
		if (size == 0)
			continue;
		if (base + (size - 1) < base)
			return -1;
		out[k] = (struct vmk_fwmap_entry){ .base = base, .size = size, .fw_type = type,
						   .attr = attr, .src = (uint32_t)(i / esz + 1),
						   .flags = (attr & 2) ? VMK_FWMAP_F_NV : 0 };
		k++;
	}
	return k;
}

static void text_round_trip(const struct vmk_fwmap *m)
{
	struct fz_buf b;
	struct vmk_fwmap t;
	int r;

	fz_buf_init(&b);
	vmk_fwmap_render_e820(m, &b.out, NULL);
	vmk_fwmap_init(&t, back, CAP);
	r = vmk_fwmap_parse_e820_text(&t, b.p ? b.p : "", b.len, NULL);
	if (m->n == 0) {
		FZ_CHECK(r == -VMK_ENOENT, "empty map rendered to something parseable (%d)", r);
		fz_buf_free(&b);
		return;
	}
	FZ_CHECK(r == 0, "the rendering does not parse (%d):\n%s", r, b.p);
	FZ_CHECK(t.n == m->n, "%zu entries back from %zu", t.n, m->n);
	for (size_t i = 0; i < m->n; i++)
		FZ_CHECK(t.e[i].base == m->e[i].base && t.e[i].size == m->e[i].size &&
			 t.e[i].fw_type == m->e[i].fw_type && t.e[i].kind == m->e[i].kind,
			 "entry %zu differs after the text round trip", i);
	fz_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool installed;
	static struct vmk_fwmap_entry want[CAP];
	struct vmk_fwmap m;
	struct vmk_fwmap_diag diag;
	size_t esz, n, bad = 0, n0;
	long k;
	int r;

	if (!installed) {
		vmk_sim_install();
		installed = true;
	}
	if (size < 1)
		return 0;
	esz = data[0] % 3 == 0 ? 20 : data[0] % 3 == 1 ? 24 : 0;
	data++;
	size--;
	n = size;
	if (esz)
		n -= size % esz;
	else if (vmk_fwmap_e820_guess_entry_size(data, n, &esz) == -VMK_EPARSE)
		esz = 0;
	vmk_fwmap_init(&m, ents, CAP);
	vmk_fwmap_diag_init(&diag, msgs, VMK_ARRAY_SIZE(msgs));
	r = vmk_fwmap_parse_e820(&m, data, n, data[-1] % 3 == 2 ? 0 : esz, &diag);
	if (!esz) {
		FZ_CHECK(r != 0 && m.n == 0, "a table no entry size divides parsed (%d)", r);
		return 0;
	}
	if (r == -VMK_EEXIST || r == -VMK_EINVAL) {
		/* The guess could not decide (only without an explicit size). */
		FZ_CHECK(data[-1] % 3 == 2 && m.n == 0, "undecided guess with a size given (%d)", r);
		return 0;
	}
	k = n / esz <= CAP ? expect(data, n, esz, want) : -2;
	if (r) {
		FZ_CHECK(m.n == 0, "a failed parse left %zu entries", m.n);
		FZ_CHECK(k == -1 || (r == -VMK_ENOSPC && k == -2) || (r == -VMK_ENOSPC && k > CAP),
			 "parse failed (%d) but the table reads fine (%ld entries)", r, k);
		return 0;
	}
	FZ_CHECK(k >= 0 && (size_t)k == m.n, "%zu entries parsed, %ld expected", m.n, k);
	for (size_t i = 0; i < m.n; i++) {
		const struct vmk_fwmap_entry *e = &m.e[i], *w = &want[i];

		FZ_CHECK(e->base == w->base && e->size == w->size && e->fw_type == w->fw_type &&
			 e->attr == w->attr && e->src == w->src && e->flags == w->flags &&
			 e->kind == vmk_e820_kind(w->fw_type), "entry %zu differs from the table", i);
	}
	text_round_trip(&m);
	r = vmk_fwmap_sanitize(&m, NULL, NULL);
	FZ_CHECK(r == 0, "sanitize failed (%d)", r);
	FZ_CHECK(vmk_fwmap_check(&m, VMK_PAGE_SIZE, &bad) == 0, "sanitized map breaks the invariants at %zu", bad);
	memcpy(copy, m.e, m.n * sizeof(m.e[0]));
	n0 = m.n;
	FZ_CHECK(vmk_fwmap_sanitize(&m, NULL, NULL) == 0 && m.n == n0 &&
		 memcmp(copy, m.e, n0 * sizeof(m.e[0])) == 0, "sanitize is not idempotent");
	return 0;
}
