#!/bin/bash
# Reports: every switch reaches the receiver signed (checked with Python's hmac), in order,
# in each format, with the right content; filters, rotation, bearer token, headers; refused
# secret files; the spool caps; the operator commands.
. "$(dirname "$0")/lib.sh"
. "$LR_SRCDIR/tests/webhook/lib.sh"
require_netns

NS=$(mkns w)
KEY=$TMP/ops.key
OLD=$TMP/old.key
newkey "$KEY"
newkey "$OLD"
receiver "$NS" r1 --secret "$KEY"
receiver "$NS" old --secret "$OLD"
receiver "$NS" ce --secret "$KEY"
receiver "$NS" slk --secret "$KEY"
P=$(port r1)
C=$TMP/w.conf
ST=$TMP/w.state
SP=$TMP/w.spool
printf 'tok-%s\n' "$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" >"$TMP/token"
chmod 600 "$TMP/token"
TOKEN=$(cat "$TMP/token")
whconf "$C" "$ST" "$SP" "$(ep ops "http://127.0.0.1:$P/hook" "\"bearer_token_file\": \"$TMP/token\", \"headers\": {\"X-Team\": \"net\"}"),
	$(ep rotated "http://127.0.0.1:$(port old)/h" "\"previous_secret_file\": \"$OLD\""),
	$(ep ce "http://127.0.0.1:$(port ce)/h" '"format": "cloudevents", "filter": {"instances": ["VI_1"]}'),
	$(ep failures "http://127.0.0.1:$P/failures" '"filter": {"results": ["failed", "partial"]}'),
	$(ep chat "http://127.0.0.1:$(port slk)/slack" '"format": "slack", "filter": {"instances": ["VI_1"]}')"

lr "$NS" "$C" check
assert_eq "check accepts the webhook configuration" 0 $?

# --- a switch to director: the report as received ---
lr "$NS" "$C" INSTANCE VI_1 MASTER 100
assert_eq "switch exit 0" 0 $?
assert_eq "switch: VIP on eth0 (the switch happened)" "10.9.0.50/24" "$(addrs "$NS" eth0)"
wait_rx r1 1
wait_rx old 1
wait_rx ce 1
quiet "$C"
wait_rx slk 1
assert_eq "ops got one request" 1 "$(rq r1 'len(R)')"
assert_match "slack: a readable line, signed" "^True [^ ]+: VI_1 is director \(MASTER, was unknown\) for 10.9.0.50/24: ok, 1 change\(s\) in [0-9]+\.[0-9]{3} ms$" \
	"$(rq slk 'str(R[0]["sig_ok"]) + " " + R[0]["B"]["text"]')"
assert_eq "signature verifies (Python hmac)" True "$(rq r1 'R[0]["sig_ok"]')"
assert_eq "webhook-timestamp is now" True "$(rq r1 'R[0]["ts_ok"]')"
assert_eq "webhook-id is the body's id" True "$(rq r1 'R[0]["id"] == R[0]["B"]["id"] and R[0]["id"].startswith("evt_") and "." not in R[0]["id"]')"
assert_eq "type" lvsrole.transition "$(rq r1 'R[0]["B"]["type"]')"
assert_eq "seq 1" 1 "$(rq r1 'R[0]["B"]["seq"]')"
assert_eq "timestamp RFC 3339 UTC with microseconds" True "$(rq r1 '__import__("re").fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", R[0]["B"]["timestamp"]) is not None')"
assert_eq "data: who and what" "notify instance VI_1 None MASTER 100 unknown director ok" \
	"$(rq r1 '" ".join(str(R[0]["B"]["data"][k]) for k in ("source", "scope", "name", "prev_state", "state", "priority", "prev_role", "role", "result"))')"
assert_eq "data: vips" "[{'address': '10.9.0.50/24', 'interface': 'eth0'}]" "$(rq r1 'R[0]["B"]["data"]["vips"]')"
assert_eq "data: the address change, applied" "addr_add 10.9.0.50/24 eth0 ok" \
	"$(rq r1 '" ".join(" ".join((c["op"], c["address"], c["dev"], c["result"])) for c in R[0]["B"]["data"]["changes"] if c["op"] == "addr_add")')"
