#!/bin/bash
# Hundreds of simultaneous invocations with random states and a known last one: the host ends
# in the last event's role, every overtaken event is skipped as superseded, and no moment is
# observed where a VIP is on lo while the ARP sysctls are at director values.
. "$(dirname "$0")/lib.sh"
require_netns
need strace
N1=${LR_CONCURRENCY:-300}
N2=$((N1 * 2 / 3))

NS=$(mkns k)
C=$TMP/k.conf
ST=$TMP/k.state
ANNOUNCE_COUNT=2 ANNOUNCE_MS=50 conf "$C" "$ST" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24", "10.9.0.51/24", "2001:db8::50/64", "2001:db8::51/64"] } }'
DIR="eth0: 10.9.0.50/24 10.9.0.51/24 2001:db8::50/64[deprecated,nodad] 2001:db8::51/64[deprecated,nodad] | lo:  | all=0/0 lo=0/0 eth0=0/0"
RS="eth0:  | lo: 10.9.0.50/32 10.9.0.51/32 2001:db8::50/128[deprecated,nodad] 2001:db8::51/128[deprecated,nodad] | all=1/2 lo=1/2 eth0=1/2"
STATES=(MASTER BACKUP FAULT STOP)

lr "$NS" "$C" INSTANCE VI_1 BACKUP 100
ip netns exec "$NS" "$WATCH" lo eth0 10.9.0.50 10.9.0.51 2001:db8::50 2001:db8::51 >"$TMP/watch.out" &
WP=$!
BGPIDS+=("$WP")

arrivals() { arrivals_of "$ST"; }
launch() { # N STATE-or-random OUTPUT-PREFIX: starts N invocations, pids in PIDS
	local i s
	for i in $(seq "$1"); do
		s=$2; [ "$s" = random ] && s=${STATES[$((RANDOM % 4))]}
		ip netns exec "$NS" "$NOTIFY" -v -c "$C" INSTANCE VI_1 "$s" $((RANDOM % 256)) >"$TMP/$3.$i" 2>&1 &
		PIDS+=($!)
	done
}
wait_all() { local p; BAD=0; for p in "${PIDS[@]}"; do wait "$p" || BAD=$((BAD + 1)); done; }

# round 1: every invocation queues behind a lock the test holds, then the last one arrives
S0=$(arrivals)
exec 9>"$ST/lock"
flock 9
PIDS=()
launch "$N1" random r1
wait_arrival "$ST" $((S0 + N1))
launch 1 MASTER last1
wait_arrival "$ST" $((S0 + N1 + 1))
flock -u 9
exec 9>&-
wait_all
assert_eq "round 1: all $((N1 + 1)) invocations exit 0" 0 "$BAD"
assert_eq "round 1: host in the last event's role (director)" "$DIR" "$(snapshot "$NS")"
assert_eq "round 1: recorded sequence is the last event's" $((S0 + N1 + 1)) "$(state_field "$ST" VI_1 seq)"
assert_eq "round 1: every overtaken event superseded" "$N1" "$(grep -l "superseded by" "$TMP"/r1.* | wc -l)"
# the first to get the lock applies the newest intent: an older run (then the newest finds its
# role in place) or the newest itself (flock wakes its waiters in no set order); the rest skip
APPLIERS=$(grep -l "superseded by #$((S0 + N1 + 1)) (MASTER director) that is not applied yet: applying that" "$TMP"/r1.* | wc -l)
SELF=$(grep -c "real-server -> director (MASTER): ok" "$TMP/last1.1")
assert_eq "round 1: exactly one run changed the host, for the newest event (an older run: $APPLIERS, the newest itself: $SELF)" \
	"1 1" "$(grep -l ": ok, [1-9][0-9]* change(s)" "$TMP"/r1.* "$TMP/last1.1" | wc -l) $((APPLIERS + SELF))"
[ "$SELF" = 0 ] && assert_match "round 1: the newest event found its role in place" "MASTER director: already in place" "$(cat "$TMP/last1.1")"

# round 2: free-running, no lock held by the test; the last one arrives after all others
S1=$(arrivals)
PIDS=()
launch "$N2" random r2
wait_arrival "$ST" $((S1 + N2))
launch 1 BACKUP last2
wait_all
assert_eq "round 2: all $((N2 + 1)) invocations exit 0" 0 "$BAD"
assert_eq "round 2: host in the last event's role (real server)" "$RS" "$(snapshot "$NS")"
assert_eq "round 2: recorded role" "real-server" "$(state_field "$ST" VI_1 role)"
echo "# round 2: $(grep -l superseded "$TMP"/r2.* | wc -l) of $N2 superseded, $(grep -l -- '->' "$TMP"/r2.* | wc -l) switched"

