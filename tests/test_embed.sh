#!/bin/sh
# The example embedder (examples/embed) built through vmkit.mk the way a
# kernel build would, freestanding, for every architecture; run where this
# machine can run it (natively, or under qemu-user).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${VMKIT_BUILD_DIR:-$top/build}/embed
n=0
mkdir -p "$out"
fail() { echo "test_embed: FAILED: $*"; exit 1; }
jobs=$(nproc 2>/dev/null || echo 2)

# arch | compiler | how to run it here (empty: link only)
for combo in "x86_64|gcc|" "arm64|clang|qemu-aarch64"; do
	arch=${combo%%|*}; rest=${combo#*|}; cc=${rest%%|*}; runner=${rest#*|}
	dir="$out/$arch-$cc"
	make -s -j"$jobs" -C "$top/examples/embed" ARCH="$arch" CC="$cc" OUT="$dir" >"$dir.log" 2>&1 ||
		{ cat "$dir.log"; fail "$arch with $cc did not build through vmkit.mk"; }
	bin="$dir/embed"
	# Nothing outside the core and the example: no libc, no libgcc helpers.
	undef=$(nm -u "$bin" 2>/dev/null || true)
	[ -z "$undef" ] || fail "$arch/$cc: undefined symbols: $undef"
	case "$arch:$(uname -m)" in
	x86_64:x86_64) runner=""; run=yes ;;
	arm64:aarch64) runner=""; run=yes ;;
	*) run=no; [ -n "$runner" ] && command -v "$runner" >/dev/null 2>&1 && run=yes ;;
	esac
	if [ $run = yes ]; then
		o=$($runner "$bin") || fail "$arch/$cc: the embedder exited with $?: $o"
		echo "$o" | grep -q "^embed: vmkit .*: one page at 0x" || fail "$arch/$cc: unexpected output: $o"
		echo "[       OK ] $arch with $cc: built, linked, ran: $o"
	else
		echo "[       OK ] $arch with $cc: built and linked (no way to run it here)"
	fi
	n=$((n + 1))
done

# vmkit.mk refuses what it does not know.
if make -s -C "$top/examples/embed" ARCH=sparc CC=gcc OUT="$out/bad" >"$out/bad.log" 2>&1; then
	fail "vmkit.mk accepted an unknown architecture"
fi
grep -q "unknown architecture" "$out/bad.log" || fail "vmkit.mk's error does not name the problem: $(cat "$out/bad.log")"
n=$((n + 1))
echo "[       OK ] vmkit.mk names an unknown architecture"
echo "[  PASSED  ] $n test(s)."
