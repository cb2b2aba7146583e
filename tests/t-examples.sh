#!/bin/bash
# Every example in conf-examples/ is valid: lvsrole configs pass `lvsrole-notify check`,
# keepalived configs pass `keepalived -t` (exit 5, warnings, only where the file explains why).
set -u
SRC=${LR_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
NOTIFY=${LR_BUILDDIR:-$SRC/build}/lvsrole-notify
pass=0 fail=0 skip=0
for f in "$SRC"/conf-examples/lvsrole*.conf; do
	if out=$("$NOTIFY" -c "$f" check 2>&1); then
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
