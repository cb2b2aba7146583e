#!/bin/bash
# The state directory, the spool and the metrics file: created with safe modes whatever the
# umask (0700 directories, 0600 files, the metrics 0644); a symbolic link planted in place of
# any of their files or directories is never followed: the file it points to is neither read
# nor written, and the next run, the link gone, converges.
. "$(dirname "$0")/lib.sh"
. "$LR_SRCDIR/tests/webhook/lib.sh"
require_plugin

NS=$(mkns s)
KEY=$TMP/k
newkey "$KEY"
ST=$TMP/st
SP=$TMP/sp
MD=$TMP/metrics
mkdir -m 0755 "$MD"
C=$TMP/c.conf
cat >"$C" <<EOC
{
  "state_dir": "$ST",
  "announce": { "count": 1 },
  "instances": { "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24"] } },
  "webhooks": { "spool_dir": "$SP", "delivery_deadline_ms": 0,
                "endpoints": { $(ep ep "http://127.0.0.1:9/") } },
  "plugin": { "metrics_file": "$MD/lvsrole.prom" }
}
EOC
# the file a planted link points to: it must stay as it is, unread (atime kept by noatime
# would not tell: the content and mode are what a follow would change)
V=$TMP/victim
printf 'precious\n' >"$V"
chmod 0644 "$V"
VD=$TMP/victim.d
mkdir -m 0755 "$VD"
victim() { echo "$(cat "$V") $(stat -c %a "$V") $(find "$VD" -mindepth 1 | wc -l)"; }
VICTIM=$(victim)
ROLE=BACKUP
flip() { # a switch of VI_1 with umask 000; exit code returned
	ROLE=$([ "$ROLE" = MASTER ] && echo BACKUP || echo MASTER)
	(umask 000 && lr "$NS" "$C" INSTANCE VI_1 "$ROLE" 100)
}

flip
assert_eq "a switch under umask 000: exit 0" 0 $?
modes() { (cd "$1" && find . -printf '%M %p\n' | LC_ALL=C sort -k2); }
assert_eq "the state directory: 0700, its files 0600" \
	"drwx------ . -rw------- ./arrivals.json -rw------- ./arrivals.lock -rw------- ./lock -rw------- ./metrics.json -rw------- ./metrics.lock -rw------- ./state.json" \
	"$(modes "$ST" | tr '\n' ' ' | sed 's/ $//')"
assert_eq "the spool: directories 0700, files 0600" "" "$(modes "$SP" | grep -vE '^(drwx------|-rw-------) ')"

# plant LINK-PATH TARGET DESCRIPTION [exit codes taken]: the link in place of a file or a
# directory; a switch must not follow it (the victim unchanged), and must either refuse
# (exit 5, naming what it refused) or replace the link by a file of its own
plant() {
	local path=$1 target=$2 what=$3 rc
	rm -rf "$path"
	ln -s "$target" "$path"
	flip
	rc=$?
	assert_eq "$what planted as a symlink: not followed (the target unchanged)" "$VICTIM" "$(victim)"
	if [ -L "$path" ]; then
		assert_match "$what planted as a symlink: refused, saying so (exit $rc)" \
			"${4:-$(basename "$path")}.*symbolic link" "$(grep -iE "error|warn" "$TMP/last.out")"
	else
		assert_eq "$what planted as a symlink: replaced by a regular file of mode 0600" "-rw-------" \
			"$(stat -c %A "$path")"
	fi
	rm -f "$path"
	flip
	assert_eq "$what: the link gone, the next switch converges (exit 0)" 0 $?
}
plant "$ST/state.json" "$V" "state.json"
plant "$ST/arrivals.json" "$V" "arrivals.json" "arrivals.json"
plant "$ST/lock" "$V" "the lock" "/lock"
plant "$ST/arrivals.lock" "$V" "the arrivals lock" "arrivals.lock"
plant "$ST/metrics.json" "$V" "metrics.json (lvsrole-notify's counts)"
plant "$ST/metrics.lock" "$V" "metrics.lock" "metrics.lock"
plant "$SP/seq" "$V" "the spool's seq"
plant "$SP/commit.lock" "$V" "the spool's commit lock"
plant "$SP/tmp" "$VD" "the spool's tmp/" "NOT spooled in $SP"
plant "$SP/q/ep" "$VD" "the spool's queue q/ep" "NOT spooled in $SP"
assert_eq "the spool's queue still holds every report (none lost to a link)" "$(cat "$SP/seq")" \
	"$(spq "$NS" "$C" "max([e['seq'] for e in S['endpoints']['ep']['queue']] or [0])")"

# the metrics file: written by lvsrole-notify (no plugin runs) and by the plugin, each
# through a temporary file renamed over it
rm -f "$MD/lvsrole.prom"
ln -s "$V" "$MD/lvsrole.prom"
flip
assert_eq "metrics file planted as a symlink, lvsrole-notify's switch: not followed" "$VICTIM" "$(victim)"
assert_eq "metrics file: replaced by lvsrole-notify's own, mode 0644 under umask 000" "-rw-r--r--" \
	"$(stat -c %A "$MD/lvsrole.prom")"
rm -f "$MD/lvsrole.prom"
ln -s "$V" "$MD/lvsrole.prom"
F=$TMP/fifo
umask 000
plugin_start "$NS" "$C" "$F"
P=$PLUGIN_PID
umask 022
wait_for test ! -L "$MD/lvsrole.prom"
assert_eq "metrics file planted as a symlink: not followed" "$VICTIM" "$(victim)"
assert_eq "metrics file: replaced by the plugin's own, mode 0644 under umask 000" "-rw-r--r--" "$(stat -c %A "$MD/lvsrole.prom")"
assert_match "metrics file: the plugin's" "lvsrole_plugin_start_time_seconds" "$(cat "$MD/lvsrole.prom")"
plugin_stop "$P" "$F" >/dev/null
finish
