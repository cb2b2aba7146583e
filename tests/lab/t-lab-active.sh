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
assert_match "lb1's VI_1 reports, in order" "^BACKUP:real-server:ok MASTER:director:ok STOP:real-server:ok BACKUP:real-server:(ok|noop) MASTER:director:ok STOP:real-server:ok$" "$(events lb1 VI_1)"
# lb1 starts first: when lb2's first VI_2 advert comes after lb1's master-down timer (a loaded
# machine), keepalived makes lb1 MASTER of VI_2 until it does; then lvsrole must report that
# too. Taken from keepalived's log, never assumed.
pre=
[ "$(ka_entered lb1 VI_2 | cut -d' ' -f1-3)" = "BACKUP MASTER BACKUP" ] && pre="MASTER:director:ok BACKUP:real-server:ok "
echo "# lb1's keepalived, VI_2: $(ka_entered lb1 VI_2)"
assert_match "lb1's VI_2 reports, in order${pre:+ (with the startup MASTER keepalived logged)}" "^BACKUP:real-server:ok ${pre}STOP:real-server:noop BACKUP:real-server:noop STOP:real-server:noop$" "$(events lb1 VI_2)"
assert_match "lb2's VI_1 reports, in order" "^BACKUP:real-server:ok MASTER:director:ok BACKUP:real-server:ok MASTER:director:ok STOP:real-server:ok$" "$(events lb2 VI_1)"
assert_match "lb2's VI_2 reports, in order" "^BACKUP:real-server:ok MASTER:director:ok STOP:real-server:ok$" "$(events lb2 VI_2)"
assert_eq "every report signed; per balancer in seq order" True "$(reports_sound)"
assert_match "on the wire: every ARP with $VIP4 as sender and every NA for $VIP6 came from VI_1's director of the time" "^ok [0-9]+$" "$(wire_sound)"
assert_match "on the wire: every ARP with $VIP4B as sender and every NA for $VIP6B came from VI_2's director of the time" "^ok [0-9]+$" "$(wire_sound "$VIP4B" "$VIP6B" VI_2)"
finish
