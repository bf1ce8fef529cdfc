/* crashkernel=: every form, malformed strings, reservation, kdump ranges. */
#include "harness.h"
#include <vmkit/kexec.h>
#include <vmkit/memblock.h>
#include <vmkit/resource.h>

#define MiB VMK_MiB
#define GiB VMK_GiB

static struct vmk_crash_arch x86, arm;

static int parse(const char *s, uint64_t ram, const struct vmk_crash_arch *ca,
		 struct vmk_crashkernel *ck, char *err)
{
	return vmk_crashkernel_parse(s, strlen(s), ram, ca, ck, err, 256);
}

static void test_forms(void **state)
{
	struct vmk_crashkernel ck;
	char err[256];

	(void)state;
	assert_int_equal(parse("256M", 4 * GiB, &x86, &ck, err), 0);
	assert_int_equal(ck.form, VMK_CK_SIZE);
	assert_true(ck.size == 256 * MiB && !ck.fixed && !ck.high);
	assert_int_equal(parse("0x10000000", 4 * GiB, &x86, &ck, err), 0);
	assert_true(ck.size == 256 * MiB);
	assert_int_equal(parse(" 128M@16M ", 4 * GiB, &x86, &ck, err), 0);
	assert_int_equal(ck.form, VMK_CK_SIZE_OFFSET);
	assert_true(ck.fixed && ck.offset == 16 * MiB && ck.size == 128 * MiB);
	assert_int_equal(parse("1G,high", 8 * GiB, &x86, &ck, err), 0);
	assert_true(ck.form == VMK_CK_HIGH && ck.high && ck.size == GiB);
	assert_int_equal(parse("128M,low", 8 * GiB, &x86, &ck, err), 0);
	assert_true(ck.form == VMK_CK_LOW && ck.size == 128 * MiB);
	/* Range list: [start, end) of the RAM size picks the size. */
	assert_int_equal(parse("512M-2G:64M,2G-:128M", GiB, &x86, &ck, err), 0);
	assert_true(ck.form == VMK_CK_RANGES && ck.size == 64 * MiB);
	assert_int_equal(parse("512M-2G:64M,2G-:128M", 2 * GiB, &x86, &ck, err), 0);
	assert_true(ck.size == 128 * MiB);	/* end is exclusive, start inclusive */
	/*
	 * Linux matches the RAM size rounded up to 128 MiB: a "2 GiB" machine
	 * whose firmware keeps 100 MiB still takes the 2G- entry; one page more
	 * than 1 GiB + 896 MiB (rounds to 2 GiB) does too, 1 GiB + 896 MiB
	 * itself (a 128 MiB multiple) does not.
	 */
	assert_int_equal(parse("512M-2G:64M,2G-:128M", 2 * GiB - 1, &x86, &ck, err), 0);
	assert_true(ck.size == 128 * MiB);
	assert_int_equal(parse("512M-2G:64M,2G-:128M", 2 * GiB - 100 * MiB, &x86, &ck, err), 0);
	assert_true(ck.size == 128 * MiB);
	assert_int_equal(parse("512M-2G:64M,2G-:128M", 2 * GiB - 128 * MiB + 4096, &x86, &ck, err), 0);
	assert_true(ck.size == 128 * MiB);
	assert_int_equal(parse("512M-2G:64M,2G-:128M", 2 * GiB - 128 * MiB, &x86, &ck, err), 0);
	assert_true(ck.size == 64 * MiB);
	assert_int_equal(parse("512M-2G:64M,2G-:128M", 512 * MiB - 127 * MiB, &x86, &ck, err), 0);
	assert_true(ck.size == 64 * MiB);
	assert_int_equal(parse("512M-2G:64M,2G-:128M", 256 * MiB, &x86, &ck, err), 0);
	assert_true(ck.size == 0);		/* no entry: no reservation */
	/* Linux takes crash_base 0 for "not given": @0 is an automatic placement. */
	assert_int_equal(parse("128M@0", 4 * GiB, &x86, &ck, err), 0);
	assert_true(ck.form == VMK_CK_SIZE_OFFSET && !ck.fixed && ck.size == 128 * MiB);
	assert_int_equal(parse("512M-2G:64M,2G-:128M@0", 4 * GiB, &x86, &ck, err), 0);
	assert_true(ck.size == 128 * MiB && !ck.fixed);
	assert_int_equal(parse("512M-2G:64M,2G-:128M@32M", 4 * GiB, &x86, &ck, err), 0);
	assert_true(ck.size == 128 * MiB && ck.fixed && ck.offset == 32 * MiB);
	assert_int_equal(parse("1g-4g:160m,4G-64G:192M,64G-1T:256M,1T-:512M", 100 * GiB, &x86, &ck, err), 0);
	assert_true(ck.size == 256 * MiB);
}

