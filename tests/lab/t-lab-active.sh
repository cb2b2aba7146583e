#!/bin/bash
# The active-active pair: VI_1 directed by lb1, VI_2 by lb2, each balancer serving the
# other's VIP as a real server at the same time (the ARP sysctls stay raised on both). Then
# lb1's keepalived is killed (lb2 directs both), and started again (the split comes back).
# Here the plugin with keepalived owning the NIC VIPs (virtual_ipaddress).
. "$(dirname "$0")/lab.sh"
require_plugin

lab_init 2
lab_conf lb1 plugin keepalived 150 100
lab_conf lb2 plugin keepalived 100 150
lab_www
lab_dr || { echo "FAIL: nftables DR rules"; exit 99; }

lab_start lb1
lab_start lb2
step2 "startup" "director real-server / real-server director" lb1 lb2
assert_eq "both hosts keep the real-server ARP sysctls (each serves the other's VIP)" "all=1/2 all=1/2" \
	"$(sysctls "${TAG}lb1" all) $(sysctls "${TAG}lb2" all)"
lab_kill lb1
step2 "lb1's keepalived killed: lb2 directs both" "real-server director / real-server director" lb2 lb2
lab_start lb1
step2 "lb1 back: the split again" "director real-server / real-server director" lb1 lb2
lab_stop lb1
lab_stop lb2
lab_settle
for lb in lb1 lb2; do
	for vi in VI_1 VI_2; do
		echo "# $lb $vi: $(events $lb $vi)"
	done
done
# every state each keepalived entered for each instance reported, in its order, with its role
# (a loaded machine can make keepalived flap: lb1 MASTER of VI_2 at startup, until lb2's first
# advertisement comes; the reports must show what keepalived did, never an assumption)
for lb in lb1 lb2; do
	for vi in VI_1 VI_2; do
		echo "# $lb's keepalived, $vi: $(ka_entered $lb $vi)"
		assert_eq "$lb's $vi reports: the states its keepalived entered, in order" "$(entered_states $lb $vi)" "$(reported_states $lb $vi)"
	done
done
assert_match "the scenario: lb1 directs VI_1 twice, lb2 VI_1 while lb1 is gone (killed, then stopped), lb2 VI_2 throughout" \
	"^BACKUP MASTER( BACKUP MASTER)+; BACKUP MASTER( BACKUP MASTER)+; BACKUP MASTER( BACKUP MASTER)*$" \
	"$(ka_entered lb1 VI_1); $(ka_entered lb2 VI_1); $(ka_entered lb2 VI_2)"
assert_eq "a STOP reported for each instance at each stop or kill, the last of each" "2 STOP 2 STOP 1 STOP 1 STOP" \
	"$(stops_reported lb1 VI_1) $(stops_reported lb1 VI_2) $(stops_reported lb2 VI_1) $(stops_reported lb2 VI_2)"
assert_eq "every report's result ok or noop (superseded: overtaken by a flap)" "" \
	"$(results_sound lb1:VI_1 lb1:VI_2 lb2:VI_1 lb2:VI_2)"
assert_eq "every report signed; per balancer in seq order" True "$(reports_sound)"
assert_match "on the wire: every ARP with $VIP4 as sender and every NA for $VIP6 came from VI_1's director of the time" "^ok [0-9]+$" "$(wire_sound)"
assert_match "on the wire: every ARP with $VIP4B as sender and every NA for $VIP6B came from VI_2's director of the time" "^ok [0-9]+$" "$(wire_sound "$VIP4B" "$VIP6B" VI_2)"
finish
