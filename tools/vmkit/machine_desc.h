/*
 * Machine descriptions for `vmkit boot`: a small line-oriented text format
 * (docs/boot-sim.md) naming the architecture, the firmware memory map (a
 * file in any format tools/vmkit/machine.c reads, or inline "memory"
 * lines), CPUs, NUMA layout, kernel image sections, preloaded modules, a
 * microcode bundle and the kernel command line. Hosted.
 */
#ifndef VMKIT_TOOL_MACHINE_DESC_H
#define VMKIT_TOOL_MACHINE_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine.h"

#define MD_MAX_MEMORY	64
#define MD_MAX_NODES	8	/* VMK_MAX_DOMAINS */
#define MD_MAX_NODE_RANGES 32
#define MD_MAX_CPUS	64	/* VMK_MAX_CPUS */
#define MD_MAX_MODULES	16
#define MD_MAX_UCODE	32
#define MD_MAX_BAD	64
#define MD_PATH_MAX	256
#define MD_MAX_SECTIONS	12
#define MD_MAX_DEVICES	8

enum md_arch { MD_ARCH_X86_64 = 0, MD_ARCH_ARM64 = 1 };

/* An inline "memory BASE SIZE KIND" line. */
struct md_memory {
	uint64_t base, size;
	char kind[24];		/* usable, reserved, acpi, nvs, unusable, persistent */
};

/* A "node N BASE SIZE" line: memory of [base, base+size) is on node nid. */
struct md_node_range {
	unsigned int nid;
	uint64_t base, size;
};

struct md_module {
	char path[MD_PATH_MAX];	/* the loader's full path (the NAME record) */
	char type[48];		/* the TYPE record ("elf module", "cpu_microcode", ...) */
	uint64_t size;
	bool unload;		/* unloaded after boot: its memory is freed */
};

/* One update of the generated microcode bundle. */
struct md_ucode {
	uint32_t signature, platform, revision;
	uint64_t size;		/* total size of the update, a multiple of 16 */
	bool ext;		/* carries an extended signature table */
	bool corrupt;		/* wrong checksum: the scan must stop at it */
};

/* An "image" section: size (multiple of 4 KiB) and protection (VMK_PROT_*). */
struct md_section {
	uint64_t size;
	uint32_t prot;
};

/* A "device VA PA SIZE TYPE" line: device registers the kernel maps rw-, 4 KiB pages. */
struct md_device {
	uint64_t va, pa, size;
	unsigned int memtype;	/* VMK_MEMTYPE_* */
};

struct machine_desc {
	char name[64];
	enum md_arch arch;
	/* Firmware map: a file (relative to the description) or inline memory lines. */
	char firmware[MD_PATH_MAX];
	enum machine_src fw_src;
	struct md_memory mem[MD_MAX_MEMORY];
	size_t nmem;
	/* NUMA: node ranges; CPUs per node (cpu_node[c]). */
	struct md_node_range node[MD_MAX_NODE_RANGES];
	size_t nnode;
	unsigned int cpus;
	uint8_t cpu_node[MD_MAX_CPUS];
	/* The simulated CPU's microcode identity. */
	uint32_t cpu_signature, cpu_platform, cpu_revision;
	/* Kernel image sections (bytes) and optional fixed physical address. */
	uint64_t text, rodata, data, bss;
	uint64_t kernel_addr;
	bool kernel_fixed;
	/* Preloaded modules; the microcode bundle is one of them (type cpu_microcode). */
	struct md_module mod[MD_MAX_MODULES];
	size_t nmod;
	struct md_ucode ucode[MD_MAX_UCODE];
	size_t nucode;
	bool ucode_release;	/* release the microcode preloads after applying (default yes) */
	char cmdline[1024];
	uint64_t bad[MD_MAX_BAD];
	size_t nbad;
	uint64_t percpu_size;	/* bytes of each CPU's area (default 64 KiB) */
	bool percpu_rendezvous;	/* "percpu SIZE rendezvous": VMK_KMEM_PCPU_RENDEZVOUS, else ALONE */
	/*
	 * A real kernel's layout (the demo kernel prints these lines, see
	 * docs/kernel.md): an image a loader already placed ("image"),
	 * device mappings, boot-services memory kept until the page tables
	 * are built, the pmap's features and the kmem window.
	 */
	bool have_image;
	uint64_t image_pa, image_va;
	struct md_section sect[MD_MAX_SECTIONS];
	size_t nsect;
	struct md_device dev[MD_MAX_DEVICES];
	size_t ndev;
	bool bs_late;		/* "boot-services late" */
	bool pmap_no_1g;	/* "pmap 1g=no" */
	uint64_t pmap_tmp_va, pmap_dmap_size;	/* "pmap tmp=VA dmap=SIZE" (arm64 BBM on the direct map) */
	uint64_t kmem_base, kmem_size;	/* "kmem BASE SIZE" (0: the tool's window) */
};

/*
 * Parse a description of len bytes (text, need not be NUL-terminated).
 * name is used in messages ("NAME:LINE: ..."), which go to stderr.
 * Returns 0, or -1 after printing the first error.
 */
int machine_desc_parse(struct machine_desc *d, const char *name, const char *text, size_t len);

/* Kernel image size: the sections, each rounded up to 4 KiB. */
uint64_t machine_desc_image_size(const struct machine_desc *d);

/*
 * Build the firmware map of d: the firmware file resolved against dir (the
 * description's directory; "" for the working directory), or, for the
 * embedded description, the embedded default map; or the inline memory
 * lines as E820 text. Returns 0, or -1 after printing a message.
 */
int machine_desc_load_map(const struct machine_desc *d, const char *dir, bool embedded,
			  struct machine *mc);

/* The embedded default description (examples/machines/q35-4G.machine). */
extern const unsigned char vmkit_default_boot[];
extern const size_t vmkit_default_boot_len;

#endif
