#!/bin/sh
# The shell way, for the benchmark: a role switch written the way published LVS-DR real-server
# and notify scripts do it (ip addr per VIP, echo into /proc/sys, arping per VIP), in the safe
# order (the sysctls before the VIPs go to lo; the VIPs on the NIC before the sysctls relax).
#
#   switch.sh director|real-server NIC PREFIX VIP...
role=$1 nic=$2 prefix=$3
shift 3
arp() { # arp IGNORE ANNOUNCE
	for dev in all lo "$nic"; do
		echo "$1" >/proc/sys/net/ipv4/conf/$dev/arp_ignore
		echo "$2" >/proc/sys/net/ipv4/conf/$dev/arp_announce
	done
}
case $role in
director)
	for vip in "$@"; do
		ip addr add "$vip/$prefix" dev "$nic"
		arping -q -U -c 1 -I "$nic" "$vip" & # it waits a second after sending
		ip addr del "$vip/32" dev lo 2>/dev/null
	done
	arp 0 0
	;;
real-server)
	arp 1 2
	for vip in "$@"; do
		ip addr del "$vip/$prefix" dev "$nic" 2>/dev/null
		ip addr add "$vip/32" dev lo
	done
	;;
*)
	echo "usage: switch.sh director|real-server NIC PREFIX VIP..." >&2
	exit 2
	;;
esac
