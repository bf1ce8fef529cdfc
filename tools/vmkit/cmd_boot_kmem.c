/*
 * vmkit boot: the phases that run on the kmem layer (include/vmkit/kmem.h,
 * preload.h): kmem over a kernel VA window, the loader's record list, and
 * the release of the preloaded files the description marks "unload"
 * (vmk_preload_delete_name by full path, which frees through
 * vmk_kmem_bootstrap_free). The tool only calls kmem.
 */
#include <string.h>

#include <vmkit/kmem.h>
#include <vmkit/phys.h>
#include <vmkit/preload.h>
#include <vmkit/ucode.h>

#include "cmd_boot.h"
#include "sim.h"

/* The kmem window: where Linux x86-64 puts vmalloc, arm64's vmalloc start. */
#define KVA_X86_64	0xffffc90000000000ull
#define KVA_ARM64	0xffff800010000000ull

int boot_phase_kmem(struct boot *b)
{
	struct vmk_kmem_config kc;
	uint64_t size = VMK_ALIGN_UP(b->ram, VMK_KMEM_UNIT);
	int r;

	/* As much KVA as RAM, at least 16 GiB and at most 256 GiB: the unit table stays small. */
	size = VMK_MIN(VMK_MAX(size, 16 * VMK_GiB), 256 * VMK_GiB);
	memset(&kc, 0, sizeof(kc));
	kc.kva_start = b->d->arch == MD_ARCH_X86_64 ? KVA_X86_64 : KVA_ARM64;
	if (b->d->kmem_size) {
		kc.kva_start = b->d->kmem_base;
		size = b->d->kmem_size;
	}
	kc.kva_end = kc.kva_start + size;
	if (boot_vrange_free(b, "kmem", kc.kva_start, size, "kmem window"))
		return -1;
	kc.cpu_domain = b->d->cpu_node;
	kc.ncpus = b->d->cpus;
	vmk_kmem_reset();
	r = vmk_kmem_init(&kc);
	if (r) {
		fprintf(stderr, "vmkit boot: %s: kmem: vmk_kmem_init: %s\n", b->name, vmk_strerror(r));
		return -1;
	}
	b->kmem_ready = true;
	b->kmem_start = kc.kva_start;
	b->kmem_end = kc.kva_end;
	if (b->nvr < BOOT_MAX_VRANGES)
		b->vr[b->nvr++] = (struct boot_vrange){ kc.kva_start, kc.kva_end - kc.kva_start, "kmem window" };
	snprintf(b->ph[PH_KMEM].note, sizeof(b->ph[PH_KMEM].note), "KVA window 0x%llx-0x%llx (%llu GiB)",
		 (unsigned long long)kc.kva_start, (unsigned long long)(kc.kva_end - 1),
		 (unsigned long long)(size >> 30));
	return 0;
}

int boot_preload_records(struct boot *b)
{
	int r = vmk_preload_init(&b->pl, b->pl_buf, sizeof(b->pl_buf));

	if (!r)
		r = vmk_preload_add_file(&b->pl, "/boot/kernel/kernel", VMK_PRELOAD_TYPE_KERNEL, b->kva, b->ksize);
	for (size_t i = 0; i < b->npre && !r; i++)
		r = vmk_preload_add_file(&b->pl, b->pre[i].mod->path, b->pre[i].mod->type, b->pre[i].va,
					 b->pre[i].size);
	if (r) {
		fprintf(stderr, "vmkit boot: %s: the loader's record list: %s\n", b->name, vmk_strerror(r));
		return -1;
	}
	return 0;
}

/*
 * Each CPU's area in its node, alone in a no-promote 2 MiB unit, or
 * ("percpu SIZE rendezvous") in ordinary kmem memory whose 2 MiB blocks
 * promote and demote only under a rendezvous.
 */
int boot_phase_percpu(struct boot *b)
{
	enum vmk_kmem_pcpu_strategy s = b->d->percpu_rendezvous ? VMK_KMEM_PCPU_RENDEZVOUS : VMK_KMEM_PCPU_ALONE;

	for (unsigned int c = 0; c < b->d->cpus; c++) {
		vmk_vaddr_t va = vmk_kmem_pcpu_alloc(b->d->cpu_node[c], b->d->percpu_size, s);

		if (!va) {
			fprintf(stderr, "vmkit boot: %s: percpu: no area for CPU %u\n", b->name, c);
			return -1;
		}
		b->percpu_va[c] = va;
		b->percpu_bytes += VMK_ALIGN_UP(b->d->percpu_size, VMK_PAGE_SIZE);
	}
	snprintf(b->ph[PH_PERCPU].note, sizeof(b->ph[PH_PERCPU].note), "%u areas of %llu KiB (%s)",
		 b->d->cpus, (unsigned long long)b->d->percpu_size >> 10,
		 b->d->percpu_rendezvous ? "rendezvous" : "alone");
	return 0;
}

/* The simulated CPU's microcode MSRs: an update must be newer than the running one. */
static int32_t sim_rev;

