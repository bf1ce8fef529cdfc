/* Entry, console and exit as Linux system calls, so the test can run it. */
#include "embed.h"

static long sys3(long nr, long a, long b, long c)
{
	register long a7 __asm__("a7") = nr;
	register long a0 __asm__("a0") = a;
	register long a1 __asm__("a1") = b;
	register long a2 __asm__("a2") = c;

	__asm__ volatile("ecall" : "+r"(a0) : "r"(a7), "r"(a1), "r"(a2) : "memory");
	return a0;
}

void embed_puts(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	sys3(64, 1, (long)s, (long)n);		/* write(1, s, n) */
}

_Noreturn void embed_exit(int status)
{
	for (;;)
		sys3(93, status, 0, 0);		/* exit(status) */
}

/*
 * gp must hold __global_pointer$ before any C code runs: the linker may
 * relax accesses to small data into gp-relative ones (a kernel's head.S
 * does the same). Loading it must itself not be relaxed.
 */
void embed_start(void);
__asm__(".section .text._start, \"ax\", @progbits\n"
	".globl _start\n"
	"_start:\n"
	".option push\n"
	".option norelax\n"
	"	lla gp, __global_pointer$\n"
	".option pop\n"
	"	call embed_start\n");

void embed_start(void)
{
	embed_exit(embed_main());
}
