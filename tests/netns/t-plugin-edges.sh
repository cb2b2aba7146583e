#!/bin/bash
# lvsrole-plugin at the edges: a switch that cannot record its intent is reported failed;
# roles changed by lvsrole-notify are seen (no false conflict); after SIGTERM no request
# starts and the loop does not spin; a busy commit lock is waited for a bounded time;
# lost reports are counted; SIGHUP keeps delivery counters and can move the state
# directory; the end of keepalived's FIFO without SIGTERM.
. "$(dirname "$0")/lib.sh"
. "$LR_SRCDIR/tests/webhook/lib.sh"
require_plugin
need arping strace

mkswitch
A=$(attach a 1 10.9.0.11/24)
OTHER=$(attach o 2 10.9.0.13/24)
KEY=$TMP/k
newkey "$KEY"
newkey "$TMP/k2" # the secret after a rotation
receiver "$A" r --secret "$KEY" --secret "$TMP/k2"
C=$TMP/e.conf
SP=$TMP/e.spool
F=$TMP/fifo
M=$TMP/m.prom
pconf() { # pconf STATEDIR [WEBHOOK-SETTINGS]
	cat >"$C" <<EOC
{
  "state_dir": "$1",
  "announce": { "count": 1 },
  "instances": {
    "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24"] },
    "VI_2": { "nic": "eth0", "vips": ["10.9.0.60/24"] }
  },
  "webhooks": { "spool_dir": "$SP", ${2:-} "endpoints": { $(ep ops "http://127.0.0.1:$(port r)/hook") } },
  "plugin": { "metrics_file": "$M", "conflict_probe_ms": 200 }
}
EOC
}
ST=$TMP/st1
RETRY='"retry_base_ms": 100, "retry_max_ms": 1000,'
pconf "$ST" "$RETRY"
send() { printf '%s\n' "$@" | python3 "$FIFOW" "$F" >/dev/null; }
last() { rq r 'R[-1]["B"]["data"]["name"] + " " + str(R[-1]["B"]["data"].get("state")) + " " + R[-1]["B"]["data"]["result"]'; }
role_metric() { metric "$M" "lvsrole_instance_role{iname=\"$1\",scope=\"instance\",role=\"$2\"}"; }
roles_of() { echo "$(role_metric "$1" director) $(role_metric "$1" real-server)"; }

plugin_start "$A" "$C" "$F"
P=$PLUGIN_PID
send 'INSTANCE "VI_1" MASTER 100' 'INSTANCE "VI_2" BACKUP 100'
wait_rx r 2

# --- the intent cannot be recorded: nothing changes, the report says failed ---
before=$(snapshot "$A")
mkdir "$ST/.state.json.$P.tmp"
send 'INSTANCE "VI_2" MASTER 100'
wait_rx r 3
assert_eq "state file unwritable: reported failed" "VI_2 MASTER failed" "$(last)"
assert_match "failed: the reason is in the report" "cannot write the state file" "$(rq r 'R[-1]["B"]["data"]["errors"]')"
assert_eq "failed: the host unchanged" "$before" "$(snapshot "$A")"
# (the metrics file is written before a report is spooled)
assert_eq "failed: the plugin's view unchanged (metrics)" "0 1" "$(roles_of VI_2)"
rmdir "$ST/.state.json.$P.tmp"
# no new line: the plugin tries the failed batch again (1 s, 2 s, 4 s... apart)
wait_rx r 4
assert_eq "once writable: applied by the plugin's retry, without a new line" "VI_2 MASTER ok" "$(last)"
assert_eq "once writable: the retry applied the recorded event (source sweep)" sweep "$(rq r 'R[-1]["B"]["data"]["source"]')"
await "once writable: VI_2's VIP is on the NIC" "10.9.0.11/24 10.9.0.50/24 10.9.0.60/24" addrs "$A" eth0

# --- the switch lock held longer than the plugin waits for it (5 s: an operator's apply piped
# into less): the batch fails, and its newest event is applied once the lock is free ---
exec 9>"$ST/lock"
flock 9
send 'INSTANCE "VI_2" BACKUP 100'
wait_rx r 5
assert_eq "lock held: reported failed" "VI_2 BACKUP failed" "$(last)"
assert_match "lock held: the report names the holder and the wait" "lock: held by pid [0-9]+ for more than 5 s" \
	"$(rq r 'R[-1]["B"]["data"]["errors"]')"
assert_eq "lock held: the report says where the host stays (the role before)" director "$(rq r 'R[-1]["B"]["data"]["prev_role"]')"
assert_eq "lock held: the host unchanged" "10.9.0.11/24 10.9.0.50/24 10.9.0.60/24" "$(addrs "$A" eth0)"
flock -u 9
exec 9>&-
await "lock free: VI_2 BACKUP applied without a new line (its VIP off the NIC)" "10.9.0.11/24 10.9.0.50/24" addrs "$A" eth0
await "lock free: and on lo" "10.9.0.60/32" addrs "$A" lo
wait_rx r 6
assert_eq "lock free: reported" "VI_2 BACKUP ok" "$(last)"
await "lock free: the plugin's view follows (metrics)" "0 1" roles_of VI_2

