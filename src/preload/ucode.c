/*
 * Intel microcode bundle: verify, scan for the best match, copy, apply,
 * and release the preloads (FreeBSD's x86/ucode.c semantics).
 */
#include <vmkit/ucode.h>
#include <vmkit/kmem.h>
#include "preload_internal.h"

struct uhdr {
	uint32_t hdr_ver, rev, date, sig, cksum, ldr_ver, pf, data_size, total_size, rsvd[3];
};

VMK_STATIC_ASSERT(sizeof(struct uhdr) == VMK_UCODE_HDR_SIZE, "Intel update header is 48 bytes");

static int rd(void *dst, vmk_vaddr_t va, vmk_size_t len)
{
	return vmk_preload__kva_copy(dst, 0, NULL, va, len);
}

/* Dword sum of [va, va + len), read a page at a time. */
static int sum32(vmk_vaddr_t va, vmk_size_t len, uint32_t *sum)
{
	uint32_t buf[256], s = 0;

	while (len > 0) {
		vmk_size_t n = VMK_MIN(len, (vmk_size_t)sizeof(buf));

		if (rd(buf, va, n))
			return -VMK_EFAULT;
		for (size_t i = 0; i < n / 4; i++)
			s += buf[i];
		va += n;
		len -= n;
	}
	*sum = s;
	return 0;
}

#define BAD(...) do { vmk_snprintf(err, errlen, __VA_ARGS__); return -VMK_EPARSE; } while (0)

int vmk_ucode_verify(vmk_vaddr_t va, vmk_size_t resid, vmk_size_t *total, char *err, size_t errlen)
{
	struct uhdr h;
	vmk_size_t data, tot;
	uint32_t s;

	if (resid < VMK_UCODE_HDR_SIZE)
		BAD("%llu trailing bytes, shorter than an update header", (unsigned long long)resid);
	if (rd(&h, va, sizeof(h)))
		BAD("update header not mapped");
	if (h.hdr_ver != 1)
		BAD("header version %u, not 1", h.hdr_ver);
	data = h.data_size ? h.data_size : 2000;
	tot = h.total_size ? h.total_size : 2048;
	if (tot % 16)
		BAD("total size %llu is not a multiple of 16", (unsigned long long)tot);
	if (data % 4 || tot < VMK_UCODE_HDR_SIZE + data)
		BAD("data size %llu does not fit total size %llu", (unsigned long long)data, (unsigned long long)tot);
	if (tot > resid)
		BAD("total size %llu runs past the bundle (%llu bytes left)", (unsigned long long)tot,
		    (unsigned long long)resid);
	if (sum32(va, tot, &s))
		BAD("update not mapped");
	if (s != 0)
		BAD("checksum: dwords sum to %#x, not 0", s);
	if (tot > VMK_UCODE_HDR_SIZE + data) {
		vmk_size_t ext = tot - VMK_UCODE_HDR_SIZE - data;
		uint32_t cnt;

		if (ext < VMK_UCODE_EXT_HDR_SIZE || rd(&cnt, va + VMK_UCODE_HDR_SIZE + data, 4))
			BAD("extended signature table of %llu bytes is too short", (unsigned long long)ext);
		if ((vmk_size_t)cnt * VMK_UCODE_EXT_SIG_SIZE + VMK_UCODE_EXT_HDR_SIZE > ext)
			BAD("extended signature table claims %u signatures in %llu bytes", cnt, (unsigned long long)ext);
		if (sum32(va + VMK_UCODE_HDR_SIZE + data, VMK_UCODE_EXT_HDR_SIZE + (vmk_size_t)cnt * VMK_UCODE_EXT_SIG_SIZE,
			  &s) || s != 0)
			BAD("extended signature table checksum: dwords sum to %#x, not 0", s);
	}
	*total = tot;
	return 0;
}

/* Does the update at va (verified) match cpu by its main or an extended signature? */
static bool matches(vmk_vaddr_t va, const struct uhdr *h, vmk_size_t tot, const struct vmk_ucode_cpu *cpu)
{
	vmk_size_t data = h->data_size ? h->data_size : 2000;
	uint32_t cnt, e[3];

	if (h->sig == cpu->signature && (h->pf & cpu->platform_mask))
		return true;
	if (tot <= VMK_UCODE_HDR_SIZE + data || rd(&cnt, va + VMK_UCODE_HDR_SIZE + data, 4))
		return false;
	for (uint32_t i = 0; i < cnt; i++) {
		if (rd(e, va + VMK_UCODE_HDR_SIZE + data + VMK_UCODE_EXT_HDR_SIZE + i * VMK_UCODE_EXT_SIG_SIZE, 12))
			return false;
		if (e[0] == cpu->signature && (e[1] & cpu->platform_mask))
			return true;
	}
	return false;
}