static void expect_bad(const char *s, uint64_t ram, const struct vmk_crash_arch *ca, int code,
		       const char *needle)
{
	struct vmk_crashkernel ck;
	char err[256];
	int ret = parse(s, ram, ca, &ck, err);

	if (ret != code)
		fail_msg("crashkernel=%s: got %d, want %d (%s)", s, ret, code, err);
	if (!strstr(err, needle))
		fail_msg("crashkernel=%s: message \"%s\" lacks \"%s\"", s, err, needle);
	if (!strstr(err, "crashkernel="))
		fail_msg("crashkernel=%s: message \"%s\" does not name the parameter", s, err);
}

static void test_malformed(void **state)
{
	(void)state;
	expect_bad("", GiB, &x86, -VMK_EPARSE, "empty value");
	expect_bad("   ", GiB, &x86, -VMK_EPARSE, "empty value");
	expect_bad("@16M", GiB, &x86, -VMK_EPARSE, "missing size at column 1");
	expect_bad("M", GiB, &x86, -VMK_EPARSE, "missing size");
	expect_bad("256X", GiB, &x86, -VMK_EPARSE, "bad suffix 'X'");
	expect_bad("256Mb", GiB, &x86, -VMK_EPARSE, "bad suffix 'b'");
	expect_bad("512M-:64M@", GiB, &x86, -VMK_EPARSE, "missing offset at the end");
	/* Linux reads the offset "16" and skips the "Q": a base that is not aligned. */
	expect_bad("256M@16Q", GiB, &x86, -VMK_EINVAL, "offset 0x10 is not aligned");
	expect_bad("256M,foo", GiB, &x86, -VMK_EPARSE, "unknown suffix ',foo'");
	expect_bad("256M,", GiB, &x86, -VMK_EPARSE, "unknown suffix");
	expect_bad("256M junk", GiB, &x86, -VMK_EPARSE, "unexpected ' ' at column 5");
	expect_bad("2G-1G:64M", 4 * GiB, &x86, -VMK_EINVAL, "start 0x80000000 >= end 0x40000000");
	expect_bad("1G-1G:64M", 4 * GiB, &x86, -VMK_EINVAL, ">= end");
	expect_bad("1G-2G", 4 * GiB, &x86, -VMK_EPARSE, "':' expected");
	expect_bad("1G:64M", 4 * GiB, &x86, -VMK_EPARSE, "'-' expected");
	expect_bad("1G-2G:", 4 * GiB, &x86, -VMK_EPARSE, "missing size at the end");
	expect_bad("-2G:64M", 4 * GiB, &x86, -VMK_EPARSE, "missing range start");
	expect_bad("1G-2G:64M,;", 4 * GiB, &x86, -VMK_EPARSE, "missing range start at column 11");
	expect_bad("3G-:64M,1G-2G:x", 2 * GiB, &x86, -VMK_EPARSE, "missing size at column 15");
	expect_bad("1G-2G:64M,high", 4 * GiB, &x86, -VMK_EPARSE, "expected a size and then ,high");
	expect_bad("x,low", 4 * GiB, &x86, -VMK_EPARSE, "missing size at column 1");
	expect_bad("1G-2G:64M,", 4 * GiB, &x86, -VMK_EPARSE, "missing range start at the end");
	expect_bad("256M@1000", 4 * GiB, &x86, -VMK_EINVAL, "not aligned to 0x1000000");
	/*
	 * x86-64 reserves a fixed base with CRASH_ALIGN (16 MiB) since Linux 6.7
	 * (reserve_crashkernel_generic): a 1 MiB aligned base is refused there.
	 */
	expect_bad("256M@17M", 4 * GiB, &x86, -VMK_EINVAL, "not aligned to 0x1000000");
	expect_bad("256M@1M", 4 * GiB, &arm, -VMK_EINVAL, "not aligned to 0x200000");
	expect_bad("1G-:64M@3M", 4 * GiB, &arm, -VMK_EINVAL, "not aligned");
	expect_bad("16E", 4 * GiB, &x86, -VMK_ERANGE, "overflows 64 bits");
	expect_bad("99999999999999999999", 4 * GiB, &x86, -VMK_ERANGE, "overflows");
	expect_bad("1G@0xfffffffffff00000", 0, &x86, -VMK_ERANGE, "overflows");
	expect_bad("8G", 4 * GiB, &x86, -VMK_ERANGE, "not smaller than system RAM");
	expect_bad("1G-:4G", 2 * GiB, &x86, -VMK_ERANGE, "not smaller than system RAM");
	/* Linux checks every entry up to the match against the (rounded) RAM size. */
	expect_bad("0-512M:1G,512M-:64M", 768 * MiB, &x86, -VMK_ERANGE,
		   "range 1: size 0x40000000 is not smaller than system RAM 0x30000000");
}

