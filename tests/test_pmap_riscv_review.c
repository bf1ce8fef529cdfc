/*
 * Review of the riscv64 feature decoding: what the strict parser must
 * refuse and accepted.
 *  - the base must be spelled "rv64": a zero-padded XLEN ("rv064",
 *    "rv0064") is no ISA name, yet decoded as RV64.
 */
#include "harness.h"
#include <vmkit/pmap.h>

static int decode_isa(const char *isa, struct vmk_mmu_features *f, char *err, size_t len)
{
	struct vmk_riscv_dt dt = { 0 };

	dt.isa = isa;
	dt.isa_len = strlen(isa) + 1;
	return vmk_mmu_features_riscv(&dt, f, err, len);
}

static void test_xlen_spelled_exactly(void **state)
{
	static const char *const bad[] = { "rv064imac_svnapot", "rv0064gc", "RV064I", "rv00064i" };
	struct vmk_mmu_features f;
	char err[200];

	(void)state;
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = decode_isa(bad[i], &f, err, sizeof(err));

		if (r != -VMK_EINVAL || !strstr(err, "does not start with rv64"))
			fail_msg("'%s': %d \"%s\", want -VMK_EINVAL 'does not start with rv64'", bad[i], r, err);
		assert_false(f.svnapot);
	}
	/* The real spellings still decode. */
	assert_int_equal(decode_isa("rv64imac_svnapot", &f, err, sizeof(err)), 0);
	assert_true(f.svnapot);
	assert_int_equal(decode_isa("RV64GC_Svpbmt", &f, err, sizeof(err)), 0);
	assert_true(f.svpbmt);
	assert_int_equal(decode_isa("rv32imac", &f, err, sizeof(err)), -VMK_ENOTSUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xlen_spelled_exactly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
