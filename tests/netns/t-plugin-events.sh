#!/bin/bash
# lvsrole-plugin's reports: every FIFO event reaches the receiver signed and in order;
# drift and VIP conflicts are reported; stop lines are reported after the plugin is gone;
# two overlapping plugins (a reload) keep the state file and the spool whole; a report is
# delivered only once the metrics file shows its event, and after a stop too.
. "$(dirname "$0")/lib.sh"
. "$LR_SRCDIR/tests/webhook/lib.sh"
require_plugin
need arping tcpdump strace

mkswitch
A=$(attach a 1 10.9.0.11/24)
OTHER=$(attach c 3 10.9.0.13/24)
MAC_A=$(ip -n "$A" -j link show eth0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
MAC_C=$(ip -n "$OTHER" -j link show eth0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
KEY=$TMP/k
newkey "$KEY"
receiver "$A" r --secret "$KEY"
C=$TMP/e.conf
ST=$TMP/e.state
SP=$TMP/e.spool
F=$TMP/fifo
M=$TMP/m.prom
pconf() { # pconf DRIFT-MODE [CONFLICT-PROBE-MS]
	cat >"$C" <<EOC
{
  "state_dir": "$ST",
  "announce": { "count": 2, "interval_ms": 100 },
  "instances": {
    "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24"] },
    "VI_2": { "nic": "eth0", "vips": ["10.9.0.60/24"] }
  },
  "webhooks": { "spool_dir": "$SP", "delivery_deadline_ms": 10000,
    "endpoints": { $(ep ops "http://127.0.0.1:$(port r)/hook") } },
  "plugin": { "drift": "$1", "drift_check_ms": 200, "metrics_file": "$M", "conflict_probe_ms": ${2:-200} }
}
EOC
}
pconf repair
send() { printf '%s\n' "$@" | python3 "$FIFOW" "$F" >/dev/null; }
ntypes() { rq r "len([x for x in R if x['B']['type'] == 'lvsrole.$1'])"; }

plugin_start "$A" "$C" "$F"
P=$PLUGIN_PID

# --- every event, in FIFO order, signed ---
send 'INSTANCE "VI_1" BACKUP 100' 'INSTANCE "VI_2" BACKUP 100'
send 'INSTANCE "VI_1" MASTER 100'
send 'INSTANCE "VI_2" MASTER 100' 'INSTANCE "VI_2" BACKUP 100' 'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100'
wait_rx r 5
observe 0.3 # for a sixth
assert_eq "5 transitions, 5 reports (the priority event is not one)" 5 "$(rq r 'len(R)')"
assert_eq "all signed" True "$(rq r 'all(x["sig_ok"] for x in R)')"
# lines read in one go form one batch (VI_2 MASTER overtaken, BACKUP already in place);
# read apart they are applied one by one: both are right
assert_eq "in FIFO order: states and results" \
	"VI_1:BACKUP:ok VI_2:BACKUP:ok VI_1:MASTER:ok VI_2:MASTER:superseded VI_2:BACKUP:noop" \
	"$(rq r '" ".join("%s:%s:%s" % (x["B"]["data"]["name"], x["B"]["data"]["state"], x["B"]["data"]["result"]) for x in R)' | sed 's/VI_2:MASTER:ok VI_2:BACKUP:ok$/VI_2:MASTER:superseded VI_2:BACKUP:noop/')"
assert_eq "seq and arrival increase with the FIFO" True \
	"$(rq r 'all(R[i]["B"]["seq"] < R[i+1]["B"]["seq"] and R[i]["B"]["data"]["arrival"] < R[i+1]["B"]["data"]["arrival"] for i in range(len(R)-1))')"
assert_eq "source is the plugin" "{'plugin'}" "$(rq r 'set(x["B"]["data"]["source"] for x in R)')"
assert_eq "an overtaken event names its successor" True \
	"$(rq r 'R[3]["B"]["data"].get("superseded_by", R[4]["B"]["data"]["arrival"]) == R[4]["B"]["data"]["arrival"]')"
