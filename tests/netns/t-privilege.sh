#!/bin/bash
# Least privilege: lvsrole-notify and lvsrole-plugin work as an unprivileged user holding only
# CAP_NET_ADMIN and CAP_NET_RAW, from file capabilities (setcap) or as ambient capabilities;
# with CAP_NET_RAW missing the addresses move but the announcement fails, naming it (and the
# plugin, switching all the same, says its ARP watch and announcements need it); with none,
# nothing changes and the message names CAP_NET_ADMIN. Judged by the kernel (addresses,
# sysctls) and by the wire (the GARPs seen on the bridge).
. "$(dirname "$0")/lib.sh"
require_plugin
need setcap setpriv useradd userdel tcpdump

# a user of this run only, removed at the end
U=lvsrole-$TAG
useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$U" || exit 99
CLEANUP_CMDS+=("userdel '$U'")
chmod 0711 "$TMP" # the user traverses it; what it must not write stays root's
BIN=$TMP/bin
mkdir -m 0755 "$BIN"
for p in lvsrole-notify lvsrole-plugin lvsrole-deliver; do
	install -m 0755 "$LR_BUILDDIR/$p" "$BIN/$p"
done
cp -a "$BIN" "$TMP/bin-raw" # no file capabilities: for the ambient ones
setcap cap_net_admin,cap_net_raw+ep "$BIN/lvsrole-notify" || { echo "FAIL: setcap refused"; exit 99; }
setcap cap_net_admin,cap_net_raw+ep "$BIN/lvsrole-plugin"
mkdir -m 0755 "$TMP/noraw" "$TMP/none"
install -m 0755 "$LR_BUILDDIR/lvsrole-notify" "$TMP/noraw/lvsrole-notify"
setcap cap_net_admin+ep "$TMP/noraw/lvsrole-notify"
install -m 0755 "$LR_BUILDDIR/lvsrole-notify" "$TMP/none/lvsrole-notify"

mkswitch
A=$(attach a 1 10.9.0.11/24)
attach w 2 10.9.0.12/24 >/dev/null
ST=$TMP/state
install -d -m 0700 -o "$U" -g "$U" "$ST"
C=$TMP/p.conf
ANNOUNCE_COUNT=1 conf "$C" "$ST" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24", "10.9.0.51/24"] } }'
chmod 0644 "$C"
# as NS PROGRAM ARGS...: PROGRAM as the user, without any capability of its own (setpriv
# drops root's on the uid change; file capabilities come with the exec)
as() { local ns=$1; shift; ip netns exec "$ns" setpriv --reuid="$U" --regid="$U" --clear-groups -- "$@"; }
run() { # run NS PROGRAM ARGS...: output in $TMP/last.out, exit code returned
	local ns=$1; shift
	as "$ns" "$@" >"$TMP/last.out" 2>&1
}
GARP_RE="Request who-has (10\.9\.0\.5[01]) .*tell \\1,"
garps() { count_after priv "$1" "$GARP_RE"; }
# both_announced T: until both VIPs' GARPs since T are in the capture
both_announced() { td_wait priv 2 "$GARP_RE" "$1"; }

td_start priv
# --- file capabilities: CAP_NET_ADMIN and CAP_NET_RAW ---
assert_eq "the user is not root" "$(id -u "$U")" "$(as "$A" id -u)"
t0=$(now)
run "$A" "$BIN/lvsrole-notify" -v -c "$C" INSTANCE VI_1 MASTER 100
assert_eq "setcap'd, as $U: switch to director exit 0" 0 $?
assert_eq "director: the VIPs on eth0" "10.9.0.11/24 10.9.0.50/24 10.9.0.51/24" "$(addrs "$A" eth0)"
assert_eq "director: the sysctls" "all=0/0 lo=0/0 eth0=0/0" "$(sysctls "$A" all lo eth0)"
assert_eq "the state recorded by the user" "$U director" "$(stat -c %U "$ST/state.json") $(state_field "$ST" VI_1 role)"
run "$A" "$BIN/lvsrole-notify" -v -c "$C" INSTANCE VI_1 BACKUP 100
assert_eq "setcap'd: switch to real server exit 0" 0 $?
assert_eq "real server: the VIPs on lo" "10.9.0.50/32 10.9.0.51/32" "$(addrs "$A" lo)"
assert_eq "real server: the sysctls" "all=1/2 lo=1/2 eth0=1/2" "$(sysctls "$A" all lo eth0)"
both_announced "$t0"
td_stop
assert_eq "setcap'd: both VIPs announced on the wire (CAP_NET_RAW used)" 2 "$(garps "$t0")"

# --- without CAP_NET_RAW: the addresses move, the announcement fails and says why ---
td_start priv
t0=$(now)
run "$A" "$TMP/noraw/lvsrole-notify" -v -c "$C" INSTANCE VI_1 MASTER 100
assert_eq "CAP_NET_ADMIN only: exit 6" 6 $?
assert_match "CAP_NET_ADMIN only: the message names CAP_NET_RAW" "CAP_NET_RAW" "$(cat "$TMP/last.out")"
assert_eq "CAP_NET_ADMIN only: the VIPs moved all the same" "10.9.0.11/24 10.9.0.50/24 10.9.0.51/24" "$(addrs "$A" eth0)"
assert_eq "CAP_NET_ADMIN only: reported partial" partial "$(state_field "$ST" VI_1 result)"
td_stop
assert_eq "CAP_NET_ADMIN only: no announcement on the wire" 0 "$(garps "$t0")"
run "$A" "$BIN/lvsrole-notify" -c "$C" INSTANCE VI_1 BACKUP 100

