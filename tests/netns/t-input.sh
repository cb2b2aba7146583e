#!/bin/bash
# Bad input changes nothing and gets the documented exit code; a failure half-way is reported
# per VIP with the kernel's reason, leaves nothing answering ARP in the wrong role, and the
# next run converges.
. "$(dirname "$0")/lib.sh"
require_netns

NS=$(mkns i)
C=$TMP/i.conf
ST=$TMP/i.state
conf "$C" "$ST" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24", "2001:db8::50/64"] } }'
lr "$NS" "$C" INSTANCE VI_1 BACKUP 100
BEFORE=$(snapshot "$NS")
STATE_BEFORE=$(cat "$ST/state.json")

unchanged() { # DESCRIPTION EXPECTED-EXIT ACTUAL-EXIT [OUTPUT-REGEX]
	assert_eq "$1: exit $2" "$2" "$3"
	assert_eq "$1: host unchanged" "$BEFORE" "$(snapshot "$NS")"
	assert_eq "$1: state file unchanged" "$STATE_BEFORE" "$(cat "$ST/state.json")"
	[ -z "${4:-}" ] || assert_match "$1: message" "$4" "$(cat "$TMP/last.out")"
}

# arguments (exit 2)
lr "$NS" "$C" INSTANCE VI_1 MASTER; unchanged "three words" 2 $? "needs NAME STATE PRIORITY"
lr "$NS" "$C" INSTANCE VI_1 MASTER 100 extra; unchanged "five words" 2 $?
lr "$NS" "$C" INSTANCE VI_1 master 100; unchanged "unknown state" 2 $? 'unknown state "master"'
lr "$NS" "$C" INSTANCE VI_1 MASTER 256; unchanged "priority 256" 2 $? "priority"
lr "$NS" "$C" INSTANCE VI_1 MASTER -5; unchanged "negative priority" 2 $?
lr "$NS" "$C" INSTANCE "$(printf 'x%.0s' $(seq 300))" MASTER 100; unchanged "over-long argument" 2 $? "longer than 256"
lr "$NS" "$C" INSTANCE "$(printf 'VI\001')" MASTER 100; unchanged "non-printable argument" 2 $? "not printable"
lr "$NS" "$C" apply boss VI_1; unchanged "unknown role" 2 $? 'unknown role "boss"'
lr "$NS" "$C" frobnicate; unchanged "unknown command" 2 $?
lr "$NS" "$C" --bogus status; unchanged "unknown option" 2 $?

# names (exit 4)
lr "$NS" "$C" INSTANCE VI_9 MASTER 100; unchanged "unknown instance" 4 $? '"VI_9" is not in'
lr "$NS" "$C" GROUP VI_1 MASTER 0; unchanged "instance reported as a group" 4 $? "configured as a instance|configured as an instance"
lr "$NS" "$C" apply director VI_9; unchanged "apply to an unknown name" 4 $?

# configuration (exit 3): the message names FILE:LINE: path
BAD=$TMP/bad.conf
printf '{\n  "state_dir": "%s",\n  "instances": {\n    "VI_1": { "nic": "eth0", "vips": ["10.9.0.500/24"] }\n  }\n}\n' "$ST" >"$BAD"
lr "$NS" "$BAD" INSTANCE VI_1 MASTER 100; unchanged "invalid VIP in config" 3 $? "$BAD:4: instances.VI_1.vips\[0\]: invalid address: \"10.9.0.500/24\""
printf '{ "state_dir": "%s", "instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24"], "colour": "red" } } }' "$ST" >"$BAD"
lr "$NS" "$BAD" INSTANCE VI_1 MASTER 100; unchanged "unknown key in config" 3 $? "instances.VI_1.colour: unknown key"
lr "$NS" "$TMP/missing.conf" INSTANCE VI_1 MASTER 100; unchanged "missing config" 3 $? "cannot read"
cp "$C" "$TMP/ww.conf"; chmod 0666 "$TMP/ww.conf"
lr "$NS" "$TMP/ww.conf" INSTANCE VI_1 MASTER 100; unchanged "world-writable config" 3 $? "refusing a file that users other than root and its owner can write"
mkfifo "$TMP/fifo.conf"
lr "$NS" "$TMP/fifo.conf" INSTANCE VI_1 MASTER 100; unchanged "config is a FIFO" 3 $? "not a regular file"
head -c 1100000 /dev/zero | tr '\0' ' ' >"$TMP/big.conf"
lr "$NS" "$TMP/big.conf" INSTANCE VI_1 MASTER 100; unchanged "config over 1 MiB" 3 $? "larger than 1048576 bytes"
lr "$NS" "$BAD" check; assert_eq "check on a bad config: exit 3" 3 $?
lr "$NS" "$C" check; assert_eq "check on a good config: exit 0" 0 $?
assert_match "check prints the resolved config" '"real_server_device": "lo"' "$(cat "$TMP/last.out")"

# dry run: prints the plan, changes nothing, creates nothing
lr "$NS" "$C" --dry-run INSTANCE VI_1 MASTER 100; unchanged "dry run" 0 $? "add 10.9.0.50/24 to eth0"
C2=$TMP/dry.conf
conf "$C2" "$TMP/never" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24", "2001:db8::50/64"] } }'
lr "$NS" "$C2" apply director --dry-run
assert_eq "dry run creates no state directory" "absent" "$([ -e "$TMP/never" ] && echo present || echo absent)"

