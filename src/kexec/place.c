/*
 * Segment placement: the first hole, in the chosen direction, that holds
 * the segment aligned inside its window.
 */
#include <vmkit/kexec.h>

struct fit {
	vmk_paddr_t min, max;		/* window, max exclusive */
	vmk_size_t memsz, align, phase, boundary;
	bool top_down;
	bool found;
	vmk_paddr_t base;
	struct vmk_range hole;		/* the hole it went into */
	struct vmk_range best_win;	/* largest hole clipped to the window */
	struct vmk_range best_any;	/* largest hole anywhere */
};

static bool crosses(vmk_paddr_t x, vmk_size_t memsz, vmk_size_t b)
{
	return b && x / b != (x + memsz - 1) / b;
}

/* Lowest fit in [a, b) or false. */
static bool fit_low(const struct fit *f, vmk_paddr_t a, vmk_paddr_t b, vmk_paddr_t *out)
{
	vmk_paddr_t x;

	if (a <= f->phase) {
		x = f->phase;
	} else {
		if (a - f->phase > VMK_PADDR_MAX - (f->align - 1))
			return false;
		x = VMK_ALIGN_UP(a - f->phase, f->align) + f->phase;
	}
	if (x < a || x > b || b - x < f->memsz)
		return false;
	if (crosses(x, f->memsz, f->boundary)) {
		/* phase is 0 whenever boundary is set (checked). */
		x = VMK_ALIGN_DOWN(x + f->memsz - 1, f->boundary);
		if (x > VMK_PADDR_MAX - (f->align - 1))
			return false;
		x = VMK_ALIGN_UP(x, f->align);
		if (x > b || b - x < f->memsz)
			return false;
	}
	*out = x;
	return true;
}

/* Highest fit in [a, b) or false. */
static bool fit_high(const struct fit *f, vmk_paddr_t a, vmk_paddr_t b, vmk_paddr_t *out)
{
	vmk_paddr_t x, t;

	if (b - a < f->memsz)
		return false;
	t = b - f->memsz;
	if (t < f->phase)
		return false;
	x = VMK_ALIGN_DOWN(t - f->phase, f->align) + f->phase;
	if (crosses(x, f->memsz, f->boundary)) {
		vmk_paddr_t line = VMK_ALIGN_DOWN(x + f->memsz - 1, f->boundary);

		if (line < f->memsz)
			return false;
		x = VMK_ALIGN_DOWN(line - f->memsz, f->align);
	}
	if (x < a)
		return false;
	*out = x;
	return true;
}

static void keep_largest(struct vmk_range *best, vmk_paddr_t a, vmk_paddr_t b)
{
	if (b - a > best->end - best->base) {
		best->base = a;
		best->end = b;
	}
}

static bool try_hole(void *arg, vmk_paddr_t base, vmk_paddr_t end)
{
	struct fit *f = arg;
	vmk_paddr_t a = VMK_MAX(base, f->min), b = VMK_MIN(end, f->max), x;

	keep_largest(&f->best_any, base, end);
	if (a >= b)
		return true;
	keep_largest(&f->best_win, a, b);
	if (f->top_down ? fit_high(f, a, b, &x) : fit_low(f, a, b, &x)) {
		f->found = true;
		f->base = x;
		f->hole.base = base;
		f->hole.end = end;
		return false;
	}
	return true;
}

static int bad(struct vmk_kexec_plan *p, const char *name, const char *what)
{
	vmk_snprintf(p->err, sizeof(p->err), "segment '%s': %s", name ? name : "?", what);
	return -VMK_EINVAL;
}