/* Parse, expect success, and return the size; *ign gets the skipped text. */
static uint64_t lenient(const char *s, uint64_t ram, const struct vmk_crash_arch *ca,
			struct vmk_crashkernel *ck, char *ign)
{
	char err[256];
	int ret = parse(s, ram, ca, ck, err);

	if (ret)
		fail_msg("crashkernel=%s: got %d (%s), Linux accepts it", s, ret, err);
	snprintf(ign, 64, "%.*s", (int)ck->ignored_len, s + ck->ignored_pos);
	return ck->size;
}

/*
 * Linux's parse_crashkernel_mem() does not require sorted ranges (the
 * first match wins), stops reading at the matching range (up to an
 * '@offset'), reads nothing after an offset, and treats a size of 0 as
 * "no reservation" without looking at its offset.
 */
static void test_linux_leniency(void **state)
{
	struct vmk_crashkernel ck;
	char ign[64];

	(void)state;
	/* Unsorted and overlapping lists: the first range containing the RAM size. */
	assert_true(lenient("2G-:128M,512M-2G:64M", GiB, &x86, &ck, ign) == 64 * MiB);
	assert_true(lenient("2G-:128M,512M-2G:64M", 4 * GiB, &x86, &ck, ign) == 128 * MiB);
	assert_true(lenient("1G-:64M,2G-:128M", 4 * GiB, &x86, &ck, ign) == 64 * MiB);
	assert_true(lenient("1G-3G:64M,2G-4G:128M", 2560 * MiB, &x86, &ck, ign) == 64 * MiB);
	assert_true(lenient("1G-2G:64M,512M-1G:32M", 768 * MiB, &x86, &ck, ign) == 32 * MiB);
	assert_true(lenient("1G-2G:64M,512M-1G:32M", 4 * GiB, &x86, &ck, ign) == 0);
	/* After the match: the rest of a good list is skipped silently ... */
	assert_true(lenient("512M-2G:64M,2G-:128M", GiB, &x86, &ck, ign) == 64 * MiB);
	assert_string_equal(ign, "");
	/* ... anything else is skipped too, and reported. */
	assert_true(lenient("512M-2G:64M,garbage", GiB, &x86, &ck, ign) == 64 * MiB);
	assert_string_equal(ign, ",garbage");
	assert_true(lenient("512M-2G:64Mfoo", GiB, &x86, &ck, ign) == 64 * MiB);
	assert_string_equal(ign, "foo");
	assert_true(lenient("512M-2G:64M;2G-:128M@16M", GiB, &x86, &ck, ign) == 64 * MiB);
	assert_true(ck.fixed && ck.offset == 16 * MiB);
	assert_string_equal(ign, ";2G-:128M");
	/* Text after an offset is never read. */
	assert_true(lenient("256M@16Mfoo", 4 * GiB, &x86, &ck, ign) == 256 * MiB);
	assert_true(ck.fixed && ck.offset == 16 * MiB && ck.form == VMK_CK_SIZE_OFFSET);
	assert_string_equal(ign, "foo");
	/* No match: the rest (even junk and an offset) is not read. */
	assert_true(lenient("1G-2G:64M;", 4 * GiB, &x86, &ck, ign) == 0);
	assert_string_equal(ign, ";");
	assert_true(lenient("1G-2G:64M@3M", 4 * GiB, &x86, &ck, ign) == 0);
	assert_true(!ck.fixed);
	/* crashkernel=0 and friends: nothing reserved, offsets unchecked. */
	assert_true(lenient("0", 4 * GiB, &x86, &ck, ign) == 0);
	assert_true(lenient("0@1M", 4 * GiB, &x86, &ck, ign) == 0);
	assert_true(lenient("0-:0@3M", 4 * GiB, &x86, &ck, ign) == 0);
	assert_true(lenient("0,high", 4 * GiB, &x86, &ck, ign) == 0 && ck.form == VMK_CK_HIGH);
	/* memparse(): a leading 0 is octal, 0x hex. */
	assert_true(lenient("0200M", 4 * GiB, &x86, &ck, ign) == 128 * MiB);
	assert_true(lenient("0x8000000", 4 * GiB, &x86, &ck, ign) == 128 * MiB);
}

