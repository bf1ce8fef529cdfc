/*
 * The names Linux prints for E820 types, in every kernel generation, read
 * back into type numbers ("usable", "System RAM", "ACPI data",
 * "persistent (type 12)", "type 9", ...).
 */
#include "fwmap_internal.h"

struct e820_name {
	const char *text;
	uint32_t type;
};

/*
 * Longer names before their prefixes ("unusable memory" before
 * "unusable", "persistent memory (legacy)" before "persistent memory").
 */
static const struct e820_name names[] = {
	{ "kernel usable RAM", VMK_E820_RAM },		/* proposed 6.x wording */
	{ "System RAM", VMK_E820_RAM },			/* 6.x */
	{ "usable", VMK_E820_RAM },
	{ "device reserved", VMK_E820_RESERVED },	/* 6.x */
	{ "soft reserved", VMK_E820_SOFT_RESERVED },
	{ "reserved", VMK_E820_RESERVED },
	{ "ACPI data", VMK_E820_ACPI },
	{ "ACPI tables", VMK_E820_ACPI },
	{ "ACPI NVS", VMK_E820_NVS },
	{ "ACPI non-volatile storage", VMK_E820_NVS },
	{ "unusable memory", VMK_E820_UNUSABLE },
	{ "unusable", VMK_E820_UNUSABLE },
	{ "persistent memory (legacy)", VMK_E820_PRAM },
	{ "persistent memory", VMK_E820_PMEM },
};

/* A name ends at the end of the text, white space, ')' or ','. */
static bool at_word_end(const struct vmk_str *s)
{
	return s->len == 0 || vmk_isspace((unsigned char)s->p[0]) ||
	       s->p[0] == ')' || s->p[0] == ',';
}

/* "(type N)" after "persistent" / "persistent RAM". */
static bool eat_paren_type(struct vmk_str *s, uint32_t *type)
{
	struct vmk_str t = *s;
	uint64_t v;

	vmk_fwmap__skip_ws(&t);
	if (!vmk_fwmap__ieat(&t, "(type ") || vmk_fwmap__dec(&t, &v) || v > UINT32_MAX ||
	    !vmk_fwmap__eat(&t, ")"))
		return false;
	*type = (uint32_t)v;
	*s = t;
	return true;
}

bool vmk_fwmap__e820_name(struct vmk_str *s, uint32_t *type, bool *unknown)
{
	struct vmk_str t = *s;
	uint64_t v;
	size_t i;

	*unknown = false;
	if (vmk_fwmap__ieat(&t, "persistent RAM") || vmk_fwmap__ieat(&t, "persistent")) {
		struct vmk_str u = t;

		if (eat_paren_type(&u, type)) {
			*s = u;
			return true;
		}
		t = *s;		/* "persistent memory ..." below */
	}
	if (vmk_fwmap__ieat(&t, "type ")) {
		if (vmk_fwmap__dec(&t, &v) || v > UINT32_MAX || !at_word_end(&t))
			return false;
		*type = (uint32_t)v;
		*s = t;
		return true;
	}
	if (vmk_fwmap__ieat(&t, "Unknown E820 type") && at_word_end(&t)) {
		*type = 0;
		*unknown = true;
		*s = t;
		return true;
	}
	for (i = 0; i < VMK_ARRAY_SIZE(names); i++) {
		t = *s;
		if (vmk_fwmap__ieat(&t, names[i].text) && at_word_end(&t)) {
			*type = names[i].type;
			*s = t;
			return true;
		}
	}
	return false;
}
