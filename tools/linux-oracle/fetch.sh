#!/bin/sh
# Fetch what the Linux oracle boots, from Debian with apt-get download (nothing
# is installed on the host except the tools the oracle runs: QEMU, the
# firmware, cpio). Unpacks into $OUT/<arch>/ (default build/linux-oracle):
#   vmlinuz, config, busybox, kexec (+ the shared libraries it needs under lib/),
#   and versions.txt (package=version, one a line).
# The kernel is the one Debian's linux-image-<arch> meta package points at.
set -eu
OUT=${OUT:-build/linux-oracle}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT/debs"

need_host() {
	missing=""
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "linux-oracle: installing$missing"
	apt-get install -y --no-install-recommends $missing >/dev/null
}

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	dpkg --add-architecture arm64
	apt-get update -qq
fi
apt-cache show linux-image-arm64:arm64 >/dev/null 2>&1 || apt-get update -qq
need_host qemu-system-x86 qemu-system-arm ovmf qemu-efi-aarch64 seabios cpio binutils device-tree-compiler

# The real image package behind the meta package (linux-image-6.x-<flavour>).
kernel_pkg() {
	apt-cache depends "linux-image-$1:$1" | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | sed 's/:.*//' | head -n 1
}

# Libraries kexec may need; fetched for the arch, then only its NEEDED closure is kept.
LIBPKGS="libc6 libxenmisc4.17 libxenctrl4.17 libxencall1 libxendevicemodel1 libxenevtchn1 libxenforeignmemory1
libxengnttab1 libxenhypfs1 libxenstore4 libxentoollog1 libxentoolcore1 zlib1g liblzma5 libzstd1 libyajl2
libuuid1 libext2fs2 libfdt1 libcom-err2"

for arch in amd64 arm64; do
	kp=$(kernel_pkg $arch)
	[ -n "$kp" ] || { echo "linux-oracle: no kernel package behind linux-image-$arch" >&2; exit 1; }
	d="$OUT/$arch"
	# Packages unpack outside the build tree: the Makefile includes every *.d
	# under build/, and packages have directories named so (ld.so.conf.d).
	x=$(mktemp -d)   # under $TMPDIR, else /tmp
	trap 'rm -rf "$x"' EXIT
	rm -rf "$d" && mkdir -p "$d/lib"
	pkgs="$kp busybox-static kexec-tools"
	for p in $LIBPKGS; do
		apt-cache show "$p:$arch" >/dev/null 2>&1 && pkgs="$pkgs $p"
	done
	: > "$d/versions.txt"
	for p in $pkgs; do
		v=$(apt-cache policy "$p:$arch" | sed -n 's/^ *Candidate: //p')
		f=$(ls "$OUT/debs/${p}_"*"_$arch.deb" "$OUT/debs/${p}_"*"_all.deb" 2>/dev/null | head -n 1 || true)
		if [ -z "$f" ] || ! dpkg-deb -f "$f" Version | grep -qx "$v"; then
			rm -f "$OUT/debs/${p}_"*"_$arch.deb"
			(cd "$OUT/debs" && apt-get download -qq "$p:$arch=$v" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
			f=$(ls "$OUT/debs/${p}_"*"_$arch.deb" | head -n 1)
		fi
		echo "$p:$arch=$v" >> "$d/versions.txt"
		case $p in
		linux-image-*)
			dpkg-deb --fsys-tarfile "$f" | tar -x -C "$x" --wildcards './boot/*' ;;
		*)	dpkg-deb -x "$f" "$x" ;;
		esac
	done
	cp "$x/boot/vmlinuz-"* "$d/vmlinuz"
	cp "$x/boot/config-"* "$d/config"
	cp "$x/bin/busybox" "$d/busybox"
	cp "$x/sbin/kexec" "$d/kexec"
	# The NEEDED closure of kexec (and the dynamic loader), from the unpacked packages.
	pending="kexec"
	interp=$(readelf -l "$d/kexec" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	cp -L "$x$interp" "$d/lib/$(basename "$interp")" 2>/dev/null || cp -L "$x/usr$interp" "$d/lib/$(basename "$interp")"
	echo "$interp" > "$d/interp"
	while [ -n "$pending" ]; do
		next=""
		for f in $pending; do
			[ "$f" = kexec ] && path="$d/kexec" || path="$d/lib/$f"
			for n in $(readelf -d "$path" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
				[ -e "$d/lib/$n" ] && continue
				src=$(find "$x/lib" "$x/usr/lib" -name "$n" 2>/dev/null | head -n 1)
				[ -n "$src" ] || { echo "linux-oracle: $arch: $n (needed by $f) is in none of: $pkgs" >&2; exit 1; }
				cp -L "$src" "$d/lib/$n"
				next="$next $n"
			done
		done
		pending=$next
	done
	rm -rf "$x"
	echo "linux-oracle: $arch: $(head -n 1 "$d/versions.txt"), $(ls "$d/lib" | wc -l) libraries for kexec"
done
for p in qemu-system-x86 qemu-system-arm ovmf qemu-efi-aarch64 seabios; do
	echo "$p=$(dpkg-query -W -f '${Version}' $p)"
done > "$OUT/host-versions.txt"
