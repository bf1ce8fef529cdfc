/*
 * resource: the hierarchical physical resource tree behind /proc/iomem.
 *
 * A resource is an inclusive range [start, end] with a name, flags and a
 * descriptor. Resources nest: every child lies inside its parent and the
 * children of one parent are sorted by address and never overlap. A tree
 * hangs under a root resource (vmk_iomem_root_init() gives the analogue of
 * Linux's iomem_resource, 0 .. VMK_PADDR_MAX) that is never shown itself.
 *
 * Memory: the core never allocates behind the caller's back. Nodes are
 * either caller-owned (static or embedded, exactly like Linux's struct
 * resource) or taken from a struct vmk_resource_pool, which hands out
 * entries of a caller array through a free list and copies parsed names
 * into a caller-provided character arena. Names are NUL-terminated strings
 * the resource points to; the tree never copies or frees them (the parser
 * puts its names in the pool's arena).
 *
 * Locking: no function takes a lock. A tree is a single-writer structure;
 * the embedder serialises modifications against each other and against
 * walks (Linux uses resource_lock, a rwlock, for exactly this).
 *
 * Deep trees are fine: no function recurses, all traversals follow the
 * parent/sibling/child links iteratively, so a hostile 100 000-level
 * /proc/iomem text cannot overflow a kernel stack.
 */
#ifndef VMKIT_RESOURCE_H
#define VMKIT_RESOURCE_H

#include <vmkit/lib.h>

/*
 * Flags, with the values of Linux's IORESOURCE_* so that flag words read
 * from a Linux kernel (e.g. through a crash dump) mean the same here.
 */
enum {
	VMK_RES_TYPE_MASK	= 0x00001f00u,
	VMK_RES_IO		= 0x00000100u,	/* I/O port space */
	VMK_RES_MEM		= 0x00000200u,	/* memory space */
	VMK_RES_REG		= 0x00000300u,	/* register offsets */
	VMK_RES_IRQ		= 0x00000400u,
	VMK_RES_DMA		= 0x00000800u,
	VMK_RES_BUS		= 0x00001000u,
	VMK_RES_PREFETCH	= 0x00002000u,
	VMK_RES_READONLY	= 0x00004000u,
	VMK_RES_CACHEABLE	= 0x00008000u,
	VMK_RES_MEM_64		= 0x00100000u,
	VMK_RES_WINDOW		= 0x00200000u,	/* a bridge window forwarded to children */
	VMK_RES_SYSRAM		= 0x01000000u,	/* System RAM */
	VMK_RES_SYSRAM_DRIVER_MANAGED = 0x02000000u, /* RAM added by a driver (kmem, virtio-mem) */
	VMK_RES_SYSRAM_MERGEABLE = 0x04000000u,
	VMK_RES_EXCLUSIVE	= 0x08000000u,	/* userspace may not map it */
	VMK_RES_DISABLED	= 0x10000000u,
	VMK_RES_UNSET		= 0x20000000u,
	VMK_RES_AUTO		= 0x40000000u,

	VMK_RES_SYSTEM_RAM	= VMK_RES_MEM | VMK_RES_SYSRAM,
};
/* Beyond INT_MAX, which an ISO C11 enumeration constant cannot be. */
#define VMK_RES_BUSY		0x80000000u	/* claimed by a driver or the kernel */

/* Descriptors: what a range is, beyond its flags (Linux's IORES_DESC_*). */
enum vmk_res_desc {
	VMK_RES_DESC_NONE = 0,
	VMK_RES_DESC_CRASH_KERNEL = 1,
	VMK_RES_DESC_ACPI_TABLES = 2,
	VMK_RES_DESC_ACPI_NV_STORAGE = 3,
	VMK_RES_DESC_PERSISTENT_MEMORY = 4,
	VMK_RES_DESC_PERSISTENT_MEMORY_LEGACY = 5,
	VMK_RES_DESC_DEVICE_PRIVATE_MEMORY = 6,
	VMK_RES_DESC_RESERVED = 7,
	VMK_RES_DESC_SOFT_RESERVED = 8,
	VMK_RES_DESC_CXL = 9,
	VMK_RES_DESC_COUNT,
	/* For walks only: match every descriptor. */
	VMK_RES_DESC_ANY = -1,
};

