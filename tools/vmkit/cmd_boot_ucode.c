/*
 * The microcode bundle a machine description preloads: Intel microcode
 * updates with the real header layout (48-byte header version 1, data,
 * optional extended signature table, every dword summing to 0),
 * concatenated as the loader's cpu_microcode file. The tool only builds
 * the bytes; scanning, selecting and applying is the kernel's (kmem).
 */
#include <string.h>

#include "cmd_boot.h"

#define UC_HDR		48
#define UC_EXT_HDR	20
#define UC_EXT_SIG	12

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t sum32(const unsigned char *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i < n; i += 4)
		s += get32(p + i);
	return s;
}

uint64_t boot_ucode_bundle_size(const struct machine_desc *d)
{
	uint64_t n = 0;

	for (size_t i = 0; i < d->nucode; i++)
		n += d->ucode[i].size;
	return n;
}

static void write_one(const struct md_ucode *u, unsigned char *p)
{
	uint32_t total = (uint32_t)u->size;
	uint32_t ext = u->ext ? UC_EXT_HDR + UC_EXT_SIG : 0;
	uint32_t data = total - UC_HDR - ext;

	memset(p, 0, total);
	put32(p + 0, 1);		/* header version */
	put32(p + 4, u->revision);
	put32(p + 8, 0x07152026);	/* date, BCD mmddyyyy */
	put32(p + 12, u->signature);
	put32(p + 20, 1);		/* loader revision */
	put32(p + 24, u->platform);
	put32(p + 28, data);
	put32(p + 32, total);
	/* A payload that tells updates apart (the kept copy is checked against it). */
	for (uint32_t i = 0; i < data; i += 4)
		put32(p + UC_HDR + i, u->revision * 2654435761u ^ i);
	put32(p + 16, 0u - sum32(p, UC_HDR + data));
	if (u->ext) {
		unsigned char *e = p + UC_HDR + data, *s = e + UC_EXT_HDR;
		uint32_t sig = u->signature ^ 1, pf = u->platform;	/* another stepping */

		put32(e, 1);
		put32(s, sig);
		put32(s + 4, pf);
		/* Header checksum as if the header carried this signature. */
		put32(s + 8, get32(p + 16) + u->signature + u->platform - sig - pf);
		put32(e + 4, 0u - sum32(e, ext));
	}
	if (u->corrupt)
		p[UC_HDR] ^= 0x5a;
}

void boot_ucode_bundle_write(const struct machine_desc *d, unsigned char *buf)
{
	for (size_t i = 0; i < d->nucode; i++) {
		write_one(&d->ucode[i], buf);
		buf += d->ucode[i].size;
	}
}
