#!/bin/sh
# Line and branch coverage of src/ from a --coverage build whose tests ran
# (make coverage). Usage: coverage.sh BUILD_DIR
# Prints a per-module table (a module is a directory under src/) and
# writes it to BUILD_DIR/coverage.txt; every line never executed goes to
# BUILD_DIR/uncovered.txt as "file:line: source", and gcov's annotated
# files to BUILD_DIR/gcov/.
set -e
b=${1:-build-cov}
out=$b/coverage.txt
gdir=$b/gcov
rm -rf "$gdir"
mkdir -p "$gdir"
: > "$b/uncovered.txt"
summary=$b/gcov-summary.txt
: > "$summary"
for f in $(find src -name '*.c' | sort); do
	obj=$b/$(dirname "$f")
	[ -f "$obj/$(basename "$f" .c).gcno" ] || continue
	# -b: branch counts; -p: keep the path in the .gcov name (files share
	# names across modules). gcov writes the annotated files here: moved.
	gcov -b -p -o "$obj" "$f" 2>/dev/null |
		awk -v want="$f" -v rel="$f" '
			/^File / { gsub(/\047/, "", $2); cur = $2; next }
			cur != want { next }
			/^Lines executed:/ { split($2, a, ":"); sub(/%/, "", a[2]); l = a[2]; lt = $4 }
			/^Taken at least once:/ { split($4, a, ":"); sub(/%/, "", a[2]); t = a[2]; tt = $6 }
			/^No branches/ { t = 0; tt = 0 }
			END { if (lt != "") printf "%s %s %s %s %s\n", rel, l, lt, t + 0, tt + 0 }' >> "$summary"
	mv ./*.gcov "$gdir"/ 2>/dev/null || true
done
# Uncovered lines, from the annotated files of src/ (count column "#####").
for g in "$gdir"/*src#*.gcov; do
	[ -f "$g" ] || continue
	src=$(sed -n 's/^ *-: *0:Source://p' "$g" | head -n 1)
	awk -F: -v s="$src" '$1 ~ /#####/ { l = $2; gsub(/ /, "", l); line = $0; sub(/^[^:]*:[^:]*:/, "", line); printf "%s:%s:%s\n", s, l, line }' "$g" \
		>> "$b/uncovered.txt"
done
fmt='%-10s %8d %7.1f%% %8d %7.1f%%\n'
{
	printf '%-10s %8s %8s %8s %8s\n' module lines line% branches branch%
	awk -v fmt="$fmt" '
		{
			split($1, p, "/"); m = p[2];
			lt[m] += $3; lc[m] += $3 * $2 / 100; bt[m] += $5; bc[m] += $5 * $4 / 100;
		}
		END {
			for (m in lt)
				printf fmt, m, lt[m], 100 * lc[m] / lt[m], bt[m], bt[m] ? 100 * bc[m] / bt[m] : 100;
		}' "$summary" | sort
	awk -v fmt="$fmt" '
		{ LT += $3; LC += $3 * $2 / 100; BT += $5; BC += $5 * $4 / 100 }
		END { printf fmt, "total", LT, 100 * LC / LT, BT, BT ? 100 * BC / BT : 100 }' "$summary"
	# The failure side of an invariant check (VMK_ASSERT, VMK_VERIFY, phys's
	# CHECK) is reached only if the invariant breaks: the same figure
	# without the branches of those lines (both sides) says how much of
	# the rest is exercised. The raw figure above is the one that counts.
	for g in "$gdir"/*src#*.gcov; do [ -f "$g" ] && cat "$g"; done | awk -v fmt="$fmt" '
		/^ *[-#=0-9*]+: *[0-9]+:/ { inv = $0 ~ /VMK_ASSERT\(|VMK_VERIFY\(|[^A-Z_]CHECK\(/; next }
		/^branch/ { t++; k = ($0 ~ /taken [1-9]/); tk += k; if (inv) { it++; ik += k } }
		END {
			printf "%-10s %8s %8s %8d %7.1f%%  (without the %d branches of invariant checks, %d never taken)\n",
			       "checks-out", "", "", t - it, t - it ? 100 * (tk - ik) / (t - it) : 100, it, it - ik
		}'
} > "$out"
cat "$out"
echo "coverage: table in $out, never-executed lines in $b/uncovered.txt ($(wc -l < "$b/uncovered.txt") lines)"
