#!/bin/bash
# lvsrole-plugin on the wire (captured on the bridge): the announcement schedule after a
# takeover, the periodic refresh while directing, nothing once the role is left; the schedule
# again when the director's NIC runs again; ARP probes around the takeover, and a conflict
# found by them when another host holds the VIP.
. "$(dirname "$0")/lib.sh"
require_plugin
need arping tcpdump

mkswitch
A=$(attach a 1 10.9.0.11/24)
OTHER=$(attach o 2 10.9.0.13/24)
MAC_A=$(nsx "$A" cat /sys/class/net/eth0/address)
MAC_O=$(nsx "$OTHER" cat /sys/class/net/eth0/address)
C=$TMP/a.conf
M=$TMP/m.prom
F=$TMP/fifo
mkconf() { # REFRESH-SECONDS
	ANNOUNCE_COUNT=3 ANNOUNCE_MS=300 conf "$C" "$TMP/a.state" '"instances": { "VI_1": { "nic": "eth0",
	"vips": ["10.9.0.50/24", "2001:db8::50/64"] } },
	"plugin": { "announce_refresh_s": '"$1"', "conflict_probe_ms": 200, "metrics_file": "'"$M"'" }'
}
mkconf 1
send() { printf '%s\n' "$@" | python3 "$FIFOW" "$F" >/dev/null; }
# states_read N: the plugin has read (and so applied: the metrics follow the batch) N state lines
states_read() { [ "$(metric "$M" 'lvsrole_fifo_lines_total{kind="state"}')" = "$1" ]; }
on_lo() { [ "$(addrs "$A" lo)" = "10.9.0.50/32 2001:db8::50/128[deprecated,nodad]" ]; }
on_nic() { addrs "$A" eth0 | grep -q "10.9.0.50/24"; }
# gaps FILE REGEX FIRST LAST: the ms between the matching packets FIRST..LAST (1-based)
gaps() { td_read "$1" | grep -E -- "$2" | awk '{print $1}' | sed -n "$3,$4p" | awk 'NR > 1 { printf "%d ", ($1 - p) * 1000 } { p = $1 }' | sed 's/ $//'; }
# within LOW HIGH GAPS...: every gap in [LOW, HIGH] ms
within() { local lo=$1 hi=$2 g; shift 2; [ $# -gt 0 ] || return 1; for g in "$@"; do [ "$g" -ge "$lo" ] && [ "$g" -le "$hi" ] || return 1; done; }
garp="$MAC_A > ff:ff:ff:ff:ff:ff.*Request who-has 10\.9\.0\.50 \(ff:ff:ff:ff:ff:ff\) tell 10\.9\.0\.50,"
probe="$MAC_A > ff:ff:ff:ff:ff:ff.*Request who-has 10\.9\.0\.50 tell 0\.0\.0\.0,"
na="$MAC_A > 33:33:00:00:00:01.*neighbor advertisement.*tgt is 2001:db8::50"

plugin_start "$A" "$C" "$F"
P=$PLUGIN_PID
send 'INSTANCE "VI_1" BACKUP 100'
wait_for states_read 1
td_start s1
send 'INSTANCE "VI_1" MASTER 100'
# the schedule (3, 300 ms apart) and then the refresh (every 1 s): 5 GARPs whatever the pace
td_wait s1 5 "$garp"
send 'INSTANCE "VI_1" BACKUP 100'
# "after leaving" counts from the VIP's move to lo, as the kernel shows it
wait_for on_lo
t2=$(now)
observe 2.2
td_stop
n=$(count_before s1 "$t2" "$garp")
assert_eq "director: the schedule (3) and then refreshes: 5 gratuitous ARPs or more ($n)" yes "$([ "$n" -ge 5 ] && echo yes)"
# lower bounds hold on any machine (each repeat is planned from the one before); the upper
# bounds are ten times the interval
g=$(gaps s1 "$garp" 1 3)
assert_eq "the schedule: 300 ms apart, never sooner (${g} ms)" yes "$(within 250 3000 $g && echo yes)"
g=$(gaps s1 "$garp" 4 5)
assert_eq "the refresh: 1 s apart, never sooner (${g} ms)" yes "$(within 900 10000 $g && echo yes)"
assert_eq "IPv6: the same number of unsolicited NAs" "$n" "$(count_before s1 "$t2" "$na")"
assert_eq "takeover: probed before and after (sender 0.0.0.0)" 2 "$(count_before s1 "$t2" "$probe")"
assert_eq "after leaving the role (VIP on lo): no announcement, no probe, no NA in 2 s" "0 0 0" \
	"$(count_after s1 "$t2" "$garp") $(count_after s1 "$t2" "$probe") $(count_after s1 "$t2" "$na")"
assert_eq "no conflict on a clean takeover" 0 "$(metric "$M" 'lvsrole_conflicts_total{iname="VI_1"}')"

# --- the director's NIC goes down and comes back: the announce schedule again (neighbours may
# have forgotten the VIP; what was sent meanwhile failed). Without the refresh, nothing else
# would announce: the plugin restarted without it ---
plugin_reload "$P" "$F"
mkconf 0
plugin_start "$A" "$C" "$F"
P=$PLUGIN_PID
td_start s2
send 'INSTANCE "VI_1" MASTER 100'
wait_for on_nic
td_wait s2 3 "$garp" # the takeover's schedule is over
nsx "$A" ip link set eth0 down
# the plugin has seen it (it says so) before the link comes back
wait_for grep -q "VI_1: eth0 is not running" "$TMP/plugin.out"
t3=$(now)
nsx "$A" ip link set eth0 up
td_wait s2 3 "$garp" "$t3"
observe 1
td_stop
n=$(td_count s2 "$garp" "$t3")
assert_eq "NIC running again: the schedule, 3 gratuitous ARPs ($n)" 3 "$n"
g=$(gaps s2 "$garp" 4 6)
assert_eq "NIC running again: 300 ms apart, never sooner (${g} ms)" yes "$(within 250 3000 $g && echo yes)"
send 'INSTANCE "VI_1" BACKUP 100'
wait_for on_lo

# --- another host holds the VIP and stays quiet: the takeover probes find it ---
nsx "$OTHER" ip addr add 10.9.0.50/24 dev eth0
send 'INSTANCE "VI_1" MASTER 100'
took=$(until_true grep -q 'lvsrole_conflicts_total{iname="VI_1"} 1' "$M")
assert_match "conflict found by the takeover probes (took $took)" "ms$" "$took"
assert_match "the log names both MACs" "VI_1: VIP CONFLICT: 10\.9\.0\.50 on eth0 is claimed by $MAC_O \(ARP reply\) while this host \($MAC_A\) is director" \
	"$(cat "$TMP/plugin.out")"
finish
