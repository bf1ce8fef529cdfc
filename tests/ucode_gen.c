/* Synthetic Intel microcode updates (tests only). */
#include <string.h>
#include "ucode_gen.h"

static void put(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0, v;

	for (size_t i = 0; i < n; i += 4) {
		memcpy(&v, p + i, 4);
		s += v;
	}
	return s;
}

size_t ucode_size(const struct ucode_spec *s)
{
	size_t ext = s->next ? 20 + 12 * (size_t)s->next : 0;

	return 48 + s->data_size + ext + s->pad;
}

size_t ucode_gen(const struct ucode_spec *s, uint8_t *p, uint32_t seed)
{
	size_t total = ucode_size(s), ext_off = 48 + s->data_size;
	uint32_t x = seed | 1;

	memset(p, 0, total);
	put(p + 0, 1);
	put(p + 4, (uint32_t)s->rev);
	put(p + 8, 0x12022026);
	put(p + 12, s->sig);
	put(p + 20, 1);
	put(p + 24, s->pf);
	put(p + 28, s->data_size);
	put(p + 32, (uint32_t)total);
	for (size_t i = 48; i < 48 + s->data_size; i += 4) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		put(p + i, x);
	}
	if (s->next) {
		put(p + ext_off, s->next);
		for (unsigned int i = 0; i < s->next; i++) {
			put(p + ext_off + 20 + 12 * i, s->ext_sig[i]);
			put(p + ext_off + 24 + 12 * i, s->ext_pf[i]);
		}
		put(p + ext_off + 4, 0u - sum(p + ext_off, 20 + 12 * (size_t)s->next));
	}
	put(p + 16, 0u - sum(p, total));
	return total;
}
