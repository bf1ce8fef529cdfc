#!/bin/sh
# Install what the build and tests need on Debian, if it is missing.
# Runs as part of make; does nothing when everything is present.
need=""
[ -f /usr/include/cmocka.h ] || need="$need libcmocka-dev"
[ -f /usr/include/libfdt.h ] || need="$need libfdt-dev"
command -v dtc >/dev/null 2>&1 || need="$need device-tree-compiler"
command -v clang >/dev/null 2>&1 || need="$need clang"
command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need="$need gcc-aarch64-linux-gnu"
[ -n "$need" ] || exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "vmkit: missing build dependencies:$need (install them, e.g. apt-get install$need)" >&2
	exit 1
fi
echo "vmkit: installing$need" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends $need >/dev/null || {
	echo "vmkit: apt-get install$need failed" >&2
	exit 1
}
