/*
 * The riscv64 boot stage (what efi.c is on UEFI): OpenSBI hands over
 * the hart ID and the device tree; the kernel reads everything it needs
 * from the tree while the early table still maps it (memory nodes,
 * /reserved-memory with OpenSBI's own region, /memreserve/, /chosen, the
 * harts and their MMU), then the portable boot (main.c) runs. The
 * firmware map vmkit starts from is built from the tree here.
 */
#include <vmkit/fwmap.h>

#include "../kernel.h"
#include "rv.h"

struct boot_info boot_info;

extern char __ImageBase[], __text_start[], __rodata_start[], __data_start[], __image_end[];
#define KIMG_PA		0x80200000ull

/* The image's sections as the linker script lays them out (after the header page). */
unsigned int pe_sections(const void *base, struct pe_section *out, unsigned int max)
{
	static const struct {
		const char *name;
		uint32_t prot;
	} kinds[] = {
		{ ".text", VMK_PROT_READ | VMK_PROT_EXEC },
		{ ".rodata", VMK_PROT_READ },
		{ ".data", VMK_PROT_READ | VMK_PROT_WRITE },
	};
	const char *bounds[] = { __text_start, __rodata_start, __data_start, __image_end };
	unsigned int n = 0;

	(void)base;
	for (unsigned int i = 0; i < 3 && n < max; i++) {
		out[n].rva = (uint64_t)(bounds[i] - __ImageBase);
		out[n].size = (uint64_t)(bounds[i + 1] - bounds[i]);
		out[n].prot = kinds[i].prot;
		vmk_memset(out[n].name, 0, sizeof(out[n].name));
		vmk_memcpy(out[n].name, kinds[i].name, vmk_strlen(kinds[i].name));
		if (out[n].size)
			n++;
	}
	return n;
}

static int add(struct vmk_fwmap *fw, uint64_t base, uint64_t size, uint32_t kind, const char *what)
{
	int r = vmk_fwmap_add(fw, base, size, kind, 0);

	kprintf("dt: %-16s [0x%016llx-0x%016llx) %s\n", what, (unsigned long long)base,
		(unsigned long long)(base + size), vmk_mem_kind_name(kind));
	return r;
}

/*
 * The firmware map from the device tree: memory nodes usable, the
 * /reserved-memory children no-map (OpenSBI marks its M-mode region so;
 * Linux keeps such memory out of the linear map), /memreserve/ reserved,
 * and what the boot stage itself occupies (the image and the tree) as
 * the loader's.
 */
int firmware_map(struct vmk_fwmap *fw, struct vmk_fwmap_diag *diag, unsigned int *nsrc)
{
	const struct dt_info *dt = &boot_info.dt;
	int r = 0;

	(void)diag;
	kprintf("dt: device tree at 0x%llx, %u bytes, version %u; /chosen stdout-path %s\n",
		(unsigned long long)dt->pa, dt->size, dt->version, dt->stdout_path ? dt->stdout_path : "(none)");
	for (unsigned int i = 0; i < dt->nmem && !r; i++)
		r = add(fw, dt->mem[i].base, dt->mem[i].size, VMK_MEM_USABLE, "memory");
	for (unsigned int i = 0; i < dt->nresmem && !r; i++)
		r = add(fw, dt->resmem[i].base, dt->resmem[i].size, VMK_MEM_NOMAP, "reserved-memory");
	for (unsigned int i = 0; i < dt->nrsv && !r; i++)
		r = add(fw, dt->rsv[i].base, dt->rsv[i].size, VMK_MEM_RESERVED, "memreserve");
	if (!r)
		r = add(fw, boot_info.image_pa, VMK_ALIGN_UP(boot_info.image_size, VMK_PAGE_SIZE),
			VMK_MEM_BOOTLOADER, "kernel image");
	if (!r && boot_info.module_size)
		r = add(fw, boot_info.module_pa, boot_info.module_size, VMK_MEM_BOOTLOADER, "initrd (module)");
	if (!r)
		r = add(fw, VMK_ALIGN_DOWN(dt->pa, VMK_PAGE_SIZE),
			VMK_ALIGN_UP(dt->pa + dt->size, VMK_PAGE_SIZE) - VMK_ALIGN_DOWN(dt->pa, VMK_PAGE_SIZE),
			VMK_MEM_BOOTLOADER, "device tree");
	*nsrc = dt->nmem + dt->nresmem + dt->nrsv + 2 + (boot_info.module_size != 0);
	return r;
}

void rv_main(uint64_t hartid, uint64_t dtb_pa);

void rv_main(uint64_t hartid, uint64_t dtb_pa)
{
	struct boot_info *bi = &boot_info;
	struct dt_info *dt = &bi->dt;
	unsigned int boot = 0;

	kputs("vmkit-kernel: riscv64 entry (OpenSBI)\n");
	bi->image_kva = (uint64_t)(uintptr_t)__ImageBase;
	bi->image_pa = KIMG_PA;
	bi->image_size = (uint64_t)(__image_end - __ImageBase);
	bi->dtb_pa = dtb_pa;
	/* The tree through the early table's identity map of the GiB at 0x80000000. */
	if (dtb_pa < 0x80000000ull || dtb_pa >= 0xc0000000ull || dt_read(dt, (const void *)(uintptr_t)dtb_pa)) {
		kprintf("vmkit-kernel: no valid device tree at 0x%llx\n", (unsigned long long)dtb_pa);
		arch_exit(KERNEL_EXIT_FAIL);
	}
	/* CPU 0 is the boot hart (OpenSBI may pick any); the others in the tree's order. */
	bi->ncpus = dt->ncpus ? dt->ncpus : 1;
	for (unsigned int i = 0; i < dt->ncpus; i++) {
		bi->cpu_hwid[i] = dt->mpidr[i];
		if (dt->mpidr[i] == hartid)
			boot = i;
	}
	bi->cpu_hwid[boot] = bi->cpu_hwid[0];
	bi->cpu_hwid[0] = (uint32_t)hartid;
	bi->cpus_from_dt = true;
	/*
	 * The initrd QEMU (the loader) placed is the "preloaded module" the
	 * kernel gives back later; whole pages only (a shared page stays).
	 */
	if (dt->initrd_end > dt->initrd_start) {
		bi->module_pa = VMK_ALIGN_UP(dt->initrd_start, VMK_PAGE_SIZE);
		if (VMK_ALIGN_DOWN(dt->initrd_end, VMK_PAGE_SIZE) > bi->module_pa)
			bi->module_size = VMK_ALIGN_DOWN(dt->initrd_end, VMK_PAGE_SIZE) - bi->module_pa;
	}
	kernel_main();
}
