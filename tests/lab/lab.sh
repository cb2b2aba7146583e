# The LVS-DR lab (tests/README.md): load balancers running real keepalived and lvsrole in network
# namespaces on one bridge, each also a real server with a small HTTP service; a client; a
# webhook receiver. The current director's DR forwarding is emulated with nftables `fwd`
# (no IPVS here), spreading connections over every balancer, itself included.
# shellcheck shell=bash
. "$(dirname "${BASH_SOURCE[0]}")/../netns/lib.sh"
. "$LR_SRCDIR/tests/webhook/lib.sh"

VIP4=10.9.0.50
VIP6=2001:db8::50
VIP4B=10.9.0.60 # VI_2 (active-active)
VIP6B=2001:db8::60
LBS=()
declare -A MAC KA KAOFF OWNER

# lab_init N: N balancers lb1..lbN (10.9.0.1N, 2001:db8::1N), a client, a receiver host,
# an ARP/NA capture on the bridge for the whole run
lab_init() {
	local i
	need keepalived arping curl tcpdump nft
	VRID=$(( $(od -An -N1 -tu1 /dev/urandom) % 200 + 20 ))
	mkswitch
	for i in $(seq "$1"); do
		attach "lb$i" "$i" "10.9.0.1$i/24" >/dev/null
		nsx "${TAG}lb$i" ip addr add "2001:db8::1$i/64" dev eth0 nodad
		# the host's own addresses survive the link going down (as its network
		# configuration would put them back); VIPs are lvsrole's or keepalived's business
		nsx "${TAG}lb$i" sysctl -qw net.ipv4.conf.eth0.promote_secondaries=1 net.ipv6.conf.eth0.keep_addr_on_down=1
		MAC[lb$i]=$(nsx "${TAG}lb$i" cat /sys/class/net/eth0/address)
		LBS+=("lb$i")
	done
	attach cl 8 10.9.0.99/24 >/dev/null
	nsx "${TAG}cl" ip addr add 2001:db8::99/64 dev eth0 nodad
	attach rx 9 10.9.0.98/24 >/dev/null
	KEY=$TMP/wh.key
	newkey "$KEY"
	receiver "${TAG}rx" r --secret "$KEY" --bind 10.9.0.98
	ip netns exec "$SW" tcpdump -i br0 -n -e -tt -l --immediate-mode 'arp or (icmp6 and ip6[40] == 136)' \
		>"$TMP/wire.txt" 2>/dev/null &
	BGPIDS+=("$!")
	disown
}

