#!/bin/bash
# Installs everything lvsrole needs to build, test and run its demo on Debian 12 (as root).
# LR_NO_APT=1 skips it (for machines prepared by hand).
set -euo pipefail
[ "${LR_NO_APT:-}" = 1 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "tests/deps.sh: run as root (apt-get install)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
PKGS=(
	build-essential autoconf automake libtool pkg-config
	libnl-3-dev libnl-route-3-dev libnl-genl-3-dev libjson-c-dev libcurl4-openssl-dev libssl-dev libcmocka-dev
	libnftables-dev libnftables1
	keepalived iproute2 iputils-arping iputils-ping tcpdump nftables python3 procps util-linux openssl
	curl groff-base ca-certificates
	clang libclang-rt-14-dev libcap2-bin passwd valgrind strace
	# the IPVS tier: Debian's kernel (IPVS as modules) under QEMU, and ipvsadm to look
	qemu-system-x86 linux-image-amd64 busybox-static ipvsadm
	# the Debian package (tests/deb/check), and promtool for the metrics and alerting rules
	git debhelper lintian prometheus
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	echo "installing: ${missing[*]}"
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
