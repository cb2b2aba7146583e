/* A step that announces a VIP: a gratuitous ARP, or an unsolicited NA for IPv6 (announce.c). */
#include "config.h"
#include "step.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "announce.h"
#include "nl.h"

static void describe(const struct lr_step *s, char *buf, size_t len)
{
	char a[64];
	struct lr_vip v = { .ip = s->ip, .prefix = s->prefix };

	lr_vip_str(&v, a, sizeof(a));
	snprintf(buf, len, "announce %s on %s", a, s->ifname);
}

static void to_json(const struct lr_step *s, struct json_object *o)
{
	char a[64];
	struct lr_vip v = { .ip = s->ip, .prefix = s->prefix };

	lr_vip_str(&v, a, sizeof(a));
	json_object_object_add(o, "address", json_object_new_string(a));
	json_object_object_add(o, "dev", json_object_new_string(s->ifname));
}

static int run(const struct lr_step_env *env, struct lr_step *s)
{
	uint8_t mac[6];
	int ifindex = lr_nl_ifindex(env->nl, s->ifname);
	int r = ifindex < 0 ? ifindex : lr_nl_hwaddr(env->nl, s->ifname, mac);

	if (r < 0) {
		snprintf(s->msg, sizeof(s->msg), "%s", r == -EAFNOSUPPORT ? "the NIC has no Ethernet address" : strerror(-r));
		return r;
	}
	return lr_announce(env->an, ifindex, mac, &s->ip, env->cfg->announce_op, s->msg, sizeof(s->msg));
}

/* announcements are not changes: no summary line */
const struct lr_step_ops lr_step_announce_ops = {
	.op = "announce", .describe = describe, .to_json = to_json, .run = run,
};
