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

# ---- waiting (tests/README.md): an assertion on something asynchronous waits for its
# condition by the clock, with a deadline (LR_WAIT_S, 60 s) that only a failing test reaches;
# no test sleeps and then judges, nor reads once a file another process rewrites. A claim
# that something does NOT happen is judged after a positive sync point (the process that
# could do it has gone, the line was applied) and an observation window (observe): a busy
# machine can make such a check miss a fault, never fail a correct program.
LR_WAIT_S=${LR_WAIT_S:-60}
now_us() { echo "${EPOCHREALTIME/./}"; }
# wait_for [SECONDS] CMD...: polls CMD (every 10 ms, then every 50 ms after a second) until it
# succeeds, 0; 1 once SECONDS (default LR_WAIT_S) have passed
wait_for() {
	local t=$LR_WAIT_S t0 now
	case $1 in [0-9]*) t=$1; shift ;; esac
	t0=$(now_us)
	while :; do
		"$@" && return 0
		now=$(now_us)
		if [ $((now - t0)) -ge $((t * 1000000)) ]; then
			echo "waited ${t}s in vain for: $*" >>"$TMP/timeouts"
			return 1
		fi
		if [ $((now - t0)) -lt 1000000 ]; then sleep 0.01; else sleep 0.05; fi
	done
}
# until_true [SECONDS] CMD...: wait_for, printing the time it took ("123ms"); nothing and 1 at
# the deadline (for a test to print the time; judged only against 10x its median)
until_true() {
	local t0
	t0=$(now_us)
	wait_for "$@" || return 1
	echo "$(( ($(now_us) - t0) / 1000 ))ms"
}
# eventually EXPECTED CMD...: runs CMD until it prints EXPECTED or LR_WAIT_S pass; prints what
# it printed last (for assert_eq)
eventually() {
	local want=$1 got t0
	shift
	t0=$(now_us)
	while :; do
		got=$("$@")
		[ "$got" = "$want" ] && break
		[ $(($(now_us) - t0)) -ge $((LR_WAIT_S * 1000000)) ] && break
		sleep 0.02
	done
	printf '%s\n' "$got"
}
# await DESCRIPTION EXPECTED CMD...: assert_eq once CMD prints EXPECTED, or at the deadline
await() { local d=$1 w=$2; shift 2; assert_eq "$d" "$w" "$(eventually "$w" "$@")"; }
# await_match DESCRIPTION REGEX CMD...: assert_match once CMD's output matches, or at the deadline
await_match() {
	local d=$1 re=$2 out=""; shift 2
	matches() { out=$("$@"); printf '%s' "$out" | grep -Eq -- "$re"; }
	wait_for matches "$@"
	assert_match "$d" "$re" "$out"
}
# not CMD...: CMD's exit status negated (for wait_for)
not() { ! "$@"; }
# observe SECONDS: the observation window of a claim that something does not happen (above)
observe() { sleep "$1"; }

# need TOOL...: each tool is installed (tests/deps.sh), or the test says SKIP and why (exit
# 77); in CI a missing tool is a failure (exit 99)
need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null && continue
		if [ "${CI:-}" = true ]; then
			echo "FAIL: $t not installed (tests/deps.sh installs it)"
			exit 99
		fi
		echo "SKIP: $t not installed (tests/deps.sh installs it)"
		exit 77
	done
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
	need valgrind
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
	cp "$LR_SRCDIR/tests/valgrind.supp" "$_vg/valgrind.supp"
	chmod 644 "$_vg/valgrind.supp"
	for _p in lvsrole-notify lvsrole-plugin; do
		# (the suppressions: libraries' reports, each explained there)
		printf '#!/bin/sh\nexec valgrind -q --trace-children=yes --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --suppressions=%s --log-file=%s/%%p.log %s "$@"\n' \
			"$_vg/valgrind.supp" "$VGLOG" "$_vg/bin/$_p" >"$_vg/wrap/$_p"
		chmod 755 "$_vg/wrap/$_p"
	done
	NOTIFY=$_vg/wrap/lvsrole-notify
	LR_PLUGIN=$_vg/wrap/lvsrole-plugin
fi
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
	# a wait that ran out is worth knowing even where no assertion judged it (a slow test)
	[ -s "$TMP/timeouts" ] && sed 's/^/# /' "$TMP/timeouts"
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

# running_with CONF: an lvsrole program (or its delivery or announcement child) runs with CONF
running_with() { pgrep -f -- "-c $1 " >/dev/null; }
# quiet CONF: until none runs with CONF; 1 at the deadline
quiet() { wait_for not running_with "$1"; }

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

# arrivals STATEDIR: the per-host arrival counter (0 before the first)
arrivals_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seq"])' "$1/arrivals.json" 2>/dev/null || echo 0; }
# wait_arrival STATEDIR N: until the per-host arrival counter reaches N; a failure if it does not
arrived_at_least() { [ "$(arrivals_of "$1")" -ge "$2" ]; }
wait_arrival() {
	wait_for arrived_at_least "$1" "$2" && return 0
	not_ok "the arrival counter in $1 reaches $2 within $LR_WAIT_S s (it is at $(arrivals_of "$1"))"
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
	if wait_for test -s "$sd/plugin.json"; then
		cat "$TMP/plugin.out" >"$TMP/plugin.$PLUGIN_PID.log"
		return 0
	fi
	echo "# plugin did not start: $(cat "$TMP/plugin.out")"
	return 1
}
# plugin_wait PID [SECONDS]: until PID has exited (LR_WAIT_S by default); 1 if it still runs
plugin_wait() { wait_for "${2:-$LR_WAIT_S}" not kill -0 "$1" 2>/dev/null; }
# metric FILE NAME{LABELS}: a sample's value from a Prometheus textfile (empty if absent)
metric() { awk -v k="$2" '$1 == k { print $2 }' "$1" 2>/dev/null; }

