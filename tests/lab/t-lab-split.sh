#!/bin/bash
# A split brain from a common mistake, and lvsrole's plugin reporting it: the two balancers
# disagree on who owns the NIC VIPs (lb1's keepalived.conf lists them in virtual_ipaddress,
# lb2's does not, lvsrole owning them there). A VRRPv2 advert carries the instance's
# addresses, and keepalived drops one whose count differs from its own ("received an
# unexpected ip number count"), so lb2 never hears lb1 and both become MASTER: the client
# sees two MACs answer ARP for the VIP. Each plugin finds the other director (the probes
# around its takeover, the ARP watch while directing) and posts lvsrole.conflict naming
# the other's MAC. Then lb2 is given lb1's ownership model (stopped, configured, started):
# one director again.
. "$(dirname "$0")/lab.sh"
require_plugin

lab_init 2
lab_conf lb1 plugin keepalived 150
lab_conf lb2 plugin lvsrole 100
lab_www
lab_dr || { echo "FAIL: nftables DR rules"; exit 99; }
lab_start lb1
lab_start lb2

both_master() { [ "$(ka_masters)" = "lb1 lb2" ]; }
took=$(until_true both_master)
assert_eq "both keepalived MASTER (their logs; ${took:-timeout})" "lb1 lb2" "$(ka_masters)"
assert_match "lb2's keepalived drops lb1's adverts (its log)" "unexpected ip number count" \
	"$(grep -m1 'unexpected ip number count' "$TMP/lb2/keepalived.log")"
took=$(until_true roles_are "director director")
assert_eq "both in the director role (kernels; ${took:-timeout})" "director director" "$(roles)"
assert_eq "the client: ARP for $VIP4 answered by both MACs" "lb1 lb2" "$(arp_owners)"

# conflicts LB: the foreign MACs of LB's conflict reports for VI_1
conflicts() {
	rq r '" ".join(sorted(set(x["B"]["data"]["foreign_mac"] for x in R if x["path"] == "/'"$1"'" and x["B"]["type"] == "lvsrole.conflict" and x["B"]["data"]["name"] == "VI_1" and x["B"]["data"]["vip"] == "'"$VIP4"'")))'
}
reported() { [ "$(conflicts lb1) / $(conflicts lb2)" = "${MAC[lb2]} / ${MAC[lb1]}" ]; }
took=$(until_true reported)
assert_eq "each plugin reported lvsrole.conflict for $VIP4 naming the other's MAC (${took:-timeout})" \
	"${MAC[lb2]} / ${MAC[lb1]}" "$(conflicts lb1) / $(conflicts lb2)"
echo "# $(rq r '"; ".join("%s: %s %s own %s foreign %s seen as %s" % (x["path"][1:], x["B"]["data"]["result"], x["B"]["data"]["vip"], x["B"]["data"]["own_mac"], x["B"]["data"]["foreign_mac"], x["B"]["data"]["seen_as"]) for x in R if x["B"]["type"] == "lvsrole.conflict")')"
# the metrics file is written before the report is spooled; still awaited, as any file the
# plugin rewrites
counted() { grep -q '^lvsrole_conflicts_total{iname="VI_1"} [1-9]' "$TMP/lb1/lvsrole.prom" && echo yes; }
await "the conflict counted in lb1's metrics" yes counted

# the mend: lb2 takes lb1's model (keepalived owns the VIPs on both)
lab_stop lb2
step "lb2 stopped: lb1 directs alone" "director real-server" lb1
lab_conf lb2 plugin keepalived 100
lab_start lb2
wait_for eval '[ "$(ka_state lb2)" = BACKUP ]'
# three advert intervals from its BACKUP: lb2 would have become MASTER by now, were lb1 unheard
observe 4
step "lb2 with the VIPs in its keepalived.conf too: lb1 directs alone" "director real-server" lb1
assert_eq "lb2's keepalived now hears lb1 (no MASTER since it started)" "" \
	"$(tail -c +$((KAOFF[lb2] + 1)) "$TMP/lb2/keepalived.log" | grep 'Entering MASTER')"
pair_stop
assert_eq "every report signed; per balancer in seq order" True "$(reports_sound)"
finish
