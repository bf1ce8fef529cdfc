/* Tests of the freestanding helpers in src/lib. */
#include "harness.h"
#include <vmkit/version.h>

#include <pthread.h>

static void test_snprintf(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(vmk_snprintf(buf, sizeof(buf), "%08llx-%s|%-4d|%3u", 0xabcULL, "x", -5, 7u), 19);
	assert_string_equal(buf, "00000abc-x|-5  |  7");
	vmk_snprintf(buf, sizeof(buf), "%.*s/%c/%zu/%%/%lx", 2, "hello", 'q', (size_t)42, 0xdeadUL);
	assert_string_equal(buf, "he/q/42/%/dead");
	/* Truncation still returns the full length and terminates. */
	assert_int_equal(vmk_snprintf(buf, 4, "abcdefg"), 7);
	assert_string_equal(buf, "abc");
	vmk_snprintf(buf, sizeof(buf), "%d %lld", INT32_MIN, (long long)INT64_MIN);
	assert_string_equal(buf, "-2147483648 -9223372036854775808");
	vmk_snprintf(buf, sizeof(buf), "%05d", -42);
	assert_string_equal(buf, "-0042");
}

/* The directives the core does not use today still follow C's printf. */
static void test_snprintf_rare(void **state)
{
	char buf[64];
	/* Through a variable: the compiler's format check refuses the unknown directive. */
	const char *unknown = "a%qb", *trailing = "end%";
	const char *volatile null_str = NULL;

	(void)state;
	vmk_snprintf(buf, sizeof(buf), "[%*d]", -5, 42);	/* negative width: left-justified */
	assert_string_equal(buf, "[42   ]");
	vmk_snprintf(buf, sizeof(buf), "[%*d]", 5, 42);
	assert_string_equal(buf, "[   42]");
	vmk_snprintf(buf, sizeof(buf), "[%.3s|%5.2s|%-4.1s]", "abcdef", "xyz", "pq");
	assert_string_equal(buf, "[abc|   xy|p   ]");
	vmk_snprintf(buf, sizeof(buf), "[%s]", null_str);
	assert_string_equal(buf, "[(null)]");
	vmk_snprintf(buf, sizeof(buf), "%hhu %hu %o %X", (unsigned char)200, (unsigned short)65535, 8u, 0xabcu);
	assert_string_equal(buf, "200 65535 10 ABC");
	vmk_snprintf(buf, sizeof(buf), "[%-3c]", 'z');
	assert_string_equal(buf, "[z  ]");
	/* '#': the prefix C gives (none for zero), inside zero padding, counted in the width. */
	vmk_snprintf(buf, sizeof(buf), "%#x %#X %#o %#x %#o %#llx", 0xf4u, 0xabu, 8u, 0u, 0u, 0x1000ull);
	assert_string_equal(buf, "0xf4 0XAB 010 0 0 0x1000");
	vmk_snprintf(buf, sizeof(buf), "[%#06x|%#6x|%-#6x|%06d]", 0xffu, 0xffu, 0xffu, -42);
	assert_string_equal(buf, "[0x00ff|  0xff|0xff  |-00042]");
	/* An unknown directive is copied, '%' and all; a '%' at the end stops the text. */
	assert_int_equal(vmk_snprintf(buf, sizeof(buf), unknown, 1), 4);
	assert_string_equal(buf, "a%qb");
	assert_int_equal(vmk_snprintf(buf, sizeof(buf), trailing), 3);
	assert_string_equal(buf, "end");
}

/* A buffer of capacity 0 takes nothing and says it overflowed. */
static void test_outbuf_empty(void **state)
{
	struct vmk_outbuf ob;
	char one[1] = { 'x' };

	(void)state;
	vmk_outbuf_init(&ob, NULL, 0);
	vmk_out_printf(&ob.out, "abc");
	assert_true(ob.overflow);
	assert_int_equal(ob.out.total, 3);
	vmk_outbuf_init(&ob, one, 1);
	vmk_out_printf(&ob.out, "abc");
	assert_true(ob.overflow);
	assert_int_equal(one[0], '\0');
}

/* JSON strings: controls escaped, valid UTF-8 kept, anything else replaced. */
static void test_json_string(void **state)
{
	char buf[128];
	struct vmk_outbuf ob;

	(void)state;
	vmk_outbuf_init(&ob, buf, sizeof(buf));
	/* U+10FFFF (f4 8f bf bf) is the last code point; f4 90 .. is beyond it. */
	vmk_out_json_string(&ob.out, "\x01\x7f|\xf4\x8f\xbf\xbf|\xf4\x90\x80\x80|\xe2\x82\x41|\xed\x9f\xbf");
	assert_false(ob.overflow);
	assert_string_equal(buf, "\"\\u0001\\u007f|\xf4\x8f\xbf\xbf|\\ufffd\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffdA|\xed\x9f\xbf\"");
	vmk_outbuf_init(&ob, buf, sizeof(buf));
	vmk_out_json_string(&ob.out, NULL);
	assert_string_equal(buf, "\"\"");
}

