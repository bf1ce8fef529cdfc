/* Entry, console and exit as Linux system calls, so the test can run it. */
#include "embed.h"

static long sys3(long nr, long a, long b, long c)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;

	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	return x0;
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

void _start(void);
void _start(void)
{
	embed_exit(embed_main());
}