assert_eq "data: switch_us is an integer" True "$(rq r1 'type(R[0]["B"]["data"]["switch_us"]) is int and R[0]["B"]["data"]["switch_us"] > 0')"
assert_eq "data: no errors" "[]" "$(rq r1 'R[0]["B"]["data"]["errors"]')"
assert_eq "content-type" application/json "$(rq r1 'R[0]["headers"]["content-type"]')"
assert_eq "bearer token from its file" "Bearer $TOKEN" "$(rq r1 'R[0]["bearer"]')"
assert_eq "extra header" net "$(rq r1 'R[0]["headers"].get("x-team")')"
assert_eq "no Expect: 100-continue" None "$(rq r1 'R[0]["headers"].get("expect")')"
assert_match "user agent" "^lvsrole/" "$(rq r1 'R[0]["headers"]["user-agent"]')"
assert_eq "rotation: two signatures" 2 "$(rq old 'len(R[0]["headers"]["webhook-signature"].split(" "))')"
assert_eq "rotation: a receiver still on the previous secret verifies" True "$(rq old 'R[0]["sig_ok"]')"
assert_eq "rotation: same event id as ops" "$(rq r1 'R[0]["id"]')" "$(rq old 'R[0]["id"]')"
assert_eq "cloudevents: content type" application/cloudevents+json "$(rq ce 'R[0]["headers"]["content-type"]')"
assert_eq "cloudevents: envelope" "1.0 io.lvsrole.transition VI_1 1 True" \
	"$(rq ce '" ".join(str(x) for x in (R[0]["B"]["specversion"], R[0]["B"]["type"], R[0]["B"]["subject"], R[0]["B"]["sequence"], R[0]["sig_ok"]))')"
assert_eq "cloudevents: same id" "$(rq r1 'R[0]["id"]')" "$(rq ce 'R[0]["B"]["id"]')"
assert_eq "filter by result: 'failures' got nothing for an ok switch" 0 "$(rq r1 'len([r for r in R if r["path"] == "/failures"])')"
assert_eq "spool empty after delivery" "0 0" "$(spq "$NS" "$C" '" ".join(str(S["endpoints"]["ops"][k]) for k in ("pending", "dead"))')"

# --- back to real server: seq 2, sysctl changes with from/to; the filter on instances ---
lr "$NS" "$C" INSTANCE VI_1 BACKUP 100
wait_rx r1 2
lr "$NS" "$C" INSTANCE VI_2 BACKUP 100
wait_rx r1 3
quiet "$C"
assert_eq "real server: VIP on lo" "10.9.0.50/32 10.9.0.60/32" "$(addrs "$NS" lo)"
assert_eq "in order: seq 1 2 3" "[1, 2, 3]" "$(rq r1 '[r["B"]["seq"] for r in R]')"
assert_eq "prev_role/role" "director real-server" "$(rq r1 'R[1]["B"]["data"]["prev_role"] + " " + R[1]["B"]["data"]["role"]')"
assert_eq "sysctl change with from/to" "net.ipv4.conf.all.arp_ignore 0 1" \
	"$(rq r1 '" ".join(str(c[k]) for c in R[1]["B"]["data"]["changes"] if c.get("key") == "net.ipv4.conf.all.arp_ignore" for k in ("key", "from", "to"))')"
assert_eq "filter by instance: ce did not get VI_2" "[1, 2]" "$(rq ce '[r["B"]["sequence"] and int(r["B"]["sequence"]) for r in R]')"
assert_eq "ids unique" 3 "$(rq r1 'len(set(r["id"] for r in R))')"

