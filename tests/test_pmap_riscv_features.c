/*
 * riscv64 MMU features from device-tree properties (riscv,isa,
 * riscv,isa-extensions, mmu-type) and the pmap configuration made from
 * them: real ISA strings, versions, case, and nonsense that must be
 * refused with a message saying where.
 */
#include "pmap_util.h"
#include <vmkit/pmap.h>
#include "../src/pmap/pmap_internal.h"

struct feat {
	bool svpbmt, svnapot, svadu, svade, hw;
	unsigned int va_bits;
};

/* Decode with riscv,isa and mmu-type (C strings; NULL: absent). */
static int decode(const char *isa, const char *mmu, struct vmk_mmu_features *f, char *err)
{
	struct vmk_riscv_dt dt = { 0 };

	if (isa) {
		dt.isa = isa;
		dt.isa_len = strlen(isa) + 1;	/* as stored in the DT: with the NUL */
	}
	if (mmu) {
		dt.mmu_type = mmu;
		dt.mmu_type_len = strlen(mmu) + 1;
	}
	return vmk_mmu_features_riscv(&dt, f, err, 200);
}

static void expect_ok(const char *isa, const char *mmu, struct feat want)
{
	struct vmk_mmu_features f;
	char err[200];
	int ret = decode(isa, mmu, &f, err);

	if (ret)
		fail_msg("'%s' / %s: %d (%s)", isa, mmu ? mmu : "no mmu-type", ret, err);
	if (f.svpbmt != want.svpbmt || f.svnapot != want.svnapot || f.svadu != want.svadu ||
	    f.svade != want.svade || f.hw_af != want.hw || f.hw_dbm != want.hw ||
	    f.va_bits != want.va_bits)
		fail_msg("'%s': svpbmt %d svnapot %d svadu %d svade %d hw %d va %u, want %d %d %d %d %d %u",
			 isa, f.svpbmt, f.svnapot, f.svadu, f.svade, f.hw_af, f.va_bits, want.svpbmt,
			 want.svnapot, want.svadu, want.svade, want.hw, want.va_bits);
	assert_true(f.gran_4k && f.page_1g && f.nx && f.pge && f.pa_bits == 56);
}

static void expect_err(const char *isa, const char *mmu, int code, const char *msg)
{
	struct vmk_mmu_features f, zero;
	char err[200] = "";
	int ret = decode(isa, mmu, &f, err);

	if (ret != code || !strstr(err, msg))
		fail_msg("'%s' / %s: %d \"%s\", want %d \"%s\"", isa ? isa : "(none)",
			 mmu ? mmu : "-", ret, err, code, msg);
	memset(&zero, 0, sizeof(zero));
	assert_memory_equal(&f, &zero, sizeof(f));	/* nothing half-decoded */
}