static void test_version(void **state)
{
	(void)state;
	assert_string_equal(vmk_version(), VMK_VERSION_STRING);
}

/* A sink gets the whole text, however long (no staging-buffer cut). */
/* Integer conversions with every flag vmkit honours, against the C library's printf. */
static void test_snprintf_vs_libc(void **state)
{
	static const char *const flags[] = { "", "-", "0", "#", "#0", "-#", "-0#" };
	static const char *const widths[] = { "", "1", "5", "12", "20" };
	static const char *const convs[] = { "lld", "llu", "llx", "llX", "llo" };
	static const long long vals[] = { 0, 1, -1, 7, 8, 0x1f, -42, 0x7fffffffffffffffll,
					  (long long)0x8000000000000000ull, 0xdeadbeefll };
	char fmt[32], want[64], got[64];
	unsigned int n = 0;

	(void)state;
	for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++)
		for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++)
			for (size_t c = 0; c < sizeof(convs) / sizeof(convs[0]); c++)
				for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
					int a, b;

					if (flags[f][0] == '#' && convs[c][2] == 'd')
						continue;	/* undefined in C */
					snprintf(fmt, sizeof(fmt), "[%%%s%s%s]", flags[f], widths[w], convs[c]);
					a = snprintf(want, sizeof(want), fmt, vals[v]);
					b = vmk_snprintf(got, sizeof(got), fmt, vals[v]);
					if (a != b || strcmp(want, got))
						fail_msg("%s of %lld: libc \"%s\" (%d), vmkit \"%s\" (%d)", fmt, vals[v],
							 want, a, got, b);
					n++;
				}
	assert_true(n > 1000);
}

static void test_out_long(void **state)
{
	static char big[5000], want[6000];
	char buf[8192];
	struct vmk_outbuf ob;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	vmk_outbuf_init(&ob, buf, sizeof(buf));
	vmk_out_printf(&ob.out, "<%s|%08x>", big, 0xbeefu);
	snprintf(want, sizeof(want), "<%s|%08x>", big, 0xbeefu);
	assert_string_equal(buf, want);
	assert_int_equal(ob.out.total, strlen(want));
	assert_false(ob.overflow);
}

static void test_parse(void **state)
{
	uint64_t v;
	size_t used;
	struct vmk_str s;

	(void)state;
	s = (struct vmk_str){ "0x1fZ", 5 };
	assert_int_equal(vmk_parse_u64(s, 0, &v, &used), 0);
	assert_int_equal(v, 0x1f);
	assert_int_equal(used, 4);
	s = (struct vmk_str){ "ffffffffffffffff", 16 };
	assert_int_equal(vmk_parse_u64(s, 16, &v, &used), 0);
	assert_true(v == UINT64_MAX);
	s = (struct vmk_str){ "10000000000000000", 17 };
	assert_int_equal(vmk_parse_u64(s, 16, &v, &used), -VMK_ERANGE);
	s = (struct vmk_str){ "zz", 2 };
	assert_int_equal(vmk_parse_u64(s, 0, &v, &used), -VMK_EPARSE);
	s = (struct vmk_str){ "512M,", 5 };
	assert_int_equal(vmk_parse_size(s, &v, &used), 0);
	assert_true(v == 512 * VMK_MiB);
	assert_int_equal(used, 4);
	s = (struct vmk_str){ "16E", 3 };
	assert_int_equal(vmk_parse_size(s, &v, &used), -VMK_ERANGE);
}

