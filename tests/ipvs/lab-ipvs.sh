# The LVS lab on real IPVS (tests/README.md): the LVS-DR lab of tests/lab/lab.sh, booted in a
# VM with Debian's kernel (tests/ipvs/vm.sh), where keepalived's checker loads each
# balancer's `virtual_server` into the kernel's IPVS table instead of the emulated forwarding.
# shellcheck shell=bash
. "$(dirname "${BASH_SOURCE[0]}")/../lab/lab.sh"
. "$LR_SRCDIR/tests/ipvs/vm.sh"

# ipvs_vm PART...: on this host, boots the VM once and runs this test file in it once per
# PART (LR_IPVS_PART; each with its own namespaces), then exits with the worst status; in the
# VM, returns (the file goes on with its PART). LR_IPVS_PARTS="A B" runs only those.
ipvs_vm() {
	local p rc=0 r
	[ -n "${LR_IPVS_PARTS:-}" ] && set -- $LR_IPVS_PARTS
	if [ -n "${LR_IN_VM:-}" ] && [ -n "${LR_IPVS_PART:-}" ]; then
		return 0
	fi
	if [ -z "${LR_IN_VM:-}" ]; then
		[ "$(id -u)" = 0 ] || { echo "SKIP: the VM's lab needs root (network namespaces in it)"; exit 77; }
		vm_need
		need keepalived ipvsadm tcpdump curl arping nft
		vm_run "$0" "$@"
		exit $?
	fi
	for p in "$@"; do
		echo "# ---- part $p"
		LR_IPVS_PART=$p bash "$0"
		r=$?
		[ "$r" = 77 ] && [ "$rc" = 0 ] && rc=77
		[ "$r" != 0 ] && [ "$r" != 77 ] && rc=$r
	done
	exit "$rc"
}

LAB_KA_VRRP_ONLY="" # keepalived runs its checker too: it loads the virtual servers
LAB_PORT=8080

