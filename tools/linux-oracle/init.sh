#!/bin/sh
# The Linux oracle's script (busybox sh, started by busybox init from the
# initramfs). Prints what vmkit must agree with between markers on the
# serial console, then powers the machine off:
#   ===ORACLE-BEGIN name=== ... ===ORACLE-END name===
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t devtmpfs dev /dev 2>/dev/null
# Kernel messages would interleave with the dumps.
echo 1 > /proc/sys/kernel/printk

show() {	# name, then a command
	name=$1; shift
	echo "===ORACLE-BEGIN $name==="
	"$@" 2>&1
	echo "===ORACLE-END $name==="
}
spans() {
	grep -E '^Node|^  *(spanned|present|managed) |start_pfn' /proc/zoneinfo
}
kexec_load() {	# -l or -p
	echo "# kexec $1 -d /boot/vmlinuz --initrd=/boot/initrd --append='console=null'"
	echo "# kernel $(wc -c < /boot/vmlinuz) bytes, initrd $(wc -c < /boot/initrd) bytes"
	/bin/kexec "$1" -d /boot/vmlinuz --initrd=/boot/initrd --append="console=null"
	echo "# exit status $?"
}

echo "===ORACLE-START==="
show cmdline cat /proc/cmdline
show iomem cat /proc/iomem
show memblock-memory cat /sys/kernel/debug/memblock/memory
show memblock-reserved cat /sys/kernel/debug/memblock/reserved
show buddyinfo cat /proc/buddyinfo
show zoneinfo spans
show meminfo cat /proc/meminfo
show kexec_crash_size cat /sys/kernel/kexec_crash_size
show firmware-memmap sh -c 'for d in /sys/firmware/memmap/*; do [ -d "$d" ] && echo "$(cat $d/start)-$(cat $d/end) $(cat $d/type)"; done | sort'
show kexec-l kexec_load -l
if [ "$(cat /sys/kernel/kexec_crash_size)" != 0 ]; then
	show kexec-p kexec_load -p
fi
echo "===ORACLE-DONE==="
poweroff -f
