/* The loop guard "fwmark" (doc/ipvs.md): while the host directs an instance, rules in
 * lvsrole's own nftables table mark the traffic to the instance's VIPs with its fwmark, and
 * keepalived's `virtual_server fwmark N` balances only marked packets. In the real-server
 * role the rules are gone: what a director forwards to the host is delivered locally, never
 * balanced again (the two-box loop). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

#define LR_GUARD_TABLE "lvsrole"
#define LR_GUARD_CHAIN "guard"

/* What lvsrole's table holds for an instance. */
enum lr_guard_seen {
	LR_GUARD_ABSENT,     /* no rule of the instance */
	LR_GUARD_EXACT,      /* its rules, as its configuration asks */
	LR_GUARD_STALE,      /* rules of the instance, not the configured ones */
	LR_GUARD_UNREADABLE, /* the table could not be read */
};

struct lr_guard_read {
	enum lr_guard_seen *seen; /* per cfg->inst */
	size_t orphans;           /* rules of no instance with the fwmark guard */
	bool table;               /* the table exists (perhaps empty) */
	int err;                  /* the read failed: why (msg) */
	char msg[160];
};

/* Whether the host needs to look at lvsrole's table: an instance has the fwmark guard, or
 * lvsrole created the table in this boot (a marker in the state directory holding the boot's
 * id), so that rules of a guard taken out of the configuration are removed. */
bool lr_guard_wanted(const struct lr_config *cfg);
/* Reads lvsrole's table into g (g->seen allocated, lr_guard_read_free). 0, or -ENOMEM. */
int lr_guard_read(const struct lr_config *cfg, struct lr_guard_read *g);
void lr_guard_read_free(struct lr_guard_read *g);
/* Makes the rules of instance i present (on) or absent, in one transaction; i < 0: removes
 * the orphans. With drop, the table goes too when no rule is left (deleting a hooked chain
 * waits for the kernel's RCU grace period, about 10 ms: not in a switch to real server, whose
 * next director switch uses the chain again). 0, or a negative errno (msg). */
int lr_guard_set(const struct lr_config *cfg, int i, bool on, bool drop, char *msg, size_t len);
