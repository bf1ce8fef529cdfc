/*
 * Tests of `vmkit ptdump`: the command is compiled into this test (tools/
 * objects are not linked into tests) and its standard output captured.
 */
#include <unistd.h>

#include "pmap_util.h"

#include "../tools/vmkit/cmd_ptdump.c"
#include "../tools/vmkit/util.c"

static char outbuf[1 << 16];

static int run(char *const *args)
{
	char *argv[16];
	int argc = 0, rc, so = dup(1);
	FILE *f = tmpfile();
	size_t n;

	assert_non_null(f);
	while (args[argc]) {
		argv[argc] = args[argc];
		argc++;
	}
	fflush(stdout);
	dup2(fileno(f), 1);
	rc = vmkit_cmd_ptdump(argc, argv);
	fflush(stdout);
	dup2(so, 1);
	close(so);
	rewind(f);
	n = fread(outbuf, 1, sizeof(outbuf) - 1, f);
	outbuf[n] = '\0';
	fclose(f);
	return rc;
}

static void check_kernel(void)
{
	char msg[256];

	if (vmk_pmap_check(vmk_pmap_kernel(), msg, sizeof(msg)))
		fail_msg("after ptdump: %s", msg);
}

static void test_x86(void **state)
{
	char *a[] = { "ptdump", NULL };
	char *a5[] = { "ptdump", "--levels", "5", "--user", NULL };

	(void)state;
	vmk_sim_install();
	assert_int_equal(run(a), 0);
	/* 4 GiB of direct map in 1 GiB pages, the image text in 2 MiB pages, counts. */
	assert_non_null(strstr(outbuf, "0xffff888000000000-0xffff888100000000     4 GiB pud RW      NX GLB WB"));
	assert_non_null(strstr(outbuf, "---[ Kernel image ]---\n0xffffffff80000000-0xffffffff80400000     4 MiB pmd ro      x  GLB WB"));
	assert_non_null(strstr(outbuf, "1G mappings: 4"));
	assert_non_null(strstr(outbuf, "nopromote"));
	check_kernel();
	assert_int_equal(run(a5), 0);
	assert_non_null(strstr(outbuf, "5 levels"));
	assert_non_null(strstr(outbuf, "0xff11000000000000-0xff11000100000000"));
	assert_non_null(strstr(outbuf, "user address space"));
	assert_non_null(strstr(outbuf, "2 MiB pmd RW  USR NX     WB  managed"));
	check_kernel();
	pmt_shutdown();
}

static void test_arm64_json(void **state)
{
	char *a[] = { "ptdump", "--arch", "arm64", "--levels", "3", "--ram", "1G", "--json", NULL };

	(void)state;
	vmk_sim_install();
	assert_int_equal(run(a), 0);
	assert_true(outbuf[0] == '{');
	assert_non_null(strstr(outbuf, "\"arch\": \"arm64\", \"levels\": 3"));
	assert_non_null(strstr(outbuf, "\"1G\": 1"));
	assert_non_null(strstr(outbuf, "\"memtype\": \"DEV\""));
	check_kernel();
	pmt_shutdown();
}

/* riscv64: Sv39 with Linux's layout and a user space below 2^38; Sv57 as JSON. */
static void test_riscv64(void **state)
{
	char *a3[] = { "ptdump", "--arch", "riscv64", "--levels", "3", "--ram", "1G", "--user", NULL };
	char *a5[] = { "ptdump", "--arch", "riscv64", "--levels", "5", "--ram", "1G", "--json", NULL };

	(void)state;
	vmk_sim_install();
	assert_int_equal(run(a3), 0);
	assert_non_null(strstr(outbuf, "riscv64 kernel address space, 3 levels"));
	/*
	 * RAM at 2 GiB: 2 MiB leaves, not one 1 GiB leaf at the Sv39 root,
	 * whose kernel entries every user root copies (vmk_pmap__block_ok).
	 */
	assert_non_null(strstr(outbuf, "0xffffffd880000000-0xffffffd8c0000000     1 GiB pmd RW      NX GLB WB"));
	assert_non_null(strstr(outbuf, "---[ Kernel image ]---\n0xffffffff80000000-0xffffffff80400000     4 MiB pmd ro      x  GLB WB"));
	assert_non_null(strstr(outbuf, "8 KiB pte RW      NX GLB UC"));	/* MMIO: PBMT IO */
	assert_non_null(strstr(outbuf, "0x0000003ffffe0000-0x0000003ffffe4000    16 KiB pte RW  USR NX     WB  managed"));
	check_kernel();
	assert_int_equal(run(a5), 0);
	assert_non_null(strstr(outbuf, "\"arch\": \"riscv64\", \"levels\": 5"));
	assert_non_null(strstr(outbuf, "\"1G\": 1"));
	check_kernel();
	pmt_shutdown();
}

/* arm64 with 3 levels has a 39-bit user half: the user stack goes below it. */
static void test_arm64_3_user(void **state)
{
	char *a[] = { "ptdump", "--arch", "arm64", "--levels", "3", "--ram", "1G", "--user", NULL };

	(void)state;
	vmk_sim_install();
	assert_int_equal(run(a), 0);
	assert_non_null(strstr(outbuf, "0x0000007ffffe0000-0x0000007ffffe4000    16 KiB pte RW  USR NX     WB  managed"));
	check_kernel();
	pmt_shutdown();
}

static void test_bad_usage(void **state)
{
	char *a1[] = { "ptdump", "--arch", "mips", NULL };
	char *a6[] = { "ptdump", "--arch", "riscv64", "--levels", "6", NULL };
	char *a2[] = { "ptdump", "--levels", "3", NULL };
	char *a3[] = { "ptdump", "--ram", "100M", NULL };
	char *a4[] = { "ptdump", "--frobnicate", NULL };
	char *a5[] = { "ptdump", "--help", NULL };

	(void)state;
	vmk_sim_install();
	assert_int_equal(run(a1), 2);
	assert_int_equal(run(a2), 2);
	assert_int_equal(run(a3), 2);
	assert_int_equal(run(a4), 2);
	assert_int_equal(run(a6), 2);
	assert_int_equal(run(a5), 0);
	assert_non_null(strstr(outbuf, "usage: vmkit ptdump"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x86),
		cmocka_unit_test(test_arm64_json),
		cmocka_unit_test(test_riscv64),
		cmocka_unit_test(test_arm64_3_user),
		cmocka_unit_test(test_bad_usage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
