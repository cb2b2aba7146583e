#!/bin/bash
# lvsrole-plugin without keepalived: a FIFO written the way keepalived writes it. Order,
# bad lines, a 10,000-line burst with none lost, stop (SIGTERM then STOP lines), reload
# (SIGTERM then EOF), SIGHUP, drift repaired and reported, status, metrics.
. "$(dirname "$0")/lib.sh"
require_plugin

NS=$(mkns p)
nsx "$NS" ip addr add 10.9.0.11/24 dev eth0
# the drift tests remove addresses in any order: keep the others when a primary goes
nsx "$NS" sysctl -qw net.ipv4.conf.eth0.promote_secondaries=1
C=$TMP/p.conf
ST=$TMP/p.state
F=$TMP/fifo
M=$TMP/lvsrole.prom
mkconf() {
	conf "$C" "$ST" '"instances": {
	  "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24"] },
	  "VI 2 with spaces": { "nic": "eth0", "vips": ['"${VI2_VIPS:-\"10.9.0.60/24\"}"'] } },
	"groups": { "G1": { "nic": "eth0", "vips": ["10.9.0.70/24"] } },
	"plugin": { "metrics_file": "'"$M"'", "drift_check_ms": 200'"${PLUGIN_EXTRA:-}"' }'
}
mkconf
send() { printf '%s\n' "$@" | python3 "$FIFOW" "$F" >/dev/null; }
lines_read() { metric "$M" "lvsrole_fifo_lines_total{kind=\"$1\"}"; }
total_read() { echo $(( $(lines_read state) + $(lines_read priority) + $(lines_read checker) + $(lines_read bad) + $(lines_read ignored) )); }
total_is() { [ "$(total_read 2>/dev/null)" = "$1" ]; }

plugin_start "$NS" "$C" "$F"
P1=$PLUGIN_PID
assert_eq "--fifo creates the FIFO (mode 600)" "fifo 600" "$(stat -c '%F %a' "$F" | sed 's/^fifo /fifo /; s/^named pipe/fifo/')"

# --- order: each instance ends in the role of its last line ---
send 'INSTANCE "VI_1" BACKUP 100' 'INSTANCE "VI_1" MASTER 100' 'INSTANCE "VI 2 with spaces" MASTER 90' \
	'INSTANCE "VI 2 with spaces" BACKUP 90' 'GROUP "G1" MASTER 0'
wait_for total_is 5
assert_eq "FIFO order: VI_1 BACKUP then MASTER -> director; VI 2 MASTER then BACKUP -> real server; group MASTER -> director" \
	"eth0: 10.9.0.11/24 10.9.0.50/24 10.9.0.70/24 | lo: 10.9.0.60/32 | all=1/2 lo=1/2 eth0=1/2" "$(snapshot "$NS")"
assert_eq "recorded: VI_1 director, VI 2 real-server, G1 director" "director real-server director" \
	"$(state_field "$ST" VI_1 role) $(state_field "$ST" "VI 2 with spaces" role) $(state_field "$ST" G1 role)"
# one line at a time (separate batches)
send 'INSTANCE "VI_1" BACKUP 100'
send 'INSTANCE "VI_1" MASTER 100'
send 'INSTANCE "VI_1" FAULT 100'
wait_for total_is 8
assert_eq "separate writes, MASTER then FAULT: real server (FAULT's default)" "lo: 10.9.0.50/32 10.9.0.60/32" \
	"lo: $(addrs "$NS" lo)"
