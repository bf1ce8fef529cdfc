/*
 * Binary tables whose entry size is not given: E820 tables whose length is
 * a multiple of both 20 and 24, and UEFI descriptor arrays. The size is
 * decided from evidence and said in a warning; when the evidence does not
 * decide, the parse refuses and asks for the size (never a silent guess
 * that swallows or invents entries).
 */
#include "fwmap_test.h"

static size_t put_e820(unsigned char *p, size_t esz, uint64_t base, uint64_t size,
		       uint32_t type, uint32_t xattr)
{
	put_le64(p, base);
	put_le64(p + 8, size);
	put_le32(p + 16, type);
	if (esz == 24)
		put_le32(p + 20, xattr);
	return esz;
}

/* A QEMU-like map of n entries of esz bytes. */
static size_t qemu_e820(unsigned char *t, size_t esz, size_t n)
{
	static const struct { uint64_t base, size; uint32_t type; } e[] = {
		{ 0x0, 0x9fc00, VMK_E820_RAM }, { 0x9fc00, 0x400, VMK_E820_RESERVED },
		{ 0xf0000, 0x10000, VMK_E820_RESERVED }, { 0x100000, 0x7fee0000, VMK_E820_RAM },
		{ 0x7ffe0000, 0x20000, VMK_E820_RESERVED }, { 0xfeffc000, 0x4000, VMK_E820_RESERVED },
	};
	size_t o = 0;

	for (size_t i = 0; i < n; i++)
		o += put_e820(t + o, esz, e[i].base, e[i].size, e[i].type, 1);
	return o;
}

static void test_e820_24_multiple_of_20(void **state)
{
	unsigned char t[24 * 5];
	struct fm *f = fm_new(16);
	size_t len = qemu_e820(t, 24, 5), esz = 0;

	(void)state;
	assert_int_equal(len, 120);	/* also 6 x 20 bytes */
	assert_int_equal(vmk_fwmap_e820_guess_entry_size(t, len, &esz), 0);
	assert_int_equal(esz, 24);
	assert_int_equal(vmk_fwmap_parse_e820(&f->m, t, len, 0, &f->d), 0);
	assert_int_equal(f->m.n, 5);
	fm_expect(f, 3, 0x100000, 0x7fee0000, VMK_MEM_USABLE);
	assert_int_equal(f->d.warnings, 1);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 0, "entry size guessed: 24 bytes (5 entries)"));
	/* the explicit size is obeyed without a word */
	vmk_fwmap_clear(&f->m);
	vmk_fwmap_diag_init(&f->d, f->msg, VMK_ARRAY_SIZE(f->msg));
	assert_int_equal(vmk_fwmap_parse_e820(&f->m, t, len, 24, &f->d), 0);
	assert_int_equal(f->m.n, 5);
	assert_int_equal(f->d.warnings, 0);
	free(f);
}

static void test_e820_20_multiple_of_24(void **state)
{
	unsigned char t[20 * 6];
	struct fm *f = fm_new(16);
	size_t len = qemu_e820(t, 20, 6), esz = 0;

	(void)state;
	assert_int_equal(len, 120);
	assert_int_equal(vmk_fwmap_e820_guess_entry_size(t, len, &esz), 0);
	assert_int_equal(esz, 20);
	assert_int_equal(vmk_fwmap_parse_e820(&f->m, t, len, 0, &f->d), 0);
	assert_int_equal(f->m.n, 6);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 0, "entry size guessed: 20 bytes (6 entries)"));
	/* only one size divides: no warning */
	vmk_fwmap_clear(&f->m);
	vmk_fwmap_diag_init(&f->d, f->msg, VMK_ARRAY_SIZE(f->msg));
	assert_int_equal(vmk_fwmap_parse_e820(&f->m, t, 100, 0, &f->d), 0);
	assert_int_equal(f->m.n, 5);
	assert_int_equal(f->d.warnings, 0);
	free(f);
}

