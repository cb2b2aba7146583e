#!/bin/bash
# The two-box loop on real IPVS (tests/README.md, "Real IPVS"). Part "control" shows the
# failure the loop guard prevents: two balancers, each a director and a real server, with
# keepalived's stock virtual_server VIP:port on both and no guard; the director forwards a
# connection to the real server, whose IPVS balances it again. Part "fwmark": the same pair
# with `virtual_server fwmark 1` and lvsrole's loop guard "fwmark": whichever box is the real
# server, with its checker's service loaded, it serves what the director forwards itself.
# Part "backup_only": keepalived's stock virtual_server VIP:port with its sync daemons
# (lvs_sync_daemon) and lvsrole's loop guard "backup_only". Part "active": active-active,
# VI_1 directed by lb1 and VI_2 by lb2 (fwmark 1 and 2), each loop-free, also while one box
# directs both. Part "tun": LVS-TUN (lb_kind TUN, the real server's VIP on tunl0) with the
# loop guard "fwmark", and what TUN needs that DR does not: tunl0 up, and reverse-path
# filtering that lets the unwrapped packets in (lvsrole warns; the operator sets it).
. "$(dirname "$0")/lab-ipvs.sh"
ipvs_vm control fwmark backup_only active tun

require_netns
require_plugin

# both CMD SEP: CMD lb1, SEP, CMD lb2
both() { echo "$($1 lb1)$2$($1 lb2)"; }

control() {
	local out s12 s21 n2
	lab_init 2
	lab_conf lb1 plugin lvsrole 150
	lab_conf lb2 plugin lvsrole 100
	ipvs_start vip
	assert_eq "both checkers loaded $VIP4:$LAB_PORT with both real servers" "2 2" \
		"$(ipvs_services lb1 | wc -l) $(ipvs_services lb2 | wc -l)"
	# the risk, as lvsrole tells it: status, check, the plugin's report and metric
	assert_eq "status names the loop risk on both" "TCP 10.9.0.50:8080 / TCP 10.9.0.50:8080" \
		"$(loop_risk_of lb1) / $(loop_risk_of lb2)"
	nsx "${TAG}lb2" "$NOTIFY" -c "$TMP/lb2/lvsrole.conf" check >/dev/null 2>"$TMP/check.err"
	assert_match "check warns of it" "VI_1: the IPVS service TCP 10.9.0.50:8080 is a VIP of VI_1, which has no loop guard" \
		"$(cat "$TMP/check.err")"
	await "each plugin reported it once (lvsrole.ipvs_loop_risk)" "TCP 10.9.0.50:8080 / TCP 10.9.0.50:8080" \
		both loop_risk_reports " / "
	await "each plugin's metric lvsrole_ipvs_loop_risk is 1" "1 1" both loop_risk_metric " "
	syn_start
	conns 10 "$VIP4" 3
	out=$(cat "$TMP/conns.txt")
	n2=$(grep -c ' lb2$' <<<"$out")
	# what the test claims, waited for (the capture may lag behind the client)
	looped() { syn_seen lb2 lb1 1 && syn_seen lb1 lb2 $((n2 + 1)); }
	wait_for looped
	syn_stop
	s12=$(syn_between lb1 lb2) s21=$(syn_between lb2 lb1)
	echo "# no guard: 10 connections answered as [$(awk '{ print $2 }' <<<"$out" | sort | uniq -c | awk '{ printf "%s%s:%s", (NR > 1 ? " " : ""), $2, $1 }')]; SYNs lb1->lb2: $s12, lb2->lb1: $s21"
	assert_eq "the loop is seen: the real server lb2 sent SYNs back to the director lb1" yes \
		"$([ "$s21" -gt 0 ] && echo yes)"
	assert_eq "the loop is seen: more SYNs crossed from lb1 to lb2 than lb2 answered connections ($n2)" yes \
		"$([ "$s12" -gt "$n2" ] && echo yes)"
	pair_stop
}

# both_ways: lb1 directs, loop-free; lb1's keepalived stopped: lb2 directs, loop-free; lb1
# started again (it preempts): lb1 directs, loop-free; no loop risk on either
both_ways() {
	loop_free "lb1 directs" lb1 lb2
	lab_stop lb1
	await "lb1's keepalived stopped: roles" "real-server director" roles
	loop_free "lb2 directs" lb2 lb1
	lab_start lb1
	await "lb1 back (preempts): roles" "director real-server" roles
	wait_for ipvs_loaded lb1 2
	loop_free "lb1 directs again" lb1 lb2
	assert_eq "no loop risk: status of both, each plugin's metric" "none none 0 0" \
		"$(loop_risk_of lb1) $(loop_risk_of lb2) $(loop_risk_metric lb1) $(loop_risk_metric lb2)"
}

# guard_repairs LB: the lvsrole.drift reports of LB that put the guard's rules back
guard_repairs() {
	rq r 'len([x for x in R if x["path"] == "/'"$1"'" and x["B"]["type"] == "lvsrole.drift" and any(c["op"] == "fwmark" and c["result"] == "ok" for c in x["B"]["data"]["changes"])])'
}

