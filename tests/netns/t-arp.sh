#!/bin/bash
# ARP truth, seen from another namespace on the same bridge: a real server never answers or
# announces the VIP; a director answers with its MAC and announces at once; repeated
# announcements stop when the host leaves the director role.
. "$(dirname "$0")/lib.sh"
require_netns
need arping tcpdump

mkswitch
H=$(attach h 1 10.9.0.11/24)
CL=$(attach c 2 10.9.0.99/24)
nsx "$CL" ip addr add 2001:db8::99/64 dev eth0 nodad
HMAC=$(nsx "$H" cat /sys/class/net/eth0/address)
C=$TMP/h.conf
ANNOUNCE_COUNT=3 ANNOUNCE_MS=300 conf "$C" "$TMP/h.state" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24", "2001:db8::50/64"] } }'

GARP="^[0-9.]+ $HMAC .*Request who-has 10\.9\.0\.50 .*tell 10\.9\.0\.50,"
NA="^[0-9.]+ $HMAC .*neighbor advertisement.*tgt is 2001:db8::50, Flags \[override\]"
VIP_SENDER="tell 10\.9\.0\.50,|Reply 10\.9\.0\.50 is-at"

# --- real-server role ---
lr "$H" "$C" INSTANCE VI_1 BACKUP 100
td_start rs
nsx "$CL" arping -c 2 -w 3 -I eth0 10.9.0.50 >"$TMP/arping.out" 2>&1
RS_ARPING=$?
nsx "$H" ip neigh flush all
nsx "$H" ping -c 1 -W 1 -I 10.9.0.50 10.9.0.99 >/dev/null 2>&1
td_wait rs 1 "^[0-9.]+ $HMAC .*Request who-has 10\.9\.0\.99"
td_stop
assert_eq "real server: arping gets no reply" "1" "$RS_ARPING"
assert_match "real server: arping saw 0 responses" "Received 0 response" "$(cat "$TMP/arping.out")"
assert_eq "real server: the host did send its own ARP requests" "yes" "$([ "$(td_read rs | grep -Ec "^[0-9.]+ $HMAC .*Request who-has 10\.9\.0\.99")" -ge 1 ] && echo yes || echo no)"
assert_eq "real server: no ARP from the host carries the VIP as sender" 0 "$(td_read rs | grep -E "^[0-9.]+ $HMAC " | grep -Ec "$VIP_SENDER")"
assert_eq "real server: no unsolicited NA for the VIP" 0 "$(td_read rs | grep -Eic "$NA")"

# control: the same host with the sysctls at 0 answers ARP for the VIP on lo (the LVS-DR bug),
# so the checks above can fail
setsys "$H" all arp_ignore 0; setsys "$H" all arp_announce 0; setsys "$H" eth0 arp_ignore 0; setsys "$H" eth0 arp_announce 0
nsx "$CL" arping -c 1 -w 2 -I eth0 10.9.0.50 >/dev/null 2>&1
assert_eq "control: with sysctls at 0 the real server would answer" 0 $?
lr "$H" "$C" INSTANCE VI_1 BACKUP 100   # converge back

# --- director role: announced at once, answers with its MAC ---
td_start dir
T0=$(now)
lr "$H" "$C" INSTANCE VI_1 MASTER 100
T1=$(now)
# the repeats come from the announcement child; once it has gone, nothing more is sent
td_wait dir 3 "$GARP"
td_wait dir 3 "$NA"
quiet "$C"
nsx "$CL" arping -c 1 -w 2 -I eth0 10.9.0.50 >"$TMP/arping.out" 2>&1
DIR_ARPING=$?
nsx "$CL" ping -6 -c 1 -W 2 2001:db8::50 >/dev/null 2>&1
DIR_PING6=$?
td_stop
assert_eq "director: arping gets a reply" 0 "$DIR_ARPING"
assert_match "director: the reply comes from the host's MAC" "$(echo "$HMAC" | tr a-f A-F)" "$(tr a-f A-F <"$TMP/arping.out")"
assert_eq "director: the first gratuitous ARP went out during the switch" 1 "$(td_read dir | grep -E "$GARP" | head -1 | awk -v a="$T0" -v b="$T1" '{print ($1 >= a && $1 <= b) ? 1 : 0}')"
assert_eq "director: gratuitous ARPs (count 3)" 3 "$(td_read dir | grep -Ec "$GARP")"
assert_eq "director: unsolicited NAs with Override (count 3)" 3 "$(td_read dir | grep -Eic "$NA")"
assert_eq "director: IPv6 VIP answers" 0 "$DIR_PING6"
assert_match "director: client's neighbour entry for the IPv6 VIP is the host's MAC" "lladdr $HMAC" "$(ip -n "$CL" -6 neigh show 2001:db8::50)"

