#!/bin/bash
# The Prometheus textfile in both integration styles, read by promtool (`promtool check
# metrics`) and against what the kernel and the spool show:
#  - notify hooks alone: lvsrole-notify writes the file after each switch (roles as the VIPs
#    sit, its transitions counted across runs, a failed switch counted failed);
#    lvsrole-deliver writes the spool's depths once its delivery failed (as `spool` shows
#    them); while a plugin runs, lvsrole-notify leaves the file and its counts alone;
#  - lvsrole-plugin: the file after a switch, a conflict (another host holds the VIP) and
#    a failed delivery.
. "$(dirname "$0")/lib.sh"
. "$LR_SRCDIR/tests/webhook/lib.sh"
require_plugin
need promtool python3

mkswitch
A=$(attach a 1 10.9.0.11/24)
OTHER=$(attach o 2 10.9.0.13/24)
KEY=$TMP/key
newkey "$KEY"
mkdir -p "$TMP/prom"
M=$TMP/prom/lvsrole.prom
C=$TMP/a.conf
# VI_2's NIC does not exist: its switches fail. The sysctls are set on eth0's interfaces only
# (by default VI_2's NIC would be one, and every switch partial)
cat >"$C" <<EOF
{
  "state_dir": "$TMP/a.state",
  "announce": { "count": 1 },
  "arp_sysctl": { "interfaces": ["all", "lo", "eth0"] },
  "metrics_file": "$M",
  "instances": {
    "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24"] },
    "VI_2": { "nic": "eth7", "vips": ["10.9.0.60/24"] }
  },
  "webhooks": { "spool_dir": "$TMP/spool", "delivery_deadline_ms": 300, "retry_base_ms": 100,
    "endpoints": { $(ep down http://127.0.0.1:9/hook '"max_events": 1') } }
}
EOF
# promtool_ok FILE: promtool check metrics accepts a copy of FILE (one version of it)
promtool_ok() {
	cp "$1" "$TMP/copy.prom" && promtool check metrics <"$TMP/copy.prom" >"$TMP/promtool.out" 2>&1
}
checked() { # DESCRIPTION FILE
	if promtool_ok "$2"; then ok "$1"; else not_ok "$1: $(cat "$TMP/promtool.out")"; fi
}
role_of() { # FILE INAME: the role whose sample is 1
	awk -v i="$2" '$2 == 1 && index($1, "lvsrole_instance_role{iname=\"" i "\"") == 1' "$1" |
		sed 's/.*role="\([a-z-]*\)".*/\1/'
}
count_of() { metric "$1" "lvsrole_transitions_total{iname=\"$2\",result=\"$3\"}"; }
vip_on_nic() { addrs "$A" eth0 | grep -q "10\.9\.0\.50/24"; }
vip_on_lo() { addrs "$A" lo | grep -q "10\.9\.0\.50/32"; }

# ---- notify hooks alone ----
lr "$A" "$C" INSTANCE VI_1 MASTER 100
assert_eq "notify: VI_1 MASTER exits 0" 0 $?
assert_eq "the kernel: VI_1's VIP on eth0" yes "$(vip_on_nic && echo yes)"
assert_eq "the file (written before the exit): VI_1 director" director "$(role_of "$M" VI_1)"
assert_eq "VI_2: no record yet, role unknown" unknown "$(role_of "$M" VI_2)"
assert_eq "VI_1: 1 transition ok" 1 "$(count_of "$M" VI_1 ok)"
assert_eq "mode 0644 (node_exporter's user reads it)" 644 "$(stat -c %a "$M")"
checked "promtool: notify's file after a switch" "$M"

lr "$A" "$C" INSTANCE VI_1 BACKUP 100
assert_eq "the kernel: VI_1's VIP on lo" yes "$(vip_on_lo && echo yes)"
assert_eq "the file: VI_1 real-server, 2 transitions ok" "real-server 2" "$(role_of "$M" VI_1) $(count_of "$M" VI_1 ok)"
lr "$A" "$C" apply none VI_1
assert_eq "the kernel: VI_1's VIP gone" no "$(vip_on_lo || vip_on_nic && echo yes || echo no)"
assert_eq "an operator's apply: the role in the file, not counted as keepalived's" "none 2" \
	"$(role_of "$M" VI_1) $(count_of "$M" VI_1 ok)"

# N notify runs at once (LR_METRICS_RUNS, 40), MASTER and BACKUP alternating: each event
# counted once (a run applies the events that arrived while it held the lock; their own runs
# come by later), and the last file written shows the role the kernel has
N=${LR_METRICS_RUNS:-40}
quiet "$C"
for i in $(seq 1 "$N"); do
	nsx "$A" "$NOTIFY" -c "$C" INSTANCE VI_1 "$([ $((i % 2)) = 0 ] && echo MASTER || echo BACKUP)" 100 >/dev/null 2>&1 &
done
wait
total() { grep '^lvsrole_transitions_total{iname="VI_1",' "$M" | awk '{ n += $2 } END { print n }'; }
assert_eq "$N runs at once: VI_1's transitions total 2 + $N" $((2 + N)) "$(total)"
recorded=$(state_field "$TMP/a.state" VI_1 role)
kernel=$(vip_on_nic && echo director || { vip_on_lo && echo real-server; } || echo none)
assert_eq "$N runs at once: the file's role is the recorded one and the kernel's" "$recorded $recorded" \
	"$(role_of "$M" VI_1) $kernel"
lr "$A" "$C" apply none VI_1

lr "$A" "$C" INSTANCE VI_2 MASTER 100
assert_eq "notify: VI_2 MASTER (its NIC missing) exits 1" 1 $?
assert_eq "VI_2: 1 transition failed" 1 "$(count_of "$M" VI_2 failed)"
assert_eq "VI_1's counts kept across runs" $((2 + N)) "$(total)"
checked "promtool: notify's file after a failed switch" "$M"

# every run reported to "down" (max_events 1: one pending, the others dead once trimmed);
# the deliveries fail (nothing listens) and lvsrole-deliver writes the depths it leaves
quiet "$C"
depths() {
	echo "$(metric "$M" 'lvsrole_spool_depth{endpoint="down",queue="pending"}') $(metric "$M" 'lvsrole_spool_depth{endpoint="down",queue="dead"}')"
}
spooled=$(spq "$A" "$C" '"%d %d" % (S["endpoints"]["down"]["pending"], S["endpoints"]["down"]["dead"])')
assert_match "the spool (spool --json): 1 pending, the others dead" "^1 [1-9][0-9]*$" "$spooled"
await "the file's depths once the deliveries failed: as the spool shows them" "$spooled" depths
checked "promtool: notify's file after a failed delivery" "$M"

# ---- lvsrole-plugin: its file after a switch, a conflict and a failed delivery ----
P=$TMP/p.conf
PM=$TMP/prom/plugin.prom
F=$TMP/fifo
cat >"$P" <<EOF
{
  "state_dir": "$TMP/p.state",
  "announce": { "count": 1 },
  "arp_sysctl": { "interfaces": ["all", "lo", "eth0"] },
  "instances": { "VI_3": { "nic": "eth0", "vips": ["10.9.0.70/24"] } },
  "webhooks": { "spool_dir": "$TMP/p.spool", "retry_base_ms": 100,
    "endpoints": { $(ep down http://127.0.0.1:9/hook) } },
  "plugin": { "conflict_probe_ms": 200, "metrics_file": "$PM" }
}
EOF
plugin_start "$A" "$P" "$F"
send() { printf '%s\n' "$@" | python3 "$FIFOW" "$F" >/dev/null; }
send 'INSTANCE "VI_3" BACKUP 100'
await "the plugin: VI_3 real-server in its file" real-server role_of "$PM" VI_3
assert_eq "the kernel: VI_3's VIP on lo" yes "$(addrs "$A" lo | grep -q '10\.9\.0\.70/32' && echo yes)"
checked "promtool: the plugin's file after a switch" "$PM"
# a notify run while the plugin runs: the file and the counts are the plugin's
lr "$A" "$P" INSTANCE VI_3 BACKUP 100
assert_eq "notify while the plugin runs: the switch done (exit 0)" 0 $?
assert_eq "notify while the plugin runs: no counts of its own (metrics.json)" absent \
	"$([ -e "$TMP/p.state/metrics.json" ] && echo present || echo absent)"
# (a claim that something did not happen: the plugin rewrites its file, this can only miss)
assert_match "notify while the plugin runs: the file still the plugin's" "lvsrole_plugin_heartbeat_timestamp_seconds" \
	"$(cat "$PM")"

nsx "$OTHER" ip addr add 10.9.0.70/24 dev eth0
send 'INSTANCE "VI_3" MASTER 100'
await "the plugin: the conflict counted" 1 metric "$PM" 'lvsrole_conflicts_total{iname="VI_3"}'
assert_eq "the kernel: VI_3's VIP on eth0, and the file says director" "yes director" \
	"$(addrs "$A" eth0 | grep -q '10\.9\.0\.70/24' && echo yes) $(role_of "$PM" VI_3)"
checked "promtool: the plugin's file after a conflict" "$PM"
failed_once() { [ "$(metric "$PM" 'lvsrole_webhook_failures_total{endpoint="down"}')" -ge 1 ] 2>/dev/null; }
wait_for failed_once
assert_eq "the plugin: a failed delivery counted" yes "$(failed_once && echo yes)"
checked "promtool: the plugin's file after a failed delivery" "$PM"

# the plugin dies (SIGKILL: plugin.json still says it runs): its file is left to age, so that
# the alert on its heartbeat keeps firing, and lvsrole-notify says why
kill -9 "$PLUGIN_PID"
plugin_wait "$PLUGIN_PID"
before=$(md5sum <"$PM")
lr "$A" "$P" INSTANCE VI_3 BACKUP 100
assert_eq "the plugin killed: notify's switch done (exit 0)" 0 $?
assert_eq "the plugin killed: its file untouched by notify" "$before" "$(md5sum <"$PM")"
assert_match "the plugin killed: notify says the file is left to age" "lvsrole-plugin \(pid $PLUGIN_PID\) runs, but it is gone" \
	"$(cat "$TMP/last.out")"
rm "$TMP/p.state/plugin.json"
lr "$A" "$P" INSTANCE VI_3 MASTER 100
assert_eq "plugin.json removed: notify writes the file (director, no heartbeat)" "director absent" \
	"$(role_of "$PM" VI_3) $(grep -q heartbeat "$PM" && echo present || echo absent)"
checked "promtool: notify's file replacing the plugin's" "$PM"
finish
