/* A generator of synthetic Intel microcode updates with the real layout, for tests. */
#ifndef VMKIT_TEST_UCODE_GEN_H
#define VMKIT_TEST_UCODE_GEN_H

#include <stddef.h>
#include <stdint.h>

struct ucode_spec {
	uint32_t sig, pf;
	int32_t rev;
	uint32_t data_size;		/* multiple of 4 */
	unsigned int next;		/* extended signatures */
	uint32_t ext_sig[4], ext_pf[4];
	uint32_t pad;			/* extra bytes after the table (keeps total a multiple of 16) */
};

/* Write the update to p (room for ucode_size(s)); returns its total size. */
size_t ucode_gen(const struct ucode_spec *s, uint8_t *p, uint32_t seed);
size_t ucode_size(const struct ucode_spec *s);

#endif
