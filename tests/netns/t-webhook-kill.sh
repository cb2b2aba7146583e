#!/bin/bash
# SIGKILL of lvsrole-notify and of its delivery child at random points, many times, with a
# receiver slow enough that kills land mid-request: no committed report is lost or
# reordered; a report sent twice carries the same webhook-id and the same bytes.
. "$(dirname "$0")/lib.sh"
. "$LR_SRCDIR/tests/webhook/lib.sh"
require_netns

NS=$(mkns k)
KEY=$TMP/k.key
newkey "$KEY"
receiver "$NS" k --secret "$KEY"
mode k slow:60
C=$TMP/k.conf
SP=$TMP/k.spool
whconf "$C" "$TMP/k.state" "$SP" "$(ep k "http://127.0.0.1:$(port k)/")" '"retry_base_ms": 100, "retry_max_ms": 1000,'
ROUNDS=${LR_KILL_ROUNDS:-40}
ROLE=MASTER
: >"$TMP/committed"
KILLED_DELIVERING=0
arrived() { (wc -l <"$TMP/k/arrived") 2>/dev/null || echo 0; }
for i in $(seq "$ROUNDS"); do
	ROLE=$([ "$ROLE" = MASTER ] && echo BACKUP || echo MASTER)
	if [ $((i % 3)) = 0 ]; then
		# every third round: killed while a request is in flight (the receiver holds it
		# unanswered until then)
		mode k hang
		a=$(arrived)
		ip netns exec "$NS" "$NOTIFY" -v -c "$C" INSTANCE VI_1 "$ROLE" 100 >>"$TMP/runs.out" 2>&1 &
		wait_for eval "[ \$(arrived) -gt $a ]" && KILLED_DELIVERING=$((KILLED_DELIVERING + 1))
	else
		# the others: at a random point of the switch or of its delivery
		ip netns exec "$NS" "$NOTIFY" -v -c "$C" INSTANCE VI_1 "$ROLE" 100 >>"$TMP/runs.out" 2>&1 &
		sleep "0.$(printf '%03d' $((RANDOM % 250)))"
	fi
	pkill -KILL -f -- "-c $C "
	wait $! 2>/dev/null
	quiet "$C"
	mode k slow:60
	# what is committed now must arrive in the end
	ls "$SP/q/k" 2>/dev/null | sed -n 's/^0*\([0-9][0-9]*\)\..*\.json$/\1/p' >>"$TMP/committed"
done
mode k ok
lr "$NS" "$C" flush
assert_eq "flush after the kills: exit 0" 0 $?
COMMITTED=$(sort -nu "$TMP/committed" | tr '\n' ' ')
echo "# $ROUNDS rounds, $KILLED_DELIVERING kills while a request was in flight, reports seen committed: $(echo $COMMITTED | wc -w), last seq $(cat "$SP/seq")"
assert_eq "kills landed while a request was in flight (every third round)" "$((ROUNDS / 3))" "$KILLED_DELIVERING"
assert_eq "every report seen committed was delivered" "[]" \
	"$(rq k "[s for s in [int(x) for x in '$COMMITTED'.split()] if s not in {r['B']['seq'] for r in R if 200 <= r['status'] < 300}]")"
assert_eq "deliveries in sequence order (first delivery of each report)" True \
	"$(rq k 'sorted(set(s)) == list(dict.fromkeys(s)) if (s := [r["B"]["seq"] for r in R if 200 <= r["status"] < 300]) is not None else False')"
assert_eq "a report sent twice has the same id and bytes" True \
	"$(rq k 'all(len({(r["id"], r["body"]) for r in R if r["B"]["seq"] == q}) == 1 for q in {r["B"]["seq"] for r in R})')"
assert_eq "every request signed" True "$(rq k 'all(r["sig_ok"] for r in R)')"
DUPS=$(rq k 'len([r for r in R if 200 <= r["status"] < 300]) - len({r["B"]["seq"] for r in R if 200 <= r["status"] < 300})')
echo "# duplicate deliveries (killed after the receiver answered, before the spool was updated): $DUPS"
assert_eq "spool empty at the end" 0 "$(spq "$NS" "$C" "S['endpoints']['k']['pending']")"
finish
