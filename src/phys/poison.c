/*
 * Page poisoning (optional): with vmk_phys_set_poison(true), or
 * VMK_PHYS_POISON=1 at build time, every page freed back to the
 * allocator is filled with VMK_PHYS_POISON_BYTE through the direct map
 * and flagged VMK_PGF_POISON; when the page is allocated again, debug
 * builds (VMK_DEBUG) check that every byte still holds the pattern and
 * panic naming the page's physical address and the first changed byte:
 * a write through a stale pointer after the free (use after free) is
 * caught at the next allocation of that page, not when the new owner's
 * data turns out wrong. Release builds clear the flag without looking.
 * Pages whose frame has no direct-map address are not poisoned.
 */
#include "phys_internal.h"

#define POISON64	(0x0101010101010101ull * VMK_PHYS_POISON_BYTE)

void vmk_phys_set_poison(bool on)
{
	__atomic_store_n(&G.poison, on, __ATOMIC_RELAXED);
}

bool vmk_phys_poison(void)
{
	return __atomic_load_n(&G.poison, __ATOMIC_RELAXED);
}

void vmk_phys__poison_fill(struct vmk_page *p)
{
	uint64_t *v = vmk_phys_to_virt(vmk_page_to_pa(p));

	if (!v)
		return;
	for (size_t i = 0; i < VMK_PAGE_SIZE / sizeof(*v); i++)
		v[i] = POISON64;
	vmk_atomic_fetch_or_u8(&p->flags, (uint8_t)VMK_PGF_POISON);	/* riscv64 has no byte AMO */
}

void vmk_phys__poison_check(struct vmk_page *p)
{
	vmk_atomic_fetch_and_u8(&p->flags, (uint8_t)~VMK_PGF_POISON);
#if VMK_DEBUG
	{
		const uint64_t *v = vmk_phys_to_virt(vmk_page_to_pa(p));

		for (size_t i = 0; v && i < VMK_PAGE_SIZE / sizeof(*v); i++) {
			const unsigned char *b = (const unsigned char *)&v[i];
			unsigned int k = 0;

			if (v[i] == POISON64)
				continue;
			while (b[k] == VMK_PHYS_POISON_BYTE)
				k++;
			VMK_ASSERT(false, "phys: page 0x%llx was written after it was freed (byte 0x%x is 0x%x, "
				   "poison 0x%x)", (unsigned long long)vmk_page_to_pa(p),
				   (unsigned int)(i * sizeof(*v) + k), b[k], VMK_PHYS_POISON_BYTE);
		}
	}
#endif
}