struct vmk_resource {
	vmk_paddr_t start;
	vmk_paddr_t end;		/* inclusive */
	const char *name;		/* not owned; NULL renders as "<BAD>" like Linux */
	uint32_t flags;			/* VMK_RES_* */
	int32_t desc;			/* enum vmk_res_desc */
	struct vmk_resource *parent;	/* NULL for a root or a detached node */
	struct vmk_resource *sibling;	/* next child of the same parent, higher address */
	struct vmk_resource *child;	/* first (lowest) child */
};

/* Longest name the parser and the pool accept (longer is an error, never cut). */
#ifndef VMK_RESOURCE_NAME_MAX
#define VMK_RESOURCE_NAME_MAX	255
#endif

/* ---- nodes ---- */

/*
 * Initialise a detached resource [start, end] (inclusive). Any time; does
 * not validate (request/insert do).
 */
void vmk_resource_init(struct vmk_resource *r, vmk_paddr_t start, vmk_paddr_t end,
		       const char *name, uint32_t flags, int32_t desc);

/*
 * Initialise root as the top of a memory tree: "PCI mem", 0..VMK_PADDR_MAX,
 * VMK_RES_MEM, like Linux's iomem_resource. Any time before use.
 */
void vmk_iomem_root_init(struct vmk_resource *root);

/*
 * Initialise root as the top of an I/O port tree: "PCI IO", 0..0xffff,
 * VMK_RES_IO. Rendering such a tree pads addresses to 4 digits.
 */
void vmk_ioport_root_init(struct vmk_resource *root);

/* Size in bytes of r (end - start + 1); 0 means the full 2^64 range. */
static inline vmk_size_t vmk_resource_size(const struct vmk_resource *r)
{
	return r->end - r->start + 1;
}

/* True if r is linked into a tree under some parent. */
static inline bool vmk_resource_linked(const struct vmk_resource *r)
{
	return r->parent != NULL;
}

/*
 * Pre-order successor of r inside the tree rooted at root (children first,
 * then siblings, then up). Returns NULL after the last node. root itself is
 * never returned; start a walk with vmk_resource_next(root, root).
 */
struct vmk_resource *vmk_resource_next(const struct vmk_resource *root,
				       const struct vmk_resource *r);

/* Like vmk_resource_next() but skips r's descendants. */
struct vmk_resource *vmk_resource_next_skip(const struct vmk_resource *root,
					    const struct vmk_resource *r);

/* Nesting depth of r below its root: 0 for a child of the root. r must be linked. */
unsigned int vmk_resource_depth(const struct vmk_resource *r);

/* ---- the node pool ---- */

/*
 * A pool of nodes over a caller array, plus an arena for names. Not
 * locked: one pool per tree, under the tree's lock.
 */
struct vmk_resource_pool {
	struct vmk_resource *nodes;	/* the caller's array */
	size_t cap;			/* entries in nodes[] */
	struct vmk_resource *free;	/* free list, linked through ->sibling */
	size_t nfree;
	char *names;			/* the caller's name arena (may be NULL) */
	size_t names_cap;
	size_t names_used;		/* bump pointer; see vmk_resource_pool_names_mark */
};

/*
 * Make a pool of the n entries of nodes[] and a name arena of names_cap
 * bytes at names (names may be NULL with names_cap 0 if nothing is parsed).
 * Call before any other pool function.
 */
void vmk_resource_pool_init(struct vmk_resource_pool *pool, struct vmk_resource *nodes,
			    size_t n, char *names, size_t names_cap);

/*
 * Take a node from the pool, initialised as by vmk_resource_init(). The
 * name is not copied. Returns NULL when the pool is empty or the fault site
 * "resource.alloc" fails. Any time.
 */
struct vmk_resource *vmk_resource_alloc(struct vmk_resource_pool *pool, vmk_paddr_t start,
					vmk_paddr_t end, const char *name, uint32_t flags,
					int32_t desc);

/*
 * Give node r back to its pool. r must be detached (not linked, no
 * children) and come from this pool; anything else panics.
 */
void vmk_resource_free(struct vmk_resource_pool *pool, struct vmk_resource *r);