static void test_lines(void **state)
{
	const char *t = "a\r\nbb\n\nccc";
	size_t pos = 0;
	struct vmk_str l;
	const char *want[] = { "a", "bb", "", "ccc" };
	int n = 0;

	(void)state;
	while (vmk_next_line(t, strlen(t), &pos, &l)) {
		assert_true(n < 4);
		assert_true(vmk_str_eq(l, want[n]));
		n++;
	}
	assert_int_equal(n, 4);
	l = vmk_str_trim((struct vmk_str){ "  x y \t", 7 });
	assert_true(vmk_str_eq(l, "x y"));
	assert_int_equal(vmk_str_find(l, "y"), 2);
	assert_true(vmk_str_ieq((struct vmk_str){ "System RAM", 10 }, "system ram"));
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static void test_sort(void **state)
{
	int a[257];

	srand((unsigned int)th_seed());
	(void)state;
	for (int i = 0; i < 257; i++)
		a[i] = rand() % 100;
	vmk_sort(a, 257, sizeof(int), cmp_int);
	for (int i = 1; i < 257; i++)
		assert_true(a[i - 1] <= a[i]);
}

static void test_rangeset(void **state)
{
	struct vmk_range st[4];
	struct vmk_rangeset s;

	(void)state;
	vmk_rangeset_init(&s, st, 4);
	assert_int_equal(vmk_rangeset_add(&s, 0x1000, 0x2000), 0);
	assert_int_equal(vmk_rangeset_add(&s, 0x3000, 0x4000), 0);
	assert_int_equal(vmk_rangeset_add(&s, 0x2000, 0x3000), 0); /* bridges both */
	assert_int_equal(s.n, 1);
	assert_true(st[0].base == 0x1000 && st[0].end == 0x4000);
	assert_int_equal(vmk_rangeset_remove(&s, 0x1800, 0x2800), 0);
	assert_int_equal(s.n, 2);
	assert_true(vmk_rangeset_total(&s) == 0x2000);
	assert_true(vmk_rangeset_contains(&s, 0x2800, 0x4000));
	assert_false(vmk_rangeset_contains(&s, 0x1000, 0x2000));
	assert_true(vmk_rangeset_overlaps(&s, 0x17ff, 0x1801));
	assert_false(vmk_rangeset_overlaps(&s, 0x1800, 0x2800));
	/* Full set: a split that needs a slot fails and leaves the set alone. */
	assert_int_equal(vmk_rangeset_add(&s, 0x10000, 0x11000), 0);
	assert_int_equal(vmk_rangeset_add(&s, 0x20000, 0x21000), 0);
	assert_int_equal(vmk_rangeset_remove(&s, 0x20100, 0x20200), -VMK_ENOSPC);
	assert_int_equal(s.n, 4);
	assert_int_equal(vmk_rangeset_add(&s, 0x30000, 0x31000), -VMK_ENOSPC);
	assert_int_equal(vmk_rangeset_remove(&s, 0, UINT64_MAX), 0);
	assert_int_equal(s.n, 0);
	/* Empty ranges change nothing; reversed ones are refused. */
	assert_int_equal(vmk_rangeset_add(&s, 0x5000, 0x5000), 0);
	assert_int_equal(vmk_rangeset_add(&s, 0x5000, 0x4000), -VMK_EINVAL);
	assert_int_equal(s.n, 0);
	assert_int_equal(vmk_rangeset_add(&s, 0x1000, 0x2000), 0);
	assert_int_equal(vmk_rangeset_remove(&s, 0x1800, 0x1800), 0);
	assert_int_equal(vmk_rangeset_remove(&s, 0x1800, 0x1000), -VMK_EINVAL);
	assert_int_equal(s.n, 1);
}

/* Word-wise copies against a byte-wise reference, every offset and overlap. */
static void test_memops(void **state)
{
	unsigned char a[96], b[96], ref[96];

	(void)state;
	for (size_t off = 0; off < 16; off++)
		for (size_t n = 0; n < 40; n++)
			for (int dir = -9; dir <= 9; dir++) {
				for (size_t i = 0; i < sizeof(a); i++)
					a[i] = ref[i] = (unsigned char)(i * 7 + 1);
				size_t src = 24 + off, dst = (size_t)((long)src + dir);

				memmove(ref + dst, ref + src, n);
				vmk_memmove(a + dst, a + src, n);
				assert_memory_equal(a, ref, sizeof(a));
			}
	for (size_t n = 0; n < 40; n++) {
		memset(b, 0xee, sizeof(b));
		vmk_memset(b + 3, 0x5a, n);
		for (size_t i = 0; i < sizeof(b); i++)
			assert_int_equal(b[i], (i >= 3 && i < 3 + n) ? 0x5a : 0xee);
		memset(b, 0, sizeof(b));
		vmk_memcpy(b + 1, a + 5, n);
		assert_memory_equal(b + 1, a + 5, n);
		assert_int_equal(b[1 + n], 0);
	}
}

static void test_panic_hook(void **state)
{
	(void)state;
	assert_panics(VMK_VERIFY(1 + 1 == 3, "arithmetic is %s", "broken"),
		      "invariant violated: arithmetic is broken");
	assert_false(VMK_SIM_TRY_PANIC(VMK_VERIFY(1, "fine")));
}

static void test_fault_injection(void **state)
{
	(void)state;
	vmk_sim_fail_nth(2, "x.", false);
	assert_false(vmk_fault("x.a"));
	assert_false(vmk_fault("y.a"));	/* other prefix: not counted */
	assert_false(vmk_fault("x.b"));
	assert_true(vmk_fault("x.c"));
	assert_false(vmk_fault("x.d"));
	assert_int_equal(vmk_sim_fault_calls(), 4);
	assert_int_equal(vmk_sim_faults_injected(), 1);
	vmk_sim_fail_off();
	assert_false(vmk_fault("x.c"));
}

/*
 * The plain-C fls/ffs (riscv64 without Zbb) against the compiler's
 * builtins: every single bit, every bit with every lower bit set or a
 * scatter of others, and a deterministic walk of other values.
 */
static void test_fls_ffs_soft(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (unsigned int b = 0; b < 64; b++) {
		uint64_t one = (uint64_t)1 << b;
		uint64_t below = one | (one - 1), above = ~(one - 1);

		assert_int_equal(vmk_fls64_soft(one), b);
		assert_int_equal(vmk_ffs64_soft(one), b);
		assert_int_equal(vmk_fls64_soft(below), b);
		assert_int_equal(vmk_ffs64_soft(below), 0);
		assert_int_equal(vmk_fls64_soft(above), 63);
		assert_int_equal(vmk_ffs64_soft(above), b);
	}
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint64_t v = x >> (i % 64);

		if (!v)
			continue;
		assert_int_equal(vmk_fls64_soft(v), 63 - __builtin_clzll(v));
		assert_int_equal(vmk_ffs64_soft(v), __builtin_ctzll(v));
	}
}

