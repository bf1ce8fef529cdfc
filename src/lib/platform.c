/* The registered platform and the fallbacks for its optional hooks. */
#include <vmkit/platform.h>
#include <vmkit/lib.h>
#include "arch_barrier.h"

static const struct vmk_platform *vmk_plat;
static const struct vmk_platform vmk_plat_none;
const struct vmk_platform *vmk_platform__hot = &vmk_plat_none;


void vmk_platform_set(const struct vmk_platform *p)
{
	vmk_plat = p;
	vmk_platform__hot = p ? p : &vmk_plat_none;
}

const struct vmk_platform *vmk_platform_get(void)
{
	return vmk_plat;
}

void *vmk_phys_to_virt(vmk_paddr_t pa)
{
	if (!vmk_plat || !vmk_plat->phys_to_virt)
		return NULL;
	return vmk_plat->phys_to_virt(vmk_plat->ctx, pa);
}

unsigned long vmk_intr_disable(void)
{
	const struct vmk_platform *p = vmk_platform__hot;

	return p->intr_disable ? p->intr_disable(p->ctx) : 0;
}

void vmk_intr_restore(unsigned long state)
{
	const struct vmk_platform *p = vmk_platform__hot;

	if (p->intr_restore)
		p->intr_restore(p->ctx, state);
}

void vmk_tlb_invalidate(const struct vmk_tlb_req *req)
{
	if (vmk_plat && vmk_plat->tlb_invalidate)
		vmk_plat->tlb_invalidate(vmk_plat->ctx, req);
}

void vmk_barrier(enum vmk_barrier kind)
{
	if (vmk_plat && vmk_plat->barrier)
		vmk_plat->barrier(vmk_plat->ctx, kind);
	else
		vmk_arch_barrier(kind);
}

unsigned int vmk_cpu_id(void)
{
	return (vmk_plat && vmk_plat->cpu_id) ? vmk_plat->cpu_id(vmk_plat->ctx) : 0;
}

unsigned int vmk_cpu_count(void)
{
	return (vmk_plat && vmk_plat->cpu_count) ? vmk_plat->cpu_count(vmk_plat->ctx) : 1;
}

void vmk_rendezvous(vmk_rendezvous_fn fn, void *arg)
{
	if (vmk_plat && vmk_plat->rendezvous)
		vmk_plat->rendezvous(vmk_plat->ctx, fn, arg);
	else
		fn(arg, vmk_cpu_id());
}

void vmk_cpu_relax(void)
{
	if (vmk_plat && vmk_plat->cpu_relax)
		vmk_plat->cpu_relax(vmk_plat->ctx);
}

bool vmk_fault(const char *site)
{
	return vmk_plat && vmk_plat->fault_inject &&
	       vmk_plat->fault_inject(vmk_plat->ctx, site);
}

void vmk_log(enum vmk_log_level level, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!vmk_plat || !vmk_plat->log)
		return;
	va_start(ap, fmt);
	vmk_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vmk_plat->log(vmk_plat->ctx, level, msg);
}

static VMK_NORETURN void panic_msg(const char *msg)
{
	if (vmk_plat && vmk_plat->panic)
		vmk_plat->panic(vmk_plat->ctx, msg);
	__builtin_trap();
}

void vmk_panic(const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	va_start(ap, fmt);
	vmk_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	panic_msg(msg);
}

void vmk_assert_fail(const char *cond, const char *file, int line, const char *fmt, ...)
{
	char what[256], msg[512];
	va_list ap;

	va_start(ap, fmt);
	vmk_vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	vmk_snprintf(msg, sizeof(msg), "invariant violated: %s (%s) at %s:%d",
		     what, cond, file, line);
	panic_msg(msg);
}
