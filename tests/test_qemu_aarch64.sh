#!/bin/sh
# The demo kernel boots on AAVMF under QEMU (-smp 2) and passes every
# self-test on the real MMU; kernel/check-boot.sh has the checks.
exec sh "$(dirname "$0")/../kernel/check-boot.sh" arm64