# --- a failed switch is reported to 'failures' too ---
nsx "$NS" ip link set eth0 down
nsx "$NS" ip link set eth0 name eth9
lr "$NS" "$C" INSTANCE VI_2 MASTER 100
FAILRC=$?
wait_rx r1 5
quiet "$C"
nsx "$NS" ip link set eth9 name eth0
nsx "$NS" ip link set eth0 up
assert_eq "failed switch exits 1" 1 "$FAILRC"
assert_eq "ops and failures got the failed report (seq 4)" "['/failures', '/hook'] ['failed', 'failed']" \
	"$(rq r1 '"%s %s" % (sorted(r["path"] for r in R if r["B"]["seq"] == 4), [r["B"]["data"]["result"] for r in R if r["B"]["seq"] == 4])')"
assert_match "the report carries the kernel's error" "No such device" "$(rq r1 '[r["B"]["data"]["errors"] for r in R if r["B"]["seq"] == 4][0]')"

# --- webhook test: a signed ping, not spooled ---
lr "$NS" "$C" webhook test ops
assert_eq "webhook test ops: exit 0" 0 $?
assert_match "webhook test prints the delivery" "ops: delivered evt_.* \(HTTP 204\)" "$(cat "$TMP/last.out")"
assert_eq "ping received, signed, type lvsrole.test" "True lvsrole.test" "$(rq r1 'str(R[-1]["sig_ok"]) + " " + R[-1]["B"]["type"]')"
lr "$NS" "$C" webhook test nosuch
assert_eq "webhook test unknown endpoint: exit 4" 4 $?

# --- secret files anyone but root can read are refused; the switch still happens ---
chmod 644 "$KEY"
lr "$NS" "$C" check
assert_eq "check refuses a world-readable secret: exit 3" 3 $?
assert_match "check names the file and the fix" "$KEY: readable or writable by others than its owner \(mode 0644\): chmod 600" "$(cat "$TMP/last.out")"
N=$(rq r1 'len(R)')
lr "$NS" "$C" INSTANCE VI_1 MASTER 100
assert_eq "switch with a refused secret: exit 0" 0 $?
assert_match "switch with a refused secret: it happened" "^10.9.0.50/24" "$(addrs "$NS" eth0)"
quiet "$C"
assert_eq "nothing sent unsigned" "$N" "$(rq r1 'len(R)')"
assert_match "the reason is in the spool" "chmod 600" "$(spq "$NS" "$C" 'S["endpoints"]["ops"]["queue"][0]["last_error"]')"
chmod 600 "$KEY"
ln -sf "$KEY" "$TMP/link.key"
sed "s|\"secret_file\": \"$KEY\"|\"secret_file\": \"$TMP/link.key\"|" "$C" >"$TMP/link.conf"
lr "$NS" "$TMP/link.conf" check
assert_eq "a symlinked secret is refused: exit 3" 3 $?
lr "$NS" "$C" flush
assert_eq "flush after fixing the mode: exit 0" 0 $?
assert_match "flush says what it did" "delivered [1-9]" "$(cat "$TMP/last.out")"
assert_eq "spool empty again" 0 "$(spq "$NS" "$C" 'sum(e["pending"] for e in S["endpoints"].values())')"

# --- environment proxies are ignored unless use_env_proxy ---
N=$(rq r1 'len(R)')
http_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 \
	ip netns exec "$NS" "$NOTIFY" -c "$C" webhook test ops >/dev/null 2>&1
assert_eq "proxy environment ignored by default" 0 $?

