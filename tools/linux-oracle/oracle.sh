#!/bin/sh
# `make linux-oracle`: fetch Debian's kernels, busybox and kexec-tools,
# build the initramfs for each arch, and boot the matrix (matrix.txt) under
# QEMU, storing every run under tests/data/linux/ (docs/linux-oracle.md).
#   ONLY="run run..."  boot only these runs of the matrix
set -eu
here=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-build/linux-oracle}
export OUT
start=$(date +%s)
sh "$here/fetch.sh"
for arch in amd64 arm64; do
	sh "$here/mkinitramfs.sh" "$arch" "$OUT/initrd-$arch.gz"
done
nice sh "$here/run.sh"
echo "linux-oracle: all done in $(( $(date +%s) - start )) s"
