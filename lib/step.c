/* The table of step kinds (step.h). */
#include "config.h"
#include "step.h"

static const struct lr_step_ops *const kinds[] = {
	[LR_STEP_SYSCTL] = &lr_step_sysctl_ops,
	[LR_STEP_ADDR_ADD] = &lr_step_addr_add_ops,
	[LR_STEP_ADDR_DEL] = &lr_step_addr_del_ops,
	[LR_STEP_ADDR_UPDATE] = &lr_step_addr_update_ops,
	[LR_STEP_ANNOUNCE] = &lr_step_announce_ops,
	[LR_STEP_GUARD] = &lr_step_guard_ops,
	[LR_STEP_BACKUP_ONLY] = &lr_step_backup_only_ops,
};

const struct lr_step_ops *lr_step_ops(enum lr_step_kind kind)
{
	return kinds[kind];
}

const char *lr_step_kind_name(enum lr_step_kind kind)
{
	return kinds[kind]->op;
}

const char *lr_step_describe(const struct lr_config *cfg, const struct lr_step *s, char *buf, size_t len)
{
	kinds[s->kind]->describe(cfg, s, buf, len);
	return buf;
}