static void test_cmdline(void **state)
{
	struct vmk_crashkernel ck;
	char err[256];

	(void)state;
	assert_int_equal(vmk_crashkernel_parse_cmdline("root=/dev/sda crashkernel=128M quiet crashkernel=256M",
						       4 * GiB, &x86, &ck, err, sizeof(err)), 0);
	assert_true(ck.form == VMK_CK_SIZE && ck.size == 256 * MiB);	/* the last one wins */
	assert_int_equal(vmk_crashkernel_parse_cmdline("crashkernel=1G,high", 8 * GiB, &x86, &ck, err,
						       sizeof(err)), 0);
	assert_true(ck.high && ck.size == GiB && ck.low_size == 256 * MiB && !ck.low_given);
	assert_int_equal(vmk_crashkernel_parse_cmdline("crashkernel=1G,high", 8 * GiB, &arm, &ck, err,
						       sizeof(err)), 0);
	assert_true(ck.low_size == 128 * MiB);
	assert_int_equal(vmk_crashkernel_parse_cmdline("crashkernel=0,low crashkernel=1G,high", 8 * GiB,
						       &x86, &ck, err, sizeof(err)), 0);
	assert_true(ck.high && ck.low_given && ck.low_size == 0);
	assert_int_equal(vmk_crashkernel_parse_cmdline("crashkernel=1G,high crashkernel=64M,low", 8 * GiB,
						       &x86, &ck, err, sizeof(err)), 0);
	assert_true(ck.low_size == 64 * MiB);
	/* A plain crashkernel= beats ,high. */
	assert_int_equal(vmk_crashkernel_parse_cmdline("crashkernel=512M crashkernel=1G,high", 8 * GiB,
						       &x86, &ck, err, sizeof(err)), 0);
	assert_true(!ck.high && ck.size == 512 * MiB);
	/*
	 * Linux 6.16+ knows crashkernel=Y,cma too: the plain lookup skips it, so
	 * it neither replaces the plain value nor fails the command line.
	 */
	assert_int_equal(vmk_crashkernel_parse_cmdline("crashkernel=256M crashkernel=64M,cma", 8 * GiB,
						       &x86, &ck, err, sizeof(err)), 0);
	assert_true(ck.form == VMK_CK_SIZE && ck.size == 256 * MiB);
	assert_int_equal(vmk_crashkernel_parse_cmdline("crashkernel=64M,cma", 8 * GiB, &x86, &ck, err,
						       sizeof(err)), 0);
	assert_int_equal(ck.form, VMK_CK_NONE);
	/* ,low alone, nothing, or a look-alike: no reservation. */
	assert_int_equal(vmk_crashkernel_parse_cmdline("crashkernel=64M,low", 8 * GiB, &x86, &ck, err,
						       sizeof(err)), 0);
	assert_int_equal(ck.form, VMK_CK_NONE);
	assert_int_equal(vmk_crashkernel_parse_cmdline("quiet nocrashkernel=1G", 8 * GiB, &x86, &ck, err,
						       sizeof(err)), 0);
	assert_int_equal(ck.form, VMK_CK_NONE);
	assert_int_equal(vmk_crashkernel_parse_cmdline(NULL, 8 * GiB, &x86, &ck, err, sizeof(err)), 0);
	/* A malformed ,low with ,high is an error; so is the chosen plain one. */
	assert_int_equal(vmk_crashkernel_parse_cmdline("crashkernel=1G,high crashkernel=x,low", 8 * GiB,
						       &x86, &ck, err, sizeof(err)), -VMK_EPARSE);
	assert_non_null(strstr(err, "crashkernel=x,low"));
	assert_int_equal(vmk_crashkernel_parse_cmdline("crashkernel=12Q", 8 * GiB, &x86, &ck, err,
						       sizeof(err)), -VMK_EPARSE);
	/*
	 * crashkernel=0 reserves nothing, and Linux then tries no ,high; after
	 * 0,high it never reads ,low (so a bad ,low is no error).
	 */
	assert_int_equal(vmk_crashkernel_parse_cmdline("crashkernel=0 crashkernel=1G,high", 8 * GiB,
						       &x86, &ck, err, sizeof(err)), 0);
	assert_true(ck.size == 0 && !ck.high);
	assert_int_equal(vmk_crashkernel_parse_cmdline("crashkernel=0,high crashkernel=x,low", 8 * GiB,
						       &x86, &ck, err, sizeof(err)), 0);
	assert_true(ck.size == 0 && ck.low_size == 0);
	/* Quotes group blanks inside one parameter. */
	assert_int_equal(vmk_crashkernel_parse_cmdline("foo=\"a b\" crashkernel=64M", 8 * GiB, &x86, &ck,
						       err, sizeof(err)), 0);
	assert_true(ck.size == 64 * MiB);
}

