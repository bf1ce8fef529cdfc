/* Console: every line the kernel prints goes to the serial port. */
#include <stdarg.h>

#include "kernel.h"

static void serial_write(void *arg, const char *s, size_t n)
{
	(void)arg;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			arch_serial_putc('\r');
		arch_serial_putc(s[i]);
	}
}

struct vmk_out kout = { serial_write, NULL, 0 };

void kputs(const char *s)
{
	vmk_out_puts(&kout, s);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmk_out_vprintf(&kout, fmt, ap);
	va_end(ap);
}
