/*
 * Parser of /proc/iomem (and /proc/ioports) text into a resource tree.
 * Indentation (two spaces per level) defines the parent; the parser links
 * nodes directly (siblings arrive in order), so a file of n lines parses in
 * O(n) and never recurses however deep it nests.
 */
#include <vmkit/platform.h>
#include <vmkit/resource.h>

struct parser {
	struct vmk_resource *root;
	struct vmk_resource_pool *pool;
	struct vmk_resource_error *err;
	unsigned int lineno;
	struct vmk_resource *cur;	/* the node of the previous entry line */
	unsigned int cur_depth;
};

static int fail(struct parser *ps, int code, const char *fmt, ...) VMK_PRINTF(3, 4);

static int fail(struct parser *ps, int code, const char *fmt, ...)
{
	va_list ap;

	if (ps->err) {
		ps->err->line = ps->lineno;
		va_start(ap, fmt);
		vmk_vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

/*
 * Hex number at s[*i]: one or more hex digits, any case, leading zeros
 * allowed, at most 16 significant digits. No "0x": /proc/iomem has none.
 */
static int parse_hex(struct parser *ps, struct vmk_str s, size_t *i, uint64_t *val,
		     const char *what)
{
	size_t start = *i, sig = 0;
	uint64_t v = 0;
	int c, d;

	for (; *i < s.len && vmk_isxdigit((unsigned char)s.p[*i]); (*i)++) {
		c = vmk_tolower((unsigned char)s.p[*i]);
		d = c <= '9' ? c - '0' : c - 'a' + 10;
		if (v || d)
			sig++;
		if (sig > 16)
			return fail(ps, -VMK_EPARSE, "%s address has more than 16 significant hex digits",
				    what);
		v = (v << 4) | (uint64_t)d;
	}
	if (*i == start) {
		if (*i < s.len)
			return fail(ps, -VMK_EPARSE, "bad hex in %s address: unexpected '%c'", what,
				    (s.p[*i] >= 0x20 && s.p[*i] < 0x7f) ? s.p[*i] : '?');
		return fail(ps, -VMK_EPARSE, "%s address missing", what);
	}
	*val = v;
	return 0;
}

static bool blank(struct vmk_str s)
{
	return vmk_str_trim(s).len == 0;
}

/* Parse one entry line and link its node. */
static int parse_line(struct parser *ps, struct vmk_str s)
{
	struct vmk_resource *parent, *prev, *node;
	const char *name;
	uint64_t start, end;
	uint32_t flags;
	int32_t desc;
	unsigned int depth, k;
	size_t i = 0, nlen;
	int err;

	while (i < s.len && s.p[i] == ' ')
		i++;
	if (i < s.len && s.p[i] == '\t')
		return fail(ps, -VMK_EPARSE, "tab in indentation (levels are two spaces each)");
	if (i % 2)
		return fail(ps, -VMK_EPARSE, "indentation of %zu spaces is not a multiple of two", i);
	depth = (unsigned int)(i / 2);
	if (!ps->cur && depth)
		return fail(ps, -VMK_EPARSE, "bad indentation: first entry is at level %u, not 0", depth);
	if (ps->cur && depth > ps->cur_depth + 1)
		return fail(ps, -VMK_EPARSE, "bad indentation: jumps from level %u to level %u",
			    ps->cur_depth, depth);

	err = parse_hex(ps, s, &i, &start, "start");
	if (err)
		return err;
	if (i >= s.len || s.p[i] != '-')
		return fail(ps, -VMK_EPARSE, "bad hex in start address or '-' missing after it");
	i++;
	err = parse_hex(ps, s, &i, &end, "end");
	if (err)
		return err;
	if (s.len - i < 3 || vmk_memcmp(s.p + i, " : ", 3) != 0) {
		if (i + 2 == s.len && vmk_memcmp(s.p + i, " :", 2) == 0)
			return fail(ps, -VMK_EPARSE, "name missing after ' : '");
		return fail(ps, -VMK_EPARSE, "bad hex in end address or ' : ' missing after it");
	}
	i += 3;
	nlen = s.len - i;
	if (nlen == 0)
		return fail(ps, -VMK_EPARSE, "name missing after ' : '");
	if (nlen > VMK_RESOURCE_NAME_MAX)
		return fail(ps, -VMK_EPARSE, "name is %zu characters long, the limit is %d", nlen,
			    VMK_RESOURCE_NAME_MAX);
	/*
	 * Control characters other than tab never occur in kernel names and
	 * some cannot survive a round trip (a name ending in '\r' reads back
	 * as a CRLF line end, a NUL would cut the C string).
	 */
	for (k = 0; k < nlen; k++) {
		unsigned char ch = (unsigned char)s.p[i + k];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return fail(ps, -VMK_EPARSE, "control character 0x%02x in name", ch);
	}
	if (start > end)
		return fail(ps, -VMK_EPARSE, "start %llx is above end %llx", (unsigned long long)start,
			    (unsigned long long)end);

	/* Find the parent and the previous sibling from the indentation. */
	if (!ps->cur) {
		parent = ps->root;
		prev = NULL;
	} else if (depth == ps->cur_depth + 1) {
		parent = ps->cur;
		prev = NULL;
	} else {
		prev = ps->cur;
		for (k = depth; k < ps->cur_depth; k++)
			prev = prev->parent;
		parent = prev->parent;
	}
	if (start < parent->start || end > parent->end)
		return fail(ps, -VMK_EPARSE, "child %llx-%llx outside its parent %llx-%llx (%s)",
			    (unsigned long long)start, (unsigned long long)end,
			    (unsigned long long)parent->start, (unsigned long long)parent->end,
			    parent->name ? parent->name : "<BAD>");
	if (prev && start < prev->start)
		return fail(ps, -VMK_EPARSE, "siblings out of order: %llx-%llx comes after %llx-%llx",
			    (unsigned long long)start, (unsigned long long)end,
			    (unsigned long long)prev->start, (unsigned long long)prev->end);
	if (prev && start <= prev->end)
		return fail(ps, -VMK_EPARSE, "siblings overlap: %llx-%llx overlaps %llx-%llx (%s)",
			    (unsigned long long)start, (unsigned long long)end,
			    (unsigned long long)prev->start, (unsigned long long)prev->end,
			    prev->name ? prev->name : "<BAD>");

	name = vmk_resource_pool_strdup(ps->pool, s.p + i, nlen);
	if (!name)
		return fail(ps, -VMK_ENOMEM, "no room for the name in the resource pool's name arena");
	vmk_resource_classify(s.p + i, nlen, ps->root->flags, &flags, &desc);
	node = vmk_resource_alloc(ps->pool, start, end, name, flags, desc);
	if (!node)
		return fail(ps, -VMK_ENOMEM, "resource pool exhausted");
	node->parent = parent;
	if (prev)
		prev->sibling = node;
	else
		parent->child = node;
	ps->cur = node;
	ps->cur_depth = depth;
	return 0;
}

int vmk_resource_parse(struct vmk_resource *root, struct vmk_resource_pool *pool,
		       const char *text, size_t len, struct vmk_resource_error *err)
{
	struct parser ps = { root, pool, err, 0, NULL, 0 };
	size_t mark = vmk_resource_pool_names_mark(pool), pos = 0;
	struct vmk_str line;
	int ret;

	if (err) {
		err->line = 0;
		err->msg[0] = '\0';
	}
	if (root->child)
		return fail(&ps, -VMK_EINVAL, "the tree to parse into is not empty");
	while (vmk_next_line(text, len, &pos, &line)) {
		ps.lineno++;
		if (blank(line))
			continue;
		ret = parse_line(&ps, line);
		if (ret) {
			/* Leave tree and pool as they were. */
			while (root->child)
				vmk_resource_free_tree(pool, root->child);
			vmk_resource_pool_names_reset(pool, mark);
			return ret;
		}
	}
	return 0;
}