/* A machine: RAM 0-2 GiB and 4-8 GiB, the kernel reserved at 16-48 MiB. */
static struct vmk_memblock mb;

static void machine(bool bottom_up)
{
	vmk_memblock_init(&mb);
	vmk_memblock_add(&mb, 0, 2 * GiB);
	vmk_memblock_add(&mb, 4 * GiB, 4 * GiB);
	vmk_memblock_reserve(&mb, 16 * MiB, 32 * MiB);
	vmk_memblock_set_bottom_up(&mb, bottom_up);
}

static void dump(char *buf, size_t cap)
{
	struct vmk_outbuf ob;

	vmk_outbuf_init(&ob, buf, cap);
	vmk_memblock_dump(&mb, &ob.out);
}

/*
 * Reserved bytes other than memblock's own grown arrays: memblock keeps a
 * grown array after a later failure (it is its own capacity, freed at the
 * hand-over), so only the rest must come back exactly.
 */
static void dump_user(char *buf, size_t cap)
{
	struct vmk_range st[1024], own[2];
	struct vmk_rangeset s;
	size_t nown = vmk_memblock_own_arrays(&mb, own);
	size_t len = 0;

	vmk_rangeset_init(&s, st, 1024);
	for (size_t i = 0; i < mb.reserved.cnt; i++)
		vmk_rangeset_add(&s, mb.reserved.regions[i].base,
				 mb.reserved.regions[i].base + mb.reserved.regions[i].size);
	for (size_t i = 0; i < nown; i++)
		vmk_rangeset_remove(&s, own[i].base, own[i].end);
	buf[0] = '\0';
	for (size_t i = 0; i < s.n && len + 40 < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%llx-%llx\n",
					(unsigned long long)st[i].base, (unsigned long long)st[i].end);
}