int vmk_ucode_scan(vmk_vaddr_t va, vmk_size_t len, const struct vmk_ucode_cpu *cpu, int32_t min_rev,
		   struct vmk_ucode_match *best, char *err, size_t errlen)
{
	vmk_size_t off = 0;
	bool found = false;

	while (off < len) {
		char why[120];
		vmk_size_t tot;
		struct uhdr h;

		if (vmk_ucode_verify(va + off, len - off, &tot, why, sizeof(why)))
			BAD("microcode update at offset %#llx is malformed: %s", (unsigned long long)off, why);
		rd(&h, va + off, sizeof(h));
		if ((int32_t)h.rev > min_rev && (!found || (int32_t)h.rev > best->revision) &&
		    matches(va + off, &h, tot, cpu)) {
			best->offset = off;
			best->size = tot;
			best->revision = (int32_t)h.rev;
			found = true;
		}
		off += tot;
	}
	return found ? 0 : -VMK_ENOENT;
}

int vmk_ucode_load(struct vmk_preload *pl, const struct vmk_ucode_cpu *cpu, const struct vmk_ucode_ops *ops,
		   bool release, struct vmk_ucode_result *res)
{
	struct vmk_ucode_match best = { 0, 0, 0 }, m;
	vmk_vaddr_t bundle = 0;
	struct vmk_kmem_stats k0, k1;
	vmk_size_t csize;
	vmk_preload_file f;
	int err, found = -VMK_ENOENT;

	vmk_memset(res, 0, sizeof(*res));
	res->old_rev = res->new_rev = ops->current_rev(ops->ctx);
	for (f = vmk_preload_search_by_type(pl, VMK_PRELOAD_TYPE_UCODE, VMK_PRELOAD_NONE); f != VMK_PRELOAD_NONE;
	     f = vmk_preload_search_by_type(pl, VMK_PRELOAD_TYPE_UCODE, f)) {
		vmk_vaddr_t a = vmk_preload_addr(pl, f);

		err = vmk_ucode_scan(a, vmk_preload_size(pl, f), cpu, found ? res->old_rev : best.revision, &m,
				     res->err, sizeof(res->err));
		if (err == -VMK_EPARSE)
			return err;
		if (err == 0) {
			best = m;
			bundle = a;
			found = 0;
		}
	}
	if (found) {
		vmk_snprintf(res->err, sizeof(res->err), "no update for signature %#x platform %#x newer than %#x",
			     cpu->signature, cpu->platform_mask, (unsigned int)res->old_rev);
		return found;
	}
	/* A page-aligned copy the kernel keeps (for other CPUs and resume) once the bundle is gone. */
	csize = VMK_ALIGN_UP(best.size, VMK_PAGE_SIZE);
	res->copy = vmk_kmem_malloc(csize, VMK_KM_ZERO);
	if (!res->copy)
		return -VMK_ENOMEM;
	res->copy_size = best.size;
	err = vmk_preload__kva_copy(NULL, res->copy, NULL, bundle + best.offset, best.size);
	if (!err)
		err = ops->apply(ops->ctx, res->copy, best.size);
	if (err) {
		vmk_snprintf(res->err, sizeof(res->err), "the CPU refused revision %#x (running %#x): %d",
			     (unsigned int)best.revision, (unsigned int)res->old_rev, err);
		vmk_kmem_free(res->copy, csize);
		res->copy = 0;
		res->copy_size = 0;
		return -VMK_EBUSY;
	}
	res->applied = true;
	res->new_rev = ops->current_rev(ops->ctx);
	if (!release)
		return 0;
	vmk_kmem_stats(&k0);
	while ((f = vmk_preload_search_by_type(pl, VMK_PRELOAD_TYPE_UCODE, VMK_PRELOAD_NONE)) != VMK_PRELOAD_NONE) {
		char name[256];

		if (vmk_strlcpy(name, vmk_preload_name(pl, f), sizeof(name)) >= sizeof(name))
			break;
		err = vmk_preload_delete_name(pl, name);
		res->files_released++;
		if (err)
			vmk_log(VMK_LOG_WARN, "ucode: releasing %s failed: %d", name, err);
	}
	vmk_kmem_stats(&k1);
	res->pages_released = k1.bootstrap_freed - k0.bootstrap_freed;
	return 0;
}
