/*
 * libFuzzer target for the /proc/iomem parser: parse; on success check the
 * tree, render it, parse the rendering and require the same rendering back
 * (render is a fixed point after one parse), and run the walks and the
 * fwmap conversion over it.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -Isim \
 *     fuzz/fuzz_iomem.c src/(star)/(star).c sim/sim.c -o /tmp/fi -lfdt -lpthread
 *   /tmp/fi -max_len=4096 tests/data/memmaps
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vmkit/fwmap.h>
#include <vmkit/resource.h>

#include "sim.h"

#define NODES	8192

struct buf {
	char *p;
	size_t len, cap;
};

static void buf_write(void *arg, const char *s, size_t n)
{
	struct buf *b = arg;

	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static int count_piece(void *arg, vmk_paddr_t s, vmk_paddr_t e, const struct vmk_resource *r)
{
	(void)r;
	if (s > e || s < r->start || e > r->end)
		abort();
	++*(size_t *)arg;
	return 0;
}

static struct vmk_resource nodes1[NODES], nodes2[NODES];
static struct vmk_fwmap_entry fw[NODES * 2 + 16];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool installed;
	struct vmk_resource root1, root2;
	struct vmk_resource_pool pool1, pool2;
	struct vmk_resource_error err;
	struct buf r1 = { 0 }, r2 = { 0 };
	struct vmk_out o1 = { buf_write, &r1, 0 }, o2 = { buf_write, &r2, 0 };
	char *names1 = malloc(size + 1), *names2;
	struct vmk_fwmap m;
	size_t pieces = 0, n;
	int ret;

	if (!installed) {
		vmk_sim_install();
		installed = true;
	}
	vmk_iomem_root_init(&root1);
	vmk_resource_pool_init(&pool1, nodes1, NODES, names1, size + 1);
	ret = vmk_resource_parse(&root1, &pool1, (const char *)data, size, &err);
	if (ret) {
		/* Failure leaves everything as it was and names a line. */
		if (root1.child || pool1.nfree != NODES || pool1.names_used != 0 ||
		    (ret == -VMK_EPARSE && err.line == 0))
			abort();
		free(names1);
		return 0;
	}
	n = vmk_resource_check(&root1);
	if (n != NODES - pool1.nfree)
		abort();
	vmk_resource_render(&root1, &o1);
	vmk_resource_walk_usable_ram(&root1, 0, UINT64_MAX, count_piece, &pieces);
	vmk_resource_walk_system_ram(&root1, 0, UINT64_MAX, count_piece, &pieces);
	vmk_fwmap_init(&m, fw, sizeof(fw) / sizeof(fw[0]));
	ret = vmk_resource_to_fwmap(&root1, &m);
	if (ret && ret != -VMK_ERANGE)
		abort();
	if (!ret && vmk_fwmap_check(&m, 1, NULL) != 0)
		abort();

	/* The rendering parses back to a tree that renders identically. */
	names2 = malloc(r1.len + 1);
	vmk_iomem_root_init(&root2);
	vmk_resource_pool_init(&pool2, nodes2, NODES, names2, r1.len + 1);
	if (vmk_resource_parse(&root2, &pool2, r1.p ? r1.p : "", r1.len, &err) != 0) {
		fprintf(stderr, "rendering does not parse: line %u: %s\n", err.line, err.msg);
		abort();
	}
	if (vmk_resource_check(&root2) != n)
		abort();
	vmk_resource_render(&root2, &o2);
	if (r1.len != r2.len || (r1.len && memcmp(r1.p, r2.p, r1.len) != 0))
		abort();
	vmk_resource_free_tree(&pool1, &root1);
	vmk_resource_free_tree(&pool2, &root2);
	if (pool1.nfree != NODES || pool2.nfree != NODES)
		abort();
	free(r1.p);
	free(r2.p);
	free(names1);
	free(names2);
	return 0;
}
