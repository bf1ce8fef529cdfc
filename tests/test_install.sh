#!/bin/sh
# make install / uninstall with PREFIX and DESTDIR, pkg-config, the man
# page and the version, from a temporary directory.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail() { echo "test_install: FAILED: $*"; exit 1; }
ok() { n=$((n + 1)); echo "[       OK ] $1"; }

# 1. A staged install: files land under DESTDIR, vmkit.pc names PREFIX.
make -s -C "$top" install PREFIX=/opt/vmkit DESTDIR="$tmp/stage" >/dev/null
for f in include/vmkit/pmap.h include/vmkit/version.h lib/libvmkit.a bin/vmkit \
	share/man/man1/vmkit.1 lib/pkgconfig/vmkit.pc; do
	[ -f "$tmp/stage/opt/vmkit/$f" ] || fail "staged install lacks $f"
done
nh=$(ls "$top"/include/vmkit/*.h | wc -l)
[ "$(ls "$tmp"/stage/opt/vmkit/include/vmkit/*.h | wc -l)" -eq "$nh" ] || fail "not every public header installed"
grep -qx 'prefix=/opt/vmkit' "$tmp/stage/opt/vmkit/lib/pkgconfig/vmkit.pc" || fail "vmkit.pc prefix is not PREFIX"
grep -q "$tmp" "$tmp/stage/opt/vmkit/lib/pkgconfig/vmkit.pc" && fail "vmkit.pc mentions DESTDIR"
ok "staged install (DESTDIR + PREFIX)"

# 1b. The GNU names: prefix and the directory variables (a distribution's
# package sets prefix=/usr and its own libdir).
g="$tmp/gnu"
make -s -C "$top" install DESTDIR="$g" prefix=/usr libdir=/usr/lib/x86_64-linux-gnu >/dev/null
for f in usr/include/vmkit/version.h usr/lib/x86_64-linux-gnu/libvmkit.a usr/bin/vmkit \
	usr/share/man/man1/vmkit.1 usr/lib/x86_64-linux-gnu/pkgconfig/vmkit.pc; do
	[ -f "$g/$f" ] || fail "install prefix=/usr libdir=...: lacks $f"
done
pc="$g/usr/lib/x86_64-linux-gnu/pkgconfig/vmkit.pc"
[ "$(PKG_CONFIG_LIBDIR= pkg-config --variable=libdir "$pc")" = /usr/lib/x86_64-linux-gnu ] ||
	fail "vmkit.pc libdir is not the libdir installed to"
make -s -C "$top" uninstall DESTDIR="$g" prefix=/usr libdir=/usr/lib/x86_64-linux-gnu >/dev/null
left=$(find "$g" -type f | head -5)
[ -z "$left" ] || fail "uninstall prefix=/usr libdir=... left: $left"
# prefix on the command line wins over a PREFIX in the environment (some
# systems export one: Termux's PREFIX is its /usr).
PREFIX=/env/prefix make -s -C "$top" install DESTDIR="$tmp/envp" prefix=/usr >/dev/null ||
	fail "install prefix=/usr with PREFIX in the environment"
[ -f "$tmp/envp/usr/lib/pkgconfig/vmkit.pc" ] ||
	fail "install prefix=/usr went elsewhere with PREFIX=/env/prefix in the environment: $(cd "$tmp/envp" && find . -name vmkit.pc)"
grep -qx 'prefix=/usr' "$tmp/envp/usr/lib/pkgconfig/vmkit.pc" || fail "vmkit.pc prefix is not the command line's prefix"
ok "GNU prefix and libdir"

# 1c. What a distribution's packaging does: a DESTDIR with a space in it
# (everything lands inside it, nothing next to it), a restrictive umask
# (every installed file readable by all, vmkit.pc included: pkg-config runs
# as the user), and the GNU INSTALL_PROGRAM / INSTALL_DATA commands (a
# package strips or records what it installs through them).
sp="$tmp/with space"
mkdir -p "$sp"
make -s -C "$top" install DESTDIR="$sp" prefix=/usr >"$tmp/sp.log" 2>&1 ||
	{ rm -rf "$top/space"; fail "install with DESTDIR '$sp': $(cat "$tmp/sp.log")"; }
[ -f "$sp/usr/lib/pkgconfig/vmkit.pc" ] && [ -f "$sp/usr/bin/vmkit" ] ||
	fail "install with a space in DESTDIR did not install into it"
make -s -C "$top" uninstall DESTDIR="$sp" prefix=/usr >/dev/null 2>&1 || fail "uninstall with a space in DESTDIR"
left=$(find "$sp" -type f | head -3)
[ -z "$left" ] || fail "uninstall with a space in DESTDIR left: $left"
um="$tmp/umask"
(umask 077 && make -s -C "$top" install DESTDIR="$um" >/dev/null) || fail "install under umask 077"
unreadable=$(find "$um" -type f ! -perm -0444 | sed "s|^$um||")
[ -z "$unreadable" ] || fail "installed under umask 077, not readable by all: $unreadable"
cat > "$tmp/install-log" <<SH
#!/bin/sh
echo "\$0 \$*" >> "$tmp/install.log"
exec install "\$@"
SH
chmod +x "$tmp/install-log"
cp "$tmp/install-log" "$tmp/install-prog"
cp "$tmp/install-log" "$tmp/install-data"
make -s -C "$top" install DESTDIR="$tmp/gi" INSTALL="$tmp/install-log" \
	INSTALL_PROGRAM="$tmp/install-prog" INSTALL_DATA="$tmp/install-data -m 644" >/dev/null ||
	fail "install with INSTALL_PROGRAM and INSTALL_DATA"
grep -q "install-prog .*/bin/vmkit\$" "$tmp/install.log" || fail "bin/vmkit not installed with INSTALL_PROGRAM"
for f in include/vmkit/ lib/libvmkit.a man1/vmkit.1 pkgconfig/vmkit.pc; do
	grep -q "install-data .*$f" "$tmp/install.log" || fail "$f not installed with INSTALL_DATA"
done
ok "DESTDIR with a space, umask 077, INSTALL_PROGRAM and INSTALL_DATA"

# 2. Install to a prefix and build a program against it with pkg-config.
p="$tmp/usr"
make -s -C "$top" install PREFIX="$p" >/dev/null
export PKG_CONFIG_PATH="$p/lib/pkgconfig"
hv=$(sed -n 's/^#define VMK_VERSION_\(MAJOR\|MINOR\|PATCH\)[[:space:]]*\([0-9]*\).*/\2/p' \
	"$top/include/vmkit/version.h" | paste -sd. -)
[ "$(pkg-config --modversion vmkit)" = "$hv" ] || fail "pkg-config version $(pkg-config --modversion vmkit) != header $hv"
cat > "$tmp/prog.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <vmkit/memblock.h>
#include <vmkit/platform.h>
#include <vmkit/version.h>

static _Alignas(4096) unsigned char ram[1 << 20];
static void *p2v(void *c, vmk_paddr_t pa) { (void)c; return (void *)(uintptr_t)pa; }
static void die(void *c, const char *m) { (void)c; fprintf(stderr, "panic: %s\n", m); _Exit(3); }
static const struct vmk_platform plat = { .phys_to_virt = p2v, .panic = die };
static struct vmk_memblock mb;

int main(void)
{
	vmk_paddr_t pa = 0, base = (vmk_paddr_t)(uintptr_t)ram;

	vmk_platform_set(&plat);
	vmk_memblock_init(&mb);
	if (vmk_memblock_add(&mb, base, sizeof(ram)) || vmk_memblock_alloc(&mb, 8192, 4096, &pa))
		return 1;
	if (pa < base || pa + 8192 > base + sizeof(ram) || strcmp(vmk_version(), VMK_VERSION_STRING))
		return 1;
	printf("%s %d\n", vmk_version(), pa % 4096 == 0);
	return 0;
}
C
${CC:-cc} -std=c11 -Wall -Werror $(pkg-config --cflags vmkit) "$tmp/prog.c" -o "$tmp/prog" \
	$(pkg-config --libs vmkit) || fail "building against the installed library"
[ "$("$tmp/prog")" = "$hv 1" ] || fail "the program built with pkg-config did not run right"
ok "pkg-config --cflags --libs vmkit builds and links a program"

# 2b. Each installed header compiles alone, as strict ISO C11, with gcc and
# clang (a user's project may build with -pedantic -Werror), and the
# library defines no global symbol outside the vmk_ namespace (it links
# into other programs and kernels).
printf 'int vmkit_test_nonempty;\n' > "$tmp/tail.c"
nhdr=0
for h in "$p"/include/vmkit/*.h; do
	printf '#include <vmkit/%s>\n' "${h##*/}" > "$tmp/hdr.c"
	cat "$tmp/tail.c" >> "$tmp/hdr.c"
	for c in gcc clang; do
		command -v $c >/dev/null 2>&1 || continue
		$c -std=c11 -pedantic -Wall -Wextra -Werror $(pkg-config --cflags vmkit) \
			-fsyntax-only "$tmp/hdr.c" 2>"$tmp/hdr.log" ||
			fail "<vmkit/${h##*/}> alone is not strict C11 for $c: $(head -3 "$tmp/hdr.log")"
	done
	nhdr=$((nhdr + 1))
