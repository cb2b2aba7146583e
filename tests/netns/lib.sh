# Shared helpers for the namespace tests: random names, cleanup of everything created (even
# on failure), and assertions on what the kernel shows (ip -j addr, /proc/sys).
# shellcheck shell=bash
set -u

LR_SRCDIR=${LR_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
LR_BUILDDIR=${LR_BUILDDIR:-$LR_SRCDIR/build}
NOTIFY=${LR_NOTIFY:-$LR_BUILDDIR/lvsrole-notify}
WATCH=$LR_BUILDDIR/tests/netns/lr-watch
TAG=lr$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
TMP=$(mktemp -d "/tmp/lvsrole-test.$TAG.XXXXXX")
NSES=()
BGPIDS=()
PASS=0
FAIL=0
SKIP=0

CLEANUP_CMDS=() # run first by cleanup (e.g. umount)
cleanup() {
	local p ns c
	for p in "${BGPIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	for c in "${CLEANUP_CMDS[@]}"; do eval "$c" 2>/dev/null; done
	# every namespace of this run carries its random tag (mkns runs in $(...) subshells,
	# so NSES alone would miss them)
	for ns in "${NSES[@]}" $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$TAG"); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	# veth peers left in the root namespace by a failed setup
	ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^$TAG" |
		while read -r l; do ip link del "$l" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Root and network namespaces are needed; in CI (as root) they must work.
require_netns() {
	if [ "$(id -u)" = 0 ] && ip netns add "${TAG}probe" 2>/dev/null; then
		ip netns del "${TAG}probe"
		[ -x "$NOTIFY" ] || { echo "FAIL: $NOTIFY not built"; exit 99; }
		return 0
	fi
	if [ "${CI:-}" = true ]; then
		echo "FAIL: network namespaces unavailable in CI (uid $(id -u))"
		exit 99
	fi
	echo "SKIP: needs root and network namespaces (uid $(id -u))"
	exit 77
}

ok() { PASS=$((PASS + 1)); echo "ok - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "not ok - $*"; }
skip() { SKIP=$((SKIP + 1)); echo "skip - $*"; }

# assert_eq DESCRIPTION EXPECTED ACTUAL
assert_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "#   expected: [$2]"; echo "#   actual:   [$3]"; fi
}

# assert_match DESCRIPTION REGEX TEXT
assert_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else not_ok "$1"; echo "#   /$2/ not in: [$3]"; fi
}

# LR_VALGRIND=1: lvsrole-notify and lvsrole-plugin (and lvsrole-deliver, which they start)
# run under valgrind (memcheck, definite and indirect leaks are errors); finish reports what
# it found, one failure per process with errors
VGLOG=
if [ "${LR_VALGRIND:-}" = 1 ]; then
	command -v valgrind >/dev/null || { echo "FAIL: valgrind not installed (tests/deps.sh)"; exit 99; }
	# outside $TMP and open to all: tests run the programs as other users too (copies of
	# the programs, as the build directory may be closed to them)
	_vg=$(mktemp -d /tmp/lvsrole-valgrind.XXXXXX)
	chmod 0755 "$_vg"
	CLEANUP_CMDS+=("rm -rf '$_vg'")
	VGLOG=$_vg/log
	mkdir -m 1777 "$VGLOG"
	mkdir -m 0755 "$_vg/bin" "$_vg/wrap"
	for _p in lvsrole-notify lvsrole-plugin lvsrole-deliver; do
		cp "$LR_BUILDDIR/$_p" "$_vg/bin/$_p"
	done
	for _p in lvsrole-notify lvsrole-plugin; do
		printf '#!/bin/sh\nexec valgrind -q --trace-children=yes --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --log-file=%s/%%p.log %s "$@"\n' \
			"$VGLOG" "$_vg/bin/$_p" >"$_vg/wrap/$_p"
		chmod 755 "$_vg/wrap/$_p"
	done
	NOTIFY=$_vg/wrap/lvsrole-notify
	LR_PLUGIN=$_vg/wrap/lvsrole-plugin
fi
# timing DESCRIPTION: true unless under valgrind (LR_VALGRIND=1), where an assertion on how
# fast something happened is not judged (it is skipped, saying so)
timing() {
	[ -z "$VGLOG" ] && return 0
	skip "$1 (a timing: not judged under valgrind)"
	return 1
}
# valgrind_verdict: a failure for each process valgrind found errors in (LR_VALGRIND=1)
valgrind_verdict() {
	local f n=0
	[ -n "$VGLOG" ] || return 0
	for f in "$VGLOG"/*.log; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		if [ -s "$f" ]; then
			not_ok "valgrind: $(basename "$f"): $(grep -m1 -E "^==[0-9]+== (Command|[A-Z])" "$f" | cut -c1-200)"
			sed 's/^/#   /' "$f" | head -40
		fi
	done
	ok "valgrind: $n process(es) checked"
}

finish() {
	valgrind_verdict
	echo "$PASS passed, $FAIL failed, $SKIP skipped"
	[ "$FAIL" = 0 ] || exit 1
	[ "$PASS" -gt 0 ] || exit 77
	exit 0
}

# mkns SUFFIX: a namespace with lo up and eth0 (a veth whose peer stays in the namespace).
mkns() {
	local ns=$TAG$1
	ip netns add "$ns" || return 1
	NSES+=("$ns")
	ip -n "$ns" link set lo up
	ip -n "$ns" link add eth0 type veth peer name peer0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set peer0 up
	echo "$ns"
}

# mkswitch: a namespace holding bridge br0; attach NS IP/PREFIX plugs NS's eth0 into it.
mkswitch() {
	SW=$TAG"sw"
	ip netns add "$SW" || return 1
	NSES+=("$SW")
	ip -n "$SW" link add br0 type bridge
	ip -n "$SW" link set br0 up
}
attach() {
	local ns=$TAG$1 n=$2 addr=$3
	ip netns add "$ns" || return 1
	NSES+=("$ns")
	ip -n "$ns" link set lo up
	ip link add "$TAG$n" type veth peer name "${TAG}p$n"
	ip link set "$TAG$n" netns "$ns"
	ip link set "${TAG}p$n" netns "$SW"
	ip -n "$SW" link set "${TAG}p$n" master br0 up
	ip -n "$ns" link set "$TAG$n" name eth0
	ip -n "$ns" link set eth0 up
	[ -z "$addr" ] || ip -n "$ns" addr add "$addr" dev eth0
	echo "$ns"
}

# in NS CMD...: run inside a namespace
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# lr NS CONF ARGS...: run lvsrole-notify in NS; output in $TMP/last.out, exit code returned
lr() {
	local ns=$1 conf=$2; shift 2
	ip netns exec "$ns" "$NOTIFY" -v -c "$conf" "$@" >"$TMP/last.out" 2>&1
}

# addrs NS DEV: the global addresses of DEV, sorted, one line: "10.9.0.50/24 2001:db8::50/64[deprecated,nodad]"
addrs() {
	ip -j -n "$1" addr show dev "$2" 2>/dev/null | python3 -c '
import json, sys
out = []
for i in json.load(sys.stdin):
    for a in i.get("addr_info", []):
        if a.get("scope") == "link" or a["local"] in ("127.0.0.1", "::1"):
            continue
        f = []
        if a["family"] == "inet6":
            if a.get("preferred_life_time") == 0: f.append("deprecated")
            if a.get("nodad"): f.append("nodad")
        out.append("%s/%d%s" % (a["local"], a["prefixlen"], "[" + ",".join(f) + "]" if f else ""))
print(" ".join(sorted(out)))'
}

# sysctls NS IFACE...: "all=1/2 lo=1/2" (arp_ignore/arp_announce)
sysctls() {
	local ns=$1 i out=""; shift
	for i in "$@"; do
		out="$out $i=$(nsx "$ns" cat /proc/sys/net/ipv4/conf/"$i"/arp_ignore)/$(nsx "$ns" cat /proc/sys/net/ipv4/conf/"$i"/arp_announce)"
	done
	echo "${out# }"
}

setsys() { nsx "$1" sh -c "echo $4 > /proc/sys/net/ipv4/conf/$2/$3"; }

# snapshot NS: everything a switch could change, for "nothing changed" checks
snapshot() {
	echo "eth0: $(addrs "$1" eth0) | lo: $(addrs "$1" lo) | $(sysctls "$1" all lo eth0)"
}

# state_field NS-CONF-STATEDIR NAME FIELD: a field of the recorded state
state_field() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["instances"][sys.argv[2]][sys.argv[3]])' "$1/state.json" "$2" "$3" 2>/dev/null
}

# wait_arrival STATEDIR N: until the per-host arrival counter reaches N (60 s at most, by the
# clock: a loaded machine makes each look slow); a failure if it does not
wait_arrival() {
	local end=$((SECONDS + 60)) got
	while :; do
		got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seq"])' "$1/arrivals.json" 2>/dev/null || echo 0)
		[ "$got" -ge "$2" ] && return 0
		[ "$SECONDS" -ge "$end" ] && break
		sleep 0.1
	done
	not_ok "the arrival counter in $1 reaches $2 within 60 s (it is at $got)"
	return 1
}

# overtaken NS CONF STATEDIR OLDER NEWER OUT: with the switch lock held, an OLDER event (a
# keepalived state) arrives and waits, then a NEWER one arrives and is SIGKILLed while it waits
# (as keepalived does to STOP notifies after a second); then the lock is released. Returns the
# older run's exit code; its output is in OUT.
overtaken() {
	local ns=$1 conf=$2 sd=$3 older=$4 newer=$5 out=$6 s p1 p2 rc
	s=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seq"])' "$sd/arrivals.json" 2>/dev/null ||
		python3 -c 'import json,sys; print(max([i["seq"] for i in json.load(open(sys.argv[1]))["instances"].values()] + [0]))' "$sd/state.json")
	exec 9>"$sd/lock"
	flock 9
	ip netns exec "$ns" "$NOTIFY" -v -c "$conf" INSTANCE VI_1 "$older" 100 >"$out" 2>&1 &
	p1=$!
	wait_arrival "$sd" $((s + 1))
	ip netns exec "$ns" "$NOTIFY" -c "$conf" INSTANCE VI_1 "$newer" 100 >/dev/null 2>&1 &
	p2=$!
	wait_arrival "$sd" $((s + 2))
	kill -9 "$p2"
	wait "$p2" 2>/dev/null
	flock -u 9
	exec 9>&-
	wait "$p1"
	rc=$?
	return $rc
}

# conf FILE STATEDIR BODY: writes an lvsrole.conf with the given instances/groups body
conf() {
	local file=$1 statedir=$2; shift 2
	cat >"$file" <<EOC
{
  "state_dir": "$statedir",
  "announce": { "count": ${ANNOUNCE_COUNT:-2}, "interval_ms": ${ANNOUNCE_MS:-50} },
  $*
}
EOC
}

# ---- lvsrole-plugin ----
PLUGIN=${LR_PLUGIN:-$LR_BUILDDIR/lvsrole-plugin}
FIFOW=$LR_SRCDIR/tests/plugin/fifo-writer.py

# require_plugin: require_netns, and lvsrole-plugin built
require_plugin() {
	require_netns
	[ -x "$PLUGIN" ] || { echo "FAIL: $PLUGIN not built"; exit 99; }
}

# plugin_start NS CONF FIFO [ARGS...]: lvsrole-plugin --fifo FIFO in NS, in the background;
# its pid in PLUGIN_PID, its output in $TMP/plugin.PID.log. Waits until it reads the FIFO.
plugin_start() {
	local ns=$1 conf=$2 fifo=$3 sd _; shift 3
	sd=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state_dir"])' "$conf")
	rm -f "$sd/plugin.json"
	ip netns exec "$ns" ${LR_PLUGIN_WRAP:-} "$PLUGIN" -v -c "$conf" --fifo "$fifo" "$@" >"$TMP/plugin.out" 2>&1 &
	PLUGIN_PID=$!
	BGPIDS+=("$PLUGIN_PID")
	disown
	for _ in $(seq 200); do
		[ -s "$sd/plugin.json" ] && { cat "$TMP/plugin.out" >"$TMP/plugin.$PLUGIN_PID.log"; return 0; }
		sleep 0.05
	done
	echo "# plugin did not start: $(cat "$TMP/plugin.out")"
	return 1
}
# plugin_wait PID [SECONDS]: until PID has exited (5 s by default); 1 if it still runs
plugin_wait() {
	local _
	for _ in $(seq $((${2:-5} * 20))); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	return 1
}
# metric FILE NAME{LABELS}: a sample's value from a Prometheus textfile (empty if absent)
metric() { awk -v k="$2" '$1 == k { print $2 }' "$1" 2>/dev/null; }
# until_true SECONDS CMD...: polls CMD every 10 ms; prints the seconds it took, 1 on timeout
# eventually SECONDS EXPECTED CMD...: runs CMD every 50 ms until it prints EXPECTED or
# SECONDS pass; prints what it printed last (for an assertion on a state that takes a moment,
# e.g. a metrics file rewritten at most four times a second)
eventually() {
	local t=$1 want=$2 got _; shift 2
	for _ in $(seq $((t * 20))); do
		got=$("$@")
		[ "$got" = "$want" ] && break
		sleep 0.05
	done
	printf '%s\n' "$got"
}

until_true() {
	local t=$1 t0 _; shift
	t0=$(date +%s%N)
	for _ in $(seq $((t * 100))); do
		if "$@"; then echo $(( ($(date +%s%N) - t0) / 1000000 ))ms; return 0; fi
		sleep 0.01
	done
	return 1
}

# ---- capturing ARP and NA on the switch's bridge (mkswitch) ----
td_start() { # capture ARP and ICMPv6 on the bridge into $TMP/$1.pcap
	rm -f "$TMP/td.err"
	ip netns exec "$SW" tcpdump -i br0 -n -U --immediate-mode -w "$TMP/$1.pcap" 'arp or icmp6' 2>"$TMP/td.err" &
	TD=$!
	BGPIDS+=("$TD")
	for _ in $(seq 50); do grep -q listening "$TMP/td.err" 2>/dev/null && return 0; sleep 0.1; done
	echo "# tcpdump did not start: $(cat "$TMP/td.err")"
}
td_stop() { sleep 0.2; kill -INT "$TD"; wait "$TD" 2>/dev/null; }
td_read() { tcpdump -r "$TMP/$1.pcap" -n -e -tt -v 2>/dev/null; }
now() { date +%s.%N; }
# count_after FILE T REGEX: packets at or after time T (epoch seconds) matching REGEX
count_after() { td_read "$1" | awk -v t="$2" '$1 + 0 >= t + 0' | grep -Eic -- "$3"; }
count_before() { td_read "$1" | awk -v t="$2" '$1 + 0 < t + 0' | grep -Eic -- "$3"; }

# ---- what keepalived does to its FIFO plugin (keepalived-contract.md) ----
# plugin_reload PID FIFO: a reload: SIGTERM, then the end of the FIFO; waits for the exit
plugin_reload() {
	kill -TERM "$1"
	sleep 0.05
	exec 8<>"$2"
	exec 8>&-
	plugin_wait "$1" 2
}
# plugin_stop PID FIFO LINE...: a stop: SIGTERM, then the STOP lines, the FIFO left open;
# prints the ms from the lines to the plugin's exit (1 if it did not leave within 2 s)
plugin_stop() {
	local pid=$1 f=$2 t0 rc
	shift 2
	exec 8<>"$f"
	kill -TERM "$pid"
	sleep 0.01
	t0=$(date +%s%N)
	printf '%s\n' "$@" >&8
	plugin_wait "$pid" 2
	rc=$?
	echo $(( ($(date +%s%N) - t0) / 1000000 ))
	exec 8>&-
	return $rc
}
# term_ticks PID FIFO SECONDS: SIGTERM with neither STOP lines nor EOF; prints the CPU ticks
# the plugin used in the SECONDS that follow, then lets it leave
term_ticks() {
	local k0 k1
	exec 8<>"$2"
	k0=$(awk '{ print $14 + $15 }' "/proc/$1/stat")
	kill -TERM "$1"
	sleep "$3"
	k1=$(awk '{ print $14 + $15 }' "/proc/$1/stat")
	exec 8>&-
	plugin_wait "$1" 2
	echo $((k1 - k0))
}
