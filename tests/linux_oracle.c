/* Reading the Linux oracle's runs and vmkit's output alike (linux_oracle.h). */
#include "linux_oracle.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lo_lines_add(struct lo_lines *l, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 64;
		l->s = realloc(l->s, l->cap * sizeof(*l->s));
		if (!l->s)
			abort();
	}
	l->s[l->n++] = s;
}

void lo_lines_free(struct lo_lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->s[i]);
	free(l->s);
	l->s = NULL;
	l->n = l->cap = 0;
}

bool lo_lines_has(const struct lo_lines *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->s[i], s))
			return true;
	return false;
}

bool lo_iomem_in_scope(const char *name)
{
	static const char *const names[] = {
		"System RAM", "Reserved", "reserved", "ACPI Tables", "ACPI Non-volatile Storage",
		"Unusable memory", "Persistent Memory", "Persistent Memory (legacy)",
		"Soft Reserved", "Crash kernel", "RAM buffer",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

/* The next line of *p (without its newline) into buf; false at the end. */
static bool next_line(const char **p, char *buf, size_t cap)
{
	const char *s = *p, *e;
	size_t n;

	if (!*s)
		return false;
	e = strchr(s, '\n');
	n = e ? (size_t)(e - s) : strlen(s);
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*p = e ? e + 1 : s + strlen(s);
	return true;
}

/* A log line without its "[    0.000000] " time stamp. */
static const char *unstamp(const char *line)
{
	if (line[0] == '[') {
		const char *e = strchr(line, ']');

		if (e)
			return e[1] == ' ' ? e + 2 : e + 1;
	}
	return line;
}

void lo_iomem_scope(const char *text, struct lo_lines *out)
{
	/* Per nesting level of the input: is the entry there in scope? */
	bool in[64] = { false };
	char line[512];

	while (next_line(&text, line, sizeof(line))) {
		unsigned long long s, e;
		int depth = 0, pos = 0, eff = 0;
		const char *name;

		while (line[depth] == ' ')
			depth++;
		if (sscanf(line + depth, "%llx-%llx : %n", &s, &e, &pos) != 2 || !pos)
			continue;
		name = line + depth + pos;
		depth /= 2;
		if (depth >= 64)
			continue;
		for (int i = 0; i < depth; i++)
			eff += in[i];
		in[depth] = lo_iomem_in_scope(name);
		if (in[depth])
			lo_lines_add(out, "%*s%08llx-%08llx : %s", 2 * eff, "", s, e, name);
	}
}

/* "memory[0x0]\t[0xA-0xB], 0xS bytes [on node N ]flags: 0xF" -> "[0xA-0xB] node N flags: 0xF" */
static bool memblock_line(const char *l, const char *list, struct lo_lines *out)
{
	unsigned long long a, b;
	const char *f, *on;
	char pfx[32], node[24] = "node -";

	snprintf(pfx, sizeof(pfx), "%s[0x", list);
	l = unstamp(l);
	while (*l == ' ')
		l++;
	if (strncmp(l, pfx, strlen(pfx)))
		return false;
	l = strchr(l, '\t');
	f = l ? strstr(l, "flags: ") : NULL;
	if (!f || sscanf(l + 1, "[%llx-%llx]", &a, &b) != 2)
		return false;
	on = strstr(l, " on node ");
	if (on && on < f)
		snprintf(node, sizeof(node), "node %d", atoi(on + 9));
	if (out)
		lo_lines_add(out, "[0x%016llx-0x%016llx] %s %s", a, b, node, f);
	return true;
}

void lo_memblock_memory(const char *text, struct lo_lines *out)
{
	char line[512];
	bool in = false, empty = false;
	struct lo_lines cur = { 0 };

	while (next_line(&text, line, sizeof(line))) {
		if (strstr(line, "MEMBLOCK configuration:")) {
			in = true;
			empty = false;
			lo_lines_free(&cur);
			continue;
		}
		if (in && strstr(line, "memory size = 0x0000000000000000"))
			empty = true;	/* only the dummy region [0x0-0xffffffffffffffff] */
		if (in && strstr(line, "reserved.cnt")) {
			in = false;
			if (empty || !cur.n)
				continue;
			/* The latest dump with memory: out takes cur's lines. */
			lo_lines_free(out);
			*out = cur;
			memset(&cur, 0, sizeof(cur));
		}
		if (in)
			memblock_line(line, "memory", &cur);
	}
	lo_lines_free(&cur);
}

static bool mentions_crash(const char *line)
{
	return strstr(line, "crashkernel") && !strstr(line, "ommand line");
}

/* A set of disjoint byte ranges [a, b] kept sorted. */
struct rset {
	unsigned long long (*r)[2];
	size_t n, cap;
};

static void rset_sub(struct rset *s, unsigned long long a, unsigned long long b)
{
	size_t out = 0, n = s->n;
	unsigned long long (*old)[2] = malloc((n + 1) * sizeof(*old));

	if (!old)
		abort();
	if (n)
		memcpy(old, s->r, n * sizeof(*old));
	s->n = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned long long x = old[i][0], y = old[i][1];

		if (y < a || x > b) {
			s->r[out][0] = x;
			s->r[out++][1] = y;
			continue;
		}
		if (x < a) {
			s->r[out][0] = x;
			s->r[out++][1] = a - 1;
		}
		if (y > b) {
			if (out == s->cap) {
				s->cap = s->cap ? 2 * s->cap : 64;
				s->r = realloc(s->r, s->cap * sizeof(*s->r));
				if (!s->r)
					abort();
			}
			s->r[out][0] = b + 1;
			s->r[out++][1] = y;
		}
	}
	s->n = out;
	free(old);
}

static void rset_add(struct rset *s, unsigned long long a, unsigned long long b)
{
	size_t i = 0;

	rset_sub(s, a, b);
	if (s->n + 1 > s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->r = realloc(s->r, s->cap * sizeof(*s->r));
		if (!s->r)
			abort();
	}
	while (i < s->n && s->r[i][0] < a)
		i++;
	memmove(&s->r[i + 1], &s->r[i], (s->n - i) * sizeof(*s->r));
	s->r[i][0] = a;
	s->r[i][1] = b;
	s->n++;
}

static bool is_crash(const struct lo_lines *crash, unsigned long long a, unsigned long long b)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "0x%llx-0x%llx", a, b);
	return lo_lines_has(crash, buf);
}

