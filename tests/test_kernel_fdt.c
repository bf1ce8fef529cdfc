/*
 * The demo kernel's device-tree reader (kernel/fdt.c, freestanding, no
 * libfdt), on host-built blobs: libfdt's sequential writer makes them,
 * so the reader is checked against another implementation of the format.
 * Memory nodes with 2+2 and 1+1 cells, CPUs with 1 and 2 address cells,
 * the /memreserve/ block, the PSCI method, nodes that are not memory,
 * a riscv64 tree (/reserved-memory, /chosen initrd and stdout-path, the
 * harts' ISA and mmu-type),
 * and truncated or corrupted blobs (rejected, nothing read past the end).
 */
#include <libfdt.h>

#include "harness.h"
#include "../kernel/fdt.c"

static char blob[4096];

static void be_cells(uint32_t *out, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 32)
		out[i] = cpu_to_fdt32((uint32_t)v);
}

/* A machine like QEMU virt's DT: ac/sc cells at the root, CPUs with cpu_ac cells. */
static size_t build(int ac, int sc, int cpu_ac, bool rsv, bool psci)
{
	uint32_t reg[8];
	char name[32];

	assert_int_equal(fdt_create(blob, sizeof(blob)), 0);
	if (rsv) {
		assert_int_equal(fdt_add_reservemap_entry(blob, 0x48000000, 0x10000), 0);
		assert_int_equal(fdt_add_reservemap_entry(blob, 0x4a000000, 0x2000), 0);
	}
	assert_int_equal(fdt_finish_reservemap(blob), 0);
	assert_int_equal(fdt_begin_node(blob, ""), 0);
	assert_int_equal(fdt_property_u32(blob, "#address-cells", (uint32_t)ac), 0);
	assert_int_equal(fdt_property_u32(blob, "#size-cells", (uint32_t)sc), 0);
	/* A non-memory node with a reg and the same name prefix: ignored. */
	assert_int_equal(fdt_begin_node(blob, "memory-controller@9000000"), 0);
	be_cells(reg, 0x9000000, ac);
	be_cells(reg + ac, 0x1000, sc);
	assert_int_equal(fdt_property(blob, "reg", reg, 4 * (ac + sc)), 0);
	assert_int_equal(fdt_end_node(blob), 0);
	/* reg before device_type: the reader must wait for the node's end. */
	assert_int_equal(fdt_begin_node(blob, "memory@40000000"), 0);
	be_cells(reg, 0x40000000, ac);
	be_cells(reg + ac, 0x10000000, sc);
	be_cells(reg + ac + sc, ac == 2 ? 0x100000000ull : 0x80000000, ac);
	be_cells(reg + 2 * ac + sc, 0x8000000, sc);
	assert_int_equal(fdt_property(blob, "reg", reg, 8 * (ac + sc)), 0);
	assert_int_equal(fdt_property_string(blob, "device_type", "memory"), 0);
	assert_int_equal(fdt_end_node(blob), 0);
	assert_int_equal(fdt_begin_node(blob, "cpus"), 0);
	assert_int_equal(fdt_property_u32(blob, "#address-cells", (uint32_t)cpu_ac), 0);
	assert_int_equal(fdt_property_u32(blob, "#size-cells", 0), 0);
	for (int c = 0; c < 3; c++) {
		snprintf(name, sizeof(name), "cpu@%d", c);
		assert_int_equal(fdt_begin_node(blob, name), 0);
		assert_int_equal(fdt_property_string(blob, "device_type", "cpu"), 0);
		be_cells(reg, 0x100u * (uint32_t)c + (uint32_t)c, cpu_ac);
		assert_int_equal(fdt_property(blob, "reg", reg, 4 * cpu_ac), 0);
		assert_int_equal(fdt_end_node(blob), 0);
	}
	/* Not a CPU: no device_type "cpu". */
	assert_int_equal(fdt_begin_node(blob, "cpu-map"), 0);
	assert_int_equal(fdt_end_node(blob), 0);
	assert_int_equal(fdt_end_node(blob), 0);
	if (psci) {
		assert_int_equal(fdt_begin_node(blob, "psci"), 0);
		assert_int_equal(fdt_property_string(blob, "method", "hvc"), 0);
		assert_int_equal(fdt_end_node(blob), 0);
	}
	assert_int_equal(fdt_end_node(blob), 0);
	assert_int_equal(fdt_finish(blob), 0);
	assert_int_equal(fdt_check_header(blob), 0);
	return fdt_totalsize(blob);
}