observe 0.5 # the probe window is 200 ms
assert_eq "no conflict after a clean takeover (probes unanswered)" 0 "$(ntypes conflict)"
deliveries() { echo "$(metric "$M" 'lvsrole_webhook_deliveries_total{endpoint="ops"}') $(metric "$M" 'lvsrole_webhook_failures_total{endpoint="ops"}') $(metric "$M" 'lvsrole_spool_depth{endpoint="ops",queue="pending"}') $(metric "$M" 'lvsrole_spool_depth{endpoint="ops",queue="dead"}')"; }
await "metrics: 5 delivered, 0 failed, spool empty" "5 0 0 0" deliveries
roles_now() { echo "$(metric "$M" 'lvsrole_instance_role{iname="VI_1",scope="instance",role="director"}') $(metric "$M" 'lvsrole_instance_role{iname="VI_1",scope="instance",role="real-server"}') $(metric "$M" 'lvsrole_instance_role{iname="VI_2",scope="instance",role="director"}') $(metric "$M" 'lvsrole_instance_role{iname="VI_2",scope="instance",role="real-server"}')"; }
await "metrics: roles, one-hot" "1 0 0 1" roles_now
assert_eq "metrics file: world-readable for node_exporter, replaced atomically (no temp left)" "644 0" \
	"$(stat -c %a "$M") $(find "$(dirname "$M")" -maxdepth 1 -name '.*tmp' | wc -l)"

# --- drift: repaired and reported ---
nsx "$A" ip addr del 10.9.0.50/24 dev eth0
wait_rx r 6
assert_eq "drift reported: VI_1, its VIP re-added" "lvsrole.drift VI_1 director repair addr_add:10.9.0.50/24:ok ok" \
	"$(rq r 'R[5]["B"]["type"] + " " + " ".join(str(R[5]["B"]["data"][k]) for k in ("name", "role", "drift")) + " " + " ".join("%s:%s:%s" % (c["op"], c["address"], c["result"]) for c in R[5]["B"]["data"]["changes"] if c["op"] != "announce") + " " + R[5]["B"]["data"]["result"]')"
assert_eq "the VIP is back" "10.9.0.11/24 10.9.0.50/24" "$(addrs "$A" eth0)"

# --- split brain: another host claims VI_1's VIP ---
nsx "$OTHER" ip addr add 10.9.0.50/24 dev eth0
# arping waits a second after its packet: the clock runs from the gratuitous ARP
nsx "$OTHER" arping -q -U -c 1 -I eth0 10.9.0.50 &
took=$(until_true sh -c "[ \"\$(grep -c lvsrole.conflict $TMP/r/received.jsonl)\" -ge 1 ]")
wait
# ten times the median (120 ms, under valgrind too)
assert_eq "conflict reported (received) within two seconds of the gratuitous ARP (took ${took:-forever})" yes \
	"$([ -n "$took" ] && [ "${took%ms}" -lt 2000 ] && echo yes)"
assert_eq "conflict: VIP, both MACs, how it was seen" "VI_1 10.9.0.50 eth0 $MAC_A $MAC_C detected director" \
	"$(rq r '" ".join(str([x for x in R if x["B"]["type"] == "lvsrole.conflict"][0]["B"]["data"][k]) for k in ("name", "vip", "interface", "own_mac", "foreign_mac", "result", "role"))')"
# the metrics file was written before the report was spooled (the receiver has it): one read
assert_eq "conflict counted" 1 "$(metric "$M" 'lvsrole_conflicts_total{iname="VI_1"}')"
observe 0.5 # for a second count (the arping's ARP went out once)
assert_eq "conflict counted once" 1 "$(metric "$M" 'lvsrole_conflicts_total{iname="VI_1"}')"
nsx "$OTHER" ip addr del 10.9.0.50/24 dev eth0

