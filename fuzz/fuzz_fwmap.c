/*
 * libFuzzer target for fwmap: the input goes to every parser (binary
 * E820 at both entry sizes, E820 and EFI dmesg text, the whole-dmesg
 * entry point, the binary UEFI map with a guessed and with fixed
 * descriptor sizes, and a device tree through the hosted adapter); each
 * result is sanitized with options taken from the input, and the output
 * invariants are asserted: sorted, non-overlapping, page-aligned, merged,
 * idempotent. A parser that fails must leave the map as it was.
 *
 * `make fuzz` builds it with libFuzzer and runs it from its corpus;
 * `make check` replays tests/data/memmaps and fuzz/corpus/fuzz_fwmap/ (a
 * DTB, binary E820 and UEFI tables, every text form) through it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmkit/fwmap.h>
#include "sim.h"
#include "fwmap_fdt.h"

#define CAP 4096

static struct vmk_fwmap_entry storage[CAP];
static struct vmk_fwmap_entry copy[CAP];
static struct vmk_fwmap_msg msgs[64];

static void null_write(void *arg, const char *s, size_t n)
{
	(void)arg;
	(void)s;
	(void)n;
}

#define CHECK(c, what) do {							\
	if (!(c)) {								\
		fprintf(stderr, "fwmap fuzz: %s\n", what);			\
		abort();							\
	}									\
} while (0)

typedef int (*parse_fn)(struct vmk_fwmap *m, const uint8_t *d, size_t n, struct vmk_fwmap_diag *g);

static int p_efi_parse_guess(struct vmk_fwmap *m, const uint8_t *d, size_t n,
			     struct vmk_fwmap_diag *g);

static void run(parse_fn parse, const uint8_t *data, size_t size, uint8_t knobs)
{
	static const unsigned int pages[] = { 1, 0, 16, 0x200000 };
	struct vmk_fwmap m;
	struct vmk_fwmap_diag d;
	struct vmk_fwmap_sanitize_opts o = {
		.phys_bits = (knobs & 0x8) ? 36 : ((knobs & 0x40) ? 64 : 0),
		.beyond = (knobs >> 4) % 3,
		.page_size = pages[knobs & 3],
		.merge_ignores_attr = (knobs & 0x80) != 0,
	};
	struct vmk_out out = { null_write, NULL, 0 };
	size_t page = o.page_size ? o.page_size : VMK_PAGE_SIZE, n0, bad = 0;
	int r;

	/* A pre-existing entry the parser must keep, whatever happens. */
	vmk_fwmap_init(&m, storage, (knobs & 4) ? 8 : CAP);
	vmk_fwmap_diag_init(&d, msgs, VMK_ARRAY_SIZE(msgs));
	CHECK(vmk_fwmap_add(&m, 0x7000, 0x1000, VMK_MEM_NOMAP, VMK_FWMAP_F_NOMAP) == 0, "add");
	n0 = m.n;
	r = parse(&m, data, size, &d);
	if (r) {
		CHECK(m.n == n0, "a failed parse changed the map");
		CHECK(m.e[0].base == 0x7000 && m.e[0].kind == VMK_MEM_NOMAP, "entry clobbered");
		/* (-VMK_EEXIST: a guessed UEFI descriptor size that several sizes fit) */
		CHECK(r == -VMK_EPARSE || r == -VMK_ENOENT || r == -VMK_ENOSPC || r == -VMK_EINVAL ||
		      (r == -VMK_EEXIST && parse == p_efi_parse_guess), "unexpected error code");
	}
	vmk_fwmap_render_table(&m, &out);
	vmk_fwmap_render_e820(&m, &out, NULL);
	vmk_fwmap_diag_print(&d, &out, "fuzz", VMK_FWMAP_INFO);
	m.cap = CAP;
	r = vmk_fwmap_sanitize(&m, &o, &d);
	if (r == -VMK_ERANGE) {
		CHECK(o.beyond == VMK_FWMAP_BEYOND_REFUSE, "ERANGE without REFUSE");
		return;
	}
	if (r == -VMK_ENOSPC)
		return;		/* only possible when the map was nearly full */
	CHECK(r == 0, "sanitize failed");
	CHECK(vmk_fwmap_check(&m, page, &bad) == 0, "sanitized map breaks the invariants");
	for (size_t i = 1; i < m.n; i++) {
		const struct vmk_fwmap_entry *p = &m.e[i - 1], *q = &m.e[i];

		if (p->base + p->size == q->base && p->kind == q->kind && p->flags == q->flags &&
		    (o.merge_ignores_attr || (p->attr == q->attr && p->fw_type == q->fw_type)))
			CHECK(p->base == 0 && q->base + q->size == 0, "touching twins not merged");
	}
	/* Idempotent. */
	memcpy(copy, m.e, m.n * sizeof(m.e[0]));
	n0 = m.n;
	CHECK(vmk_fwmap_sanitize(&m, &o, NULL) == 0, "second sanitize failed");
	CHECK(m.n == n0 && memcmp(copy, m.e, n0 * sizeof(m.e[0])) == 0, "sanitize not idempotent");
}

