/* A step that writes net.ipv4.vs.backup_only (the loop guard "backup_only", doc/ipvs.md). */
#include "config.h"
#include "step.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "ipvs.h"
#include "sysctl.h"

static void describe(const struct lr_config *cfg, const struct lr_step *s, char *buf, size_t len)
{
	(void)cfg;
	if (s->before < 0)
		snprintf(buf, len, "set net.ipv4.vs.backup_only ? -> %d", s->after);
	else
		snprintf(buf, len, "set net.ipv4.vs.backup_only %d -> %d", s->before, s->after);
}

static void to_json(const struct lr_config *cfg, const struct lr_step *s, struct json_object *o)
{
	(void)cfg;
	json_object_object_add(o, "key", json_object_new_string("net.ipv4.vs.backup_only"));
	json_object_object_add(o, "from", s->before < 0 ? NULL : json_object_new_int(s->before));
	json_object_object_add(o, "to", json_object_new_int(s->after));
}

/* IPVS not loaded yet (keepalived loads it with its first virtual server or sync daemon):
 * loaded here, as the guard needs its setting before a service can balance. */
static int run(const struct lr_step_env *env, struct lr_step *s)
{
	int r = lr_sysctl_backup_only_write(s->after);

	(void)env;
	if (r == -ENOENT && (r = lr_ipvs_load(s->msg, sizeof(s->msg))) == 0)
		r = lr_sysctl_backup_only_write(s->after);
	if (r < 0 && !s->msg[0])
		snprintf(s->msg, sizeof(s->msg), "%s%s", strerror(-r),
			 r == -EACCES || r == -EPERM ? " (needs root or CAP_NET_ADMIN)" : "");
	return r;
}

const struct lr_step_ops lr_step_backup_only_ops = {
	.op = "backup_only", .verb = "set", .what = "IPVS setting(s) in",
	.describe = describe, .to_json = to_json, .run = run,
};
