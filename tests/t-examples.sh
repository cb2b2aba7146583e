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
# each loop guard's pair: lvsrole-ipvs-X.conf and keepalived-ipvs-X.conf agree (the same
# instances; the fwmark guard's mark is a fwmark virtual server and no VIP:port one exists;
# backup_only has keepalived's sync daemon for the instance)
out=$(python3 - "$SRC/conf-examples" <<'EOP'
import glob, json, os, re, sys
d = sys.argv[1]
def jsonc(text):  # the examples' comments out, strings untouched
    return json.loads(re.sub(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', lambda m: m.group(1) or "", text, flags=re.S))
for f in sorted(glob.glob(d + "/lvsrole-ipvs-*.conf")):
    name = os.path.basename(f)
    ka = f.replace("lvsrole-ipvs-", "keepalived-ipvs-")
    if not os.path.exists(ka):
        print("not ok - %s: no %s beside it" % (name, os.path.basename(ka)))
        continue
    k = re.sub(r"#[^\n]*", "", open(ka).read())
    c = jsonc(open(f).read())
    bad = []
    for inst, o in {**c.get("instances", {}), **c.get("groups", {})}.items():
        if not re.search(r"vrrp_(instance|sync_group) %s\b" % re.escape(inst), k):
            bad.append("%s is no vrrp_instance there" % inst)
        g = o.get("ipvs", {})
        guard = g.get("loop_guard", "fwmark") if g else "none"
        vips = [v.split("/")[0] for v in o["vips"]]
        if guard == "fwmark":
            if not re.search(r"virtual_server\s+fwmark\s+%d\b" % g["fwmark"], k):
                bad.append("no virtual_server fwmark %d for %s" % (g["fwmark"], inst))
            bad += ["virtual_server %s PORT beside the guard fwmark" % v for v in vips if re.search(r"virtual_server\s+%s\s" % re.escape(v), k)]
        elif guard == "backup_only" and not re.search(r"lvs_sync_daemon\s+\S+\s+%s\b" % re.escape(inst), k):
            bad.append("no lvs_sync_daemon for %s" % inst)
    print(("ok - %s and %s agree" if not bad else "not ok - %s and %s: " + "; ".join(bad)) % (name, os.path.basename(ka)))
EOP
)
echo "$out"
pass=$((pass + $(grep -c '^ok' <<<"$out"))) fail=$((fail + $(grep -c '^not ok' <<<"$out")))
echo "$pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
