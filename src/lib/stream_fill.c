/*
 * Filling runs of 32-byte records that are not read back soon (the eager
 * hand-over's page array): through the platform's stream_fill hook, or
 * with stores that do not read the lines they write.
 *
 * Why: an ordinary store to a line that is not cached reads the line
 * first (read for ownership), so filling memory much larger than the
 * caches moves every byte twice. Non-temporal stores gather whole lines
 * and write them once: on the development machine 0.41-0.48 ms per 8 MiB
 * against 0.75-0.98 ms for ordinary stores (docs/bench.md, "Fourth
 * round").
 */
#include <vmkit/platform.h>

/* A 64-bit word that may alias whatever the caller stores (records). */
typedef uint64_t __attribute__((may_alias)) fill_word;

void vmk_stream_fill_default(void *dst, const uint64_t first[4], const uint64_t rest[4],
			     size_t count)
{
	fill_word *d = dst;
	const uint64_t r0 = rest[0], r1 = rest[1], r2 = rest[2], r3 = rest[3];

	if (count == 0)
		return;
#if defined(__x86_64__)
	/* MOVNTI takes general registers: no SSE state, allowed in a kernel. */
	__asm__ volatile("movnti %1, 0(%0)\n\t"
			 "movnti %2, 8(%0)\n\t"
			 "movnti %3, 16(%0)\n\t"
			 "movnti %4, 24(%0)"
			 : : "r"(d), "r"(first[0]), "r"(first[1]), "r"(first[2]), "r"(first[3])
			 : "memory");
	for (size_t i = 1; i < count; i++) {
		d += 4;
		__asm__ volatile("movnti %1, 0(%0)\n\t"
				 "movnti %2, 8(%0)\n\t"
				 "movnti %3, 16(%0)\n\t"
				 "movnti %4, 24(%0)"
				 : : "r"(d), "r"(r0), "r"(r1), "r"(r2), "r"(r3)
				 : "memory");
	}
	/* Non-temporal stores are weakly ordered: complete them before returning. */
	__asm__ volatile("sfence" : : : "memory");
#else
	d[0] = first[0];
	d[1] = first[1];
	d[2] = first[2];
	d[3] = first[3];
	for (size_t i = 1; i < count; i++) {
		d += 4;
		d[0] = r0;
		d[1] = r1;
		d[2] = r2;
		d[3] = r3;
	}
#endif
}

void vmk_stream_fill(void *dst, const uint64_t first[4], const uint64_t rest[4], size_t count)
{
	const struct vmk_platform *p = vmk_platform__hot;

	if (p->stream_fill)
		p->stream_fill(p->ctx, dst, first, rest, count);
	else
		vmk_stream_fill_default(dst, first, rest, count);
}
