/*
 * libFuzzer target: the microcode bundle scanner (Intel update format:
 * 48-byte header, data, optional extended signature table) reading a
 * bundle through the kernel pmap, as it runs at boot. Bytes 0-3: the
 * CPU signature, byte 4: its platform mask, bytes 5-8: the minimum
 * revision, byte 9: where in a page the bundle starts (x 16); the rest is
 * the bundle (up to 64 KiB). The scan is compared with a second scanner
 * written here from the format description (header version 1, sizes
 * defaulting to 2000/2048, total a multiple of 16 holding the data, every
 * dword summing to 0, the extended table's count fitting and summing to
 * 0; a match by main or extended signature with a common platform bit;
 * the highest revision above the minimum; the first malformed update
 * fails the whole bundle): same verdict, offset, size and revision.
 */
#include "fuzz_util.h"

#include <vmkit/pmap.h>
#include <vmkit/ucode.h>
#include "pmap_util.h"

#define WIN	(2ull << 20)
#define PA	(PMT_DATA + (64ull << 20))
#define MAXB	(64u << 10)

static vmk_vaddr_t va0;

static uint32_t rd(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint32_t sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 4 <= n; i += 4)
		s += rd(p + i);
	return s;
}

/* Total size of a well-formed update at p (resid bytes left), or 0. */
static size_t ref_verify(const uint8_t *p, size_t resid)
{
	size_t data, tot, ext, cnt;

	if (resid < 48 || rd(p) != 1)
		return 0;
	data = rd(p + 28) ? rd(p + 28) : 2000;
	tot = rd(p + 32) ? rd(p + 32) : 2048;
	if (tot % 16 || data % 4 || tot < 48 + data || tot > resid || sum(p, tot))
		return 0;
	ext = tot - 48 - data;
	if (ext) {
		if (ext < 20)
			return 0;
		cnt = rd(p + 48 + data);
		if (cnt * 12 + 20 > ext || sum(p + 48 + data, 20 + cnt * 12))
			return 0;
	}
	return tot;
}

static bool ref_match(const uint8_t *p, size_t tot, uint32_t sig, uint32_t mask)
{
	size_t data = rd(p + 28) ? rd(p + 28) : 2000, cnt;

	if (rd(p + 12) == sig && (rd(p + 24) & mask))
		return true;
	if (tot == 48 + data)
		return false;
	cnt = rd(p + 48 + data);
	for (size_t i = 0; i < cnt; i++) {
		const uint8_t *e = p + 48 + data + 20 + 12 * i;

		if (rd(e) == sig && (rd(e + 4) & mask))
			return true;
	}
	return false;
}

static int ref_scan(const uint8_t *b, size_t len, uint32_t sig, uint32_t mask, int32_t min_rev,
		    struct vmk_ucode_match *best)
{
	bool found = false;

	for (size_t off = 0; off < len;) {
		size_t tot = ref_verify(b + off, len - off);
		int32_t rev;

		if (!tot)
			return -VMK_EPARSE;
		rev = (int32_t)rd(b + off + 4);
		if (rev > min_rev && (!found || rev > best->revision) && ref_match(b + off, tot, sig, mask)) {
			*best = (struct vmk_ucode_match){ .offset = off, .size = tot, .revision = rev };
			found = true;
		}
		off += tot;
	}
	return found ? 0 : -VMK_ENOENT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool booted;
	struct vmk_ucode_cpu cpu;
	struct vmk_ucode_match got = { 0 }, want = { 0 };
	char err[200];
	size_t at, len;
	int32_t min_rev;
	int r, w;

	if (!booted) {
		pmt_boot_arch(VMK_PMAP_ARCH_X86_64);
		va0 = pmt_kva() + (512ull << 30);
		FZ_CHECK(vmk_pmap_enter_large(vmk_pmap_kernel(), va0, PA, WIN, VMK_PROT_READ | VMK_PROT_WRITE,
					      VMK_PMAP_ENTER_WIRED) == 0, "map the window");
		booted = true;
	}
	if (size < 10)
		return 0;
	cpu.signature = rd(data);
	cpu.platform_mask = data[4];
	min_rev = (int32_t)rd(data + 5);
	at = (size_t)data[9] * 16;
	len = VMK_MIN(size - 10, (size_t)MAXB);
	memcpy((uint8_t *)vmk_sim_phys_to_virt(PA) + at, data + 10, len);
	err[0] = 0;
	r = vmk_ucode_scan(va0 + at, len, &cpu, min_rev, &got, err, sizeof(err));
	w = ref_scan(data + 10, len, cpu.signature, cpu.platform_mask, min_rev, &want);
	FZ_CHECK(r == w, "scan %d, reference %d (%s)", r, w, err);
	if (r == -VMK_EPARSE)
		FZ_CHECK(err[0], "no message");
	if (r == 0)
		FZ_CHECK(got.offset == want.offset && got.size == want.size && got.revision == want.revision,
			 "scan picked %#llx+%#llx rev %#x, reference %#llx+%#llx rev %#x",
			 (unsigned long long)got.offset, (unsigned long long)got.size, (unsigned)got.revision,
			 (unsigned long long)want.offset, (unsigned long long)want.size, (unsigned)want.revision);
	return 0;
}
