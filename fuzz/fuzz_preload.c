/*
 * libFuzzer target: the loader's preload metadata (FreeBSD MODINFO
 * records) adopted with vmk_preload_parse. Properties:
 *  - a rejection names an 8-byte aligned offset inside the buffer;
 *  - an adopted list ends with END inside the buffer, and the files the
 *    accessors walk are exactly those an independent walk of the records
 *    finds (each NAME starts a file; its first TYPE / ADDR / SIZE before
 *    the next NAME belong to it), searches by name and type return the
 *    first such file, and printing reads only inside the list;
 *  - the files written again with vmk_preload_add_file / add_record parse
 *    back to the same files (a round trip).
 */
#include "fuzz_util.h"

#include <vmkit/preload.h>
#include "sim.h"

#define MAXF 512

static uint64_t buf[4096], buf2[4096];

struct file {
	size_t off;
	const char *name, *type;
	uint64_t addr, size;
	const void *args;
	uint32_t args_len;
	bool has_addr, has_size;
};

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* The files of an adopted list of len bytes, read without the library. */
static size_t walk(const uint8_t *b, size_t len, struct file *f)
{
	size_t off = 0, n = 0;

	for (;;) {
		uint32_t t, l;

		FZ_CHECK(off + 8 <= len, "walk ran past the list");
		t = rd32(b + off);
		l = rd32(b + off + 4);
		if (t == VMK_MODINFO_END)
			break;
		FZ_CHECK(off + 8 + l <= len, "record at %zu runs past the list", off);
		if (t == VMK_MODINFO_NAME && n < MAXF)
			f[n++] = (struct file){ .off = off, .name = (const char *)b + off + 8 };
		else if (n && n <= MAXF) {
			struct file *c = &f[n - 1];
			uint64_t v = 0;

			if (l == 8)
				memcpy(&v, b + off + 8, 8);
			if (t == VMK_MODINFO_TYPE && !c->type)
				c->type = (const char *)b + off + 8;
			else if (t == VMK_MODINFO_ADDR && !c->has_addr) {
				c->addr = v;
				c->has_addr = true;
			} else if (t == VMK_MODINFO_SIZE && !c->has_size) {
				c->size = v;
				c->has_size = true;
			}
			else if (t == VMK_MODINFO_ARGS && !c->args) {
				c->args = b + off + 8;
				c->args_len = l;
			}
		}
		off += 8 + ((l + 7) & ~7ull);
	}
	return n;
}

/* The accessors agree with the walk. */
static void agree(const struct vmk_preload *pl, const struct file *f, size_t n)
{
	vmk_preload_file p = VMK_PRELOAD_NONE;

	for (size_t i = 0; i < n; i++) {
		p = vmk_preload_next(pl, p);
		FZ_CHECK(p == (vmk_preload_file)f[i].off, "file %zu at %ld, walk says %zu", i, p, f[i].off);
		FZ_CHECK(strcmp(vmk_preload_name(pl, p), f[i].name) == 0, "name of file %zu", i);
		FZ_CHECK(f[i].type ? vmk_preload_type(pl, p) && strcmp(vmk_preload_type(pl, p), f[i].type) == 0
				   : vmk_preload_type(pl, p) == NULL, "type of file %zu", i);
		FZ_CHECK(vmk_preload_size(pl, p) == f[i].size && vmk_preload_addr(pl, p) == f[i].addr,
			 "size or address of file %zu", i);
		/* The first file with this name is the one a search finds. */
		for (size_t k = 0; k <= i; k++)
			if (strcmp(f[k].name, f[i].name) == 0) {
				FZ_CHECK(vmk_preload_search_by_name(pl, f[i].name) == (vmk_preload_file)f[k].off,
					 "search_by_name(%s)", f[i].name);
				break;
			}
		if (f[i].type)
			for (size_t k = 0; k <= i; k++)
				if (f[k].type && strcmp(f[k].type, f[i].type) == 0) {
					FZ_CHECK(vmk_preload_search_by_type(pl, f[i].type, VMK_PRELOAD_NONE) ==
						 (vmk_preload_file)f[k].off, "search_by_type(%s)", f[i].type);
					break;
				}
	}
	FZ_CHECK(vmk_preload_next(pl, p) == VMK_PRELOAD_NONE, "more files than the walk found");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct file f[MAXF], g[MAXF];
	struct vmk_preload pl, pl2;
	struct fz_buf out;
	size_t bad = (size_t)-1, n, n2;
	int r;

	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	r = vmk_preload_parse(&pl, buf, size, &bad);
	if (r) {
		FZ_CHECK(r == -VMK_EPARSE && bad <= size && bad % 8 == 0, "error %d at %zu", r, bad);
		return 0;
	}
	FZ_CHECK(pl.len <= size && pl.len >= 8 && rd32(pl.buf + pl.len - 8) == VMK_MODINFO_END, "END");
	n = walk(pl.buf, pl.len, f);
	if (n >= MAXF)
		return 0;
	agree(&pl, f, n);
	fz_buf_init(&out);
	vmk_preload_print(&pl, &out.out);
	fz_buf_free(&out);

	/* Round trip through the writers. */
	FZ_CHECK(vmk_preload_init(&pl2, buf2, sizeof(buf2)) == 0, "init");
	for (size_t i = 0; i < n; i++) {
		r = vmk_preload_add_file(&pl2, f[i].name, f[i].type ? f[i].type : "?", f[i].addr, f[i].size);
		FZ_CHECK(r == 0 || r == -VMK_ENOSPC, "add_file %d", r);
		if (r)
			return 0;
		if (f[i].args && vmk_preload_add_record(&pl2, VMK_MODINFO_ARGS, f[i].args, f[i].args_len))
			return 0;
	}
	FZ_CHECK(vmk_preload_parse(&pl2, buf2, pl2.len, &bad) == 0, "the written list does not parse at %zu", bad);
	n2 = walk(pl2.buf, pl2.len, g);
	FZ_CHECK(n2 == n, "%zu files back from %zu", n2, n);
	for (size_t i = 0; i < n; i++)
		FZ_CHECK(strcmp(g[i].name, f[i].name) == 0 && strcmp(g[i].type, f[i].type ? f[i].type : "?") == 0 &&
			 g[i].addr == f[i].addr && g[i].size == f[i].size &&
			 g[i].args_len == f[i].args_len &&
			 (!f[i].args || memcmp(g[i].args, f[i].args, f[i].args_len) == 0), "file %zu changed", i);
	agree(&pl2, g, n2);
	return 0;
}
