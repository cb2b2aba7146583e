#!/bin/bash
# What a production host throws at a switch, seen from the kernel and from another namespace:
# a real-server arp_ignore that would silence the host, ARP sysctls no director may keep, a VIP
# that is the primary address of its subnet (the host's own address a secondary), and an IPv6
# VIP that duplicate address detection holds back or failed, the source address of the host's
# own IPv6 connections, keepalived's VMAC (use_vmac).
. "$(dirname "$0")/lib.sh"
require_netns
need arping tcpdump

mkswitch
H=$(attach h 1 10.9.0.11/24)
CL=$(attach c 2 10.9.0.99/24)
nsx "$CL" ip addr add 2001:db8::99/64 dev eth0 nodad
HMAC=$(nsx "$H" cat /sys/class/net/eth0/address)
answers_arp() { nsx "$CL" arping -c 1 -w 2 -I eth0 "$1" >/dev/null 2>&1 && echo yes || echo no; }
answers_ping() { nsx "$CL" ping -c 1 -W 2 "$1" >/dev/null 2>&1 && echo yes || echo no; }

# --- a real-server arp_ignore of 8 ("answer nothing") is refused and changes nothing ---
C8=$TMP/h8.conf
conf "$C8" "$TMP/h8.state" '"arp_sysctl": { "real_server": { "arp_ignore": 8, "arp_announce": 2 } },
  "instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24"] } }'
BEFORE=$(snapshot "$H")
lr "$H" "$C8" check
assert_eq "real_server.arp_ignore 8: check refuses it (exit 3)" 3 $?
assert_match "real_server.arp_ignore 8: the message names the key and the rule" \
	'arp_sysctl.real_server.arp_ignore: .*use 1 or 2' "$(cat "$TMP/last.out")"
lr "$H" "$C8" INSTANCE VI_1 BACKUP 100
assert_eq "real_server.arp_ignore 8: a switch refuses it (exit 3)" 3 $?
assert_eq "real_server.arp_ignore 8: nothing changed on the host" "$BEFORE" "$(snapshot "$H")"
await "real_server.arp_ignore 8: the host still answers ARP for its own address" yes answers_arp 10.9.0.11

# --- values found that no director may have (8: answer nothing; 5: reserved) become 0 ---
C=$TMP/h.conf
conf "$C" "$TMP/h.state" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24"] } }'
setsys "$H" all arp_ignore 8
setsys "$H" eth0 arp_ignore 5
lr "$H" "$C" INSTANCE VI_1 MASTER 100
assert_eq "director over arp_ignore 8 (all) and 5 (eth0): exit code" 0 $?
assert_eq "director over arp_ignore 8 and 5: both 0" "all=0/0 eth0=0/0" "$(sysctls "$H" all eth0)"
await "director: answers ARP for the VIP" yes answers_arp 10.9.0.50
await "director: answers ARP for its own address" yes answers_arp 10.9.0.11
# recorded as the original (found at the first look, a real-server role first), 8 never comes
# back either
lr "$H" "$C" INSTANCE VI_1 DELETED 100
rm -rf "$TMP/h.state"
setsys "$H" all arp_ignore 8
lr "$H" "$C" INSTANCE VI_1 BACKUP 100
assert_eq "real server over arp_ignore 8: 1 while it serves" "all=1/2 eth0=1/2" "$(sysctls "$H" all eth0)"
lr "$H" "$C" INSTANCE VI_1 MASTER 100
assert_eq "director after a real-server role that recorded arp_ignore 8: 0" "all=0/0 eth0=0/0" "$(sysctls "$H" all eth0)"
await "that director answers ARP for its own address" yes answers_arp 10.9.0.11
lr "$H" "$C" INSTANCE VI_1 DELETED 100

