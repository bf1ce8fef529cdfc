/*
 * libFuzzer target: the machine-description format of `vmkit boot`
 * (tools/vmkit/machine_desc.c, docs/boot-sim.md). Properties of a
 * description that parses: every table within its bound, at least one
 * CPU and at most MD_MAX_CPUS, each CPU on a declared node, strings
 * NUL-terminated inside their fields, inline memory lines non-empty and
 * not wrapping, the image size the sum of the rounded sections; inline
 * memory becomes a firmware map that parses and sanitizes to a sorted,
 * non-overlapping map; a microcode bundle is only there with its
 * module. A description that fails leaves nothing behind to free.
 */
#include "fuzz_util.h"

#include <vmkit/fwmap.h>
#include "machine_desc.h"
#include "sim.h"

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, 0, cap) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct machine_desc d;
	static bool installed;
	struct machine mc;
	uint64_t img = 0;
	size_t bad = 0;

	if (!installed) {
		vmk_sim_install();
		fz_quiet();
		installed = true;
	}
	if (machine_desc_parse(&d, "fuzz", (const char *)data, size))
		return 0;
	FZ_CHECK(d.nmem <= MD_MAX_MEMORY && d.nnode <= MD_MAX_NODE_RANGES && d.nmod <= MD_MAX_MODULES &&
		 d.nucode <= MD_MAX_UCODE && d.nbad <= MD_MAX_BAD, "a table past its bound");
	FZ_CHECK(d.cpus >= 1 && d.cpus <= MD_MAX_CPUS, "%u CPUs", d.cpus);
	for (unsigned int c = 0; c < d.cpus; c++)
		FZ_CHECK(d.cpu_node[c] < MD_MAX_NODES, "CPU %u on node %u", c, d.cpu_node[c]);
	for (size_t i = 0; i < d.nnode; i++)
		FZ_CHECK(d.node[i].nid < MD_MAX_NODES && d.node[i].size &&
			 d.node[i].base + d.node[i].size - 1 >= d.node[i].base, "node range %zu", i);
	FZ_CHECK(terminated(d.name, sizeof(d.name)) && terminated(d.firmware, sizeof(d.firmware)) &&
		 terminated(d.cmdline, sizeof(d.cmdline)), "an unterminated string");
	for (size_t i = 0; i < d.nmod; i++)
		FZ_CHECK(terminated(d.mod[i].path, sizeof(d.mod[i].path)) &&
			 terminated(d.mod[i].type, sizeof(d.mod[i].type)) && d.mod[i].path[0], "module %zu", i);
	for (size_t i = 0; i < d.nucode; i++)
		FZ_CHECK(d.ucode[i].size % 16 == 0 && d.ucode[i].size, "ucode %zu size %llu", i,
			 (unsigned long long)d.ucode[i].size);
	FZ_CHECK(d.firmware[0] || d.nmem, "no memory");
	for (size_t i = 0; i < d.nmem; i++)
		FZ_CHECK(d.mem[i].size && d.mem[i].base + d.mem[i].size > d.mem[i].base, "memory %zu", i);
	img += (d.text + 4095) & ~4095ull;
	img += (d.rodata + 4095) & ~4095ull;
	img += (d.data + 4095) & ~4095ull;
	img += (d.bss + 4095) & ~4095ull;
	FZ_CHECK(machine_desc_image_size(&d) == img, "image size %#llx, sections say %#llx",
		 (unsigned long long)machine_desc_image_size(&d), (unsigned long long)img);
	if (!d.nmem)
		return 0;	/* a firmware file: not read from a fuzz input */
	memset(&mc, 0, sizeof(mc));
	if (machine_desc_load_map(&d, "", false, &mc) == 0) {
		FZ_CHECK(vmk_fwmap_check(&mc.map, VMK_PAGE_SIZE, &bad) == 0, "inline map bad at %zu", bad);
		machine_free(&mc);
	}
	return 0;
}
