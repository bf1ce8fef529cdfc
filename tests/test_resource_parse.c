/* Tests of the /proc/iomem parser and renderer: real samples, own samples, every error. */
#include "resource_th.h"

static void round_trip(const char *text)
{
	struct rt *t = rt_new();
	char *s;

	rt_parse(t, text);
	s = rt_render(&t->root);
	if (strcmp(s, text) != 0)
		fail_msg("round trip differs:\n%s\n---- want\n%s", s, text);
	free(s);
	rt_free(t);
}

static void test_sample_x86_centos6(void **state)
{
	struct rt *t = rt_new();
	struct vmk_resource *r, *ram;
	size_t len;
	char *text = th_read_data("memmaps/iomem-x86-centos6.txt", &len), *s;
	struct rt_ranges got;
	uint64_t total = 0;

	(void)state;
	assert_int_equal(vmk_resource_parse(&t->root, &t->pool, text, len, NULL), 0);
	s = rt_render(&t->root);
	assert_string_equal(s, text);
	free(s);
	/* 25 lines, 25 resources; facts read off the file by hand. */
	assert_int_equal(vmk_resource_check(&t->root), 25);
	ram = vmk_resource_lookup(&t->root, 0x100000);
	assert_non_null(ram);
	assert_string_equal(ram->name, "System RAM");
	assert_true(ram->start == 0x100000 && ram->end == 0x7fedffff);
	/* The System RAM nested in System RAM, at depth 1. */
	r = vmk_resource_lookup(&t->root, 0x03000000);
	assert_string_equal(r->name, "System RAM");
	assert_ptr_equal(r->parent, ram);
	assert_int_equal(vmk_resource_depth(r), 1);
	assert_string_equal(vmk_resource_lookup(&t->root, 0x015643e5)->name, "Kernel data");
	assert_string_equal(vmk_resource_lookup(&t->root, 0xf0000)->name, "System ROM");
	assert_string_equal(vmk_resource_lookup(&t->root, 0xe5b00000)->name, "PCI Bus 0000:22");
	assert_int_equal(rt_find(&t->root, "ACPI Tables")->desc, VMK_RES_DESC_ACPI_TABLES);
	assert_int_equal(rt_find(&t->root, "ACPI Non-volatile Storage")->desc,
			 VMK_RES_DESC_ACPI_NV_STORAGE);
	assert_null(vmk_resource_lookup(&t->root, 0x80000000));

	/*
	 * Usable RAM: the three top-level System RAM ranges whole (their
	 * nested children are all RAM): 0x10000-0x9e7ff, 0x100000-0x7fedffff,
	 * 0x7ff00000-0x7fffffff.
	 */
	memset(&got, 0, sizeof(got));
	assert_int_equal(vmk_resource_walk_usable_ram(&t->root, 0, UINT64_MAX, rt_collect, &got), 0);
	assert_int_equal(got.n, 3);
	assert_true(got.s[0] == 0x10000 && got.e[0] == 0x9e7ff);
	assert_true(got.s[1] == 0x100000 && got.e[1] == 0x7fedffff);
	assert_true(got.s[2] == 0x7ff00000 && got.e[2] == 0x7fffffff);
	for (int i = 0; i < got.n; i++)
		total += got.e[i] - got.s[i] + 1;
	assert_true(total == 0x8e800 + 0x7fde0000 + 0x100000);
	/* Reserved by descriptor: the three top-level "reserved" lines. */
	memset(&got, 0, sizeof(got));
	assert_int_equal(vmk_resource_walk(&t->root, 0, UINT64_MAX, 0, VMK_RES_DESC_RESERVED,
					   rt_collect, &got), 0);
	assert_int_equal(got.n, 3);
	free(text);
	rt_free(t);
}

