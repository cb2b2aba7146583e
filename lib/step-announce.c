/* A step that announces a VIP: a gratuitous ARP, or an unsolicited NA for IPv6 (announce.c). */
#include "config.h"
#include "step.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "announce.h"
#include "nl.h"

static void describe(const struct lr_config *cfg, const struct lr_step *s, char *buf, size_t len)
{
	char a[64];

	(void)cfg;
	lr_step_vip_str(s, a, sizeof(a));
	snprintf(buf, len, "announce %s on %s", a, s->ifname);
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
	.op = "announce", .describe = describe, .to_json = lr_step_vip_json, .run = run,
};
