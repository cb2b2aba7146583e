#!/bin/bash
# PID 1 of the IPVS harness's VM (tests/ipvs/vm.sh): mounts what a test needs, loads the
# modules the lab uses, runs OUT/run.sh with its output in OUT/log and its exit status in
# OUT/rc, then powers the VM off.
out=$1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
ln -s /proc/self/fd /dev/fd
ip link set lo up
hostname lvsrole-vm
for m in ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh ipip veth bridge nf_tables nft_chain_nat; do
	modprobe "$m" 2>>"$out/modprobe.txt"
done
echo
bash "$out/run.sh" >"$out/log" 2>&1
echo $? >"$out/rc"
sync
echo o >/proc/sysrq-trigger