# lab_conf LB STYLE OWNER PRIORITY [VI_2-PRIORITY]: keepalived.conf and lvsrole.conf for LB.
# STYLE: plugin (the notify FIFO) or notify (generic notify hook); OWNER: lvsrole (no
# virtual_ipaddress) or keepalived. With VI_2-PRIORITY, a second instance (active-active).
# With LAB_GROUP=NAME as well, VI_1 and VI_2 are the members of the sync group NAME, which
# lvsrole switches as one unit with all four VIPs (the members are not in lvsrole.conf; the
# notify hook is the group's); instead of "demote", VI_2 tracks a script without weight that
# fails (FAULT, and with it the whole group) while the file "fail" exists. LAB_IPVS (LAB_IPVS2):
# the "ipvs" section of VI_1 (VI_2), e.g. '{ "fwmark": 1 }'; LAB_KA_GLOBAL: a line for
# keepalived's global_defs; LAB_RS_DEV: VI_1's real-server device (lo); LAB_V4_ONLY=1: VI_1
# has only its IPv4 VIP.
lab_conf() {
	local lb=$1 style=$2 owner=$3 prio=$4 prio2=${5:-} d=$TMP/$1 hook="" group=${LAB_GROUP:-}
	mkdir -p "$d"
	OWNER[$lb]=$owner
	[ "$style" = notify ] && hook="
    notify \"$NOTIFY -c $d/lvsrole.conf\""
	inst() { # NAME VRID PRIORITY V4 V6 TRACK-SCRIPT
		local vip="" ihook=$hook track=""
		[ "$owner" = keepalived ] && vip="
    virtual_ipaddress {
        $4/24
    }
    virtual_ipaddress_excluded {
        $5/64
    }"
		[ -n "$group" ] && ihook=""
		[ -n "$6" ] && track="
    track_script {
        $6
    }"
		cat <<EOI
vrrp_instance $1 {
    state BACKUP
    interface eth0
    virtual_router_id $2
    priority $3
    advert_int 1$track$vip$ihook
}
EOI
	}
	{
		cat <<EOG
global_defs {
    router_id $lb
    script_user root
    vrrp_garp_master_repeat 2${LAB_KA_GLOBAL:+
    $LAB_KA_GLOBAL}
EOG
		[ "$style" = plugin ] && cat <<EOG
    vrrp_notify_fifo $d/notify.fifo
    vrrp_notify_fifo_script "$d/plugin-run -c $d/lvsrole.conf"
EOG
		echo "}"
		if [ -n "$group" ]; then
			cat <<EOG
# a track script without weight: the file "fail" puts the instance in FAULT
vrrp_script fail {
    script "/bin/sh -c '! test -e $d/fail'"
    interval 1
}
EOG
			inst VI_1 "$VRID" "$prio" "$VIP4" "$VIP6" ""
			inst VI_2 $((VRID + 1)) "$prio2" "$VIP4B" "$VIP6B" fail
			cat <<EOG
vrrp_sync_group $group {
    group {
        VI_1
        VI_2
    }$hook
}
EOG
		else
			cat <<EOG
# a track script: the file "demote" lowers the priority by 100
vrrp_script demote {
    script "/bin/sh -c '! test -e $d/demote'"
    interval 1
    weight -100
}
EOG
			inst VI_1 "$VRID" "$prio" "$VIP4" "$VIP6" demote
			[ -n "$prio2" ] && inst VI_2 $((VRID + 1)) "$prio2" "$VIP4B" "$VIP6B" demote
		fi
	} >"$d/keepalived.conf"
	local units vi2="" v6vip=", \"$VIP6/64\""
	[ -n "${LAB_V4_ONLY:-}" ] && v6vip=""
	if [ -n "$group" ]; then
		units="\"groups\": {
    \"$group\": { \"nic\": \"eth0\", \"nic_vip_owner\": \"$owner\", \"vips\": [\"$VIP4/24\", \"$VIP6/64\", \"$VIP4B/24\", \"$VIP6B/64\"] }
  }"
	else
		[ -n "$prio2" ] && vi2=",
    \"VI_2\": { \"nic\": \"eth0\", \"nic_vip_owner\": \"$owner\", \"vips\": [\"$VIP4B/24\", \"$VIP6B/64\"]${LAB_IPVS2:+, \"ipvs\": $LAB_IPVS2} }"
		units="\"instances\": {
    \"VI_1\": { \"nic\": \"eth0\", \"nic_vip_owner\": \"$owner\", \"vips\": [\"$VIP4/24\"$v6vip]${LAB_IPVS:+, \"ipvs\": $LAB_IPVS}${LAB_RS_DEV:+, \"real_server_device\": \"$LAB_RS_DEV\"} }$vi2
  }"
	fi
	cat >"$d/lvsrole.conf" <<EOC
{
  "state_dir": "$d/state",
  "announce": { "count": 3, "interval_ms": 300 },
  $units,
  "webhooks": { "spool_dir": "$d/spool", "endpoints": { $(ep ops "http://10.9.0.98:$(port r)/$lb") } },
  "plugin": { "metrics_file": "$d/lvsrole.prom", "conflict_probe_ms": 200 }
}
EOC
	echo "answered by $lb" >"$d/index.html"
	# the plugin's log kept for the test (keepalived gives it /dev/null as stderr)
	printf '#!/bin/sh\nexec %s "%s" -v "$@" 2>>"%s"\n' "${LR_PLUGIN_WRAP:-}" "$PLUGIN" "$d/plugin.log" >"$d/plugin-run"
	chmod 755 "$d/plugin-run"
}

# lab_www: every balancer serves HTTP on :8080 (IPv4 and IPv6), naming itself
lab_www() {
	local lb
	for lb in "${LBS[@]}"; do
		ip netns exec "$TAG$lb" python3 -m http.server 8080 --bind :: --directory "$TMP/$lb" \
			>/dev/null 2>&1 &
		BGPIDS+=("$!")
		disown
	done
}

