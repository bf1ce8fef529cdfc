#!/bin/sh
# Boot the demo kernel under QEMU (TCG) and exit with its status:
# 0 when it printed "vmkit-kernel: N passed, 0 failed" and exited 33,
# 1 on a failed self-test, 2 on a hang (time-out) or any other end.
#   run-qemu.sh x86_64|arm64 EFI-FILE [SMP] [MEM]   (log: $VMKIT_QEMU_LOG, default EFI-FILE.log)
#   run-qemu.sh riscv64 IMAGE [SMP] [MEM]           (OpenSBI, -kernel IMAGE, a 24-page initrd as the module)
set -u
arch=$1 efi=$2 smp=${3:-2} mem=${4:-256M}
dir=$(dirname "$efi")
log=${VMKIT_QEMU_LOG:-$efi.log}
limit=${VMKIT_QEMU_TIMEOUT:-60}
case $arch in
x86_64)
	code=/usr/share/OVMF/OVMF_CODE_4M.fd
	cp /usr/share/OVMF/OVMF_VARS_4M.fd "$dir/OVMF_VARS_4M.fd" || exit 2
	# PCID and INVPCID asked for: a QEMU whose TCG has them runs the kernel's
	# PCID path; QEMU 7.2's TCG has neither (it warns and drops them), so
	# the kernel sees no PCID in CPUID and runs its fallback path.
	# VMKIT_QEMU_CPU picks another model.
	set -- qemu-system-x86_64 -M q35 -accel tcg -cpu "${VMKIT_QEMU_CPU:-qemu64,+pcid,+invpcid}" \
		-m "$mem" -smp "$smp" \
		-nodefaults -no-reboot -display none -serial stdio \
		-drive if=pflash,format=raw,unit=0,readonly=on,file=$code \
		-drive if=pflash,format=raw,unit=1,file="$dir/OVMF_VARS_4M.fd" \
		-kernel "$efi" -device isa-debug-exit,iobase=0xf4,iosize=0x04 ;;
arm64)
	# VMKIT_QEMU_MACHINE=virt,acpi=off: no ACPI tables, so AAVMF hands over a device tree.
	set -- qemu-system-aarch64 -M "${VMKIT_QEMU_MACHINE:-virt}" -cpu cortex-a57 -accel tcg -m "$mem" -smp "$smp" \
		-nodefaults -no-reboot -display none -serial stdio \
		-bios /usr/share/qemu-efi-aarch64/QEMU_EFI.fd -kernel "$efi" \
		-semihosting-config enable=on,target=native ;;
riscv64)
	# QEMU's -bios default is OpenSBI (fw_dynamic): it starts the Image at
	# 0x80200000 in S-mode. The initrd stands for the module a loader
	# preloads: 24 pages, the kernel checks a marker at page 1 (tests.c).
	initrd=$dir/initrd.bin
	head -c 98304 /dev/zero >"$initrd" && printf '\001\000eludom' |
		dd of="$initrd" bs=1 seek=4096 conv=notrunc 2>/dev/null || exit 2
	# VMKIT_QEMU_CPU=rv64,svnapot=on,svpbmt=on: a hart with Svnapot and Svpbmt (QEMU's rv64 has neither).
	set -- qemu-system-riscv64 -M virt -cpu "${VMKIT_QEMU_CPU:-rv64}" -accel tcg -m "$mem" -smp "$smp" \
		-nodefaults -no-reboot -display none -serial stdio \
		-bios default -kernel "$efi" -initrd "$initrd" ;;
*)
	echo "run-qemu.sh: unknown architecture $arch" >&2
	exit 2 ;;
esac
# The firmware's ANSI screen sequences and carriage returns are dropped from the log.
{ timeout -k 5 "$limit" "$@" </dev/null; echo "qemu-status $?" >"$log.status"; } |
	sed -u 's/\x1b\[[0-9;=?]*[A-Za-z]//g; s/\r//g' | tee "$log"
rc=$(sed -n 's/^qemu-status //p' "$log.status")
rm -f "$log.status"
line=$(grep -a '^vmkit-kernel: [0-9]* passed, [0-9]* failed' "$log" | tail -n 1)
case $rc in
33)
	case $line in
	*" passed, 0 failed") exit 0 ;;
	esac
	echo "run-qemu.sh: exit status 33 but the result line is '$line'" >&2
	exit 1 ;;
35) echo "run-qemu.sh: the kernel reported a failure: $line" >&2; exit 1 ;;
124|137) echo "run-qemu.sh: time-out after ${limit}s (hang)" >&2; exit 2 ;;
*) echo "run-qemu.sh: QEMU exited with status $rc (reset, triple fault or firmware trouble)" >&2; exit 2 ;;
esac