static void reserve(const char *cmdline, const struct vmk_crash_arch *ca,
		    struct vmk_crash_region *cr, int want)
{
	struct vmk_crashkernel ck;
	char err[256];
	int ret;

	assert_int_equal(vmk_crashkernel_parse_cmdline(cmdline, vmk_memblock_phys_mem_size(&mb), ca,
						       &ck, err, sizeof(err)), 0);
	ret = vmk_crashkernel_reserve(&mb, &ck, ca, cr, err, sizeof(err));
	if (ret != want)
		fail_msg("%s: got %d want %d (%s)", cmdline, ret, want, err);
	if (ret == 0 && cr->main.end > cr->main.base) {
		assert_true(vmk_memblock_is_region_reserved(&mb, cr->main.base, cr->main.end - cr->main.base));
		assert_true(cr->main.base % ca->align == 0 || ck.fixed);
	}
	vmk_memblock_check(&mb);
}

static void test_reserve(void **state)
{
	struct vmk_crash_region cr;

	(void)state;
	/* Plain: below 4 GiB first, top-down: the top of the low RAM. */
	machine(false);
	reserve("crashkernel=256M", &x86, &cr, 0);
	assert_true(cr.main.base == 2 * GiB - 256 * MiB && cr.main.end == 2 * GiB);
	assert_true(cr.low.end == cr.low.base);
	/* Bottom-up: the lowest 16 MiB aligned block above low_min, past the kernel. */
	machine(true);
	reserve("crashkernel=256M", &x86, &cr, 0);
	assert_true(cr.main.base == 48 * MiB);
	/* Too big for low memory: above 4 GiB plus the default low part. */
	machine(false);
	reserve("crashkernel=3G", &x86, &cr, 0);
	assert_true(cr.main.base == 5 * GiB && cr.main.end == 8 * GiB);
	assert_true(cr.low.base == 2 * GiB - 256 * MiB && cr.low.end == 2 * GiB);
	/* ,high: from the top above 4 GiB, low default; ,low=0: none. */
	machine(false);
	reserve("crashkernel=512M,high", &x86, &cr, 0);
	assert_true(cr.main.base == 8 * GiB - 512 * MiB);
	assert_true(cr.low.end - cr.low.base == 256 * MiB && cr.low.end <= 4 * GiB);
	machine(false);
	reserve("crashkernel=512M,high crashkernel=0,low", &x86, &cr, 0);
	assert_true(cr.low.end == cr.low.base);
	/* arm64: 2 MiB alignment, 128 MiB low default. */
	machine(false);
	reserve("crashkernel=100M,high", &arm, &cr, 0);
	assert_true(cr.main.base == 8 * GiB - 100 * MiB);
	assert_true(cr.low.end - cr.low.base == 128 * MiB);
	/*
	 * Bottom-up from RAM at 0: never address 0 (Linux's memblock skips the
	 * first page; a crash base of 0 means "none"). The next aligned block
	 * is at the alignment: 2 MiB on arm64, 16 MiB for the x86 low part.
	 */
	vmk_memblock_init(&mb);
	vmk_memblock_add(&mb, 0, GiB);
	vmk_memblock_set_bottom_up(&mb, true);
	reserve("crashkernel=64M", &arm, &cr, 0);
	assert_true(cr.main.base == 2 * MiB && cr.main.end == 66 * MiB);
	machine(true);
	vmk_memblock_free(&mb, 16 * MiB, 32 * MiB);
	reserve("crashkernel=1G,high", &x86, &cr, 0);
	assert_true(cr.main.base == 4 * GiB && cr.main.end == 5 * GiB);
	assert_true(cr.low.base == 16 * MiB && cr.low.end == 16 * MiB + 256 * MiB);
	/* ,high with no high memory falls back low, with no low part. */
	vmk_memblock_init(&mb);
	vmk_memblock_add(&mb, 0, 2 * GiB);
	reserve("crashkernel=512M,high", &x86, &cr, 0);
	assert_true(cr.main.end == 2 * GiB && cr.low.end == cr.low.base);
	/* Fixed offsets. */
	machine(false);
	reserve("crashkernel=256M@1G", &x86, &cr, 0);
	assert_true(cr.main.base == GiB && cr.main.end == GiB + 256 * MiB);
	/* @0 is no fixed base: the same block as plain crashkernel=256M, not address 0. */
	machine(false);
	reserve("crashkernel=256M@0", &x86, &cr, 0);
	assert_true(cr.main.base == 2 * GiB - 256 * MiB && cr.main.end == 2 * GiB);
	machine(false);
	reserve("crashkernel=64M@16M", &x86, &cr, -VMK_EEXIST);
	machine(false);
	reserve("crashkernel=64M@3G", &x86, &cr, -VMK_EINVAL);
	machine(false);
	vmk_memblock_mark_nomap(&mb, GiB, 64 * MiB);
	reserve("crashkernel=64M@1G", &x86, &cr, -VMK_ENOMEM);
	/* Nothing fits. */
	machine(false);
	reserve("crashkernel=5G,high", &x86, &cr, -VMK_ENOMEM);
	machine(false);
	reserve("crashkernel=5G", &x86, &cr, -VMK_ENOMEM);	/* the plain form: neither below nor above 4 GiB */
	assert_false(vmk_memblock_is_reserved(&mb, 5 * GiB));
	/* No crashkernel: nothing reserved. */
	reserve("quiet", &x86, &cr, 0);
	assert_true(cr.main.end == cr.main.base);
}