void lo_reserved_before_crash(const char *log, const struct lo_lines *crash, struct lo_lines *out)
{
	struct rset set = { 0 };
	char line[512];

	while (next_line(&log, line, sizeof(line))) {
		const char *l = unstamp(line);
		unsigned long long a, b;
		const char *t;

		if (mentions_crash(line))
			break;
		if (strstr(line, "MEMBLOCK configuration:")) {
			set.n = 0;
			continue;
		}
		while (*l == ' ')
			l++;
		if (sscanf(l, "memblock_reserve: [%llx-%llx]", &a, &b) == 2) {
			if (!is_crash(crash, a, b))
				rset_add(&set, a, b);
		} else if (sscanf(l, "memblock_phys_free: [%llx-%llx]", &a, &b) == 2 ||
			   sscanf(l, "memblock_free: [%llx-%llx]", &a, &b) == 2) {
			rset_sub(&set, a, b);
		} else if (!strncmp(l, "reserved[0x", 11) && (t = strchr(l, '\t')) &&
			   sscanf(t + 1, "[%llx-%llx]", &a, &b) == 2) {
			rset_add(&set, a, b);
		}
	}
	/* Touching ranges as one, as memblock merges them. */
	for (size_t i = 0, j; i < set.n; i = j) {
		for (j = i + 1; j < set.n && set.r[j][0] == set.r[j - 1][1] + 1; j++)
			;
		lo_lines_add(out, "0x%llx-0x%llx", set.r[i][0], set.r[j - 1][1]);
	}
	free(set.r);
}

char *lo_section(const char *text, const char *header)
{
	const char *s = strstr(text, header), *e;

	if (!s)
		return strdup("");
	s = strchr(s, '\n');
	if (!s)
		return strdup("");
	s++;
	e = strstr(s, "\n\n");
	return strndup(s, e ? (size_t)(e - s + 1) : strlen(s));
}

char *lo_prov(const char *prov, const char *key)
{
	char pat[64];
	const char *s;

	snprintf(pat, sizeof(pat), "%s: ", key);
	for (s = prov; s; s = strchr(s, '\n')) {
		if (*s == '\n')
			s++;
		if (!strncmp(s, pat, strlen(pat))) {
			s += strlen(pat);
			return strndup(s, strcspn(s, "\n"));
		}
	}
	return NULL;
}

/* "... caller+0x1/0x2" -> "caller" (the last word, without its offset). */
static void caller_of(const char *l, char *who, size_t cap)
{
	const char *w = strrchr(l, ' ');
	size_t n;

	w = w ? w + 1 : l;
	n = strcspn(w, "+");
	snprintf(who, cap, "%.*s", (int)n, w);
}

struct rec {
	unsigned long long a, b;
	char who[LO_WHO];
	bool alloc;
};