/*
 * Detach r from its tree (if linked) and give all its descendants back to
 * the pool, and r itself if it comes from this pool (a caller-owned r, e.g.
 * a root, is left empty). Every descendant must come from this pool. Any
 * time; never fails.
 */
void vmk_resource_free_tree(struct vmk_resource_pool *pool, struct vmk_resource *r);

/*
 * Copy the len bytes at s into the pool's name arena, NUL-terminated.
 * Returns the copy, or NULL if len exceeds VMK_RESOURCE_NAME_MAX, the arena
 * is full, or the fault site "resource.name" fails. Arena space is given
 * back only by vmk_resource_pool_names_reset(); a failed parse rolls its
 * names back itself.
 */
const char *vmk_resource_pool_strdup(struct vmk_resource_pool *pool, const char *s, size_t len);

/* Current arena fill level, to roll back to with vmk_resource_pool_names_reset(). */
static inline size_t vmk_resource_pool_names_mark(const struct vmk_resource_pool *pool)
{
	return pool->names_used;
}

/* Forget every name stored after mark. The caller guarantees none is still referenced. */
void vmk_resource_pool_names_reset(struct vmk_resource_pool *pool, size_t mark);

/* ---- tree operations (semantics of Linux kernel/resource.c) ---- */

/*
 * Link new as a direct child of parent (Linux request_resource_conflict).
 * Returns 0; -VMK_EINVAL if new->start > new->end, new is already linked or
 * has children, or new == parent; -VMK_ERANGE if new is not inside parent
 * (*conflict = parent); -VMK_EEXIST if it overlaps a child of parent
 * (*conflict = that child, the lowest one). conflict may be NULL. On error
 * nothing changes.
 */
int vmk_resource_request(struct vmk_resource *parent, struct vmk_resource *new,
			 struct vmk_resource **conflict);

/*
 * Insert new into the tree under parent at the deepest place it fits (Linux
 * insert_resource_conflict): descend into the child that strictly contains
 * new, then make new the parent of every child of that level it covers
 * (children with exactly new's range included: new goes above them).
 * Returns 0; -VMK_EINVAL and -VMK_ERANGE as for request; -VMK_EEXIST if new
 * partially overlaps a resource at the level where it lands (*conflict =
 * that resource). On error nothing changes.
 */
int vmk_resource_insert(struct vmk_resource *parent, struct vmk_resource *new,
			struct vmk_resource **conflict);

/*
 * Unlink a childless resource from its parent (Linux release_resource on a
 * leaf; release_region). Returns 0; -VMK_EBUSY if r has children (use
 * vmk_resource_remove() or vmk_resource_free_tree()); -VMK_EINVAL if r is
 * not linked. The node itself is not freed.
 */
int vmk_resource_release(struct vmk_resource *r);

/*
 * Unlink r and move its children up into its place, under r's parent
 * (Linux remove_resource, the inverse of insert). Returns 0 or -VMK_EINVAL
 * if r is not linked. Never fails otherwise: the children already fit
 * between r's neighbours.
 */
int vmk_resource_remove(struct vmk_resource *r);

/*
 * The deepest resource under root that contains addr, or NULL if no child
 * of root does. Any time (under the tree lock).
 */
struct vmk_resource *vmk_resource_lookup(const struct vmk_resource *root, vmk_paddr_t addr);

/*
 * Check every structural invariant of the tree under root: start <= end,
 * parent links, children inside their parent, siblings sorted and
 * disjoint. Panics naming the broken invariant and node; returns the
 * number of resources below root otherwise. Any time.
 */
size_t vmk_resource_check(const struct vmk_resource *root);

/* ---- walks ---- */

/*
 * Called for each match with the match clipped to the walk's window
 * [start, end]. A non-zero return stops the walk and is returned by it.
 */
typedef int (*vmk_resource_walk_fn)(void *arg, vmk_paddr_t start, vmk_paddr_t end,
				    const struct vmk_resource *res);

/*
 * Call fn for every resource under root (any depth) that overlaps
 * [start, end], has all of 'flags' set and has descriptor desc (or any
 * descriptor if desc is VMK_RES_DESC_ANY), in address order. As in Linux's
 * walk_iomem_res_desc, a match hides matching resources nested in it: the
 * walk resumes after the match's end. Returns 0, fn's first non-zero
 * value, or -VMK_EINVAL if start > end.
 */