static void test_reserve_undo(void **state)
{
	struct vmk_crash_region cr;
	char before[4096], after[4096];

	(void)state;
	/* Low memory full: the main part is reserved, the low part fails, all undone. */
	vmk_memblock_init(&mb);
	vmk_memblock_add(&mb, 0, 64 * MiB);
	vmk_memblock_reserve(&mb, 0, 64 * MiB);
	vmk_memblock_add(&mb, 4 * GiB, 4 * GiB);
	dump(before, sizeof(before));
	reserve("crashkernel=1G,high", &x86, &cr, -VMK_ENOMEM);
	dump(after, sizeof(after));
	assert_string_equal(before, after);
}

static void test_reserve_fault_sweep(void **state)
{
	static char before[65536], after[65536];
	unsigned long n;

	(void)state;
	for (n = 0; n < 64; n++) {
		struct vmk_crashkernel ck;
		struct vmk_crash_region cr;
		char err[256];
		int ret;

		vmk_memblock_init(&mb);
		vmk_memblock_allow_resize(&mb, true);
		/* Many reserved pieces so the reserved array must grow (an allocation). */
		vmk_memblock_add(&mb, 0, 2 * GiB);
		vmk_memblock_add(&mb, 4 * GiB, 4 * GiB);
		for (int i = 0; i < VMK_MEMBLOCK_INIT_REGIONS; i++)
			vmk_memblock_reserve(&mb, 4 * GiB + (uint64_t)i * 2 * MiB, 4096);
		dump_user(before, sizeof(before));
		assert_int_equal(vmk_crashkernel_parse_cmdline("crashkernel=512M,high", 8 * GiB, &x86,
							       &ck, err, sizeof(err)), 0);
		vmk_sim_fail_nth(n, "memblock", false);
		ret = vmk_crashkernel_reserve(&mb, &ck, &x86, &cr, err, sizeof(err));
		vmk_memblock_check(&mb);
		if (vmk_sim_faults_injected() == 0) {
			vmk_sim_fail_off();
			assert_int_equal(ret, 0);
			break;
		}
		vmk_sim_fail_off();
		if (ret) {
			dump_user(after, sizeof(after));
			assert_string_equal(before, after);
		} else {
			/* A fallback path succeeded despite the fault: still consistent. */
			assert_true(vmk_memblock_is_region_reserved(&mb, cr.main.base,
								    cr.main.end - cr.main.base));
		}
	}
	assert_true(n > 0 && n < 64);	/* faults were injected, then it succeeded */
}

