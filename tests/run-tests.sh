#!/bin/sh
# Run every test binary; print one summary line "N passed, N failed".
# Logs go to the build directory (VMKIT_BUILD_DIR), never into the sources.
logdir=${VMKIT_BUILD_DIR:-build}/test-logs
mkdir -p "$logdir"
pass=0; fail=0; failed=""
for t in "$@"; do
	name=$(basename "$t")
	log="$logdir/$name.log"
	if "$t" > "$log" 2>&1; then
		pass=$((pass + 1))
		grep -E '^\[  PASSED  \]' "$log" | sed "s/^/$name: /"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "---- $name FAILED; its output:"
		tail -n 60 "$log"
	fi
done
[ -n "$failed" ] && echo "failed:$failed"
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
