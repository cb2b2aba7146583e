#!/bin/bash
# Three balancers (priorities 150, 100, 50): the director's keepalived is killed twice, each
# time the next one takes over; then the first comes back and preempts. The client sees one
# ARP owner and every balancer answering HTTP (the director spreads connections over all
# three) after each step. Here keepalived's notify hook runs lvsrole-notify, and lvsrole
# owns the NIC VIPs.
. "$(dirname "$0")/lab.sh"
require_plugin

lab_init 3
lab_conf lb1 notify lvsrole 150
lab_conf lb2 notify lvsrole 100
lab_conf lb3 notify lvsrole 50
lab_www
lab_dr || { echo "FAIL: nftables DR rules"; exit 99; }

lab_start lb1
lab_start lb2
lab_start lb3
step "startup" "director real-server real-server" lb1
lab_kill lb1
step "lb1 killed: lb2 directs" "real-server director real-server" lb2
lab_kill lb2
step "lb2 killed: lb3 directs" "real-server real-server director" lb3
lab_start lb1
step "lb1 back: it preempts" "director real-server real-server" lb1
lab_stop lb3
lab_stop lb1
step "stopped: nobody directs" "real-server real-server real-server" ""
lab_settle
for lb in lb1 lb2 lb3; do echo "# $lb: $(events $lb) (keepalived entered: $(ka_entered $lb))"; done
# each balancer reported every state its keepalived entered, in keepalived's order, with the
# role it maps to: the scenario's (lb2: BACKUP MASTER), and any flap a busy machine adds (a
# last advertisement of the killed director read after the takeover: MASTER BACKUP MASTER)
for lb in lb1 lb2 lb3; do
	assert_eq "$lb's reports: the states its keepalived entered, in order" "$(entered_states $lb)" "$(reported_states $lb)"
done
assert_match "the scenario: lb1 BACKUP MASTER twice, lb2 and lb3 took over in turn" \
	"^BACKUP MASTER( BACKUP MASTER)* BACKUP MASTER( BACKUP MASTER)*; BACKUP MASTER( BACKUP MASTER)*; BACKUP MASTER( BACKUP MASTER)* BACKUP$" \
	"$(ka_entered lb1); $(ka_entered lb2); $(ka_entered lb3)"
assert_eq "a STOP reported at each stop or kill (lb1 twice), the last of each" "2 STOP 1 STOP 1 STOP" \
	"$(stops_reported lb1) $(stops_reported lb2) $(stops_reported lb3)"
assert_eq "every report's result ok or noop (superseded: overtaken by a flap)" "" "$(results_sound lb1:VI_1 lb2:VI_1 lb3:VI_1)"
assert_eq "every report signed; per balancer in seq order" True "$(reports_sound)"
assert_match "on the wire: every ARP with $VIP4 as sender and every NA for $VIP6 came from the director of the time" "^ok [0-9]+$" "$(wire_sound)"
finish