static void test_sample_arm64_nested(void **state)
{
	struct rt *t = rt_new();
	size_t len;
	char *text = th_read_data("memmaps/iomem-arm64-nested.txt", &len), *s;
	struct rt_ranges got;
	struct vmk_resource *ram;

	(void)state;
	assert_int_equal(vmk_resource_parse(&t->root, &t->pool, text, len, NULL), 0);
	s = rt_render(&t->root);
	assert_string_equal(s, text);
	free(s);
	assert_int_equal(vmk_resource_check(&t->root), 9);
	ram = rt_find(&t->root, "System RAM");
	assert_true(ram->start == 0x14000000 && ram->end == 0x1effffff);
	assert_string_equal(vmk_resource_lookup(&t->root, 0x14154000)->name, "reserved");
	assert_string_equal(vmk_resource_lookup(&t->root, 0x14155000)->name, "System RAM");

	/*
	 * Usable: System RAM minus the four nested "reserved" (Kernel code and
	 * data are RAM): by hand from the file.
	 */
	memset(&got, 0, sizeof(got));
	assert_int_equal(vmk_resource_walk_usable_ram(&t->root, 0, UINT64_MAX, rt_collect, &got), 0);
	assert_int_equal(got.n, 5);
	assert_true(got.s[0] == 0x14000000 && got.e[0] == 0x14153fff);
	assert_true(got.s[1] == 0x14155000 && got.e[1] == 0x141bffff);
	assert_true(got.s[2] == 0x14bd0000 && got.e[2] == 0x1636ffff);
	assert_true(got.s[3] == 0x16870000 && got.e[3] == 0x1734ffff);
	assert_true(got.s[4] == 0x17378000 && got.e[4] == 0x1effffff);
	/* The reserved children, found by descriptor at depth 1. */
	memset(&got, 0, sizeof(got));
	assert_int_equal(vmk_resource_walk(&t->root, 0x14000000, 0x1effffff, 0, VMK_RES_DESC_RESERVED,
					   rt_collect, &got), 0);
	assert_int_equal(got.n, 4);
	free(text);
	rt_free(t);
}

static void test_own_samples(void **state)
{
	(void)state;
	/* Four levels, addresses beyond 32 bits, the very top of the address space. */
	round_trip("00000000-00000fff : Reserved\n"
		   "00001000-0009ffff : System RAM\n"
		   "000a0000-000fffff : Reserved\n"
		   "  000a0000-000bffff : PCI Bus 0000:00\n"
		   "  000c0000-000c99ff : Video ROM\n"
		   "  000f0000-000fffff : System ROM\n"
		   "00100000-bffdffff : System RAM\n"
		   "  0a000000-0b1fffff : Kernel code\n"
		   "  0b200000-0bd3ffff : Kernel rodata\n"
		   "  0be00000-0c0fffff : Kernel data\n"
		   "  0c6a1000-0cbfffff : Kernel bss\n"
		   "  a5000000-b4ffffff : Crash kernel\n"
		   "bffe0000-bfffffff : Reserved\n"
		   "c0000000-febfffff : PCI Bus 0000:00\n"
		   "  e0000000-efffffff : PCI ECAM 0000 [bus 00-ff]\n"
		   "    e0000000-efffffff : Reserved\n"
		   "      e0000000-efffffff : pnp 00:04\n"
		   "  fe000000-fe7fffff : PCI Bus 0000:01\n"
		   "    fe000000-fe3fffff : 0000:01:00.0\n"
		   "      fe000000-fe3fffff : virtio-pci-modern\n"
		   "fec00000-fec003ff : IOAPIC 0\n"
		   "fed00000-fed003ff : HPET 0\n"
		   "  fed00000-fed003ff : PNP0103:00\n"
		   "fee00000-fee00fff : Local APIC\n"
		   "feffc000-feffffff : Reserved\n"
		   "fffc0000-ffffffff : Reserved\n"
		   "100000000-13fffffff : System RAM\n"
		   "380000000000-3807ffffffff : PCI Bus 0000:00\n"
		   "  380000000000-3800000fffff : 0000:00:02.0\n"
		   "ffffffffff000000-ffffffffffffffff : Reserved\n");
	/* Names with spaces, colons, " : " inside, trailing blanks, UTF-8. */
	round_trip("00000000-00000fff : a : b\n"
		   "00001000-00001fff : x  \n"
		   "00002000-00002fff :  leading\n"
		   "00003000-00003fff : ff7f0000.serial serial@ff7f0000\n"
		   "00004000-00004fff : caf\xc3\xa9\n");
	/* A single resource covering everything. */
	round_trip("00000000-ffffffffffffffff : all\n"
		   "  00000000-ffffffffffffffff : all again\n");
	/* Deeper than Linux's 5 levels keeps indenting. */
	round_trip("00000000-0000ffff : l0\n"
		   "  00000000-00007fff : l1\n"
		   "    00000000-00003fff : l2\n"
		   "      00000000-00001fff : l3\n"
		   "        00000000-00000fff : l4\n"
		   "          00000000-000007ff : l5\n"
		   "            00000000-000003ff : l6\n"
		   "          00000800-00000fff : l5b\n"
		   "  00008000-0000ffff : l1b\n"
		   "00010000-0001ffff : z\n");
	round_trip("");
}