static void test_resources_and_dump(void **state)
{
	static struct vmk_resource nodes[16];
	static char names[512];
	struct vmk_resource_pool pool;
	struct vmk_resource root, crash, crash_low;
	struct vmk_resource_error rerr;
	static const char iomem[] =
		"00000000-7fffffff : System RAM\n"
		"  01000000-01ffffff : Kernel code\n"
		"100000000-1ffffffff : System RAM\n";
	struct vmk_crash_region cr = { { 0x70000000, 0x80000000 }, { 0x60000000, 0x68000000 } }, found;
	struct vmk_range ramst[4], nomapst[2], out[8];
	struct vmk_rangeset ram, nomap;
	static char buf[1024];
	struct vmk_outbuf ob;
	size_t n;

	(void)state;
	vmk_resource_pool_init(&pool, nodes, 16, names, sizeof(names));
	vmk_iomem_root_init(&root);
	assert_int_equal(vmk_resource_parse(&root, &pool, iomem, strlen(iomem), &rerr), 0);
	assert_int_equal(vmk_crashkernel_insert_resources(&root, &cr, &crash, &crash_low), 0);
	vmk_resource_check(&root);
	vmk_outbuf_init(&ob, buf, sizeof(buf));
	vmk_resource_render(&root, &ob.out);
	assert_string_equal(buf,
		"00000000-7fffffff : System RAM\n"
		"  01000000-01ffffff : Kernel code\n"
		"  60000000-67ffffff : Crash kernel\n"
		"  70000000-7fffffff : Crash kernel\n"
		"100000000-1ffffffff : System RAM\n");
	assert_int_equal(crash.desc, VMK_RES_DESC_CRASH_KERNEL);
	assert_int_equal(vmk_kexec_find_crash_regions(&root, &found), 0);
	assert_true(found.main.base == cr.main.base && found.low.base == cr.low.base);

	/* Dump ranges: RAM minus crash regions minus no-map. */
	vmk_rangeset_init(&ram, ramst, 4);
	vmk_rangeset_add(&ram, 0, 2 * GiB);
	vmk_rangeset_add(&ram, 4 * GiB, 8 * GiB);
	vmk_rangeset_init(&nomap, nomapst, 2);
	vmk_rangeset_add(&nomap, GiB, GiB + 2 * MiB);
	assert_int_equal(vmk_kdump_ranges(&ram, &nomap, &cr, out, 8, &n), 0);
	assert_int_equal(n, 4);
	assert_true(out[0].base == 0 && out[0].end == GiB);
	assert_true(out[1].base == GiB + 2 * MiB && out[1].end == 0x60000000);
	assert_true(out[2].base == 0x68000000 && out[2].end == 0x70000000);
	assert_true(out[3].base == 4 * GiB && out[3].end == 8 * GiB);
	assert_int_equal(vmk_kdump_ranges(&ram, &nomap, &cr, out, 2, &n), -VMK_ENOSPC);
	/* 4 CPUs, 3 ranges: 64 + 56 * (4 + 2 + 3) bytes, one page. */
	assert_true(vmk_kdump_elfcorehdr_size(3, 4) == 4096);
	assert_true(vmk_kdump_elfcorehdr_size(100, 4) == 8192);	/* 64 + 56 * 106 = 6000 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_linux_leniency),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_reserve_undo),
		cmocka_unit_test(test_reserve_fault_sweep),
		cmocka_unit_test(test_resources_and_dump),
	};

	vmk_sim_install();
	vmk_sim_ram_add(0, 8 * GiB);
	vmk_crash_arch_defaults(VMK_KEXEC_ARCH_X86_64, &x86);
	vmk_crash_arch_defaults(VMK_KEXEC_ARCH_ARM64, &arm);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