/* Validate req and fill the normalised parameters of f. */
static int check_req(struct vmk_kexec_plan *p, const struct vmk_kexec_req *r, struct fit *f)
{
	vmk_size_t align = r->align ? r->align : VMK_PAGE_SIZE;

	if (!r->name || !r->name[0])
		return bad(p, r->name, "segment has no name");
	if (r->memsz == 0)
		return bad(p, r->name, "memsz is 0");
	if (r->bufsz > r->memsz)
		return bad(p, r->name, "bufsz is larger than memsz (the data would not fit)");
	if (r->memsz > VMK_PADDR_MAX - VMK_PAGE_MASK)
		return bad(p, r->name, "memsz overflows when rounded to a page");
	if (!VMK_IS_POW2(align))
		return bad(p, r->name, "alignment is not a power of two");
	align = VMK_MAX(align, VMK_PAGE_SIZE);
	if (r->phase >= align || !VMK_IS_ALIGNED(r->phase, VMK_PAGE_SIZE))
		return bad(p, r->name, "phase is not a page multiple below the alignment");
	f->memsz = VMK_ALIGN_UP(r->memsz, VMK_PAGE_SIZE);
	if (r->boundary) {
		if (!VMK_IS_POW2(r->boundary) || r->boundary < VMK_PAGE_SIZE)
			return bad(p, r->name, "boundary is not a power of two of at least a page");
		if (f->memsz > r->boundary)
			return bad(p, r->name, "memsz is larger than its boundary");
		if (r->phase)
			return bad(p, r->name, "boundary and phase cannot be combined");
	}
	f->min = r->min;
	f->max = r->max ? r->max : VMK_PADDR_MAX;
	if (f->min >= f->max)
		return bad(p, r->name, "window is empty (min >= max)");
	f->align = align;
	f->phase = r->phase;
	f->boundary = r->boundary;
	if (r->dir == VMK_KEXEC_DIR_DEFAULT)
		f->top_down = p->dir != VMK_KEXEC_BOTTOM_UP;
	else
		f->top_down = r->dir == VMK_KEXEC_TOP_DOWN;
	return 0;
}

static void explain_failure(struct vmk_kexec_plan *p, const struct vmk_kexec_req *r,
			    const struct fit *f)
{
	char s1[24], s2[24], s3[24], s4[24];
	struct vmk_outbuf ob;

	vmk_outbuf_init(&ob, p->err, sizeof(p->err));
	vmk_out_printf(&ob.out, "segment '%s' (memsz %s, align %s, window 0x%llx-0x%llx) does not fit: ",
		       r->name, vmk_fmt_size(s1, sizeof(s1), f->memsz),
		       vmk_fmt_size(s2, sizeof(s2), f->align),
		       (unsigned long long)f->min, (unsigned long long)(f->max - 1));
	if (f->best_win.end > f->best_win.base)
		vmk_out_printf(&ob.out, "largest hole in the window 0x%llx-0x%llx (%s)",
			       (unsigned long long)f->best_win.base,
			       (unsigned long long)(f->best_win.end - 1),
			       vmk_fmt_size(s3, sizeof(s3), f->best_win.end - f->best_win.base));
	else
		vmk_out_printf(&ob.out, "no free memory in the window");
	if (f->best_any.end > f->best_any.base)
		vmk_out_printf(&ob.out, "; largest hole anywhere 0x%llx-0x%llx (%s)",
			       (unsigned long long)f->best_any.base,
			       (unsigned long long)(f->best_any.end - 1),
			       vmk_fmt_size(s4, sizeof(s4), f->best_any.end - f->best_any.base));
	else
		vmk_out_printf(&ob.out, "; no free memory at all");
	/* A fixed address: say what is in the way. */
	if (f->max - f->min <= f->memsz + f->phase) {
		for (size_t i = 0; i < p->nexcl; i++) {
			const struct vmk_kexec_excl *e = &p->excl[i];

			if (e->base < f->max && f->min < e->end) {
				vmk_out_printf(&ob.out, "; blocked by %s '%s' 0x%llx-0x%llx",
					       vmk_kexec_excl_kind_name(e->kind), e->reason,
					       (unsigned long long)e->base,
					       (unsigned long long)(e->end - 1));
				break;
			}
		}
	}
}

static void explain_success(struct vmk_kexec_seg *s, const struct fit *f)
{
	char a[24];
	const char *note = s->req.note;

	if (f->max - f->min == f->memsz && f->min == s->base)
		vmk_snprintf(s->why, sizeof(s->why), "fixed address%s%s",
			     note ? ": " : "", note ? note : "");
	else
		vmk_snprintf(s->why, sizeof(s->why), "%s %s-aligned fit in hole 0x%llx-0x%llx%s%s",
			     f->top_down ? "top-down: highest" : "bottom-up: lowest",
			     vmk_fmt_size(a, sizeof(a), f->align),
			     (unsigned long long)f->hole.base, (unsigned long long)(f->hole.end - 1),
			     note ? "; " : "", note ? note : "");
}

