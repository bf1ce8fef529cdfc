#!/bin/sh
# check-boot.sh ARCH: the demo kernel boots on OVMF (x86_64) or AAVMF
# (arm64) under QEMU with two CPUs, takes the real UEFI memory map into
# vmkit, switches to the page tables vmkit built and passes every
# self-test (docs/kernel.md). Fails on a failed self-test, a hang
# (time-out) or a missing step of the boot. Run by tests/test_qemu_*.sh.
set -u
arch=$1
top=$(cd "$(dirname "$0")/.." && pwd)
out=${VMKIT_BUILD_DIR:-$top/build}/kernel/$arch
efi=$out/$([ "$arch" = x86_64 ] && echo BOOTX64.EFI || echo BOOTAA64.EFI)
fail() { echo "check-boot $arch: FAILED: $*"; [ -f "$out/boot.log" ] && tail -n 40 "$out/boot.log"; exit 1; }
mkdir -p "$out"
sh "$top/tools/deps.sh" qemu || fail "qemu, OVMF, clang or lld-link missing"
make -s -j2 -C "$top/kernel" ARCH="$arch" OUT="$out" >"$out.build.log" 2>&1 ||
	{ cat "$out.build.log"; fail "the kernel did not build"; }
VMKIT_QEMU_LOG="$out/boot.log" VMKIT_QEMU_TIMEOUT=${VMKIT_QEMU_TIMEOUT:-90} \
	sh "$top/kernel/run-qemu.sh" "$arch" "$efi" 2 >/dev/null 2>"$out/run.err"
rc=$?
[ $rc -eq 0 ] || fail "$(cat "$out/run.err") (run-qemu.sh status $rc)"
log="$out/boot.log"
for step in "^efi: mem00: type=" "^efi: end of memory map" "^boot: fwmap: " "^boot: phys: " \
	"^boot: running on vmkit's page tables" "^boot: boot-services memory freed: " "^boot: kmem: "; do
	grep -aq "$step" "$log" || fail "the boot log lacks '$step'"
done
# Every self-test the kernel has (each name given to test_result) ran and passed.
want=0
for name in $(grep -oh 'test_result("[a-z_0-9]*"' "$top"/kernel/*.c | sed 's/.*("//; s/"$//' | sort -u); do
	want=$((want + 1))
	grep -aq "^test: $name: ok" "$log" || fail "self-test $name did not pass"
done
got=$(grep -ac '^test: .*: ok' "$log")
[ "$got" -eq "$want" ] || fail "$got self-tests passed, $want expected"
grep -aq "^vmkit-kernel: $want passed, 0 failed" "$log" || fail "no final result line for $want tests"
# The host side: vmkit reads the map the kernel printed and must reach the
# same sanitized map and the same memblock, byte for byte.
vmkit=${VMKIT_BIN:-$top/build/vmkit}
[ -x "$vmkit" ] || fail "no $vmkit to compare with (make it first)"
"$vmkit" memmap --efi "$log" --kernel-size 0 --reserve-low 0 --arch "$arch" >"$out/host.txt" 2>&1 ||
	fail "vmkit memmap cannot read the map the kernel printed: $(tail -n 3 "$out/host.txt")"
sed -n '/^boot: fwmap: /,/^boot: memblock from/p' "$log" | sed '1d;$d' >"$out/kernel.fwmap"
sed -n '/^Firmware map (sanitized):/,/^memblock:/p' "$out/host.txt" | sed '1d;$d' | sed '/^$/d' >"$out/host.fwmap"
[ -s "$out/kernel.fwmap" ] && cmp -s "$out/kernel.fwmap" "$out/host.fwmap" ||
	fail "sanitized map differs from vmkit memmap's: $(diff "$out/kernel.fwmap" "$out/host.fwmap" | head -n 6)"
sed -n '/^boot: memblock from the firmware map/,/^boot: end of memblock/p' "$log" | sed '1d;$d' >"$out/kernel.memblock"
sed -n '/^MEMBLOCK configuration:/,/^$/p' "$out/host.txt" | sed '/^$/d' >"$out/host.memblock"
[ -s "$out/kernel.memblock" ] && cmp -s "$out/kernel.memblock" "$out/host.memblock" ||
	fail "memblock differs from vmkit memmap's: $(diff "$out/kernel.memblock" "$out/host.memblock" | head -n 6)"
sed -n '/^boot: \/proc\/iomem:/,/^boot: end of \/proc\/iomem/p' "$log" | sed '1d;$d' >"$out/kernel.iomem"
sed -n '/^\/proc\/iomem:/,/^$/p' "$out/host.txt" | sed '1d' | sed '/^$/d' >"$out/host.iomem"
[ -s "$out/kernel.iomem" ] && cmp -s "$out/kernel.iomem" "$out/host.iomem" ||
	fail "/proc/iomem differs from vmkit memmap's: $(diff "$out/kernel.iomem" "$out/host.iomem" | head -n 6)"
# The whole boot: the kernel printed its layout as machine-description
# lines and then the report `vmkit boot` prints (buddyinfo, mappings,
# accounting); the simulator boots the same layout from the same UEFI map
# and must print the same report, byte for byte.
sed -n 's/^boot: machine: //p' "$log" >"$out/kernel.machine"
echo "firmware $(basename "$log") efi" >>"$out/kernel.machine"
grep -q '^image ' "$out/kernel.machine" || fail "the boot log lacks the kernel's layout (boot: machine: lines)"
"$vmkit" boot "$out/kernel.machine" >"$out/host.boot" 2>&1 ||
	fail "vmkit boot cannot boot the kernel's layout: $(tail -n 3 "$out/host.boot")"
sed -n '/^boot: report (as vmkit boot prints it):/,/^boot: end of report/p' "$log" | sed '1d;$d' >"$out/kernel.report"
sed -n '/^\/proc\/buddyinfo:/,$p' "$out/host.boot" >"$out/host.report"
grep -q '^  RAM .*(equal)$' "$out/kernel.report" || fail "the kernel's accounting does not add up to RAM"
[ -s "$out/kernel.report" ] && cmp -s "$out/kernel.report" "$out/host.report" ||
	fail "vmkit boot's report differs from the kernel's: $(diff "$out/kernel.report" "$out/host.report" | head -n 8)"
echo "[       OK ] $arch: vmkit boot on the printed map and layout: same buddyinfo, mappings and accounting ($(wc -l <"$out/host.report") lines)"
echo "[       OK ] $arch: vmkit memmap on the printed map: same sanitized map ($(wc -l <"$out/host.fwmap") entries), memblock and /proc/iomem ($(wc -l <"$out/host.iomem") lines)"
if [ "$arch" = x86_64 ]; then
	tags=$(grep -a '^boot: x86-64 TLB tags: ' "$log") || fail "the boot log does not say which TLB-tag path ran"
	echo "[       OK ] $arch: ${tags#boot: }"
fi
echo "[       OK ] $arch boot: $got self-tests, $(grep -a "CPU(s) online" "$log")"
echo "[  PASSED  ] $([ "$arch" = x86_64 ] && echo 4 || echo 3) test(s)."
