/* The kinds of step a plan is made of: for each, what it does to the host and how it is told
 * (its log line, its report). One module per kind (step-addr.c, step-sysctl.c,
 * step-announce.c, step-guard.c, step-backup-only.c); a new kind is one more such module and one
 * plan phase that pushes its steps (plan.c; doc/hacking.md, "Adding a kind of step"). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "plan.h"

struct json_object;
struct lr_announcer;
struct lr_nl;

/* What a step runs with. */
struct lr_step_env {
	const struct lr_config *cfg;
	struct lr_nl *nl;
	struct lr_announcer *an;
};

struct lr_step_ops {
	const char *op;          /* the reports' "op" */
	const char *verb, *what; /* the log's summary: "added 12 address(es) to eth0" (NULL: none) */
	bool batched;            /* an address change: sent in netlink batches (exec.c) */
	/* "add 10.0.0.50/24 to eth0" */
	void (*describe)(const struct lr_config *cfg, const struct lr_step *s, char *buf, size_t len);
	/* the report's fields for it, beside "op", "result" and "error" */
	void (*to_json)(const struct lr_config *cfg, const struct lr_step *s, struct json_object *o);
	/* does it: 0, or a negative errno with the reason in s->msg */
	int (*run)(const struct lr_step_env *env, struct lr_step *s);
};

const struct lr_step_ops *lr_step_ops(enum lr_step_kind kind);

/* step-addr.c: an address change's outcome as the kernel answered it (err, its message kmsg),
 * for a step sent in a batch: an address added meanwhile or already gone is what the step
 * wanted; an IPv6 address refused on an interface with IPv6 disabled says so. */
int lr_step_addr_result(struct lr_step *s, int err, const char *kmsg);
/* The step's address as "10.0.0.50/24"; its report fields "address" and "dev" (any kind that
 * concerns one VIP on one device). */
void lr_step_vip_str(const struct lr_step *s, char *a, size_t len);
void lr_step_vip_json(const struct lr_config *cfg, const struct lr_step *s, struct json_object *o);

extern const struct lr_step_ops lr_step_sysctl_ops, lr_step_addr_add_ops, lr_step_addr_del_ops,
	lr_step_addr_update_ops, lr_step_announce_ops, lr_step_guard_ops, lr_step_backup_only_ops;
