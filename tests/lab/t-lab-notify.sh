#!/bin/bash
# The two-box lab with keepalived's generic notify hook calling lvsrole-notify, and
# keepalived owning the NIC VIPs (virtual_ipaddress, IPv6 in virtual_ipaddress_excluded):
# startup, failover (the master's keepalived killed), failback, FAULT, a priority change by
# a track script, keepalived reloads (without and with a change), stop. The same
# checks as t-lab-plugin: kernel roles, the client's ARP/NS owner and HTTP over both
# families, the wire, and the reports.
. "$(dirname "$0")/lab.sh"
require_plugin

lab_pair notify keepalived
kill_failover
lab_start lb1
step "failback (preempt)" "director real-server" lb1
fault_failover
assert_eq "FAULT: lb1 in the real-server role" real-server "$(role lb1)"
nsx "${TAG}lb1" ip link set eth0 up
step "lb1's interface back" "director real-server" lb1
touch "$TMP/lb1/demote"
step "priority change (lb1's track script fails: 150 - 100 < 100)" "real-server director" lb2
rm -f "$TMP/lb1/demote"
step "priority restored (preempt)" "director real-server" lb1
drained
n=$(ids)
lab_reload lb2
# what must not happen (a transition, a notify, a report) would have by now: adverts are 1 s
observe 3
assert_eq "reload without change: roles as they were" "director real-server" "$(roles)"
assert_eq "reload without change: no transition reported" "$n" "$(ids)"
sed -i 's/priority 100$/priority 200/' "$TMP/lb2/keepalived.conf"
lab_reload lb2
step "reload with lb2 at priority 200" "real-server director" lb2
pair_stop
e1=$(sed -E 's/(FAULT:real-server:ok)( FAULT:real-server:(ok|noop))+/\1/g' <<<"$(events lb1)")
e2=$(events lb2)
echo "# lb1: $e1"
echo "# lb2: $e2"
assert_match "lb1's reports, in order" "^BACKUP:real-server:ok MASTER:director:ok STOP:real-server:ok BACKUP:real-server:(ok|noop) MASTER:director:ok FAULT:real-server:ok BACKUP:real-server:(ok|noop) MASTER:director:ok( BACKUP:real-server:ok MASTER:director:ok)? BACKUP:real-server:ok MASTER:director:ok BACKUP:real-server:ok MASTER:director:ok STOP:real-server:ok$" "$e1"
assert_match "lb2's reports, in order" "^BACKUP:real-server:ok MASTER:director:ok BACKUP:real-server:ok MASTER:director:ok BACKUP:real-server:ok( MASTER:director:ok BACKUP:real-server:ok)? MASTER:director:ok BACKUP:real-server:ok MASTER:director:ok STOP:real-server:ok$" "$e2"
assert_eq "every report signed; per balancer in seq order" True "$(reports_sound)"
assert_match "on the wire: every ARP with $VIP4 as sender and every NA for $VIP6 came from the director of the time" "^ok [0-9]+$" "$(wire_sound)"
finish