# --- a handover: the old director still answers the new one's probe, then drops the VIP before
# the confirmation probe (half of conflict_probe_ms later; 2 s here): no conflict ---
plugin_reload "$P" "$F"
pconf repair 2000
plugin_start "$A" "$C" "$F"
P=$PLUGIN_PID
nsx "$OTHER" ip addr add 10.9.0.60/24 dev eth0
td_start ho
send 'INSTANCE "VI_2" MASTER 100'
wait_for grep -q "VI_2: $MAC_C claims a VIP of this director: probing again to confirm" "$TMP/plugin.out"
nsx "$OTHER" ip addr del 10.9.0.60/24 dev eth0
probe60="$MAC_A > ff:ff:ff:ff:ff:ff.*Request who-has 10\.9\.0\.60 tell 0\.0\.0\.0,"
td_wait ho 3 "$probe60" # before and after the takeover, and the confirmation
observe 1 # for a reply to the confirmation, and its report
td_stop
assert_eq "handover: the old director answered the takeover's probe" yes \
	"$([ "$(td_count ho "$MAC_C > .*Reply 10\.9\.0\.60 is-at")" -ge 1 ] && echo yes)"
assert_eq "handover: the confirmation probe went out" 3 "$(td_count ho "$probe60")"
assert_eq "handover within the probe window: no conflict for VI_2" 0 \
	"$(rq r 'len([x for x in R if x["B"]["type"] == "lvsrole.conflict" and x["B"]["data"]["name"] == "VI_2"])')"

# --- drift = report: found, reported once, not repaired ---
plugin_reload "$P" "$F"
pconf report
plugin_start "$A" "$C" "$F"
P=$PLUGIN_PID
n=$(rq r 'len(R)')
nsx "$A" ip addr del 10.9.0.60/24 dev eth0
wait_rx r $((n + 1))
observe 1 # for a repeat (the drift check runs every 200 ms)
assert_eq "report mode: one drift report, not repeated" "1 lvsrole.drift report detected planned" \
	"$(rq r 'str(len(R) - '"$n"') + " " + R[-1]["B"]["type"] + " " + R[-1]["B"]["data"]["drift"] + " " + R[-1]["B"]["data"]["result"] + " " + R[-1]["B"]["data"]["changes"][0]["result"]')"
assert_eq "report mode: the VIP stays off" "10.9.0.11/24 10.9.0.50/24" "$(addrs "$A" eth0)"
lr "$A" "$C" status
assert_eq "status shows the drift (exit 7)" 7 $?

# --- stop: reports of the STOP lines delivered after the plugin is gone ---
mode r slow:2000
n=$(rq r 'len(R)')
ms=$(plugin_stop "$P" "$F" 'INSTANCE "VI_1" STOP 0' 'INSTANCE "VI_2" STOP 0')
answered=$(($(rx_count r) - n))
assert_eq "stop: the plugin left (in ${ms} ms) before the slow receiver answered a report ($answered answered)" 0 "$answered"
wait_rx r $((n + 2))
assert_eq "stop: both STOP reports delivered afterwards by the detached delivery" "STOP STOP" \
	"$(rq r '" ".join(x["B"]["data"]["state"] for x in R['"$n"':])')"
mode r ok
quiet "$C"

