#!/bin/bash
# Every fuzz target runs its seed corpus and every regression case (a crash the fuzzer found,
# kept once fixed) without a crash, a sanitizer report or a broken invariant: in every build,
# the plain one through the replay driver, the libFuzzer one with -runs=0.
set -u
SRC=${LR_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${LR_BUILDDIR:-$SRC/build}
pass=0 fail=0
for t in conf cli fifo spool http; do
	dirs=()
	for d in "$SRC/tests/fuzz/corpus/$t" "$SRC/tests/fuzz/regress/$t"; do
		[ -d "$d" ] && dirs+=("$d")
	done
	[ "$t" = conf ] && dirs+=("$SRC/conf-examples")
	n=$(find "${dirs[@]}" -maxdepth 1 -type f ! -name '.*' | wc -l)
	if out=$("$B/tests/fuzz/fuzz-$t" -runs=0 "${dirs[@]}" 2>&1); then
		pass=$((pass + 1)); echo "ok - fuzz-$t: $n input(s) (seed corpus and regression cases)"
	else
		fail=$((fail + 1)); echo "not ok - fuzz-$t: $(tail -20 <<<"$out")"
	fi
done
echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" = 0 ]
