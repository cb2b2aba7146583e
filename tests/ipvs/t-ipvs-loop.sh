#!/bin/bash
# The two-box loop on real IPVS (tests/README.md, "Real IPVS"). Part "control" shows the
# failure the loop guard prevents: two balancers, each a director and a real server, with
# keepalived's stock virtual_server VIP:port on both and no guard; the director forwards a
# connection to the real server, whose IPVS balances it again. Part "fwmark": the same pair
# with `virtual_server fwmark 1` and lvsrole's loop guard "fwmark": whichever box is the real
# server, with its checker's service loaded, it serves what the director forwards itself.
. "$(dirname "$0")/lab-ipvs.sh"
ipvs_vm control fwmark

require_netns
require_plugin

# both CMD SEP: CMD lb1, SEP, CMD lb2
both() { echo "$($1 lb1)$2$($1 lb2)"; }

control() {
	local out s12 s21 n2
	lab_init 2
	lab_conf lb1 plugin lvsrole 150
	lab_conf lb2 plugin lvsrole 100
	ipvs_conf lb1 vip
	ipvs_conf lb2 vip
	lab_www
	lab_start lb1
	lab_start lb2
	await "startup: roles" "director real-server" roles
	wait_for ipvs_loaded lb1 2 && wait_for ipvs_loaded lb2 2
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
	out=$(conns 10 "$VIP4" 3)
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

# marks LB: the instances whose rules lvsrole's table in LB holds (their comments' first word)
marks() { nsx "$TAG$1" nft list table inet lvsrole 2>/dev/null | grep -o 'comment "[^ ]*' | cut -d'"' -f2 | sort -u | paste -sd ' '; }
# marks_of A B: "A:marks B:marks"
marks_of() { echo "$1:$(marks "$1") $2:$(marks "$2")"; }

# loop_free NAME DIRECTOR REAL-SERVER: the director marks and balances over both, itself
# included; the real server marks nothing, balances nothing and sends no SYN to the director;
# each connection the real server answered crossed the wire once (its SYN, director to real
# server), and none that the director answered
loop_free() {
	local name=$1 d=$2 rs=$3 out fwd ports before who
	await "$name: only $d marks VI_1's traffic (lvsrole's nftables table)" "$d:VI_1 $rs:" marks_of "$d" "$rs"
	before=$(ipvs_conn_ports "$rs")
	syn_start
	out=$(conns 20)
	ports=$(awk '{ print $1 }' <<<"$out")
	who=$(awk '{ print $2 }' <<<"$out" | sort | uniq -c | awk '{ printf "%s%s:%s", (NR > 1 ? " " : ""), $2, $1 }')
	# each answer came after its SYNs: once the capture holds the client's 20 and a forward
	# for each connection the real server answered, it holds every SYN of the window
	wait_for syn_seen cl "$d" 20
	wait_for syn_seen "$d" "$rs" "$(grep -c " $rs$" <<<"$out")"
	syn_stop
	fwd=$(syn_ports "$d" "$rs" | sort -n | paste -sd ' ')
	echo "# $name: 20 connections answered as [$who]; SYNs $d->$rs: $(syn_between "$d" "$rs"), $rs->$d: $(syn_between "$rs" "$d")"
	assert_match "$name: every connection answered, by both balancers" "^lb1:[0-9]+ lb2:[0-9]+$" "$who"
	assert_eq "$name: no SYN from the real server $rs to the director $d" 0 "$(syn_between "$rs" "$d")"
	assert_eq "$name: the SYNs $d forwarded to $rs are those of the connections $rs answered, once each" \
		"$(awk -v rs="$rs" '$2 == rs { print $1 }' <<<"$out" | sort -n | paste -sd ' ')" "$fwd"
	# a port the real server's table held before (an older connection) is not counted: that
	# can hide a fault, never make one
	assert_eq "$name: the director's IPVS scheduled the 20 connections, the real server's none" "20 0" \
		"$(in_both "$ports" "$(ipvs_conn_ports "$d")") $(in_both "$ports" "$(comm -13 <(echo "$before") <(ipvs_conn_ports "$rs"))")"
}

fwmark() {
	lab_init 2
	LAB_IPVS='{ "loop_guard": "fwmark", "fwmark": 1, "ports": ["tcp/8080"] }'
	lab_conf lb1 plugin lvsrole 150
	lab_conf lb2 plugin lvsrole 100
	ipvs_conf lb1 fwmark:1
	ipvs_conf lb2 fwmark:1
	lab_www
	lab_start lb1
	lab_start lb2
	await "startup: roles" "director real-server" roles
	wait_for ipvs_loaded lb1 2 && wait_for ipvs_loaded lb2 2
	assert_eq "both checkers loaded fwmark 1 with both real servers" "FWM 1 -> 10.9.0.11:0 FWM 1 -> 10.9.0.12:0 / 2" \
		"$(ipvs_services lb1 | paste -sd ' ') / $(ipvs_services lb2 | wc -l)"
	loop_free "lb1 directs" lb1 lb2
	assert_eq "no loop risk: status of both, each plugin's metric" "none none 0 0" \
		"$(loop_risk_of lb1) $(loop_risk_of lb2) $(loop_risk_metric lb1) $(loop_risk_metric lb2)"
	lab_stop lb1
	await "lb1's keepalived stopped: roles" "real-server director" roles
	loop_free "lb2 directs" lb2 lb1
	lab_start lb1
	await "lb1 back (preempts): roles" "director real-server" roles
	wait_for ipvs_loaded lb1 2
	loop_free "lb1 directs again" lb1 lb2
	pair_stop
	assert_eq "no balancer holds lvsrole's table once both stopped" " " "$(marks lb1) $(marks lb2)"
}

"$LR_IPVS_PART"
finish
