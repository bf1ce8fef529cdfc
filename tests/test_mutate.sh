#!/bin/sh
# The mutation runner's self-test (make check; make mutate is the long form):
#  - every mutation of tools/mutate/mutations.txt still applies (its
#    original text is found exactly once), so the list follows the code;
#  - on tools/mutate/selftest.txt the runner reports the real mutations
#    killed by their tests (one of the vmkit tool, seen by a test that
#    runs the binary), the no-op one survived, and exits 1;
#  - on tools/mutate/selftest-timeout.txt (a no-op whose time-out is
#    shorter than its test needs) the baseline fails (exit 2) instead of
#    the no-op being reported killed by the time-out.
# It copies the tree and the plain build into $VMKIT_BUILD_DIR/mutate-selftest.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
build=${VMKIT_BUILD_DIR:-$root/build}
fail=0
sh "$root/tools/mutate/run.sh" --check || { echo "test_mutate: the mutation list no longer applies"; exit 1; }
out=$(MUTATE_LIST=tools/mutate/selftest.txt MUTATE_DIR="$build/mutate-selftest" MUTATE_JOBS=2 \
	sh "$root/tools/mutate/run.sh" 2>&1)
st=$?
echo "$out"
echo "$out" | grep -q '^selftest-killed  *killed by test_lib (' || { echo "test_mutate: selftest-killed not killed"; fail=1; }
echo "$out" | grep -q '^selftest-noop  *survived' || { echo "test_mutate: selftest-noop not reported as survived"; fail=1; }
echo "$out" | grep -q '^selftest-tool-killed  *killed by test_memmap_large (' ||
	{ echo "test_mutate: selftest-tool-killed not killed (the vmkit binary a test runs was not rebuilt)"; fail=1; }
echo "$out" | grep -q '^mutate: 3 mutations: 2 killed, 1 survived, 0 broken' || { echo "test_mutate: wrong summary"; fail=1; }
[ "$st" -eq 1 ] || { echo "test_mutate: exit status $st, expected 1 (a survivor)"; fail=1; }
# A time-out shorter than the unmutated test needs stops the run at the
# baseline (exit 2) rather than reporting a no-op mutation killed.
out=$(MUTATE_LIST=tools/mutate/selftest-timeout.txt MUTATE_DIR="$build/mutate-selftest" MUTATE_JOBS=2 \
	sh "$root/tools/mutate/run.sh" 2>&1)
st=$?
echo "$out"
echo "$out" | grep -q '^mutate: test_stress fails without any mutation within its 1 s time-out' ||
	{ echo "test_mutate: the baseline did not run test_stress under the mutation's time-out"; fail=1; }
echo "$out" | grep -q 'killed' && { echo "test_mutate: a no-op mutation was reported killed"; fail=1; }
[ "$st" -eq 2 ] || { echo "test_mutate: exit status $st with a baseline failing, expected 2"; fail=1; }
# The working tree was not touched.
grep -q '	if (n < 2)$' "$root/src/lib/sort.c" || { echo "test_mutate: the working tree was modified"; fail=1; }
rm -rf "$build/mutate-selftest"
[ "$fail" -eq 0 ] && echo "test_mutate: ok"
exit "$fail"
