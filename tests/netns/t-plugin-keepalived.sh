#!/bin/bash
# lvsrole-plugin started by real keepalived (vrrp_notify_fifo_script) on two balancers:
# startup, failover by stopping the master and by SIGKILLing its keepalived, FAULT by taking
# its interface down, failback,
# reload with and without a state change, stop. The host's role follows keepalived each time
# (kernel state and ARP seen from a client), and the receiver gets every event in order.
. "$(dirname "$0")/lib.sh"
. "$LR_SRCDIR/tests/webhook/lib.sh"
require_plugin
command -v keepalived >/dev/null || { echo "FAIL: keepalived not installed (tests/deps.sh)"; exit 99; }

VIP=10.9.0.50
mkswitch
D1=$(attach d1 1 10.9.0.11/24)
D2=$(attach d2 2 10.9.0.12/24)
CL=$(attach cl 3 10.9.0.13/24)
RX=$(attach rx 4 10.9.0.14/24)
KEY=$TMP/k
newkey "$KEY"
receiver "$RX" r --secret "$KEY" --bind 10.9.0.14
VRID=$(( $(od -An -N1 -tu1 /dev/urandom) % 200 + 20 ))
mac() { ip -n "$1" -j link show eth0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])'; }
MAC1=$(mac "$D1")
MAC2=$(mac "$D2")

kaconf() { # kaconf HOST PRIORITY
	cat >"$TMP/$1.ka.conf" <<EOC
global_defs {
  router_id $1
  script_user root
  vrrp_notify_fifo $TMP/$1.fifo
  vrrp_notify_fifo_script "${LR_PLUGIN_WRAP:+$LR_PLUGIN_WRAP }$PLUGIN -v -c $TMP/$1.conf"
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id $VRID
  priority $2
  advert_int 1
}
EOC
}
for h in d1 d2; do
	cat >"$TMP/$h.conf" <<EOC
{
  "state_dir": "$TMP/$h.state",
  "announce": { "count": 2, "interval_ms": 200 },
  "instances": { "VI_1": { "nic": "eth0", "vips": ["$VIP/24"] } },
  "webhooks": { "spool_dir": "$TMP/$h.spool",
    "endpoints": { $(ep ops "http://10.9.0.14:$(port r)/$h") } }
}
EOC
done
kaconf d1 150
kaconf d2 100
declare -A KA
start_ka() {
	ip netns exec "$TAG$1" keepalived -f "$TMP/$1.ka.conf" -P -n -l -D -p "$TMP/$1.ka.pid" \
		-r "$TMP/$1.vrrp.pid" >>"$TMP/$1.ka.log" 2>&1 &
	KA[$1]=$!
	BGPIDS+=("$!")
	disown
}
stop_ka() {
	kill -TERM "${KA[$1]}"
	plugin_wait "${KA[$1]}" 5
}
# role HOST: what the kernel shows: director (VIP on eth0), real-server (on lo, 1/2) or other
role() {
	local ns=$TAG$1
	if ip -n "$ns" addr show dev eth0 | grep -q "inet $VIP/24" && ! ip -n "$ns" addr show dev lo | grep -q "$VIP"; then
		echo director
	elif ip -n "$ns" addr show dev lo | grep -q "inet $VIP/32" && ! ip -n "$ns" addr show dev eth0 | grep -q "$VIP" &&
		[ "$(sysctls "$ns" all)" = "all=1/2" ]; then
		echo real-server
	else
		echo other
	fi
}
roles_are() { [ "$(role d1) $(role d2)" = "$1" ]; }
# arp_owner: the MACs answering ARP for the VIP, seen from the client
arp_owner() {
	nsx "$CL" ip neigh flush dev eth0 2>/dev/null
	nsx "$CL" arping -c 2 -w 2 -I eth0 "$VIP" 2>/dev/null | grep -io '\[[0-9a-f:]*\]' | tr 'A-F' 'a-f' | sort -u | tr -d '[]' | tr '\n' ' ' | sed 's/ $//'
}
step() { # step DESCRIPTION EXPECTED-ROLES EXPECTED-ARP-OWNER
	local took
	took=$(until_true 15 roles_are "$2")
	assert_eq "$1: roles $2 (took ${took:-timeout})" "$2" "$(role d1) $(role d2)"
	assert_eq "$1: only the director answers ARP for the VIP" "$3" "$(arp_owner)"
}
events() { # events HOST: "STATE:ROLE ..." received from HOST, in order, repeats folded
	rq r '" ".join(e for i, e in enumerate(E) if i == 0 or E[i - 1] != e) if (E := ["%s:%s" % (x["B"]["data"]["state"], x["B"]["data"]["role"]) for x in R if x["path"] == "/'"$1"'" and x["B"]["type"] == "lvsrole.transition"]) else ""'
}

