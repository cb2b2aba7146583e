#!/bin/bash
# lvsrole-plugin and a slow disk: while every flush of the metrics directory takes a minute
# (strace holds the writer in fsync), FIFO events are still switched at once; a killed
# plugin's temporary metrics files are swept, and nobody else's.
. "$(dirname "$0")/lib.sh"
require_plugin
need strace

mkswitch
A=$(attach a 1 10.9.0.11/24)
MD=$TMP/textfiles
mkdir "$MD"
M=$MD/lvsrole.prom
C=$TMP/d.conf
F=$TMP/fifo
conf "$C" "$TMP/d.state" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24"] } },
	"plugin": { "metrics_file": "'"$M"'" }'
send() { printf '%s\n' "$@" | python3 "$FIFOW" "$F" >/dev/null; }
states_shown() { [ "$(metric "$M" 'lvsrole_fifo_lines_total{kind="state"}')" = "$1" ]; }
on_nic() { addrs "$A" eth0 | grep -q "10.9.0.50/24"; }
on_lo() { [ "$(addrs "$A" lo)" = "10.9.0.50/32" ]; }

# --- leftovers in node_exporter's directory: a killed plugin's, a running writer's, another
# program's (the pid of a process that has exited is no writer's) ---
gone=$(sh -c 'echo $$')
touch "$MD/.lvsrole.prom.$gone.tmp" "$MD/.lvsrole.prom.$$.tmp" "$MD/.node.prom.$gone.tmp" "$MD/.lvsrole.prom.x.tmp"
plugin_start "$A" "$C" "$F"
P=$PLUGIN_PID
wait_for test -s "$M"
# (the plugin's own temporary file, there for the moment of a write, is not judged)
assert_eq "metrics directory: the killed plugin's temporary file swept, the others kept" \
	".lvsrole.prom.$$.tmp .lvsrole.prom.x.tmp .node.prom.$gone.tmp" \
	"$(cd "$MD" && ls -A | grep '\.tmp$' | grep -vx "\.lvsrole\.prom\.$P\.tmp" | sort | tr '\n' ' ' | sed 's/ $//')"

# --- the disk stalls: each fsync of the metrics directory is held for 60 s ---
strace -qq -f -o /dev/null -P "$MD" -e trace=fsync -e inject=fsync:delay_enter=60s -p "$P" &
BGPIDS+=("$!")
disown
wait_for all_traced "$P"
send 'INSTANCE "VI_1" MASTER 100'
wait_for on_nic
# the file is renamed into place before the directory's flush, which now stalls: a thread of
# the plugin sits in fsync (x86-64 syscall 74)
in_fsync() { grep -qs '^74 ' /proc/"$P"/task/*/syscall; }
wait_for states_shown 1
wait_for in_fsync
send 'INSTANCE "VI_1" BACKUP 100'
wait_for 20 on_lo
assert_eq "disk stalled: the next event is switched all the same (VIP off the NIC, on lo)" \
	"10.9.0.11/24 | 10.9.0.50/32" "$(addrs "$A" eth0) | $(addrs "$A" lo)"
assert_eq "while the metrics writer is still held in its flush (in fsync, 1 state line shown)" yes \
	"$(in_fsync && states_shown 1 && echo yes)"
finish