# --- an operator's arp_ignore=1 (hardening, equal to the real-server value) is the original:
# the director role keeps it, though the first event (BACKUP) had nothing to change there ---
CO=$TMP/o.conf
conf "$CO" "$TMP/o.state" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24"] } }'
setsys "$H" all arp_ignore 1; setsys "$H" all arp_announce 0
setsys "$H" eth0 arp_ignore 1; setsys "$H" eth0 arp_announce 0
lr "$H" "$CO" INSTANCE VI_1 BACKUP 100
lr "$H" "$CO" INSTANCE VI_1 MASTER 100
assert_eq "operator's arp_ignore=1: the director keeps it (arp_announce back to 0)" "all=1/0 eth0=1/0" "$(sysctls "$H" all eth0)"
await "operator's arp_ignore=1: the director answers ARP for the VIP" yes answers_arp 10.9.0.50
lr "$H" "$CO" INSTANCE VI_1 DELETED 100
setsys "$H" all arp_ignore 0; setsys "$H" eth0 arp_ignore 0

# --- a persistent state directory after a reboot: the arrivals of the boot before are not
# applied (a MASTER of VI_2 left there would put its VIP on the NIC and announce it) ---
CR=$TMP/r.conf
SR=$TMP/r.state
conf "$CR" "$SR" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24"] },
  "VI_2": { "nic": "eth0", "vips": ["10.9.0.60/24"] } }'
lr "$H" "$CR" INSTANCE VI_1 BACKUP 100
# what the boot before left: VI_2's MASTER arrived, its run never finished; the host rebooted
python3 - "$SR" <<'EOP'
import json, sys
d = sys.argv[1]
for name in ("arrivals.json", "state.json"):
    with open(d + "/" + name) as f:
        j = json.load(f)
    j["boot_id"] = "00000000-0000-4000-8000-000000000000"
    if name == "arrivals.json":
        j["seq"] += 1
        j["last"]["VI_2"] = {"seq": j["seq"], "state": "MASTER", "priority": 100,
                             "role": "director", "time_us": 1}
    with open(d + "/" + name, "w") as f:
        json.dump(j, f)
EOP
ip -n "$H" addr flush dev lo scope global
setsys "$H" all arp_ignore 0; setsys "$H" all arp_announce 0
lr "$H" "$CR" INSTANCE VI_1 BACKUP 100
assert_eq "after a reboot: the first event's exit code" 0 $?
assert_eq "after a reboot: VI_2's VIP is not on the NIC (its MASTER was of the boot before)" \
	"eth0: 10.9.0.11/24 | lo: 10.9.0.50/32" "$(snapshot "$H" | cut -d'|' -f1,2 | sed 's/ *$//')"
assert_eq "after a reboot: nothing answers ARP for VI_2's VIP" no "$(answers_arp 10.9.0.60)"
assert_eq "after a reboot: VI_2 has no record" none "$(state_field "$SR" VI_2 role || echo none)"
assert_eq "after a reboot: the arrivals carry this boot's id" "$(cat /proc/sys/kernel/random/boot_id)" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["boot_id"])' "$SR/arrivals.json")"
lr "$H" "$CR" INSTANCE VI_1 DELETED 100