static void test_isa_strings(void **state)
{
	(void)state;
	/* The brief's example: all three, Sv48 from mmu-type. */
	expect_ok("rv64imafdc_svpbmt_svnapot_svadu", "riscv,sv48",
		  (struct feat){ true, true, true, false, true, 48 });
	/* QEMU virt's string (8.x): zi* extensions, no Sv* but Svadu off. */
	expect_ok("rv64imafdch_zicbom_zicboz_zicntr_zicsr_zifencei_zihintntl_zihintpause_zihpm_"
		  "zawrs_zfa_zca_zcd_zba_zbb_zbc_zbs_sstc_svadu", "riscv,sv57",
		  (struct feat){ false, false, true, false, true, 57 });
	expect_ok("rv64gc", "riscv,sv39", (struct feat){ .va_bits = 39 });
	/* No mmu-type: Sv39. */
	expect_ok("rv64imac_svnapot", NULL, (struct feat){ .svnapot = true, .va_bits = 39 });
	/* Versions on single letters and on names. */
	expect_ok("rv64i2p1m2p0a2p1f2p2d2p2c2p0_zicsr2p0_svpbmt1p0_svnapot1p0", "riscv,sv48",
		  (struct feat){ .svpbmt = true, .svnapot = true, .va_bits = 48 });
	expect_ok("rv64i2_svade1", NULL, (struct feat){ .svade = true, .va_bits = 39 });
	/* Upper case (the naming rules are case-insensitive). */
	expect_ok("RV64IMAFDC_Zicsr_Svpbmt", NULL, (struct feat){ .svpbmt = true, .va_bits = 39 });
	/* The first multi-letter name may follow the letters without '_'. */
	expect_ok("rv64imacsvpbmt_svnapot", NULL,
		  (struct feat){ .svpbmt = true, .svnapot = true, .va_bits = 39 });
	/* Svade with Svadu: hardware updating is off until the OS turns it on. */
	expect_ok("rv64imac_svade_svadu", NULL,
		  (struct feat){ .svadu = true, .svade = true, .va_bits = 39 });
	/* Names that only start or end like a known one are other extensions. */
	expect_ok("rv64imac_svpbmtx_xsvnapot_svadux_zsvade", NULL, (struct feat){ .va_bits = 39 });
	/* Digits inside a name are not a version. */
	expect_ok("rv64imacv_zve32x_zvl128b_svnapot", NULL,
		  (struct feat){ .svnapot = true, .va_bits = 39 });
	/* Single letters after '_' are allowed too. */
	expect_ok("rv64i_m_a_c_svpbmt", NULL, (struct feat){ .svpbmt = true, .va_bits = 39 });
	/* Without its NUL (a caller passing strlen). */
	{
		static const char isa[] = "rv64imac_svnapot";
		struct vmk_riscv_dt dt = { .isa = isa, .isa_len = sizeof(isa) - 1 };
		struct vmk_mmu_features f;

		assert_int_equal(vmk_mmu_features_riscv(&dt, &f, NULL, 0), 0);
		assert_true(f.svnapot);
		/* Trailing NULs of a padded property are fine. */
		dt.isa_len = sizeof(isa);
		assert_int_equal(vmk_mmu_features_riscv(&dt, &f, NULL, 0), 0);
	}
}

static void test_isa_nonsense(void **state)
{
	char big[5000];

	(void)state;
	expect_err(NULL, NULL, -VMK_EINVAL, "neither riscv,isa nor riscv,isa-extensions");
	expect_err("", NULL, -VMK_EINVAL, "riscv,isa: empty");
	expect_err("hello", NULL, -VMK_EINVAL, "does not start with rv64");
	expect_err("rv", NULL, -VMK_EINVAL, "does not start with rv64");
	expect_err("rv6", NULL, -VMK_EINVAL, "does not start with rv64");
	expect_err("rv640imac", NULL, -VMK_EINVAL, "does not start with rv64");
	expect_err("rv99999999999999999999imac", NULL, -VMK_EINVAL, "does not start with rv64");
	expect_err("rv32imac_svpbmt", NULL, -VMK_ENOTSUP, "an RV32 hart, not RV64");
	expect_err("rv128i", NULL, -VMK_ENOTSUP, "an RV128 hart");
	expect_err("rv64", NULL, -VMK_EINVAL, "no base ISA (i, e or g) at column 5");
	expect_err("rv64mac", NULL, -VMK_EINVAL, "no base ISA (i, e or g) at column 5");
	expect_err("rv64_i", NULL, -VMK_EINVAL, "no base ISA");
	expect_err("rv64e", NULL, -VMK_ENOTSUP, "RV64E");
	expect_err("rv64im-ac", NULL, -VMK_EINVAL, "'-' at column 7 is not an extension letter");
	expect_err("rv64im ac", NULL, -VMK_EINVAL, "0x20 at column 7");
	expect_err("rv64i\tm", NULL, -VMK_EINVAL, "0x09 at column 6");
	expect_err("rv64imac__svpbmt", NULL, -VMK_EINVAL, "empty extension name at column 10");
	expect_err("rv64imac_", NULL, -VMK_EINVAL, "empty extension name at column 10");
	expect_err("rv64imac_svpbmt_", NULL, -VMK_EINVAL, "empty extension name at column 17");
	expect_err("rv64imac_1p0", NULL, -VMK_EINVAL, "starts with '1', not a letter");
	expect_err("rv64imac_sv.pbmt", NULL, -VMK_EINVAL, "'.' at column 12 is not allowed");
	expect_err("rv64imac_svpbmt\xff", NULL, -VMK_EINVAL, "0xff at column 16");
	/* Two strings where one belongs (a string list in riscv,isa). */
	{
		static const char two[] = "rv64imac\0rv64gc";
		struct vmk_riscv_dt dt = { .isa = two, .isa_len = sizeof(two) };
		struct vmk_mmu_features f;
		char err[200];

		assert_int_equal(vmk_mmu_features_riscv(&dt, &f, err, sizeof(err)), -VMK_EINVAL);
		assert_non_null(strstr(err, "more than one string"));
	}
	/* Over-long: one name, and the whole string. */
	memset(big, 0, sizeof(big));
	memcpy(big, "rv64imac_s", 10);
	memset(big + 10, 'v', 70);
	expect_err(big, NULL, -VMK_EINVAL, "longer than 64 characters");
	memset(big + 10, 'v', sizeof(big) - 11);
	expect_err(big, NULL, -VMK_EINVAL, "more than 4096");
	/* A truncated error buffer still ends in NUL; a NULL one is allowed. */
	{
		struct vmk_riscv_dt dt = { .isa = "rv64imac_", .isa_len = 10 };
		struct vmk_mmu_features f;
		char err[8];

		memset(err, 'x', sizeof(err));
		assert_int_equal(vmk_mmu_features_riscv(&dt, &f, err, sizeof(err)), -VMK_EINVAL);
		assert_int_equal(err[7], '\0');
		assert_int_equal(vmk_mmu_features_riscv(&dt, &f, NULL, 0), -VMK_EINVAL);
	}
}