# the newest event's process is killed while it waits for the lock (keepalived SIGKILLs a STOP
# notify after a second): an older event that gets the lock applies the newest intent
lr "$NS" "$C" INSTANCE VI_1 MASTER 100
S2=$(arrivals)
overtaken "$NS" "$C" "$ST" MASTER STOP "$TMP/older"
assert_eq "killed STOP: the older event exits 0" 0 $?
assert_eq "killed STOP: host in the STOP role (real server)" "$RS" "$(snapshot "$NS")"
assert_eq "killed STOP: recorded state" "STOP" "$(state_field "$ST" VI_1 state)"
assert_match "killed STOP: the older event says it applied the newer one" "superseded by #$((S2 + 2)) \(STOP real-server\) that is not applied yet: applying that" "$(cat "$TMP/older")"

# a newer switch recorded its intent and was killed before finishing (simulated by writing
# what it would have written): an older event that gets the lock finishes it
lr "$NS" "$C" INSTANCE VI_1 MASTER 100
exec 9>"$ST/lock"
flock 9
S3=$(arrivals)
ip netns exec "$NS" "$NOTIFY" -v -c "$C" INSTANCE VI_1 MASTER 100 >"$TMP/older2" 2>&1 &
OLDER=$!
wait_arrival "$ST" $((S3 + 1))
python3 - "$ST" $((S3 + 2)) <<'EOP'
import json, sys
d, seq = sys.argv[1], int(sys.argv[2])
a = json.load(open(d + "/arrivals.json"))
a["seq"] = seq
a["last"]["VI_1"] = {"seq": seq, "state": "STOP", "priority": 100, "role": "real-server", "time_us": 0}
json.dump(a, open(d + "/arrivals.json", "w"))
s = json.load(open(d + "/state.json"))
s["instances"]["VI_1"].update(seq=seq, state="STOP", role="real-server", result="pending")
json.dump(s, open(d + "/state.json", "w"))
EOP
flock -u 9
exec 9>&-
wait "$OLDER"
assert_eq "interrupted switch: the older event exits 0" 0 $?
assert_eq "interrupted switch: finished (real server)" "$RS" "$(snapshot "$NS")"
assert_match "interrupted switch: says it finished it" "was not finished .*finishing it" "$(cat "$TMP/older2")"
assert_eq "interrupted switch: result recorded" "ok" "$(state_field "$ST" VI_1 result)"

# another run holds the arrivals lock for 11 s (hundreds of runs at once each take it for a write
# and an fsync): an event waits for it as it would for the switch lock, it is not lost
lr "$NS" "$C" INSTANCE VI_1 BACKUP 100
flock "$ST/arrivals.lock" sleep 11 &
HOLD=$!
BGPIDS+=("$HOLD")
wait_for eval '! flock -n "$ST/arrivals.lock" true'
ip netns exec "$NS" "$NOTIFY" -v -c "$C" INSTANCE VI_1 MASTER 100 >"$TMP/patient" 2>&1
assert_eq "arrivals lock held 11 s: the event waited, exit 0" "0 yes" "$? $(kill -0 "$HOLD" 2>/dev/null || echo yes)"
assert_eq "arrivals lock held 11 s: host in the event's role (director)" "$DIR" "$(snapshot "$NS")"

# the arrivals file is lost: new events still count as newer than the recorded ones
lr "$NS" "$C" INSTANCE VI_1 BACKUP 100
REC=$(state_field "$ST" VI_1 seq)
rm -f "$ST/arrivals.json"
overtaken "$NS" "$C" "$ST" BACKUP MASTER /dev/null
assert_eq "lost arrivals file: numbering continues after the recorded events" $((REC + 2)) "$(state_field "$ST" VI_1 seq)"
assert_eq "lost arrivals file: the last event's role (director)" "$DIR" "$(snapshot "$NS")"

