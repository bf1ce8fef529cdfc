#!/bin/sh
# The gate on the lines of src/ that no test executes (make coverage runs it
# after tools/coverage.sh). Usage:
#   coverage_uncovered.sh BUILD_DIR            check, write BUILD_DIR/uncovered-explained.txt
#   coverage_uncovered.sh BUILD_DIR --docs F   also rewrite F's "Uncovered lines" list
#
# Every never-executed line of src/ (gcov's "#####" in BUILD_DIR/gcov/) must
# match an entry of tools/coverage_explained.txt, by file, function and
# source text (so the list survives edits that only move lines). A line no
# entry explains fails the gate (exit 1); COVERAGE_GATE=warn only warns.
# An entry that matches no line any more (now covered, or its line changed)
# is reported so the list stays true.
set -e
b=${1:-build-cov}
docs=
[ "${2:-}" = --docs ] && docs=${3:?--docs needs a file}
list=tools/coverage_explained.txt
out=$b/uncovered-explained.txt
raw=$b/uncovered-lines.txt

# One line per never-executed source line: file<TAB>line<TAB>function<TAB>trimmed text.
: > "$raw"
for g in "$b"/gcov/*src#*.gcov; do
	[ -f "$g" ] || continue
	awk -v OFS='\t' '
		NR == 1 { sub(/^ *-: *0:Source:/, ""); src = $0; next }
		/^function / { fn = $2; next }
		/^ *#####:/ {
			line = $0; sub(/^ *#####: */, "", line)
			n = line; sub(/:.*/, "", n)
			text = line; sub(/^[0-9]+:/, "", text)
			gsub(/^[ \t]+|[ \t]+$/, "", text)
			print src, n, fn, text
		}' "$g" >> "$raw"
done
sort -t "$(printf '\t')" -k1,1 -k2,2n "$raw" -o "$raw"

# Match against the list: "file | function | text | class: reason"
# (function or text "*": any; # comments). Unmatched lines and unused entries.
awk -F '\t' -v list="$list" -v out="$out" '
	function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
	BEGIN {
		while ((getline l < list) > 0) {
			if (l ~ /^[ \t]*(#|$)/)
				continue
			n = split(l, f, " [|] ")
			if (n < 4) {
				printf "coverage_explained.txt: malformed entry: %s\n", l > "/dev/stderr"
				bad = 1
				continue
			}
			ne++
			ef[ne] = trim(f[1]); efn[ne] = trim(f[2]); et[ne] = trim(f[3])
			r = f[4]; for (i = 5; i <= n; i++) r = r " | " f[i]
			er[ne] = trim(r)
		}
		if (bad)
			exit 2
	}
	{
		hit = 0
		for (i = 1; i <= ne; i++)
			if (ef[i] == $1 && (efn[i] == "*" || efn[i] == $3) && (et[i] == "*" || et[i] == $4)) {
				hit = i
				break
			}
		if (hit) {
			used[hit]++
			split(er[hit], c, ":")
			cls[c[1]]++
			printf "%s:%s\t%s\n", $1, $2, er[hit] > out
		} else {
			nun++
			printf "%s:%s\tUNEXPLAINED (%s: %s)\n", $1, $2, $3, $4 > out
			printf "coverage: unexplained uncovered line %s:%s in %s: %s\n", $1, $2, $3, $4 > "/dev/stderr"
		}
		total++
	}
	END {
		if (bad)
			exit 2
		for (i = 1; i <= ne; i++)
			if (!used[i])
				printf "coverage: explained entry matches no uncovered line (covered now? remove it): %s | %s | %s\n",
				       ef[i], efn[i], et[i] > "/dev/stderr"
		s = ""
		for (k in cls)
			s = s sprintf("%s%s %d", s == "" ? "" : ", ", k, cls[k])
		printf "coverage: %d uncovered lines, %d explained (%s), %d unexplained; list in %s\n",
		       total, total - nun, s, nun, out
		exit nun ? 1 : 0
	}' "$raw" || st=$?
st=${st:-0}
[ "$st" = 2 ] && exit 2

if [ -n "$docs" ]; then
	# Lines of one file with one reason in a row become one item: "a-b" for
	# consecutive lines, "a,b" across lines that run (or are no statement).
	awk -F '\t' '
		function span() { return a == z ? a : a "-" z }
		function flush() {
			if (f != "")
				printf "- `%s:%s%s` %s\n", f, done, span(), r
		}
		{
			split($1, p, ":"); file = p[1]; n = p[2] + 0
			if (file == f && $2 == r) {
				if (n == z + 1) { z = n; next }
				done = done span() ","; a = z = n; next
			}
			flush(); f = file; a = z = n; r = $2; done = ""
		}
		END { flush() }' "$out" > "$b/uncovered-docs.md"
	awk -v gen="$b/uncovered-docs.md" '
		/<!-- uncovered:begin -->/ { print; while ((getline l < gen) > 0) print l; skip = 1; next }
		/<!-- uncovered:end -->/ { skip = 0 }
		!skip' "$docs" > "$docs.tmp"
	mv "$docs.tmp" "$docs"
	echo "coverage: rewrote the uncovered-lines list in $docs"
fi
if [ "$st" != 0 ]; then
	if [ "${COVERAGE_GATE:-fail}" = warn ]; then
		echo "coverage: WARNING: uncovered lines without an explanation (COVERAGE_GATE=warn)" >&2
		exit 0
	fi
	echo "coverage: FAILED: explain each line above in $list (or test it)" >&2
	exit 1
fi
