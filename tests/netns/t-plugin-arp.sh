#!/bin/bash
# lvsrole-plugin on the wire (captured on the bridge): the announcement schedule after a
# takeover, the periodic refresh while directing, nothing once the role is left; ARP probes
# around the takeover, and a conflict found by them when another host holds the VIP.
. "$(dirname "$0")/lib.sh"
require_plugin
for t in arping tcpdump; do command -v $t >/dev/null || { echo "FAIL: $t not installed"; exit 99; }; done

mkswitch
A=$(attach a 1 10.9.0.11/24)
OTHER=$(attach o 2 10.9.0.13/24)
MAC_A=$(nsx "$A" cat /sys/class/net/eth0/address)
MAC_O=$(nsx "$OTHER" cat /sys/class/net/eth0/address)
C=$TMP/a.conf
M=$TMP/m.prom
F=$TMP/fifo
ANNOUNCE_COUNT=3 ANNOUNCE_MS=300 conf "$C" "$TMP/a.state" '"instances": { "VI_1": { "nic": "eth0",
	"vips": ["10.9.0.50/24", "2001:db8::50/64"] } },
	"plugin": { "announce_refresh_s": 1, "conflict_probe_ms": 200, "metrics_file": "'"$M"'" }'
send() { printf '%s\n' "$@" | python3 "$FIFOW" "$F" >/dev/null; }
garp="$MAC_A > ff:ff:ff:ff:ff:ff.*Request who-has 10\.9\.0\.50 \(ff:ff:ff:ff:ff:ff\) tell 10\.9\.0\.50,"
probe="$MAC_A > ff:ff:ff:ff:ff:ff.*Request who-has 10\.9\.0\.50 tell 0\.0\.0\.0,"
na="$MAC_A > 33:33:00:00:00:01.*neighbor advertisement.*tgt is 2001:db8::50"

plugin_start "$A" "$C" "$F"
send 'INSTANCE "VI_1" BACKUP 100'
sleep 0.3
td_start s1
t0=$(now)
send 'INSTANCE "VI_1" MASTER 100'
sleep 2.5
t1=$(now)
send 'INSTANCE "VI_1" BACKUP 100'
# "after leaving" counts from the VIP's move to lo, as the kernel shows it: until the plugin
# has read the line (a slow start of the FIFO writer delays it), it still directs and refreshes
until_true 5 eval '[ "$(addrs "$A" lo)" = "10.9.0.50/32 2001:db8::50/128[deprecated,nodad]" ]' >/dev/null
t2=$(now)
sleep 2.2
td_stop
n=$(count_before s1 "$t1" "$garp")
timing "director: 3 scheduled gratuitous ARPs (count 3) and 2 refreshes (every 1 s) in 2.5 s ($n)" &&
	assert_eq "director: 3 scheduled gratuitous ARPs (count 3) and 2 refreshes (every 1 s) in 2.5 s ($n)" yes "$([ "$n" -ge 5 ] && [ "$n" -le 6 ] && echo yes)"
gaps=$(td_read s1 | grep -E -- "$garp" | awk '{print $1}' | head -3 | awk 'NR > 1 { printf "%d ", ($1 - p) * 1000 } { p = $1 }')
assert_match "the schedule: 300 ms apart (${gaps}ms)" "^(2[5-9][0-9]|3[0-4][0-9]) (2[5-9][0-9]|3[0-4][0-9]) $" "$gaps"
n6=$(count_before s1 "$t1" "$na")
assert_eq "IPv6: the same number of unsolicited NAs" "$n" "$n6"
assert_eq "takeover: probed before and after (sender 0.0.0.0)" 2 "$(count_before s1 "$t1" "$probe")"
assert_eq "after leaving the role (VIP on lo): no announcement, no probe, no NA in 2 s" "0 0 0" \
	"$(count_after s1 "$t2" "$garp") $(count_after s1 "$t2" "$probe") $(count_after s1 "$t2" "$na")"
assert_eq "no conflict on a clean takeover" 0 "$(metric "$M" 'lvsrole_conflicts_total{instance="VI_1"}')"

# --- the director's NIC goes down and comes back: the announce schedule again (neighbours may
# have forgotten the VIP; what was sent meanwhile failed); the 1 s refresh alone sends one ---
send 'INSTANCE "VI_1" MASTER 100'
until_true 5 eval 'addrs "$A" eth0 | grep -q "10.9.0.50/24"' >/dev/null
sleep 1.5 # the takeover schedule is over
td_start s2
nsx "$A" ip link set eth0 down
sleep 0.5
t3=$(now)
nsx "$A" ip link set eth0 up
sleep 1
td_stop
n=$(td_read s2 | awk -v t="$t3" '$1 + 0 >= t + 0 && $1 + 0 < t + 0.75' | grep -Eic -- "$garp")
timing "NIC running again: the schedule (3, 300 ms apart) within 0.75 s" &&
	assert_eq "NIC running again: the schedule (3, 300 ms apart) within 0.75 s ($n)" yes "$([ "$n" -ge 3 ] && echo yes)"
send 'INSTANCE "VI_1" BACKUP 100'
until_true 5 eval 'addrs "$A" lo | grep -q "10.9.0.50/32"' >/dev/null

# --- another host holds the VIP and stays quiet: the takeover probes find it ---
nsx "$OTHER" ip addr add 10.9.0.50/24 dev eth0
send 'INSTANCE "VI_1" MASTER 100'
took=$(until_true 3 sh -c "grep -q 'lvsrole_conflicts_total{instance=\"VI_1\"} 1' $M")
assert_match "conflict found by the takeover probes (took $took)" "ms$" "$took"
assert_match "the log names both MACs" "VI_1: VIP CONFLICT: 10\.9\.0\.50 on eth0 is claimed by $MAC_O \(ARP reply\) while this host \($MAC_A\) is director" \
	"$(cat "$TMP/plugin.out")"
finish
