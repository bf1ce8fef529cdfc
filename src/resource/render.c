/* /proc/iomem text and JSON rendering of a resource tree. */
#include <vmkit/resource.h>

void vmk_resource_render(const struct vmk_resource *root, struct vmk_out *out)
{
	/* /proc/ioports pads to 4 digits, /proc/iomem to 8 (Linux r_show). */
	int width = root->end < 0x10000 ? 4 : 8;
	const struct vmk_resource *r;
	unsigned int depth = 0, i;

	for (r = root->child; r;) {
		for (i = 0; i < depth; i++)
			vmk_out_write(out, "  ", 2);
		/*
		 * The name goes through vmk_out_puts: vmk_out_printf cuts its
		 * output at 255 bytes, and names may be longer.
		 */
		vmk_out_printf(out, "%0*llx-%0*llx : ", width, (unsigned long long)r->start,
			       width, (unsigned long long)r->end);
		vmk_out_puts(out, r->name ? r->name : "<BAD>");
		vmk_out_write(out, "\n", 1);
		if (r->child) {
			r = r->child;
			depth++;
			continue;
		}
		while (r != root && !r->sibling) {
			r = r->parent;
			depth--;
		}
		r = r == root ? NULL : r->sibling;
	}
}

static void json_string(struct vmk_out *out, const char *s)
{
	/* Names come from files: any bytes, still valid JSON. */
	vmk_out_json_string(out, s);
}

static void json_flags(struct vmk_out *out, uint32_t flags)
{
	const char *sep = "";
	const char *n;
	uint32_t type = flags & VMK_RES_TYPE_MASK, bit;

	vmk_out_write(out, "[", 1);
	if (type) {
		n = vmk_resource_flag_name(type);
		if (n)
			vmk_out_printf(out, "\"%s\"", n);
		else
			vmk_out_printf(out, "\"0x%x\"", type);
		sep = ", ";
	}
	flags &= ~(uint32_t)VMK_RES_TYPE_MASK;
	while (flags) {
		bit = flags & -flags;
		flags &= ~bit;
		n = vmk_resource_flag_name(bit);
		if (n)
			vmk_out_printf(out, "%s\"%s\"", sep, n);
		else
			vmk_out_printf(out, "%s\"0x%x\"", sep, bit);
		sep = ", ";
	}
	vmk_out_write(out, "]", 1);
}

static void indent(struct vmk_out *out, unsigned int n)
{
	while (n--)
		vmk_out_write(out, "  ", 2);
}

void vmk_resource_render_json(const struct vmk_resource *root, struct vmk_out *out)
{
	const struct vmk_resource *r;
	unsigned int depth = 0;

	if (!root->child) {
		vmk_out_puts(out, "[]");
		return;
	}
	vmk_out_puts(out, "[\n");
	for (r = root->child; r;) {
		indent(out, 2 * depth + 1);
		vmk_out_printf(out, "{\"start\": %llu, \"end\": %llu, \"name\": ",
			       (unsigned long long)r->start, (unsigned long long)r->end);
		json_string(out, r->name ? r->name : "<BAD>");
		vmk_out_puts(out, ", \"flags\": ");
		json_flags(out, r->flags);
		vmk_out_puts(out, ", \"desc\": ");
		json_string(out, vmk_resource_desc_name(r->desc));
		vmk_out_puts(out, ", \"children\": ");
		if (r->child) {
			vmk_out_puts(out, "[\n");
			r = r->child;
			depth++;
			continue;
		}
		vmk_out_puts(out, "[]}");
		/* Close every level this node ends. */
		while (r != root && !r->sibling) {
			r = r->parent;
			if (r == root)
				break;
			depth--;
			vmk_out_puts(out, "\n");
			indent(out, 2 * depth + 2);
			vmk_out_puts(out, "]}");
		}
		if (r == root)
			break;
		vmk_out_puts(out, ",\n");
		r = r->sibling;
	}
	vmk_out_puts(out, "\n]");
}
