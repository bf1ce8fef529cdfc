/*
 * The preload record list: building, adopting a loader's list, searching
 * and iterating. Records are read with memcpy: the list is a byte buffer.
 */
#include "preload_internal.h"

#define REC_HDR		8u
#define REC_ALIGN	8u

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	vmk_memcpy(&v, p, 4);
	return v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	vmk_memcpy(p, &v, 4);
}

static size_t rec_span(uint32_t len)
{
	return REC_HDR + ((len + REC_ALIGN - 1) & ~(size_t)(REC_ALIGN - 1));
}

static uint32_t rec_type(const struct vmk_preload *pl, size_t off)
{
	return rd32(pl->buf + off);
}

static uint32_t rec_len(const struct vmk_preload *pl, size_t off)
{
	return rd32(pl->buf + off + 4);
}

static size_t rec_next(const struct vmk_preload *pl, size_t off)
{
	return off + rec_span(rec_len(pl, off));
}

int vmk_preload_init(struct vmk_preload *pl, void *buf, size_t cap)
{
	if (!buf || ((uintptr_t)buf & (REC_ALIGN - 1)) || cap < REC_HDR)
		return -VMK_EINVAL;
	pl->buf = buf;
	pl->cap = cap;
	pl->len = REC_HDR;
	wr32(pl->buf, VMK_MODINFO_END);
	wr32(pl->buf + 4, 0);
	return 0;
}

/* Append one record before END (END is rewritten after it). */
static int append(struct vmk_preload *pl, uint32_t type, const void *data, uint32_t len)
{
	size_t at = pl->len - REC_HDR, span = rec_span(len);

	if (span > pl->cap || at + span + REC_HDR > pl->cap)
		return -VMK_ENOSPC;
	wr32(pl->buf + at, type);
	wr32(pl->buf + at + 4, len);
	vmk_memset(pl->buf + at + REC_HDR, 0, span - REC_HDR);
	if (len)
		vmk_memcpy(pl->buf + at + REC_HDR, data, len);
	wr32(pl->buf + at + span, VMK_MODINFO_END);
	wr32(pl->buf + at + span + 4, 0);
	pl->len = at + span + REC_HDR;
	return 0;
}

int vmk_preload_add_file(struct vmk_preload *pl, const char *name, const char *type,
			 vmk_vaddr_t addr, vmk_size_t size)
{
	size_t nl, tl, need;
	uint64_t a = addr, s = size;

	if (!name || !type || !*name || !*type)
		return -VMK_EINVAL;
	nl = vmk_strlen(name) + 1;
	tl = vmk_strlen(type) + 1;
	need = rec_span((uint32_t)nl) + rec_span((uint32_t)tl) + 2 * rec_span(8);
	if (nl > UINT32_MAX || tl > UINT32_MAX || pl->len + need > pl->cap)
		return -VMK_ENOSPC;
	append(pl, VMK_MODINFO_NAME, name, (uint32_t)nl);
	append(pl, VMK_MODINFO_TYPE, type, (uint32_t)tl);
	append(pl, VMK_MODINFO_ADDR, &a, 8);
	append(pl, VMK_MODINFO_SIZE, &s, 8);
	return 0;
}

int vmk_preload_add_record(struct vmk_preload *pl, uint32_t type, const void *data, uint32_t len)
{
	if (type == VMK_MODINFO_END || type == VMK_MODINFO_NAME || type == VMK_MODINFO_EMPTY ||
	    vmk_preload_next(pl, VMK_PRELOAD_NONE) == VMK_PRELOAD_NONE || (len && !data))
		return -VMK_EINVAL;
	return append(pl, type, data, len);
}

int vmk_preload_parse(struct vmk_preload *pl, void *buf, size_t len, size_t *bad_off)
{
	uint8_t *b = buf;
	size_t off = 0;
	bool first = true;

	if (!buf || ((uintptr_t)buf & (REC_ALIGN - 1)))
		return -VMK_EINVAL;
	for (;;) {
		uint32_t t, l;

		if (off > len || len - off < REC_HDR)
			goto bad;
		t = rd32(b + off);
		l = rd32(b + off + 4);
		if (t == VMK_MODINFO_END)
			break;
		if (l > len - off - REC_HDR || rec_span(l) > len - off)
			goto bad;
		if (first && t != VMK_MODINFO_NAME && t != VMK_MODINFO_EMPTY)
			goto bad;
		if ((t == VMK_MODINFO_NAME || t == VMK_MODINFO_TYPE) &&
		    (l == 0 || b[off + REC_HDR + l - 1] != 0 || vmk_strnlen((char *)b + off + REC_HDR, l) == 0))
			goto bad;
		if ((t == VMK_MODINFO_ADDR || t == VMK_MODINFO_SIZE) && l != 8)
			goto bad;
		first = false;
		off += rec_span(l);
	}
	pl->buf = b;
	pl->len = off + REC_HDR;
	pl->cap = len;
	return 0;
bad:
	if (bad_off)
		*bad_off = off;
	return -VMK_EPARSE;
}