static void expect_machine(const struct dt_info *dt, int ac, bool rsv, bool psci)
{
	assert_true(dt->valid);
	assert_int_equal(dt->version, 17);
	assert_int_equal(dt->nmem, 2);
	assert_true(dt->mem[0].base == 0x40000000 && dt->mem[0].size == 0x10000000);
	assert_true(dt->mem[1].base == (ac == 2 ? 0x100000000ull : 0x80000000) && dt->mem[1].size == 0x8000000);
	assert_int_equal(dt->ncpus, 3);
	assert_int_equal(dt->mpidr[0], 0);
	assert_int_equal(dt->mpidr[1], 0x101);
	assert_int_equal(dt->mpidr[2], 0x202);
	assert_int_equal(dt->nrsv, rsv ? 2 : 0);
	if (rsv)
		assert_true(dt->rsv[1].base == 0x4a000000 && dt->rsv[1].size == 0x2000);
	assert_string_equal(dt->psci, psci ? "hvc" : "");
}

static void test_reads_machine(void **state)
{
	struct dt_info dt;

	(void)state;
	build(2, 2, 1, true, true);
	assert_int_equal(dt_read(&dt, blob), 0);
	expect_machine(&dt, 2, true, true);
	build(1, 1, 2, false, false);
	assert_int_equal(dt_read(&dt, blob), 0);
	expect_machine(&dt, 1, false, false);
}

/* Every truncation of the blob's header sizes, and corrupt tokens, are refused. */
static void test_rejects_broken(void **state)
{
	static char copy[sizeof(blob)];
	size_t total = build(2, 2, 1, true, true);
	struct dt_info dt;
	uint32_t off_st = fdt_off_dt_struct(blob), size_st = fdt_size_dt_struct(blob);

	(void)state;
	memcpy(copy, blob, total);
	((uint32_t *)(void *)copy)[0] = cpu_to_fdt32(0xd00dfeee);
	assert_int_equal(dt_read(&dt, copy), -VMK_EPARSE);
	assert_false(dt.valid);
	/* The structure block cut short at every 4-byte step: never valid. */
	for (uint32_t cut = 0; cut < size_st; cut += 4) {
		memcpy(copy, blob, total);
		fdt_set_size_dt_struct(copy, cut);
		assert_int_equal(dt_read(&dt, copy), -VMK_EPARSE);
	}
	/* An unknown token in place of the root's first property. */
	memcpy(copy, blob, total);
	for (uint32_t p = off_st; p < off_st + size_st; p += 4)
		if (fdt32_to_cpu(*(uint32_t *)(void *)(copy + p)) == FDT_PROP) {
			*(uint32_t *)(void *)(copy + p) = cpu_to_fdt32(7);
			break;
		}
	assert_int_equal(dt_read(&dt, copy), -VMK_EPARSE);
	/* A string offset past the strings block. */
	memcpy(copy, blob, total);
	fdt_set_size_dt_strings(copy, 4);
	assert_int_equal(dt_read(&dt, copy), -VMK_EPARSE);
	/* Version 16 (no size_dt_struct): refused rather than guessed. */
	memcpy(copy, blob, total);
	fdt_set_version(copy, 16);
	assert_int_equal(dt_read(&dt, copy), -VMK_EPARSE);
}

/*
 * A riscv64 machine as QEMU virt with OpenSBI hands it over: 2+2 cells,
 * /reserved-memory (its own 2+2 cells) with OpenSBI's no-map region,
 * /chosen with stdout-path and a 64-bit and a 32-bit initrd bound, harts
 * with riscv,isa, riscv,isa-extensions and mmu-type (the first hart's
 * are kept), a reserved-memory child without reg (ignored).
 */