# --- a bearer token of 3000 characters goes whole; the announcement child (5 repeats) does
# not keep the commit lock from the next switch ---
head -c 3000 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | head -c 3000 >"$TMP/long.token"
chmod 600 "$TMP/long.token"
C5=$TMP/ann.conf
whconf "$C5" "$TMP/ann.state" "$TMP/ann.spool" "$(ep long "http://127.0.0.1:$(port slk)/long" "\"bearer_token_file\": \"$TMP/long.token\"")"
sed -i 's/"count": 1 }/"count": 5, "interval_ms": 2000 }/' "$C5"
lr "$NS" "$C5" INSTANCE VI_1 MASTER 100
cat "$TMP/last.out" >"$TMP/ann.out"
T0=$(date +%s%N)
lr "$NS" "$C5" INSTANCE VI_2 MASTER 100
T1=$(date +%s%N)
# the first switch's announcement child repeats for 8 s: had it kept the commit lock, the
# second switch would have waited for it
first_announcer() { pgrep -f -- "-c $C5 INSTANCE VI_1 MASTER" >/dev/null && echo yes; }
assert_eq "the next switch returned while the announcement child still runs ($(((T1 - T0) / 1000000)) ms)" yes "$(first_announcer)"
cat "$TMP/last.out" >>"$TMP/ann.out"
assert_eq "switches after a director switch do not wait for the commit lock" "" "$(grep 'commit lock is busy' "$TMP/ann.out")"
wait_rx slk 3
quiet "$C5"
assert_eq "long bearer token sent whole" "Bearer $(cat "$TMP/long.token")" "$(rq slk '[r["bearer"] for r in R if r["path"] == "/long"][-1]')"
assert_eq "reports in switch order" "['VI_1 MASTER', 'VI_2 MASTER']" "$(rq slk '[r["B"]["data"]["name"] + " " + r["B"]["data"]["state"] for r in R if r["path"] == "/long"]')"

# --- caps: a dead endpoint's queue keeps max_events, the oldest go to dead letters ---
C2=$TMP/cap.conf
whconf "$C2" "$ST" "$TMP/cap.spool" "$(ep down "http://127.0.0.1:9/none" '"max_events": 3')" '"delivery_deadline_ms": 0,'
for s in MASTER BACKUP MASTER BACKUP MASTER; do lr "$NS" "$C2" INSTANCE VI_1 $s 100; done
assert_eq "cap: 3 pending, 2 dead" "3 2" "$(spq "$NS" "$C2" '"%d %d" % (S["endpoints"]["down"]["pending"], S["endpoints"]["down"]["dead"])')"
assert_eq "cap: the oldest were dropped" "[1, 2] [3, 4, 5]" "$(spq "$NS" "$C2" '"%s %s" % ([e["seq"] for e in S["endpoints"]["down"]["dead_letters"]], [e["seq"] for e in S["endpoints"]["down"]["queue"]])')"
assert_match "cap: the dead letter says why" "spool full" "$(spq "$NS" "$C2" 'S["endpoints"]["down"]["dead_letters"][0]["last_error"]')"
lr "$NS" "$C2" INSTANCE VI_1 BACKUP 100
assert_match "cap: logged" "spool full .*moved to dead letters" "$(cat "$TMP/last.out")"
lr "$NS" "$C2" replay down
assert_eq "replay: exit 0" 0 $?
assert_match "replay says how many" "down: 3 dead report\(s\) queued again" "$(cat "$TMP/last.out")"
assert_eq "replay: dead letters back in the queue (over the cap until the next trim)" "6 0" "$(spq "$NS" "$C2" '"%d %d" % (S["endpoints"]["down"]["pending"], S["endpoints"]["down"]["dead"])')"
lr "$NS" "$C2" flush
assert_eq "flush with the endpoint down: exit 8" 8 $?
lr "$NS" "$C2" spool
assert_match "spool (text) lists attempts and the error" "pending +#[0-9]+ evt_[0-9A-Z]+ attempts 1, next .*, last error: .*(refused|connect)" "$(cat "$TMP/last.out")"
lr "$NS" "$C2" flush nosuch
assert_eq "flush unknown endpoint: exit 4" 4 $?

# --- max age: an event older than max_age_s goes to dead letters without an attempt ---
C3=$TMP/age.conf
whconf "$C3" "$ST" "$TMP/age.spool" "$(ep aged "http://127.0.0.1:$P/aged" '"max_age_s": 60')" '"delivery_deadline_ms": 0,'
lr "$NS" "$C3" INSTANCE VI_1 MASTER 100
touch -d '-2 min' "$TMP"/age.spool/q/aged/*.json
N=$(rq r1 'len(R)')
lr "$NS" "$C3" flush
assert_eq "expired: not sent" "$N" "$(rq r1 'len(R)')"
assert_match "expired: dead letter says why" "expired: not delivered within max_age_s \(60 s\)" "$(spq "$NS" "$C3" 'S["endpoints"]["aged"]["dead_letters"][0]["last_error"]')"

finish
