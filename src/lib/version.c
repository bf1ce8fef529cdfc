/* The linked library's version (include/vmkit/version.h). */
#include <vmkit/version.h>

const char *vmk_version(void)
{
	return VMK_VERSION_STRING;
}