static int p_e820_20(struct vmk_fwmap *m, const uint8_t *d, size_t n, struct vmk_fwmap_diag *g)
{
	return vmk_fwmap_parse_e820(m, d, n - n % 20, 20, g);
}

static int p_e820_24(struct vmk_fwmap *m, const uint8_t *d, size_t n, struct vmk_fwmap_diag *g)
{
	return vmk_fwmap_parse_e820(m, d, n, 24, g);
}

static int p_e820_text(struct vmk_fwmap *m, const uint8_t *d, size_t n, struct vmk_fwmap_diag *g)
{
	return vmk_fwmap_parse_e820_text(m, (const char *)d, n, g);
}

static int p_efi_text(struct vmk_fwmap *m, const uint8_t *d, size_t n, struct vmk_fwmap_diag *g)
{
	return vmk_fwmap_parse_efi_text(m, (const char *)d, n, g);
}

static int p_dmesg(struct vmk_fwmap *m, const uint8_t *d, size_t n, struct vmk_fwmap_diag *g)
{
	return vmk_fwmap_parse_dmesg(m, (const char *)d, n, g);
}

static int p_efi_guess(struct vmk_fwmap *m, const uint8_t *d, size_t n, struct vmk_fwmap_diag *g)
{
	size_t ds = 0;

	if (vmk_fwmap_efi_guess_desc_size(d, n, &ds))
		return vmk_fwmap_parse_efi(m, d, n, 48, 1, g);
	if (ds < 40 || ds % 8 || n % ds)
		abort();
	return vmk_fwmap_parse_efi(m, d, n, ds, 1, g);
}

static int p_e820_guess(struct vmk_fwmap *m, const uint8_t *d, size_t n, struct vmk_fwmap_diag *g)
{
	return vmk_fwmap_parse_e820(m, d, n, 0, g);
}

static int p_efi_parse_guess(struct vmk_fwmap *m, const uint8_t *d, size_t n,
			     struct vmk_fwmap_diag *g)
{
	return vmk_fwmap_parse_efi_guess(m, d, n, g);
}

static int p_memblock(struct vmk_fwmap *m, const uint8_t *d, size_t n, struct vmk_fwmap_diag *g)
{
	return vmk_fwmap_parse_memblock_debugfs(m, (const char *)d, n, g);
}

static int p_efi_40(struct vmk_fwmap *m, const uint8_t *d, size_t n, struct vmk_fwmap_diag *g)
{
	return vmk_fwmap_parse_efi(m, d, n, 40, 2, g);
}

static int p_fdt(struct vmk_fwmap *m, const uint8_t *d, size_t n, struct vmk_fwmap_diag *g)
{
	/* libfdt wants an aligned blob: copy it. */
	void *blob = malloc(n ? n : 1);
	int r;

	memcpy(blob, d, n);
	r = vmk_fwmap_parse_fdt(m, blob, n, g);
	free(blob);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const parse_fn parsers[] = {
		p_e820_20, p_e820_24, p_e820_text, p_efi_text, p_dmesg, p_efi_guess, p_efi_40, p_fdt,
		p_e820_guess, p_efi_parse_guess, p_memblock,
	};
	static bool installed;
	uint8_t knobs = size ? data[size - 1] : 0;

	if (!installed) {
		vmk_sim_install();
		installed = true;
	}
	for (size_t i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++)
		run(parsers[i], data, size, knobs);
	return 0;
}