static void test_ioports(void **state)
{
	struct rt *t = rt_new();
	const char *text = "0000-0cf7 : PCI Bus 0000:00\n"
			   "  0000-001f : dma1\n"
			   "  0060-0060 : keyboard\n"
			   "0cf8-0cff : PCI conf1\n"
			   "0d00-ffff : PCI Bus 0000:00\n"
			   "  c000-c03f : 0000:00:03.0\n";
	struct vmk_resource_error err;
	char *s;

	(void)state;
	vmk_ioport_root_init(&t->root);
	assert_int_equal(vmk_resource_parse(&t->root, &t->pool, text, strlen(text), &err), 0);
	s = rt_render(&t->root);
	assert_string_equal(s, text);
	free(s);
	assert_int_equal(rt_find(&t->root, "keyboard")->flags, VMK_RES_IO);
	vmk_resource_free_tree(&t->pool, &t->root);
	/* Beyond 0xffff is outside the root. */
	text = "0000-0cf7 : a\n10000-10001 : b\n";
	assert_int_equal(vmk_resource_parse(&t->root, &t->pool, text, strlen(text), &err),
			 -VMK_EPARSE);
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.msg, "outside its parent"));
	assert_non_null(strstr(err.msg, "PCI IO"));
	rt_free(t);
}

static void test_lenient_input(void **state)
{
	struct rt *t = rt_new();
	const char *text = "\n"
			   "0-FFF : Reserved\r\n"
			   "   \n"
			   "00001000-0009FFFF : System RAM\r\n"
			   "  0000000000002000-2fff : reserved";	/* no final newline */
	char *s;

	(void)state;
	assert_int_equal(vmk_resource_parse(&t->root, &t->pool, text, strlen(text), NULL), 0);
	s = rt_render(&t->root);
	assert_string_equal(s, "00000000-00000fff : Reserved\n"
			       "00001000-0009ffff : System RAM\n"
			       "  00002000-00002fff : reserved\n");
	free(s);
	rt_free(t);
}

/* Parse text expecting failure at line with msg containing want; the tree and pool stay as before. */
static void expect_error(const char *text, unsigned int line, const char *want)
{
	struct rt *t = rt_new();
	struct vmk_resource_error err;
	int ret;

	memset(&err, 0x55, sizeof(err));
	ret = vmk_resource_parse(&t->root, &t->pool, text, strlen(text), &err);
	if (ret != -VMK_EPARSE)
		fail_msg("parsing %s: got %d, want -VMK_EPARSE", text, ret);
	if (err.line != line)
		fail_msg("parsing %s: error on line %u (%s), want line %u", text, err.line, err.msg, line);
	if (!strstr(err.msg, want))
		fail_msg("parsing %s: message '%s' lacks '%s'", text, err.msg, want);
	assert_null(t->root.child);
	assert_int_equal(t->pool.nfree, RT_NODES);
	assert_int_equal(t->pool.names_used, 0);
	free(t);
}

