/* A step that puts an instance's loop-guard rules in place or takes them away (guard.h). */
#include "config.h"
#include "step.h"

#include <json-c/json.h>
#include <stdio.h>

#include "guard.h"

static void describe(const struct lr_config *cfg, const struct lr_step *s, char *buf, size_t len)
{
	if (s->inst < 0)
		snprintf(buf, len, "remove the rules of no guarded instance from table inet %s, and the table if empty",
			 LR_GUARD_TABLE);
	else if (s->guard_on)
		snprintf(buf, len, "mark %s's traffic with fwmark %u (table inet %s)", cfg->inst[s->inst].name,
			 cfg->inst[s->inst].ipvs.fwmark, LR_GUARD_TABLE);
	else
		snprintf(buf, len, "stop marking %s's traffic (table inet %s)", cfg->inst[s->inst].name, LR_GUARD_TABLE);
}

static void to_json(const struct lr_config *cfg, const struct lr_step *s, struct json_object *o)
{
	json_object_object_add(o, "instance", s->inst < 0 ? NULL : json_object_new_string(cfg->inst[s->inst].name));
	json_object_object_add(o, "fwmark", s->inst < 0 ? NULL : json_object_new_int64(cfg->inst[s->inst].ipvs.fwmark));
	json_object_object_add(o, "marking", json_object_new_boolean(s->guard_on));
}

static int run(const struct lr_step_env *env, struct lr_step *s)
{
	return lr_guard_set(env->cfg, s->inst, s->guard_on, s->guard_drop, s->msg, sizeof(s->msg));
}

const struct lr_step_ops lr_step_guard_ops = {
	.op = "fwmark", .verb = "set", .what = "loop guard(s)",
	.describe = describe, .to_json = to_json, .run = run,
};
