#!/bin/bash
# A sync group: VI_1 ($VIP4, $VIP6) and VI_2 ($VIP4B, $VIP6B) are the members of keepalived's
# vrrp_sync_group SG_1, and lvsrole switches the group as one unit with all four VIPs (the
# members are not in lvsrole.conf), keepalived owning the NIC VIPs (the members'
# virtual_ipaddress), as conf-examples/keepalived-active-active.conf does for SG_DB. Both
# ways a group reaches lvsrole, one per balancer: lb1 runs the plugin (keepalived's FIFO:
# "GROUP "SG_1" STATE 0", the members' own lines logged and skipped), lb2 has the group's
# notify hook (argv "GROUP SG_1 STATE 0"). Startup; one member's track script fails on lb1
# (VI_2 FAULT, and keepalived takes the whole group there: lb2 directs both VIPs); it
# recovers (lb1 preempts); lb1's keepalived killed and started again; stop.
. "$(dirname "$0")/lab.sh"
require_plugin

LAB_GROUP=SG_1
lab_init 2
lab_conf lb1 plugin keepalived 150 150
lab_conf lb2 notify keepalived 100 100
lab_www
lab_dr || { echo "FAIL: nftables DR rules"; exit 99; }

lab_start lb1
lab_start lb2
step2 "startup" "director real-server / director real-server" lb1 lb1
touch "$TMP/lb1/fail"
step2 "VI_2's track script fails on lb1: the group FAULTs there, lb2 directs both" \
	"real-server director / real-server director" lb2 lb2
await "lb1 recorded the group's FAULT" FAULT state_field "$TMP/lb1/state" SG_1 state
rm -f "$TMP/lb1/fail"
step2 "VI_2's track script recovers: lb1 preempts with the whole group" \
	"director real-server / director real-server" lb1 lb1
lab_kill lb1
step2 "lb1's keepalived killed: lb2 directs both" "real-server director / real-server director" lb2 lb2
lab_start lb1
step2 "lb1 back: it preempts" "director real-server / director real-server" lb1 lb1
pair_stop
e1=$(sed -E 's/(FAULT:real-server:ok)( FAULT:real-server:(ok|noop))+/\1/g' <<<"$(events lb1 SG_1)")
e2=$(events lb2 SG_1)
echo "# lb1 SG_1: $e1"
echo "# lb2 SG_1: $e2"
assert_match "lb1's group reports, in order" "^BACKUP:real-server:ok MASTER:director:ok FAULT:real-server:ok BACKUP:real-server:(ok|noop) MASTER:director:ok STOP:real-server:ok BACKUP:real-server:(ok|noop) MASTER:director:ok STOP:real-server:ok$" "$e1"
assert_match "lb2's group reports, in order" "^BACKUP:real-server:ok MASTER:director:ok BACKUP:real-server:ok MASTER:director:ok BACKUP:real-server:ok STOP:real-server:(ok|noop)$" "$e2"
assert_eq "no report names a member (VI_1, VI_2: not in lvsrole.conf)" 0 \
	"$(rq r 'len([x for x in R if x["B"]["type"] == "lvsrole.transition" and x["B"]["data"]["name"] != "SG_1"])')"
assert_eq "every report signed; per balancer in seq order" True "$(reports_sound)"
assert_match "on the wire: every ARP with $VIP4 as sender and every NA for $VIP6 came from the group's director of the time" \
	"^ok [0-9]+$" "$(wire_sound "$VIP4" "$VIP6" SG_1)"
assert_match "on the wire: every ARP with $VIP4B as sender and every NA for $VIP6B came from the group's director of the time" \
	"^ok [0-9]+$" "$(wire_sound "$VIP4B" "$VIP6B" SG_1)"
finish