# --- the VIP is the primary address of its subnet, the host's address a secondary (a DHCP
# renew or a flush and re-add gets there): every transition keeps the host's address, its
# default route and the routes through it ---
P=$(attach p 3 "")
CP=$TMP/p.conf
conf "$CP" "$TMP/p.state" '"instances": { "VI_2": { "nic": "eth0", "vips": ["10.9.0.60/24"] } }'
v4_addrs() { ip -n "$P" -4 -o addr show dev eth0 | awk '{ s = $4; if ($0 ~ / secondary /) s = s "(secondary)"; print s }' | sort | tr '\n' ' '; }
layout() { # the VIP primary (added first, by lvsrole), the host's address after it
	ip -n "$P" addr flush dev eth0
	lr "$P" "$CP" INSTANCE VI_2 MASTER 100 || return 1
	ip -n "$P" addr add 10.9.0.12/24 dev eth0 &&
		ip -n "$P" route add default via 10.9.0.99 &&
		ip -n "$P" route add 10.77.0.0/16 via 10.9.0.99
}
for st in BACKUP FAULT STOP DELETED; do
	layout
	assert_eq "primary VIP, before $st: the layout" "10.9.0.12/24(secondary) 10.9.0.60/24 " "$(v4_addrs)"
	lr "$P" "$CP" INSTANCE VI_2 "$st" 100
	assert_eq "primary VIP, $st: exit code" 0 $?
	assert_eq "primary VIP, $st: the VIP left the NIC, the host's address stayed" "10.9.0.12/24 " "$(v4_addrs)"
	assert_match "primary VIP, $st: the default route stayed" "default via 10.9.0.99" "$(ip -n "$P" route show default)"
	assert_match "primary VIP, $st: the route through it stayed" "10.77.0.0/16 via 10.9.0.99" "$(ip -n "$P" route show 10.77.0.0/16)"
	await "primary VIP, $st: the host answers from another namespace" yes answers_ping 10.9.0.12
	assert_eq "primary VIP, $st: promote_secondaries put back" 0 "$(nsx "$P" cat /proc/sys/net/ipv4/conf/eth0/promote_secondaries)"
	assert_eq "primary VIP, $st: recorded result" ok "$(state_field "$TMP/p.state" VI_2 result)"
done
# an operator's promote_secondaries=1 is left as it was
layout
setsys "$P" eth0 promote_secondaries 1
lr "$P" "$CP" INSTANCE VI_2 BACKUP 100
assert_eq "primary VIP, promote_secondaries already 1: the host's address stayed" "10.9.0.12/24 " "$(v4_addrs)"
assert_eq "primary VIP, promote_secondaries already 1: still 1" 1 "$(nsx "$P" cat /proc/sys/net/ipv4/conf/eth0/promote_secondaries)"

# two VIPs of the subnet: deleting the primary promotes the other VIP, which is then a primary
# with the host's address as its secondary when its own delete comes
CP2=$TMP/p2.conf
conf "$CP2" "$TMP/p2.state" '"instances": { "VI_3": { "nic": "eth0", "vips": ["10.9.0.70/24", "10.9.0.71/24"] } }'
ip -n "$P" addr flush dev eth0
setsys "$P" eth0 promote_secondaries 0
lr "$P" "$CP2" INSTANCE VI_3 MASTER 100
ip -n "$P" addr add 10.9.0.12/24 dev eth0
assert_eq "two VIPs, the first primary: the layout" "10.9.0.12/24(secondary) 10.9.0.70/24 10.9.0.71/24(secondary) " "$(v4_addrs)"
lr "$P" "$CP2" INSTANCE VI_3 BACKUP 100
assert_eq "two VIPs, BACKUP: exit code" 0 $?
assert_eq "two VIPs, BACKUP: both VIPs left the NIC, the host's address stayed" "10.9.0.12/24 " "$(v4_addrs)"
await "two VIPs, BACKUP: the host answers from another namespace" yes answers_ping 10.9.0.12
assert_eq "two VIPs, BACKUP: promote_secondaries put back" 0 "$(nsx "$P" cat /proc/sys/net/ipv4/conf/eth0/promote_secondaries)"

