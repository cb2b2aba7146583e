#!/bin/bash
# Every example in conf-examples/ is valid: lvsrole configs pass `lvsrole-notify check`,
# keepalived configs pass `keepalived -t` (exit 5, warnings, only where the file explains why).
set -u
SRC=${LR_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
NOTIFY=${LR_BUILDDIR:-$SRC/build}/lvsrole-notify
pass=0 fail=0 skip=0
T=$(mktemp -d /tmp/lvsrole-examples.XXXXXX)
trap 'rm -rf "$T"' EXIT
for f in "$SRC"/conf-examples/lvsrole*.conf; do
	# the files a config names under /etc/lvsrole/ (webhook secrets) are made here, mode 600
	sed "s|/etc/lvsrole/|$T/|g" "$f" >"$T/conf"
	chmod 644 "$T/conf"
	for s in $(grep -o "\"$T/[^\"]*\"" "$T/conf" | tr -d '"'); do
		(umask 077 && printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64)" >"$s")
	done
	if out=$("$NOTIFY" -c "$T/conf" check 2>&1); then
		pass=$((pass + 1)); echo "ok - $(basename "$f"): lvsrole-notify check"
	else
		fail=$((fail + 1)); echo "not ok - $(basename "$f"): $out"
	fi
done
if command -v keepalived >/dev/null || [ -x /usr/sbin/keepalived ]; then
	KA=$(command -v keepalived || echo /usr/sbin/keepalived)
	for f in "$SRC"/conf-examples/keepalived*.conf; do
		out=$("$KA" -t -f "$f" 2>&1); rc=$?
		if [ $rc = 0 ] || { [ $rc = 5 ] && grep -qi "warn" "$f"; }; then
			pass=$((pass + 1)); echo "ok - $(basename "$f"): keepalived -t exit $rc"
		else
			fail=$((fail + 1)); echo "not ok - $(basename "$f"): keepalived -t exit $rc: $out"
		fi
	done
elif [ "${CI:-}" = true ]; then
	fail=$((fail + 1)); echo "not ok - keepalived not installed in CI"
else
	skip=$((skip + 1)); echo "skip - keepalived not installed"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
