/* The benchmark's wire watch: when each IPv4 address appears on NIC and when the first
 * gratuitous ARP for it leaves NIC. It polls a netlink socket (address events) and a packet
 * socket (outgoing ARP, stamped by the kernel); with --spin without sleeping, so an address
 * event is stamped within microseconds of the kernel sending it (it takes a CPU: `make bench`
 * only), else it sleeps in poll. Runs until SIGTERM/SIGINT and prints
 *
 *   add WALL-US ADDRESS      (the address was added on NIC)
 *   garp WALL-US ADDRESS     (an ARP with ADDRESS as sender and target left NIC)
 *
 *   lr-garp-watch NIC [--spin]   (inside the namespace under test; "ready" when watching) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned long long wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (unsigned long long)ts.tv_sec * 1000000u + (unsigned long long)ts.tv_nsec / 1000u;
}

static void netlink_events(int nl, int ifindex)
{
	char buf[16384];
	ssize_t n;

	while ((n = recv(nl, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		unsigned long long t = wall_us();

		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			struct ifaddrmsg *ifa = NLMSG_DATA(h);
			int len = (int)IFA_PAYLOAD(h);

			if (h->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET ||
			    (int)ifa->ifa_index != ifindex)
				continue;
			for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len))
				if (a->rta_type == IFA_LOCAL) {
					char ip[INET_ADDRSTRLEN];

					inet_ntop(AF_INET, RTA_DATA(a), ip, sizeof(ip));
					printf("add %llu %s\n", t, ip);
				}
		}
	}
}

static void packets(int pk)
{
	unsigned char frame[128];
	char cbuf[256];

	for (;;) {
		struct iovec iov = { frame, sizeof(frame) };
		struct sockaddr_ll from;
		struct msghdr m = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
				    .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		unsigned long long t = 0;
		ssize_t n = recvmsg(pk, &m, MSG_DONTWAIT);
		const unsigned char *arp = frame;

		if (n < 0)
			return;
		/* SOCK_DGRAM: the ARP payload; sender IP at 14, target IP at 24 */
		if (from.sll_pkttype != PACKET_OUTGOING || from.sll_protocol != htons(ETH_P_ARP) || n < 28 ||
		    memcmp(arp + 14, arp + 24, 4))
			continue;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				t = (unsigned long long)ts.tv_sec * 1000000u + (unsigned long long)ts.tv_nsec / 1000u;
			}
		char ip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, arp + 14, ip, sizeof(ip));
		printf("garp %llu %s\n", t ? t : wall_us(), ip);
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_nl snl = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_IPV4_IFADDR };
	/* ETH_P_ALL: outgoing frames reach only the taps that take every protocol */
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int one = 1, rcv = 4 << 20, nl, pk, ifindex;
	int spin = argc == 3 && !strcmp(argv[2], "--spin");

	if (argc < 2 || argc > 2 + spin || !(ifindex = (int)if_nametoindex(argv[1]))) {
		fprintf(stderr, "usage: lr-garp-watch NIC [--spin]\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	pk = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ALL));
	sll.sll_ifindex = ifindex;
	if (nl < 0 || pk < 0 || bind(nl, (struct sockaddr *)&snl, sizeof(snl)) < 0 ||
	    bind(pk, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(pk, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0) {
		perror("lr-garp-watch");
		return 1;
	}
	setsockopt(nl, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	setsockopt(pk, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		struct pollfd fds[2] = { { .fd = nl, .events = POLLIN }, { .fd = pk, .events = POLLIN } };

		if (!spin)
			poll(fds, 2, 100);
		netlink_events(nl, ifindex);
		packets(pk);
	}
	fflush(stdout);
	return 0;
}
