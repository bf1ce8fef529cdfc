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

# Every architecture with both compilers vmkit.mk knows (gcc is the cross
# compiler where the host is another architecture).
# arch | compiler | how to run it here (empty: link only)
for combo in "x86_64|gcc|" "x86_64|clang|" \
	"arm64|aarch64-linux-gnu-gcc|qemu-aarch64" "arm64|clang|qemu-aarch64" \
	"riscv64|riscv64-linux-gnu-gcc|qemu-riscv64" "riscv64|clang|qemu-riscv64"; do
	arch=${combo%%|*}; rest=${combo#*|}; cc=${rest%%|*}; runner=${rest#*|}
	dir="$out/$arch-$cc"
	case "$cc:$(uname -m)" in
	aarch64-linux-gnu-gcc:aarch64 | riscv64-linux-gnu-gcc:riscv64) cc=gcc ;;
	esac
	make -s -j"$jobs" -C "$top/examples/embed" ARCH="$arch" CC="$cc" OUT="$dir" >"$dir.log" 2>&1 ||
		{ cat "$dir.log"; fail "$arch with $cc did not build through vmkit.mk"; }
	bin="$dir/embed"
	# Nothing outside the core and the example: no libc, no libgcc helpers.
	undef=$(nm -u "$bin" 2>/dev/null || true)
	[ -z "$undef" ] || fail "$arch/$cc: undefined symbols: $undef"
	case "$arch:$(uname -m)" in
	x86_64:x86_64) runner=""; run=yes ;;
	arm64:aarch64 | riscv64:riscv64) runner=""; run=yes ;;
	*) run=no; [ -n "$runner" ] && command -v "$runner" >/dev/null 2>&1 && run=yes ;;
	esac
	if [ $run = yes ]; then
		o=$($runner "$bin") || fail "$arch/$cc: the embedder exited with $?: $o"
		echo "$o" | grep -q "^embed: vmkit .*: one page at 0x" || fail "$arch/$cc: unexpected output: $o"
		echo "[       OK ] $arch with $cc: built, linked, ran: $o"
	else
		echo "[       OK ] $arch with $cc: built and linked (no way to run it here)"
	fi
	# A change of vmkit.mk (its flags) rebuilds the objects.
	if make -q -W "$top/vmkit.mk" -C "$top/examples/embed" ARCH="$arch" CC="$cc" OUT="$dir" >/dev/null 2>&1; then
		fail "$arch/$cc: objects are not rebuilt when vmkit.mk changes"
	fi
	n=$((n + 1))
done

# vmkit.mk's inputs written the way docs/building.md shows them (a comment
# after the value keeps the spaces before it in the value), the config
# header hook taking effect, and vmkit.mk included from another directory
# (an out-of-tree kernel build).
k="$out/kernel"
mkdir -p "$k/include"
printf '#define VMK_MAX_CPUS 4\n' > "$k/include/kconf.h"
printf '#include <vmkit/config.h>\n_Static_assert(VMK_MAX_CPUS == 4, "VMKIT_CONFIG not used");\n' > "$k/probe.c"
# The kernel's own files are GNU C and get VMKIT_CFLAGS too, as the README
# shows (CFLAGS += \$(VMKIT_CFLAGS)).
cat > "$k/kmain.c" <<'C'
#include <vmkit/memblock.h>
static inline void barrier(void) { asm volatile("" ::: "memory"); }
int kmain(void);
int kmain(void) { typeof(0) x = 0; barrier(); return x; }
C
cat > "$k/Makefile" <<MK
CFLAGS        := -std=gnu11 -O2 -Wall -Werror -Iinclude
VMKIT_DIR     := $top    # where vmkit is
VMKIT_ARCHS   := x86_64    # page-table formats
VMKIT_TARGET  := x86_64    # the CPU
VMKIT_CC_KIND := gcc    # the compiler
VMKIT_CONFIG  := kconf.h    # overrides
include $top/vmkit.mk
CFLAGS += \$(VMKIT_CFLAGS)
all:
	\$(CC) \$(CFLAGS) -fsyntax-only probe.c
	\$(CC) \$(CFLAGS) -fsyntax-only kmain.c
	\$(CC) \$(CFLAGS) -fsyntax-only \$(filter %/src/pmap/arch.c,\$(VMKIT_SRCS))
	@echo "srcs=\$(words \$(VMKIT_SRCS)) version=\$(VMKIT_VERSION)"