int vmk_resource_walk(const struct vmk_resource *root, vmk_paddr_t start, vmk_paddr_t end,
		      uint32_t flags, int32_t desc, vmk_resource_walk_fn fn, void *arg);

/*
 * vmk_resource_walk() for VMK_RES_SYSTEM_RAM | VMK_RES_BUSY resources of any
 * descriptor (Linux walk_system_ram_range, in bytes instead of pages).
 */
int vmk_resource_walk_system_ram(const struct vmk_resource *root, vmk_paddr_t start,
				 vmk_paddr_t end, vmk_resource_walk_fn fn, void *arg);

/*
 * The RAM a kexec loader may use: every "RAM root" minus the ranges of its
 * excluding descendants, clipped to [start, end], in address order,
 * adjacent pieces of one RAM root merged. fn's res is the RAM root.
 *
 *  - A RAM root is a resource with VMK_RES_SYSRAM, descriptor NONE and no
 *    VMK_RES_SYSRAM_DRIVER_MANAGED, that is not inside another RAM root.
 *    Roots are searched at the top level and inside plain containers (no
 *    SYSRAM, descriptor NONE or CXL: "PCI Bus", "CXL Window"), never inside
 *    a resource with another descriptor (RAM inside "reserved" or
 *    "Persistent Memory" is not usable).
 *  - Inside a RAM root, a descendant is transparent if it is itself such
 *    RAM (nested "System RAM", "Kernel code/data/bss/rodata": RAM the
 *    running kernel uses and a kexec'd kernel replaces); the walk looks
 *    into it. Every other descendant excludes its whole range: "reserved"
 *    (arm64 firmware reservations, EFI memory map), "ACPI Tables",
 *    "ACPI Non-volatile Storage", "Crash kernel" (the kdump kernel's
 *    home), persistent memory, and any name the parser does not recognise.
 *
 * Returns 0, fn's first non-zero value, or -VMK_EINVAL if start > end.
 */
int vmk_resource_walk_usable_ram(const struct vmk_resource *root, vmk_paddr_t start,
				 vmk_paddr_t end, vmk_resource_walk_fn fn, void *arg);

/* True if r is RAM in the sense of vmk_resource_walk_usable_ram(). Any time. */
bool vmk_resource_is_ram(const struct vmk_resource *r);

/*
 * True if r is a plain container searched for RAM roots by
 * vmk_resource_walk_usable_ram(): no SYSRAM flag, descriptor NONE or CXL
 * ("PCI Bus", "CXL Window"). Any time.
 */
bool vmk_resource_may_hold_ram(const struct vmk_resource *r);

/* ---- names, flags, descriptors ---- */

/*
 * Infer flags and descriptor from a /proc/iomem name (s, len bytes):
 * "System RAM" -> SYSTEM_RAM|BUSY; "System RAM (kmem)" and other
 * "System RAM (...)" -> also SYSRAM_DRIVER_MANAGED; "Kernel code",
 * "Kernel data", "Kernel bss", "Kernel rodata", "Kernel image" ->
 * SYSTEM_RAM|BUSY; "Crash kernel", "Crash kernel (low)" -> SYSTEM_RAM|BUSY,
 * CRASH_KERNEL; "Unusable memory" -> MEM|BUSY; "reserved"/"Reserved" ->
 * RESERVED; "ACPI Tables" -> MEM|BUSY, ACPI_TABLES; "ACPI Non-volatile
 * Storage" -> MEM|BUSY, ACPI_NV_STORAGE; "Persistent Memory" and
 * "Persistent Memory (legacy)"; "Soft Reserved"; "PCI Bus ..." -> WINDOW;
 * everything else: the root's type bits (type), descriptor NONE.
 */
void vmk_resource_classify(const char *s, size_t len, uint32_t type, uint32_t *flags,
			   int32_t *desc);

/* Short name of a descriptor ("none", "reserved", ...), "unknown" if out of range. */
const char *vmk_resource_desc_name(int32_t desc);

/*
 * Name of the single flag bit 'bit' ("MEM", "BUSY", ...), or NULL if the
 * bit has no name. The type field (VMK_RES_TYPE_MASK) is named as a whole:
 * pass the type value (VMK_RES_MEM, VMK_RES_IO, ...).
 */
