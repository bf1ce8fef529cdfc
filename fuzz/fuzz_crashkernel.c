/*
 * libFuzzer target: crashkernel= values and whole command lines. Byte 0
 * picks the architecture and whether the RAM size is known, bytes 1-2
 * the RAM size in MiB; the rest is the value. Properties:
 *  - a failure is -VMK_EPARSE, -VMK_EINVAL or -VMK_ERANGE with a
 *    NUL-terminated, non-empty message;
 *  - a success is consistent: the ignored text lies inside the value; a
 *    size is below the RAM size rounded up to 128 MiB; a fixed offset is
 *    aligned and offset + size does not wrap;
 *  - the result written back canonically ("0xSIZE[@0xOFF]", ",high",
 *    ",low") parses to the same reservation;
 *  - the value as "crashkernel=VALUE" in a command line among other
 *    options gives the same plain reservation.
 */
#include "fuzz_util.h"

#include <vmkit/kexec.h>
#include "sim.h"

static void canonical(const struct vmk_crashkernel *ck, uint64_t ram, const struct vmk_crash_arch *ca)
{
	struct vmk_crashkernel k2;
	char txt[96], err[128];
	int r;

	if (ck->size == 0)
		return;
	switch (ck->form) {
	case VMK_CK_HIGH:
		snprintf(txt, sizeof(txt), "0x%llx,high", (unsigned long long)ck->size);
		break;
	case VMK_CK_LOW:
		snprintf(txt, sizeof(txt), "0x%llx,low", (unsigned long long)ck->size);
		break;
	default:
		if (ck->fixed)
			snprintf(txt, sizeof(txt), "0x%llx@0x%llx", (unsigned long long)ck->size,
				 (unsigned long long)ck->offset);
		else
			snprintf(txt, sizeof(txt), "0x%llx", (unsigned long long)ck->size);
	}
	r = vmk_crashkernel_parse(txt, strlen(txt), ram, ca, &k2, err, sizeof(err));
	FZ_CHECK(r == 0, "canonical \"%s\" does not parse: %s", txt, err);
	FZ_CHECK(k2.size == ck->size && k2.fixed == ck->fixed && (!ck->fixed || k2.offset == ck->offset) &&
		 k2.high == ck->high && k2.ignored_len == 0, "canonical \"%s\" differs", txt);
}

static void in_cmdline(const char *v, size_t n, const struct vmk_crashkernel *ck, uint64_t ram,
		       const struct vmk_crash_arch *ca)
{
	struct vmk_crashkernel k2;
	char *line, err[128];
	int r;

	if (ck->form == VMK_CK_HIGH || ck->form == VMK_CK_LOW || memchr(v, 0, n))
		return;
	for (size_t i = 0; i < n; i++)
		if (v[i] == ' ' || (v[i] >= '\t' && v[i] <= '\r') || v[i] == '"')
			return;
	line = malloc(n + 64);
	if (!line)
		abort();
	memcpy(line, "ro quiet crashkernel=", 21);
	memcpy(line + 21, v, n);
	strcpy(line + 21 + n, " console=ttyS0");
	r = vmk_crashkernel_parse_cmdline(line, ram, ca, &k2, err, sizeof(err));
	FZ_CHECK(r == 0 && k2.size == ck->size && k2.fixed == ck->fixed && k2.offset == ck->offset,
		 "\"%s\" on a command line: %d %s", line, r, err);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmk_crash_arch ca;
	struct vmk_crashkernel ck;
	char err[128];
	uint64_t ram, rounded;
	const char *v;
	size_t n;
	int r;

	if (size < 3)
		return 0;
	vmk_crash_arch_defaults(data[0] & 1 ? VMK_KEXEC_ARCH_ARM64 : VMK_KEXEC_ARCH_X86_64, &ca);
	ram = data[0] & 2 ? 0 : ((uint64_t)data[1] | (uint64_t)data[2] << 8) << (data[0] & 4 ? 20 : 24);
	v = (const char *)data + 3;
	n = size - 3;
	memset(err, 0x55, sizeof(err));
	r = vmk_crashkernel_parse(v, n, ram, &ca, &ck, err, sizeof(err));
	if (r) {
		FZ_CHECK(r == -VMK_EPARSE || r == -VMK_EINVAL || r == -VMK_ERANGE, "error %d", r);
		FZ_CHECK(memchr(err, 0, sizeof(err)) && err[0], "no message for error %d", r);
		return 0;
	}
	FZ_CHECK(ck.ignored_pos <= n && ck.ignored_len <= n - ck.ignored_pos, "ignored text outside the value");
	rounded = (ram + (128ull << 20) - 1) & ~((128ull << 20) - 1);
	if (ram && ck.size)
		FZ_CHECK(ck.size < rounded || (ck.form == VMK_CK_LOW || ck.form == VMK_CK_HIGH),
			 "size %#llx not below RAM %#llx", (unsigned long long)ck.size, (unsigned long long)ram);
	if (ck.fixed && ck.size) {
		FZ_CHECK(ck.offset % ca.fixed_align == 0, "offset %#llx unaligned", (unsigned long long)ck.offset);
		FZ_CHECK(ck.offset + ck.size >= ck.offset, "offset + size wraps");
	}
	canonical(&ck, ram, &ca);
	in_cmdline(v, n, &ck, ram, &ca);
	return 0;
}