done
foreign=$(nm -g --defined-only "$p/lib/libvmkit.a" | awk 'NF == 3 { print $3 }' | grep -v '^vmk_' | sort -u | head -5)
[ -z "$foreign" ] || fail "libvmkit.a defines symbols outside vmk_: $foreign"
ok "$nhdr installed headers compile alone as C11 -pedantic; every library symbol is vmk_"

# 3. The installed tool and its man page.
[ "$("$p/bin/vmkit" --version)" = "vmkit $hv" ] || fail "vmkit --version is not $hv"
man="$p/share/man/man1/vmkit.1"
grep -q "^\.TH VMKIT 1 .*vmkit $hv" "$man" || fail "man page header lacks the version"
ncmd=0
for c in $("$p/bin/vmkit" --help | sed -n '/^commands:$/,/^$/p' | sed -n 's/^  \([a-z][a-z0-9-]*\) .*/\1/p'); do
	ncmd=$((ncmd + 1))
	grep -qx ".SS $c" "$man" || fail "man page lacks command $c"
	for o in $("$p/bin/vmkit" "$c" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
		grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$man" || fail "man page lacks $c $o"
	done
done
[ $ncmd -ge 6 ] || fail "only $ncmd commands found in vmkit --help"
for s in "EXIT STATUS" JSON; do grep -qx ".SH $s" "$man" || fail "man page lacks section $s"; done
# The sections a man page must have, with the statuses 0, 1 and 2 and the
# JSON interface, and made from the tool's --help (one text): the template
# has only placeholders there, and every line of them is in --help.
section() { sed -n "/^\.SH $1\$/,/^\.SH /p" "$2" | sed -e '1d' -e '$d'; }
[ "$(section "EXIT STATUS" "$top/docs/vmkit.1.in")" = "@EXIT_STATUS@" ] ||
	fail "docs/vmkit.1.in writes EXIT STATUS itself instead of taking it from --help"
[ "$(section JSON "$top/docs/vmkit.1.in")" = "@JSON@" ] ||
	fail "docs/vmkit.1.in writes JSON itself instead of taking it from --help"
for st in 0 1 2; do
	section "EXIT STATUS" "$man" | grep -qx "\.B $st" || fail "man page EXIT STATUS lacks status $st"
done
section "EXIT STATUS" "$man" | grep -q "bad input data" || fail "EXIT STATUS does not say what 1 is"
section "EXIT STATUS" "$man" | grep -q "bad usage" || fail "EXIT STATUS does not say what 2 is"
section JSON "$man" | grep -q "stable interface" || fail "man page JSON section lacks the interface"
help=$("$p/bin/vmkit" --help)
for s in "EXIT STATUS" JSON; do
	section "$s" "$man" | grep -v '^\.' | sed 's/\\-/-/g' | while IFS= read -r l; do
		printf '%s\n' "$help" | grep -qF -- "$l" || { echo "$l"; break; }
	done | grep -q . && fail "man page $s has text that is not in vmkit --help"
done
# The environment the tool reads is in the page, from --help like the
# statuses: VMK_SIM_LOG=1 prints the library's log messages on stderr (a
# map of 600 entries makes memblock grow its arrays, which it logs).
i=0
while [ $i -lt 300 ]; do
	b=$((0x100000 + i * 0x200000))
	printf 'BIOS-e820: [mem 0x%016x-0x%016x] usable\n' $b $((b + 0xfffff))
	printf 'BIOS-e820: [mem 0x%016x-0x%016x] reserved\n' $((b + 0x100000)) $((b + 0x1fffff))
	i=$((i + 1))
done > "$tmp/many.e820"
VMK_SIM_LOG=1 "$p/bin/vmkit" memmap --e820 "$tmp/many.e820" 2>&1 >/dev/null | grep -q '^vmkit debug: memblock' ||
	fail "VMK_SIM_LOG=1 did not make vmkit print the library's log"
[ "$(section ENVIRONMENT "$top/docs/vmkit.1.in")" = "@ENVIRONMENT@" ] ||
	fail "docs/vmkit.1.in writes ENVIRONMENT itself instead of taking it from --help"
section ENVIRONMENT "$man" | grep -q '^VMK_SIM_LOG' || section ENVIRONMENT "$man" | grep -q '^\.B VMK_SIM_LOG' ||
	fail "man page ENVIRONMENT does not name VMK_SIM_LOG, which vmkit reads: $(section ENVIRONMENT "$man")"
if command -v groff >/dev/null 2>&1; then
	w=$(groff -man -Tutf8 -ww -z "$man" 2>&1) || fail "groff failed on the man page"
	[ -z "$w" ] || fail "groff warns on the man page: $w"
fi
ok "vmkit --version and vmkit(1) cover every command and option"

# 3b. The man page generator fails when a --help text cannot be had
# (rather than writing a page without it).
cat > "$tmp/fakevmkit" <<'SH'
#!/bin/sh
case "$*" in
--version) echo "vmkit 9.9.9" ;;
--help) printf 'usage: vmkit <command>\n\ncommands:\n  good   works\n  bad    broken\n\nexit status:\n  0  ok\n\njson:\n  stable\n\nenvironment:\n  X  none\n' ;;
"good --help") echo "usage: vmkit good [--x]" ;;
*) echo "vmkit: crashed" >&2; exit 1 ;;
esac
SH
chmod +x "$tmp/fakevmkit"
if sh "$top/tools/mkman.sh" "$tmp/fakevmkit" "$top/docs/vmkit.1.in" >"$tmp/fake.1" 2>/dev/null; then
	fail "mkman.sh wrote a page although 'vmkit bad --help' failed"
