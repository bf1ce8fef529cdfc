#!/bin/sh
# Run every test binary; print one summary line "N passed, N failed".
pass=0; fail=0; failed=""
for t in "$@"; do
	name=$(basename "$t")
	if "$t" > "$t.log" 2>&1; then
		pass=$((pass + 1))
		grep -E '^\[  PASSED  \]' "$t.log" | sed "s/^/$name: /"
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