start_ka d1
start_ka d2
step "startup" "director real-server" "$MAC1"
sleep 0.5
assert_eq "startup: plugins started by keepalived" "1 1" "$(pgrep -fc -- "-c $TMP/d1.conf $TMP/d1.fifo") $(pgrep -fc -- "-c $TMP/d2.conf $TMP/d2.fifo")"

stop_ka d1
step "failover (d1's keepalived stopped)" "real-server director" "$MAC2"
assert_eq "failover: d1's plugin left with keepalived" 0 "$(pgrep -fc -- "-c $TMP/d1.conf" || true)"
assert_eq "failover: d1 recorded STOP" STOP "$(state_field "$TMP/d1.state" VI_1 state)"

start_ka d1
step "failback (preempt)" "director real-server" "$MAC1"

nsx "$D1" ip link set eth0 down
step "FAULT (d1's eth0 down)" "real-server director" "$MAC2"
assert_eq "FAULT recorded on d1" FAULT "$(state_field "$TMP/d1.state" VI_1 state)"
nsx "$D1" ip link set eth0 up
step "interface back up" "director real-server" "$MAC1"

# killed hard: keepalived's VRRP process notices its parent's death and stops the instances
kill -KILL "${KA[d1]}"
step "failover (d1's keepalived SIGKILLed)" "real-server director" "$MAC2"
start_ka d1
step "failback after the kill" "director real-server" "$MAC1"

# reload without a state change: the successor reads the persisted state
old=$(pgrep -f -- "-c $TMP/d2.conf $TMP/d2.fifo")
n=$(rq r 'len(R)')
kill -HUP "${KA[d2]}"
sleep 2.5
new=$(pgrep -f -- "-c $TMP/d2.conf $TMP/d2.fifo")
assert_eq "reload: a new plugin, the old one gone" yes "$([ -n "$new" ] && [ "$new" != "$old" ] && ! kill -0 "$old" 2>/dev/null && echo yes)"
assert_eq "reload without change: roles unchanged" "director real-server" "$(role d1) $(role d2)"
assert_eq "reload without change: no transition (the old plugin took SIGTERM + EOF as a reload)" "$n" "$(rq r 'len(R)')"

# reload with a state change: d2 now outranks d1
kaconf d2 200
kill -HUP "${KA[d2]}"
step "reload with d2 at priority 200" "real-server director" "$MAC2"

stop_ka d2
stop_ka d1
step "stop both" "real-server real-server" ""
sleep 1
quiet "$TMP/d1.conf"
quiet "$TMP/d2.conf"
e1=$(events d1)
e2=$(events d2)
echo "# d1: $e1"
echo "# d2: $e2"
assert_match "d1's events in order" "^BACKUP:real-server MASTER:director STOP:real-server BACKUP:real-server MASTER:director FAULT:real-server BACKUP:real-server MASTER:director STOP:real-server BACKUP:real-server MASTER:director BACKUP:real-server( MASTER:director)? STOP:real-server$" "$e1"
assert_match "d2's events in order" "^BACKUP:real-server MASTER:director BACKUP:real-server MASTER:director BACKUP:real-server MASTER:director BACKUP:real-server MASTER:director STOP:real-server$" "$e2"
# at least once: a request cut by the interface going down is sent again, with the same id
assert_eq "every report signed; per host, seq increasing (a repeat only with the same id)" "True True" \
	"$(rq r 'str(all(x["sig_ok"] for x in R)) + " " + str(all(all(a["B"]["seq"] < b["B"]["seq"] or a["id"] == b["id"] for a, b in zip(S, S[1:])) for S in ([x for x in R if x["path"] == p] for p in ("/d1", "/d2"))))')"
finish
