/*
 * preload: the loader's list of preloaded files (FreeBSD's preload_* and
 * MODINFO records), and their release.
 *
 * The list is a sequence of records, each a 32-bit type, a 32-bit length
 * and that many bytes of data padded to 8 bytes. Every file starts with a
 * NAME record (its full path, NUL-terminated), followed by TYPE (string),
 * ADDR and SIZE (64-bit), ARGS and METADATA records (METADATA | subtype);
 * END closes the list. A deleted file's records become EMPTY, so nothing
 * finds them again.
 *
 * Contexts: the list is not locked; callers serialise (the loader's list
 * is only changed at boot and by the module linker, under its lock).
 */
#ifndef VMKIT_PRELOAD_H
#define VMKIT_PRELOAD_H

#include <vmkit/lib.h>

/* Record types (FreeBSD's MODINFO_*). */
enum {
	VMK_MODINFO_END = 0x0000,
	VMK_MODINFO_NAME = 0x0001,
	VMK_MODINFO_TYPE = 0x0002,
	VMK_MODINFO_ADDR = 0x0003,
	VMK_MODINFO_SIZE = 0x0004,
	VMK_MODINFO_EMPTY = 0x0005,
	VMK_MODINFO_ARGS = 0x0006,
	VMK_MODINFO_METADATA = 0x8000,
};

/* File types the loader uses. */
#define VMK_PRELOAD_TYPE_KERNEL		"elf kernel"
#define VMK_PRELOAD_TYPE_MODULE		"elf obj module"
#define VMK_PRELOAD_TYPE_UCODE		"cpu_microcode"

struct vmk_preload {
	uint8_t *buf;
	size_t len;	/* bytes up to and including the END record */
	size_t cap;
};

/* A file in the list: the offset of its NAME record (0 is a valid file). */
typedef long vmk_preload_file;
#define VMK_PRELOAD_NONE	(-1L)

/*
 * Start an empty list (just END) in buf. Returns 0, or -VMK_EINVAL if buf
 * is NULL, not 8-byte aligned or smaller than one record.
 */
int vmk_preload_init(struct vmk_preload *pl, void *buf, size_t cap);

/*
 * Append a file: NAME, TYPE, ADDR, SIZE records before END. Returns 0,
 * -VMK_EINVAL (empty name or type) or -VMK_ENOSPC (buffer full: nothing
 * appended).
 */
int vmk_preload_add_file(struct vmk_preload *pl, const char *name, const char *type,
			 vmk_vaddr_t addr, vmk_size_t size);

/*
 * Append a record of type (e.g. VMK_MODINFO_METADATA | 1, VMK_MODINFO_ARGS)
 * with len bytes of data to the last file. Returns 0, -VMK_EINVAL (no file
 * yet, type END/NAME/EMPTY) or -VMK_ENOSPC.
 */
int vmk_preload_add_record(struct vmk_preload *pl, uint32_t type, const void *data, uint32_t len);

/*
 * Adopt a list the loader built in buf (len bytes at most): checks that
 * every record lies inside, the first is NAME, NAME and TYPE strings are
 * NUL-terminated inside their record, ADDR and SIZE hold 8 bytes, and an
 * END closes it. Returns 0, or -VMK_EPARSE with *bad_off (may be NULL) set
 * to the offset of the first malformed record.
 */
int vmk_preload_parse(struct vmk_preload *pl, void *buf, size_t len, size_t *bad_off);

/* The file whose NAME is exactly name (the full path), or VMK_PRELOAD_NONE. */
vmk_preload_file vmk_preload_search_by_name(const struct vmk_preload *pl, const char *name);

/* The first file of type type at or after file 'after' (VMK_PRELOAD_NONE: from the start). */
vmk_preload_file vmk_preload_search_by_type(const struct vmk_preload *pl, const char *type,
					    vmk_preload_file after);

/* The file after f (VMK_PRELOAD_NONE: the first), or VMK_PRELOAD_NONE at the end. */
vmk_preload_file vmk_preload_next(const struct vmk_preload *pl, vmk_preload_file f);

/* The data of f's first record of type, its length in *len (may be NULL); NULL if none. */
const void *vmk_preload_search_info(const struct vmk_preload *pl, vmk_preload_file f, uint32_t type,
				    uint32_t *len);

/* Accessors: NAME, TYPE (NULL if missing), ADDR and SIZE (0 if missing). */
const char *vmk_preload_name(const struct vmk_preload *pl, vmk_preload_file f);
const char *vmk_preload_type(const struct vmk_preload *pl, vmk_preload_file f);
vmk_vaddr_t vmk_preload_addr(const struct vmk_preload *pl, vmk_preload_file f);
vmk_size_t vmk_preload_size(const struct vmk_preload *pl, vmk_preload_file f);

/*
 * Delete the file whose NAME is exactly name (the full path, as the
 * loader recorded it): every record of the file becomes EMPTY and its
 * memory [ADDR, ADDR + SIZE) is freed with vmk_kmem_bootstrap_free (which
 * keeps partial head and tail pages). A basename, or a file already
 * deleted, matches nothing. Returns 0, -VMK_ENOENT (no such file) or the
 * error of vmk_kmem_bootstrap_free (the records are EMPTY anyway).
 */
int vmk_preload_delete_name(struct vmk_preload *pl, const char *name);

/*
 * Unload a module the loader loaded, given its file name as a user would
 * (full path, or basename as kldunload takes it): looks the file up and
 * deletes it by the full path from its NAME record, so its memory is
 * freed. Returns 0, -VMK_ENOENT, -VMK_EBUSY (the kernel itself) or a
 * delete error.
 */
int vmk_preload_unload_module(struct vmk_preload *pl, const char *name);

/* One line per file: name, type, address, size. */
void vmk_preload_print(const struct vmk_preload *pl, struct vmk_out *out);

#endif /* VMKIT_PRELOAD_H */
