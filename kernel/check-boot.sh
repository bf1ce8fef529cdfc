#!/bin/sh
# check-boot.sh ARCH: the demo kernel boots on OVMF (x86_64) or AAVMF
# (arm64) under QEMU with two CPUs, takes the real UEFI memory map into
# vmkit, switches to the page tables vmkit built and passes every
# self-test (docs/kernel.md). Fails on a failed self-test, a hang
# (time-out) or a missing step of the boot. On the host, vmkit memmap and
# vmkit boot must reach the kernel's memory picture and boot report byte
# for byte. arm64 boots twice: with ACPI (AAVMF's default) and with
# acpi=off, where AAVMF hands over a device tree instead. riscv64 boots
# through OpenSBI with the device tree as its only map (no UEFI, so no
# host-side comparison of a printed UEFI map). Run by tests/test_qemu_*.sh.
set -u
arch=$1
top=$(cd "$(dirname "$0")/.." && pwd)
out=${VMKIT_BUILD_DIR:-$top/build}/kernel/$arch
case $arch in
x86_64) efi=$out/BOOTX64.EFI deps=qemu ;;
arm64) efi=$out/BOOTAA64.EFI deps=qemu ;;
*) efi=$out/Image deps=qemu-$arch ;;
esac
vmkit=${VMKIT_BIN:-$top/build/vmkit}
log=$out/boot.log
fail() { echo "check-boot $arch: FAILED: $*"; [ -f "$log" ] && tail -n 40 "$log"; exit 1; }
mkdir -p "$out"
sh "$top/tools/deps.sh" $deps || fail "qemu, its firmware, clang or the LLVM linker missing"
make -s -j2 -C "$top/kernel" ARCH="$arch" OUT="$out" >"$out.build.log" 2>&1 ||
	{ cat "$out.build.log"; fail "the kernel did not build"; }
[ "$arch" = riscv64 ] || [ -x "$vmkit" ] || fail "no $vmkit to compare with (make it first)"
passed=0

# boot TAG: boot the kernel (QEMU options from the environment), log in $out/TAG/boot.log.
boot() {
	d=$out/$1
	log=$d/boot.log
	mkdir -p "$d"
	VMKIT_QEMU_LOG="$log" VMKIT_QEMU_TIMEOUT=${VMKIT_QEMU_TIMEOUT:-90} \
		sh "${VMKIT_RUN_QEMU:-$top/kernel/run-qemu.sh}" "$arch" "$efi" 2 >/dev/null 2>"$d/run.err"
	rc=$?
	# QEMU 7.2's OpenSBI v1.1, when its boot-hart lottery picks hart 1,
	# has (rarely, under host load) answered hart_start for hart 0 with
	# ALREADY_AVAILABLE although hart 0 never reached the kernel. That
	# firmware failure, and only it, gets one more boot; the first log is
	# kept beside the second and the line says it happened.
	if [ $rc -ne 0 ] && [ "$arch" = riscv64 ] &&
		grep -aq '^smp: CPU 1 (hart 0) did not start (SBI HSM hart_start returned -6' "$log"; then
		cp "$log" "$d/boot-firmware-flake.log"
		echo "[ RETRIED  ] $arch $1: $(grep -a '^smp: CPU 1' "$log"); one more boot (first log: $d/boot-firmware-flake.log)"
		VMKIT_QEMU_LOG="$log" VMKIT_QEMU_TIMEOUT=${VMKIT_QEMU_TIMEOUT:-90} \
			sh "${VMKIT_RUN_QEMU:-$top/kernel/run-qemu.sh}" "$arch" "$efi" 2 >/dev/null 2>"$d/run.err"
		rc=$?
	fi
	[ $rc -eq 0 ] || fail "$1: $(cat "$d/run.err") (run-qemu.sh status $rc)"
}

