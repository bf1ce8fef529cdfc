/*
 * Our own PE/COFF image as the firmware loaded it: its size, its sections
 * (mapped one by one with their own protection, W^X) and its base
 * relocations (applied once more to run at the kernel's high address).
 */
#include <vmkit/pmap.h>

#include "kernel.h"

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }

static const uint8_t *pe_header(const void *base)
{
	const uint8_t *b = base;

	return b + rd32(b + 0x3c);	/* e_lfanew -> "PE\0\0" */
}

/* The optional header (PE32+), after the 4-byte signature and the 20-byte COFF header. */
static const uint8_t *pe_opt(const void *base)
{
	return pe_header(base) + 24;
}

uint64_t pe_image_size(const void *base)
{
	return rd32(pe_opt(base) + 56);		/* SizeOfImage */
}

unsigned int pe_sections(const void *base, struct pe_section *out, unsigned int max)
{
	const uint8_t *coff = pe_header(base) + 4;
	unsigned int n = rd16(coff + 2), k = 0;
	const uint8_t *sh = coff + 20 + rd16(coff + 16);

	for (unsigned int i = 0; i < n && k < max; i++, sh += 40) {
		uint32_t ch = rd32(sh + 36), vsz = rd32(sh + 8), rva = rd32(sh + 12);
		struct pe_section *s = &out[k++];

		for (int j = 0; j < 8; j++)
			s->name[j] = (char)sh[j];
		s->name[8] = 0;
		s->rva = rva;
		s->size = VMK_ALIGN_UP((uint64_t)vsz, 4096);
		s->prot = VMK_PROT_READ;
		if (ch & 0x20000000u)
			s->prot |= VMK_PROT_EXEC;
		if (ch & 0x80000000u)
			s->prot |= VMK_PROT_WRITE;
	}
	return k;
}

unsigned int pe_relocate(void *base, uint64_t delta)
{
	uint8_t *b = base;
	const uint8_t *dir = pe_opt(base) + 112 + 5 * 8;	/* data directory 5: base relocations */
	uint32_t rva = rd32(dir), size = rd32(dir + 4), off = 0;
	unsigned int n = 0;

	while (off + 8 <= size) {
		const uint8_t *blk = b + rva + off;
		uint32_t page = rd32(blk), bsz = rd32(blk + 4);

		if (bsz < 8)
			break;
		for (uint32_t i = 8; i + 2 <= bsz; i += 2) {
			uint16_t e = rd16(blk + i);

			if (e >> 12 == 10) {	/* IMAGE_REL_BASED_DIR64 */
				uint64_t *p = (uint64_t *)(b + page + (e & 0xfff));

				*p += delta;
				n++;
			}
		}
		off += bsz;
	}
	return n;
}
