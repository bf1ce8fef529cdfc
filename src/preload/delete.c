/*
 * Deleting a preloaded file and unloading a loader-loaded module: the
 * file's records become EMPTY and its memory goes back through
 * kmem_bootstrap_free. Lookups are by full path: the seed-000 bug was a
 * linker that passed the basename, which matched nothing, so nothing was
 * ever freed.
 */
#include "preload_internal.h"
#include <vmkit/kmem.h>



int vmk_preload_delete_name(struct vmk_preload *pl, const char *name)
{
	vmk_preload_file f;
	vmk_vaddr_t addr;
	vmk_size_t size;

	if (!name)
		return -VMK_EINVAL;
	f = vmk_preload_search_by_name(pl, name);
	if (f == VMK_PRELOAD_NONE)
		return -VMK_ENOENT;
	addr = vmk_preload_addr(pl, f);
	size = vmk_preload_size(pl, f);
	vmk_preload__clear(pl, f);
	if (addr && size)
		return vmk_kmem_bootstrap_free(addr, size);
	return 0;
}

static const char *basename_of(const char *p)
{
	const char *b = p;

	for (; *p; p++)
		if (*p == '/')
			b = p + 1;
	return b;
}

int vmk_preload_unload_module(struct vmk_preload *pl, const char *name)
{
	char full[256];
	vmk_preload_file f;
	const char *t;

	if (!name || !*name)
		return -VMK_EINVAL;
	f = vmk_preload_search_by_name(pl, name);
	for (vmk_preload_file g = vmk_preload_next(pl, VMK_PRELOAD_NONE); f == VMK_PRELOAD_NONE && g != VMK_PRELOAD_NONE;
	     g = vmk_preload_next(pl, g))
		if (vmk_strcmp(basename_of(vmk_preload_name(pl, g)), name) == 0)
			f = g;
	if (f == VMK_PRELOAD_NONE)
		return -VMK_ENOENT;
	t = vmk_preload_type(pl, f);
	if (t && (vmk_strcmp(t, VMK_PRELOAD_TYPE_KERNEL) == 0 || vmk_strcmp(t, "elf64 kernel") == 0))
		return -VMK_EBUSY;
	/* Delete by the loader's full path, never by what the user typed. */
	if (vmk_strlcpy(full, vmk_preload_name(pl, f), sizeof(full)) >= sizeof(full))
		return -VMK_ENOSPC;
	return vmk_preload_delete_name(pl, full);
}
