/* What the example needs from "its kernel" (start_<arch>.c). */
#ifndef VMKIT_EXAMPLE_EMBED_H
#define VMKIT_EXAMPLE_EMBED_H

#include <stddef.h>

void embed_puts(const char *s);
_Noreturn void embed_exit(int status);
int embed_main(void);

void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
