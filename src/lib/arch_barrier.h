/*
 * The barrier instructions themselves, inline: the platform's fallback
 * when it registers no barrier hook, and what the pmap's break-before-make
 * window issues (it may call no hook but the TLB invalidation).
 */
#ifndef VMKIT_LIB_ARCH_BARRIER_H
#define VMKIT_LIB_ARCH_BARRIER_H

#include <vmkit/platform.h>

#if !defined(__aarch64__)
/*
 * A full fence as a sequentially consistent read-modify-write: the same
 * ordering as a fence on x86 and arm64, and visible to ThreadSanitizer
 * (gcc rejects __atomic_thread_fence under -fsanitize=thread).
 */
static inline void vmk_full_fence(void)
{
	static uint32_t fence_word;

	__atomic_fetch_add(&fence_word, 0, __ATOMIC_SEQ_CST);
}
#endif

/*
 * The barriers the page-table code needs, for a platform that registers
 * no hook: the architecture's own instructions. On x86 the page walker
 * sees stores in program order and INVLPG serialises, so only a full
 * fence needs an instruction; everything else just stops the compiler.
 */
static inline void vmk_arch_barrier(enum vmk_barrier kind)
{
#if defined(__x86_64__) || defined(__i386__)
	if (kind == VMK_BARRIER_FULL)
		vmk_full_fence();
	else
		__asm__ volatile("" ::: "memory");
#elif defined(__aarch64__)
	switch (kind) {
	case VMK_BARRIER_PTE_STORE:
		__asm__ volatile("dsb ishst" ::: "memory");
		break;
	case VMK_BARRIER_TLB_SYNC:
		__asm__ volatile("dsb ish" ::: "memory");
		break;
	case VMK_BARRIER_ISB:
		__asm__ volatile("isb" ::: "memory");
		break;
	default:
		__asm__ volatile("dmb ish" ::: "memory");
		break;
	}
#else
	(void)kind;
	vmk_full_fence();
#endif
}

#endif /* VMKIT_LIB_ARCH_BARRIER_H */
