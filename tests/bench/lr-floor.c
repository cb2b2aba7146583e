/* The floor of a role switch, for the benchmark: the same address moves and ARP sysctl writes
 * as lvsrole's switch, and nothing else. The address requests go over one netlink socket in
 * batches of BATCH messages per send, each batch acknowledged before the next; the sysctls are
 * written to /proc/sys. No config, no state, no lock, no check, no announcement.
 *
 *   lr-floor director|real-server NIC FIRST-VIP N PREFIX [announce]
 *
 * announce (director): also one gratuitous ARP per VIP once the VIPs are on NIC, from one packet
 * socket that a child holds past this process's exit (its close waits for an RCU grace period),
 * as lvsrole does: the floor of a switch to director that announces.
 *
 * director: the N VIPs (FIRST-VIP and the N-1 addresses after it) to NIC with PREFIX, off lo,
 * then the sysctls of all, lo and NIC to 0/0. real-server: the sysctls to 1/2, the VIPs off NIC,
 * then to lo as /32. Prints the time it took in microseconds on stdout. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

/* Sends one gratuitous ARP (a request with the VIP as sender and target) per VIP; the socket
 * stays open, handed to a child that closes it after this process has exited. */
static int announce(const char *nic, int ifindex, uint32_t first, int n)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP),
				  .sll_ifindex = ifindex, .sll_halen = ETH_ALEN };
	struct ifreq ifr = { 0 };
	unsigned char arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1 };
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0), p[2];

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", nic);
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memset(to.sll_addr, 0xff, ETH_ALEN);
	memcpy(arp + 8, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	for (int i = 0; i < n; i++) {
		uint32_t a = htonl(first + (uint32_t)i);

		memcpy(arp + 14, &a, 4);
		memcpy(arp + 24, &a, 4);
		if (sendto(fd, arp, sizeof(arp), 0, (struct sockaddr *)&to, sizeof(to)) != sizeof(arp))
			return -errno;
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	switch (fork()) {
	case -1:
		return -errno;
	case 0: { /* holds fd until the parent's exit closes the pipe's other end */
		char c;

		close(p[1]);
		while (read(p[0], &c, 1) > 0)
			;
		_exit(0);
	}
	}
	close(p[0]); /* p[1] and fd close with this process, fd's cost is the child's */
	return 0;
}

static int acks, errs;

static int on_ack(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	acks++;
	return NL_OK;
}

static int on_err(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	(void)nla;
	(void)arg;
	acks++;
	if (e->error != -EEXIST && e->error != -EADDRNOTAVAIL)
		errs++;
	return NL_SKIP;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Sends n address requests of type (RTM_NEWADDR or RTM_DELADDR) in batches. */
static int addrs(struct nl_sock *sk, int type, int ifindex, uint32_t first, int n, int prefix)
{
	static char buf[BATCH * 64];
	size_t len = 0;
	int sent = 0;

	acks = 0;
	for (int i = 0; i < n; i++) {
		int flags = NLM_F_REQUEST | NLM_F_ACK | (type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_EXCL : 0);
		struct nl_msg *m = nlmsg_alloc_simple(type, flags);
		struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = (unsigned char)prefix,
					 .ifa_index = (unsigned)ifindex };
		uint32_t a = htonl(first + (uint32_t)i);
		struct nlmsghdr *h;

		if (!m || nlmsg_append(m, &ifa, sizeof(ifa), NLMSG_ALIGNTO) < 0 ||
		    nla_put_u32(m, IFA_LOCAL, a) < 0 || nla_put_u32(m, IFA_ADDRESS, a) < 0)
			return -ENOMEM;
		h = nlmsg_hdr(m);
		h->nlmsg_seq = (unsigned)i + 1;
		memcpy(buf + len, h, NLMSG_ALIGN(h->nlmsg_len));
		len += NLMSG_ALIGN(h->nlmsg_len);
		nlmsg_free(m);
		if (++sent % BATCH == 0 || i == n - 1) {
			if (nl_sendto(sk, buf, len) < 0)
				return -EIO;
			len = 0;
			while (acks < sent)
				if (nl_recvmsgs_default(sk) < 0)
					return -EIO;
		}
	}
	return 0;
}

static int sysctl(const char *dev, const char *key, const char *val)
{
	char path[128];
	int fd, r;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/%s", dev, key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = write(fd, val, 1) == 1 ? 0 : -errno;
	close(fd);
	return r;
}

static int sysctls(const char *nic, const char *ignore, const char *announce)
{
	const char *devs[] = { "all", "lo", nic };
	int r = 0;

	for (int i = 0; i < 3; i++)
		if (sysctl(devs[i], "arp_ignore", ignore) < 0 || sysctl(devs[i], "arp_announce", announce) < 0)
			r = -1;
	return r;
}

int main(int argc, char **argv)
{
	struct in_addr first;
	struct nl_sock *sk;
	uint64_t t0 = now_us();
	int nic, lo, n, prefix, r = 0;

	int ann = argc == 7 && !strcmp(argv[6], "announce");

	if (argc != 6 + ann || inet_pton(AF_INET, argv[3], &first) != 1 || (n = atoi(argv[4])) < 1 ||
	    (prefix = atoi(argv[5])) < 1 || prefix > 32) {
		fprintf(stderr, "usage: lr-floor director|real-server NIC FIRST-VIP N PREFIX [announce]\n");
		return 2;
	}
	nic = (int)if_nametoindex(argv[2]);
	lo = (int)if_nametoindex("lo");
	sk = nl_socket_alloc();
	if (!nic || !lo || !sk || nl_connect(sk, NETLINK_ROUTE) < 0) {
		fprintf(stderr, "lr-floor: no %s or no netlink\n", argv[2]);
		return 1;
	}
	nl_socket_disable_seq_check(sk);
	nl_socket_modify_cb(sk, NL_CB_ACK, NL_CB_CUSTOM, on_ack, NULL);
	nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, on_err, NULL);
	if (!strcmp(argv[1], "director")) {
		r = addrs(sk, RTM_NEWADDR, nic, ntohl(first.s_addr), n, prefix);
		if (r == 0 && ann)
			r = announce(argv[2], nic, ntohl(first.s_addr), n);
		if (r == 0)
			r = addrs(sk, RTM_DELADDR, lo, ntohl(first.s_addr), n, 32);
		if (r == 0)
			r = sysctls(argv[2], "0", "0");
	} else {
		r = sysctls(argv[2], "1", "2");
		if (r == 0)
			r = addrs(sk, RTM_DELADDR, nic, ntohl(first.s_addr), n, prefix);
		if (r == 0)
			r = addrs(sk, RTM_NEWADDR, lo, ntohl(first.s_addr), n, 32);
	}
	nl_socket_free(sk);
	if (r < 0 || errs) {
		fprintf(stderr, "lr-floor: %s failed (%d request(s) refused)\n", argv[1], errs);
		return 1;
	}
	printf("%llu\n", (unsigned long long)(now_us() - t0));
	return 0;
}
