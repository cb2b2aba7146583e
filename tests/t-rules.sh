#!/bin/bash
# The alerting rules (conf-examples/lvsrole.rules.yml) are valid for Prometheus (`promtool
# check rules`), pass their unit tests (tests/rules/lvsrole.rules.test.yml, `promtool test
# rules`), every alert of theirs is tested both firing and silent, and every metric they name is
# one lvsrole writes (a string literal "lvsrole_..." in plugin/metrics.c or lib/metrics.c).
set -u
SRC=${LR_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
RULES=$SRC/conf-examples/lvsrole.rules.yml
TESTS=$SRC/tests/rules/lvsrole.rules.test.yml
if ! command -v promtool >/dev/null; then
	[ "${CI:-}" = true ] && { echo "FAIL: promtool not installed (tests/deps.sh installs it)"; exit 1; }
	echo "SKIP: promtool not installed (tests/deps.sh installs it)"
	exit 77
fi
pass=0 fail=0
# check WHAT OK [DETAIL]: one line for an assertion, DETAIL (as # lines) when it failed
check() {
	if [ "$2" = 0 ]; then
		pass=$((pass + 1)); echo "ok - $1"
	else
		fail=$((fail + 1)); echo "not ok - $1"
		[ -n "${3:-}" ] && sed 's/^/#   /' <<<"$3"
	fi
}

out=$(promtool check rules "$RULES" 2>&1); rc=$?
check "promtool check rules conf-examples/lvsrole.rules.yml ($(grep -o '[0-9]* rules found' <<<"$out"))" $rc "$out"
out=$(promtool test rules "$TESTS" 2>&1); rc=$?
check "promtool test rules tests/rules/lvsrole.rules.test.yml" $rc "$out"

# every alert has a test case where it fires (exp_alerts listed) and one where it does not
# (exp_alerts: [])
alerts=$(sed -n 's/^ *- alert: *\([A-Za-z0-9_]*\).*/\1/p' "$RULES")
cases=$(awk '/^ *alertname:/ { a = $2 } /^ *exp_alerts:/ { print a, ($2 == "[]" ? "silent" : "fires") }' "$TESTS")
[ -n "$alerts" ]; rc=$?
check "the rules hold alerts ($(wc -w <<<"$alerts"))" $rc
for a in $alerts; do
	missing=
	grep -qx "$a fires" <<<"$cases" || missing+=" firing"
	grep -qx "$a silent" <<<"$cases" || missing+=" silent"
	[ -z "$missing" ]; check "$a is tested firing and silent" $? "no case where it is:$missing"
done

# every metric the rules name is one lvsrole's sources write (names only: the labels are the
# writers' business, and doc/metrics.md's)
srcs=("$SRC/plugin/metrics.c")
[ -e "$SRC/lib/metrics.c" ] && srcs+=("$SRC/lib/metrics.c")
written=$(cat "${srcs[@]}" | grep -o '"lvsrole_[a-z_]*' | tr -d '"' | sort -u)
used=$(grep -o 'lvsrole_[a-z_]*' "$RULES" | sort -u)
unknown=$(comm -23 <(echo "$used") <(echo "$written"))
[ -n "$used" ] && [ -n "$written" ] && [ -z "$unknown" ]; rc=$?
check "the $(wc -l <<<"$used") metrics the rules name are among the $(wc -l <<<"$written") lvsrole writes" $rc \
	"not written by ${srcs[*]#"$SRC"/}: $(echo $unknown)"

echo "$pass passed, $fail failed, 0 skipped"
[ "$fail" = 0 ]