# check TAG: every step and self-test of the boot in $out/TAG, and the host-side comparisons.
check() {
	d=$out/$1
	log=$d/boot.log
	for step in "^efi: mem00: type=" "^efi: end of memory map" "^boot: fwmap: " "^boot: phys: " \
		"^boot: running on vmkit's page tables" "^boot: boot-services memory freed: " "^boot: kmem: " \
		"^boot: device tree"; do
		grep -aq "$step" "$log" || fail "$1: the boot log lacks '$step'"
	done
	# Every self-test the kernel has (each name given to test_result) ran and passed.
	want=0
	for name in $(grep -oh 'test_result("[a-z_0-9]*"' "$top"/kernel/*.c | sed 's/.*("//; s/"$//' | sort -u); do
		want=$((want + 1))
		grep -aq "^test: $name: ok" "$log" || fail "$1: self-test $name did not pass"
	done
	got=$(grep -ac '^test: .*: ok' "$log")
	[ "$got" -eq "$want" ] || fail "$1: $got self-tests passed, $want expected"
	grep -aq "^vmkit-kernel: $want passed, 0 failed" "$log" || fail "$1: no final result line for $want tests"
	grep -aq "^boot: 2 CPU(s) online" "$log" || fail "$1: the second CPU did not come up"
	echo "[       OK ] $arch $1 boot: $got self-tests, 2 CPU(s) online"
	passed=$((passed + 1))

	# vmkit memmap reads the map the kernel printed and must reach the
	# same sanitized map, memblock and /proc/iomem, byte for byte.
	"$vmkit" memmap --efi "$log" --kernel-size 0 --reserve-low 0 --arch "$arch" >"$d/host.txt" 2>&1 ||
		fail "$1: vmkit memmap cannot read the map the kernel printed: $(tail -n 3 "$d/host.txt")"
	sed -n '/^boot: fwmap: /,/^boot: memblock from/p' "$log" | sed '1d;$d' >"$d/kernel.fwmap"
	sed -n '/^Firmware map (sanitized):/,/^memblock:/p' "$d/host.txt" | sed '1d;$d' | sed '/^$/d' >"$d/host.fwmap"
	[ -s "$d/kernel.fwmap" ] && cmp -s "$d/kernel.fwmap" "$d/host.fwmap" ||
		fail "$1: sanitized map differs from vmkit memmap's: $(diff "$d/kernel.fwmap" "$d/host.fwmap" | head -n 6)"
	sed -n '/^boot: memblock from the firmware map/,/^boot: end of memblock/p' "$log" | sed '1d;$d' >"$d/kernel.memblock"
	sed -n '/^MEMBLOCK configuration:/,/^$/p' "$d/host.txt" | sed '/^$/d' >"$d/host.memblock"
	[ -s "$d/kernel.memblock" ] && cmp -s "$d/kernel.memblock" "$d/host.memblock" ||
		fail "$1: memblock differs from vmkit memmap's: $(diff "$d/kernel.memblock" "$d/host.memblock" | head -n 6)"
	sed -n '/^boot: \/proc\/iomem:/,/^boot: end of \/proc\/iomem/p' "$log" | sed '1d;$d' >"$d/kernel.iomem"
	sed -n '/^\/proc\/iomem:/,/^$/p' "$d/host.txt" | sed '1d' | sed '/^$/d' >"$d/host.iomem"
	[ -s "$d/kernel.iomem" ] && cmp -s "$d/kernel.iomem" "$d/host.iomem" ||
		fail "$1: /proc/iomem differs from vmkit memmap's: $(diff "$d/kernel.iomem" "$d/host.iomem" | head -n 6)"
	echo "[       OK ] $arch $1: vmkit memmap on the printed map: same sanitized map ($(wc -l <"$d/host.fwmap") entries), memblock and /proc/iomem ($(wc -l <"$d/host.iomem") lines)"
	passed=$((passed + 1))

	# The whole boot: the kernel printed its layout as machine-description
	# lines and then the report `vmkit boot` prints (buddyinfo, mappings,
	# accounting); the simulator boots the same layout from the same UEFI
	# map and must print the same report, byte for byte.
	sed -n 's/^boot: machine: //p' "$log" >"$d/kernel.machine"
	echo "firmware $(basename "$log") efi" >>"$d/kernel.machine"
	grep -q '^image ' "$d/kernel.machine" || fail "$1: the boot log lacks the kernel's layout (boot: machine: lines)"
	"$vmkit" boot "$d/kernel.machine" >"$d/host.boot" 2>&1 ||
		fail "$1: vmkit boot cannot boot the kernel's layout: $(tail -n 3 "$d/host.boot")"
	sed -n '/^boot: report (as vmkit boot prints it):/,/^boot: end of report/p' "$log" | sed '1d;$d' >"$d/kernel.report"
	sed -n '/^\/proc\/buddyinfo:/,$p' "$d/host.boot" >"$d/host.report"
	grep -q '^  RAM .*(equal)$' "$d/kernel.report" || fail "$1: the kernel's accounting does not add up to RAM"
	[ -s "$d/kernel.report" ] && cmp -s "$d/kernel.report" "$d/host.report" ||
		fail "$1: vmkit boot's report differs from the kernel's: $(diff "$d/kernel.report" "$d/host.report" | head -n 8)"
	echo "[       OK ] $arch $1: vmkit boot on the printed map and layout: same buddyinfo, mappings and accounting ($(wc -l <"$d/host.report") lines)"
	passed=$((passed + 1))
}

# check_dt TAG: a riscv64 boot: every step and every self-test that applies without UEFI.
check_dt() {
	d=$out/$1
	log=$d/boot.log
	for step in "^vmkit-kernel: riscv64 entry (OpenSBI)" "^dt: memory " "^dt: reserved-memory " \
		"^dt: initrd (module) " "^boot: fwmap: " "^boot: memblock: " "^boot: device tree at .* (used: no ACPI)" \
		"^boot: device tree: memory matches memblock" "^boot: phys: " \
		"^boot: riscv64 MMU from the device tree: mmu-type Sv" "^boot: running on vmkit's page tables" \
		"^boot: kmem: " "^smp: CPU 1 (hart [0-9]*) is up"; do
		grep -aq "$step" "$log" || fail "$1: the boot log lacks '$step'"
	done
	# Every self-test but the two about UEFI leftovers (boot-services memory, the loader's tables).
	want=0
	for name in $(grep -oh 'test_result("[a-z_0-9]*"' "$top"/kernel/*.c | sed 's/.*("//; s/"$//' | sort -u); do
		case $name in boot_services_freed|release_loader_tables) continue ;; esac
		want=$((want + 1))
		grep -aq "^test: $name: ok" "$log" || fail "$1: self-test $name did not pass"
	done
	got=$(grep -ac '^test: .*: ok' "$log")
	[ "$got" -eq "$want" ] || fail "$1: $got self-tests passed, $want expected"
	grep -aq "^vmkit-kernel: $want passed, 0 failed" "$log" || fail "$1: no final result line for $want tests"
	grep -aq "^boot: 2 CPU(s) online" "$log" || fail "$1: the second hart did not come up"
	grep -aq '^  RAM .*(equal)$' "$log" || fail "$1: the kernel's accounting does not add up to RAM"
	echo "[       OK ] $arch $1 boot: $got self-tests, 2 CPU(s) online, $(grep -a '^boot: riscv64 MMU' "$log" | sed 's/^boot: //')"
	passed=$((passed + 1))
}

if [ "$arch" = riscv64 ]; then
	# QEMU's rv64 hart: Sv48, no Svnapot, no Svpbmt: vmkit must not fold (the N bit would fault).
	boot dt
	check_dt dt
	grep -aq '^boot: riscv64 MMU from the device tree: .*svpbmt no, svnapot no' "$log" ||
		fail "dt: QEMU's default hart is not described as without Svpbmt and Svnapot"
	grep -aq '^boot: kernel pmap: .*, 0 64 KiB runs folded' "$log" || fail "dt: runs folded on a hart without Svnapot"
	# A hart with Svnapot and Svpbmt: the boot mappings fold into NAPOT runs on the emulated MMU.
	VMKIT_QEMU_CPU=rv64,svnapot=on,svpbmt=on boot napot
	check_dt napot
	grep -aq '^boot: riscv64 MMU from the device tree: .*svpbmt yes, svnapot yes' "$log" ||
		fail "napot: the device tree does not give Svnapot and Svpbmt"
	grep -aq '^boot: kernel pmap: .*, [1-9][0-9]* 64 KiB runs folded' "$log" || fail "napot: no 64 KiB run folded"
	echo "[       OK ] $arch napot: $(grep -a '^boot: kernel pmap: ' "$log" | sed 's/^boot: //')"
	passed=$((passed + 1))
elif [ "$arch" = x86_64 ]; then
	boot acpi
	check acpi
	tags=$(grep -a '^boot: x86-64 TLB tags: ' "$log") || fail "the boot log does not say which TLB-tag path ran"
	echo "[       OK ] $arch: ${tags#boot: }"
	passed=$((passed + 1))
else
	boot acpi
	check acpi
	grep -aq '^boot: device tree: none in the UEFI configuration table (the firmware gives ACPI)' "$log" ||
		fail "acpi: AAVMF with ACPI: the log does not say there is no device tree"
	VMKIT_QEMU_MACHINE=virt,acpi=off boot dt
	check dt
	grep -aq '^boot: device tree at .* CPU(s) (used: no ACPI), PSCI hvc$' "$log" ||
		fail "dt: the kernel did not take the CPUs from the device tree"
	grep -aq '^boot: device tree: memory matches memblock' "$log" ||
		fail "dt: the device tree's memory is not memblock memory"
	echo "[       OK ] $arch dt: $(grep -a '^boot: device tree at ' "$log" | sed 's/^boot: //')"
	passed=$((passed + 1))
fi
echo "[  PASSED  ] $passed test(s)."