# lab_dr [VIP4 VIP6]...: the DR forwarding on every balancer (nftables, netdev ingress): a
# connection to a VIP is spread over all balancers by a hash of the client's address and
# port: kept here when it hashes to this balancer, else forwarded to that balancer's MAC.
# Packets from another balancer (forwarded to us) are never forwarded again (the two-box
# loop). Clients send it traffic for a VIP while it answers ARP for it (the director), or
# from an ARP entry learned before it left that role: then it still forwards.
lab_dr() {
	local lb i n=${#LBS[@]} macs rules chains
	macs=$(printf '%s, ' "${MAC[@]}")
	for lb in "${LBS[@]}"; do
		rules="" chains=""
		set -- "$VIP4" "$VIP6" "$VIP4B" "$VIP6B"
		while [ $# -gt 0 ]; do
			local v4=$1 v6=$2 map4="" map6=""
			shift 2
			for i in $(seq "$n"); do
				map4="$map4$((i - 1)) : goto to_lb${i}_4, "
				map6="$map6$((i - 1)) : goto to_lb${i}_6, "
			done
			rules="$rules
    ip daddr $v4 tcp dport 8080 jhash ip saddr . tcp sport mod $n vmap { ${map4%, } }
    ip6 daddr $v6 tcp dport 8080 jhash ip6 saddr . tcp sport mod $n vmap { ${map6%, } }"
		done
		for i in $(seq "$n"); do
			if [ "lb$i" = "$lb" ]; then
				chains="$chains
  chain to_lb${i}_4 {
    accept
  }
  chain to_lb${i}_6 {
    accept
  }"
			else
				chains="$chains
  chain to_lb${i}_4 {
    fwd ip to 10.9.0.1$i device eth0
  }
  chain to_lb${i}_6 {
    fwd ip6 to 2001:db8::1$i device eth0
  }"
			fi
		done
		nsx "$TAG$lb" nft -f - <<EON || return 1
table netdev lvsrole_lab {
  chain ing {
    type filter hook ingress device eth0 priority 0;
    ether saddr { ${macs%, } } return$rules
  }$chains
}
EON
	done
}

# lab_start LB / lab_stop LB (SIGTERM) / lab_kill LB (SIGKILL): its keepalived
lab_start() {
	KAOFF[$1]=$(stat -c %s "$TMP/$1/keepalived.log" 2>/dev/null || echo 0)
	ip netns exec "$TAG$1" keepalived -f "$TMP/$1/keepalived.conf" ${LAB_KA_VRRP_ONLY--P} -n -l -D -p "$TMP/$1/ka.pid" -c "$TMP/$1/check.pid" \
		-r "$TMP/$1/vrrp.pid" >>"$TMP/$1/keepalived.log" 2>&1 &
	KA[$1]=$!
	BGPIDS+=("$!")
	disown
}
# lab_reload LB: SIGHUP to LB's keepalived; returns once its log says it is reloading
ka_reloads() { grep -c 'Reloading' "$TMP/$1/keepalived.log"; }
reloads_above() { [ "$(ka_reloads "$1")" -gt "$2" ]; }
lab_reload() {
	local n
	n=$(ka_reloads "$1")
	kill -HUP "${KA[$1]}"
	wait_for reloads_above "$1" "$n" || not_ok "$1's keepalived logs its reload"
}
lab_stop() { kill -TERM "${KA[$1]}"; plugin_wait "${KA[$1]}"; }
lab_kill() { kill -KILL "${KA[$1]}"; plugin_wait "${KA[$1]}"; }

# ---- what the client and the kernels see ----
# role LB [V4 V6]: director (both VIPs on eth0, not on lo), real-server (both on lo as
# /32 and /128, not on eth0, arp sysctls 1/2) or other; with LAB_RS_DEV and LAB_V4_ONLY
# (lab_conf), that device for lo and the IPv4 VIP only
role() {
	local ns=$TAG$1 v4=${2:-$VIP4} v6=${3:-$VIP6} e l e6=yes l6=yes
	e=$(ip -n "$ns" -o addr show dev eth0)
	l=$(ip -n "$ns" -o addr show dev "${LAB_RS_DEV:-lo}")
	if [ -z "${LAB_V4_ONLY:-}" ]; then
		grep -q "inet6 $v6/64" <<<"$e" || e6=no
		grep -q "inet6 $v6/128" <<<"$l" || l6=no
	fi
	if grep -q "inet $v4/24" <<<"$e" && [ $e6 = yes ] && ! grep -q " $v4/\| $v6/" <<<"$l"; then
		echo director
	elif grep -q "inet $v4/32" <<<"$l" && [ $l6 = yes ] && ! grep -q " $v4/\| $v6/" <<<"$e" &&
		[ "$(sysctls "$ns" all)" = "all=1/2" ]; then
		echo real-server
	else
		echo other
	fi
}
roles() { local lb out=""; for lb in "${LBS[@]}"; do out="$out $(role "$lb" "$@")"; done; echo "${out# }"; }
# lb_of MAC: the balancer with that MAC (or the MAC)
lb_of() { local lb; for lb in "${LBS[@]}"; do [ "${MAC[$lb]}" = "$1" ] && { echo "$lb"; return; }; done; echo "$1"; }
# arp_owners [V4]: the balancers answering ARP for the VIP, seen from the client (sorted)
arp_owners() {
	local m out=""
	nsx "${TAG}cl" ip neigh flush dev eth0 2>/dev/null
	for m in $(nsx "${TAG}cl" arping -c 2 -w 2 -I eth0 "${1:-$VIP4}" 2>/dev/null | grep -io '\[[0-9a-f:]*\]' |
		tr -d '[]' | tr 'A-F' 'a-f' | sort -u); do
		out="$out $(lb_of "$m")"
	done
	tr ' ' '\n' <<<"${out# }" | sort | paste -sd ' '
}
# nd_owner [V6]: the balancer whose MAC the client learns for the IPv6 VIP
nd_owner() {
	nsx "${TAG}cl" ip -6 neigh flush dev eth0 2>/dev/null
	nsx "${TAG}cl" ping -6 -c 1 -W 2 "${1:-$VIP6}" >/dev/null 2>&1
	lb_of "$(nsx "${TAG}cl" ip -6 neigh show "${1:-$VIP6}" dev eth0 | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }')"
}
# http_spread [N] [V4|[V6]]: who answered N requests to the VIP from the client (a connection
# is made by the kernels in 1 s or not at all; the answer may take 10 s on a busy machine), e.g.
# "lb1:4 lb2:4" (failures as "fail:N")
http_spread() {
	local i
	for i in $(seq "${1:-8}"); do
		nsx "${TAG}cl" curl -s --connect-timeout 1 -m 10 "http://${2:-$VIP4}:8080/" 2>/dev/null | sed 's/answered by //' | grep . || echo fail
	done | sort | uniq -c | awk '{ printf "%s%s:%s", (NR > 1 ? " " : ""), $2, $1 }'
	echo
}

# probe_start / probe_stop: the client requests the VIP every 20 ms (new connection each,
# 0.3 s timeout) and records "time ok|fail answered-by"; it also records each change of its
# ARP entry for the VIP as "time arp MAC" (sampled every 5 ms); probe_gap prints the longest
# time in ms between two successful requests, probe_first when something first happened
probe_start() { # [NS]: the client namespace (default the client)
	: >"$TMP/probe.txt"
	ip netns exec "${1:-${TAG}cl}" python3 - "$VIP4" "$TMP/probe.txt" <<'EOP' &
import socket, sys, threading, time
vip, out = sys.argv[1], open(sys.argv[2], "a", buffering=1)
lock = threading.Lock()
def record(what):
    with lock:
        out.write(what)
def arp():
    last = None
    while True:
        mac = "-"
        with open("/proc/net/arp") as f:
            for l in f.read().splitlines()[1:]:
                x = l.split()
                if x[0] == vip and x[2] != "0x0":
                    mac = x[3]
        if mac != last:
            record("%.3f arp %s\n" % (time.time(), mac))
            last = mac
        time.sleep(0.005)
threading.Thread(target=arp, daemon=True).start()
while True:
    t = time.time()
    try:
        s = socket.create_connection((vip, 8080), timeout=0.3)
        s.settimeout(0.3)
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
        s.close()
        who = data.rsplit(b"answered by ", 1)[-1].strip().decode() if b"answered by" in data else "?"
        record("%.3f ok %s\n" % (t, who))
    except OSError:
        record("%.3f fail -\n" % t)
    time.sleep(max(0, 0.02 - (time.time() - t)))
EOP
	PROBE=$!
	BGPIDS+=("$PROBE")
	disown
}
probe_stop() { kill "$PROBE" 2>/dev/null; }
probe_first() { # FROM-EPOCH KIND [VALUE]: ms from FROM to the first KIND (ok, arp) line after
	# it (with VALUE: whose third field is VALUE), or nothing
	awk -v from="$1" -v k="$2" -v v="${3:-}" '$2 == k && $1 > from && (v == "" || $3 == v) { printf "%d", ($1 - from) * 1000; exit }' "$TMP/probe.txt"
}
probe_gap() { # [FROM-EPOCH]: the longest gap between successes from the last one before FROM on
	awk -v from="${1:-0}" '$2 != "ok" { next } $1 < from { p = $1; next } { if (p) { g = $1 - p; if (g > m) m = g } p = $1 } END { printf "%d\n", m * 1000 }' "$TMP/probe.txt"
}

# ---- what the receiver got ----
# events LB [INSTANCE]: "STATE:ROLE:RESULT ..." of LB's transition reports (for INSTANCE,
# default VI_1), in the order first received
events() {
	rq r '" ".join("%s:%s:%s" % (x["B"]["data"]["state"], x["B"]["data"]["role"], x["B"]["data"]["result"]) for i, x in enumerate(R) if x["path"] == "/'"$1"'" and x["B"]["type"] == "lvsrole.transition" and x["B"]["data"]["name"] == "'"${2:-VI_1}"'" and x["id"] not in [y["id"] for y in R[:i]])'
}
# reports_sound: every report signed; per balancer, the first arrivals in seq order; a
# repeat (at least once: a request whose answer was lost, or that the kernel still sent
# after the attempt timed out, when a link went down) carries the same id and bytes
reports_sound() {
	rq r 'all(x["sig_ok"] for x in R) and all([x["B"]["seq"] for x in F] == sorted(x["B"]["seq"] for x in F) and all(x["body"] == {f["id"]: f["body"] for f in F}[x["id"]] for x in S) for S in ([x for x in R if x["path"] == p] for p in set(x["path"] for x in R)) for F in [[x for i, x in enumerate(S) if x["id"] not in [y["id"] for y in S[:i]]]])'
}
# spools_empty: no balancer's spool holds a report
spools_empty() {
	local lb
	for lb in "${LBS[@]}"; do
		[ -z "$(find "$TMP/$lb/spool/q" -name '*.json' 2>/dev/null | head -1)" ] || return 1
	done
}
# drained: until every balancer's spool is empty (a report waiting for its retry, e.g. after a
# link was down, holds the ones behind it); 1 at the deadline
drained() { wait_for spools_empty; }
# ids: how many distinct reports the receiver got
ids() { rq r 'len(set(x["id"] for x in R))'; }

# wire_sound [V4 V6 INSTANCE]: every ARP packet with the VIP as sender address, and every neighbour
# advertisement for the IPv6 VIP, came from a balancer that was the director then (by its
# reports: from its director event to its next event, plus the switch time; where keepalived
# owns the VIPs, also up to 1 s before its director event, as keepalived announces them
# before it runs the notify); prints
# "ok N" or the offending packets
wire_sound() {
	python3 - "$TMP/wire.txt" "$TMP/r/received.jsonl" "${1:-$VIP4}" "$(for lb in "${LBS[@]}"; do printf '%s=%s ' "$lb" "${MAC[$lb]}"; done)" "${2:-$VIP6}" "${3:-VI_1}" "$(for lb in "${LBS[@]}"; do [ "${OWNER[$lb]}" = keepalived ] && printf '%s ' "$lb"; done)" <<'EOP'
import datetime, json, re, sys
wire, rx, vip, macs, vip6, name = sys.argv[1], sys.argv[2], sys.argv[3], dict(kv.split("=") for kv in sys.argv[4].split()), sys.argv[5], sys.argv[6]
kaowned = set(sys.argv[7].split())
byname = {v: k for k, v in macs.items()}
ev = {}
for l in open(rx):
    r = json.loads(l)
    b = json.loads(r["body"])
    if b.get("type") != "lvsrole.transition" or b["data"]["name"] != name:
        continue
    t = datetime.datetime.strptime(b["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
    role = b["data"]["applied"]["role"] if "applied" in b["data"] else b["data"]["role"]
    if b["data"]["result"] == "superseded" and "applied" not in b["data"]:
        continue
    ev.setdefault(r["path"][1:], []).append((t, role, b["data"]["switch_us"] / 1e6))
bad, n = [], 0
for l in open(wire):
    m = re.match(r"(\d+\.\d+) (\S+) > .*ethertype ARP .*?(Request who-has \S+(?: \(\S+\))? tell (\S+?),|Reply (\S+) is-at)", l)
    m6 = re.match(r"(\d+\.\d+) (\S+) > .*neighbor advertisement, tgt is (\S+?),", l)
    if m:
        t, mac, sender = float(m.group(1)), m.group(2), m.group(4) or m.group(5)
        if sender != vip:
            continue
    elif m6:
        t, mac = float(m6.group(1)), m6.group(2)
        if m6.group(3) != vip6:
            continue
    else:
        continue
    if mac not in byname:
        continue
    n += 1
    lb = byname[mac]
    role = None
    for et, r, sw in sorted(ev.get(lb, [])):
        if et <= t:
            role, last_end = r, et + sw
    # a switch away from director may still be sending for its own duration
    prev = [r for et, r, sw in sorted(ev.get(lb, [])) if et <= t]
    # keepalived announces the VIPs it owns before it runs the notify (only then)
    nxt = [r for et, r, sw in sorted(ev.get(lb, [])) if t < et <= t + 1.0] if lb in kaowned else []
    if role != "director" and not (len(prev) >= 2 and prev[-2] == "director" and t <= last_end + 0.05) \
            and not (nxt and nxt[0] == "director"):
        bad.append("%s from %s (%s) while %s" % (l.strip()[:120], lb, mac, role))
print("ok %d" % n if not bad else "\n".join(bad[:5]))
EOP
}

# ka_state LB [INSTANCE]: the state LB's running keepalived is in for INSTANCE (default VI_1)
# by the last "(INSTANCE) Entering ... STATE" its log shows since lab_start started it
# (keepalived's own word, not lvsrole's); "-" when it is not running, "INIT" before its first
ka_state() {
	kill -0 "${KA[$1]:-0}" 2>/dev/null || { echo -; return; }
	tail -c +$((${KAOFF[$1]:-0} + 1)) "$TMP/$1/keepalived.log" 2>/dev/null |
		awk -v n="(${2:-VI_1})" 'index($0, n " Entering ") { for (i = 1; i < NF; i++) if ($i == "Entering") s = $(i + 1) } END { print (s == "" ? "INIT" : s) }'
}
# ka_entered LB [INSTANCE]: every state LB's keepalived entered for INSTANCE, in order, over
# all its runs (its log)
ka_entered() {
	awk -v n="(${2:-VI_1})" 'index($0, n " Entering ") { for (i = 1; i < NF; i++) if ($i == "Entering") printf "%s ", $(i + 1) }' \
		"$TMP/$1/keepalived.log" | sed 's/ $//'
}
# entered_states LB [INSTANCE]: ka_entered as the reports must show it ("BACKUP:real-server
# MASTER:director"); reported_states LB [INSTANCE]: LB's reports but its STOPs, the same way.
# Equal when lvsrole reported every state keepalived entered, in keepalived's order, with its
# role: a busy machine may add a flap of keepalived's own, and then the reports must show it
entered_states() {
	ka_entered "$1" "${2:-VI_1}" | sed 's/MASTER/MASTER:director/g; s/BACKUP/BACKUP:real-server/g; s/FAULT/FAULT:real-server/g'
}
reported_states() { events "$1" "${2:-VI_1}" | tr ' ' '\n' | grep -v '^STOP:' | cut -d: -f1,2 | tr '\n' ' ' | sed 's/ $//'; }
# stops_reported LB [INSTANCE]: "N LAST": how many STOP reports, and the last report's state
stops_reported() {
	events "$1" "${2:-VI_1}" | tr ' ' '\n' | awk -F: '$1 == "STOP" { n++ } NF { last = $1 } END { print n + 0, last }'
}
# results_sound LB:INSTANCE...: every report's result ok, noop or superseded (nothing listed)
results_sound() {
	local x
	for x in "$@"; do events "${x%%:*}" "${x#*:}"; echo; done | tr ' ' '\n' | grep -Ev '^$|:(ok|noop|superseded)$'
}

# ka_masters [INSTANCE]: the balancers whose running keepalived says it is MASTER for INSTANCE
ka_masters() {
	local lb out=""
	for lb in "${LBS[@]}"; do
		[ "$(ka_state "$lb" "${1:-VI_1}")" = MASTER ] && out="$out $lb"
	done
	echo "${out# }"
}

roles_are() { [ "$(roles)" = "$1" ]; }
# step NAME ROLES ARP-OWNER [HTTP-REGEX]: waits for ROLES (one per balancer),
# then checks the client's view (HTTP-REGEX: who answers; default every balancer: the
# director answers its share and forwards the rest)
step() {
	local took out want=${4:-^$(printf '%s:[0-9]+ ' "${LBS[@]}" | sed 's/ $//')$}
	took=$(until_true roles_are "$2")
	assert_eq "$1: roles ($2) on the kernels (${took:-timeout})" "$2" "$(roles)"
	await "$1: keepalived's MASTER is ${3:-nobody} (its log)" "$3" ka_masters
	assert_eq "$1: ARP for $VIP4 answered by $3 only" "$3" "$(arp_owners)"
	assert_eq "$1: NS for $VIP6 answered by $3" "$3" "$(nd_owner)"
	[ -n "$3" ] || return 0
	# enough connections that the hash misses no balancer by chance: (2/3)^30 for three
	assert_match "$1: HTTP on $VIP4 answered by $want" "$want" "$(http_spread $((10 * ${#LBS[@]})))"
	out=$(http_spread $((10 * ${#LBS[@]})) "[$VIP6]")
	assert_match "$1: HTTP on [$VIP6] answered by $want" "$want" "$out"
	grep -Eq "$want" <<<"$out" || echo "# the client's neighbour for $VIP6: $(lb_of "$(nsx "${TAG}cl" ip -6 neigh show "$VIP6" dev eth0 | awk '{ print $3 }')")"
}

both_masters() { echo "$(ka_masters VI_1) $(ka_masters VI_2)"; }
both_are() { [ "$(roles) / $(roles "$VIP4B" "$VIP6B")" = "$1" ]; }
# step2 NAME "ROLES-VI_1 / ROLES-VI_2" OWNER-VI_1 OWNER-VI_2: step for two instances (VI_1
# with $VIP4 and $VIP6, VI_2 with $VIP4B and $VIP6B), each VIP answered by both balancers
step2() {
	local took v
	took=$(until_true both_are "$2")
	assert_eq "$1: roles of VI_1 / VI_2 on the kernels (${took:-timeout})" "$2" "$(roles) / $(roles "$VIP4B" "$VIP6B")"
	await "$1: keepalived's MASTERs of VI_1 and VI_2 (their logs)" "$3 $4" both_masters
	assert_eq "$1: ARP owners of $VIP4 and $VIP4B" "$3 $4" "$(arp_owners "$VIP4") $(arp_owners "$VIP4B")"
	assert_eq "$1: NS owners of $VIP6 and $VIP6B" "$3 $4" "$(nd_owner "$VIP6") $(nd_owner "$VIP6B")"
	for v in "$VIP4" "[$VIP6]" "$VIP4B" "[$VIP6B]"; do
		assert_match "$1: HTTP on $v answered by both" "^lb1:[0-9]+ lb2:[0-9]+$" "$(http_spread 20 "$v")"
	done
}

# lab_pair STYLE OWNER: two balancers (lb1 priority 150, lb2 100) configured, serving and
# forwarding; both keepalived started, lb1 checked as the director
lab_pair() {
	lab_init 2
	lab_conf lb1 "$1" "$2" 150
	lab_conf lb2 "$1" "$2" 100
	lab_www
	lab_dr || { echo "FAIL: nftables DR rules"; exit 99; }
	lab_start lb1
	lab_start lb2
	step "startup" "director real-server" lb1
}
# all_stopped: every balancer's state file records STOP for every unit (its last event applied)
all_stopped() {
	local lb
	for lb in "${LBS[@]}"; do
		python3 -c 'import json,sys; r = json.load(open(sys.argv[1]))["instances"].values(); sys.exit(not r or any(x["state"] != "STOP" for x in r))' \
			"$TMP/$lb/state/state.json" 2>/dev/null || return 1
	done
}
# lab_settle: after every keepalived has stopped: until each balancer recorded its STOPs, no
# lvsrole process (nor a delivery child) runs for any of them, and every spool is empty
lab_settle() {
	local lb
	wait_for all_stopped || not_ok "every balancer recorded STOP for every unit"
	for lb in "${LBS[@]}"; do
		quiet "$TMP/$lb/lvsrole.conf" || not_ok "$lb: its lvsrole processes have left"
	done
	drained || not_ok "every report delivered (the spools are empty)"
}
# pair_stop: lb2's keepalived stopped, then lb1's (nobody directs); settled
pair_stop() {
	lab_stop lb2
	lab_stop lb1
	step "stop both" "real-server real-server" ""
	lab_settle
}
# probe_seen FROM KIND [VALUE]: the probe recorded KIND (with VALUE) after FROM
probe_seen() { [ -n "$(probe_first "$@")" ]; }
# master_report LB FROM: "MS SWITCH-US" of LB's last MASTER report: its timestamp in ms after
# FROM (epoch) and its switch time; nothing before the receiver has one stamped after FROM
master_report() {
	rq r '(lambda m: "" if not m else (lambda t: "%d %d" % ((t - '"$2"') * 1000, m[-1]["B"]["data"]["switch_us"]) if t > '"$2"' else "")(datetime.datetime.strptime(m[-1]["B"]["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()))([x for x in R if x["path"] == "/'"$1"'" and x["B"]["type"] == "lvsrole.transition" and x["B"]["data"]["state"] == "MASTER"])' 2>/dev/null
}
master_reported() { [ -n "$(master_report "$@")" ]; }
# kill_failover: the client probes while lb1's keepalived is killed and lb2 takes over;
# prints the longest gap between answers the client saw, and lb2's switch time
kill_failover() {
	local t t2 gap sw
	probe_start
	wait_for probe_seen 0 ok || not_ok "the probing client is served before the failover"
	t=$(date +%s.%N)
	lab_kill lb1
	step "failover (lb1's keepalived killed)" "real-server director" lb2
	t2=$(date +%s.%N)
	wait_for probe_seen "$t2" ok
	assert_eq "failover: the client is served again once lb2 directs" yes "$(probe_seen "$t2" ok && echo yes)"
	probe_stop
	gap=$(probe_gap "$t")
	wait_for master_reported lb2 "$t"
	read -r _ sw < <(master_report lb2 "$t")
	echo "# failover: the client's longest gap between answers: ${gap} ms; lb2's switch to director: ${sw:-?} us"
	assert_eq "failover: the client's longest gap under 10 s (${gap} ms)" yes "$([ "$gap" -lt 10000 ] && echo yes)"
}
# fault_failover: the client probes while lb1's interface goes down (FAULT) and lb2 takes
# over. lb1 can no longer answer anything, so the client is served again only once lb2 has
# switched and its announcement has moved the client's ARP entry; prints how long that
# took, when keepalived made lb2 MASTER (its report's timestamp) and lb2's switch time.
# (lb1 cannot answer its share of the connections while its link is down: the lab has no
# health check to take it out, so the director answers only its own)
fault_failover() {
	local t first arp garp master sw
	probe_start
	wait_for probe_seen 0 ok || not_ok "the probing client is served before the FAULT"
	nsx "${TAG}lb1" ip link set eth0 down
	# from here only lb2, directing, can answer (lb1 is unreachable, and nobody forwards to lb2)
	t=$(date +%s.%N)
	step "FAULT: lb2 takes over" "real-server director" lb2 "lb2:[0-9]+"
	wait_for probe_seen "$t" arp "${MAC[lb2]}"
	wait_for probe_seen "$t" ok
	probe_stop
	first=$(probe_first "$t" ok)
	garp=$(awk -v from="$t" -v m="${MAC[lb2]}" -v vip="$VIP4" '$1 > from && $2 == m && (index($0, "tell " vip ",") || index($0, "Reply " vip " is-at")) { printf "%d", ($1 - from) * 1000; exit }' "$TMP/wire.txt")
	arp=$(probe_first "$t" arp "${MAC[lb2]}")
	wait_for master_reported lb2 "$t"
	read -r master sw < <(master_report lb2 "$t")
	echo "# FAULT failover, from lb1's link going down: keepalived made lb2 MASTER at ${master:-?} ms, lb2's switch took ${sw:-?} us, its first ARP announcement was on the wire at ${garp:-never} ms, the client's ARP entry moved to lb2 at ${arp:-never} ms, the client was served again at ${first:-never} ms (a connection the director hashes to lb1 fails while lb1 is down: no health check in the lab)"
	assert_eq "FAULT failover: the client's ARP entry for $VIP4 moved to lb2's MAC" yes "$([ -n "$arp" ] && echo yes)"
	assert_eq "FAULT failover: the client was served again, in under 10 s (${first:-never} ms)" yes "$([ -n "$first" ] && [ "$first" -lt 10000 ] && echo yes)"
}
