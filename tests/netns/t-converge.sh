#!/bin/bash
# Convergence from messy starting states, 64 VIPs, the keepalived-owns-the-NIC-VIP mode, and
# hosts with several instances in different roles. Each case gets a fresh namespace.
. "$(dirname "$0")/lib.sh"
require_netns

BODY='"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24", "2001:db8::50/64"] } }'
DIR_ADDR="eth0: 10.9.0.50/24 2001:db8::50/64[deprecated,nodad] | lo: "
RS_ADDR="eth0:  | lo: 10.9.0.50/32 2001:db8::50/128[deprecated,nodad]"
n=0
fresh() { n=$((n + 1)); NS=$(mkns "c$n"); C=$TMP/c$n.conf; ST=$TMP/c$n.state; conf "$C" "$ST" "${1:-$BODY}"; }
addr_part() { snapshot "$1" | sed 's/ | [a-z]*=.*//'; }

# messy start -> both roles
messy_case() { # DESCRIPTION SETUP-COMMANDS [DIRECTOR-SYSCTLS]
	local role state want
	for role in director real-server; do
		fresh
		eval "$2"
		if [ $role = director ]; then state=MASTER want=$DIR_ADDR; else state=BACKUP want=$RS_ADDR; fi
		lr "$NS" "$C" INSTANCE VI_1 $state 100
		assert_eq "$1 -> $role: exit 0" 0 $?
		assert_eq "$1 -> $role: addresses" "$want" "$(addr_part "$NS")"
		if [ $role = director ]; then
			assert_eq "$1 -> $role: sysctls" "${3:-all=0/0 lo=0/0 eth0=0/0}" "$(sysctls "$NS" all lo eth0)"
		else
			assert_eq "$1 -> $role: sysctls" "all=1/2 lo=1/2 eth0=1/2" "$(sysctls "$NS" all lo eth0)"
		fi
		lr "$NS" "$C" status
		assert_eq "$1 -> $role: status converged (exit 0)" 0 $?
	done
}
messy_case "VIP on both NIC and lo" 'nsx $NS ip addr add 10.9.0.50/24 dev eth0; nsx $NS ip addr add 10.9.0.50/32 dev lo; nsx $NS ip addr add 2001:db8::50/64 dev eth0 nodad; nsx $NS ip addr add 2001:db8::50/128 dev lo nodad'
messy_case "VIP on neither" ':'
messy_case "wrong prefixes on the NIC" 'nsx $NS ip addr add 10.9.0.50/32 dev eth0; nsx $NS ip addr add 2001:db8::50/128 dev eth0 nodad'
messy_case "wide prefixes on lo" 'nsx $NS ip addr add 10.9.0.50/24 dev lo; nsx $NS ip addr add 2001:db8::50/64 dev lo nodad'
messy_case "IPv4 VIP twice on the NIC" 'nsx $NS ip addr add 10.9.0.50/24 dev eth0; nsx $NS ip addr add 10.9.0.50/28 dev eth0'
messy_case "IPv6 VIP preferred (not deprecated)" 'nsx $NS ip addr add 2001:db8::50/64 dev eth0 nodad; nsx $NS ip addr add 2001:db8::50/128 dev lo nodad'
# the values found at lvsrole's first look are the originals, a script's leftovers too (an
# operator's hardening looks the same): a director keeps them, and with arp_ignore 1 it still
# answers for the VIP on its NIC; explicit director values would override them
messy_case "sysctls at real-server values from a script" 'setsys $NS all arp_ignore 1; setsys $NS all arp_announce 2; setsys $NS eth0 arp_ignore 1' \
	"all=1/2 lo=0/0 eth0=1/0"

# sysctls reset by someone else (sysctl -p): status sees drift, the next run converges
fresh
lr "$NS" "$C" INSTANCE VI_1 BACKUP 100
setsys "$NS" all arp_ignore 0
setsys "$NS" eth0 arp_announce 0
lr "$NS" "$C" status
assert_eq "sysctls reset by someone else: status exit 7 (drift)" 7 $?
assert_match "status names the drift" "set all.arp_ignore 0 -> 1" "$(cat "$TMP/last.out")"
lr "$NS" "$C" INSTANCE VI_1 BACKUP 100
assert_eq "sysctls reset: next run restores them" "all=1/2 lo=1/2 eth0=1/2" "$(sysctls "$NS" all lo eth0)"
nsx "$NS" ip addr del 10.9.0.50/32 dev lo
lr "$NS" "$C" status --json
assert_eq "VIP deleted by someone else: status --json exit 7" 7 $?
assert_eq "status --json: converged false" "False" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["converged"])' "$TMP/last.out" 2>/dev/null || sed -n '/^{/,$p' "$TMP/last.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["converged"])')"

# 64 VIPs (56 IPv4, 8 IPv6)
V=""
for i in $(seq 1 56); do V="$V\"10.9.1.$i/24\","; done
for i in $(seq 1 8); do V="$V\"2001:db8:1::$i/64\","; done
fresh "\"instances\": { \"VI_1\": { \"nic\": \"eth0\", \"vips\": [${V%,}] } }"
lr "$NS" "$C" INSTANCE VI_1 BACKUP 100
assert_eq "64 VIPs -> real server: 64 on lo" 64 "$(addrs "$NS" lo | wc -w)"
assert_eq "64 VIPs -> real server: none on the NIC" 0 "$(addrs "$NS" eth0 | wc -w)"
lr "$NS" "$C" INSTANCE VI_1 MASTER 100
assert_eq "64 VIPs -> director: 64 on the NIC" 64 "$(addrs "$NS" eth0 | wc -w)"
assert_eq "64 VIPs -> director: none on lo" 0 "$(addrs "$NS" lo | wc -w)"
assert_eq "64 VIPs -> director: /24s on the NIC" 56 "$(addrs "$NS" eth0 | tr ' ' '\n' | grep -c '^10\.9\.1\.[0-9]*/24$')"
lr "$NS" "$C" INSTANCE VI_1 MASTER 100
assert_match "64 VIPs: second run changes nothing" "nothing changed" "$(cat "$TMP/last.out")"