# --- an IPv6 VIP that duplicate address detection holds back (tentative) or failed
# (dadfailed) is not in place: status sees the drift, a switch adds it again without DAD ---
C6=$TMP/h6.conf
conf "$C6" "$TMP/h6.state" '"instances": { "VI_6": { "nic": "eth0", "vips": ["2001:db8::70/64"] } }'
v6_flags() { # the DAD flags of the VIP on H's eth0
	ip -j -n "$H" -6 addr show dev eth0 | python3 -c '
import json, sys
for i in json.load(sys.stdin):
    for a in i.get("addr_info", []):
        if a["local"] == "2001:db8::70":
            print(" ".join(f for f in ("tentative", "dadfailed", "nodad") if a.get(f)) or "none")'
}
ping6_from_client() { nsx "$CL" ping -6 -c 1 -W 2 2001:db8::70 >/dev/null 2>&1 && echo yes || echo no; }
lr "$H" "$C6" INSTANCE VI_6 MASTER 100
# replaced by one under DAD that lasts 100 probes (deprecated, as lvsrole adds it: only the DAD
# flags differ)
nsx "$H" sysctl -qw net.ipv6.conf.eth0.dad_transmits=100
ip -n "$H" addr del 2001:db8::70/64 dev eth0
ip -n "$H" addr add 2001:db8::70/64 dev eth0 preferred_lft 0
await "IPv6 VIP under DAD: the kernel shows it tentative" tentative v6_flags
lr "$H" "$C6" status
assert_eq "IPv6 VIP tentative: status sees the drift (exit 7)" 7 $?
lr "$H" "$C6" INSTANCE VI_6 MASTER 100
assert_eq "IPv6 VIP tentative: the switch's exit code" 0 $?
assert_eq "IPv6 VIP tentative: added again without DAD" nodad "$(v6_flags)"
await "IPv6 VIP tentative: the client reaches it" yes ping6_from_client
assert_match "IPv6 VIP tentative: through the host's MAC" "lladdr $HMAC" "$(ip -n "$CL" -6 neigh show 2001:db8::70)"
# another node holds the address: DAD fails
nsx "$H" sysctl -qw net.ipv6.conf.eth0.dad_transmits=1
D=$(attach d 4 "")
ip -n "$D" addr add 2001:db8::70/64 dev eth0 nodad
ip -n "$H" addr del 2001:db8::70/64 dev eth0
ip -n "$H" addr add 2001:db8::70/64 dev eth0 preferred_lft 0
await "IPv6 VIP held elsewhere: the kernel shows it dadfailed" "tentative dadfailed" v6_flags
ip -n "$D" addr del 2001:db8::70/64 dev eth0
ip -n "$CL" -6 neigh flush dev eth0
lr "$H" "$C6" status
assert_eq "IPv6 VIP dadfailed: status sees the drift (exit 7)" 7 $?
lr "$H" "$C6" INSTANCE VI_6 MASTER 100
assert_eq "IPv6 VIP dadfailed: added again without DAD" nodad "$(v6_flags)"
await "IPv6 VIP dadfailed: the client reaches it" yes ping6_from_client
assert_match "IPv6 VIP dadfailed: through the host's MAC" "lladdr $HMAC" "$(ip -n "$CL" -6 neigh show 2001:db8::70)"
# --- IPv6 source address: the host's own connections (a health check of a real server) must
# not leave from the VIP. The VIP is deprecated, which keeps it out of the way of an address
# of the host's own; with none, the kernel picks the VIP all the same (scope outranks
# preference) and lvsrole says so ---
assert_match "IPv6 VIP, no global address of the host's own: the switch warned" \
	"2001:db8::70 on eth0: the host has no global IPv6 address of its own" "$(cat "$TMP/last.out")"
: >"$TMP/src"
nsx "$CL" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6)
s.bind(("2001:db8::99", 0))
s.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1] + ".port")
while True:
    c, a = s.accept()
    with open(sys.argv[1], "a") as f:
        f.write(a[0] + "\n")
    c.close()' "$TMP/src" &
BGPIDS+=("$!")
disown
wait_for test -s "$TMP/src.port"
seen_more() { [ "$(wc -l <"$TMP/src")" -gt "$1" ]; }
source_seen() { # the source address the client saw for a new connection from H
	local n
	n=$(wc -l <"$TMP/src")
	nsx "$H" python3 -c 'import socket, sys; socket.create_connection(("2001:db8::99", int(sys.argv[1])), timeout=5).close()' \
		"$(cat "$TMP/src.port")" 2>/dev/null || { echo "no connection"; return; }
	wait_for seen_more "$n" && tail -n 1 "$TMP/src"
}
assert_eq "IPv6, no address of the host's own: the kernel uses the VIP as source" 2001:db8::70 "$(source_seen)"
lr "$H" "$C6" status
assert_match "IPv6, no address of the host's own: status warns" \
	"warning: 2001:db8::70 on eth0: the host has no global IPv6 address of its own" "$(cat "$TMP/last.out")"
