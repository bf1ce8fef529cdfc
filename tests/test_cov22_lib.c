/*
 * The freestanding library's less travelled paths, each against literal
 * expected text: vmk_vsnprintf into no buffer and with the z / j / t / l
 * length modifiers, sizes in EiB, an empty formatted write to a sink,
 * JSON strings with overlong and boundary UTF-8 sequences, vmk_strerror
 * for codes it does not know, vmk_strlcpy into no room, an empty needle,
 * numbers that overflow by one, and parse results without a length.
 */
#include "harness.h"

static struct vmk_str str(const char *s)
{
	return (struct vmk_str){ s, strlen(s) };
}

static void test_format(void **state)
{
	char buf[96] = "untouched";
	char sz[32];

	(void)state;
	/* No buffer: the length of the whole text, nothing written. */
	assert_int_equal(vmk_snprintf(buf, 0, "%d-%s", 12345, "abc"), 9);
	assert_string_equal(buf, "untouched");
	assert_int_equal(vmk_snprintf(buf, sizeof(buf), "%zu %jd %td %ld %lu",
				      (size_t)18446744073709551615ull, (intmax_t)-9223372036854775807ll,
				      (ptrdiff_t)-5, -2147483649l, 4294967296ul),
			 (int)strlen("18446744073709551615 -9223372036854775807 -5 -2147483649 4294967296"));
	assert_string_equal(buf, "18446744073709551615 -9223372036854775807 -5 -2147483649 4294967296");
	/* Sizes stop at EiB: 2^64 - 1 bytes is 15.9 EiB. */
	assert_string_equal(vmk_fmt_size(sz, sizeof(sz), UINT64_MAX), "15.9 EiB");
	assert_string_equal(vmk_fmt_size(sz, sizeof(sz), 1ull << 62), "4 EiB");
	assert_string_equal(vmk_fmt_size(sz, sizeof(sz), 1536), "1.5 KiB");
}

static size_t sink_calls;

static void sink(void *arg, const char *s, size_t n)
{
	(void)arg;
	(void)s;
	(void)n;
	sink_calls++;
}

/* A formatted write of nothing reaches no sink and counts nothing. */
static void test_empty_write(void **state)
{
	struct vmk_out o = { sink, NULL, 0 };
	const char *volatile empty = "";

	(void)state;
	sink_calls = 0;
	vmk_out_printf(&o, "%s", empty);
	assert_int_equal(sink_calls, 0);
	assert_int_equal(o.total, 0);
	vmk_out_printf(&o, "%s!", empty);
	assert_int_equal(sink_calls, 1);
	assert_int_equal(o.total, 1);
}

static void test_json_utf8_bounds(void **state)
{
	char buf[160];
	struct vmk_outbuf ob;

	(void)state;
	vmk_outbuf_init(&ob, buf, sizeof(buf));
	/*
	 * e0 a0 80 (U+0800) and f0 90 80 80 (U+10000) are the first of their
	 * lengths; e0 9f bf and f0 8f bf bf are overlong forms of smaller code
	 * points, and c1 bf an overlong two-byte form: every byte of those
	 * becomes U+FFFD.
	 */
	vmk_out_json_string(&ob.out, "\xe0\xa0\x80|\xf0\x90\x80\x80|\xe0\x9f\xbf|\xf0\x8f\xbf\xbf|\xc1\xbf");
	assert_false(ob.overflow);
	assert_string_equal(buf, "\"\xe0\xa0\x80|\xf0\x90\x80\x80|\\ufffd\\ufffd\\ufffd|"
				 "\\ufffd\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd\"");
}

static void test_strings(void **state)
{
	char d[4] = "xyz";
	uint64_t v = 7;

	(void)state;
	assert_string_equal(vmk_strerror(-VMK_EACCES), "access not allowed");
	assert_string_equal(vmk_strerror(VMK_ENOMEM), "out of memory");
	assert_string_equal(vmk_strerror(-99), "unknown error");
	assert_string_equal(vmk_strerror(1000), "unknown error");
	/* No room: the length it would have copied, the buffer untouched. */
	assert_int_equal(vmk_strlcpy(d, "abcdef", 0), 6);
	assert_string_equal(d, "xyz");
	assert_int_equal(vmk_strlcpy(d, "abcdef", sizeof(d)), 6);
	assert_string_equal(d, "abc");
	assert_int_equal(vmk_str_find(str("abc"), ""), 0);
	assert_int_equal(vmk_str_find(str("abc"), "abcd"), -1);
	/* 2^64 overflows by the addition of the last digit; 2^64 * 10 by the multiplication. */
	assert_int_equal(vmk_parse_u64(str("18446744073709551616"), 10, &v, NULL), -VMK_ERANGE);
	assert_int_equal(vmk_parse_u64(str("184467440737095516150"), 10, &v, NULL), -VMK_ERANGE);
	assert_int_equal(v, 7);
	assert_int_equal(vmk_parse_u64(str("18446744073709551615"), 10, &v, NULL), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(vmk_parse_size(str("16k"), &v, NULL), 0);
	assert_int_equal(v, 16384);
	assert_int_equal(vmk_parse_size(str("16E"), &v, NULL), -VMK_ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_empty_write),
		cmocka_unit_test(test_json_utf8_bounds),
		cmocka_unit_test(test_strings),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