const char *vmk_resource_flag_name(uint32_t bit);

/* ---- conversion to a firmware map ---- */

struct vmk_fwmap;

/*
 * Append the memory the tree under root describes to firmware map m
 * (include <vmkit/fwmap.h>), in address order, non-overlapping, adjacent
 * entries of one kind merged:
 *  - RAM roots (as in vmk_resource_walk_usable_ram) give "usable" for
 *    their usable pieces and, for each excluding descendant, its kind:
 *    reserved -> reserved, ACPI Tables -> acpi-reclaim, ACPI NVS ->
 *    acpi-nvs, persistent -> persistent, Soft Reserved -> soft-reserved,
 *    anything else (Crash kernel, unknown names) -> reserved.
 *  - Resources with a descriptor found at the top level or inside plain
 *    containers give their kind for their whole range (Crash kernel and
 *    unknown descriptors: reserved; CXL windows are containers and device
 *    private memory is skipped).
 *  - "Unusable memory" gives unusable and "Unknown E820 type" reserved
 *    (Linux gives them no descriptor).
 *  - Plain containers and devices (PCI windows, BARs, ROMs, APICs,
 *    driver-managed RAM) give no entry: E820 leaves them as holes too, and
 *    an MMIO entry would claim knowledge the text does not carry.
 * Entries get fw_type 0, attr 0, flags 0 and src = the resource's 1-based
 * pre-order position, which is its line in the rendered /proc/iomem text
 * (for usable pieces: the RAM root's). Returns 0; -VMK_ENOSPC if m is full;
 * -VMK_ERANGE if a resource spans all 2^64 bytes (no entry can say so). On
 * error m is unchanged. Any time (under the tree lock).
 */
int vmk_resource_to_fwmap(const struct vmk_resource *root, struct vmk_fwmap *m);

/* ---- /proc/iomem text ---- */

/*
 * Render the tree under root exactly as Linux's /proc/iomem (or
 * /proc/ioports when root->end < 0x10000): "%*s%0*llx-%0*llx : %s\n" with
 * two spaces per level, lowercase hex padded to 8 digits (4 for ioports).
 * Unlike Linux, deeper levels than 5 keep indenting (Linux caps the indent
 * at MAX_IORES_LEVEL), so the output always parses back to the same tree.
 */
void vmk_resource_render(const struct vmk_resource *root, struct vmk_out *out);

/*
 * Render the tree under root as JSON: an array of objects {"start": N,
 * "end": N, "name": "...", "flags": ["MEM", ...], "desc": "none",
 * "children": [...]}, with start/end as decimal integers (inclusive end)
 * and unnamed flag bits as "0x...". Stable interface for other tools.
 */
void vmk_resource_render_json(const struct vmk_resource *root, struct vmk_out *out);

/* Where and why parsing failed. */
struct vmk_resource_error {
	unsigned int line;	/* 1-based line number, 0 if not about a line */
	char msg[160];		/* the reason, without the line number */
};

/*
 * Parse /proc/iomem (or /proc/ioports) text into the empty tree under root,
 * taking nodes and name copies from pool. Every line is
 * "<indent><hex>-<hex> : <name>" where the indent is two spaces per level
 * and defines the parent; hex digits may be upper or lower case and of any
 * length up to 16 significant digits. Blank lines are skipped; a final
 * line without a newline is accepted. Flags and descriptor come from
 * vmk_resource_classify() with root's type bits.
 *
 * Returns 0; -VMK_EINVAL if root already has children; -VMK_EPARSE for
 * malformed text (bad hex, start > end, child outside its parent, sibling
 * overlapping or before its predecessor, indentation that is odd, uses
 * tabs or jumps more than one level deeper, missing " : " or name, name
 * longer than VMK_RESOURCE_NAME_MAX or holding a control character other
 * than tab); -VMK_ENOMEM if the pool has no node
 * or no name space left (or an injected fault). On error err (if not NULL)
 * says which line and why, and the tree and the pool are as before.
 */
int vmk_resource_parse(struct vmk_resource *root, struct vmk_resource_pool *pool,
		       const char *text, size_t len, struct vmk_resource_error *err);

#endif /* VMKIT_RESOURCE_H */
