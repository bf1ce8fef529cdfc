/* Helpers shared by the tests/test_fwmap_*.c tests (header only). */
#ifndef VMKIT_TEST_FWMAP_H
#define VMKIT_TEST_FWMAP_H

#include "harness.h"
#include <vmkit/fwmap.h>

/* A map and a diagnostics sink with generous storage. */
struct fm {
	struct vmk_fwmap m;
	struct vmk_fwmap_diag d;
	struct vmk_fwmap_entry st[8192];
	struct vmk_fwmap_msg msg[512];
};

static inline struct fm *fm_new(size_t cap)
{
	struct fm *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_true(cap <= VMK_ARRAY_SIZE(f->st));
	vmk_fwmap_init(&f->m, f->st, cap);
	vmk_fwmap_diag_init(&f->d, f->msg, VMK_ARRAY_SIZE(f->msg));
	return f;
}

static inline void fm_stdout(void *arg, const char *s, size_t n)
{
	(void)arg;
	fwrite(s, 1, n, stderr);
}

/* Print the diagnostics (for a failing test's log). */
static inline void fm_dump(const struct fm *f)
{
	struct vmk_out o = { fm_stdout, NULL, 0 };

	vmk_fwmap_diag_print(&f->d, &o, "diag", VMK_FWMAP_INFO);
}

/* True if a message of severity sev at 'at' (0: any) contains substr. */
static inline bool fm_has(const struct fm *f, int sev, uint32_t at, const char *substr)
{
	for (size_t i = 0; i < f->d.n; i++) {
		const struct vmk_fwmap_msg *m = &f->d.msg[i];

		if (m->sev == sev && (at == 0 || m->at == at) && strstr(m->text, substr))
			return true;
	}
	return false;
}

/* Parse text with parse(); fail the test (showing the diagnostics) unless it returns want. */
#define FM_PARSE_TEXT(f, fn, text, want) do {					\
	int fm__r = fn(&(f)->m, (text), strlen(text), &(f)->d);		\
	if (fm__r != (want)) {							\
		fm_dump(f);							\
		fail_msg("%s returned %d, expected %d", #fn, fm__r, (want));	\
	}									\
} while (0)

static inline void fm_expect(const struct fm *f, size_t i, uint64_t base, uint64_t size,
			     uint32_t kind)
{
	assert_true(i < f->m.n);
	if (f->m.e[i].base != base || f->m.e[i].size != size || f->m.e[i].kind != kind)
		fail_msg("entry %zu: got [0x%llx +0x%llx] %s, expected [0x%llx +0x%llx] %s", i,
			 (unsigned long long)f->m.e[i].base, (unsigned long long)f->m.e[i].size,
			 vmk_mem_kind_name(f->m.e[i].kind), (unsigned long long)base,
			 (unsigned long long)size, vmk_mem_kind_name(kind));
}

/* Little-endian stores for building binary tables. */
static inline void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline void put_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* One EFI descriptor at p (desc_size bytes, the rest zero). */
static inline void put_efi(unsigned char *p, size_t desc_size, uint32_t type, uint64_t phys,
			   uint64_t pages, uint64_t attr)
{
	memset(p, 0, desc_size);
	put_le32(p, type);
	put_le64(p + 8, phys);
	put_le64(p + 16, 0);
	put_le64(p + 24, pages);
	put_le64(p + 32, attr);
}

/* A sink that collects output into a malloc'd string. */
struct fm_text {
	struct vmk_out out;
	char *s;
	size_t len;
};

static inline void fm_text_write(void *arg, const char *s, size_t n)
{
	struct fm_text *t = arg;

	t->s = realloc(t->s, t->len + n + 1);
	assert_non_null(t->s);
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static inline void fm_text_init(struct fm_text *t)
{
	t->out = (struct vmk_out){ fm_text_write, t, 0 };
	t->s = calloc(1, 1);
	t->len = 0;
}

#endif