static size_t build_riscv(void)
{
	static const char exts[] = "i\0m\0a\0svnapot";
	uint32_t reg[4];
	char name[32];

	assert_int_equal(fdt_create(blob, sizeof(blob)), 0);
	assert_int_equal(fdt_finish_reservemap(blob), 0);
	assert_int_equal(fdt_begin_node(blob, ""), 0);
	assert_int_equal(fdt_property_u32(blob, "#address-cells", 2), 0);
	assert_int_equal(fdt_property_u32(blob, "#size-cells", 2), 0);
	assert_int_equal(fdt_begin_node(blob, "chosen"), 0);
	assert_int_equal(fdt_property_u64(blob, "linux,initrd-start", 0x88200000), 0);
	assert_int_equal(fdt_property_u32(blob, "linux,initrd-end", 0x88218000), 0);
	assert_int_equal(fdt_property_string(blob, "stdout-path", "/soc/serial@10000000"), 0);
	assert_int_equal(fdt_end_node(blob), 0);
	assert_int_equal(fdt_begin_node(blob, "reserved-memory"), 0);
	assert_int_equal(fdt_property_u32(blob, "#address-cells", 2), 0);
	assert_int_equal(fdt_property_u32(blob, "#size-cells", 2), 0);
	assert_int_equal(fdt_property(blob, "ranges", NULL, 0), 0);
	assert_int_equal(fdt_begin_node(blob, "mmode_resv0@80000000"), 0);
	be_cells(reg, 0x80000000, 2);
	be_cells(reg + 2, 0x80000, 2);
	assert_int_equal(fdt_property(blob, "reg", reg, 16), 0);
	assert_int_equal(fdt_property(blob, "no-map", NULL, 0), 0);
	assert_int_equal(fdt_end_node(blob), 0);
	assert_int_equal(fdt_begin_node(blob, "dynamic-pool"), 0);
	assert_int_equal(fdt_property_u32(blob, "size", 0x100000), 0);
	assert_int_equal(fdt_end_node(blob), 0);
	assert_int_equal(fdt_end_node(blob), 0);
	assert_int_equal(fdt_begin_node(blob, "memory@80000000"), 0);
	assert_int_equal(fdt_property_string(blob, "device_type", "memory"), 0);
	be_cells(reg, 0x80000000, 2);
	be_cells(reg + 2, 0x10000000, 2);
	assert_int_equal(fdt_property(blob, "reg", reg, 16), 0);
	assert_int_equal(fdt_end_node(blob), 0);
	assert_int_equal(fdt_begin_node(blob, "cpus"), 0);
	assert_int_equal(fdt_property_u32(blob, "#address-cells", 1), 0);
	assert_int_equal(fdt_property_u32(blob, "#size-cells", 0), 0);
	for (int c = 0; c < 2; c++) {
		snprintf(name, sizeof(name), "cpu@%d", c);
		assert_int_equal(fdt_begin_node(blob, name), 0);
		assert_int_equal(fdt_property_string(blob, "device_type", "cpu"), 0);
		assert_int_equal(fdt_property_u32(blob, "reg", (uint32_t)c), 0);
		assert_int_equal(fdt_property_string(blob, "riscv,isa", c ? "rv64gc" : "rv64imac_svnapot"), 0);
		assert_int_equal(fdt_property(blob, "riscv,isa-extensions", exts, sizeof(exts)), 0);
		assert_int_equal(fdt_property_string(blob, "mmu-type", c ? "riscv,sv39" : "riscv,sv48"), 0);
		assert_int_equal(fdt_end_node(blob), 0);
	}
	assert_int_equal(fdt_end_node(blob), 0);
	assert_int_equal(fdt_end_node(blob), 0);
	assert_int_equal(fdt_finish(blob), 0);
	return fdt_totalsize(blob);
}

static void test_reads_riscv_machine(void **state)
{
	struct dt_info dt;

	(void)state;
	build_riscv();
	assert_int_equal(dt_read(&dt, blob), 0);
	assert_int_equal(dt.nmem, 1);
	assert_true(dt.mem[0].base == 0x80000000 && dt.mem[0].size == 0x10000000);
	assert_int_equal(dt.nresmem, 1);
	assert_true(dt.resmem[0].base == 0x80000000 && dt.resmem[0].size == 0x80000);
	assert_true(dt.initrd_start == 0x88200000 && dt.initrd_end == 0x88218000);
	assert_string_equal(dt.stdout_path, "/soc/serial@10000000");
	assert_int_equal(dt.ncpus, 2);
	assert_int_equal(dt.mpidr[1], 1);
	/* The first hart's MMU properties, as stored (with their NULs). */
	assert_int_equal(dt.isa_len, sizeof("rv64imac_svnapot"));
	assert_string_equal(dt.isa, "rv64imac_svnapot");
	assert_int_equal(dt.isa_ext_len, sizeof("i\0m\0a\0svnapot"));
	assert_memory_equal(dt.isa_ext, "i\0m\0a\0svnapot", dt.isa_ext_len);
	assert_string_equal(dt.mmu_type, "riscv,sv48");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_machine),
		cmocka_unit_test(test_reads_riscv_machine),
		cmocka_unit_test(test_rejects_broken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