# --- lvsrole-notify changes a role behind the plugin's back: seen, no false conflict ---
lr "$A" "$C" apply real-server VI_1
assert_eq "apply by hand: exit 0" 0 $?
nsx "$OTHER" ip addr add 10.9.0.50/24 dev eth0
nsx "$OTHER" arping -q -U -c 2 -I eth0 10.9.0.50
observe 0.8 # a conflict's confirmation probe goes out 100 ms after the claim
nsx "$OTHER" ip addr del 10.9.0.50/24 dev eth0
assert_eq "no conflict reported for a VIP this host no longer directs" 0 "$(metric "$M" 'lvsrole_conflicts_total{iname="VI_1"}')"
await "the plugin's view follows the state file" "0 1" roles_of VI_1

# --- a busy commit lock (another process commits): the switch goes on, and no report is
# numbered or written without the lock; they wait, counted, and are committed in order once
# it is free ---
n=$(rq r 'len(R)')
seq0=$(cat "$SP/seq")
lock_held() { ! flock -n "$SP/commit.lock" true; }
spooled_after() { # files of reports numbered after $1, queued or being written
	find "$SP/q" "$SP/tmp" -type f -name '[0-9]*' | sed 's|.*/||' | awk -F. -v s="$1" '$1 + 0 > s + 0' | wc -l
}
exec 7>"$SP/commit.lock"
flock 7
send 'INSTANCE "VI_1" MASTER 100'
send 'INSTANCE "VI_1" BACKUP 100'
took=$(until_true sh -c "ip -n $A addr show dev lo | grep -q 10.9.0.50/32")
assert_eq "commit lock held: the next line is applied while it is still held (took ${took:-forever})" "yes yes" \
	"$([ -n "$took" ] && echo yes) $(lock_held && echo yes)"
await "commit lock held: both reports wait, counted" 2 metric "$M" 'lvsrole_reports_uncommitted'
assert_eq "commit lock held: no sequence number taken, nothing written to the spool" "$seq0 0" \
	"$(cat "$SP/seq") $(spooled_after "$seq0")"
flock -u 7
exec 7>&-
wait_rx r $((n + 2))
assert_eq "lock free: both reports delivered, in order, numbered after the last" \
	"MASTER $((seq0 + 1)) BACKUP $((seq0 + 2))" \
	"$(rq r '" ".join("%s %d" % (x["B"]["data"]["state"], x["B"]["seq"]) for x in R['"$n"':])')"
await "lock free: none waits" 0 metric "$M" 'lvsrole_reports_uncommitted'

# --- lost reports are counted one by one ---
mv "$SP/seq" "$SP/seq.keep"
mkdir "$SP/seq"
send 'INSTANCE "VI_1" MASTER 100' 'INSTANCE "VI_2" BACKUP 100' 'INSTANCE "VI_2" MASTER 100'
await "three reports lost, three counted" 3 metric "$M" 'lvsrole_reports_lost_total'
rmdir "$SP/seq"
mv "$SP/seq.keep" "$SP/seq"

# --- "Retry-After: 0" (or a date in the past) is no hot loop: no retry sooner than
# retry_base_ms (100 ms here): at most 21 attempts start in 2 s however fast the machine, 25
# counting one in flight at each end and a link change's early try (a hot loop: thousands) ---
mode r retry:503:0
n=$(rx_count r)
send 'INSTANCE "VI_1" BACKUP 100'
wait_rx r $((n + 1))
n1=$(rx_count r)
observe 2
k=$(($(rx_count r) - n1))
assert_eq "Retry-After: 0: at most one attempt per retry_base_ms ($k in 2 s)" yes "$([ "$k" -le 25 ] && echo yes)"
mode r ok
delivered_last() { [ "$(rq r 'R[-1]["status"]')" = 204 ]; }
wait_for delivered_last
assert_eq "Retry-After: 0: delivered once the receiver accepts it" "VI_1 BACKUP ok" "$(last)"

# --- the secret file: a mode others can read fails the reports until it is fixed, and a
# rotated secret signs the next report; no SIGHUP either time ---
chmod 644 "$KEY"
n=$(rx_count r)
f0=$(metric "$M" 'lvsrole_webhook_failures_total{endpoint="ops"}')
send 'INSTANCE "VI_2" BACKUP 100'
failed_more() { [ "$(metric "$M" 'lvsrole_webhook_failures_total{endpoint="ops"}')" -gt "${f0:-0}" ] 2>/dev/null; }
wait_for failed_more
assert_eq "secret readable by others: not sent" "$n" "$(rx_count r)"
chmod 600 "$KEY"
wait_rx r $((n + 1))
assert_eq "secret fixed (chmod 600): the retry delivers it, signed with it" "VI_2 BACKUP ok [0]" \
	"$(last) $(rq r 'R[-1]["sig_keys"]')"
