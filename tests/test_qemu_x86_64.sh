#!/bin/sh
# The demo kernel boots on OVMF under QEMU (-smp 2) and passes every
# self-test on the real MMU; kernel/check-boot.sh has the checks.
exec sh "$(dirname "$0")/../kernel/check-boot.sh" x86_64