MK
make -s -C "$k" CC=gcc >"$k.log" 2>&1 || { cat "$k.log"; fail "vmkit.mk with commented inputs and VMKIT_CONFIG"; }
grep -q '^srcs=[1-9][0-9]* version=[0-9]*\.[0-9]*\.[0-9]*$' "$k.log" || fail "vmkit.mk from another directory: $(cat "$k.log")"
n=$((n + 1))
echo "[       OK ] vmkit.mk inputs with trailing comments, VMKIT_CONFIG applied, out of tree, GNU C kernel files"

# A riscv64 kernel's own GNU C files get VMKIT_CFLAGS too, and a kernel
# reads and writes CSRs and runs fence.i: with gcc 12 and binutils 2.38 (ISA
# spec 20191213) those are the Zicsr and Zifencei extensions, which
# VMKIT_CFLAGS' -march must then name.
rv="$out/rvkernel"
mkdir -p "$rv"
cat > "$rv/csr.c" <<'C'
unsigned long read_satp(void);
unsigned long read_satp(void)
{
	unsigned long v;

	asm volatile("csrr %0, satp" : "=r"(v));
	asm volatile("fence.i" ::: "memory");
	return v;
}
C
cat > "$rv/Makefile" <<MK
VMKIT_ARCHS := riscv64
include $top/vmkit.mk
CFLAGS := -std=gnu11 -O2 -Wall -Werror \$(VMKIT_CFLAGS)
all:
	\$(CC) \$(TGT) \$(CFLAGS) -c csr.c -o csr.o
MK
for c in "riscv64-linux-gnu-gcc|" "clang|--target=riscv64-unknown-elf"; do
	cc=${c%%|*}
	command -v "$cc" >/dev/null 2>&1 || continue
	make -s -C "$rv" CC="$cc" TGT="${c#*|}" >"$rv.log" 2>&1 ||
		{ cat "$rv.log"; fail "riscv64 kernel file with CSR/fence.i asm and VMKIT_CFLAGS ($cc)"; }
done
n=$((n + 1))
echo "[       OK ] riscv64 kernel files with CSR and fence.i instructions build with VMKIT_CFLAGS"

# VMKIT_DIR not a vmkit tree (a typo, or vmkit.mk included through a path
# with a space, which make splits into words): an error that says so, not
# an empty VMKIT_SRCS and a link failure far away.
mkdir -p "$out/sp ace"
ln -sfn "$top" "$out/sp ace/vmkit"
for how in "VMKIT_DIR := $out/nowhere|include $top/vmkit.mk" "|include $(printf '%s' "$out/sp ace" | sed 's/ /\\ /')/vmkit/vmkit.mk"; do
	mkdir -p "$out/baddir"
	printf '%s\n%s\nall:\n\t@echo srcs=$(words $(VMKIT_SRCS))\n' "${how%%|*}" "${how#*|}" > "$out/baddir/Makefile"
	if make -s -C "$out/baddir" CC=gcc >"$out/baddir.log" 2>&1; then
		fail "vmkit.mk accepted a VMKIT_DIR without vmkit ($how): $(cat "$out/baddir.log")"
	fi
	grep -q "vmkit.mk: no vmkit" "$out/baddir.log" || fail "vmkit.mk's error does not name VMKIT_DIR: $(cat "$out/baddir.log")"
done
n=$((n + 1))
echo "[       OK ] vmkit.mk refuses a VMKIT_DIR that holds no vmkit"

# The example's default output folder (inside the sources) is ignored by
# git and nothing built is committed.
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	tracked=$(git -C "$top" ls-files examples/embed/build | head -3)
	[ -z "$tracked" ] || fail "build output committed: $tracked"
	git -C "$top" check-ignore -q examples/embed/build/x86_64-gcc/embed ||
		fail "examples/embed/build is not ignored by git"
	n=$((n + 1))
	echo "[       OK ] examples/embed/build is ignored, nothing built is committed"
fi

# vmkit.mk refuses what it does not know.
if make -s -C "$top/examples/embed" ARCH=sparc CC=gcc OUT="$out/bad" >"$out/bad.log" 2>&1; then
	fail "vmkit.mk accepted an unknown architecture"
fi
grep -q "unknown architecture" "$out/bad.log" || fail "vmkit.mk's error does not name the problem: $(cat "$out/bad.log")"
n=$((n + 1))
echo "[       OK ] vmkit.mk names an unknown architecture"
echo "[  PASSED  ] $n test(s)."