assert_eq "recorded FAULT" "FAULT real-server" "$(state_field "$ST" VI_1 state) $(state_field "$ST" VI_1 role)"
# keepalived writes a line at a time: BACKUP and MASTER of the first write come in one read
# (BACKUP superseded) or, on a busy machine, in two (both ok); each is counted once either way,
# under one result or another (noop too: one was seen under valgrind on a busy machine); none
# fails
vi1_results() { grep '^lvsrole_transitions_total{iname="VI_1",' "$M" 2>/dev/null | sed 's/.*result="\([a-z]*\)"} \([0-9]*\)/\1=\2/' | tr '\n' ' '; }
vi1_counts() { local n=0 r; for r in $(vi1_results); do n=$((n + ${r#*=})); done; echo "$n"; }
await "VI_1's 5 transitions counted once each" 5 vi1_counts
echo "# VI_1's transitions by result: $(vi1_results)"
assert_eq "... none failed or partial ($(vi1_results))" "0 0" \
	"$(metric "$M" 'lvsrole_transitions_total{iname="VI_1",result="failed"}') $(metric "$M" 'lvsrole_transitions_total{iname="VI_1",result="partial"}')"

# --- bad, over-long, checker and priority lines: skipped, counted, never fatal ---
before=$(snapshot "$NS")
long=$(head -c 3000 /dev/zero | tr '\0' x)
send 'GARBAGE' 'INSTANCE VI_1 MASTER 100' 'INSTANCE "VI_1" MASTER 999' 'INSTANCE "VI_1" SLAVE 100' \
	"INSTANCE \"$long\" MASTER 100" 'INSTANCE "VI_1" MASTER_RX_LOWER_PRI 100' 'INSTANCE "VI_1" BACKUP_PRIORITY 100' \
	'VS [10.9.0.50]:tcp:80 DOWN' 'RS [10.9.0.11]:tcp:80 [10.9.0.50]:tcp:80 DOWN' 'INSTANCE "VI_9" MASTER 100' \
	'GROUP "VI_1" MASTER 0' ''
wait_for total_is 20
assert_eq "bad lines change nothing (priority events are not states)" "$before" "$(snapshot "$NS")"
assert_eq "counted: 6 bad, 2 priority, 2 checker, 2 ignored (unknown name, wrong scope)" "6 2 2 2" \
	"$(lines_read bad) $(lines_read priority) $(lines_read checker) $(lines_read ignored)"
assert_match "a bad line is logged with what is wrong" 'skipped priority is not 0\.\.255: "INSTANCE \\"VI_1\\" MASTER 999"' "$(cat "$TMP/plugin.out")"
assert_match "an over-long line is logged as such" "skipped a line longer than 1024 bytes" "$(cat "$TMP/plugin.out")"
send 'INSTANCE "VI_1" MASTER 100'
wait_for total_is 21
assert_eq "still applying after bad lines" "10.9.0.11/24 10.9.0.50/24 10.9.0.70/24" "$(addrs "$NS" eth0)"

# --- status shows the plugin (plugin.json is written just after the metrics) ---
status_text() { lr "$NS" "$C" status; tr '\n' ' ' <"$TMP/last.out"; }
await_match "status: plugin running, its FIFO and last line" "plugin: running \(pid $P1 .*FIFO $F.*last line: INSTANCE \"VI_1\" MASTER 100" status_text

# --- drift: repaired within a second, and counted ---
# repairs are driven by the kernel's address events (the sysctls by the 200 ms check): within
# a second, ten times their median (20-40 ms; under valgrind too)
within_1s() { [ -n "$1" ] && [ "${1%ms}" -lt 1000 ] && echo yes; }
nsx "$NS" ip addr del 10.9.0.50/24 dev eth0
took=$(until_true sh -c "ip -n $NS addr show dev eth0 | grep -q 10.9.0.50/24")
assert_eq "VIP deleted by hand: back on eth0 within a second (took ${took:-forever})" yes "$(within_1s "$took")"
setsys "$NS" all arp_ignore 0
setsys "$NS" all arp_announce 0
took=$(until_true sh -c "ip netns exec $NS cat /proc/sys/net/ipv4/conf/all/arp_ignore | grep -qx 1 && ip netns exec $NS cat /proc/sys/net/ipv4/conf/all/arp_announce | grep -qx 2")
assert_eq "sysctls reset (sysctl -p): back to 1/2 within a second (took ${took:-forever})" yes "$(within_1s "$took")"
nsx "$NS" ip link set eth0 down
nsx "$NS" ip addr flush dev eth0 label eth0
nsx "$NS" ip link set eth0 up
took=$(until_true sh -c "ip -n $NS addr show dev eth0 | grep -q 10.9.0.70/24")
assert_match "interface flushed: the director VIPs come back (took $took)" "ms$" "$took"
nsx "$NS" ip addr add 10.9.0.11/24 dev eth0
# VI_1 drifted twice (its VIP deleted, then flushed); the first repair is whole, the second is
# partial when it ran while the link was down (the announcement fails: ENETDOWN; the plugin
# announces again once the link runs, t-plugin-arp)
drift_counts() { echo "$(metric "$M" 'lvsrole_drift_total{iname="VI_1"}') $(metric "$M" 'lvsrole_drift_repairs_total{iname="VI_1"}')"; }
drift_seen() { local c; c=$(drift_counts); [ "${c% *}" -ge 2 ] 2>/dev/null && [ "${c#* }" -ge 1 ] && echo yes; }
seen=$(eventually yes drift_seen)
assert_eq "drift counted and repaired (VI_1 found, repaired: $(drift_counts))" "yes" "$seen"
assert_match "drift logged" "VI_1: drift: the host no longer matched the director role: 1 change\(s\) made, ok" "$(cat "$TMP/plugin.out")"

# --- SIGHUP: a broken file keeps the old one; a good one is taken ---
OK1=$(metric "$M" 'lvsrole_transitions_total{iname="VI_1",result="ok"}')
LOADED=$(metric "$M" lvsrole_plugin_config_last_reload_success_timestamp_seconds)
reload_ok() { metric "$M" lvsrole_plugin_config_last_reload_successful; }
cp "$C" "$TMP/good.conf"
echo '{ "state_dir": ' >"$C"
kill -HUP "$P1"
await "SIGHUP with a broken file: the metrics say the reload failed" 0 reload_ok
assert_match "SIGHUP with a broken file: says why, keeps the old" "SIGHUP: .*p.conf:[0-9]+: .*keeping the configuration in use" "$(cat "$TMP/plugin.out")"
assert_eq "still running, on the configuration loaded before" "0 $LOADED" \
	"$(kill -0 "$P1" 2>/dev/null; echo $?) $(metric "$M" lvsrole_plugin_config_last_reload_success_timestamp_seconds)"
VI2_VIPS='"10.9.0.60/24", "10.9.0.61/24"' mkconf
kill -HUP "$P1"
reloaded() { [ "$(reload_ok)" = 1 ] && [ "$(metric "$M" lvsrole_plugin_config_last_reload_success_timestamp_seconds)" != "$LOADED" ]; }
wait_for reloaded
cp "$M" "$TMP/after-reload.prom" # one version of the file, written after the reload
assert_eq "SIGHUP with a good file: the metrics say it was loaded" yes "$(reloaded && echo yes)"
assert_match "SIGHUP with a good file: reloaded" "SIGHUP: configuration .* reloaded \(3 instance" "$(cat "$TMP/plugin.out")"
assert_eq "SIGHUP: counters go on (VI_1's ok transitions)" "$OK1" "$(metric "$TMP/after-reload.prom" 'lvsrole_transitions_total{iname="VI_1",result="ok"}')"
took=$(until_true sh -c "ip -n $NS addr show dev lo | grep -q 10.9.0.61/32")
assert_match "the new VIP of a real-server instance is put on lo after the reload (drift)" "ms$" "$took"

# --- reload: SIGTERM then EOF: nothing changes ---
before=$(snapshot "$NS")
plugin_reload "$P1" "$F"
assert_eq "SIGTERM then EOF: exits at once" 0 $?
assert_eq "reload: roles unchanged" "$before" "$(snapshot "$NS")"
assert_match "reload logged" "keepalived is reloading; leaving the roles as they are" "$(cat "$TMP/plugin.out")"
lr "$NS" "$C" status --json
assert_eq "status after: not running, ended by reload" "False reload" \
	"$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["plugin"]; print(p["running"], p["how"])' "$TMP/last.out")"

# --- a restarted plugin reads the persisted state and converges ---
nsx "$NS" ip addr del 10.9.0.50/24 dev eth0
plugin_start "$NS" "$C" "$F"
P2=$PLUGIN_PID
took=$(until_true sh -c "ip -n $NS addr show dev eth0 | grep -q 10.9.0.50/24")
assert_match "restart: the recorded director role is restored without a new line (took $took)" "ms$" "$took"

# --- burst: 10,000 lines as fast as keepalived can write them, none lost ---
read -r _ written _ dropped _ secs < <(python3 "$FIFOW" "$F" --burst 10000)
took=$(until_true total_is 10000)
echo "# burst: 10000 lines written in ${secs}s, ${dropped} dropped by the pipe, all read ${took} after"
assert_eq "burst: keepalived's writer never found the pipe full" 0 "$dropped"
assert_eq "burst: every line read and classified" 10000 "$(total_read)"
assert_eq "burst: the last line of each instance wins" "eth0: 10.9.0.11/24 10.9.0.50/24 10.9.0.70/24 | lo: 10.9.0.60/32 10.9.0.61/32" \
	"$(snapshot "$NS" | sed 's/ | all.*//')"

# --- stop: SIGTERM, then keepalived's STOP lines (the FIFO stays open) ---
ms=$(plugin_stop "$P2" "$F" 'INSTANCE "VI_1" STOP 0' 'INSTANCE "VI 2 with spaces" STOP 0' 'GROUP "G1" STOP 0')
assert_eq "stop: the plugin left" 0 $?
# it leaves on the last STOP line, not on its 800 ms wait for them (keepalived kills at 1000)
assert_match "stop: it left because every instance and group stopped (in ${ms} ms)" \
	"keepalived stopped every configured instance and group: leaving" "$(cat "$TMP/plugin.out")"
assert_eq "stop: every instance in the real-server role" "eth0: 10.9.0.11/24 | lo: 10.9.0.50/32 10.9.0.60/32 10.9.0.61/32 10.9.0.70/32 | all=1/2 lo=1/2 eth0=1/2" \
	"$(snapshot "$NS")"
assert_eq "stop: recorded" "STOP STOP" "$(state_field "$ST" VI_1 state) $(state_field "$ST" G1 state)"

# --- bad arguments: a clear message and exit 2, nothing changed ---
before=$(snapshot "$NS")
nsx "$NS" "$PLUGIN" -c "$C" >"$TMP/o" 2>&1
assert_eq "no FIFO: exit 2" 2 $?
assert_match "no FIFO: says so" "no FIFO given" "$(cat "$TMP/o")"
nsx "$NS" "$PLUGIN" -c "$C" relative/fifo >"$TMP/o" 2>&1
assert_eq "relative FIFO path: exit 2" 2 $?
touch "$TMP/plain"
nsx "$NS" "$PLUGIN" -c "$C" "$TMP/plain" >"$TMP/o" 2>&1
assert_eq "not a FIFO: exit 2" 2 $?
assert_match "not a FIFO: names it" "$TMP/plain: not a FIFO" "$(cat "$TMP/o")"
nsx "$NS" "$PLUGIN" -c "$TMP/none.conf" "$F" >"$TMP/o" 2>&1
assert_eq "missing config: exit 3" 3 $?
# the bounds of the README's limits: 31 arguments, each under 4096 bytes
# shellcheck disable=SC2046
nsx "$NS" "$PLUGIN" -c "$C" $(printf -- '-v %.0s' $(seq 28)) -v "$F" >"$TMP/o" 2>&1
assert_eq "32 arguments: exit 2" 2 $?
assert_match "32 arguments: says so" "too many arguments \(32\)" "$(cat "$TMP/o")"
nsx "$NS" "$PLUGIN" -c "$C" "/$(printf 'x%.0s' $(seq 4096))" >"$TMP/o" 2>&1
assert_eq "an argument of 4097 bytes: exit 2" 2 $?
assert_match "an argument of 4097 bytes: says which" "argument 3 is longer than 4095 bytes" "$(cat "$TMP/o")"
assert_eq "bad arguments change nothing" "$before" "$(snapshot "$NS")"

finish
