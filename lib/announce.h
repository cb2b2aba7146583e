/* Gratuitous ARP and unsolicited Neighbour Advertisements for a VIP on a NIC. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct lr_announcer;

struct lr_announcer *lr_announcer_new(void);
void lr_announcer_free(struct lr_announcer *an);
/* Its sockets, -1 for those not open (none until the first announcement). */
void lr_announcer_fds(const struct lr_announcer *an, int fds[2]);
/* One announcement of ip from (ifindex, mac): ARP request and/or reply with sender = target =
 * VIP and a broadcast target MAC; IPv6: NA to ff02::1 with Override set and our MAC. Returns 0
 * or a negative errno with the reason in err. */
int lr_announce(struct lr_announcer *an, int ifindex, const uint8_t mac[6], const struct lr_ip *ip,
		enum lr_arp_op op, char *err, size_t errlen);

/* An ARP probe for ip (RFC 5227: sender address 0.0.0.0, so no neighbour learns from it):
 * whoever holds ip answers it. IPv4 only. */
int lr_arp_probe(struct lr_announcer *an, int ifindex, const uint8_t mac[6], const struct lr_ip *ip);

/* Watching ARP on every interface (split brain): a non-blocking packet socket, CLOEXEC. */
struct lr_arp_seen {
	int ifindex;
	uint16_t op; /* 1 request, 2 reply */
	uint8_t sha[6];
	struct lr_ip spa, tpa;
};
int lr_arpwatch_open(void);
/* The next ARP packet received (not sent) on the socket: 1, 0 when none is queued. */
int lr_arpwatch_read(int fd, struct lr_arp_seen *out);