static int32_t ucode_current(void *ctx)
{
	(void)ctx;
	return sim_rev;
}

static int ucode_apply(void *ctx, vmk_vaddr_t va, vmk_size_t len)
{
	struct vmk_pmap_mapping m;
	const unsigned char *h;
	int32_t rev;

	(void)ctx;
	(void)len;
	/* The update's revision (header dword 1), read through the kernel mapping. */
	if (vmk_pmap_extract(vmk_pmap_kernel(), va, &m) || !(h = vmk_sim_phys_to_virt(m.pa)))
		return -VMK_EINVAL;
	rev = (int32_t)((uint32_t)h[4] | (uint32_t)h[5] << 8 | (uint32_t)h[6] << 16 | (uint32_t)h[7] << 24);
	if (rev <= sim_rev)
		return -VMK_EBUSY;
	sim_rev = rev;
	return 0;
}

int boot_phase_microcode(struct boot *b)
{
	struct vmk_ucode_cpu cpu = { b->d->cpu_signature, 1u << b->d->cpu_platform };
	struct vmk_ucode_ops ops = { ucode_current, ucode_apply, NULL };
	struct vmk_ucode_result res;
	int r;

	sim_rev = (int32_t)b->d->cpu_revision;
	memset(&res, 0, sizeof(res));
	r = vmk_ucode_load(&b->pl, &cpu, &ops, b->d->ucode_release, &res);
	b->ucode_applied = res.applied;
	b->ucode_copy = res.copy;
	b->ucode_copy_size = res.copy_size;
	b->ucode_applied_rev = (uint32_t)res.new_rev;
	for (size_t i = 0; i < b->npre && res.files_released; i++)
		if (!strcmp(b->pre[i].mod->type, VMK_PRELOAD_TYPE_UCODE) &&
		    vmk_preload_search_by_name(&b->pl, b->pre[i].mod->path) == VMK_PRELOAD_NONE)
			b->pre[i].freed = true;
	if (r && r != -VMK_ENOENT && r != -VMK_EBUSY && r != -VMK_EPARSE) {
		fprintf(stderr, "vmkit boot: %s: microcode: %s\n", b->name, vmk_strerror(r));
		return -1;
	}
	if (res.applied)
		snprintf(b->ph[PH_MICROCODE].note, sizeof(b->ph[PH_MICROCODE].note),
			 "revision 0x%x -> 0x%x; %u file(s) released, %llu pages freed", (unsigned)res.old_rev,
			 (unsigned)res.new_rev, res.files_released, (unsigned long long)res.pages_released);
	else
		snprintf(b->ph[PH_MICROCODE].note, sizeof(b->ph[PH_MICROCODE].note), "nothing applied: %.120s",
			 res.err[0] ? res.err : vmk_strerror(r));
	return 0;
}

/* Free one preloaded file's memory (whole pages inside it; partial pages stay). */
static int release(struct boot *b, struct boot_preload *p)
{
	struct vmk_phys_stats before, after;
	int r;

	vmk_phys_drain_all_quiescent();
	vmk_phys_get_stats(&before);
	r = vmk_preload_delete_name(&b->pl, p->mod->path);
	if (r) {
		fprintf(stderr, "vmkit boot: %s: releasing %s: vmk_preload_delete_name: %s\n", b->name,
			p->mod->path, vmk_strerror(r));
		return -1;
	}
	vmk_phys_drain_all_quiescent();
	vmk_phys_get_stats(&after);
	p->freed = true;
	p->freed_bytes = (after.free - before.free) * VMK_PAGE_SIZE;
	return 0;
}

int boot_phase_preloads(struct boot *b)
{
	uint64_t bytes = 0;
	unsigned int n = 0;

	for (size_t i = 0; i < b->npre; i++) {
		if (!b->pre[i].mod->unload)
			continue;
		if (release(b, &b->pre[i]))
			return -1;
		bytes += b->pre[i].freed_bytes;
		n++;
	}
	snprintf(b->ph[PH_PRELOADS].note, sizeof(b->ph[PH_PRELOADS].note),
		 "%u module(s) unloaded, %llu KiB freed", n, (unsigned long long)bytes >> 10);
	return 0;
}

void boot_kmem_free(struct boot *b)
{
	/* kmem is forgotten only with its allocations freed: the kept microcode copy, per-CPU areas. */
	if (b->ucode_copy)
		vmk_kmem_free(b->ucode_copy, b->ucode_copy_size);
	b->ucode_copy = 0;
	/* Rendezvous per-CPU areas are ordinary kmem memory (ALONE units are the root arena's). */
	for (unsigned int c = 0; c < MD_MAX_CPUS && b->d && b->d->percpu_rendezvous; c++)
		if (b->percpu_va[c])
			vmk_kmem_free(b->percpu_va[c], b->d->percpu_size);
	memset(b->percpu_va, 0, sizeof(b->percpu_va));
	if (b->kmem_ready)
		vmk_kmem_reset();
	b->kmem_ready = false;
}
