#!/bin/sh
# Boot the oracle on every line of matrix.txt (or only the runs named as
# arguments), one QEMU at a time (TCG), and store each run under
# $DATA/<name>/ (default tests/data/linux): console.log, the files the
# guest printed between markers, and provenance.txt.
# Needs fetch.sh and mkinitramfs.sh first (`make linux-oracle` does all).
set -eu
OUT=${OUT:-build/linux-oracle}
DATA=${DATA:-tests/data/linux}
here=$(cd "$(dirname "$0")" && pwd)
TIMEOUT=${TIMEOUT:-600}
# ignore_loglevel: the e820 edit lines (update/remove) are KERN_DEBUG.
APPEND_COMMON="memblock=debug efi=debug nokaslr ignore_loglevel panic=-1"

size_mib() {	# 512M / 4G -> MiB
	case $1 in *G) echo $(( ${1%G} * 1024 ));; *M) echo "${1%M}";; esac
}

run_one() {	# name arch machine fw mem numa crash...
	name=$1 arch=$2 machine=$3 fw=$4 mem=$5 numa=$6
	shift 6
	crash=""
	for c in "$@"; do [ "$c" = - ] || crash="$crash crashkernel=$c"; done
	dir="$DATA/$name"
	# agree.expected belongs to the agreement test (tests/test_linux_oracle.c): kept.
	keep=""
	[ -f "$dir/agree.expected" ] && keep=$(cat "$dir/agree.expected") && keep="$keep
"
	rm -rf "$dir" && mkdir -p "$dir"
	[ -n "$keep" ] && printf '%s' "$keep" > "$dir/agree.expected"
	mib=$(size_mib "$mem")
	numa_args=""
	if [ "$numa" = 2 ]; then
		half=$((mib / 2))
		numa_args="-object memory-backend-ram,id=m0,size=${half}M -numa node,nodeid=0,cpus=0,memdev=m0 -object memory-backend-ram,id=m1,size=$((mib - half))M -numa node,nodeid=1,cpus=1,memdev=m1"
	fi
	if [ "$arch" = amd64 ]; then
		qemu="qemu-system-x86_64 -M $machine -accel tcg"
		# no_timer_check: on a loaded host TCG fails the IO-APIC timer
		# check ("IO-APIC + timer doesn't work!", a panic) now and then.
		console="ttyS0 no_timer_check"
	else
		qemu="qemu-system-aarch64 -M $machine -cpu cortex-a57 -accel tcg"
		# earlycon: memblock=debug overflows the 128 KiB log buffer before the
		# console comes up ("printk messages dropped"); the boot console
		# prints every line as it is logged.
		console="ttyAMA0 earlycon=pl011,mmio32,0x9000000"
	fi
	case $fw in
	seabios|direct) fw_args="" ;;
	ovmf)	cp /usr/share/OVMF/OVMF_VARS_4M.fd "$OUT/vars.fd"
		fw_args="-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd -drive if=pflash,format=raw,unit=1,file=$OUT/vars.fd" ;;
	aavmf)	cp /usr/share/AAVMF/AAVMF_VARS.fd "$OUT/vars.fd"
		fw_args="-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/AAVMF/AAVMF_CODE.fd -drive if=pflash,format=raw,unit=1,file=$OUT/vars.fd" ;;
	esac
	append="console=$console $APPEND_COMMON$crash"
	cmd="$qemu -m $mem -smp 2 $numa_args -nodefaults -no-reboot -display none -serial stdio $fw_args -kernel $OUT/$arch/vmlinuz -initrd $OUT/initrd-$arch.gz"
	if [ "$fw" = direct ]; then
		# The device tree QEMU hands the kernel: the memory map of a DT boot
		# (Linux prints none). The same command with dumpdtb writes it and exits.
		dtbcmd=$(printf '%s' "$cmd" | sed "s|-M $machine |-M $machine,dumpdtb=$dir/machine.dtb |")
		# shellcheck disable=SC2086
		$dtbcmd -append "$append" < /dev/null > /dev/null 2>&1 || true
		# QEMU's blob is its whole 1 MiB buffer: dtc packs it (same tree).
		dtc -q -I dtb -O dtb -o "$OUT/dtb.tmp" "$dir/machine.dtb" && mv "$OUT/dtb.tmp" "$dir/machine.dtb"
	fi
	t0=$(date +%s)
	tries=0
	while [ "$tries" -lt 2 ]; do
		tries=$((tries + 1))
		# shellcheck disable=SC2086
		timeout -k 5 "$TIMEOUT" $cmd -append "$append" < /dev/null > "$OUT/raw.log" 2>&1 || true
		# A boot that did not get through (emulation too slow on a loaded host) is tried once more.
		grep -q '^===ORACLE-DONE===' "$OUT/raw.log" && break
	done
	t1=$(date +%s)
	# Firmware screen control (ANSI sequences), carriage returns and kexec-tools'
	# per-relocation debug lines (thousands, no placement in them) are dropped.
	sed -e 's/\x1b\[[0-9;=?]*[A-Za-z]//g' -e 's/\x1b[()][A-Z0-9]//g' -e 's/\r//g' "$OUT/raw.log" |
		grep -v -E '^(sym: |R_X86_64|R_AARCH64|machine_apply_elf_rel: )' > "$dir/console.log" || true
	for part in $(sed -n 's/^===ORACLE-BEGIN \(.*\)===$/\1/p' "$dir/console.log"); do
		sed -n "/^===ORACLE-BEGIN $part===\$/,/^===ORACLE-END $part===\$/p" "$dir/console.log" |
			sed '1d;$d' > "$dir/$part"
	done
	# Files the kernel could not give (e.g. debugfs memblock without ARCH_KEEP_MEMBLOCK) hold only cat's error: drop them.
	for f in "$dir"/*; do
		case $f in *.dtb|*/agree.expected) continue ;; esac
		[ "$(wc -l < "$f")" -le 1 ] && grep -q "^cat: can't open" "$f" && rm -f "$f"
	done
	done_ok=no
	grep -q '^===ORACLE-DONE===' "$dir/console.log" && done_ok=yes
	{
		echo "run: $name"
		echo "date: $(date -u '+%Y-%m-%dT%H:%M:%SZ')"
		echo "arch: $arch machine: $machine firmware: $fw memory: $mem numa_nodes: $numa smp: 2"
		echo "crashkernel:${crash:- none}"
		echo "qemu: $cmd -append '$append'"
		echo "seconds: $((t1 - t0)) (boots: $tries)"
		echo "completed: $done_ok"
		echo "console.log: serial output with ANSI sequences, carriage returns and kexec-tools' relocation debug lines (sym:, R_X86_64*, machine_apply_elf_rel:) removed"
		echo "packages:"
		sed 's/^/  /' "$OUT/$arch/versions.txt"
		sed 's/^/  /' "$OUT/host-versions.txt"
	} > "$dir/provenance.txt"
	echo "linux-oracle: $name: $((t1 - t0)) s, completed: $done_ok"
}

start=$(date +%s)
grep -v -e '^#' -e '^ *$' "$here/matrix.txt" | while read -r line; do
	# shellcheck disable=SC2086
	set -- $line
	if [ -n "${ONLY:-}" ]; then
		case " $ONLY " in *" $1 "*) ;; *) continue ;; esac
	fi
	run_one "$@"
done
echo "linux-oracle: matrix took $(( $(date +%s) - start )) s"
