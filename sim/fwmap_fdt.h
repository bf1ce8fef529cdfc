/*
 * Device tree memory maps via libfdt: the hosted adapter that turns a DTB
 * into normalized fwmap entries. Hosted code only (tools, tests); the
 * core never sees a device tree, only the entries.
 */
#ifndef VMKIT_SIM_FWMAP_FDT_H
#define VMKIT_SIM_FWMAP_FDT_H

#include <vmkit/boot.h>
#include <vmkit/fwmap.h>

/*
 * Append the memory described by the DTB blob[0 .. len) to m:
 *  - every /memory node (device_type = "memory"; a node named memory or
 *    memory@... without device_type is taken with a warning) whose status
 *    is not "disabled": each reg tuple, read with the root's
 *    #address-cells/#size-cells, becomes a "usable" entry;
 *  - every /reserved-memory child with reg: "reserved", or "nomap" with
 *    VMK_FWMAP_F_NOMAP when it has no-map; reusable adds
 *    VMK_FWMAP_F_REUSABLE. Children with only size (dynamically placed
 *    by the OS) are reported as warnings, not entries;
 *  - every /memreserve/ block entry: "reserved" with VMK_FWMAP_F_MEMRESERVE.
 * src numbers the entries in that order (1-based). Zero-sized ranges are
 * skipped with a warning. Returns 0; -VMK_EPARSE for a malformed blob
 * (bad magic, truncated, bad structure, bad cells, reg of a bad length,
 * a range that wraps); -VMK_ENOENT if the blob describes no memory at all;
 * -VMK_ENOSPC if m is full. On error m is unchanged and diag says why.
 */
int vmk_fwmap_parse_fdt(struct vmk_fwmap *m, const void *blob, size_t len,
			struct vmk_fwmap_diag *diag);

/*
 * The NUMA affinity of the DTB's memory: for every enabled device_type =
 * "memory" node with a numa-node-id, each reg tuple as a range on that node
 * (what Linux's of_numa_parse_memory_nodes() reads). Stores at most cap
 * ranges in r; returns how many (0 for a blob without any, or malformed).
 */
size_t vmk_fwmap_fdt_numa(const void *blob, size_t len, struct vmk_numa_range *r, size_t cap);

#endif /* VMKIT_SIM_FWMAP_FDT_H */