static void test_errors(void **state)
{
	char longname[VMK_RESOURCE_NAME_MAX + 64];

	(void)state;
	expect_error("00000000-00000fff : a\n0000g000-00001fff : b\n", 2,
		     "bad hex in start address or '-' missing");
	expect_error("00000000-00000fff : a\nx0000000-00001fff : b\n", 2,
		     "bad hex in start address: unexpected 'x'");
	expect_error("00000000-0000zfff : a\n", 1, "bad hex in end address or ' : ' missing");
	expect_error("00000000- : a\n", 1, "bad hex in end address: unexpected ' '");
	expect_error("00000000-", 1, "end address missing");
	expect_error("a\n\n  ", 1, "bad hex in start address or '-' missing");
	expect_error("00001000 : a\n", 1, "'-' missing");
	expect_error("00001000-00000fff : a\n", 1, "start 1000 is above end fff");
	expect_error("10000000000000000-10000000000000001 : a\n", 1, "more than 16 significant");
	{
		/* Leading zeros are not significant digits. */
		struct rt *t = rt_new();

		rt_parse(t, "00000000000000000000000000000001-0000000000000000000000000000000002 : a\n");
		rt_assert_tree(&t->root, "00000001-00000002 : a\n");
		rt_free(t);
	}
	expect_error("00000000-00000fff a\n", 1, "' : ' missing");
	expect_error("00000000-00000fff :a\n", 1, "' : ' missing");
	expect_error("00000000-00000fff : \n", 1, "name missing");
	expect_error("00000000-00000fff :\n", 1, "name missing");
	expect_error("00000000-0000ffff : p\n  00001000-00010000 : c\n", 2,
		     "child 1000-10000 outside its parent 0-ffff (p)");
	expect_error("00001000-0000ffff : p\n  00000fff-00001000 : c\n", 2, "outside its parent");
	expect_error("00000000-00000fff : a\n00000800-00001fff : b\n", 2,
		     "siblings overlap: 800-1fff overlaps 0-fff (a)");
	expect_error("00000000-00000fff : a\n00000fff-00001fff : b\n", 2, "siblings overlap");
	expect_error("00001000-00001fff : a\n00000000-00000fff : b\n", 2, "siblings out of order");
	/* Overlap with the earlier sibling after coming back up from a child. */
	expect_error("00000000-0000ffff : a\n  00000000-00000fff : a1\n00008000-00008fff : b\n", 3,
		     "overlaps 0-ffff (a)");
	expect_error("00000000-0000ffff : a\n   00000000-00000fff : c\n", 2, "not a multiple of two");
	expect_error("00000000-0000ffff : a\n\t00000000-00000fff : c\n", 2, "tab in indentation");
	/* Found by the fuzzer: a name ending in CR read back as a CRLF line end. */
	expect_error("00001000-100fffff : re \r\r", 1, "control character 0x0d in name");
	expect_error("00001000-100fffff : a\x1b[0mb\n", 1, "control character 0x1b in name");
	expect_error("00001000-100fffff : a\x7f\n", 1, "control character 0x7f in name");
	round_trip("00001000-100fffff : tab\there\n");
	expect_error("00000000-0000ffff : a\n    00000000-00000fff : c\n", 2,
		     "bad indentation: jumps from level 0 to level 2");
	expect_error("  00000000-0000ffff : a\n", 1, "first entry is at level 1");
	memset(longname, 'n', sizeof(longname));
	memcpy(longname, "00000000-00000fff : ", 20);
	longname[20 + VMK_RESOURCE_NAME_MAX + 1] = '\0';
	expect_error(longname, 1, "characters long, the limit is");
	longname[20 + VMK_RESOURCE_NAME_MAX] = '\0';
	round_trip(strcat(longname, "\n"));
	/* Errors deep in a file name the right line. */
	expect_error("00000000-0000ffff : a\n"
		     "  00000000-00000fff : a1\n"
		     "    00000000-000000ff : a11\n"
		     "\n"
		     "  00001000-00001fff : a2\n"
		     "    00001000-00002000 : a21\n", 6, "outside its parent 1000-1fff (a2)");
}