static void test_mmu_type(void **state)
{
	(void)state;
	expect_ok("rv64gc", "riscv,sv57", (struct feat){ .va_bits = 57 });
	expect_err("rv64gc", "riscv,none", -VMK_ENOTSUP, "mmu-type 'riscv,none': no RV64 paging");
	expect_err("rv64gc", "riscv,sv32", -VMK_ENOTSUP, "no RV64 paging");
	expect_err("rv64gc", "riscv,sv64", -VMK_EINVAL, "not riscv,sv39, riscv,sv48 or riscv,sv57");
	expect_err("rv64gc", "riscv,sv48 ", -VMK_EINVAL, "'riscv,sv48 '");
	expect_err("rv64gc", "RISCV,SV48", -VMK_EINVAL, "not riscv,sv39");
	expect_err("rv64gc", "", -VMK_EINVAL, "mmu-type ''");
	{
		static const char two[] = "riscv,sv39\0riscv,sv48";
		struct vmk_riscv_dt dt = { .isa = "rv64gc", .isa_len = 7, .mmu_type = two,
					   .mmu_type_len = sizeof(two) };
		struct vmk_mmu_features f;
		char err[200];

		assert_int_equal(vmk_mmu_features_riscv(&dt, &f, err, sizeof(err)), -VMK_EINVAL);
		assert_non_null(strstr(err, "mmu-type: more than one string"));
	}
}

static int decode_list(const char *list, size_t len, const char *isa, struct vmk_mmu_features *f,
		       char *err)
{
	struct vmk_riscv_dt dt = { .isa_extensions = list, .isa_extensions_len = len };

	if (isa) {
		dt.isa = isa;
		dt.isa_len = strlen(isa) + 1;
	}
	return vmk_mmu_features_riscv(&dt, f, err, 200);
}