# keepalived owns the NIC VIP: lvsrole never touches it, only lo and the sysctls
fresh '"instances": { "VI_1": { "nic": "eth0", "nic_vip_owner": "keepalived", "vips": ["10.9.0.50/24"] } }'
lr "$NS" "$C" INSTANCE VI_1 BACKUP 100
assert_eq "keepalived-owned, BACKUP: VIP on lo" "eth0:  | lo: 10.9.0.50/32" "$(addr_part "$NS")"
nsx "$NS" ip addr add 10.9.0.50/24 dev eth0   # keepalived adds its VIP before notifying MASTER
lr "$NS" "$C" INSTANCE VI_1 MASTER 100
assert_eq "keepalived-owned, MASTER: NIC VIP kept, lo cleared" "eth0: 10.9.0.50/24 | lo: " "$(addr_part "$NS")"
assert_eq "keepalived-owned, MASTER: director sysctls" "all=0/0 lo=0/0 eth0=0/0" "$(sysctls "$NS" all lo eth0)"
nsx "$NS" ip addr del 10.9.0.50/24 dev eth0   # keepalived removes it before notifying BACKUP
lr "$NS" "$C" INSTANCE VI_1 BACKUP 100
assert_eq "keepalived-owned, back to BACKUP" "eth0:  | lo: 10.9.0.50/32" "$(addr_part "$NS")"
nsx "$NS" ip addr add 10.9.0.50/24 dev eth0
lr "$NS" "$C" INSTANCE VI_1 DELETED 100
assert_eq "keepalived-owned, DELETED: NIC VIP is keepalived's, lo cleared" "eth0: 10.9.0.50/24 | lo: " "$(addr_part "$NS")"

# two instances on one host in different roles
TWO='"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24"] }, "VI_2": { "nic": "eth0", "vips": ["10.9.0.51/24", "2001:db8::51/64"] } }'
fresh "$TWO"
lr "$NS" "$C" INSTANCE VI_1 MASTER 100
lr "$NS" "$C" INSTANCE VI_2 BACKUP 90
assert_eq "mixed: VI_1 director, VI_2 real server" "eth0: 10.9.0.50/24 | lo: 10.9.0.51/32 2001:db8::51/128[deprecated,nodad]" "$(addr_part "$NS")"
assert_eq "mixed: real-server sysctls stay while VI_2 serves" "all=1/2 lo=1/2 eth0=1/2" "$(sysctls "$NS" all lo eth0)"
lr "$NS" "$C" INSTANCE VI_2 MASTER 90
assert_eq "both directors: sysctls relaxed" "all=0/0 lo=0/0 eth0=0/0" "$(sysctls "$NS" all lo eth0)"
assert_eq "both directors: addresses" "eth0: 10.9.0.50/24 10.9.0.51/24 2001:db8::51/64[deprecated,nodad] | lo: " "$(addr_part "$NS")"
lr "$NS" "$C" INSTANCE VI_1 FAULT 100
assert_eq "VI_1 FAULT: real-server sysctls again" "all=1/2 lo=1/2 eth0=1/2" "$(sysctls "$NS" all lo eth0)"
assert_eq "VI_1 FAULT: addresses" "eth0: 10.9.0.51/24 2001:db8::51/64[deprecated,nodad] | lo: 10.9.0.50/32" "$(addr_part "$NS")"
lr "$NS" "$C" INSTANCE VI_1 DELETED 100
assert_eq "VI_1 DELETED, VI_2 director: relaxed" "all=0/0 lo=0/0 eth0=0/0" "$(sysctls "$NS" all lo eth0)"

# an interface in the sysctl list that does not exist (a VLAN not created yet): nothing to set
# there, and the VIP still goes on lo since "all" covers every interface
fresh '"arp_sysctl": { "interfaces": ["all", "lo", "eth0", "eth9"] }, "instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24"] } }'
lr "$NS" "$C" INSTANCE VI_1 BACKUP 100
assert_eq "missing sysctl interface: exit 0" 0 $?
assert_eq "missing sysctl interface: VIP on lo" "eth0:  | lo: 10.9.0.50/32" "$(addr_part "$NS")"
assert_eq "missing sysctl interface: the others raised" "all=1/2 lo=1/2 eth0=1/2" "$(sysctls "$NS" all lo eth0)"
lr "$NS" "$C" INSTANCE VI_1 MASTER 100
assert_eq "missing sysctl interface: director exit 0" 0 $?
lr "$NS" "$C" status
assert_eq "missing sysctl interface: status converged" 0 $?

# an instance lvsrole has not heard of yet, whose VIP sits on lo: real-server sysctls stay
fresh "$TWO"
nsx "$NS" ip addr add 10.9.0.51/32 dev lo
setsys "$NS" all arp_ignore 1; setsys "$NS" all arp_announce 2
lr "$NS" "$C" INSTANCE VI_1 MASTER 100
assert_eq "unknown VI_2 on lo: its VIP left alone" "eth0: 10.9.0.50/24 | lo: 10.9.0.51/32" "$(addr_part "$NS")"
assert_eq "unknown VI_2 on lo: sysctls not relaxed" "1/2" "$(sysctls "$NS" all | cut -d= -f2)"
finish
