#!/bin/bash
# Failover on real IPVS (tests/README.md, "Real IPVS"): the two-box pair with keepalived's
# `virtual_server fwmark 1` and lvsrole's loop guard, through every break: keepalived killed,
# stopped (SIGTERM: priority 0), the link down (FAULT), and each failback. A client opens a
# new connection every 20 ms throughout; after each break it is served again, the director
# balances over both boxes and the real server balances nothing. The client's longest gap per
# break is printed (doc/ipvs.md has the figures).
. "$(dirname "$0")/lab-ipvs.sh"
ipvs_vm plugin

require_netns
require_plugin

link() { nsx "${TAG}$1" ip link set eth0 "$2"; }

plugin() {
	ipvs_pair plugin lvsrole
	loop_free "startup" lb1 lb2
	gap_of "lb1 killed" "real-server director" lab_kill lb1
	loop_free "lb1 killed" lb2 lb1
	gap_of "lb1 back (failback)" "director real-server" lab_start lb1
	wait_for ipvs_loaded lb1 2
	loop_free "lb1 back" lb1 lb2
	gap_of "lb1 stopped (SIGTERM)" "real-server director" lab_stop lb1
	loop_free "lb1 stopped" lb2 lb1
	gap_of "lb1 started (failback)" "director real-server" lab_start lb1
	wait_for ipvs_loaded lb1 2
	loop_free "lb1 started" lb1 lb2
	gap_of "lb1's link down (FAULT)" "real-server director" link lb1 down
	gap_of "lb1's link up (failback)" "director real-server" link lb1 up
	wait_for ipvs_loaded lb1 2 && wait_for ipvs_loaded lb2 2
	loop_free "lb1's link back" lb1 lb2
	echo "# longest gaps (ms): $(paste -sd ',' "$TMP/gaps" | sed 's/,/, /g')"
	pair_stop
	results_sound lb1:VI_1 lb2:VI_1 | sed 's/^/# unexpected result: /'
	assert_eq "every transition ok, noop or superseded" "" "$(results_sound lb1:VI_1 lb2:VI_1)"
}

"$LR_IPVS_PART"
finish
