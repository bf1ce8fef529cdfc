#!/bin/sh
# The benchmark program still builds and runs: every benchmark once
# (BENCH_REPS=1) in the build under test, and the JSON keeps the keys
# that figures are compared by. No timing is checked: a benchmark is
# never a timed test.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${VMKIT_BUILD_DIR:-$top/build}
bin=$build/bench/vmkit-bench
out=$build/bench-smoke
fail() { echo "test_bench: FAILED: $*"; exit 1; }
[ -x "$bin" ] || fail "$bin was not built"
mkdir -p "$out"
BENCH_REPS=1 "$bin" --json "$out/smoke.json" >"$out/smoke.log" 2>&1 ||
	{ tail -n 40 "$out/smoke.log"; fail "vmkit-bench exited with $?"; }
# Stable keys (bench/out/latest.json): the historical ones and the floors.
for k in build bytes_per_frame phys_order0_lifo_baseline_pair phys_order0_lifo_inline_pair \
	phys_order0_pcpu_pair phys_order0_buddy_pair phys_order0_bulk_pair \
	phys_order0_b1_pcpu_pair phys_order0_b32_pcpu_pair phys_order0_b1024_pcpu_pair \
	phys_order0_50pct_b32_pcpu_pair phys_order0_50pct_b1024_pcpu_pair \
	phys_mixed_orders_0_9_op phys_mixed_orders_0_9_50pct_op phys_mixed_50pct_occupancy \
	phys_contig_512_2m_fragmented phys_contig_free_2m_blocks_fraction phys_contig_occupancy \
	phys_handover_eager_64g_per_gib memblock_reserve_scattered_10k_per_op \
	memblock_floor_sorted_insert_24b_per_op memblock_alloc_64B_topdown_10k_per_op \
	memblock_floor_bump_alloc_per_op pmap_map_1g_4k_per_page pmap_map_1g_4k_batched_per_page \
	pmap_unmap_1g_4k_per_page pmap_floor_enter_walk_alloc_per_page \
	pmap_direct_map_64g_2m_pages_total pmap_spare_lookup_32768 pmap_direct_map_64g_2m_host_faults \
	pmap_floor_direct_map_64g_2m_blocks_total; do
	grep -q "^  \"$k\": " "$out/smoke.json" || fail "key $k missing from the JSON"
done
for k in phys_order0_b1_pcpu_pair_lean_hooks phys_order0_b1024_pcpu_pair_lean_hooks \
	phys_store_forward_wide_load phys_store_forward_matching_loads; do
	grep -q "^  \"$k\": " "$out/smoke.json" || fail "key $k missing from the JSON"
done
# Figures with a floor carry their ratio and spread fields.
grep -q '"phys_order0_pcpu_pair": {"median_ns": [0-9.]*, "ratio_to_baseline": [0-9.]*, "ratio_to_reference": [0-9.]*, "min_ns"' \
	"$out/smoke.json" || fail "phys_order0_pcpu_pair lacks its ratios or spread"
# The timed 2 MiB direct map runs on host memory a warm-up already
# faulted in, as its floor does: a first touch of fresh anonymous memory
# costs the path microseconds per page that no kernel pays.
# So do the timed hand-overs, after a first run on fresh memory. A fault
# the host takes for its own reasons (NUMA balancing, reclaim) may hit one
# repetition: then the median of three repetitions decides.
for k in pmap_direct_map_64g_2m_host_faults:pmap_direct_map phys_handover_eager_4g_host_faults:phys_handover \
	phys_handover_eager_64g_host_faults:phys_handover; do
	key=${k%%:*}
	grep -q "^  \"$key\": 0.000," "$out/smoke.json" && continue
	BENCH_REPS=3 "$bin" --only "${k#*:}" --json "$out/faults.json" >"$out/faults.log" 2>&1 ||
		{ tail -n 40 "$out/faults.log"; fail "vmkit-bench --only ${k#*:} exited with $?"; }
	grep -q "^  \"$key\": 0.000," "$out/faults.json" ||
		fail "a timed run took host page faults: $(grep "\"$key\"" "$out/faults.json")"
done
# The direct map's floor takes as many tables as the path.
p=$(sed -n 's/^  "pmap_direct_map_64g_2m_tables": \(.*\),$/\1/p' "$out/smoke.json")
f=$(sed -n 's/^  "pmap_floor_direct_map_64g_2m_tables": \(.*\),$/\1/p' "$out/smoke.json")
[ -n "$p" ] && [ "$p" = "$f" ] || fail "the direct map takes $p tables, its floor $f"
# Order 0 at 50% occupancy: the allocated half spread at random, the
# floor's frames among it, so about half of the free frames have their
# buddy allocated (a third when the floor's frames were a compact run).
awk -F': ' '/^  "phys_order0_50pct_free_single_fraction": / { f = $2 + 0; found = 1 }
	END { exit !(found && f >= 0.45) }' "$out/smoke.json" ||
	fail "order 0 at 50% is not spread at random: $(grep free_single "$out/smoke.json")"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out/smoke.json" 2>/dev/null ||
	{ command -v python3 >/dev/null 2>&1 && fail "the JSON does not parse"; }
echo "[       OK ] every benchmark ran once; $(grep -c '": ' "$out/smoke.json") JSON keys"
echo "[  PASSED  ] 1 test(s)."