cat "$TMP/k2" >"$KEY"
send 'INSTANCE "VI_2" MASTER 100'
wait_rx r $((n + 2))
assert_eq "secret rotated: the next report is signed with the new one" "VI_2 MASTER ok [1]" \
	"$(last) $(rq r 'R[-1]["sig_keys"]')"

# --- SIGHUP: delivery counters go on; the state directory can move ---
d0=$(metric "$M" 'lvsrole_webhook_deliveries_total{endpoint="ops"}')
ST2=$TMP/st2
pconf "$ST2" "$RETRY"
kill -HUP "$P"
pid_in() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$1" 2>/dev/null; }
await "SIGHUP to another state directory: plugin.json there" "$P" pid_in "$ST2/plugin.json"
# plugin.json is written just after the metrics file: this one is the reload's or later; a
# counter only grows (d0 was read before the reload, maybe before the last delivery was counted)
d1=$(metric "$M" 'lvsrole_webhook_deliveries_total{endpoint="ops"}')
assert_eq "SIGHUP: the delivery counter goes on ($d0 before, $d1 after)" yes "$([ "${d0:-0}" -gt 0 ] && [ "${d1:-0}" -ge "$d0" ] && echo yes)"
lr "$A" "$C" status
assert_match "status with the new directory sees the plugin" "plugin: running \(pid $P " "$(cat "$TMP/last.out")"

# --- after SIGTERM: no new request, no busy loop ---
# four reports; SIGTERM while the first is in flight (each takes 5 s): it may finish, no
# other may start before the plugin leaves (0.8 s after SIGTERM without STOP lines)
mode r slow:5000
arrived() { wc -l <"$TMP/r/arrived"; }
n=$(arrived)
send 'INSTANCE "VI_1" BACKUP 100' 'INSTANCE "VI_2" BACKUP 100' 'INSTANCE "VI_1" MASTER 100' 'INSTANCE "VI_2" MASTER 100'
wait_for eval "[ \$(arrived) -gt $n ]"
# a report committed while a request is in flight: it waits in the queue, and so does the loop
# (it spun until the request ended)
queued() { [ "$(find "$SP/q/ops" -name '*.json' | wc -l)" -ge "$1" ]; }
send 'INSTANCE "VI_1" BACKUP 100'
wait_for queued 5
k=$(polls_during "$P" 1)
assert_eq "a report committed while a request is in flight: the loop sleeps ($k polls in 1 s)" yes "$(sleeps_while "$k")"
k=$(term_polls "$P" "$F")
observe 0.4 # for a request on its way
assert_eq "after SIGTERM: no request started (only the one in flight)" 1 "$(($(arrived) - n))"
assert_eq "after SIGTERM: the loop sleeps while it waits for STOP lines ($k polls to its exit)" yes "$(sleeps_while "$k")"
mode r ok
quiet "$C"

# --- after SIGTERM with retries coming due (an endpoint that refuses): still no busy loop ---
sed -i "s|http://127.0.0.1:$(port r)/hook|http://127.0.0.1:1/refused|" "$C"
plugin_start "$A" "$C" "$F"
P=$PLUGIN_PID
send 'INSTANCE "VI_1" BACKUP 100'
failed_once() { [ "$(metric "$M" 'lvsrole_webhook_failures_total{endpoint="ops"}')" -ge 1 ] 2>/dev/null; }
wait_for failed_once # the retry is scheduled (100 ms, then doubling)
k=$(term_polls "$P" "$F")
assert_eq "retries due after SIGTERM: the loop still sleeps ($k polls to its exit)" yes "$(sleeps_while "$k")"

# --- keepalived's FIFO closed without SIGTERM: the plugin leaves, roles untouched ---
rm -f "$TMP/kf"
mkfifo -m 600 "$TMP/kf"
before=$(snapshot "$A")
ip netns exec "$A" "$PLUGIN" -c "$C" "$TMP/kf" >"$TMP/kf.out" 2>&1 &
KP=$!
BGPIDS+=("$KP")
# (the write waits for the plugin to open the FIFO)
printf 'INSTANCE "VI_1" MASTER_PRIORITY 100\n' >"$TMP/kf"
plugin_wait "$KP"
assert_eq "FIFO closed without SIGTERM: the plugin left" 0 $?
assert_eq "roles untouched" "$before" "$(snapshot "$A")"
assert_eq "plugin.json says how" "fifo closed" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["how"])' "$ST2/plugin.json")"
finish
