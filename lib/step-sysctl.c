/* A step that writes an ARP sysctl (net.ipv4.conf.IFACE.arp_ignore or arp_announce). */
#include "config.h"
#include "step.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "sysctl.h"

static void describe(const struct lr_config *cfg, const struct lr_step *s, char *buf, size_t len)
{
	(void)cfg;
	if (s->before < 0)
		snprintf(buf, len, "set %s.%s ? -> %d", s->ifname, lr_sysctl_key_name(s->key), s->after);
	else
		snprintf(buf, len, "set %s.%s %d -> %d", s->ifname, lr_sysctl_key_name(s->key), s->before, s->after);
}

static void to_json(const struct lr_config *cfg, const struct lr_step *s, struct json_object *o)
{
	char key[96];

	(void)cfg;
	snprintf(key, sizeof(key), "net.ipv4.conf.%s.%s", s->ifname, lr_sysctl_key_name(s->key));
	json_object_object_add(o, "key", json_object_new_string(key));
	json_object_object_add(o, "from", s->before < 0 ? NULL : json_object_new_int(s->before));
	json_object_object_add(o, "to", json_object_new_int(s->after));
}

static int run(const struct lr_step_env *env, struct lr_step *s)
{
	int r = lr_sysctl_write(s->ifname, s->key, s->after);

	(void)env;
	if (r < 0)
		snprintf(s->msg, sizeof(s->msg), "%s%s", strerror(-r),
			 r == -EACCES || r == -EPERM ? " (needs root or CAP_NET_ADMIN)" : "");
	return r;
}

const struct lr_step_ops lr_step_sysctl_ops = {
	.op = "sysctl", .verb = "set", .what = "sysctl(s) of",
	.describe = describe, .to_json = to_json, .run = run,
};
