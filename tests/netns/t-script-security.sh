#!/bin/bash
# keepalived's enable_script_security against what `make install` lays out: the programs
# root-owned 0755, every directory above them root-owned and not writable by group or others;
# the man pages installed. Real keepalived with script security on runs the installed notify
# hook (VI_1) and starts the installed plugin (VI_2): both VIPs end on eth0, nothing is found
# unsafe. The same programs under a directory others can write are refused by keepalived.
. "$(dirname "$0")/lib.sh"
require_plugin
need keepalived

D=$TMP/dest
make -C "$LR_BUILDDIR" install DESTDIR="$D" >"$TMP/install.log" 2>&1
assert_eq "make install DESTDIR=... exit 0" 0 $?
mk() { sed -n "s/^$1 = //p" "$LR_BUILDDIR/Makefile"; }
expand() { # the Makefile's ${prefix}-style value, expanded
	local v=$1 _
	for _ in 1 2 3 4; do
		v=${v//\$\{prefix\}/$(mk prefix)}
		v=${v//\$\{exec_prefix\}/$(mk exec_prefix)}
		v=${v//\$\{datarootdir\}/$(mk datarootdir)}
		v=${v//\$\{libexecdir\}/$(mk libexecdir)}
	done
	echo "$v"
}
SB=$D$(expand "$(mk sbindir)")
LX=$D$(expand "$(mk libexecdir)")/lvsrole
MAN=$D$(expand "$(mk mandir)")
for f in "$SB/lvsrole-notify" "$SB/lvsrole-plugin" "$LX/lvsrole-deliver"; do
	assert_eq "installed ${f#"$D"}: root:root 0755" "root:root 755" "$(stat -c '%U:%G %a' "$f" 2>&1)"
done
for m in man8/lvsrole-notify.8 man8/lvsrole-plugin.8 man5/lvsrole.conf.5; do
	assert_eq "installed man page $m" yes "$([ -s "$MAN/$m" ] && echo yes)"
done
# what keepalived checks, walked here: every component root-owned, not writable by others,
# nor by its group unless that is root; sticky directories pass
unsafe() {
	local p=$1 bad="" o g m
	while [ -n "$p" ] && [ "$p" != / ]; do
		read -r o g m <<<"$(stat -c '%u %g %a' "$p")"
		if [ "$o" != 0 ] || { [ $((8#$m & 8#1000)) = 0 ] &&
			{ [ $((8#$m & 8#002)) != 0 ] || { [ $((8#$m & 8#020)) != 0 ] && [ "$g" != 0 ]; }; }; }; then
			bad="$bad $p"
		fi
		p=$(dirname "$p")
	done
	echo "${bad# }"
}
assert_eq "every directory above the installed programs is root's and not writable by others" "  " \
	"$(unsafe "$SB/lvsrole-notify") $(unsafe "$SB/lvsrole-plugin") $(unsafe "$LX/lvsrole-deliver")"

mkswitch
A=$(attach a 1 10.9.0.11/24)
K=$TMP/ka
mkdir -m 0700 "$K"
conf "$K/notify.conf" "$K/st-notify" '"instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24"] } }'
conf "$K/plugin.conf" "$K/st-plugin" '"instances": { "VI_2": { "nic": "eth0", "vips": ["10.9.0.60/24"] } }'
chmod 0600 "$K"/*.conf
kaconf() { # kaconf FILE SBINDIR
	cat >"$1" <<EOK
global_defs {
    router_id t
    enable_script_security
    script_user root
    vrrp_notify_fifo $K/notify.fifo
    vrrp_notify_fifo_script "$2/lvsrole-plugin -c $K/plugin.conf"
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    notify "$2/lvsrole-notify -c $K/notify.conf"
}
vrrp_instance VI_2 {
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority 100
    advert_int 1
}
EOK
}
kaconf "$K/keepalived.conf" "$SB"
# exit 5 is keepalived's warning that VI_1 and VI_2 have no virtual_ipaddress (lvsrole
# owns the VIPs); 6 would be script security
nsx "$A" keepalived -t -f "$K/keepalived.conf" >"$TMP/kat.out" 2>&1
assert_eq "keepalived -t with script security: the installed layout is accepted (exit 5: no VIP, no 6)" 5 $?
assert_eq "keepalived -t: its only warnings are the missing VIPs" "" \
	"$(grep -iE "warn|error|unsafe|secur" "$TMP/kat.out" | grep -viE "no VIP|virtual_ipaddress|virtual ip")"

# a directory others can write on the way: refused (the check above is keepalived's too)
U=$TMP/unsafe
mkdir "$U"
cp -a "$SB/." "$U/"
chmod 0777 "$U"
assert_eq "(the walk finds a directory others can write)" "$U" "$(unsafe "$U/lvsrole-notify")"
kaconf "$K/unsafe.conf" "$U"
# keepalived -t does not check script security (2.2.7): keepalived does as it starts
nsx "$A" keepalived -f "$K/unsafe.conf" -P -n -l -D -p "$K/u.pid" -r "$K/u-vrrp.pid" >"$K/unsafe.log" 2>&1 &
KU=$!
BGPIDS+=("$KU")
for p in lvsrole-notify lvsrole-plugin; do
	wait_for grep -q "Unsafe permissions found for script '$U/$p" "$K/unsafe.log"
	assert_eq "keepalived refuses $p under a directory others can write" 1 \
		"$(grep -c "Unsafe permissions found for script '$U/$p.*disabling" "$K/unsafe.log")"
done
kill -TERM "$KU"
plugin_wait "$KU"
assert_eq "the refused hook and plugin never ran (no state)" "no no" \
	"$([ -e "$K/st-notify" ] && echo yes || echo no) $([ -e "$K/st-plugin" ] && echo yes || echo no)"

nsx "$A" keepalived -f "$K/keepalived.conf" -P -n -l -D -p "$K/ka.pid" -r "$K/vrrp.pid" >"$K/keepalived.log" 2>&1 &
KP=$!
BGPIDS+=("$KP")
took=$(until_true sh -c "ip -n $A addr show dev eth0 | grep -q 10.9.0.50/24 && ip -n $A addr show dev eth0 | grep -q 10.9.0.60/24")
assert_match "keepalived ran the notify hook (VI_1) and the plugin (VI_2): both VIPs on eth0 ($took)" "ms$" "$took"
assert_eq "the notify hook recorded VI_1 as director" director "$(state_field "$K/st-notify" VI_1 role)"
assert_eq "the plugin recorded VI_2 as director" director "$(state_field "$K/st-plugin" VI_2 role)"
assert_eq "the plugin runs from the installed path" 1 "$(pgrep -fc "^$SB/lvsrole-plugin -c $K/plugin.conf")"
assert_eq "keepalived found nothing unsafe, disabled no script" "" "$(grep -iE "unsafe|disabl|not executable|security" "$K/keepalived.log")"
kill -TERM "$KP"
plugin_wait "$KP"
finish
