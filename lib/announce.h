/* Gratuitous ARP and unsolicited Neighbour Advertisements for a VIP on a NIC. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct lr_announcer;

struct lr_announcer *lr_announcer_new(void);
void lr_announcer_free(struct lr_announcer *an);
/* One announcement of ip from (ifindex, mac): ARP request and/or reply with sender = target =
 * VIP and a broadcast target MAC; IPv6: NA to ff02::1 with Override set and our MAC. Returns 0
 * or a negative errno with the reason in err. */
int lr_announce(struct lr_announcer *an, int ifindex, const uint8_t mac[6], const struct lr_ip *ip,
		enum lr_arp_op op, char *err, size_t errlen);