fwmark() {
	ipvs_pair plugin lvsrole
	both_ways
	# a flush by someone else (the host's nftables service): the plugin's drift check repairs it
	nsx "${TAG}lb1" nft flush table inet lvsrole
	await "rules flushed on the director: its plugin reports the drift and puts them back" "1 lb1:yes lb2:no" \
		eval 'echo "$(guard_repairs lb1) $(marks_for VI_1 lb1 lb2)"'
	loop_free "lb1 directs after the repair" lb1 lb2
	pair_stop
	assert_eq "no balancer marks anything once both stopped" " " "$(marks lb1) $(marks lb2)"
}

backup_only() {
	local d=$TMP/lb1
	LOOP_GUARD=backup_only
	lab_init 2
	LAB_IPVS='{ "loop_guard": "backup_only" }'
	LAB_KA_GLOBAL="lvs_sync_daemon eth0 VI_1"
	lab_conf lb1 plugin lvsrole 150
	lab_conf lb2 plugin lvsrole 100
	ipvs_start vip
	both_ways
	pair_stop
	# role none (DELETED): the original value again
	nsx "${TAG}lb1" "$NOTIFY" -c "$d/lvsrole.conf" INSTANCE VI_1 DELETED 0 2>>"$d/notify.log"
	assert_eq "role none: lb1's backup_only back to its original 0, lb2's still 1 (real server)" "0 1" \
		"$(nsx "${TAG}lb1" cat /proc/sys/net/ipv4/vs/backup_only) $(nsx "${TAG}lb2" cat /proc/sys/net/ipv4/vs/backup_only)"
}

both_roles() { echo "$(roles) / $(roles "$VIP4B" "$VIP6B")"; }

active() {
	lab_init 2
	LAB_IPVS='{ "fwmark": 1, "ports": ["tcp/8080"] }'
	LAB_IPVS2='{ "fwmark": 2, "ports": ["tcp/8080"] }'
	lab_conf lb1 plugin lvsrole 150 100
	lab_conf lb2 plugin lvsrole 100 150
	ipvs_conf lb1 fwmark:1 fwmark:2
	ipvs_conf lb2 fwmark:1 fwmark:2
	lab_www
	lab_start lb1
	lab_start lb2
	await "startup: roles of VI_1 / VI_2" "director real-server / real-server director" both_roles
	wait_for ipvs_loaded lb1 4 && wait_for ipvs_loaded lb2 4
	loop_free "VI_1 (lb1 directs)" lb1 lb2 "$VIP4" VI_1
	loop_free "VI_2 (lb2 directs)" lb2 lb1 "$VIP4B" VI_2
	lab_kill lb2
	await "lb2's keepalived killed: roles of VI_1 / VI_2" "director real-server / director real-server" both_roles
	loop_free "VI_2 (lb1 directs both)" lb1 lb2 "$VIP4B" VI_2
	lab_start lb2
	await "lb2 back: roles of VI_1 / VI_2" "director real-server / real-server director" both_roles
	wait_for ipvs_loaded lb2 4
	loop_free "VI_1 again" lb1 lb2 "$VIP4" VI_1
	loop_free "VI_2 again" lb2 lb1 "$VIP4B" VI_2
	pair_stop
}

# rp LB VALUE: rp_filter on all and tunl0 of LB
rp() { nsx "${TAG}$1" sysctl -qw net.ipv4.conf.all.rp_filter="$2" net.ipv4.conf.tunl0.rp_filter="$2"; }
# warned LB TEXT: LB's status names TEXT among its warnings
warned() { nsx "$TAG$1" "$NOTIFY" -c "$TMP/$1/lvsrole.conf" status --json 2>/dev/null | grep -q "$2"; }

tun() {
	local lb out
	LAB_RS_DEV=tunl0 LAB_V4_ONLY=1 LAB_LB_KIND=TUN
	lab_init 2
	LAB_IPVS='{ "fwmark": 1, "ports": ["tcp/8080"] }'
	lab_conf lb1 plugin lvsrole 150
	lab_conf lb2 plugin lvsrole 100
	for lb in lb1 lb2; do
		nsx "${TAG}$lb" ip link set tunl0 up
		rp "$lb" 2
	done
	rp lb2 1 # strict, first: what TUN needs that DR does not
	ipvs_start fwmark:1 # (the real server's VIP on tunl0)
	wait_for warned lb2 "rp_filter is strict"
	assert_match "strict rp_filter: the real server's status warns" \
		"tunl0: rp_filter is strict \(1; all=1, tunl0=1\)" "$(nsx "${TAG}lb2" "$NOTIFY" -c "$TMP/lb2/lvsrole.conf" status 2>&1)"
	conns 10 "$VIP4" 2
	out=$(awk '{ print $2 }' "$TMP/conns.txt" | sort | uniq -c | awk '{ printf "%s%s:%s", (NR > 1 ? " " : ""), $2, $1 }')
	assert_eq "strict rp_filter: what lb1 tunnels to lb2 is lost, what it keeps is answered" "fail:5 lb1:5" "$out"
	rp lb2 2
	assert_eq "loose rp_filter: no warning left" no "$(warned lb2 "rp_filter" && echo yes || echo no)"
	both_ways
	nsx "${TAG}lb2" ip link set tunl0 down
	assert_match "tunl0 down: the real server's status warns" "tunl0: the real-server device is down: packets tunnelled to this host are lost" \
		"$(nsx "${TAG}lb2" "$NOTIFY" -c "$TMP/lb2/lvsrole.conf" status 2>&1)"
	nsx "${TAG}lb2" ip link set tunl0 up
	pair_stop
}

"$LR_IPVS_PART"
finish
