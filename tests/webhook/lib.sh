# Helpers for the webhook tests: a recording receiver in a namespace, configurations with
# endpoints, and queries on what the receiver got and what the spool holds.
# shellcheck shell=bash
RECEIVER=$LR_SRCDIR/tests/webhook/receiver.py

# receiver NS NAME [ARGS...]: starts a receiver in NS recording into $TMP/NAME
receiver() {
	local ns=$1 n=$2 _; shift 2
	mkdir -p "$TMP/$n"
	rm -f "$TMP/$n/port"
	ip netns exec "$ns" python3 "$RECEIVER" "$TMP/$n" "$@" 2>"$TMP/$n/stderr" &
	BGPIDS+=("$!")
	disown
	wait_for test -s "$TMP/$n/port" && return 0
	echo "# receiver $n did not start: $(cat "$TMP/$n/stderr")"
	return 1
}
port() { cat "$TMP/$1/port"; }
mode() { echo "$2" >"$TMP/$1/mode"; }

# rq NAME PYTHON-EXPRESSION: evaluated over R, the requests NAME received (r["B"]: the parsed body)
rq() {
	python3 - "$TMP/$1/received.jsonl" "$2" <<'EOP'
import datetime, json, sys
try:
    R = [json.loads(l) for l in open(sys.argv[1])]
except FileNotFoundError:
    R = []
for r in R:
    try:
        r["B"] = json.loads(r["body"])
    except Exception:
        r["B"] = None
print(eval(sys.argv[2]))
EOP
}
# rx_count NAME: how many requests NAME has recorded (each is recorded before it is answered)
rx_count() { (wc -l <"$TMP/$1/received.jsonl") 2>/dev/null || echo 0; }
rx_reached() { [ "$(rx_count "$1")" -ge "$2" ]; }
# wait_rx NAME N: until NAME has recorded N requests; 1 at the deadline
wait_rx() { wait_for rx_reached "$1" "$2"; }

# spq NS CONF PYTHON-EXPRESSION: evaluated over S, the output of `spool --json`
spq() {
	ip netns exec "$1" "$NOTIFY" -c "$2" spool --json 2>/dev/null | python3 -c '
import datetime, json, sys
S = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$3"
}
# newkey FILE: a Standard Webhooks secret, mode 600
newkey() {
	(umask 077 && printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64)" >"$1")
}
# whconf FILE STATEDIR SPOOLDIR ENDPOINTS [WEBHOOK-SETTINGS]: two instances and the endpoints
whconf() {
	cat >"$1" <<EOC
{
  "state_dir": "$2",
  "announce": { "count": 1 },
  "instances": {
    "VI_1": { "nic": "eth0", "vips": ["10.9.0.50/24"] },
    "VI_2": { "nic": "eth0", "vips": ["10.9.0.60/24"] }
  },
  "webhooks": { "spool_dir": "$3", ${5:-} "endpoints": { $4 } }
}
EOC
}
# ep NAME URL [MORE-JSON]: one endpoint signed with $KEY
ep() { echo "\"$1\": { \"url\": \"$2\", \"allow_http\": true, \"secret_file\": \"$KEY\"${3:+, $3} }"; }
# mkpki DIR [CA-NAME]: a test CA, a server certificate for "localhost" and a client certificate
mkpki() {
	local d=$1 ca=${2:-lvsrole-test-ca} ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		umask 077
		openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -days 2 -subj "/CN=$ca"
		openssl req "${ec[@]}" -keyout srv.key -out srv.csr -subj /CN=localhost
		printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >srv.ext
		openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 2 -extfile srv.ext
		openssl req "${ec[@]}" -keyout cli.key -out cli.csr -subj /CN=lvsrole-test-client
		printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' >cli.ext
		openssl x509 -req -in cli.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out cli.crt -days 2 -extfile cli.ext
		chmod 644 ca.crt srv.crt cli.crt
	) >"$d/openssl.log" 2>&1
}
