# The IPVS harness (tests/README.md, "Real IPVS"): this machine's kernel has no IPVS, so a
# test file that needs it boots Debian's kernel (linux-image-amd64, IPVS as modules) under
# QEMU once, and runs itself inside: the guest's root is this host's root, shared read-only
# over 9p, with tmpfs on /tmp, /run and /var/tmp; the source and build directories and a
# directory for the results are shared at their own paths. Sourced after tests/netns/lib.sh.
# shellcheck shell=bash

# vm_kernel: the newest installed Debian kernel whose modules include IPVS, or nothing
vm_kernel() {
	local k v best=""
	for k in /boot/vmlinuz-*; do
		v=${k#/boot/vmlinuz-}
		[ -r "$k" ] && [ -e "/lib/modules/$v/kernel/net/netfilter/ipvs/ip_vs.ko" ] || continue
		best=$v
	done
	echo "$best"
}

# vm_need: QEMU, busybox and an IPVS kernel are installed, or SKIP (FAIL in CI)
vm_need() {
	local why=""
	command -v qemu-system-x86_64 >/dev/null || why="qemu-system-x86_64 (package qemu-system-x86)"
	[ -x /bin/busybox ] || why="${why:+$why, }a static busybox (package busybox-static)"
	[ -n "$(vm_kernel)" ] || why="${why:+$why, }a kernel with IPVS modules (package linux-image-amd64)"
	[ -z "$why" ] && return 0
	if [ "${CI:-}" = true ]; then
		echo "FAIL: real IPVS needs $why (tests/deps.sh installs it)"
		exit 99
	fi
	echo "SKIP: real IPVS needs $why (tests/deps.sh installs it)"
	exit 77
}

# vm_initrd KERNEL DIR SHARES...: DIR/initrd.cpio, a busybox that loads the 9p modules,
# mounts the host's root and each shared path (tag s0, s1, ... in order) at its own path,
# and hands over to guest-init.sh
vm_initrd() {
	local kver=$1 dir=$2 i=0 m p
	shift 2
	rm -rf "$dir/root" && mkdir -p "$dir/root/bin" "$dir/root/mod" "$dir/root/newroot" || return 1
	cp /bin/busybox "$dir/root/bin/busybox" || return 1
	for m in $(for p in virtio_pci 9pnet_virtio 9p; do modprobe -S "$kver" --show-depends "$p"; done |
		awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++'); do
		cp "$m" "$dir/root/mod/" && echo "insmod /mod/${m##*/}"
	done >"$dir/insmods" || return 1
	{
		echo '#!/bin/busybox sh'
		echo '/bin/busybox --install -s /bin'
		echo 'mount -t proc proc /proc 2>/dev/null || { mkdir -p /proc && mount -t proc proc /proc; }'
		cat "$dir/insmods"
		echo 'mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose host /newroot || { echo "lvsrole-vm: no root"; echo o >/proc/sysrq-trigger; }'
		echo 'for d in tmp run var/tmp; do mount -t tmpfs -o mode=1777 tmpfs /newroot/$d; done'
		for p in "$@"; do
			echo "mkdir -p '/newroot$p' && mount -t 9p -o trans=virtio,version=9p2000.L,cache=none s$i '/newroot$p'"
			i=$((i + 1))
		done
		echo "exec switch_root /newroot /bin/bash '$LR_SRCDIR/tests/ipvs/guest-init.sh' '$dir/out'"
	} >"$dir/root/init"
	chmod 755 "$dir/root/init"
	mkdir -p "$dir/root/proc"
	(cd "$dir/root" && find . | busybox cpio -o -H newc 2>/dev/null) >"$dir/initrd.cpio"
}

# vm_run SCRIPT [ARGS...]: boots the VM, runs `bash SCRIPT ARGS` inside with LR_IN_VM=1 (and
# this test's environment: CI, LR_*), prints its output as it comes and returns its exit
# status. The VM powers off when the script ends; it is killed after LR_VM_S seconds (900) or
# with the test.
vm_run() {
	local kver dir=$TMP/vm shares=() opts=() i=0 p rc qemu
	kver=$(vm_kernel)
	mkdir -p "$dir/out" || return 99
	shares=("$dir/out" "$LR_SRCDIR")
	case $LR_BUILDDIR/ in "$LR_SRCDIR"/*) ;; *) shares+=("$LR_BUILDDIR") ;; esac
	for p in "${shares[@]}"; do
		opts+=(-virtfs "local,path=$p,mount_tag=s$i,security_model=none,multidevs=remap")
		i=$((i + 1))
	done
	{
		printf 'export LR_IN_VM=1 LR_SRCDIR=%q LR_BUILDDIR=%q CI=%q PATH=%q\n' \
			"$LR_SRCDIR" "$LR_BUILDDIR" "${CI:-}" "/usr/sbin:/usr/bin:/sbin:/bin"
		for v in LR_WAIT_S LR_VERBOSE LR_IPVS_PARTS LR_NODEST; do
			[ -n "${!v:-}" ] && printf 'export %s=%q\n' "$v" "${!v}"
		done
		printf 'cd %q\n' "$PWD"
		printf 'exec bash %q' "$1"
		shift
		printf ' %q' "$@"
		echo
	} >"$dir/out/run.sh"
	vm_initrd "$kver" "$dir" "${shares[@]}" || { echo "FAIL: the VM's initramfs could not be built"; return 99; }
	timeout -s KILL "${LR_VM_S:-900}" qemu-system-x86_64 -accel tcg -smp 2 -m 2048 -nographic -no-reboot \
		-kernel "/boot/vmlinuz-$kver" -initrd "$dir/initrd.cpio" \
		-append "console=ttyS0 panic=-1 quiet loglevel=3" \
		-virtfs "local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap" \
		"${opts[@]}" -nic none </dev/null >"$dir/console.txt" 2>&1 &
	qemu=$!
	BGPIDS+=("$qemu")
	: >"$dir/out/log"
	tail -n +1 -f --pid="$qemu" "$dir/out/log" &
	BGPIDS+=("$!")
	wait "$qemu"
	wait "$!"
	rc=$(cat "$dir/out/rc" 2>/dev/null)
	if [ -z "$rc" ]; then
		echo "not ok - the VM ran the test to its end (kernel $kver; its console follows)"
		tail -40 "$dir/console.txt" | sed 's/^/# /'
		return 99
	fi
	return "$rc"
}