static void test_nul_in_name(void **state)
{
	struct rt *t = rt_new();
	struct vmk_resource_error err;
	static const char text[] = "00000000-00000fff : a\n00001000-00001fff : b\0c\n";

	(void)state;
	assert_int_equal(vmk_resource_parse(&t->root, &t->pool, text, sizeof(text) - 1, &err),
			 -VMK_EPARSE);
	assert_int_equal(err.line, 2);
	assert_string_equal(err.msg, "control character 0x00 in name");
	assert_null(t->root.child);
	rt_free(t);
}

static void test_not_empty(void **state)
{
	struct rt *t = rt_new();
	struct vmk_resource_error err;

	(void)state;
	rt_parse(t, "00000000-00000fff : a\n");
	assert_int_equal(vmk_resource_parse(&t->root, &t->pool, "00001000-00001fff : b\n", 22, &err),
			 -VMK_EINVAL);
	assert_int_equal(err.line, 0);
	assert_non_null(strstr(err.msg, "not empty"));
	rt_assert_tree(&t->root, "00000000-00000fff : a\n");
	rt_free(t);
}

static const char three_level[] =
	"00000000-0000ffff : a\n"
	"  00000000-00000fff : a1\n"
	"    00000000-000000ff : a11\n"
	"  00001000-00001fff : a2\n"
	"00010000-0001ffff : b\n";

static void test_pool_exhaustion(void **state)
{
	struct vmk_resource nodes[5], root;
	struct vmk_resource_pool pool;
	struct vmk_resource_error err;
	char names[64];

	(void)state;
	/* 4 nodes for 5 entries: fails on line 5, nothing kept. */
	vmk_iomem_root_init(&root);
	vmk_resource_pool_init(&pool, nodes, 4, names, sizeof(names));
	assert_int_equal(vmk_resource_parse(&root, &pool, three_level, strlen(three_level), &err),
			 -VMK_ENOMEM);
	assert_int_equal(err.line, 5);
	assert_non_null(strstr(err.msg, "pool exhausted"));
	assert_null(root.child);
	assert_int_equal(pool.nfree, 4);
	assert_int_equal(pool.names_used, 0);
	/* Names "a a1 a11 a2 b" need 2+3+4+3+2 = 14 bytes: 13 fail on line 5. */
	vmk_resource_pool_init(&pool, nodes, 5, names, 13);
	assert_int_equal(vmk_resource_parse(&root, &pool, three_level, strlen(three_level), &err),
			 -VMK_ENOMEM);
	assert_int_equal(err.line, 5);
	assert_non_null(strstr(err.msg, "name arena"));
	assert_int_equal(pool.nfree, 5);
	assert_int_equal(pool.names_used, 0);
	vmk_resource_pool_init(&pool, nodes, 5, names, 14);
	assert_int_equal(vmk_resource_parse(&root, &pool, three_level, strlen(three_level), &err), 0);
	assert_int_equal(pool.nfree, 0);
	assert_int_equal(pool.names_used, 14);
	assert_int_equal(vmk_resource_check(&root), 5);
	/* Names already in the arena before a failed parse survive it. */
	vmk_resource_free_tree(&pool, &root);
	vmk_resource_pool_init(&pool, nodes, 4, names, sizeof(names));
	assert_non_null(vmk_resource_pool_strdup(&pool, "keep", 4));
	assert_int_equal(vmk_resource_parse(&root, &pool, three_level, strlen(three_level), &err),
			 -VMK_ENOMEM);
	assert_int_equal(pool.names_used, 5);
	assert_string_equal(names, "keep");
}

static void test_injected_failures(void **state)
{
	struct rt *t = rt_new();
	struct vmk_resource_error err;
	unsigned long k;
	int ret;

	(void)state;
	/* Fail the 1st, 2nd, ... allocation: 5 names and 5 nodes, so 10 sites. */
	for (k = 0;; k++) {
		vmk_sim_fail_nth(k, "resource.", false);
		ret = vmk_resource_parse(&t->root, &t->pool, three_level, strlen(three_level), &err);
		vmk_sim_fail_off();
		if (ret == 0)
			break;
		assert_int_equal(ret, -VMK_ENOMEM);
		/* Name then node per line: failure k hits line k / 2 + 1. */
		assert_int_equal(err.line, k / 2 + 1);
		assert_null(t->root.child);
		assert_int_equal(t->pool.nfree, RT_NODES);
		assert_int_equal(t->pool.names_used, 0);
	}
	assert_int_equal(k, 10);
	rt_assert_tree(&t->root, three_level);
	rt_free(t);
}

