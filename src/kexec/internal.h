/* Internal helpers shared by the kexec sources. */
#ifndef VMKIT_KEXEC_INTERNAL_H
#define VMKIT_KEXEC_INTERNAL_H

#include <vmkit/kexec.h>

/* Exclusion kind for a resource descriptor (Crash kernel, ACPI, reserved, other). */
unsigned int vmk_kexec__kind_of_desc(int32_t desc);

/* Little-endian field of n bytes at off. */
static inline uint64_t vmk_kexec__le(const uint8_t *b, size_t off, unsigned int n)
{
	uint64_t v = 0;

	for (unsigned int i = n; i-- > 0;)
		v = v << 8 | b[off + i];
	return v;
}

/* Format an image-header error into err (if given) and return -VMK_EPARSE. */
int vmk_kexec__hdr_fail(char *err, size_t errlen, const char *fmt, ...) VMK_PRINTF(3, 4);

#endif
