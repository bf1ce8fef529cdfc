#!/bin/sh
# Build the oracle's initramfs for one arch (amd64 or arm64) from what
# fetch.sh unpacked: a newc cpio (gzip) with busybox as /init (busybox init
# runs /oracle.sh from /etc/inittab), kexec with its libraries, and the
# kernel + an initrd for `kexec -l` to place.
#   mkinitramfs.sh ARCH OUTFILE
set -eu
OUT=${OUT:-build/linux-oracle}
here=$(cd "$(dirname "$0")" && pwd)
arch=$1; dst=$2
src="$OUT/$arch"
root="$OUT/root-$arch"
rm -rf "$root"
mkdir -p "$root/bin" "$root/sbin" "$root/etc" "$root/proc" "$root/sys" "$root/dev" "$root/boot" "$root/tmp"
cp "$src/busybox" "$root/bin/busybox"
for a in sh mount cat echo grep sed wc sort poweroff ls dmesg; do ln -s busybox "$root/bin/$a"; done
ln -s bin/busybox "$root/init"
printf '::sysinit:/bin/sh /oracle.sh\n' > "$root/etc/inittab"
cp "$here/init.sh" "$root/oracle.sh"
cp "$src/kexec" "$root/bin/kexec"
interp=$(cat "$src/interp")
mkdir -p "$root$(dirname "$interp")" "$root/lib"
for l in "$src"/lib/*; do cp "$l" "$root/lib/"; done
[ -e "$root$interp" ] || ln -s "/lib/$(basename "$interp")" "$root$interp"
# kexec -l places the same kernel the machine booted; the initrd is a fixed
# 1 MiB file so its size is known to the agreement tests.
cp "$src/vmlinuz" "$root/boot/vmlinuz"
head -c 1048576 /dev/zero > "$root/boot/initrd"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$dst"
rm -rf "$root"