# ipvs_conf LB KIND...: appends to LB's keepalived.conf one virtual_server per KIND: "vip"
# (VIP4:8080), "vip6" ([VIP6]:8080), "vipb" (VIP4B:8080) or "fwmark:N", each balancing by
# round robin (LVS-DR, or lb_kind $LAB_LB_KIND) over every balancer, health-checked by TCP
ipvs_conf() {
	local lb=$1 k head rs n port proto
	shift
	for k in "$@"; do
		# a fwmark service has no protocol or port: its health checks name the port
		port=" $LAB_PORT" proto="
    protocol TCP"
		case $k in
		vip) head="$VIP4 $LAB_PORT" ;;
		vip6) head="$VIP6 $LAB_PORT" ;;
		vipb) head="$VIP4B $LAB_PORT" ;;
		fwmark:*) head="fwmark ${k#fwmark:}" port="" proto="" ;;
		esac
		rs=""
		for n in $(seq ${#LBS[@]}); do
			rs="$rs
    real_server 10.9.0.1$n$port {
        TCP_CHECK {
            connect_port $LAB_PORT
            connect_timeout 1
        }
    }"
		done
		cat >>"$TMP/$lb/keepalived.conf" <<EOV
virtual_server $head {
    delay_loop 1
    lb_algo rr
    lb_kind ${LAB_LB_KIND:-DR}$proto$rs
}
EOV
	done
}

# ipvs_services LB: LB's IPVS table, one line per real server: "SERVICE -> REAL" (ipvsadm -Ln)
ipvs_services() {
	nsx "$TAG$1" ipvsadm -Ln 2>/dev/null | awk '$1 == "TCP" || $1 == "FWM" || $1 == "UDP" { s = $1 " " $2 } $1 == "->" && $2 != "RemoteAddress:Port" { print s " -> " $2 }'
}
# ipvs_loaded LB N: LB's checker has loaded N real servers in all into its IPVS table
ipvs_loaded() { [ "$(ipvs_services "$1" | wc -l)" = "$2" ]; }
# ipvs_conn_ports LB: the client's source port of each connection LB's IPVS scheduled itself
# in the last two minutes (/proc/net/ip_vs_conn_sync: origin LOCAL; a backup sync daemon
# holds copies of the master's, origin SYNC)
ipvs_conn_ports() {
	nsx "$TAG$1" cat /proc/net/ip_vs_conn_sync 2>/dev/null | python3 -c '
import sys
for l in sys.stdin.read().splitlines()[1:]:
    x = l.split()
    if len(x) > 8 and x[1] == "0A090063" and x[8] == "LOCAL":
        print(int(x[2], 16))' | sort -n
}
# in_both A B: the lines of A that B has too (each a sorted list of numbers)
in_both() { comm -12 <(printf '%s\n' "$1" | sort) <(printf '%s\n' "$2" | sort) | grep -c .; }

# loop_risk_of LB: what LB's `status --json` says of the IPVS loop risk: the services it names
# ("TCP 10.9.0.50:8080 ..."), or "none"
loop_risk_of() {
	nsx "$TAG$1" "$NOTIFY" -c "$TMP/$1/lvsrole.conf" status --json 2>/dev/null | python3 -c '
import json, re, sys
r = json.load(sys.stdin)["ipvs"].get("loop_risks", [])
print(" ".join(sorted(set(re.search(r"IPVS service (.*?) is", x).group(1) for x in r))) or "none")'
}
# ipvs_of LB KEY: KEY of the "ipvs" object of LB's `status --json` (sync_daemon, backup_only)
ipvs_of() {
	nsx "$TAG$1" "$NOTIFY" -c "$TMP/$1/lvsrole.conf" status --json 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["ipvs"].get(sys.argv[1]))' "$2"
}
# sync_view D RS: "D's backup_only RS's backup_only D's sync daemons ok", ok when RS runs
# the backup sync daemon or has no IPVS service (its keepalived stopped)
sync_view() {
	local rs=ok
	[ "$(ipvs_of "$2" sync_daemon)" = backup ] || [ -z "$(ipvs_services "$2")" ] || rs="$(ipvs_of "$2" sync_daemon)"
	echo "$(ipvs_of "$1" backup_only) $(ipvs_of "$2" backup_only) $(ipvs_of "$1" sync_daemon) $rs"
}
# loop_risk_reports LB: the services of the lvsrole.ipvs_loop_risk reports LB sent
loop_risk_reports() {
	rq r '" ".join(x["B"]["data"]["services"] for x in R if x["path"] == "/'"$1"'" and x["B"]["type"] == "lvsrole.ipvs_loop_risk")'
}
# loop_risk_metric LB: lvsrole_ipvs_loop_risk of VI_1 in LB's metrics file
loop_risk_metric() { metric "$TMP/$1/lvsrole.prom" 'lvsrole_ipvs_loop_risk{iname="VI_1"}'; }

# conns N [VIP [TIMEOUT]]: N connections from the client to VIP:LAB_PORT, one after the
# other, each as a line "SOURCE-PORT ANSWERED-BY" ("SOURCE-PORT fail": not answered within
# TIMEOUT seconds, 10) in $TMP/conns.txt. Each from a source port no earlier call used (from
# 20000 up, below the kernel's own range): no IPVS connection entry of an earlier one is reused.
CONN_PORT=20000
conns() {
	CONN_PORT=$((CONN_PORT + $1))
	nsx "${TAG}cl" python3 - "${2:-$VIP4}" "$LAB_PORT" "$1" "${3:-10}" "$((CONN_PORT - $1))" >"$TMP/conns.txt" <<'EOP'
import socket, sys
vip, port, n, timeout, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
for i in range(n):
    s = socket.socket(socket.AF_INET6 if ":" in vip else socket.AF_INET)
    s.settimeout(timeout)
    s.bind(("", base + i))
    sport = base + i
    try:
        s.connect((vip, port))
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
        who = data.rsplit(b"answered by ", 1)[-1].split()[0].decode() if b"answered by" in data else "?"
    except OSError:
        who = "fail"
    s.close()
    print(sport, who, flush=True)
EOP
}

