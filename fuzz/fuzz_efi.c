/*
 * libFuzzer target: the binary UEFI memory map at any descriptor size and
 * version. Byte 0 picks the descriptor size (40 + 8k for k < 28, the
 * guess, or byte 1 itself, which may be invalid), byte 1 is also the
 * descriptor version; the rest is the descriptor array. Properties:
 *  - the entries agree with an independent reading of the descriptors
 *    (0-page descriptors skipped; a page count that overflows or a range
 *    that wraps fails the map; fields carried over; fields past the 40
 *    defined bytes ignored whatever the size);
 *  - a failed parse leaves the map as it was; a bad size is -VMK_EINVAL;
 *  - a guessed size divides the length and the guess is unique;
 *  - rendering as E820 text and parsing it back keeps every range;
 *  - the sanitized map is sorted, non-overlapping and page-aligned.
 */
#include "fuzz_util.h"

#include <vmkit/fwmap.h>
#include "sim.h"

#define CAP 2048

static struct vmk_fwmap_entry ents[CAP], back[CAP];
static struct vmk_fwmap_msg msgs[32];

/* Expected entries; -1: the map must fail. */
static long expect(const uint8_t *d, size_t n, size_t ds, struct vmk_fwmap_entry *out)
{
	long k = 0;

	if (n % ds)
		return -1;
	for (size_t i = 0; i < n; i += ds) {
		uint64_t phys = fz_le(d + i + 8, 8), pages = fz_le(d + i + 24, 8), bytes;

		if (pages == 0)
			continue;
		if (pages >= (1ull << 52))
			return -1;
		bytes = pages << 12;
		if (phys + (bytes - 1) < phys)
			return -1;
		out[k++] = (struct vmk_fwmap_entry){ .base = phys, .size = bytes,
						     .fw_type = (uint32_t)fz_le(d + i, 4),
						     .attr = fz_le(d + i + 32, 8),
						     .src = (uint32_t)(i / ds + 1) };
	}
	return k;
}

static void e820_round_trip(const struct vmk_fwmap *m)
{
	struct fz_buf b;
	struct vmk_fwmap t;

	if (!m->n)
		return;
	fz_buf_init(&b);
	vmk_fwmap_render_e820(m, &b.out, NULL);
	vmk_fwmap_init(&t, back, CAP);
	FZ_CHECK(vmk_fwmap_parse_e820_text(&t, b.p, b.len, NULL) == 0, "rendering does not parse:\n%s", b.p);
	FZ_CHECK(t.n == m->n, "%zu entries back from %zu", t.n, m->n);
	for (size_t i = 0; i < m->n; i++)
		FZ_CHECK(t.e[i].base == m->e[i].base && t.e[i].size == m->e[i].size &&
			 t.e[i].fw_type == vmk_mem_kind_e820_type(m->e[i].kind),
			 "entry %zu changed in the E820 text round trip", i);
	fz_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool installed;
	static struct vmk_fwmap_entry want[CAP];
	struct vmk_fwmap m;
	struct vmk_fwmap_diag diag;
	size_t ds = 0, bad = 0;
	uint32_t ver;
	unsigned int sel;
	bool guess = false;
	long k;
	int r;

	if (!installed) {
		vmk_sim_install();
		installed = true;
	}
	if (size < 2)
		return 0;
	sel = data[0] % 32;
	ver = data[1];
	if (sel < 28)
		ds = 40 + 8 * sel;
	else if (sel < 30)
		guess = true;
	else
		ds = data[1];
	data += 2;
	size -= 2;
	vmk_fwmap_init(&m, ents, CAP);
	vmk_fwmap_diag_init(&diag, msgs, VMK_ARRAY_SIZE(msgs));
	if (guess) {
		int g = vmk_fwmap_efi_guess_desc_size(data, size, &ds);

		r = vmk_fwmap_parse_efi_guess(&m, data, size, &diag);
		if (g) {
			FZ_CHECK(r == g && m.n == 0, "guess %d but parse %d", g, r);
			return 0;
		}
		FZ_CHECK(ds >= 40 && ds <= 256 && ds % 8 == 0 && size % ds == 0, "guessed size %zu", ds);
	} else {
		r = vmk_fwmap_parse_efi(&m, data, size, ds, ver, &diag);
		if (ds < 40 || ds % 8) {
			FZ_CHECK(r == -VMK_EINVAL && m.n == 0, "descriptor size %zu accepted (%d)", ds, r);
			return 0;
		}
	}
	k = size / ds <= CAP ? expect(data, size, ds, want) : -2;
	if (r) {
		FZ_CHECK(m.n == 0, "a failed parse left %zu entries", m.n);
		FZ_CHECK(k == -1 || (k == -2 && r == -VMK_ENOSPC), "parse failed (%d), map reads fine", r);
		return 0;
	}
	FZ_CHECK(k >= 0 && (size_t)k == m.n, "%zu entries, %ld expected", m.n, k);
	FZ_CHECK(m.format == VMK_FWMAP_FMT_EFI, "format %u", m.format);
	for (size_t i = 0; i < m.n; i++)
		FZ_CHECK(m.e[i].base == want[i].base && m.e[i].size == want[i].size &&
			 m.e[i].fw_type == want[i].fw_type && m.e[i].attr == want[i].attr &&
			 m.e[i].src == want[i].src, "entry %zu differs from descriptor %u", i, want[i].src);
	e820_round_trip(&m);
	FZ_CHECK(vmk_fwmap_sanitize(&m, NULL, NULL) == 0, "sanitize failed");
	FZ_CHECK(vmk_fwmap_check(&m, VMK_PAGE_SIZE, &bad) == 0, "sanitized map bad at %zu", bad);
	return 0;
}
