/* Announcements: ARP over a packet socket (CAP_NET_RAW), NA over a raw ICMPv6 socket with
 * hop limit 255 and the VIP as source (the kernel fills in the checksum). */
#include "config.h"
#include "announce.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct lr_announcer {
	int pkt; /* AF_PACKET, SOCK_DGRAM, ETH_P_ARP */
	int icmp6;
};

struct arp_pkt {
	uint16_t htype, ptype;
	uint8_t hlen, plen;
	uint16_t op;
	uint8_t sha[6], spa[4], tha[6], tpa[4];
} __attribute__((packed));

struct lr_announcer *lr_announcer_new(void)
{
	struct lr_announcer *an = calloc(1, sizeof(*an));

	if (an)
		an->pkt = an->icmp6 = -1;
	return an;
}

void lr_announcer_free(struct lr_announcer *an)
{
	if (!an)
		return;
	if (an->pkt >= 0)
		close(an->pkt);
	if (an->icmp6 >= 0)
		close(an->icmp6);
	free(an);
}

void lr_announcer_fds(const struct lr_announcer *an, int fds[2])
{
	fds[0] = an ? an->pkt : -1;
	fds[1] = an ? an->icmp6 : -1;
}

static int send_arp(struct lr_announcer *an, int ifindex, const uint8_t mac[6],
		    const struct lr_ip *ip, uint16_t op, bool probe)
{
	struct arp_pkt p = {
		.htype = htons(ARPHRD_ETHER), .ptype = htons(ETH_P_IP), .hlen = 6, .plen = 4,
		.op = htons(op),
	};
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP),
		.sll_ifindex = ifindex, .sll_halen = 6,
	};

	if (an->pkt < 0) {
		an->pkt = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (an->pkt < 0)
			return -errno;
	}
	memcpy(p.sha, mac, 6);
	if (!probe)
		memcpy(p.spa, ip->bytes, 4); /* a probe asks from 0.0.0.0: it teaches nobody anything */
	memset(p.tha, probe ? 0 : 0xff, 6);
	memcpy(p.tpa, ip->bytes, 4);
	memset(to.sll_addr, 0xff, 6);
	if (sendto(an->pkt, &p, sizeof(p), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

static int send_na(struct lr_announcer *an, int ifindex, const uint8_t mac[6], const struct lr_ip *ip)
{
	struct {
		struct nd_neighbor_advert na;
		uint8_t opt_type, opt_len, mac[6];
	} __attribute__((packed)) m = { 0 };
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_scope_id = (uint32_t)ifindex };
	char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))] = { 0 };
	struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
	struct msghdr msg = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov,
			      .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	struct in6_pktinfo pi = { .ipi6_addr = ip->v6, .ipi6_ifindex = (unsigned)ifindex };

	if (an->icmp6 < 0) {
		int hops = 255;

		an->icmp6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
		if (an->icmp6 < 0)
			return -errno;
		if (setsockopt(an->icmp6, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0) {
			int r = -errno;

			/* an NA with another hop limit than 255 is dropped by receivers */
			close(an->icmp6);
			an->icmp6 = -1;
			return r;
		}
	}
	m.na.nd_na_type = ND_NEIGHBOR_ADVERT;
	m.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
	m.na.nd_na_target = ip->v6;
	m.opt_type = ND_OPT_TARGET_LINKADDR;
	m.opt_len = 1;
	memcpy(m.mac, mac, 6);
	inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	if (sendmsg(an->icmp6, &msg, 0) < 0)
		return -errno;
	return 0;
}

int lr_announce(struct lr_announcer *an, int ifindex, const uint8_t mac[6], const struct lr_ip *ip,
		enum lr_arp_op op, char *err, size_t errlen)
{
	int r = 0;

	if (ip->family == AF_INET6) {
		r = send_na(an, ifindex, mac, ip);
	} else {
		if (op & LR_ARP_REQUEST)
			r = send_arp(an, ifindex, mac, ip, ARPOP_REQUEST, false);
		if (r == 0 && (op & LR_ARP_REPLY))
			r = send_arp(an, ifindex, mac, ip, ARPOP_REPLY, false);
	}
	if (r < 0)
		snprintf(err, errlen, "%s%s", strerror(-r),
			 r == -EPERM ? " (sending announcements needs CAP_NET_RAW)" : "");
	return r;
}

int lr_arp_probe(struct lr_announcer *an, int ifindex, const uint8_t mac[6], const struct lr_ip *ip)
{
	return ip->family == AF_INET ? send_arp(an, ifindex, mac, ip, ARPOP_REQUEST, true) : -EAFNOSUPPORT;
}

int lr_arpwatch_open(void)
{
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ARP));

	return fd < 0 ? -errno : fd;
}

int lr_arpwatch_read(int fd, struct lr_arp_seen *out)
{
	for (;;) {
		struct arp_pkt p;
		struct sockaddr_ll from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, &p, sizeof(p), 0, (struct sockaddr *)&from, &flen);

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		/* our own packets and anything that is not Ethernet/IPv4 ARP */
		if (from.sll_pkttype == PACKET_OUTGOING || n < (ssize_t)sizeof(p) ||
		    p.htype != htons(ARPHRD_ETHER) || p.ptype != htons(ETH_P_IP) || p.hlen != 6 || p.plen != 4)
			continue;
		memset(out, 0, sizeof(*out));
		out->ifindex = from.sll_ifindex;
		out->op = ntohs(p.op);
		memcpy(out->sha, p.sha, 6);
		out->spa.family = out->tpa.family = AF_INET;
		memcpy(out->spa.bytes, p.spa, 4);
		memcpy(out->tpa.bytes, p.tpa, 4);
		return 1;
	}
}