# a STOP arrives while a long switch (4000 VIPs) holds the lock, and is killed: the run that
# holds the lock applies it before releasing the lock
NSB=$(mkns kb)
CB=$TMP/kb.conf
STB=$TMP/kb.state
V=""
for i in $(seq 0 3999); do V="$V\"10.20.$((i / 250)).$((i % 250 + 1))/16\","; done
conf "$CB" "$STB" "\"instances\": { \"VI_1\": { \"nic\": \"eth0\", \"vips\": [${V%,}] } }"
ip netns exec "$NSB" "$NOTIFY" -c "$CB" INSTANCE VI_1 BACKUP 100 >/dev/null 2>&1
SB=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seq"])' "$STB/arrivals.json")
python3 - "$STB" $((SB + 2)) <<'EOP'
import json, sys
d, seq = sys.argv[1], int(sys.argv[2])
a = json.load(open(d + "/arrivals.json"))
a["seq"] = seq
a["last"]["VI_1"] = {"seq": seq, "state": "STOP", "priority": 100, "role": "real-server", "time_us": 0}
json.dump(a, open(d + "/.arrivals.tmp", "w"))
EOP
# the long switch is stopped (SIGSTOP injected by strace) just after it recorded its intent (its
# second rename: the arrival's, then the state file's), and the STOP's arrival is put in place
# then: its run recorded it and was killed while it waited; written here directly (under the
# arrival lock, as lvsrole-notify does), prepared before (above)
ip netns exec "$NSB" strace -qq -f -o /dev/null -e trace=renameat -e inject=renameat:signal=SIGSTOP:when=2 \
	"$NOTIFY" -v -c "$CB" INSTANCE VI_1 MASTER 100 >"$TMP/long" 2>&1 &
LONG=$!
BGPIDS+=("$LONG")
held_at_work() { # the switch (strace's child) stopped, its intent recorded and its result pending
	local p
	p=$(pgrep -P "$LONG") || return 1
	[ "$(awk '/^State:/ { print $2 }' "/proc/$p/status" 2>/dev/null)" = t ] &&
		[ "$(python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))["instances"]["VI_1"]; print(r["seq"], r["result"])' "$STB/state.json" 2>/dev/null)" = "$((SB + 1)) pending" ]
}
wait_for held_at_work
assert_eq "a long switch held at work: its intent recorded, its result pending" yes "$(held_at_work && echo yes)"
flock "$STB/arrivals.lock" mv "$STB/.arrivals.tmp" "$STB/arrivals.json"
kill -CONT "$(pgrep -P "$LONG")"
wait "$LONG"
assert_eq "STOP killed during a long switch: host ends a real server (4000 VIPs on lo)" 4000 "$(addrs "$NSB" lo | wc -w)"
assert_eq "STOP killed during a long switch: none left on the NIC" 0 "$(addrs "$NSB" eth0 | wc -w)"
assert_eq "STOP killed during a long switch: recorded" "STOP" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["instances"]["VI_1"]["state"])' "$STB/state.json")"
assert_match "STOP killed during a long switch: applied by the run holding the lock" "is not applied yet: applying it" "$(cat "$TMP/long")"

# the watcher must have been sampling throughout, and seen no unsafe moment
kill -TERM "$WP"; wait "$WP"
read -r _ samples _ unsafe _ slow < <(tail -1 "$TMP/watch.out")
echo "# watcher: $samples samples, $unsafe unsafe, $slow discarded as slow (descheduled)"
assert_eq "watcher sampled throughout (> 1000 samples)" yes "$([ "${samples:-0}" -gt 1000 ] && echo yes || echo no)"
assert_eq "no moment with a VIP on lo and director sysctls" 0 "${unsafe:-missing}"

# control: the watcher does see an unsafe moment when there is one
lr "$NS" "$C" INSTANCE VI_1 BACKUP 100
ip netns exec "$NS" "$WATCH" lo eth0 10.9.0.50 >"$TMP/watch2.out" &
WP=$!
BGPIDS+=("$WP")
setsys "$NS" all arp_ignore 0; setsys "$NS" all arp_announce 0; setsys "$NS" eth0 arp_ignore 0; setsys "$NS" eth0 arp_announce 0
wait_for grep -q '^unsafe after' "$TMP/watch2.out"
kill -TERM "$WP"; wait "$WP"
read -r _ _ _ unsafe2 _ _ < <(tail -1 "$TMP/watch2.out")
assert_eq "control: the watcher reports a VIP on lo with director sysctls" yes "$([ "${unsafe2:-0}" -gt 0 ] && echo yes || echo no)"
finish