static void test_parse_then_modify(void **state)
{
	struct rt *t = rt_new();
	struct vmk_resource *k, *conflict;

	(void)state;
	rt_parse(t, three_level);
	k = vmk_resource_alloc(&t->pool, 0x2000, 0x2fff, "new", VMK_RES_MEM, 0);
	assert_int_equal(vmk_resource_insert(&t->root, k, &conflict), 0);
	assert_string_equal(k->parent->name, "a");
	k = vmk_resource_alloc(&t->pool, 0x800, 0x1fff, "bad", VMK_RES_MEM, 0);
	assert_int_equal(vmk_resource_insert(&t->root, k, &conflict), -VMK_EEXIST);
	assert_string_equal(conflict->name, "a1");
	vmk_resource_free(&t->pool, k);
	rt_assert_tree(&t->root, "00000000-0000ffff : a\n"
				 "  00000000-00000fff : a1\n"
				 "    00000000-000000ff : a11\n"
				 "  00001000-00001fff : a2\n"
				 "  00002000-00002fff : new\n"
				 "00010000-0001ffff : b\n");
	rt_free(t);
}

static void test_deep_nesting(void **state)
{
	/* 2000 levels parse and render (the text grows with depth squared). */
	enum { DEPTH = 2000 };
	size_t cap = (size_t)DEPTH * (2 * DEPTH / 2 + 64), len = 0;
	char *text = malloc(cap), *s;
	struct rt *t = rt_new();
	struct vmk_resource_pool pool;
	struct vmk_resource *nodes = calloc(DEPTH, sizeof(*nodes));
	static char names[DEPTH * 16];
	struct rt_ranges got;

	(void)state;
	assert_non_null(text);
	for (int d = 0; d < DEPTH; d++) {
		memset(text + len, ' ', 2 * (size_t)d);
		len += 2 * (size_t)d;
		len += (size_t)sprintf(text + len, "%08x-%08x : %s\n", d, 2 * DEPTH - d,
				       d == DEPTH - 1 ? "reserved" : "System RAM");
	}
	assert_true(len < cap);
	vmk_resource_pool_init(&pool, nodes, DEPTH, names, sizeof(names));
	assert_int_equal(vmk_resource_parse(&t->root, &pool, text, len, NULL), 0);
	assert_int_equal(vmk_resource_check(&t->root), DEPTH);
	s = rt_render(&t->root);
	assert_true(strlen(s) == len && memcmp(s, text, len) == 0);
	free(s);
	assert_int_equal(vmk_resource_depth(vmk_resource_lookup(&t->root, DEPTH)), DEPTH - 1);
	memset(&got, 0, sizeof(got));
	assert_int_equal(vmk_resource_walk_usable_ram(&t->root, 0, UINT64_MAX, rt_collect, &got), 0);
	assert_int_equal(got.n, 2);
	assert_true(got.s[0] == 0 && got.e[0] == DEPTH - 2);
	assert_true(got.s[1] == DEPTH + 2 && got.e[1] == 2 * DEPTH);
	s = rt_render_as(&t->root, true);
	free(s);
	vmk_resource_free_tree(&pool, &t->root);
	assert_int_equal(pool.nfree, DEPTH);
	free(nodes);
	free(text);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_x86_centos6),
		cmocka_unit_test(test_sample_arm64_nested),
		cmocka_unit_test(test_own_samples),
		cmocka_unit_test(test_ioports),
		cmocka_unit_test(test_lenient_input),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nul_in_name),
		cmocka_unit_test(test_not_empty),
		cmocka_unit_test(test_pool_exhaustion),
		cmocka_unit_test(test_injected_failures),
		cmocka_unit_test(test_parse_then_modify),
		cmocka_unit_test(test_deep_nesting),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
