#!/bin/bash
# Every role transition (director, real server, none) for an IPv4 and an IPv6 VIP, through
# keepalived's notify arguments and through `apply`, asserted on the kernel's state.
. "$(dirname "$0")/lib.sh"
require_netns

NS=$(mkns a)
C=$TMP/a.conf
ST=$TMP/a.state
conf "$C" "$ST" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24", "2001:db8::50/64"] } }'

# values found before lvsrole's first change: they must come back in the director role
setsys "$NS" all arp_announce 1
ORIG="all=0/1 lo=0/0 eth0=0/0"
RS_SYS="all=1/2 lo=1/2 eth0=1/2"
DIR="eth0: 10.9.0.50/24 2001:db8::50/64[deprecated,nodad] | lo:  | $ORIG"
RS="eth0:  | lo: 10.9.0.50/32 2001:db8::50/128[deprecated,nodad] | $RS_SYS"
NONE="eth0:  | lo:  | $ORIG"

step() { # STATE EXPECTED-SNAPSHOT EXPECTED-RESULT
	lr "$NS" "$C" INSTANCE VI_1 "$1" 100
	local rc=$?
	assert_eq "$1 ($3): exit code" 0 "$rc"
	assert_eq "$1 ($3): kernel state" "$2" "$(snapshot "$NS")"
	assert_eq "$1 ($3): recorded result" "$3" "$(state_field "$ST" VI_1 result)"
}

step BACKUP "$RS" ok        # fresh -> real server
step FAULT "$RS" noop       # real server -> real server
step MASTER "$DIR" ok       # real server -> director
step MASTER "$DIR" noop     # director -> director
step DELETED "$NONE" ok     # director -> none
step DELETED "$NONE" noop   # none -> none
step STOP "$RS" ok          # none -> real server
step DELETED "$NONE" ok     # real server -> none
step MASTER "$DIR" ok       # none -> director
step BACKUP "$RS" ok        # director -> real server

assert_eq "recorded role after BACKUP" "real-server" "$(state_field "$ST" VI_1 role)"
assert_eq "recorded state after BACKUP" "BACKUP" "$(state_field "$ST" VI_1 state)"
assert_eq "recorded priority" "100" "$(state_field "$ST" VI_1 priority)"

# idempotence says so: the second run logs that nothing changed
lr "$NS" "$C" INSTANCE VI_1 BACKUP 100
assert_match "second run says nothing changed" "nothing changed" "$(cat "$TMP/last.out")"

# operator forms: apply ROLE NAME, and apply ROLE for every instance
lr "$NS" "$C" apply director VI_1
assert_eq "apply director VI_1" "$DIR" "$(snapshot "$NS")"
assert_eq "apply records no keepalived state" "-" "$(state_field "$ST" VI_1 state)"
lr "$NS" "$C" apply real-server
assert_eq "apply real-server (every instance)" "$RS" "$(snapshot "$NS")"
lr "$NS" "$C" apply none VI_1
assert_eq "apply none VI_1" "$NONE" "$(snapshot "$NS")"

# a group is switched like an instance
C2=$TMP/g.conf
conf "$C2" "$TMP/g.state" '"groups": { "G1": { "nic": "eth0", "vips": ["10.9.0.60/24"] } }'
lr "$NS" "$C2" GROUP G1 MASTER 0
assert_eq "GROUP G1 MASTER: VIP on the NIC" "10.9.0.60/24" "$(addrs "$NS" eth0)"
lr "$NS" "$C2" GROUP G1 BACKUP 0
assert_eq "GROUP G1 BACKUP: VIP on lo" "10.9.0.60/32" "$(addrs "$NS" lo)"
assert_eq "GROUP G1 BACKUP: VIP off the NIC" "" "$(addrs "$NS" eth0)"

# TUN mode: the real-server device is configurable
nsx "$NS" ip link add rsdev0 type veth peer name rsdev1
nsx "$NS" ip link set rsdev0 up
C3=$TMP/t.conf
conf "$C3" "$TMP/t.state" '"instances": { "VT": { "nic": "eth0", "real_server_device": "rsdev0", "vips": ["10.9.0.70/24"] } }'
lr "$NS" "$C3" INSTANCE VT BACKUP 50
assert_eq "real_server_device: VIP /32 on it" "10.9.0.70/32" "$(addrs "$NS" rsdev0)"
assert_eq "real_server_device: its sysctls raised" "rsdev0=1/2" "$(sysctls "$NS" rsdev0)"
finish