int vmk_kexec_place(struct vmk_kexec_plan *p, const struct vmk_kexec_req *req,
		    vmk_paddr_t *base)
{
	struct fit f;
	struct vmk_kexec_seg *s;
	int ret;

	vmk_memset(&f, 0, sizeof(f));
	p->err[0] = '\0';
	ret = check_req(p, req, &f);
	if (ret)
		return ret;
	if (p->nseg == p->seg_cap) {
		vmk_snprintf(p->err, sizeof(p->err), "segment '%s': segment table full (%zu)",
			     req->name, p->seg_cap);
		return -VMK_ENOSPC;
	}
	if (p->nexcl == p->excl_cap) {
		vmk_snprintf(p->err, sizeof(p->err), "segment '%s': exclusion table full (%zu)",
			     req->name, p->excl_cap);
		return -VMK_ENOSPC;
	}
	vmk_kexec_for_each_hole(p, f.top_down, try_hole, &f);
	if (!f.found) {
		p->fail_window_hole = f.best_win;
		p->fail_any_hole = f.best_any;
		explain_failure(p, req, &f);
		return -VMK_ENOMEM;
	}
	ret = vmk_kexec_exclude(p, f.base, f.base + f.memsz, VMK_KEXEC_EXCL_SEGMENT,
				"segment '%s'", req->name);
	VMK_VERIFY(ret == 0, "kexec: exclusion of a placed segment failed (%d)", ret);
	s = &p->seg[p->nseg++];
	s->req = *req;
	s->base = f.base;
	s->memsz = f.memsz;
	explain_success(s, &f);
	if (base)
		*base = f.base;
	return 0;
}

const struct vmk_kexec_seg *vmk_kexec_find_seg(const struct vmk_kexec_plan *p,
						const char *name)
{
	for (size_t i = 0; i < p->nseg; i++)
		if (!vmk_strcmp(p->seg[i].req.name, name))
			return &p->seg[i];
	return NULL;
}

static int broken(struct vmk_kexec_plan *p, const struct vmk_kexec_seg *s, const char *what)
{
	vmk_snprintf(p->err, sizeof(p->err), "segment '%s' at 0x%llx: %s", s->req.name,
		     (unsigned long long)s->base, what);
	return -VMK_EINVAL;
}

int vmk_kexec_verify(struct vmk_kexec_plan *p)
{
	for (size_t i = 0; i < p->nseg; i++) {
		const struct vmk_kexec_seg *s = &p->seg[i];
		vmk_paddr_t end = s->base + s->memsz;
		vmk_size_t align = VMK_MAX(s->req.align, VMK_PAGE_SIZE);
		vmk_paddr_t max = s->req.max ? s->req.max : VMK_PADDR_MAX;

		if (end < s->base || s->memsz < s->req.memsz)
			return broken(p, s, "memsz wraps or shrank");
		if (!vmk_rangeset_contains(&p->ram, s->base, end))
			return broken(p, s, "not inside RAM");
		if ((s->base - s->req.phase) % align)
			return broken(p, s, "misaligned");
		if (s->base < s->req.min || end > max)
			return broken(p, s, "outside its window");
		if (crosses(s->base, s->memsz, s->req.boundary))
			return broken(p, s, "crosses its boundary");
		for (size_t j = 0; j < p->nexcl; j++) {
			const struct vmk_kexec_excl *e = &p->excl[j];

			if (e->kind == VMK_KEXEC_EXCL_SEGMENT && e->base == s->base && e->end == end)
				continue;
			if (e->base < end && s->base < e->end)
				return broken(p, s, "overlaps an excluded range");
		}
		for (size_t j = 0; j < i; j++)
			if (p->seg[j].base < end && s->base < p->seg[j].base + p->seg[j].memsz)
				return broken(p, s, "overlaps another segment");
	}
	return 0;
}
