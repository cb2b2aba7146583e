#!/bin/bash
# Delivery policy against a misbehaving receiver: each fault gets the right outcome (retry
# later, or dead letter at once), and once the receiver recovers every event arrives exactly
# once per id, in sequence order; an endless response body is read no further than 64 KiB.
# TLS with a CA made here, mTLS, a name mismatch; one dead
# endpoint does not delay another; a flapping instance starts no pile of deliveries; the
# delivery waiting for another takes over with a whole pass of its own; a full disk fails the
# report, never the switch.
. "$(dirname "$0")/lib.sh"
. "$LR_SRCDIR/tests/webhook/lib.sh"
require_netns
need openssl

NS=$(mkns f)
KEY=$TMP/f.key
newkey "$KEY"
receiver "$NS" f --secret "$KEY"
C=$TMP/f.conf
ST=$TMP/f.state
SP=$TMP/f.spool
# a retry never comes before the 3 s deadline: each fault's report gets exactly one attempt
POLICY='"delivery_deadline_ms": 3000, "retry_base_ms": 5000, "retry_max_ms": 10000,'
whconf "$C" "$ST" "$SP" "$(ep f "http://127.0.0.1:$(port f)/f" '"timeout_ms": 800, "connect_timeout_ms": 500')" "$POLICY"
# the same queue, the endpoint's address now refusing connections
whconf "$TMP/refused.conf" "$ST" "$SP" "$(ep f "http://127.0.0.1:9/f" '"timeout_ms": 800, "connect_timeout_ms": 500')" "$POLICY"

