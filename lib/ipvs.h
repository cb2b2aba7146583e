/* What the kernel's IPVS holds in this network namespace (generic netlink, as ipvsadm and
 * keepalived read it), and the virtual services the configured loop guards leave open to the
 * two-box loop (doc/ipvs.md). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "util.h"

struct lr_ipvs_service {
	uint8_t proto;   /* 0 for a fwmark service */
	struct lr_ip ip; /* the virtual address (none for a fwmark service) */
	uint16_t port;
	uint32_t fwmark;
};

struct lr_ipvs {
	bool loaded; /* IPVS is in the kernel (/proc/net/ip_vs exists) */
	struct lr_ipvs_service *svc;
	size_t n_svc;
	unsigned sync_state; /* the sync daemons running: 1 master, 2 backup */
};

/* Reads the services and sync daemons. Without IPVS in the kernel: loaded false and nothing
 * else, and IPVS is not loaded as a side effect. 0, or a negative errno with msg. */
int lr_ipvs_read(struct lr_ipvs *out, char *msg, size_t len);
void lr_ipvs_free(struct lr_ipvs *ipvs);

/* "TCP 10.0.0.50:80", "TCP [2001:db8::50]:80" or "FWM 1" */
const char *lr_ipvs_service_str(const struct lr_ipvs_service *s, char *buf, size_t len);

/* A virtual service of a VIP of instance inst that its loop guard does not cover: in the
 * real-server role it balances again what the director forwards (the loop). */
struct lr_ipvs_risk {
	size_t inst;
	size_t svc; /* index in lr_ipvs.svc */
};
/* The loop risks (malloc'd array, *n of them) of the configuration against ipvs. */
int lr_ipvs_risks(const struct lr_config *cfg, const struct lr_ipvs *ipvs, struct lr_ipvs_risk **out,
		  size_t *n);
/* What to tell an operator of a risk, in buf. */
const char *lr_ipvs_risk_text(const struct lr_config *cfg, const struct lr_ipvs *ipvs,
			      const struct lr_ipvs_risk *r, char *buf, size_t len);