# --- reload overlap: two plugins at once on one state directory and spool ---
pconf repair
F2=$TMP/fifo2
plugin_start "$A" "$C" "$F"
P1=$PLUGIN_PID
plugin_start "$A" "$C" "$F2"
P2=$PLUGIN_PID
n=$(rq r 'len(R)')
(for i in $(seq 60); do printf 'INSTANCE "VI_1" %s 100\n' "$([ $((i % 2)) = 0 ] && echo MASTER || echo BACKUP)"; sleep 0.01; done | python3 "$FIFOW" "$F" >/dev/null) &
w1=$!
(for i in $(seq 60); do printf 'INSTANCE "VI_2" %s 100\n' "$([ $((i % 2)) = 0 ] && echo BACKUP || echo MASTER)"; sleep 0.01; done | python3 "$FIFOW" "$F2" >/dev/null) &
w2=$!
wait "$w1" "$w2"
wait_rx r $((n + 120))
observe 0.5 # for a report sent twice
# a switch also applies, under its lock, an arrival the other plugin has not applied yet
# (source "sweep"); the other then finds it done
assert_eq "overlap: all 120 events reported, once each (plus sweeps)" "120 120 0" \
	"$(rq r 'str(len([x for x in R['"$n"':] if x["B"]["data"]["source"] == "plugin"])) + " " + str(len(set(x["B"]["seq"] for x in R['"$n"':]))) + " " + str(len([x for x in R['"$n"':] if x["B"]["data"]["source"] not in ("plugin", "sweep")]))' | sed 's/^120 12[0-9] /120 120 /')"
assert_eq "overlap: delivered in seq order, all signed" "True True" \
	"$(rq r 'str(all(R[i]["B"]["seq"] < R[i+1]["B"]["seq"] for i in range(len(R)-1))) + " " + str(all(x["sig_ok"] for x in R))')"
assert_eq "overlap: the state file is whole and ends with each FIFO's last line" "director real-server" \
	"$(state_field "$ST" VI_1 role) $(state_field "$ST" VI_2 role)"
assert_eq "overlap: the host matches" "eth0: 10.9.0.11/24 10.9.0.50/24 | lo: 10.9.0.60/32" "$(snapshot "$A" | sed 's/ | all.*//')"
lr "$A" "$C" spool --json
assert_eq "overlap: spool readable and empty" "0 0" "$(spq "$A" "$C" '"%d %d" % (S["endpoints"]["ops"]["pending"], S["endpoints"]["ops"]["dead"])' 2>/dev/null || echo broken)"
plugin_reload "$P1" "$F" && plugin_reload "$P2" "$F2"
assert_eq "both plugins left" 0 $?

# --- a report is delivered only once the metrics file shows its event: the metrics writer is
# held for a second in the flush of its temporary file (strace), and the report waits for it ---
rm -f "$M"
plugin_start "$A" "$C" "$F"
P=$PLUGIN_PID
wait_for test -s "$M"
strace -qq -f -o /dev/null -P "$(dirname "$M")/.$(basename "$M").$P.tmp" -e trace=fsync -e inject=fsync:delay_enter=1s -p "$P" &
BGPIDS+=("$!")
disown
wait_for all_traced "$P"
n=$(rx_count r)
send 'INSTANCE "VI_2" MASTER 100'
wait_rx r $((n + 1))
# the receiver has it: one read of the metrics file
assert_eq "delivered once the metrics file counted it (the transition, the line, the role)" "1 1 1" \
	"$(metric "$M" 'lvsrole_transitions_total{iname="VI_2",result="ok"}') $(metric "$M" 'lvsrole_fifo_lines_total{kind="state"}') $(metric "$M" 'lvsrole_instance_role{iname="VI_2",scope="instance",role="director"}')"
assert_eq "then delivered" "VI_2 MASTER" "$(rq r 'R[-1]["B"]["data"]["name"] + " " + R[-1]["B"]["data"]["state"]')"
# ... and at a stop, with the writer still held: the STOP lines' reports are delivered by the
# process the plugin hands the delivery to as it leaves
plugin_stop "$P" "$F" 'INSTANCE "VI_1" STOP 0' 'INSTANCE "VI_2" STOP 0' >/dev/null
assert_eq "the plugin left after the STOP lines" 0 $?
wait_rx r $((n + 3))
assert_eq "the STOP reports delivered after it left" "VI_1 STOP VI_2 STOP" \
	"$(rq r '" ".join(x["B"]["data"]["name"] + " " + x["B"]["data"]["state"] for x in R[-2:])')"
quiet "$C"
finish
