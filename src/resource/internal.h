/* Internal interfaces shared by the files of src/resource (not public). */
#ifndef VMKIT_RESOURCE_INTERNAL_H
#define VMKIT_RESOURCE_INTERNAL_H

#include <vmkit/resource.h>

/*
 * One piece of a RAM root, in address order: usable RAM (ex == NULL, pos
 * 0) or the whole range of an excluding descendant ex, pos being ex's
 * 1-based pre-order position below the RAM root. Non-zero stops.
 */
typedef int (*vmk_resource__piece_fn)(void *arg, vmk_paddr_t start, vmk_paddr_t end,
				      const struct vmk_resource *ex, size_t pos);

/* Cut RAM root ram into pieces (see vmk_resource_walk_usable_ram for the rules). */
int vmk_resource__ram_pieces(const struct vmk_resource *ram, vmk_resource__piece_fn fn, void *arg);

#endif
