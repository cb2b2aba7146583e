#!/bin/bash
# The loop guards on this host's kernel (no IPVS needed; the IPVS tier proves the loop itself):
# the guard "fwmark" marks the traffic to the VIPs only while the host directs (a client's
# SYNs counted by mark in the host's input), its rules replaced when the configuration
# changes, removed with the role (the table with role none), removed when the guard leaves
# the configuration (also after a keepalived without the guard, if this boot's marker says the
# table is lvsrole's), repaired after a flush; the guard "backup_only" on a kernel without IPVS says so and moves the VIPs
# all the same.
. "$(dirname "$0")/lib.sh"
require_netns
need nft

mkswitch
LB=$(attach lb 1 10.9.0.11/24)
CL=$(attach cl 2 10.9.0.99/24)
C=$TMP/c.conf ST=$TMP/state
guard() { # PORTS: the configuration with the guard fwmark 7 on those ports
	conf "$C" "$ST" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24", "2001:db8::50/64"], "ipvs": { "fwmark": 7, "ports": ['"$1"'] } } }'
}
unguarded() { conf "$C" "$ST" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24", "2001:db8::50/64"] } }'; }
# rules: "PROTO PORTS MARK COMMENT-NAME" per rule of lvsrole's table, sorted
rules() {
	nsx "$LB" nft -j list table inet lvsrole 2>/dev/null | python3 -c '
import json, sys
out = []
for x in json.load(sys.stdin)["nftables"]:
    r = x.get("rule")
    if not r:
        continue
    e = {k: v for m in r["expr"] for k, v in m.items()}
    fam = [m["match"]["left"]["payload"]["protocol"] for m in r["expr"] if "match" in m and m["match"]["left"].get("payload", {}).get("field") == "daddr"]
    ports = [m["match"]["right"] for m in r["expr"] if "match" in m and m["match"]["left"].get("payload", {}).get("field") == "dport"]
    out.append("%s %s %s %s" % (fam[0] if fam else "?", json.dumps(ports[0]) if ports else "-", e["mangle"]["value"], r.get("comment", "").split()[0]))
print("; ".join(sorted(out)))' 2>/dev/null
}
# marked PORT: a TCP SYN from the client to the VIP's PORT; prints how many packets the host's
# input saw with mark 7 and without (its counters), "marked/unmarked"
nsx "$LB" nft -f - <<'EON'
table inet count {
  chain input {
    type filter hook input priority 0;
    ip daddr 10.9.0.50 meta mark 7 counter name "marked"
    ip daddr 10.9.0.50 meta mark != 7 counter name "unmarked"
  }
  counter marked { }
  counter unmarked { }
}
EON
counters() { nsx "$LB" nft -j list counters table inet count | python3 -c 'import json,sys; c = {x["counter"]["name"]: x["counter"]["packets"] for x in json.load(sys.stdin)["nftables"] if "counter" in x}; print("%d/%d" % (c["marked"], c["unmarked"]))'; }
syn_to() { # PORT: one connection attempt from the client (refused or not: the SYN arrived)
	nsx "$CL" python3 -c 'import socket, sys
s = socket.socket(); s.settimeout(1)
try:
    s.connect(("10.9.0.50", int(sys.argv[1])))
except OSError:
    pass' "$1"
}
# the client reaches the VIP in either role (no ARP needed)
nsx "$CL" ip neigh replace 10.9.0.50 lladdr "$(nsx "$LB" cat /sys/class/net/eth0/address)" dev eth0 nud permanent
counted() { [ "$(counters)" = "$1" ]; }

guard '"tcp/80", "udp/53"'
lr "$LB" "$C" INSTANCE VI_1 MASTER 100
assert_eq "director: exit 0" 0 $?
assert_eq "director: lvsrole's table holds VI_1's rules, one per family and protocol" \
	'ip 80 7 VI_1; ip 53 7 VI_1; ip6 80 7 VI_1; ip6 53 7 VI_1' "$(rules | tr ';' '\n' | sed 's/^ //' | sort -k1,1 -k2,2r | paste -sd ';' | sed 's/;/; /g')"
syn_to 80
wait_for counted 1/0
syn_to 81
wait_for counted 1/1
assert_eq "director: a SYN to the VIP's port 80 is marked 7, one to port 81 is not (the host's input counters)" 1/1 "$(counters)"

lr "$LB" "$C" INSTANCE VI_1 BACKUP 100
assert_eq "real server: exit 0" 0 $?
assert_eq "real server: lvsrole's table holds no rule (its chain stays for the next director switch)" "" "$(rules)"
syn_to 80
wait_for counted 1/2
assert_eq "real server: a SYN to the VIP's port 80 is not marked" 1/2 "$(counters)"
assert_match "the switch log names the guard's step" "VI_1: stop marking VI_1's traffic \(table inet lvsrole\)" "$(cat "$TMP/last.out")"

# role none: the table goes too
lr "$LB" "$C" apply none VI_1
assert_eq "role none: lvsrole's table is gone" "absent" "$(nsx "$LB" nft list table inet lvsrole >/dev/null 2>&1 && echo present || echo absent)"

# the configuration changes the ports: the rules are replaced in the same role
lr "$LB" "$C" INSTANCE VI_1 MASTER 100
guard '"tcp/443"'
lr "$LB" "$C" status
assert_eq "ports changed: status sees drift (exit 7)" 7 $?
lr "$LB" "$C" INSTANCE VI_1 MASTER 100
assert_eq "ports changed: the next run replaces the rules" "ip 443 7 VI_1; ip6 443 7 VI_1" "$(rules)"
syn_to 443
wait_for counted 2/2
assert_eq "ports changed: port 443 marked now" 2/2 "$(counters)"

# a flush by someone else (the host's nftables service): drift, repaired by the next run
nsx "$LB" nft flush table inet lvsrole
lr "$LB" "$C" status --json
assert_eq "rules flushed: status exit 7" 7 $?
assert_match "status --json: the guard's rules absent" '"rules": "absent"' "$(cat "$TMP/last.out")"
lr "$LB" "$C" apply director VI_1
assert_eq "rules flushed: apply puts them back" "ip 443 7 VI_1; ip6 443 7 VI_1" "$(rules)"

# the guard taken out of the configuration: its rules go with the next run, and the table
unguarded
lr "$LB" "$C" status
assert_eq "guard removed: status sees drift (exit 7)" 7 $?
assert_match "status names the removal" "remove the rules of no guarded instance from table inet lvsrole" "$(cat "$TMP/last.out")"
lr "$LB" "$C" INSTANCE VI_1 MASTER 100
assert_eq "guard removed: the next run removes the table" "absent" \
	"$(nsx "$LB" nft list table inet lvsrole >/dev/null 2>&1 && echo present || echo absent)"
lr "$LB" "$C" status
assert_eq "guard removed: converged afterwards (no more reading of the table)" 0 $?

# the marker that makes lvsrole look at its table without a guard configured is of this boot:
# one of an earlier boot (a state directory that outlives reboots) is not followed
nsx "$LB" nft -f - <<'EON'
table inet lvsrole {
  chain guard {
    type filter hook prerouting priority mangle; policy accept;
    ip daddr 10.9.0.77 meta mark set 0x9 comment "VI_9 0123456789abcdef"
  }
}
EON
printf 'an earlier boot' >"$ST/nft-table"
lr "$LB" "$C" status
assert_eq "a marker of another boot: the table is not looked at (status exit 0)" 0 $?
cat /proc/sys/kernel/random/boot_id >"$ST/nft-table"
lr "$LB" "$C" status
assert_eq "a marker of this boot: the rules of no guarded instance are drift (status exit 7)" 7 $?
lr "$LB" "$C" INSTANCE VI_1 MASTER 100
assert_eq "a marker of this boot: the next run removes them, the table and the marker" "absent absent" \
	"$(nsx "$LB" nft list table inet lvsrole >/dev/null 2>&1 && echo present || echo absent) $([ -e "$ST/nft-table" ] && echo present || echo absent)"

# backup_only where the kernel has no IPVS (these machines; the IPVS tier has it)
conf "$C" "$ST" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24"], "ipvs": { "loop_guard": "backup_only" } } }'
lr "$LB" "$C" INSTANCE VI_1 BACKUP 100
rc=$?
if nsx "$LB" test -e /proc/sys/net/ipv4/vs/backup_only; then
	assert_eq "backup_only: set to 1 (exit $rc)" "0 1" "$rc $(nsx "$LB" cat /proc/sys/net/ipv4/vs/backup_only)"
else
	assert_eq "backup_only without IPVS: the switch is partial (exit 1)" 1 $rc
	assert_match "backup_only without IPVS: it says why" "set net.ipv4.vs.backup_only \? -> 1: failed: IPVS is not loaded, and loading it failed" "$(cat "$TMP/last.out")"
	assert_eq "backup_only without IPVS: the VIP moved all the same (real server)" "10.9.0.50/32" "$(addrs "$LB" lo)"
fi
finish