# --- no capability: nothing changes, the message names CAP_NET_ADMIN ---
before=$(snapshot "$A")
run "$A" "$TMP/none/lvsrole-notify" -v -c "$C" INSTANCE VI_1 MASTER 100
assert_eq "no capability: exit 6" 6 $?
assert_match "no capability: the message names CAP_NET_ADMIN" "CAP_NET_ADMIN" "$(cat "$TMP/last.out")"
assert_eq "no capability: the host unchanged" "$before" "$(snapshot "$A")"

# --- ambient capabilities (as a service manager grants them), no file capabilities ---
amb() { # amb NS ARGS...: lvsrole-notify as the user with CAP_NET_ADMIN, CAP_NET_RAW ambient
	local ns=$1; shift
	ip netns exec "$ns" setpriv --reuid="$U" --regid="$U" --clear-groups --inh-caps=+net_admin,+net_raw \
		--ambient-caps=+net_admin,+net_raw -- "$TMP/bin-raw/lvsrole-notify" "$@" >"$TMP/last.out" 2>&1
}
td_start priv
t0=$(now)
amb "$A" -c "$C" INSTANCE VI_1 MASTER 100
assert_eq "ambient capabilities: switch to director exit 0" 0 $?
assert_eq "ambient: the VIPs on eth0" "10.9.0.11/24 10.9.0.50/24 10.9.0.51/24" "$(addrs "$A" eth0)"
both_announced "$t0"
td_stop
assert_eq "ambient: both VIPs announced" 2 "$(garps "$t0")"
amb "$A" -c "$C" INSTANCE VI_1 BACKUP 100
assert_eq "ambient: switch to real server exit 0, VIPs on lo" "0 10.9.0.50/32 10.9.0.51/32" "$? $(addrs "$A" lo)"

# --- the plugin, setcap'd, as the user, on a FIFO it can read ---
F=$TMP/fifo
mkfifo -m 0600 "$F"
chown "$U" "$F"
ip netns exec "$A" setpriv --reuid="$U" --regid="$U" --clear-groups -- "$BIN/lvsrole-plugin" -v -c "$C" --fifo "$F" \
	>"$TMP/plugin.out" 2>&1 &
PP=$!
BGPIDS+=("$PP")
wait_for test -s "$ST/plugin.json"
td_start priv
t0=$(now)
printf 'INSTANCE "VI_1" MASTER 100\n' | python3 "$FIFOW" "$F" >/dev/null
wait_for sh -c "ip -n $A addr show dev eth0 | grep -q 10.9.0.51/24"
assert_eq "plugin as $U: MASTER applied" "10.9.0.11/24 10.9.0.50/24 10.9.0.51/24" "$(addrs "$A" eth0)"
both_announced "$t0"
td_stop
assert_eq "plugin as $U: both VIPs announced" 2 "$(garps "$t0")"
assert_eq "plugin as $U: no capability complaint" "" "$(grep -i "CAP_NET\|not permitted" "$TMP/plugin.out")"
assert_eq "plugin: runs as $U" "$U" "$(ps -o user= -p "$PP" 2>/dev/null | tr -d ' ')"
kill -TERM "$PP"
exec 8<>"$F"
exec 8>&-
plugin_wait "$PP"

# --- the plugin without CAP_NET_RAW: it runs and switches, and says what it cannot do ---
install -m 0755 "$LR_BUILDDIR/lvsrole-plugin" "$TMP/noraw/lvsrole-plugin"
setcap cap_net_admin+ep "$TMP/noraw/lvsrole-plugin"
run "$A" "$BIN/lvsrole-notify" -c "$C" INSTANCE VI_1 BACKUP 100
assert_eq "(back to real server first)" "10.9.0.50/32 10.9.0.51/32" "$(addrs "$A" lo)"
rm -f "$ST/plugin.json"
ip netns exec "$A" setpriv --reuid="$U" --regid="$U" --clear-groups -- "$TMP/noraw/lvsrole-plugin" -v -c "$C" \
	--fifo "$F" >"$TMP/plugin-noraw.out" 2>&1 &
PP=$!
BGPIDS+=("$PP")
wait_for test -s "$ST/plugin.json"
printf 'INSTANCE "VI_1" MASTER 100\n' | python3 "$FIFOW" "$F" >/dev/null
wait_for sh -c "ip -n $A addr show dev eth0 | grep -q 10.9.0.51/24"
assert_eq "plugin with CAP_NET_ADMIN only: MASTER applied" "10.9.0.11/24 10.9.0.50/24 10.9.0.51/24" "$(addrs "$A" eth0)"
wait_for grep -q "announcements needs CAP_NET_RAW" "$TMP/plugin-noraw.out"
assert_match "plugin with CAP_NET_ADMIN only: the ARP watch says it needs CAP_NET_RAW" \
	"cannot watch ARP .*needs CAP_NET_RAW" "$(cat "$TMP/plugin-noraw.out")"
assert_match "plugin with CAP_NET_ADMIN only: the announcements say they need CAP_NET_RAW" \
	"announcements needs CAP_NET_RAW" "$(cat "$TMP/plugin-noraw.out")"
kill -TERM "$PP"
exec 8<>"$F"
exec 8>&-
plugin_wait "$PP"
finish