static void test_e820_ambiguous_refused(void **state)
{
	uint32_t w[30];
	struct fm *f = fm_new(16);
	size_t esz = 0;

	(void)state;
	/* every dword 1: valid as six 20-byte and as five 24-byte entries */
	for (size_t i = 0; i < 30; i++)
		put_le32((unsigned char *)&w[i], 1);
	assert_int_equal(vmk_fwmap_e820_guess_entry_size(w, sizeof(w), &esz), -VMK_EEXIST);
	assert_int_equal(vmk_fwmap_parse_e820(&f->m, w, sizeof(w), 0, &f->d), -VMK_EINVAL);
	assert_int_equal(f->m.n, 0);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 0, "give the entry size"));
	/* neither size divides */
	assert_int_equal(vmk_fwmap_e820_guess_entry_size(w, 21, &esz), -VMK_EPARSE);
	free(f);
}

/* 48- and 56-byte views of one blob whose every word suits both roles. */
enum role { TYPE, PHYS, VIRT, PAGES, ATTR, TAIL };

static enum role efi_role(size_t word, size_t desc_words)
{
	size_t k = word % desc_words;

	return k < 5 ? (enum role)k : TAIL;
}

/* What a word may hold under role a for one size and role b for the other. */
static uint64_t one(enum role r)
{
	static const uint64_t v[] = { 7, 0x1000, 0x5a, 1, 8, 0x5a };

	return v[r];	/* virt and padding: non-zero, so no size has zero padding */
}

static uint64_t both(enum role a, enum role b)
{
	if (a == VIRT || a == TAIL)
		return one(b);
	if (b == VIRT || b == TAIL)
		return one(a);
	if ((a == TYPE && b == PHYS) || (a == PHYS && b == TYPE))
		return 0;		/* type 0 (reserved), page-aligned 0 */
	if (a == TYPE || b == TYPE)
		return 7;		/* a type, a page count, UC|WC|WT */
	if (a == PHYS || b == PHYS)
		return 0x1000;		/* page aligned, a page count, WP */
	return 8;			/* pages and/or attributes: 8 pages, WB */
}

static void test_efi_guess_warns_and_refuses_ambiguity(void **state)
{
	uint64_t w[42];			/* 336 bytes: 7 x 48 or 6 x 56 */
	struct fm *f = fm_new(16);
	size_t ds = 0;
	size_t len;
	unsigned char *blob;

	(void)state;
	for (size_t i = 0; i < 42; i++)
		put_le64((unsigned char *)&w[i], both(efi_role(i, 6), efi_role(i, 7)));
	assert_int_equal(vmk_fwmap_efi_guess_desc_size(w, sizeof(w), &ds), -VMK_EEXIST);
	assert_int_equal(ds, 48);
	assert_int_equal(vmk_fwmap_parse_efi_guess(&f->m, w, sizeof(w), &f->d), -VMK_EEXIST);
	assert_int_equal(f->m.n, 0);
	assert_true(fm_has(f, VMK_FWMAP_ERR, 0, "ambiguous UEFI descriptor size: 48, 56 bytes"));
	/* a real map: the guess is said, with the size */
	blob = (unsigned char *)th_read_data("memmaps/qemu-q35-ovmf-x86_64-4G.efimap", &len);
	free(f);
	f = fm_new(256);
	assert_int_equal(vmk_fwmap_parse_efi_guess(&f->m, blob, len, &f->d), 0);
	assert_int_equal(f->m.n, 130);
	assert_true(fm_has(f, VMK_FWMAP_WARN, 0, "descriptor size guessed: 48 bytes (130 descriptors)"));
	/* nothing fits */
	assert_int_equal(vmk_fwmap_parse_efi_guess(&f->m, blob, 44, &f->d), -VMK_EPARSE);
	free(blob);
	free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e820_24_multiple_of_20),
		cmocka_unit_test(test_e820_20_multiple_of_24),
		cmocka_unit_test(test_e820_ambiguous_refused),
		cmocka_unit_test(test_efi_guess_warns_and_refuses_ambiguity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