/* Four bytes of one word, each changed through the word helpers by its own thread. */
struct byte_atomic_arg {
	uint8_t *b;
	unsigned int idx;
	unsigned int bad;
};

static void *byte_atomic_worker(void *p)
{
	struct byte_atomic_arg *a = p;

	for (unsigned int i = 0; i < 20000; i++) {
		uint8_t bit = (uint8_t)(1u << (i % 8));
		uint8_t old = vmk_atomic_fetch_or_u8_word(a->b, bit);

		/* Only this thread writes this byte: the bit was clear. */
		if (old & bit)
			a->bad++;
		old = vmk_atomic_fetch_and_u8_word(a->b, (uint8_t)~bit);
		if (!(old & bit))
			a->bad++;
	}
	/* Leave a signature only this byte should carry. */
	vmk_atomic_fetch_or_u8_word(a->b, (uint8_t)(0x11 * (a->idx + 1)));
	return NULL;
}

/*
 * The byte atomics through the aligned word (riscv64 with gcc): old values
 * right, neighbours untouched, and no update lost to another thread working
 * on another byte of the same word.
 */
static void test_byte_atomics_word(void **state)
{
	_Alignas(4) uint8_t w[8] = { 0xf0, 0x0f, 0xaa, 0x55, 0x12, 0x34, 0x56, 0x78 };
	struct byte_atomic_arg args[4];
	pthread_t th[4];

	(void)state;
	assert_int_equal(vmk_atomic_fetch_or_u8_word(&w[2], 0x05), 0xaa);
	assert_int_equal(w[2], 0xaf);
	assert_int_equal(vmk_atomic_fetch_and_u8_word(&w[3], 0x0f), 0x55);
	assert_int_equal(w[3], 0x05);
	assert_int_equal(vmk_atomic_fetch_or_u8_word(&w[0], 0x0f), 0xf0);
	assert_int_equal(vmk_atomic_fetch_and_u8_word(&w[1], 0xf0), 0x0f);
	assert_int_equal(vmk_atomic_fetch_or_u8(&w[7], 0x80), 0x78);
	assert_int_equal(vmk_atomic_fetch_and_u8(&w[6], 0x0f), 0x56);
	const uint8_t want[8] = { 0xff, 0x00, 0xaf, 0x05, 0x12, 0x34, 0x06, 0xf8 };
	assert_memory_equal(w, want, sizeof(w));

	vmk_memset(w, 0, sizeof(w));
	for (unsigned int i = 0; i < 4; i++) {
		args[i] = (struct byte_atomic_arg){ .b = &w[i], .idx = i };
		assert_int_equal(pthread_create(&th[i], NULL, byte_atomic_worker, &args[i]), 0);
	}
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (unsigned int i = 0; i < 4; i++) {
		assert_int_equal(args[i].bad, 0);
		assert_int_equal(w[i], 0x11 * (i + 1));
	}
	assert_int_equal(w[4] | w[5] | w[6] | w[7], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snprintf),
		cmocka_unit_test(test_snprintf_vs_libc),
		cmocka_unit_test(test_snprintf_rare),
		cmocka_unit_test(test_outbuf_empty),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_out_long),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_sort),
		cmocka_unit_test(test_rangeset),
		cmocka_unit_test(test_memops),
		cmocka_unit_test(test_panic_hook),
		cmocka_unit_test(test_fault_injection),
		cmocka_unit_test(test_fls_ffs_soft),
		cmocka_unit_test(test_byte_atomics_word),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
