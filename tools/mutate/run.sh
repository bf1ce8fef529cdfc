#!/bin/sh
# make mutate: apply each mutation of the core listed in tools/mutate/mutations.txt
# to a scratch copy of the tree, build, run the tests the mutation names, and
# print "killed by TEST (CASE)" or "survived"; exit 1 when any survived.
#
#   sh tools/mutate/run.sh [ID ...]     the listed mutations (default: all)
#   sh tools/mutate/run.sh --check      only check that every mutation still applies
#
# Environment:
#   MUTATE_LIST     the list (default tools/mutate/mutations.txt)
#   MUTATE_DIR      scratch directory (default build-mutate); the copy is MUTATE_DIR/tree
#   MUTATE_ALL=1    run every test binary for every mutation, not only the listed ones
#   MUTATE_JOBS     make -j for the rebuilds (default 2)
#   MUTATE_TIMEOUT  seconds a test binary may run before it counts as killing (default 120)
#   VMK_SEED        the seed of the randomized tests; pinned (default 1) so the baseline and
#                   every mutated run draw the same cases
#
# The working tree is never modified: the copy (sources and, when present,
# the debug build directory, timestamps kept, so only the mutated file is
# recompiled) lives under MUTATE_DIR. A mutation whose original text is no
# longer found exactly once is an error (exit 2): the list must follow the code.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
list=${MUTATE_LIST:-$root/tools/mutate/mutations.txt}
case $list in /*) ;; *) list=$root/$list ;; esac
dir=${MUTATE_DIR:-$root/build-mutate}
case $dir in /*) ;; *) dir=$root/$dir ;; esac
jobs=${MUTATE_JOBS:-2}
tmo=${MUTATE_TIMEOUT:-120}
VMK_SEED=${VMK_SEED:-1}
export VMK_SEED
pl="perl $here/mutate.pl"

if [ "${1:-}" = "--check" ]; then
	$pl check "$list" "$root" || exit 2
	echo "mutate: every mutation of $(basename "$list") applies ($($pl list "$list" | wc -l) mutations)"
	exit 0
fi

t0=$(date +%s)
$pl list "$list" > /dev/null || exit 2
$pl check "$list" "$root" || exit 2

# The scratch copy: sources, then the plain build directory (timestamps kept).
tree=$dir/tree
rm -rf "$tree" "$dir/logs"
mkdir -p "$tree" "$dir/logs" "$dir/orig" || exit 2
(cd "$root" && tar -cf - --exclude=./.git --exclude='./build*' --exclude=./kernel/build . ) |
	(cd "$tree" && tar -xf -) || exit 2
if [ -d "$root/build" ]; then
	# Never the scratch directory itself when it lies inside build/ (the self-test's does).
	skip=build/test-logs
	case $dir in "$root"/build/*) skip=${dir#"$root"/} ;; esac
	(cd "$root" && tar -cf - --exclude=build/test-logs --exclude="$skip" build) |
		(cd "$tree" && tar -xf -) || exit 2
fi

# Which mutations, and the test binaries each needs.
sel=$dir/selected
if [ $# -gt 0 ]; then
	: > "$sel"
	for id in "$@"; do
		$pl list "$list" | awk -F '\t' -v id="$id" '$1 == id' >> "$sel"
		grep -q "^$id	" "$sel" || { echo "mutate: no mutation $id"; exit 2; }
	done
else
	$pl list "$list" > "$sel"
fi
all_tests=$(cd "$tree" && ls tests/test_*.c | sed 's|tests/||; s|\.c$||')

targets() {	# the make targets for a list of test names
	for t in "$@"; do printf 'build/tests/%s ' "$t"; done
	# A test that runs the vmkit binary (through cli_util, whatever its
	# name) must run the mutated one, not the copy's stale build.
	for t in "$@"; do
		if grep -q -e 'cli_util\.h' -e 'VMKIT_BIN' "$tree/tests/$t.c"; then
			printf 'build/vmkit '
			break
		fi
	done
}
build() {	# build the binaries for tests "$@" in the copy; output to $dir/logs/build.log
	(cd "$tree" && nice make -j"$jobs" --no-print-directory $(targets "$@")) > "$dir/logs/build.log" 2>&1
}
run_test() {	# run_test NAME LOG: 0 when the test passes (a crash is reported inside LOG)
	(cd "$tree" && VMKIT_BIN="$tree/build/vmkit" VMKIT_BUILD_DIR="$tree/build" \
		timeout "$tmo" nice "./build/tests/$1"; echo "mutate: exit status $?") > "$2" 2>&1
	tail -n 1 "$2" | grep -qx 'mutate: exit status 0'
}
failed_case() {	# the cmocka case a failing log names, if any
	c=$(sed -n 's/^\[  FAILED  \] \([A-Za-z0-9_]*\)$/\1/p' "$1" | head -n 1)
	[ -n "$c" ] || c=$(sed -n 's/^\[ RUN      \] \([A-Za-z0-9_]*\)$/\1/p' "$1" | tail -n 1)
	echo "$c"
}

# Baseline: the unmutated copy must pass every test a mutation names,
# or "killed" would mean nothing.
if [ "${MUTATE_ALL:-0}" = 1 ]; then
	base_tests=$all_tests
else
	base_tests=$(cut -f 3 "$sel" | tr ' ' '\n' | sort -u)
fi
if ! build $base_tests; then
	echo "mutate: the unmutated copy does not build; see $dir/logs/build.log"
	tail -n 20 "$dir/logs/build.log"
	exit 2
fi
base_tmo() {	# the shortest time-out a selected mutation running test $1 gives it
	awk -F '\t' -v t="$1" -v all="${MUTATE_ALL:-0}" -v d="${MUTATE_TIMEOUT:-120}" '
		{ n = split($3, ts, " "); hit = all == 1
		  for (i = 1; i <= n; i++) if (ts[i] == t) hit = 1
		  m = $4 != "" ? $4 : d
		  if (hit && (best == "" || m + 0 < best + 0)) best = m }
		END { print best == "" ? d : best }' "$sel"
}
# Each test within the shortest time-out it runs under: a time-out
# "kills" a mutation only if the unmutated test finishes within it.
for t in $base_tests; do
	tmo=$(base_tmo "$t")
	if ! run_test "$t" "$dir/logs/base-$t.log"; then
		echo "mutate: $t fails without any mutation within its $tmo s time-out ($dir/logs/base-$t.log); fix that first"
		exit 2
	fi
done
tb=$(date +%s)
echo "mutate: baseline built and passed in $((tb - t0)) s ($(echo $base_tests | wc -w) test binaries)"

killed=0; survived=0; broken=0; survivors=""
while IFS='	' read -r id file tests mtmo; do
	ts=$(date +%s)
	tmo=${mtmo:-${MUTATE_TIMEOUT:-120}}
	[ "${MUTATE_ALL:-0}" = 1 ] && tests=$all_tests
	mkdir -p "$dir/orig/$(dirname "$file")"
	cp -p "$tree/$file" "$dir/orig/$file"
	if ! $pl apply "$list" "$tree" "$id"; then
		broken=$((broken + 1)); res="cannot be applied"
	elif ! build $tests; then
		broken=$((broken + 1)); res="does not compile (see $dir/logs/build-$id.log)"
		cp "$dir/logs/build.log" "$dir/logs/build-$id.log"
	else
		res=""
		for t in $tests; do
			log=$dir/logs/$id-$t.log
			if ! run_test "$t" "$log"; then
				c=$(failed_case "$log")
				res="killed by $t${c:+ ($c)}"
				tail -n 1 "$log" | grep -qx 'mutate: exit status 124' && res="$res, timed out"
				break
			fi
		done
		if [ -n "$res" ]; then
			killed=$((killed + 1))
		else
			survived=$((survived + 1)); survivors="$survivors $id"; res="survived"
		fi
	fi
	# Restore: a new timestamp, so the next build recompiles the file.
	cp "$dir/orig/$file" "$tree/$file"
	touch "$tree/$file"
	printf '%-34s %s [%ss]\n' "$id" "$res" "$(( $(date +%s) - ts ))"
done < "$sel"

n=$((killed + survived + broken))
echo "mutate: $n mutations: $killed killed, $survived survived, $broken broken; $(( $(date +%s) - t0 )) s"
[ -n "$survivors" ] && echo "mutate: survivors:$survivors"
[ "$broken" -eq 0 ] || exit 2
[ "$survived" -eq 0 ]