static void test_isa_extensions_list(void **state)
{
	static const char qemu[] = "i\0m\0a\0f\0d\0c\0zicsr\0zifencei\0svnapot\0svpbmt";
	static const struct {
		const char *list;
		size_t len;
		const char *msg;
	} bad[] = {
		{ "i\0m", 3, "does not end with a NUL" },
		{ "i\0\0m", 5, "entry 1 is empty" },
		{ "\0", 1, "entry 0 is empty" },
		{ "I\0M", 4, "entry 0 'I' is not a lower-case extension name" },
		{ "i\0sv_pbmt", 10, "entry 1 'sv_pbmt'" },
		{ "i\0svnapot1p0", 13, "entry 1 'svnapot1p0' ends in a digit" },
		{ "i\0zve32", 8, "ends in a digit" },
		{ "i\0" "1abc", 7, "entry 1 '1abc'" },
		{ "m\0a\0svpbmt", 11, "no \"i\"" },
		{ "i\0rv64imac", 11, "entry 1 'rv64imac' is an ISA string, not an extension" },
	};
	struct vmk_mmu_features f;
	char err[200];

	(void)state;
	assert_int_equal(decode_list(qemu, sizeof(qemu), NULL, &f, err), 0);
	assert_true(f.svnapot && f.svpbmt && !f.svadu && !f.hw_af && f.va_bits == 39);
	/* With both properties the list names the extensions... */
	assert_int_equal(decode_list("i\0svadu", 8, "rv64imac_svpbmt", &f, err), 0);
	assert_true(f.svadu && f.hw_af && !f.svpbmt);
	/* ...and the string must still be well formed and RV64. */
	assert_int_equal(decode_list("i\0svadu", 8, "rv64imac__", &f, err), -VMK_EINVAL);
	assert_non_null(strstr(err, "empty extension name"));
	assert_int_equal(decode_list("i\0svadu", 8, "rv32imac", &f, err), -VMK_ENOTSUP);
	for (size_t i = 0; i < VMK_ARRAY_SIZE(bad); i++) {
		int ret = decode_list(bad[i].list, bad[i].len, NULL, &f, err);

		if (ret != -VMK_EINVAL || !strstr(err, bad[i].msg))
			fail_msg("list %zu: %d \"%s\", want \"%s\"", i, ret, err, bad[i].msg);
	}
	/* Over-long: one entry of 70 letters, and a list of more than 4096 bytes. */
	{
		static char big[5000];

		memset(big, 'a', sizeof(big));
		big[0] = 'i';
		big[1] = '\0';
		big[72] = '\0';
		assert_int_equal(decode_list(big, 73, NULL, &f, err), -VMK_EINVAL);
		assert_non_null(strstr(err, "entry 1 is longer than 64 characters"));
		for (size_t i = 3; i < sizeof(big); i += 2)
			big[i] = '\0';
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(decode_list(big, sizeof(big), NULL, &f, err), -VMK_EINVAL);
		assert_non_null(strstr(err, "5000 bytes, more than 4096"));
	}
}

/*
 * Generated strings: a random subset of extensions (the four that matter
 * and others), random order, versions, case and separators; the flags
 * must be the subset's. Then random byte mutations: any result, but an
 * error always says something and never leaves features set.
 */
static uint64_t rng;

static unsigned int next_rand(void)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned int)(rng >> 33);
}

static void test_random(void **state)
{
	static const char *const names[] = { "svpbmt", "svnapot", "svadu", "svade", "zicsr",
					     "zifencei", "zba", "zbb", "sstc", "zicbom", "zve32x",
					     "xtheadvector", "svinval", "ssaia" };
	unsigned long seed = th_seed();
	char isa[512], err[200];
	struct vmk_mmu_features f;
	int fails = 0;

	(void)state;
	rng = seed * 6364136223846793005ull + 1442695040888963407ull;
	for (int it = 0; it < 20000; it++) {
		bool want[4] = { false, false, false, false };
		size_t n = (size_t)snprintf(isa, sizeof(isa), "%s", next_rand() % 2 ? "rv64imafdc" : "rv64gc");

		for (size_t k = 0; k < VMK_ARRAY_SIZE(names); k++) {
			size_t i = next_rand() % VMK_ARRAY_SIZE(names);

			if (next_rand() % 3 == 0)
				continue;
			if (i < 4)
				want[i] = true;
			n += (size_t)snprintf(isa + n, sizeof(isa) - n, "_%s", names[i]);
			if (next_rand() % 4 == 0) {
				unsigned int major = next_rand() % 3, minor = next_rand() % 10;

				n += (size_t)snprintf(isa + n, sizeof(isa) - n, "%up%u", major, minor);
			}
		}
		for (size_t i = 0; i < n; i++)
			if (next_rand() % 8 == 0)
				isa[i] = (char)(isa[i] >= 'a' && isa[i] <= 'z' ? isa[i] - 32 : isa[i]);
		if (decode(isa, "riscv,sv48", &f, err))
			fail_msg("'%s' refused: %s", isa, err);
		if (f.svpbmt != want[0] || f.svnapot != want[1] || f.svadu != want[2] ||
		    f.svade != want[3] || f.hw_af != (want[2] && !want[3]))
			fail_msg("'%s': flags %d%d%d%d, want %d%d%d%d", isa, f.svpbmt, f.svnapot,
				 f.svadu, f.svade, want[0], want[1], want[2], want[3]);
		/* Mutate a few bytes (any value but NUL). */
		for (int m = 0, nm = 1 + (int)(next_rand() % 3); m < nm; m++) {
			size_t pos = next_rand() % n;

			isa[pos] = (char)(1 + next_rand() % 255);
		}
		err[0] = '\0';
		if (decode(isa, "riscv,sv48", &f, err)) {
			fails++;
			assert_true(err[0] != '\0');
			assert_false(f.svpbmt || f.svnapot || f.svadu || f.hw_af || f.va_bits);
		}
	}
	/* Most mutations break the string; some land on valid letters. */
	assert_true(fails > 5000 && fails < 20000);
}

