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
	int backup_only;     /* net.ipv4.vs.backup_only, or a negative errno */
	bool oom;            /* the table did not fit in memory */
};

/* Reads the services and sync daemons. Without IPVS in the kernel: loaded false and nothing
 * else, and IPVS is not loaded as a side effect. 0, or a negative errno with msg. */
int lr_ipvs_read(struct lr_ipvs *out, char *msg, size_t len);
void lr_ipvs_free(struct lr_ipvs *ipvs);

/* Loads IPVS (the kernel loads the module when its generic netlink family is asked for):
 * 0, or a negative errno with msg. */
int lr_ipvs_load(char *msg, size_t len);

/* "TCP 10.0.0.50:80", "TCP [2001:db8::50]:80" or "FWM 1" */
const char *lr_ipvs_service_str(const struct lr_ipvs_service *s, char *buf, size_t len);

/* A virtual service of a VIP of instance inst that its loop guard does not cover: in the
 * real-server role it balances again what the director forwards (the loop). */
enum lr_ipvs_risk_why {
	LR_RISK_UNGUARDED,  /* no guard, or "fwmark" (a mark cannot keep a VIP:port service quiet) */
	LR_RISK_NOT_SET,    /* "backup_only": net.ipv4.vs.backup_only is not 1 */
	LR_RISK_NO_SYNC,    /* "backup_only": no sync daemon runs (keepalived's lvs_sync_daemon) */
	LR_RISK_NO_BACKUP,  /* "backup_only": a real server without the backup sync daemon */
};
struct lr_ipvs_risk {
	size_t inst;
	size_t svc; /* index in lr_ipvs.svc */
	enum lr_ipvs_risk_why why;
};
/* The loop risks (malloc'd array, *n of them) of the configuration against ipvs; roles (the
 * recorded role of each instance, or NULL: not known) tell which daemon a guard needs now. */
int lr_ipvs_risks(const struct lr_config *cfg, const enum lr_role *roles, const struct lr_ipvs *ipvs,
		  struct lr_ipvs_risk **out, size_t *n);
/* What to tell an operator of a risk, in buf. */
const char *lr_ipvs_risk_text(const struct lr_config *cfg, const struct lr_ipvs *ipvs,
			      const struct lr_ipvs_risk *r, char *buf, size_t len);