# syn_start [VIP] / syn_stop: capture the TCP SYNs to VIP (VIP4):LAB_PORT on the bridge (not the health
# checks, which go to the balancers' own addresses); syn_between A B: how many went
# from balancer A's MAC to balancer B's (a SYN forwarded by a director to a real server)
syn_start() { # [VIP]
	local vip=${1:-$VIP4} hex
	hex=$(printf '0x%02x%02x%02x%02x' ${vip//./ })
	# and, tunnelled (LVS-TUN, IPIP): the inner packet's address, port and flags
	ip netns exec "$SW" tcpdump -i br0 -n -e -tt -U --immediate-mode -w "$TMP/syn.pcap" \
		"(dst host $vip and tcp dst port $LAB_PORT and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn) or
		 (ip proto 4 and ip[36:4] == $hex and ip[42:2] == $LAB_PORT and ip[53] & 0x12 == 0x02)" 2>"$TMP/syn.err" &
	SYNPID=$!
	BGPIDS+=("$SYNPID")
	disown
	wait_for grep -q 'listening on' "$TMP/syn.err" || not_ok "the SYN capture started"
}
syn_stop() { kill -INT "$SYNPID" 2>/dev/null; plugin_wait "$SYNPID"; }
# syn_seen A B N: the capture holds N SYNs from A's MAC to B's (the client: "cl")
syn_seen() { [ "$(syn_between "$1" "$2")" -ge "$3" ]; }
syn_between() {
	tcpdump -r "$TMP/syn.pcap" -n -e 2>/dev/null | awk -v a="$(mac_of "$1")" -v b="$(mac_of "$2")" '$2 == a && $4 == b "," { n++ } END { print n + 0 }'
}
mac_of() { if [ "$1" = cl ]; then nsx "${TAG}cl" cat /sys/class/net/eth0/address; else echo "${MAC[$1]}"; fi; }
# syn_ports A B: the client's source port of each SYN from A's MAC to B's, one per line
syn_ports() {
	tcpdump -r "$TMP/syn.pcap" -n -e 2>/dev/null | awk -v a="$(mac_of "$1")" -v b="$(mac_of "$2")" '$2 == a && $4 == b ","' |
		sed -n 's/.* 10\.9\.0\.99\.\([0-9]*\) > .*/\1/p'
}

# marks LB: the instances whose rules lvsrole's table in LB holds (their comments' first word)
marks() { nsx "$TAG$1" nft list table inet lvsrole 2>/dev/null | grep -o 'comment "[^ ]*' | cut -d'"' -f2 | sort -u | paste -sd ' '; }
# marks_for INSTANCE A B: whether A and B mark INSTANCE's traffic: "A:yes B:no"
marks_for() {
	local a=no b=no
	grep -qw "$1" <<<"$(marks "$2")" && a=yes
	grep -qw "$1" <<<"$(marks "$3")" && b=yes
	echo "$2:$a $3:$b"
}

# loop_free NAME DIRECTOR REAL-SERVER [VIP INSTANCE]: for INSTANCE (VI_1, VIP VIP4), the
# director marks (LOOP_GUARD=backup_only: backup_only is 1 on both, and the director runs the
# master sync daemon, the real server the backup one) and balances over both, itself
# included; the real server marks nothing of it, balances nothing and sends no SYN to the
# director; each connection the real server answered crossed the wire once (its SYN,
# director to real server), and none that the director answered
loop_free() {
	local name=$1 d=$2 rs=$3 vip=${4:-$VIP4} inst=${5:-VI_1} out fwd ports before who
	if [ "${LOOP_GUARD:-fwmark}" = fwmark ]; then
		await "$name: only $d marks $inst's traffic (lvsrole's nftables table)" "$d:yes $rs:no" \
			marks_for "$inst" "$d" "$rs"
	else
		await "$name: backup_only 1 on both; the director's sync daemon master, the real server's backup (or no service)" \
			"1 1 master ok" sync_view "$d" "$rs"
	fi
	before=$(ipvs_conn_ports "$rs")
	syn_start "$vip"
	conns 10 "$vip"
	out=$(cat "$TMP/conns.txt")
	ports=$(awk '{ print $1 }' <<<"$out")
	who=$(awk '{ print $2 }' <<<"$out" | sort | uniq -c | awk '{ printf "%s%s:%s", (NR > 1 ? " " : ""), $2, $1 }')
	# each answer came after its SYNs: once the capture holds the client's 10 and a forward
	# for each connection the real server answered, it holds every SYN of the window
	wait_for syn_seen cl "$d" 10
	wait_for syn_seen "$d" "$rs" "$(grep -c " $rs$" <<<"$out")"
	syn_stop
	fwd=$(syn_ports "$d" "$rs" | sort -n | paste -sd ' ')
	echo "# $name: 10 connections to $vip answered as [$who]; SYNs $d->$rs: $(syn_between "$d" "$rs"), $rs->$d: $(syn_between "$rs" "$d")"
	assert_match "$name: every connection to $vip answered, by both balancers" "^lb1:[0-9]+ lb2:[0-9]+$" "$who"
	assert_eq "$name: no SYN from the real server $rs to the director $d" 0 "$(syn_between "$rs" "$d")"
	assert_eq "$name: the SYNs $d forwarded to $rs are those of the connections $rs answered, once each" \
		"$(awk -v rs="$rs" '$2 == rs { print $1 }' <<<"$out" | sort -n | paste -sd ' ')" "$fwd"
	# a port the real server's table held before (an older connection) is not counted: that
	# can hide a fault, never make one
	assert_eq "$name: the director's IPVS scheduled the 10 connections, the real server's none" "10 0" \
		"$(in_both "$ports" "$(ipvs_conn_ports "$d")") $(in_both "$ports" "$(comm -13 <(echo "$before") <(ipvs_conn_ports "$rs"))")"
}

# ipvs_start KIND...: both balancers' virtual servers (ipvs_conf), their web services and
# keepalived started; returns once lb1 directs and both checkers loaded every real server
ipvs_start() {
	ipvs_conf lb1 "$@"
	ipvs_conf lb2 "$@"
	lab_www
	lab_start lb1
	lab_start lb2
	await "startup: roles" "director real-server" roles
	wait_for ipvs_loaded lb1 $((2 * $#)) && wait_for ipvs_loaded lb2 $((2 * $#))
}

# ipvs_pair STYLE OWNER: two balancers (lb1 priority 150, lb2 100) with keepalived's
# `virtual_server fwmark 1` over both and lvsrole's loop guard "fwmark" on VI_1 (port 8080);
# both started, lb1 directing with both real servers loaded. With expire_nodest_conn, as
# doc/ipvs.md recommends: a client port reused after a real server was out does not hit an
# old connection entry that IPVS would drop for minutes.
ipvs_pair() {
	local lb
	lab_init 2
	for lb in lb1 lb2; do
		nsx "$TAG$lb" sysctl -qw net.ipv4.vs.expire_nodest_conn=1
	done
	LAB_IPVS='{ "loop_guard": "fwmark", "fwmark": 1, "ports": ["tcp/8080"] }'
	lab_conf lb1 "$1" "$2" 150
	lab_conf lb2 "$1" "$2" 100
	ipvs_start fwmark:1
	assert_eq "both checkers loaded fwmark 1 with both real servers" "FWM 1 -> 10.9.0.11:0 FWM 1 -> 10.9.0.12:0 / 2" \
		"$(ipvs_services lb1 | paste -sd ' ') / $(ipvs_services lb2 | wc -l)"
}

# gap_of NAME ROLES CMD...: the client probes (a new connection every 20 ms) while CMD breaks
# the pair, until the kernels show ROLES and the client is served again; prints the longest
# time between two answers, and checks it under 10 s
gap_of() {
	local name=$1 want=$2 t t2 gap
	shift 2
	probe_start
	wait_for probe_seen 0 ok || not_ok "$name: the probing client is served before"
	t=$(date +%s.%N)
	"$@"
	await "$name: roles" "$want" roles
	t2=$(date +%s.%N)
	wait_for probe_seen "$t2" ok
	probe_stop
	gap=$(probe_gap "$t")
	echo "# $name: the client's longest gap between answers: ${gap} ms"
	echo "$name ${gap}" >>"$TMP/gaps"
	assert_eq "$name: the client is served again, its longest gap under 10 s (${gap} ms)" yes \
		"$(probe_seen "$t2" ok && [ "$gap" -lt 10000 ] && echo yes)"
}