static void test_pmap_config(void **state)
{
	struct vmk_mmu_features f;
	struct vmk_pmap_config cfg;
	char err[200];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.asid_bits = 16;	/* left alone */
	assert_int_equal(decode("rv64imafdc_svpbmt_svnapot_svadu", "riscv,sv57", &f, err), 0);
	assert_int_equal(vmk_pmap_config_riscv(&f, &cfg), 0);
	assert_int_equal(cfg.arch, VMK_PMAP_ARCH_RISCV64);
	assert_int_equal(cfg.levels, 5);
	assert_false(cfg.no_svpbmt);
	assert_true(cfg.large_1g && cfg.nx);
	assert_int_equal(cfg.asid_bits, 16);
	assert_int_equal(decode("rv64gc", "riscv,sv39", &f, err), 0);
	assert_int_equal(vmk_pmap_config_riscv(&f, &cfg), 0);
	assert_int_equal(cfg.levels, 3);
	assert_true(cfg.no_svpbmt);
	assert_int_equal(decode("rv64gc", "riscv,sv48", &f, err), 0);
	assert_int_equal(vmk_pmap_config_riscv(&f, &cfg), 0);
	assert_int_equal(cfg.levels, 4);
	f.va_bits = 52;
	assert_int_equal(vmk_pmap_config_riscv(&f, &cfg), -VMK_EINVAL);
	assert_int_equal(cfg.levels, 4);
	/* The satp mode the levels select agrees (Sv39 = 8, Sv48 = 9, Sv57 = 10). */
	assert_true(vmk_pmap_riscv_satp(cfg.levels, 0, 0x80000000) >> 60 == 9);
}

/*
 * Svnapot is optional: the configuration says whether the hart has it,
 * whatever the caller's structure held before (a template with it on,
 * a zeroed one with it off).
 */
static void test_pmap_config_svnapot(void **state)
{
	struct vmk_mmu_features f;
	struct vmk_pmap_config cfg;
	char err[200];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.svnapot = true;
	assert_int_equal(decode("rv64imafdc_svpbmt", "riscv,sv48", &f, err), 0);
	assert_int_equal(vmk_pmap_config_riscv(&f, &cfg), 0);
	assert_false(cfg.svnapot);
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(decode("rv64imafdc_svnapot1p0", "riscv,sv48", &f, err), 0);
	assert_int_equal(vmk_pmap_config_riscv(&f, &cfg), 0);
	assert_true(cfg.svnapot);
}

#define UVA	0x0000000040000000ull
#define RW	(VMK_PROT_READ | VMK_PROT_WRITE)

/*
 * A pmap configured from a hart's features maps what that hart can walk:
 * without Svnapot the N bit is reserved (a walk that meets it
 * page-faults), so 64 aligned contiguous pages must stay 64 plain
 * entries; with Svnapot they fold into 4 runs.
 */
