/* Internal helpers shared by the kexec sources. */
#ifndef VMKIT_KEXEC_INTERNAL_H
#define VMKIT_KEXEC_INTERNAL_H

#include <vmkit/kexec.h>

/* Exclusion kind for a resource descriptor (Crash kernel, ACPI, reserved, other). */
unsigned int vmk_kexec__kind_of_desc(int32_t desc);

#endif
