/* The kernel's addresses and links, over one rtnetlink socket (libnl-route). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct lr_nl;

/* An address as the kernel shows it. */
struct lr_kaddr {
	char ifname[LR_IFNAMSIZ];
	int ifindex;
	struct lr_ip ip;
	uint8_t prefix;
	bool deprecated; /* IPv6 preferred lifetime 0 */
	bool nodad;
	bool secondary; /* IPv4: not the first address of its subnet on the interface */
	/* IPv6 duplicate address detection still running, or failed: the kernel does not answer
	 * for the address and does not use it */
	bool tentative, dadfailed;
	/* IPv4 primary with secondaries: deleting it deletes them too unless the kernel is told
	 * to promote one (set by lr_host_read, which sees the host's other addresses) */
	bool has_secondaries;
};

/* libnl's error code (NLE_*, either sign) as a negative errno. */
int lr_nl_errno(int nle);
int lr_nl_open(struct lr_nl **out);
void lr_nl_close(struct lr_nl *nl);
/* Re-reads the link table (after a change of interfaces). */
int lr_nl_refresh_links(struct lr_nl *nl);
/* Every IPv4 and IPv6 address on the host; the caller frees *out. */
int lr_nl_addrs(struct lr_nl *nl, struct lr_kaddr **out, size_t *n);
/* ifindex of name, or -ENODEV. */
int lr_nl_ifindex(struct lr_nl *nl, const char *name);
/* Ethernet address of name (-EAFNOSUPPORT when it has no 6-byte hardware address). */
int lr_nl_hwaddr(struct lr_nl *nl, const char *name, uint8_t mac[6]);
/* 1 when name is up and running (IFF_UP and IFF_RUNNING: a carrier), 0 when not, -ENODEV. */
int lr_nl_link_running(struct lr_nl *nl, const char *name);

/* Whether name is a VMAC of keepalived (use_vmac) or the parent of one, as last read; the
 * VMAC's name in vmac. keepalived sets arp_ignore 1 on both and relies on it. */
bool lr_nl_vmac_of(struct lr_nl *nl, const char *name, char *vmac, size_t len);

/* Whether mac is the address of one of the host's interfaces (as last read). */
bool lr_nl_local_mac(struct lr_nl *nl, const uint8_t mac[6]);

/* Adds ip/prefix to ifname. IPv6: without DAD and with preferred lifetime 0 so that the VIP
 * never becomes the source of the host's own traffic. replace updates an existing address.
 * On failure returns a negative errno and the kernel's reason in err. */
int lr_nl_addr_add(struct lr_nl *nl, const char *ifname, const struct lr_ip *ip, uint8_t prefix,
		   bool replace, char *err, size_t errlen);
int lr_nl_addr_del(struct lr_nl *nl, const char *ifname, const struct lr_ip *ip, uint8_t prefix,
		   char *err, size_t errlen);

/* One request of a batch: add (as lr_nl_addr_add) or delete ip/prefix on ifname. */
struct lr_nl_op {
	bool del, replace;
	const char *ifname;
	const struct lr_ip *ip;
	uint8_t prefix;
	int err;      /* out: 0 or a negative errno */
	char msg[96]; /* out: the reason, on failure */
};
#define LR_NL_BATCH 16
/* Up to LR_NL_BATCH requests in one message, the kernel's answers read together: the same
 * as one call each, without a round trip per address. Every op's err says how it went. */
void lr_nl_addr_batch(struct lr_nl *nl, struct lr_nl_op *ops, size_t n);

/* A socket subscribed to address and link changes (non-blocking), for drift detection. */
struct lr_nl_monitor;
int lr_nl_monitor_open(struct lr_nl_monitor **out);
int lr_nl_monitor_fd(const struct lr_nl_monitor *m);
/* Reads what is queued; returns how many changes were seen (a lost overrun counts as one). */
int lr_nl_monitor_drain(struct lr_nl_monitor *m);
void lr_nl_monitor_close(struct lr_nl_monitor *m);