static void test_config_folds_only_with_svnapot(void **state)
{
	static vmk_paddr_t pas[64];

	(void)state;
	for (int with = 0; with < 2; with++) {
		struct vmk_mmu_features f;
		struct pmt_opts o = { .arch = VMK_PMAP_ARCH_RISCV64, .levels = 4, .rv_feat = &f };
		struct vmk_pmap_stats st;
		struct vmk_pmap *u;
		char err[200];

		assert_int_equal(decode(with ? "rv64gc_svpbmt_svnapot" : "rv64gc_svpbmt", "riscv,sv48",
					&f, err), 0);
		pmt_boot(&o);
		assert_int_equal(vmk_pmap_create(&u), 0);
		vmk_pmap_activate(u, 0);
		for (unsigned int i = 0; i < 64; i++)
			pas[i] = PMT_DATA + i * 4096ull;
		assert_int_equal(vmk_pmap_enter_pages(u, UVA, pas, 64, RW, 0), 0);
		vmk_pmap_stats(u, &st);
		assert_int_equal(st.folds, with ? 4 : 0);
		for (unsigned int i = 0; i < 64; i++) {
			struct vmk_mmu_walk w;
			int r = vmk_sim_mmu_access(0, UVA + i * 4096ull, VMK_MMU_READ | VMK_MMU_USER, &w);

			if (r)
				fail_msg("svnapot %d: page %u faults (%d at level %u)", with, i, r,
					 w.fault_level);
			assert_int_equal(w.pa, pas[i]);
		}
		pmt_check(u);
		vmk_pmap_activate(vmk_pmap_kernel(), 0);
		vmk_pmap_destroy(u);
		pmt_shutdown();
	}
}

/* The simulated hart without Svnapot: a NAPOT entry (N set) is reserved and page-faults. */
static void test_sim_napot_reserved_without_svnapot(void **state)
{
	(void)state;
	for (int with = 0; with < 2; with++) {
		struct vmk_mmu_features f;
		struct pmt_opts o = { .arch = VMK_PMAP_ARCH_RISCV64, .levels = 4, .rv_feat = &f };
		struct vmk_pmap *u;
		char err[200];
		unsigned int lvl;
		vmk_pte_t *p;

		assert_int_equal(decode(with ? "rv64gc_svnapot" : "rv64gc", "riscv,sv48", &f, err), 0);
		pmt_boot(&o);
		assert_int_equal(vmk_pmap_create(&u), 0);
		vmk_pmap_activate(u, 0);
		for (unsigned int i = 0; i < 16; i++)
			assert_int_equal(vmk_pmap_enter(u, UVA + i * 4096ull, PMT_DATA + i * 4096ull, RW, 0), 0);
		assert_int_equal(vmk_sim_mmu_access(0, UVA + 0x3000, VMK_MMU_READ | VMK_MMU_USER, NULL), 0);
		/* Fold the 16 entries by hand (what a pmap told Svnapot exists would write). */
		vmk_pmap__lock(u);
		for (unsigned int i = 0; i < 16; i++) {
			p = vmk_pmap__walk(u, UVA + i * 4096ull, &lvl, NULL);
			assert_int_equal(lvl, 0);
			vmk_pmap__pte_store(p, vmk_pmap__g.arch->fold(vmk_pmap__pte_load(p)));
		}
		vmk_pmap__unlock(u);
		vmk_sim_tlb_flush_all();
		assert_int_equal(vmk_sim_mmu_access(0, UVA + 0x3000, VMK_MMU_READ | VMK_MMU_USER, NULL),
				 with ? 0 : VMK_MMU_FAULT_RESERVED);
		/* Put them back, so that teardown meets the entries the pmap wrote. */
		vmk_pmap__lock(u);
		for (unsigned int i = 0; i < 16; i++) {
			p = vmk_pmap__walk(u, UVA + i * 4096ull, &lvl, NULL);
			vmk_pmap__pte_store(p, vmk_pmap__g.arch->unfold(vmk_pmap__pte_load(p), i));
		}
		vmk_pmap__unlock(u);
		vmk_sim_tlb_flush_all();
		vmk_pmap_activate(vmk_pmap_kernel(), 0);
		vmk_pmap_destroy(u);
		pmt_shutdown();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_isa_strings),
		cmocka_unit_test(test_isa_nonsense),
		cmocka_unit_test(test_mmu_type),
		cmocka_unit_test(test_isa_extensions_list),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_pmap_config),
		cmocka_unit_test(test_pmap_config_svnapot),
		cmocka_unit_test(test_config_folds_only_with_svnapot),
		cmocka_unit_test(test_sim_napot_reserved_without_svnapot),
	};

	vmk_sim_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