void lo_reserved_pieces(const char *log, const char *debugfs, struct lo_pieces *out)
{
	struct rset set = { 0 };
	struct rec *rec = NULL;
	size_t nrec = 0, caprec = 0;
	char line[512], pending[LO_WHO] = "";
	bool done = false;

	while (next_line(&log, line, sizeof(line))) {
		const char *l = unstamp(line), *t;
		unsigned long long a, b;

		while (*l == ' ')
			l++;
		if (!strncmp(l, "Memory: ", 8) && strstr(l, "available"))
			done = true;	/* memblock_free_all(): x86 keeps no memblock after it */
		if (strstr(line, "MEMBLOCK configuration:")) {
			if (!done)
				set.n = 0;
			continue;
		}
		if (!strncmp(l, "memblock_", 9) && strstr(l, " bytes ") && strstr(l, "+0x")) {
			caller_of(l, pending, sizeof(pending));	/* an allocation: its reservation follows */
			continue;
		}
		if (sscanf(l, "memblock_reserve: [%llx-%llx]", &a, &b) == 2) {
			char who[LO_WHO];
			bool alloc;

			caller_of(l, who, sizeof(who));
			alloc = !strncmp(who, "memblock_", 9);
			if (nrec == caprec) {
				caprec = caprec ? 2 * caprec : 256;
				rec = realloc(rec, caprec * sizeof(*rec));
				if (!rec)
					abort();
			}
			rec[nrec] = (struct rec){ .a = a, .b = b, .alloc = alloc };
			snprintf(rec[nrec++].who, LO_WHO, "%s", alloc ? pending : who);
			if (!done)
				rset_add(&set, a, b);
		} else if (sscanf(l, "memblock_phys_free: [%llx-%llx]", &a, &b) == 2 ||
			   sscanf(l, "memblock_free: [%llx-%llx]", &a, &b) == 2) {
			if (!done)
				rset_sub(&set, a, b);
		} else if (!done && !strncmp(l, "reserved[0x", 11) && (t = strchr(l, '\t')) &&
			   sscanf(t + 1, "[%llx-%llx]", &a, &b) == 2) {
			rset_add(&set, a, b);
		}
	}
	if (debugfs) {
		/* arm64 keeps memblock: its debugfs list is the final word. */
		set.n = 0;
		while (next_line(&debugfs, line, sizeof(line))) {
			unsigned long long a, b;

			if (sscanf(line, " %*d: %llx..%llx", &a, &b) == 2)
				rset_add(&set, a, b);
		}
	}
	/* Each set range in pieces at record boundaries; a piece belongs to the latest record over it. */
	for (size_t i = 0; i < set.n; i++) {
		unsigned long long a = set.r[i][0];

		while (a <= set.r[i][1]) {
			unsigned long long b = set.r[i][1];
			const struct rec *who = NULL;

			for (size_t k = 0; k < nrec; k++) {
				if (rec[k].a > a && rec[k].a - 1 < b)
					b = rec[k].a - 1;
				if (rec[k].a <= a && rec[k].b >= a && rec[k].b < b)
					b = rec[k].b;
			}
			for (size_t k = 0; k < nrec; k++)
				if (rec[k].a <= a && rec[k].b >= b)
					who = &rec[k];
			if (out->n && out->p[out->n - 1].b + 1 == a &&
			    !strcmp(out->p[out->n - 1].who, who ? who->who : "") &&
			    out->p[out->n - 1].alloc == (who && who->alloc)) {
				out->p[out->n - 1].b = b;
			} else {
				if (out->n == out->cap) {
					out->cap = out->cap ? 2 * out->cap : 64;
					out->p = realloc(out->p, out->cap * sizeof(*out->p));
					if (!out->p)
						abort();
				}
				out->p[out->n] = (struct lo_piece){ .a = a, .b = b, .alloc = who && who->alloc };
				snprintf(out->p[out->n++].who, LO_WHO, "%s", who ? who->who : "");
			}
			if (b == set.r[i][1])
				break;
			a = b + 1;
		}
	}
	free(rec);
	free(set.r);
}

void lo_pieces_free(struct lo_pieces *p)
{
	free(p->p);
	p->p = NULL;
	p->n = p->cap = 0;
}

void lo_memblock_reserved(const char *text, struct lo_lines *out)
{
	char line[512];

	while (next_line(&text, line, sizeof(line))) {
		if (strstr(line, "MEMBLOCK configuration:"))
			lo_lines_free(out);	/* the last dump only */
		else
			memblock_line(line, "reserved", out);
	}
}