ROLE=MASTER
flip() { # a switch of VI_1, alternating director / real server, with config $1
	ROLE=$([ "$ROLE" = MASTER ] && echo BACKUP || echo MASTER)
	lr "$NS" "$1" INSTANCE VI_1 "$ROLE" 100
}
lastseq() { cat "$SP/seq"; }
where() { # SEQ: "queue ATTEMPTS ERROR" or "dead ATTEMPTS ERROR" or "gone"
	spq "$NS" "$C" "next(('%s %d %s' % (k.replace('_letters', ''), e['attempts'], e['last_error']) for k in ('queue', 'dead_letters') for e in S['endpoints']['f'][k] if e['seq'] == $1), 'gone')"
}
# fault DESCRIPTION MODE OUTCOME(queue|dead) ERROR-REGEX [CONF]
fault() {
	local s w
	mode f ok
	lr "$NS" "$C" flush
	mode f "$2"
	flip "${5:-$C}"
	assert_eq "$1: the switch itself succeeded" 0 $?
	quiet "${5:-$C}"
	s=$(lastseq)
	w=$(where "$s")
	assert_match "$1: report #$s -> $3 after one attempt" "^$3 1 $4" "$w"
	assert_match "$1: logged with endpoint, id, cause$([ "$3" = queue ] && echo ' and next attempt')" \
		"webhooks: f: report #$s evt_[0-9A-Z]+ $([ "$3" = queue ] && echo "not delivered \(attempt 1\): $4.*; next attempt at 20[0-9-]+T" || echo "refused \($4")" \
		"$(cat "$TMP/last.out")"
}

fault "connection refused" ok queue "(Failed to connect|Couldn't connect|refused)" "$TMP/refused.conf"
fault "HTTP 500" status:500 queue "HTTP 500"
lr "$NS" "$C" status
assert_match "status: the report waiting, since when, and why" \
	"webhooks: f: 1 report\(s\) waiting since 20[0-9-]+T[0-9:.]+Z \(1 attempt\(s\), last: HTTP 500" "$(cat "$TMP/last.out")"
fault "HTTP 503 + Retry-After" retry:503:7 queue "HTTP 503"
NEXT=$(spq "$NS" "$C" "[e['next_attempt'] for e in S['endpoints']['f']['queue'] if e['seq'] == $(lastseq)][0]")
# from the moment the 503 reached the receiver (not from now: the checks since took time)
DELAY=$(python3 -c 'import sys, datetime; t = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc); print(round(t.timestamp() - float(sys.argv[2])))' "$NEXT" "$(rq f "R[-1]['time']")")
assert_match "Retry-After: 7 honoured (next attempt ~7 s after the 503, got $DELAY)" "^[678]$" "$DELAY"
fault "HTTP 429" status:429 queue "HTTP 429"
fault "HTTP 408" status:408 queue "HTTP 408"
fault "a response that never comes" hang queue "(Operation timed out|timed out)"
# a body that never ends: at most 64 KiB of it is read, then the connection is dropped (without
# that bound the attempt would run into the 800 ms timeout and fail as a timeout, not HTTP 500)
fault "an endless response body" flood queue "HTTP 500"
assert_eq "an endless body: read up to 64 KiB, then hung up (the receiver wrote $(rq f 'R[-1].get("sent")') bytes)" yes \
	"$(rq f '"yes" if R[-1].get("sent", 1 << 30) <= 256 * 1024 else "no"')"
fault "connection closed without a response" close queue "(Empty reply|Recv failure|Server returned nothing)"
fault "HTTP 410" status:410 dead "HTTP 410"
fault "HTTP 400" status:400 dead "HTTP 400"
fault "HTTP 301 (never followed)" status:301 dead "HTTP 301"
assert_eq "301: the redirect was not followed" 0 "$(rq f 'len([r for r in R if r["path"] == "/elsewhere"])')"

# recovery: everything not dead arrives, once per id, in sequence order
mode f ok
lr "$NS" "$C" flush
assert_eq "recovery: flush exit 0" 0 $?
N=$(lastseq)
DEAD=$(spq "$NS" "$C" "sorted(e['seq'] for e in S['endpoints']['f']['dead_letters'])")
assert_eq "recovery: the dead letters are the 410, 400 and 301 reports" "[$((N - 2)), $((N - 1)), $N]" "$DEAD"
assert_eq "recovery: queue empty" 0 "$(spq "$NS" "$C" "S['endpoints']['f']['pending']")"
DELIVERED="[r['B']['seq'] for r in R if 200 <= r['status'] < 300]"
assert_eq "recovery: every report not dead delivered exactly once, in order" \
	"$(python3 -c "print([s for s in range(1, $N + 1) if s not in $DEAD])")" "$(rq f "$DELIVERED")"
assert_eq "recovery: one id per seq across attempts, every attempt signed" True \
	"$(rq f 'all(r["sig_ok"] for r in R) and len({(r["B"]["seq"], r["id"]) for r in R}) == len({r["B"]["seq"] for r in R})')"
assert_eq "recovery: same bytes on every attempt of an id" True \
	"$(rq f 'all(len({r["body"] for r in R if r["id"] == i}) == 1 for i in {r["id"] for r in R})')"
lr "$NS" "$C" replay f
lr "$NS" "$C" flush
assert_eq "replayed dead letters delivered" "3 0" "$(rq f "'%d %d' % (len([s for s in $DELIVERED if s in $DEAD]), len($DELIVERED) - len(set($DELIVERED)))")"

# --- one endpoint that never answers does not delay another ---
receiver "$NS" g --secret "$KEY"
receiver "$NS" h --secret "$KEY"
mode h hang
C2=$TMP/two.conf
# a deadline far past the hanging request's own timeout (under valgrind on a busy machine the
# delivery may take seconds to reach its first request), and no retry inside it
whconf "$C2" "$ST" "$TMP/two.spool" "$(ep hang "http://127.0.0.1:$(port h)/" '"timeout_ms": 2500'), $(ep good "http://127.0.0.1:$(port g)/")" \
	'"delivery_deadline_ms": 20000, "retry_base_ms": 60000, "retry_max_ms": 600000,'
T0=$(date +%s.%N)
flip "$C2"
wait_rx g 1
quiet "$C2"
T1=$(date +%s.%N)
LAG=$(rq g "round(R[0]['time'] - $T0, 3)")
# in parallel: the good one is served while the other's request hangs (before its 2.5 s timeout:
# one after the other, it would come after it)
assert_eq "good endpoint served while the other hangs (${LAG} s after the switch)" True \
	"$(rq g "R[0]['time'] < $(rq h "R[0]['time']") + 2.5")"
assert_match "the hanging request was cut by its own timeout (2.5 s), not the delivery deadline ($(python3 -c "print(round($T1 - $T0, 1))") s)" \
	"(Operation timed out|timed out) after 2[5-9][0-9][0-9] milli" "$(spq "$NS" "$C2" "S['endpoints']['hang']['queue'][0]['last_error']")"

# --- flapping against a slow endpoint: each switch starts a delivery, yet one process
# delivers and one waits, the others leave the queue to them; nothing is lost ---
receiver "$NS" fl --secret "$KEY"
mode fl slow:1500
C5=$TMP/flap.conf
whconf "$C5" "$ST" "$TMP/flap.spool" "$(ep fl "http://127.0.0.1:$(port fl)/fl" '"timeout_ms": 4000')" \
	'"delivery_deadline_ms": 8000,'
deliveries() { pgrep -fc -- "lvsrole-deliver.* -c $C5 deliver"; }
# the count that met the wait: a second look may catch the next delivery between its start and
# its leaving (the switch's child is still starting when the switch returns)
at_most_two() { seen=$(deliveries); [ "$seen" -le 2 ]; }
settled=""
for _ in $(seq 10); do
	flip "$C5"
	# a delivery started beside two others leaves at once: what stays is one delivering and one
	# waiting (without the waiter's lock, every one would stay and poll)
	wait_for 20 at_most_two
	settled="$settled $seen"
done
assert_match "10 switches while the endpoint takes 1.5 s: at most 2 deliveries stay (one delivering, one waiting:$settled)" \
	"^( [0-2])+$" "$settled"
assert_match "... and a second one waits beside the first" " 2" "$settled"
mode fl ok
quiet "$C5"
want=$(seq -s ' ' "$(($(cat "$TMP/flap.spool/seq") - 9))" "$(cat "$TMP/flap.spool/seq")")
assert_eq "the 10 reports delivered without another switch or a flush, in order (first arrivals), a repeat with the same id" \
	"$want True" \
	"$(rq fl "' '.join(str(r['B']['seq']) for i, r in enumerate(R) if r['status'] == 204 and r['id'] not in [y['id'] for y in R[:i] if y['status'] == 204]) + ' ' + str(len({r['B']['seq'] for r in R}) == len({r['id'] for r in R}))")"
echo "# fl: $(rq fl "' '.join('#%d/%s/%.2f/port %s' % (r['B']['seq'], r['id'][-4:], r['time'], r['peer']) for r in R)")"

# --- the waiter: another process holds the endpoint's lock (flock(1) on q/ENDPOINT, as a
# delivery does) for longer than a pass; the delivery waiting for it takes over with a whole
# pass of its own (one spent waiting would leave the report queued); after two passes of
# waiting it leaves the endpoint, the report stays queued for the next delivery or flush ---
receiver "$NS" wt --secret "$KEY"
C6=$TMP/wait.conf
WQ=$TMP/wait.spool/q/wt
whconf "$C6" "$ST" "$TMP/wait.spool" "$(ep wt "http://127.0.0.1:$(port wt)/wt")" '"delivery_deadline_ms": 2000,'
flip "$C6"
wait_rx wt 1
quiet "$C6"
held() { ! flock -n "$WQ" true; }
hold() { # SECONDS: holds the queue's lock in the background until SECONDS pass (HOLDER: its pid)
	flock "$WQ" sleep "$1" </dev/null >/dev/null 2>&1 &
	HOLDER=$!
	BGPIDS+=("$HOLDER")
	wait_for held
}
TH=$(now)
hold 3
assert_eq "waiter: the lock is held by another process" yes "$(held && echo yes)"
flip "$C6"
S6=$(cat "$TMP/wait.spool/seq")
wait "$HOLDER"
wait_rx wt 2
quiet "$C6"
assert_eq "waiter: the lock held 3 s (a pass is 2 s): report #$S6 delivered once released, without another switch or a flush" \
	"$S6 True" "$(rq wt "' '.join(str(r['B']['seq']) for r in R[1:]) + ' ' + str(R[-1]['time'] >= $TH + 3)")"
# held by this shell from now until released below
exec 7<"$WQ"
flock 7
flip "$C6"
S6=$(cat "$TMP/wait.spool/seq")
T0=$(now)
wait_for eval '! pgrep -f -- "lvsrole-deliver.* -c $C6 deliver" >/dev/null'
T1=$(now)
assert_eq "waiter: the lock held on: the delivery gave up waiting while it was held, #$S6 still queued" \
	"yes [$S6]" "$(held && echo yes) $(spq "$NS" "$C6" "[e['seq'] for e in S['endpoints']['wt']['queue']]")"
assert_match "waiter: giving up is logged, naming the endpoint" "warning: webhooks: wt: another process still delivers it after [0-9]+ ms of waiting: left to it, or to the next delivery or flush" "$(cat "$TMP/last.out")"
GAVE=$(python3 -c "print(round($T1 - $T0, 1))")
# not before two passes (4 s; measured from after the switch, which started it)
assert_eq "waiter: gave up after two passes, not sooner (4 s; took $GAVE s)" True "$(python3 -c "print($GAVE >= 3.5)")"
flock -u 7
exec 7>&-
lr "$NS" "$C6" flush
assert_eq "waiter: the report left queued is delivered by flush" "$S6" "$(rq wt "R[-1]['B']['seq']")"

# --- a request cut by the delivery deadline is no fault of the endpoint's: its report is
# due again at once, not after a backoff (a request timing out on its own waits for one) ---
# (a deadline long enough for the request to start on a slow machine, or under valgrind)
DL=6000
receiver "$NS" cu --secret "$KEY"
mode cu "slow:$((DL + 3000))"
C7=$TMP/cut.conf
whconf "$C7" "$ST" "$TMP/cut.spool" "$(ep cu "http://127.0.0.1:$(port cu)/cu" "\"timeout_ms\": $((DL + 5000))")" \
	"\"delivery_deadline_ms\": $DL, \"retry_base_ms\": 60000, \"retry_max_ms\": 600000,"
flip "$C7"
quiet "$C7"
S7=$(cat "$TMP/cut.spool/seq")
assert_match "cut at the deadline: report #$S7 queued after one attempt, the error says so, due at once" \
	"^1 .*cut at the delivery deadline.* True$" \
	"$(spq "$NS" "$C7" "' '.join(str(x) for x in [(e['attempts'], e['last_error'], datetime.datetime.strptime(e['next_attempt'], '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc).timestamp() <= __import__('time').time()) for e in S['endpoints']['cu']['queue'] if e['seq'] == $S7][0])")"
mode cu ok
flip "$C7"
quiet "$C7"
assert_eq "cut at the deadline: the next switch's delivery sends it at once, then its own" \
	"$S7 $((S7 + 1))" "$(rq cu "' '.join(str(r['B']['seq']) for r in R if r['mode'] == 'ok')")"

# --- notify hooks only: a report in backoff whose next attempt comes before the delivery
# deadline is tried again by the same delivery process (it left at the first 503, and the
# report waited for the next switch or a flush) ---
C8=$TMP/ra.conf
whconf "$C8" "$ST" "$SP" "$(ep f "http://127.0.0.1:$(port f)/f" '"timeout_ms": 800, "connect_timeout_ms": 500')" \
	'"delivery_deadline_ms": 20000, "retry_base_ms": 200, "retry_max_ms": 10000,'
mode f ok
lr "$NS" "$C8" flush
arrived_f() { [ "$(wc -l <"$TMP/f/arrived")" -gt "$1" ]; }
n=$(wc -l <"$TMP/f/arrived")
mode f retry:503:1
flip "$C8"
S8=$(lastseq)
wait_for arrived_f "$n"
mode f ok
delivered_s() { [ "$(rq f "len([r for r in R if r['B'].get('seq') == $1 and r['status'] == 204])")" = 1 ]; }
wait_for delivered_s "$S8"
# (a busy machine may switch the receiver to ok after the second attempt: more 503s then, each
# at least Retry-After's second after the one before)
assert_match "503 with Retry-After: 1 inside the deadline: delivered by the same delivery, no switch or flush" \
	"^503( 503)* 204$" "$(rq f "' '.join(str(r['status']) for r in R if r['B'].get('seq') == $S8)")"
assert_eq "503 with Retry-After: 1: each attempt at least a second after the one before" True \
	"$(rq f "(lambda t: all(b - a >= 0.95 for a, b in zip(t, t[1:])))([r['time'] for r in R if r['B'].get('seq') == $S8])")"
quiet "$C8"

# --- TLS: a CA made here, verification on by default, name mismatch, mTLS ---
mkpki "$TMP/pki"
PKI=$TMP/pki
receiver "$NS" tls --secret "$KEY" --tls "$PKI/srv.crt" "$PKI/srv.key"
receiver "$NS" mtls --secret "$KEY" --tls "$PKI/srv.crt" "$PKI/srv.key" --client-ca "$PKI/ca.crt"
TP=$(port tls)
MP=$(port mtls)
C3=$TMP/tls.conf
# five TLS handshakes at once take seconds on a slow machine (or under valgrind): generous
# bounds (the failures here are refusals, not timeouts)
tlsep() { echo "\"$1\": { \"url\": \"$2\", \"secret_file\": \"$KEY\"${3:+, $3}, \"timeout_ms\": 60000, \"connect_timeout_ms\": 60000 }"; }
TLS_POLICY='"delivery_deadline_ms": 60000, "retry_base_ms": 60000, "retry_max_ms": 600000,'
whconf "$C3" "$ST" "$TMP/tls.spool" "$(tlsep tls "https://localhost:$TP/" "\"ca_file\": \"$PKI/ca.crt\""),
	$(tlsep noca "https://localhost:$TP/"),
	$(tlsep mismatch "https://127.0.0.1:$TP/" "\"ca_file\": \"$PKI/ca.crt\""),
	$(tlsep mtls "https://localhost:$MP/" "\"ca_file\": \"$PKI/ca.crt\", \"client_cert\": \"$PKI/cli.crt\", \"client_key\": \"$PKI/cli.key\""),
	$(tlsep nocert "https://localhost:$MP/" "\"ca_file\": \"$PKI/ca.crt\"")" "$TLS_POLICY"
lr "$NS" "$C3" check
assert_eq "TLS config checks" 0 $?
flip "$C3"
quiet "$C3"
tls_err() { spq "$NS" "$C3" "(S['endpoints']['$1']['queue'] or [{'last_error': 'delivered'}])[0]['last_error']"; }
assert_eq "https with the test CA: delivered, signed" "1 True" "$(rq tls '"%d %s" % (len(R), R[0]["sig_ok"]) if R else "0"')"
assert_match "https without the CA: not delivered (verification is on)" "(certificate|SSL)" "$(tls_err noca)"
assert_match "https to a name the certificate lacks: not delivered" "(subject name|does not match|no alternative)" "$(tls_err mismatch)"
assert_eq "mTLS with the client certificate: delivered, certificate seen" "1 True" "$(rq mtls '"%d %s" % (len(R), R[0]["client_cert"]) if R else "0"')"
assert_match "mTLS without a client certificate: not delivered" "." "$(tls_err nocert | grep -v '^delivered$')"
# ca_file is the only trust: an endpoint whose certificate chains to a CA the system trusts,
# not to ca_file, is refused. For this run the system's store (/etc/ssl/certs, in a mount
# namespace of its own) trusts a second CA, by its hashed name as c_rehash makes it (CAPATH), not
# in the bundle (CAINFO, which ca_file replaces); the same endpoint without ca_file is the
# control. (A CA of another name: OpenSSL looks an issuer up by name, ca_file's first.)
mkpki "$TMP/pki2" lvsrole-test-system-ca
SYS=$TMP/syscerts
mkdir -p "$SYS"
cp "$TMP/pki2/ca.crt" "$SYS/lvsrole-test-system-ca.pem"
openssl rehash "$SYS" 2>/dev/null || c_rehash "$SYS" >/dev/null
cp "$PKI/ca.crt" "$SYS/ca-certificates.crt" # the bundle must exist; the second CA is not in it
receiver "$NS" sysca --secret "$KEY" --tls "$TMP/pki2/srv.crt" "$TMP/pki2/srv.key"
C4=$TMP/sysca.conf
whconf "$C4" "$ST" "$TMP/sysca.spool" "$(tlsep system "https://localhost:$(port sysca)/system"),
	$(tlsep pinned "https://localhost:$(port sysca)/pinned" "\"ca_file\": \"$PKI/ca.crt\"")" "$TLS_POLICY"
ROLE=$([ "$ROLE" = MASTER ] && echo BACKUP || echo MASTER)
unshare -m sh -c 'mount --bind "$0" /etc/ssl/certs && exec "$@"' "$SYS" \
	ip netns exec "$NS" "$NOTIFY" -v -c "$C4" INSTANCE VI_1 "$ROLE" 100 >"$TMP/last.out" 2>&1
quiet "$C4"
assert_eq "a CA the system trusts, no ca_file: delivered (the control)" 1 "$(rq sysca 'len([r for r in R if r["path"] == "/system"])')"
assert_eq "a CA the system trusts, another one in ca_file: nothing delivered" 0 "$(rq sysca 'len([r for r in R if r["path"] == "/pinned" and r["status"] == 204])')"
assert_match "a CA the system trusts, another one in ca_file: refused as unverified" "(certificate|SSL)" \
	"$(spq "$NS" "$C4" "(S['endpoints']['pinned']['queue'] or [{'last_error': 'delivered'}])[0]['last_error']")"
chmod 644 "$PKI/cli.key"
lr "$NS" "$C3" check
assert_eq "a client key others can read is refused by check: exit 3" 3 $?

# --- disk full: the switch happens, the report fails loudly ---
FULL=$TMP/full
mkdir -p "$FULL"
mount -t tmpfs -o size=256k lvsrole-test "$FULL" || { echo "FAIL: cannot mount a tmpfs"; exit 99; }
CLEANUP_CMDS+=("umount -l '$FULL'")
C4=$TMP/full.conf
whconf "$C4" "$ST" "$FULL/spool" "$(ep f "http://127.0.0.1:$(port f)/f")" '"delivery_deadline_ms": 0,'
flip "$C4"
dd if=/dev/zero of="$FULL/fill" bs=4k 2>/dev/null
flip "$C4"
RC=$?
assert_eq "disk full: switch exit 0" 0 "$RC"
assert_match "disk full: the switch happened" "$([ "$ROLE" = MASTER ] && echo '^10.9.0.50/24' || echo '10.9.0.50/32')" "$(addrs "$NS" "$([ "$ROLE" = MASTER ] && echo eth0 || echo lo)")"
assert_match "disk full: the lost report is logged as an error" "error: webhooks: .*(NOT spooled|lost).*(No space left|space)" "$(cat "$TMP/last.out")"
assert_eq "disk full: the switch was logged before the report failed" yes \
	"$([ "$(grep -n 'VI_1: .* -> .* in [0-9]* us' "$TMP/last.out" | cut -d: -f1)" -lt "$(grep -n 'webhooks:' "$TMP/last.out" | head -1 | cut -d: -f1)" ] && echo yes)"
rm -f "$FULL/fill"
flip "$C4"
assert_eq "disk space back: reports spooled again" 0 "$(grep -c 'NOT spooled\|lost' "$TMP/last.out")"

finish
