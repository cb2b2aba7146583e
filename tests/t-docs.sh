#!/bin/bash
# The documentation is true to the code:
# - every configuration key the parser knows (asked from lvsrole-notify itself: an unknown key
#   at each level makes it list the known ones) is documented in lvsrole.conf(5), in the
#   section of its object; every key it documents is one the parser knows;
# - every command of lvsrole-notify's command table is in lvsrole-notify(8)'s COMMANDS;
# - the exit codes of lib/exitcode.h are the ones the README and lvsrole-notify(8) list, each
#   meaning starting as the code's comment does; lvsrole-plugin(8) lists none other.
set -u
SRC=${LR_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
NOTIFY=${LR_BUILDDIR:-$SRC/build}/lvsrole-notify
if ! command -v python3 >/dev/null; then
	[ "${CI:-}" = true ] && { echo "FAIL: python3 not installed (tests/deps.sh installs it)"; exit 99; }
	echo "SKIP: python3 not installed (tests/deps.sh installs it)"
	exit 77
fi
T=$(mktemp -d /tmp/lvsrole-docs.XXXXXX)
trap 'rm -rf "$T"' EXIT

# probe NAME JSON: the keys lvsrole-notify lists as known for the object holding "zz_probe"
probe() {
	printf '%s\n' "$2" >"$T/$1.conf"
	chmod 600 "$T/$1.conf"
	"$NOTIFY" -c "$T/$1.conf" check 2>&1 | sed -n 's/.*unknown key (known: \(.*\)): "zz_probe".*/\1/p'
}
I='"VI_1": { "nic": "eth0", "vips": ["192.0.2.1/24"] }'
E='"e": { "url": "https://example.com/", "secret_file": "/etc/lvsrole/s"'
{
	echo "top	$(probe top "{ \"zz_probe\": 1, \"instances\": { $I } }")"
	echo "arp_sysctl	$(probe arp "{ \"arp_sysctl\": { \"zz_probe\": 1 }, \"instances\": { $I } }")"
	echo "arp_sysctl.real_server	$(probe arprs "{ \"arp_sysctl\": { \"real_server\": { \"zz_probe\": 1 } }, \"instances\": { $I } }")"
	echo "arp_sysctl.director	$(probe arpd "{ \"arp_sysctl\": { \"director\": { \"zz_probe\": 1 } }, \"instances\": { $I } }")"
	echo "announce	$(probe ann "{ \"announce\": { \"zz_probe\": 1 }, \"instances\": { $I } }")"
	echo "instance	$(probe inst "{ \"instances\": { \"VI_1\": { \"zz_probe\": 1 } } }")"
	echo "ipvs	$(probe ipvs "{ \"instances\": { \"VI_1\": { \"nic\": \"eth0\", \"vips\": [\"192.0.2.1/24\"], \"ipvs\": { \"zz_probe\": 1 } } } }")"
	echo "roles	$(probe roles "{ \"instances\": { \"VI_1\": { \"roles\": { \"zz_probe\": 1 } } } }")"
	echo "group	$(probe grp "{ \"instances\": { $I }, \"groups\": { \"G\": { \"zz_probe\": 1 } } }")"
	echo "webhooks	$(probe wh "{ \"instances\": { $I }, \"webhooks\": { \"zz_probe\": 1 } }")"
	echo "endpoint	$(probe ep "{ \"instances\": { $I }, \"webhooks\": { \"endpoints\": { \"e\": { \"zz_probe\": 1 } } } }")"
	echo "filter	$(probe flt "{ \"instances\": { $I }, \"webhooks\": { \"endpoints\": { $E, \"filter\": { \"zz_probe\": 1 } } } } }")"
	echo "plugin	$(probe pl "{ \"instances\": { $I }, \"plugin\": { \"zz_probe\": 1 } }")"
} >"$T/keys"

python3 - "$T/keys" "$SRC" <<'EOP'
import os, re, sys
keys_file, src = sys.argv[1], sys.argv[2]
ok = bad = 0
def check(what, cond, detail=""):
    global ok, bad
    if cond:
        ok += 1
        print("ok - " + what)
    else:
        bad += 1
        print("not ok - " + what + ("\n#   " + detail if detail else ""))

keys = {}
for line in open(keys_file):
    obj, _, known = line.rstrip("\n").partition("\t")
    keys[obj] = [k.strip() for k in known.split(",") if k.strip()]
    check("the parser lists the keys of %s" % obj, len(keys[obj]) > 0, "no 'unknown key (known: ...)' message")

# ---- lvsrole.conf(5): sections, their .TP terms, their bold words ----
man = open(src + "/man/lvsrole.conf.5").read().split("\n")
sections, cur = {}, None
for i, l in enumerate(man):
    m = re.match(r'\.S[HS] "?([^"]*)"?$', l)
    if m:
        cur = m.group(1)
        sections[cur] = {"terms": set(), "bold": set()}
        continue
    if cur is None:
        continue
    for w in re.findall(r'^\.BR? +"?([A-Za-z_][A-Za-z0-9_.]*)', l) + re.findall(r'\\fB([A-Za-z_][A-Za-z0-9_.]*)', l):
        sections[cur]["bold"].add(w.replace("\\", ""))
    if i > 0 and man[i - 1] == ".TP":
        # a term may name several keys ("client_cert, client_key") or a sub-key (filter.results)
        for t in re.findall(r'(?:^\.BR? +"?|\\fB)([A-Za-z_][A-Za-z0-9_.]*)', l):
            sections[cur]["terms"].add(t)
where = {"top": "TOP LEVEL", "arp_sysctl": "ARP SYSCTLS", "arp_sysctl.real_server": "ARP SYSCTLS",
         "arp_sysctl.director": "ARP SYSCTLS", "announce": "ANNOUNCEMENTS", "instance": "INSTANCES",
         "roles": "INSTANCES", "ipvs": "INSTANCES", "group": "INSTANCES", "webhooks": "WEBHOOKS", "endpoint": "Endpoint",
         "filter": "Endpoint", "plugin": "PLUGIN"}
for obj, sec in where.items():
    s = sections.get(sec)
    check("lvsrole.conf(5) has the section %s" % sec, s is not None)
    if not s:
        continue
    parts = set(p for t in s["terms"] | s["bold"] for p in t.split("."))
    missing = [k for k in keys.get(obj, []) if k not in parts]
    check("lvsrole.conf(5) %s documents every key of %s" % (sec, obj), not missing, "missing: %s" % missing)
for sec in set(where.values()):
    s = sections.get(sec)
    if not s:
        continue
    known = set(k for o, sn in where.items() if sn == sec for k in keys.get(o, []))
    extra = [t for t in s["terms"] if t.split(".")[-1] not in known]
    check("lvsrole.conf(5) %s documents no key the parser does not know" % sec, not extra, "unknown: %s" % extra)

# ---- lvsrole-notify(8): every command of the command table (notify/cli.c) ----
cli = open(src + "/notify/cli.c").read()
table = cli[cli.index("} commands[] = {"):]
table = table[:table.index("};")]
words_ = re.findall(r'^\t\{ "([A-Za-z]+)", LR_CMD_', table, re.M)
check("the command table lists the commands", len(words_) >= 8, "found: %s" % words_)
page = open(src + "/man/lvsrole-notify.8").read()
cmds = page[page.index(".SH COMMANDS"):]
cmds = cmds[:cmds.index("\n.SH", 1)]
cl = cmds.split("\n")
terms = set(w for i, l in enumerate(cl) if i and cl[i - 1] == ".TP" for w in re.findall(r"[A-Za-z]+", re.sub(r"\\f.", " ", l)))
missing = [w for w in words_ if w not in terms]
check("lvsrole-notify(8) COMMANDS documents every command (%s)" % " ".join(words_), not missing, "missing: %s" % missing)

# ---- exit codes ----
readme = open(src + "/README.md").read()
codes = {}
for m in re.finditer(r'LR_EXIT_(\w+) = (\d+),[ \t]*(?:/\* (.*?) \*/)?', open(src + "/lib/exitcode.h").read()):
    codes[int(m.group(2))] = m.group(3) or ("success" if m.group(1) == "OK" else "")
def words(s, n=2):
    s = re.sub(r'[`\\]|\.B |\.BR |"', "", s).lower()
    return " ".join(re.findall(r"[a-z_]+", s)[:n])
ex = readme[readme.index("### Exit status"):]
ex = ex[:ex.index("\n## ")]
rows = {int(c): t for c, t in re.findall(r'^\| (\d+) \| (.*) \|$', ex, re.M)}
check("README: the exit codes are lib/exitcode.h's", sorted(rows) == sorted(codes), "README %s, code %s" % (sorted(rows), sorted(codes)))
for c, t in sorted(codes.items()):
    if c in rows:
        check("README: exit %d means what the code says (%s)" % (c, words(t)), words(rows[c], len(words(t).split())) == words(t),
              "README: %r" % rows[c])
def man_codes(page):
    text = open(src + "/man/" + page).read()
    sec = text[text.index(".SH EXIT STATUS"):]
    sec = sec[:sec.index("\n.SH", 1)]
    out = {}
    lines = sec.split("\n")
    for i, l in enumerate(lines):
        m = re.match(r'^\.B (\d+)$', l)
        if m and i > 0 and lines[i - 1] == ".TP":
            out[int(m.group(1))] = " ".join(lines[i + 1:i + 3])
    return out
mn = man_codes("lvsrole-notify.8")
check("lvsrole-notify(8): the exit codes are lib/exitcode.h's", sorted(mn) == sorted(codes), "man %s, code %s" % (sorted(mn), sorted(codes)))
for c, t in sorted(codes.items()):
    if c in mn:
        check("lvsrole-notify(8): exit %d means what the code says" % c, words(mn[c], len(words(t).split())) == words(t), "man: %r" % mn[c])
mp = man_codes("lvsrole-plugin.8")
check("lvsrole-plugin(8): only exit codes of lib/exitcode.h", set(mp) <= set(codes), "man %s" % sorted(mp))
# every design note a source file or a document names is in the project's own doc/
import glob
cited = set()
for f in sorted(glob.glob(src + "/lib/*.[ch]") + glob.glob(src + "/notify/*.[ch]") + glob.glob(src + "/plugin/*.[ch]")
                + glob.glob(src + "/tests/*/*.[ch]") + glob.glob(src + "/tests/*.sh") + glob.glob(src + "/tests/*/*.sh")
                + [src + "/README.md", src + "/tests/README.md"] + glob.glob(src + "/doc/*.md")):
    for name in re.findall(r"\b([A-Za-z][\w-]*\.md)\b", open(f, errors="replace").read()):
        cited.add((f[len(src) + 1:], name))
missing = sorted("%s names %s" % (f, n) for f, n in cited
                 if not any(os.path.exists(p) for p in (src + "/doc/" + n, src + "/" + n, src + "/tests/" + n,
                                                        os.path.join(os.path.dirname(src + "/" + f), n))))
check("every note the sources and documents cite is in the project (doc/)", not missing, "; ".join(missing))
print("%d passed, %d failed, 0 skipped" % (ok, bad))
sys.exit(1 if bad else 0)
EOP