# --- leaving the director role cancels the announcements still pending ---
lr "$H" "$C" INSTANCE VI_1 BACKUP 100
td_start cancel
lr "$H" "$C" INSTANCE VI_1 MASTER 100
lr "$H" "$C" INSTANCE VI_1 BACKUP 100
T2=$(now)
# the director run announced once itself; its child checks the recorded role (under the
# switch lock) before each repeat, finds the real server and leaves
td_wait cancel 1 "$GARP"
quiet "$C"
td_stop
assert_eq "cancel: announced while director" yes "$([ "$(count_before cancel "$T2" "$GARP")" -ge 1 ] && echo yes || echo no)"
assert_eq "cancel: no gratuitous ARP after leaving the director role" 0 "$(count_after cancel "$T2" "$GARP")"
assert_eq "cancel: no NA after leaving the director role" 0 "$(count_after cancel "$T2" "$NA")"
assert_eq "cancel: no ARP with the VIP as sender after leaving" 0 "$(td_read cancel | awk -v t="$T2" '$1 + 0 >= t + 0' | grep -E "^[0-9.]+ $HMAC " | grep -Ec "$VIP_SENDER")"
nsx "$CL" arping -c 1 -w 2 -I eth0 10.9.0.50 >/dev/null 2>&1
assert_eq "cancel: back in the real-server role, no ARP reply" 1 $?

# --- an older event that applies a newer director event on its behalf (the newer run was
# killed while waiting for the lock) sends every announcement, not just the first ---
lr "$H" "$C" INSTANCE VI_1 BACKUP 100
td_start behalf
overtaken "$H" "$C" "$TMP/h.state" BACKUP MASTER /dev/null
td_wait behalf 3 "$GARP"
quiet "$C"
td_stop
assert_eq "on behalf: director applied" "10.9.0.11/24 10.9.0.50/24 2001:db8::50/64[deprecated,nodad]" "$(addrs "$H" eth0)"
assert_eq "on behalf: all 3 gratuitous ARPs" 3 "$(td_read behalf | grep -Ec "$GARP")"

# --- a first announcement that fails (the NIC down at the switch) does not cancel the
# repeats: they exist for exactly that; and a repeat goes out only for a VIP the NIC holds ---
lr "$H" "$C" INSTANCE VI_1 BACKUP 100
C3=$TMP/h3.conf
# ten repeats a second apart: the NIC is up long before the last
ANNOUNCE_COUNT=11 ANNOUNCE_MS=1000 conf "$C3" "$TMP/h.state" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24", "2001:db8::50/64"] } }'
td_start down
ip -n "$H" link set eth0 down
lr "$H" "$C3" INSTANCE VI_1 MASTER 100
assert_eq "NIC down at the switch: partial, the first announcement failed (exit 1)" 1 $?
assert_eq "NIC down at the switch: recorded partial" partial "$(state_field "$TMP/h.state" VI_1 result)"
assert_eq "NIC down at the switch: the VIPs are on it" "10.9.0.11/24 10.9.0.50/24 2001:db8::50/64[deprecated,nodad]" "$(addrs "$H" eth0)"
ip -n "$H" link set eth0 up
td_wait down 2 "$GARP"
assert_eq "NIC down at the switch: the repeats reach the network once it is up" yes \
	"$(td_reached down 2 "$GARP" && echo yes || echo no)"
lr "$H" "$C3" INSTANCE VI_1 BACKUP 100
quiet "$C3"
# the VIP taken off the NIC by someone else: the repeats stop for it (the NIC lacks it), the
# other VIP's go on
lr "$H" "$C3" INSTANCE VI_1 MASTER 100
ip -n "$H" addr del 10.9.0.50/24 dev eth0
T3=$(now)
N6=$(td_count down "$NA" "$T3")
td_wait down $((N6 + 2)) "$NA" "$T3"
assert_eq "a VIP the NIC lost: no repeat for it after two rounds of the other's" 0 "$(count_after down "$T3" "$GARP")"
lr "$H" "$C3" INSTANCE VI_1 BACKUP 100
quiet "$C3"
td_stop

# --- op both: a request and a reply each time ---
lr "$H" "$C" INSTANCE VI_1 BACKUP 100
C2=$TMP/h2.conf
cat >"$C2" <<EOC
{ "state_dir": "$TMP/h.state", "announce": { "count": 1, "op": "both" },
  "instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24", "2001:db8::50/64"] } } }
EOC
td_start both
lr "$H" "$C2" INSTANCE VI_1 MASTER 100
td_wait both 1 "$GARP"
td_wait both 1 "^[0-9.]+ $HMAC .*Reply 10\.9\.0\.50 is-at"
quiet "$C2"
td_stop
assert_eq "op both: one request" 1 "$(td_read both | grep -Ec "$GARP")"
assert_eq "op both: one reply" 1 "$(td_read both | grep -Ec "^[0-9.]+ $HMAC .*Reply 10\.9\.0\.50 is-at")"
finish