fi
sed -i 's/bad    broken/good2  works/; s/^"good --help")/"good --help" | "good2 --help")/' "$tmp/fakevmkit"
sh "$top/tools/mkman.sh" "$tmp/fakevmkit" "$top/docs/vmkit.1.in" >"$tmp/fake.1" ||
	fail "mkman.sh failed on a good --help"
grep -qx '\.B 0' "$tmp/fake.1" || fail "mkman.sh did not take EXIT STATUS from --help"
sed -i 's/exit status:/exit codes:/' "$tmp/fakevmkit"
if sh "$top/tools/mkman.sh" "$tmp/fakevmkit" "$top/docs/vmkit.1.in" >"$tmp/fake.1" 2>/dev/null; then
	fail "mkman.sh wrote a page without an exit status block in --help"
fi
ok "mkman.sh fails when a command's --help fails or --help lacks a section"

# 3c. --help text that roff would take for requests: a line of the EXIT
# STATUS or JSON block whose text (after its indentation) starts with '.'
# or a quote is text in the page, not a request that swallows it. The page
# has a date (man-pages(7): .TH title section date), SOURCE_DATE_EPOCH's
# when set (reproducible builds).
cat > "$tmp/dotvmkit" <<'SH'
#!/bin/sh
case "$*" in
--version) echo "vmkit 9.9.9" ;;
--help) printf 'usage: vmkit <command>\n\ncommands:\n  good   works\n\nexit status:\n  0  ok\n  1  bad input, where\n     .5 of a page is refused\n\njson:\n  The keys\n  '"'"'quoted'"'"' stay as they are.\n  .key is a stable name\n\nenvironment:\n  X_Y  none\n' ;;
"good --help") echo "usage: vmkit good" ;;
*) exit 1 ;;
esac
SH
chmod +x "$tmp/dotvmkit"
SOURCE_DATE_EPOCH=1700000000 sh "$top/tools/mkman.sh" "$tmp/dotvmkit" "$top/docs/vmkit.1.in" >"$tmp/dot.1" ||
	fail "mkman.sh failed on --help text starting with '.' or a quote"
for l in '\&.5 of a page is refused' "\\&'quoted' stay as they are." '\&.key is a stable name'; do
	grep -qxF -- "$l" "$tmp/dot.1" || fail "man page lost or misread the --help line '$l'"
done
grep -qx '^\.TH VMKIT 1 "2023-11-14" "vmkit 9\.9\.9" .*' "$tmp/dot.1" ||
	fail "man page .TH lacks SOURCE_DATE_EPOCH's date: $(grep '^\.TH' "$tmp/dot.1")"
grep -qx '^\.TH VMKIT 1 "[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]" .*' "$man" ||
	fail "installed man page .TH has no date: $(grep '^\.TH' "$man")"
if command -v mandoc >/dev/null 2>&1; then
	w=$(mandoc -Tlint -W warning "$man" 2>&1) || fail "mandoc -Tlint: $w"
fi
ok "mkman.sh escapes --help lines starting with '.' or a quote; .TH has a date"

# 4. uninstall removes every file it installed.
make -s -C "$top" uninstall PREFIX="$p" >/dev/null
left=$(find "$p" -type f | head -5)
[ -z "$left" ] || fail "uninstall left: $left"
ok "make uninstall removes what install put there"

echo "[  PASSED  ] $n test(s)."
