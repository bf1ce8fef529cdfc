#!/bin/sh
# Install what a make target needs on Debian, if it is missing.
# Usage: deps.sh [build|check|freestanding|fuzz|qemu|qemu-riscv64]; does nothing when all is there.
need=""
case "${1:-build}" in
build)
	[ -f /usr/include/cmocka.h ] || need="$need libcmocka-dev"
	[ -f /usr/include/libfdt.h ] || need="$need libfdt-dev"
	command -v cc >/dev/null 2>&1 || need="$need gcc libc6-dev"
	;;
freestanding)
	command -v gcc >/dev/null 2>&1 || need="$need gcc"
	command -v clang >/dev/null 2>&1 || need="$need clang"
	command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need="$need gcc-aarch64-linux-gnu"
	command -v riscv64-linux-gnu-gcc >/dev/null 2>&1 || need="$need gcc-riscv64-linux-gnu"
	;;
check)
	# install/pkg-config and the example embedder on every architecture
	# (tests/test_install.sh, tests/test_embed.sh)
	command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
	command -v clang >/dev/null 2>&1 || need="$need clang"
	command -v ld.lld >/dev/null 2>&1 || need="$need lld"
	command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need="$need gcc-aarch64-linux-gnu"
	command -v riscv64-linux-gnu-gcc >/dev/null 2>&1 || need="$need gcc-riscv64-linux-gnu"
	{ command -v qemu-aarch64 && command -v qemu-riscv64; } >/dev/null 2>&1 || need="$need qemu-user"
	;;
qemu)
	# the demo kernel (kernel/): a UEFI application booted on OVMF / AAVMF
	command -v clang >/dev/null 2>&1 || need="$need clang"
	command -v lld-link >/dev/null 2>&1 || need="$need lld"
	command -v qemu-system-x86_64 >/dev/null 2>&1 || need="$need qemu-system-x86"
	command -v qemu-system-aarch64 >/dev/null 2>&1 || need="$need qemu-system-arm"
	[ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || need="$need ovmf"
	[ -f /usr/share/qemu-efi-aarch64/QEMU_EFI.fd ] || need="$need qemu-efi-aarch64"
	;;
qemu-riscv64)
	# the demo kernel on riscv64: a flat Image OpenSBI starts (QEMU's -bios default)
	command -v clang >/dev/null 2>&1 || need="$need clang"
	command -v ld.lld >/dev/null 2>&1 || need="$need lld"
	command -v llvm-objcopy >/dev/null 2>&1 || need="$need llvm"
	command -v qemu-system-riscv64 >/dev/null 2>&1 || need="$need qemu-system-misc"
	[ -d /usr/lib/riscv64-linux-gnu/opensbi ] || need="$need opensbi"
	;;
fuzz)
	[ -f /usr/include/libfdt.h ] || need="$need libfdt-dev"
	command -v clang >/dev/null 2>&1 || need="$need clang"
	ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 ||
		need="$need libclang-rt-dev"
	;;
*)
	echo "deps.sh: unknown target '$1'" >&2
	exit 2
	;;
esac
[ -n "$need" ] || exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "vmkit: missing dependencies:$need (install them, e.g. apt-get install$need)" >&2
	exit 1
fi
echo "vmkit: installing$need" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $need >/dev/null || {
	echo "vmkit: apt-get install$need failed" >&2
	exit 1
}
