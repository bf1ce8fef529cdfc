/* A sorted set of disjoint [base, end) ranges in caller-provided storage. */
#include <vmkit/lib.h>

void vmk_rangeset_init(struct vmk_rangeset *s, struct vmk_range *storage, size_t cap)
{
	s->r = storage;
	s->n = 0;
	s->cap = cap;
}

int vmk_rangeset_add(struct vmk_rangeset *s, vmk_paddr_t base, vmk_paddr_t end)
{
	size_t i, j;

	if (end <= base)
		return end == base ? 0 : -VMK_EINVAL;
	/* First range that ends at or after base (touching ranges merge). */
	for (i = 0; i < s->n && s->r[i].end < base; i++)
		;
	/* Ranges i..j-1 overlap or touch [base, end). */
	for (j = i; j < s->n && s->r[j].base <= end; j++)
		;
	if (j == i) {
		if (s->n == s->cap)
			return -VMK_ENOSPC;
		vmk_memmove(&s->r[i + 1], &s->r[i], (s->n - i) * sizeof(s->r[0]));
		s->r[i].base = base;
		s->r[i].end = end;
		s->n++;
		return 0;
	}
	s->r[i].base = VMK_MIN(base, s->r[i].base);
	s->r[i].end = VMK_MAX(end, s->r[j - 1].end);
	vmk_memmove(&s->r[i + 1], &s->r[j], (s->n - j) * sizeof(s->r[0]));
	s->n -= j - i - 1;
	return 0;
}

int vmk_rangeset_remove(struct vmk_rangeset *s, vmk_paddr_t base, vmk_paddr_t end)
{
	size_t i;

	if (end <= base)
		return end == base ? 0 : -VMK_EINVAL;
	for (i = 0; i < s->n; i++) {
		struct vmk_range *r = &s->r[i];

		if (r->end <= base)
			continue;
		if (r->base >= end)
			break;
		if (r->base < base && r->end > end) {
			/* Split in two. */
			if (s->n == s->cap)
				return -VMK_ENOSPC;
			vmk_memmove(&s->r[i + 2], &s->r[i + 1],
				    (s->n - i - 1) * sizeof(s->r[0]));
			s->r[i + 1].base = end;
			s->r[i + 1].end = r->end;
			r->end = base;
			s->n++;
			return 0;
		}
		if (r->base >= base && r->end <= end) {
			vmk_memmove(&s->r[i], &s->r[i + 1], (s->n - i - 1) * sizeof(s->r[0]));
			s->n--;
			i--;
			continue;
		}
		if (r->base < base)
			r->end = base;
		else
			r->base = end;
	}
	return 0;
}

bool vmk_rangeset_contains(const struct vmk_rangeset *s, vmk_paddr_t base, vmk_paddr_t end)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->r[i].base <= base && end <= s->r[i].end)
			return true;
	return end <= base;
}

bool vmk_rangeset_overlaps(const struct vmk_rangeset *s, vmk_paddr_t base, vmk_paddr_t end)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->r[i].base < end && base < s->r[i].end)
			return true;
	return false;
}

uint64_t vmk_rangeset_total(const struct vmk_rangeset *s)
{
	uint64_t t = 0;

	for (size_t i = 0; i < s->n; i++)
		t += s->r[i].end - s->r[i].base;
	return t;
}
