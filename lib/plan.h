/* From the role of every instance and what the kernel shows, the ordered list of changes
 * that makes the host right: pure computation, no I/O. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "guard.h"
#include "nl.h"

/* What the host shows: the VIP addresses found and the ARP sysctls. */
struct lr_host_sysctl {
	int cur[LR_SYSCTL__COUNT];   /* value, or a negative errno when unreadable */
	int saved[LR_SYSCTL__COUNT]; /* the original: found at lvsrole's first look, or -1 */
	/* a VMAC of keepalived or the parent of one (its name): keepalived set arp_ignore 1
	 * there so that each answers ARP only for its own addresses; never lowered below 1 */
	char vmac[LR_IFNAMSIZ];
};

struct lr_host {
	struct lr_kaddr *addrs;
	size_t n_addrs;
	struct lr_host_sysctl *sys; /* one per cfg->sysctl_ifaces */
	/* a preferred global IPv6 address that is no VIP: the host's own IPv6 connections leave
	 * from it, not from a VIP (deprecated, but scope outranks preference) */
	bool v6_own_source;
	/* lvsrole's nftables table, read when lr_guard_wanted (else guard.seen is NULL) */
	struct lr_guard_read guard;
	/* net.ipv4.vs.backup_only, read when an instance has the loop guard "backup_only" or
	 * lvsrole recorded its original: the value (-ENOENT: IPVS not loaded) and the original
	 * (-1: none) */
	bool backup_only_read;
	int backup_only, backup_only_saved;
};

/* The phases, in the order they run (doc/switch.md, rule 1). */
enum lr_phase {
	LR_PHASE_UNMARK = 1, /* loop guard off, before the host stops directing; backup_only (rule 13) */
	LR_PHASE_RAISE,     /* real-server sysctls, before any VIP reaches the real-server device */
	LR_PHASE_NIC_ADD,   /* director VIPs onto the NIC, each announced at once */
	LR_PHASE_MARK,      /* loop guard on, once the director's VIPs are on the NIC (rule 13) */
	LR_PHASE_NIC_DEL,   /* VIPs off the NIC */
	LR_PHASE_RS_ADD,    /* VIP /32 (/128) onto the real-server device */
	LR_PHASE_RS_DEL,    /* VIPs off the real-server device */
	LR_PHASE_RELAX,     /* director sysctls, only once no VIP is left on a real-server device */
};

enum lr_step_kind {
	LR_STEP_SYSCTL,
	LR_STEP_ADDR_ADD,
	LR_STEP_ADDR_DEL,
	LR_STEP_ADDR_UPDATE, /* IPv6 VIP present but preferred: made deprecated */
	LR_STEP_ANNOUNCE,    /* first gratuitous ARP / unsolicited NA */
	LR_STEP_GUARD,       /* an instance's loop-guard rules on or off (inst -1: orphans off) */
	LR_STEP_BACKUP_ONLY, /* net.ipv4.vs.backup_only (loop guard "backup_only") */
};

struct lr_step {
	enum lr_step_kind kind;
	enum lr_phase phase;
	int inst, vip; /* -1 for host-wide steps */
	char ifname[LR_IFNAMSIZ];
	struct lr_ip ip;
	uint8_t prefix;
	enum lr_sysctl_key key;
	int before, after; /* sysctl values; before < 0: unreadable */
	bool first_change; /* sysctl: no original recorded for this key yet: keep one */
	int dep_step;      /* index of a step that must have succeeded, or -1 */
	int dep_phase;     /* phase whose gating steps must all have succeeded, or 0 */
	bool gate;         /* its failure holds back the steps that depend on its phase */
	/* address delete: an IPv4 primary with secondaries, deleted with promote_secondaries
	 * set on its interface so that the host's other addresses and routes stay */
	bool keep_secondaries;
	bool guard_on;   /* guard: its rules made present (else absent) */
	bool guard_drop; /* guard off: and the table, if no rule is left (role none, orphans) */
	/* result, filled by the executor */
	bool done, skipped;
	int err;
	char msg[128];
};

struct lr_plan {
	struct lr_step *steps;
	size_t n, cap;
};

/* roles[i]: the role of cfg->inst[i] (LR_ROLE_UNKNOWN: leave its VIPs alone);
 * announce[i]: the instance is taking the director role now (announce even if the VIP is
 * already on the NIC). announce may be NULL. */
int lr_plan_compute(const struct lr_config *cfg, const enum lr_role *roles, const bool *announce,
		    const struct lr_host *host, struct lr_plan *plan);
void lr_plan_free(struct lr_plan *plan);
/* Number of steps that change the host (announcements are not changes). */
size_t lr_plan_changes(const struct lr_plan *plan);
/* "add 10.0.0.50/24 to eth0", "set all.arp_ignore 0 -> 1", ... (each kind's own, step.c) */
const char *lr_step_describe(const struct lr_config *cfg, const struct lr_step *s, char *buf, size_t len);
/* "sysctl", "addr_add", "addr_del", "addr_deprecate", "announce" (the reports' "op") */
const char *lr_step_kind_name(enum lr_step_kind kind);
