#!/bin/bash
# The benchmark keeps working: `tests/bench/run quick` (two pairs of every series, 1 and 64
# VIPs, a short plugin feed) exits 0 and prints every table with figures in it, and a verdict
# for every goal. The figures themselves are `make bench`'s business, not a test's.
. "$(dirname "$0")/lib.sh"
require_netns
require_plugin
out=$(LR_BENCH_SIZES="1 64" LR_BENCH_KEEP=$TMP/keep bash "$LR_SRCDIR/tests/bench/run" quick 2>&1)
rc=$?
assert_eq "the quick benchmark exits 0" 0 "$rc"
[ "$rc" = 0 ] || echo "$out" | tail -20 | sed 's/^/# /'
for n in 1 64; do
	for d in "to director" "to real server"; do
		assert_match "switch latency, $n VIP(s), $d: floor, notify, shell and both ratios" \
			"\| $n \| $d \| [0-9.]+ \[[^|]*\| ([0-9.]+ \[[^|]*|-) \| [0-9.]+ \[[^|]*\| [0-9.]+ \[[^|]*\| [0-9.]+x \| ([0-9.]+x|-) \| [0-9.]+x \|" "$out"
	done
	# every VIP's GARP left the NIC in every run (the kernel's packet tap saw it); the delay
	# per VIP needs the spinning watcher of a full run, a quick run may pair none
	assert_match "first GARP measured and every VIP's GARP on the wire, $n VIP(s)" \
		"\| $n \| lvsrole-notify \| [0-9.]+ \[[^|]*\| [^|]+\| [^|]+\| $n of $n \|" "$out"
done
for w in "none configured" "up (204 at once)" "down (connection refused)" "slow (answers after 2 s)" "never answers"; do
	assert_match "webhook endpoint $w: figures" "\| ${w//[()]/.} \| [0-9.]+ \[" "$out"
done
assert_match "plugin FIFO lines per second" "\*\*[0-9]+ lines/s\*\*, none lost" "$out"
assert_match "plugin deliveries per second and latency" "Delivery: 201 reports .* \*\*[0-9]+ reports/s\*\* over [0-9]+ connection.* p50 [0-9.]+ ms, p99 [0-9.]+ ms" "$out"
assert_match "plugin delivery rate once delivering" "from then on reports arrived at \*\*[0-9]+ reports/s\*\*, one request in flight" "$out"
assert_match "peak memory of the plugin" "\| lvsrole-plugin, delivery run \| [0-9]+ \|" "$out"
assert_match "the floor with GARPs to director, 64 VIPs" "\| 64 \| to director \| [0-9.]+ \[[^|]*\| [0-9.]+ \[[^|]*\|" "$out"
assert_eq "a verdict for every goal (2 ratios x 2 directions, the floor with GARPs, 6 webhook cases, 2 GARP sizes)" 13 \
	"$(grep -Ec '^- (met|MISSED|not measured) ' <<<"$out")"
finish
