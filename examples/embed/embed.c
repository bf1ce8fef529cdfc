/*
 * The smallest embedder of vmkit: the platform hooks a kernel fills in,
 * and one allocation from the boot allocator. Freestanding: no libc.
 * The kernel-specific part (entry, console, exit) is in start_<arch>.c,
 * which here runs the program as a static Linux executable so the test
 * suite can execute it; a real kernel has its own.
 */
#include <vmkit/memblock.h>
#include <vmkit/platform.h>
#include <vmkit/version.h>

#include "embed.h"

/* "Physical memory": a static buffer, identity-mapped (phys == virt). */
static unsigned char ram[1 << 20] __attribute__((aligned(4096)));

static void *hook_phys_to_virt(void *ctx, vmk_paddr_t pa)
{
	vmk_paddr_t base = (vmk_paddr_t)(uintptr_t)ram;

	(void)ctx;
	return pa - base < sizeof(ram) ? (void *)(uintptr_t)pa : (void *)0;
}

static void hook_panic(void *ctx, const char *msg)
{
	(void)ctx;
	embed_puts("vmkit panic: ");
	embed_puts(msg);
	embed_puts("\n");
	embed_exit(3);
}

static void hook_log(void *ctx, enum vmk_log_level level, const char *msg)
{
	(void)ctx;
	(void)level;
	embed_puts(msg);
	embed_puts("\n");
}

static const struct vmk_platform platform = {
	.phys_to_virt = hook_phys_to_virt,
	.panic = hook_panic,
	.log = hook_log,
};

static struct vmk_memblock mb;

static void put_hex(uint64_t v)
{
	char buf[19];
	int i;

	buf[0] = '0';
	buf[1] = 'x';
	for (i = 0; i < 16; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
	buf[18] = 0;
	embed_puts(buf);
}

int embed_main(void)
{
	vmk_paddr_t base = (vmk_paddr_t)(uintptr_t)ram, pa = 0;
	unsigned char *p;
	int err;

	vmk_platform_set(&platform);
	vmk_memblock_init(&mb);
	err = vmk_memblock_add(&mb, base, sizeof(ram));
	if (!err)
		err = vmk_memblock_reserve(&mb, base, 4096);	/* "the kernel" */
	if (!err)
		err = vmk_memblock_alloc(&mb, 4096, 4096, &pa);
	if (err) {
		embed_puts("embed: memblock failed\n");
		return 1;
	}
	/* The page must be inside RAM, outside the reservation, and usable. */
	if (pa < base + 4096 || pa + 4096 > base + sizeof(ram) ||
	    !vmk_memblock_is_region_reserved(&mb, pa, 4096)) {
		embed_puts("embed: allocation outside the free memory\n");
		return 1;
	}
	p = vmk_phys_to_virt(pa);
	p[0] = 0x5a;
	p[4095] = 0xa5;
	embed_puts("embed: vmkit ");
	embed_puts(vmk_version());
	embed_puts(": one page at ");
	put_hex(pa);
	embed_puts(" from memblock\n");
	return p[0] == 0x5a && p[4095] == 0xa5 ? 0 : 1;
}

/* The compiler may emit calls to these for structure copies: a kernel has them. */
void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	if (dp < sp) {
		while (n--)
			*dp++ = *sp++;
	} else {
		while (n--)
			dp[n] = sp[n];
	}
	return d;
}

void *memset(void *d, int c, size_t n)
{
	unsigned char *dp = d;

	while (n--)
		*dp++ = (unsigned char)c;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}
