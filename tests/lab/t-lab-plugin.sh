#!/bin/bash
# The two-box lab with lvsrole-plugin (keepalived's FIFO) owning the NIC VIPs, IPv4 and
# IPv6: startup, failover (the master's keepalived killed), failback (preempt), a priority
# change by a track script, failover by stopping keepalived, FAULT (interface down),
# keepalived reloads, stop; and the plugin's life with keepalived's. After each
# step, from the client: one MAC answers ARP and NS for the VIP, the master's; HTTP to the
# VIP is answered by both balancers (the director forwards to the other); and at the end
# no real server ever sent an ARP with the VIP as sender, and the receiver got every
# transition in order, signed. Prints the failover gap the client saw.
. "$(dirname "$0")/lab.sh"
require_plugin

# plugin_pids LB: the plugins running for LB (started by keepalived: the FIFO appended)
plugin_pids() { pgrep -f -- "-c $TMP/$1/lvsrole.conf $TMP/$1/notify.fifo" | tr '\n' ' ' | sed 's/ $//'; }
both_plugins() { echo "$(plugin_pids lb1) $(plugin_pids lb2)"; }
lab_pair plugin lvsrole
await_match "startup: one plugin per balancer, started by keepalived" "^[0-9]+ [0-9]+$" both_plugins
kill_failover
# keepalived's VRRP process notices its parent's death, stops the instances and the plugin
await "failover: lb1 recorded STOP" STOP state_field "$TMP/lb1/state" VI_1 state
await "failover: lb1's plugin left with its keepalived" "" plugin_pids lb1

lab_start lb1
step "failback (preempt)" "director real-server" lb1

touch "$TMP/lb1/demote"
step "priority change (lb1's track script fails: 150 - 100 < 100)" "real-server director" lb2
rm -f "$TMP/lb1/demote"
step "priority restored (preempt)" "director real-server" lb1

lab_stop lb1
step "failover (lb1's keepalived stopped)" "real-server director" lb2
stopped_lb1() { echo "$(state_field "$TMP/lb1/state" VI_1 state) $(plugin_pids lb1)"; }
await "stop: lb1 recorded STOP, its plugin gone" "STOP " stopped_lb1
lab_start lb1
step "failback (preempt)" "director real-server" lb1

fault_failover
await "FAULT recorded on lb1 (eth0 down)" FAULT state_field "$TMP/lb1/state" VI_1 state
assert_eq "FAULT: lb1 in the real-server role" real-server "$(role lb1)"
nsx "${TAG}lb1" ip link set eth0 up
step "lb1's interface back" "director real-server" lb1

# reports waiting for a retry while lb1's link was down go as soon as it is back
t0=$(date +%s%N)
drained
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
assert_eq "every report delivered within 3 s of lb1's link coming back (${ms} ms)" "0 yes" "$rc $([ "$ms" -lt 3000 ] && echo yes)"
n=$(ids)
old=$(plugin_pids lb2)
replaced() { local new; new=$(plugin_pids lb2); [ -n "$new" ] && [ "$new" != "$old" ] && ! kill -0 "$old" 2>/dev/null; }
lab_reload lb2
wait_for replaced
assert_eq "reload: a new plugin, the old one gone" yes "$(replaced && echo yes)"
# what must not happen (a transition, a report) would have by now: keepalived's adverts are 1 s
observe 3
assert_eq "reload without change: roles as they were" "director real-server" "$(roles)"
assert_eq "reload without change: no transition reported" "$n" "$(ids)"
[ "$n" = "$(ids)" ] || rq r '"# new: " + " | ".join("%s %s %s %s %s %s" % (x["path"], x["B"]["type"], x["B"]["data"]["name"], x["B"]["data"].get("state"), x["B"]["data"].get("source"), x["B"]["data"].get("result")) for i, x in enumerate(R) if x["id"] not in [y["id"] for y in R[:i]])[-600:]'

sed -i 's/priority 100$/priority 200/' "$TMP/lb2/keepalived.conf"
lab_reload lb2
step "reload with lb2 at priority 200" "real-server director" lb2

pair_stop
e1=$(events lb1)
e2=$(events lb2)
echo "# lb1: $e1"
echo "# lb2: $e2"
# keepalived may repeat a state (FAULT twice when a link goes down): folded here
e1=$(sed -E 's/(FAULT:real-server:ok)( FAULT:real-server:(ok|noop))+/\1/g' <<<"$e1")
assert_match "lb1's reports, in order" "^BACKUP:real-server:ok MASTER:director:ok STOP:real-server:ok BACKUP:real-server:noop MASTER:director:ok BACKUP:real-server:ok MASTER:director:ok STOP:real-server:ok BACKUP:real-server:noop MASTER:director:ok FAULT:real-server:ok BACKUP:real-server:noop MASTER:director:ok BACKUP:real-server:ok( MASTER:director:ok)? STOP:real-server:ok$" "$e1"
assert_match "lb2's reports, in order" "^BACKUP:real-server:ok MASTER:director:ok BACKUP:real-server:ok MASTER:director:ok BACKUP:real-server:ok MASTER:director:ok BACKUP:real-server:ok MASTER:director:ok BACKUP:real-server:ok MASTER:director:ok STOP:real-server:ok$" "$e2"
assert_eq "every report signed; per balancer in seq order" True "$(reports_sound)"
[ "$(reports_sound)" = True ] || rq r '"# " + " ".join("%s#%d/%s" % (x["path"][1:], x["B"]["seq"], x["id"][-4:]) for x in R)'

w=$(wire_sound)
assert_match "on the wire: every ARP with $VIP4 as sender and every NA for $VIP6 came from the director of the time" "^ok [0-9]+$" "$w"
finish
