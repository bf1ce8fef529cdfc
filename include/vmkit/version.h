/*
 * The library's version: the one place it is written. The tool's
 * `vmkit --version`, vmkit.pc and the man page all take it from here.
 */
#ifndef VMKIT_VERSION_H
#define VMKIT_VERSION_H

#define VMK_VERSION_MAJOR	0
#define VMK_VERSION_MINOR	3
#define VMK_VERSION_PATCH	0

#define VMK_VERSION_STR__(x)	#x
#define VMK_VERSION_STR_(a, b, c) \
	VMK_VERSION_STR__(a) "." VMK_VERSION_STR__(b) "." VMK_VERSION_STR__(c)
/* "MAJOR.MINOR.PATCH" */
#define VMK_VERSION_STRING \
	VMK_VERSION_STR_(VMK_VERSION_MAJOR, VMK_VERSION_MINOR, VMK_VERSION_PATCH)

/* One number that orders versions: MAJOR * 10000 + MINOR * 100 + PATCH. */
#define VMK_VERSION_NUMBER \
	(VMK_VERSION_MAJOR * 10000 + VMK_VERSION_MINOR * 100 + VMK_VERSION_PATCH)

/*
 * The version of the library that was linked, as "MAJOR.MINOR.PATCH"
 * (compare with VMK_VERSION_STRING to catch a header/library mismatch).
 * Any context; never fails.
 */
const char *vmk_version(void);

#endif /* VMKIT_VERSION_H */