nsx "$H" ip addr add 2001:db8::11/64 dev eth0 nodad
assert_eq "IPv6 director: a connection the host opens leaves from its own address" 2001:db8::11 "$(source_seen)"
lr "$H" "$C6" status
assert_eq "IPv6 director with an address of its own: no warning" "" "$(grep warning "$TMP/last.out")"
lr "$H" "$C6" INSTANCE VI_6 BACKUP 100
assert_eq "IPv6 real server (VIP on lo): a connection the host opens leaves from its own address" \
	"2001:db8::11 | 2001:db8::70/128[deprecated,nodad]" "$(source_seen) | $(addrs "$H" lo)"
nsx "$H" ip addr del 2001:db8::11/64 dev eth0

# --- keepalived's use_vmac: the VIP on the VMAC (a macvlan with the VRRP MAC), keepalived's
# arp_ignore 1 on it and on its parent; director values 0 configured, the parent listed too,
# and an original 0 of the parent saved before keepalived made the VMAC ---
VMAC=00:00:5e:00:01:33
CV=$TMP/hv.conf
conf "$CV" "$TMP/hv.state" '"arp_sysctl": { "interfaces": ["all", "lo", "eth0", "vrrp.51"],
    "director": { "arp_ignore": 0, "arp_announce": 0 } },
  "instances": { "VI_V": { "nic": "vrrp.51", "vips": ["10.9.0.55/24"] } }'
setsys "$H" eth0 arp_ignore 0
lr "$H" "$CV" INSTANCE VI_V BACKUP 100
assert_eq "VMAC: a real server before keepalived made the VMAC: exit code" 0 $?
nsx "$H" ip link add link eth0 name vrrp.51 address "$VMAC" type macvlan mode private
nsx "$H" ip link set vrrp.51 up
setsys "$H" vrrp.51 arp_ignore 1
setsys "$H" eth0 arp_ignore 1
setsys "$H" eth0 arp_filter 1
lr "$H" "$CV" INSTANCE VI_V MASTER 100
assert_eq "VMAC: director: exit code" 0 $?
assert_eq "VMAC: director: arp_ignore stays 1 on the VMAC and its parent (all relaxed to 0)" \
	"all=0/0 eth0=1/0 vrrp.51=1/0 arp_filter=1" "$(sysctls "$H" all eth0 vrrp.51) arp_filter=$(nsx "$H" cat /proc/sys/net/ipv4/conf/eth0/arp_filter)"
assert_eq "VMAC: the VIP is on the VMAC" "10.9.0.55/24" "$(addrs "$H" vrrp.51)"
td_start vmac
nsx "$CL" arping -c 1 -w 2 -I eth0 10.9.0.11 >/dev/null 2>&1
nsx "$CL" arping -c 1 -w 2 -I eth0 10.9.0.55 >/dev/null 2>&1
td_wait vmac 1 "Reply 10\.9\.0\.11 is-at $HMAC"
td_wait vmac 1 "Reply 10\.9\.0\.55 is-at $VMAC"
td_stop
assert_eq "VMAC on the wire: the host's address answered by its own MAC only, the VIP by the VMAC only" "1 0 1 0" \
	"$(td_count vmac "Reply 10\.9\.0\.11 is-at $HMAC") $(td_count vmac "Reply 10\.9\.0\.11 is-at $VMAC") $(td_count vmac "Reply 10\.9\.0\.55 is-at $VMAC") $(td_count vmac "Reply 10\.9\.0\.55 is-at $HMAC")"
lr "$H" "$CV" status
assert_eq "VMAC: status finds the host converged, no drift to repair (exit 0)" 0 $?
assert_match "VMAC: status names keepalived's VMAC" "eth0: .*keepalived VMAC vrrp\.51" "$(cat "$TMP/last.out")"
finish
