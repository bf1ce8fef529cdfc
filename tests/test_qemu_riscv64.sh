#!/bin/sh
# The demo kernel boots through OpenSBI on QEMU virt (-smp 2), reads its
# memory map from the device tree, runs on vmkit's Sv39 tables and passes
# every self-test that applies; kernel/check-boot.sh has the checks.
exec sh "$(dirname "$0")/../kernel/check-boot.sh" riscv64