vmk_preload_file vmk_preload_next(const struct vmk_preload *pl, vmk_preload_file f)
{
	size_t off = 0;

	if (f != VMK_PRELOAD_NONE)
		off = rec_next(pl, (size_t)f);
	for (; rec_type(pl, off) != VMK_MODINFO_END; off = rec_next(pl, off))
		if (rec_type(pl, off) == VMK_MODINFO_NAME)
			return (vmk_preload_file)off;
	return VMK_PRELOAD_NONE;
}

const void *vmk_preload_search_info(const struct vmk_preload *pl, vmk_preload_file f, uint32_t type,
				    uint32_t *len)
{
	size_t off;

	if (f == VMK_PRELOAD_NONE)
		return NULL;
	for (off = rec_next(pl, (size_t)f); ; off = rec_next(pl, off)) {
		uint32_t t = rec_type(pl, off);

		if (t == VMK_MODINFO_END || t == VMK_MODINFO_NAME)
			return NULL;
		if (t == type) {
			if (len)
				*len = rec_len(pl, off);
			return pl->buf + off + REC_HDR;
		}
	}
}

const char *vmk_preload_name(const struct vmk_preload *pl, vmk_preload_file f)
{
	return f == VMK_PRELOAD_NONE ? NULL : (const char *)pl->buf + f + REC_HDR;
}

const char *vmk_preload_type(const struct vmk_preload *pl, vmk_preload_file f)
{
	return vmk_preload_search_info(pl, f, VMK_MODINFO_TYPE, NULL);
}

static uint64_t u64_info(const struct vmk_preload *pl, vmk_preload_file f, uint32_t type)
{
	const void *p = vmk_preload_search_info(pl, f, type, NULL);
	uint64_t v = 0;

	if (p)
		vmk_memcpy(&v, p, 8);
	return v;
}

vmk_vaddr_t vmk_preload_addr(const struct vmk_preload *pl, vmk_preload_file f)
{
	return u64_info(pl, f, VMK_MODINFO_ADDR);
}

vmk_size_t vmk_preload_size(const struct vmk_preload *pl, vmk_preload_file f)
{
	return u64_info(pl, f, VMK_MODINFO_SIZE);
}

vmk_preload_file vmk_preload_search_by_name(const struct vmk_preload *pl, const char *name)
{
	for (vmk_preload_file f = vmk_preload_next(pl, VMK_PRELOAD_NONE); f != VMK_PRELOAD_NONE;
	     f = vmk_preload_next(pl, f))
		if (vmk_strcmp(vmk_preload_name(pl, f), name) == 0)
			return f;
	return VMK_PRELOAD_NONE;
}

vmk_preload_file vmk_preload_search_by_type(const struct vmk_preload *pl, const char *type,
					    vmk_preload_file after)
{
	for (vmk_preload_file f = vmk_preload_next(pl, after); f != VMK_PRELOAD_NONE; f = vmk_preload_next(pl, f)) {
		const char *t = vmk_preload_type(pl, f);

		if (t && vmk_strcmp(t, type) == 0)
			return f;
	}
	return VMK_PRELOAD_NONE;
}

void vmk_preload_print(const struct vmk_preload *pl, struct vmk_out *out)
{
	for (vmk_preload_file f = vmk_preload_next(pl, VMK_PRELOAD_NONE); f != VMK_PRELOAD_NONE;
	     f = vmk_preload_next(pl, f)) {
		const char *t = vmk_preload_type(pl, f);

		vmk_out_printf(out, "%s %s %#llx %#llx\n", vmk_preload_name(pl, f), t ? t : "?",
			       (unsigned long long)vmk_preload_addr(pl, f),
			       (unsigned long long)vmk_preload_size(pl, f));
	}
}



void vmk_preload__clear(struct vmk_preload *pl, vmk_preload_file f)
{
	size_t off = (size_t)f;

	do {
		wr32(pl->buf + off, VMK_MODINFO_EMPTY);
		off = rec_next(pl, off);
	} while (rec_type(pl, off) != VMK_MODINFO_END && rec_type(pl, off) != VMK_MODINFO_NAME);
}