# ---- capturing ARP and NA on the switch's bridge (mkswitch) ----
td_start() { # capture ARP and ICMPv6 on the bridge into $TMP/$1.pcap
	rm -f "$TMP/td.err"
	ip netns exec "$SW" tcpdump -i br0 -n -U --immediate-mode -w "$TMP/$1.pcap" 'arp or icmp6' 2>"$TMP/td.err" &
	TD=$!
	BGPIDS+=("$TD")
	wait_for grep -q listening "$TMP/td.err" 2>/dev/null && return 0
	echo "# tcpdump did not start: $(cat "$TMP/td.err")"
}
# td_stop: ends the capture, after a moment for frames still on their way through the bridge
# (a count that must reach N is awaited before with td_wait: this only closes the window)
td_stop() { observe 0.2; kill -INT "$TD"; wait "$TD" 2>/dev/null; }
td_read() { tcpdump -r "$TMP/$1.pcap" -n -e -tt -v 2>/dev/null; }
# td_count FILE REGEX [FROM-EPOCH]: packets captured so far (at or after FROM) matching REGEX
td_count() { td_read "$1" | awk -v t="${3:-0}" '$1 + 0 >= t + 0' | grep -Eic -- "$2"; }
# td_wait FILE N REGEX [FROM-EPOCH]: until the capture holds N such packets; 1 at the deadline
td_reached() { [ "$(td_count "$1" "$3" "${4:-0}")" -ge "$2" ]; }
td_wait() { wait_for td_reached "$@"; }
now() { date +%s.%N; }
# count_after FILE T REGEX: packets at or after time T (epoch seconds) matching REGEX
count_after() { td_read "$1" | awk -v t="$2" '$1 + 0 >= t + 0' | grep -Eic -- "$3"; }
count_before() { td_read "$1" | awk -v t="$2" '$1 + 0 < t + 0' | grep -Eic -- "$3"; }

# ---- what keepalived does to its FIFO plugin: on a stop, SIGTERM then the STOP lines; on a
# reload, SIGTERM then the FIFO closed (the next plugin is started on it) ----
# plugin_reload PID FIFO: a reload: SIGTERM, then the end of the FIFO; waits for the exit
plugin_reload() {
	kill -TERM "$1"
	sleep 0.05 # keepalived's own order: the signal, then the FIFO closed
	exec 8<>"$2"
	exec 8>&-
	plugin_wait "$1"
}
# plugin_stop PID FIFO LINE...: a stop: SIGTERM, then the STOP lines, the FIFO left open;
# prints the ms from the lines to the plugin's exit (1 if it did not leave)
plugin_stop() {
	local pid=$1 f=$2 t0 rc
	shift 2
	exec 8<>"$f"
	kill -TERM "$pid"
	sleep 0.01 # keepalived's own order: the signal, then the STOP lines
	t0=$(now_us)
	printf '%s\n' "$@" >&8
	plugin_wait "$pid"
	rc=$?
	echo $(( ($(now_us) - t0) / 1000 ))
	exec 8>&-
	return $rc
}
# Counting a loop's poll calls (strace -c) tells one that sleeps while it waits (a few calls a
# second: its timers, curl's) from one that spins (thousands), however busy the machine or slow
# the process (valgrind). "none" when strace could not attach.
# all_traced PID: every thread of PID is traced (an strace -f -p has attached to all of them)
all_traced() {
	local t
	[ -d "/proc/$1/task" ] || return 1
	for t in /proc/"$1"/task/*; do
		[ "$(awk '/^TracerPid:/ { print $2 }' "$t/status" 2>/dev/null)" != 0 ] || return 1
	done
}
# traced_by PID TRACER: TRACER is attached to PID
traced_by() { [ "$(awk '/^TracerPid:/ { print $2 }' "/proc/$1/status" 2>/dev/null)" = "$2" ]; }
# poll_count FILE: the poll calls strace -c counted in FILE
poll_count() {
	[ -s "$1" ] || { echo none; return; }
	awk '$NF == "poll" || $NF == "ppoll" { n += $4 } END { print n + 0 }' "$1"
}
# polls_during PID SECONDS: how many times PID calls poll in the next SECONDS
polls_during() {
	local out=$TMP/strace.$1.$RANDOM
	timeout -s INT "$2" strace -qq -f -c -e trace=poll,ppoll -p "$1" -o "$out" 2>/dev/null
	poll_count "$out"
}
# term_polls PID FIFO: SIGTERM with neither STOP lines nor EOF (the plugin waits 800 ms for
# them, then leaves); prints how many times it called poll from the signal to its exit
term_polls() {
	local out=$TMP/strace.$1.$RANDOM st
	strace -qq -f -c -e trace=poll,ppoll -p "$1" -o "$out" 2>/dev/null &
	st=$!
	wait_for traced_by "$1" "$st" || { kill "$st" 2>/dev/null; echo none; return; }
	exec 8<>"$2"
	kill -TERM "$1"
	plugin_wait "$1"
	exec 8>&-
	wait "$st" 2>/dev/null
	poll_count "$out"
}
# sleeps_while POLLS: a loop that made POLLS calls in about a second sleeps ("yes")
sleeps_while() { [ "$1" != none ] && [ "$1" -le 100 ] && echo yes; }