# unusable state directory (exit 5)
C3=$TMP/st.conf
touch "$TMP/notadir"
conf "$C3" "$TMP/notadir" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24", "2001:db8::50/64"] } }'
lr "$NS" "$C3" INSTANCE VI_1 MASTER 100; unchanged "state directory is a file" 5 $? "state directory .*notadir: not a directory"
mkdir -m 0777 "$TMP/worldw"
conf "$C3" "$TMP/worldw" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24", "2001:db8::50/64"] } }'
lr "$NS" "$C3" INSTANCE VI_1 MASTER 100; unchanged "world-writable state directory" 5 $? "worldw: others can write it \(mode 0777\)"
ln -s "$ST" "$TMP/link"
conf "$C3" "$TMP/link" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24", "2001:db8::50/64"] } }'
lr "$NS" "$C3" INSTANCE VI_1 MASTER 100; unchanged "state directory is a symlink" 5 $? "link: a symbolic link \(refused"
mkdir -m 0700 "$TMP/theirs"
chown 65534 "$TMP/theirs"
conf "$C3" "$TMP/theirs" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24", "2001:db8::50/64"] } }'
lr "$NS" "$C3" INSTANCE VI_1 MASTER 100; unchanged "state directory of another user" 5 $? "theirs: owned by uid 65534, not by uid 0"

# failure half-way: the NIC vanished. Each VIP reports the kernel's reason, the VIP stays on lo
# with the real-server sysctls (nothing answers ARP in the wrong role), exit 1, and once the NIC
# is back the next run converges.
nsx "$NS" ip link del eth0
lr "$NS" "$C" INSTANCE VI_1 MASTER 100
assert_eq "NIC vanished: exit 1" 1 $?
assert_match "NIC vanished: reason per VIP (IPv4)" "add 10.9.0.50/24 to eth0: failed: No such device" "$(cat "$TMP/last.out")"
assert_match "NIC vanished: reason per VIP (IPv6)" "add 2001:db8::50/64 to eth0: failed: No such device" "$(cat "$TMP/last.out")"
assert_eq "NIC vanished: result recorded" "failed" "$(state_field "$ST" VI_1 result)"
assert_eq "NIC vanished: VIPs kept on lo" "10.9.0.50/32 2001:db8::50/128[deprecated,nodad]" "$(addrs "$NS" lo)"
assert_eq "NIC vanished: real-server sysctls kept" "1/2" "$(sysctls "$NS" all | cut -d= -f2)"
nsx "$NS" ip link add eth0 type veth peer name peer1
nsx "$NS" ip link set eth0 up
lr "$NS" "$C" INSTANCE VI_1 MASTER 100
assert_eq "NIC back: next run exit 0" 0 $?
assert_eq "NIC back: converged to director" "eth0: 10.9.0.50/24 2001:db8::50/64[deprecated,nodad] | lo:  | all=0/0 lo=0/0 eth0=0/0" "$(snapshot "$NS")"

# IPv6 disabled on the NIC: the kernel refuses the IPv6 VIP with EACCES, which is no lack of
# privilege: exit 1 (not 6), the reason named, the IPv4 VIP in place; once enabled, converged
lr "$NS" "$C" INSTANCE VI_1 BACKUP 100
nsx "$NS" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
lr "$NS" "$C" INSTANCE VI_1 MASTER 100
assert_eq "IPv6 disabled on the NIC: exit 1, not 6" 1 $?
assert_match "IPv6 disabled on the NIC: said so" "add 2001:db8::50/64 to eth0: failed: IPv6 is disabled on eth0 \(net.ipv6.conf.eth0.disable_ipv6 = 1\)" "$(cat "$TMP/last.out")"
assert_eq "IPv6 disabled on the NIC: the IPv4 VIP directs" "10.9.0.50/24" "$(addrs "$NS" eth0)"
nsx "$NS" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0
lr "$NS" "$C" INSTANCE VI_1 MASTER 100
assert_eq "IPv6 enabled again: converged" "eth0: 10.9.0.50/24 2001:db8::50/64[deprecated,nodad] | lo:  | all=0/0 lo=0/0 eth0=0/0" "$(snapshot "$NS")"

# without the right to change the host (an unprivileged user): exit 6, nothing changed
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
	chmod 711 "$TMP"; mkdir -m 0700 "$TMP/nobody"; chown nobody "$TMP/nobody"
	C4=$TMP/nobody.conf
	conf "$C4" "$TMP/nobody/state" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24", "2001:db8::50/64"] } }'
	chmod 644 "$C4"
	B=$(snapshot "$NS")
	ip netns exec "$NS" setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all "$NOTIFY" -v -c "$C4" INSTANCE VI_1 BACKUP 100 >"$TMP/last.out" 2>&1
	assert_eq "unprivileged: exit 6" 6 $?
	assert_match "unprivileged: says what is missing" "CAP_NET_ADMIN" "$(cat "$TMP/last.out")"
	assert_eq "unprivileged: host unchanged" "$B" "$(snapshot "$NS")"
else
	skip "unprivileged run: no 'nobody' user or setpriv"
fi
finish
