/* The steps that change an address: a VIP added (or replaced: made deprecated), or removed. A
 * plan's address steps normally go to the kernel in netlink batches (exec.c); these run one
 * alone, and say how a batch's answer is read. */
#include "config.h"
#include "step.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "nl.h"
#include "sysctl.h"

void lr_step_vip_str(const struct lr_step *s, char *a, size_t len)
{
	struct lr_vip v = { .ip = s->ip, .prefix = s->prefix };

	lr_vip_str(&v, a, len);
}

static void describe(const struct lr_config *cfg, const struct lr_step *s, char *buf, size_t len)
{
	char a[64];

	(void)cfg;
	lr_step_vip_str(s, a, sizeof(a));
	if (s->kind == LR_STEP_ADDR_ADD)
		snprintf(buf, len, "add %s to %s", a, s->ifname);
	else if (s->kind == LR_STEP_ADDR_DEL)
		snprintf(buf, len, "remove %s from %s", a, s->ifname);
	else
		snprintf(buf, len, "deprecate %s on %s (not a source address)", a, s->ifname);
}

void lr_step_vip_json(const struct lr_config *cfg, const struct lr_step *s, struct json_object *o)
{
	char a[64];

	(void)cfg;
	lr_step_vip_str(s, a, sizeof(a));
	json_object_object_add(o, "address", json_object_new_string(a));
	json_object_object_add(o, "dev", json_object_new_string(s->ifname));
}

/* An address added meanwhile by someone else, or already gone: what the step wanted is so. */
static int goal_met(const struct lr_step *s, int r)
{
	if ((r == -EEXIST && s->kind == LR_STEP_ADDR_ADD) ||
	    ((r == -EADDRNOTAVAIL || r == -ENOENT) && s->kind == LR_STEP_ADDR_DEL))
		return 0;
	return r;
}

/* EACCES for an IPv6 address is the kernel's answer on an interface with IPv6 disabled, not a
 * lack of privilege: said as such (and no "not permitted" exit). */
static int v6_disabled(struct lr_step *s, int r)
{
	int off = 0;

	if (r != -EACCES || s->ip.family != AF_INET6 || s->kind == LR_STEP_ADDR_DEL ||
	    lr_sysctl_conf6_read(s->ifname, "disable_ipv6", &off) < 0 || !off)
		return r;
	snprintf(s->msg, sizeof(s->msg), "IPv6 is disabled on %s (net.ipv6.conf.%s.disable_ipv6 = 1)",
		 s->ifname, s->ifname);
	return -EAFNOSUPPORT;
}

int lr_step_addr_result(struct lr_step *s, int err, const char *kmsg)
{
	int r = goal_met(s, err);

	if (r < 0)
		snprintf(s->msg, sizeof(s->msg), "%s%s", kmsg, r == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
	return v6_disabled(s, r);
}

/* Deletes an IPv4 primary that has secondaries with promote_secondaries set for the moment
 * of the delete: without it the kernel deletes the host's other addresses of that subnet,
 * and their routes, with it. The setting is put back; a crash in between leaves it at 1,
 * which only changes what deleting a primary does. */
static int del_keeping_secondaries(struct lr_nl *nl, struct lr_step *s)
{
	int was = 1, r = lr_sysctl_conf_read(s->ifname, "promote_secondaries", &was);

	if (r == 0 && was == 0)
		r = lr_sysctl_conf_write(s->ifname, "promote_secondaries", 1);
	if (r < 0) {
		snprintf(s->msg, sizeof(s->msg), "kept: the host's addresses in its subnet would go with it, "
			 "and %s.promote_secondaries cannot be set: %s", s->ifname, strerror(-r));
		return r;
	}
	r = lr_nl_addr_del(nl, s->ifname, &s->ip, s->prefix, s->msg, sizeof(s->msg));
	if (was == 0) {
		int e = lr_sysctl_conf_write(s->ifname, "promote_secondaries", 0);

		if (e < 0)
			log_warn_errno(e, "%s: cannot put promote_secondaries back to 0", s->ifname);
	}
	return r;
}

static int run(const struct lr_step_env *env, struct lr_step *s)
{
	int r;

	if (s->kind == LR_STEP_ADDR_DEL)
		r = s->keep_secondaries ? del_keeping_secondaries(env->nl, s)
					: lr_nl_addr_del(env->nl, s->ifname, &s->ip, s->prefix, s->msg, sizeof(s->msg));
	else
		r = lr_nl_addr_add(env->nl, s->ifname, &s->ip, s->prefix, s->kind == LR_STEP_ADDR_UPDATE,
				   s->msg, sizeof(s->msg));
	r = goal_met(s, r);
	if (r == -EPERM)
		snprintf(s->msg + strlen(s->msg), sizeof(s->msg) - strlen(s->msg), " (needs CAP_NET_ADMIN)");
	return v6_disabled(s, r);
}

const struct lr_step_ops lr_step_addr_add_ops = {
	.op = "addr_add", .verb = "added", .what = "address(es) to", .batched = true,
	.describe = describe, .to_json = lr_step_vip_json, .run = run,
};
const struct lr_step_ops lr_step_addr_del_ops = {
	.op = "addr_del", .verb = "removed", .what = "address(es) from", .batched = true,
	.describe = describe, .to_json = lr_step_vip_json, .run = run,
};
const struct lr_step_ops lr_step_addr_update_ops = {
	.op = "addr_deprecate", .verb = "deprecated", .what = "address(es) on", .batched = true,
	.describe = describe, .to_json = lr_step_vip_json, .run = run,
};
