/* lvsrole-notify's webhook side: reporting a switch, and the operator's commands. */
#pragma once
#include "cli.h"
#include "conf.h"
#include "report.h"
#include "switch.h"

/* After the switch: commit its events, then leave delivery to lvsrole-deliver in its own
 * session (it outlives keepalived's kill of the notify's process group), bounded by the
 * deadline. */
void lr_notify_report(const struct lr_config *cfg, struct lr_report *rp, const struct lr_switch *sw, int verbose);

/* The endpoint called name (NULL: all, *code 0), or NULL with *code set when there is none. */
const struct lr_endpoint *lr_webhook_pick(const struct lr_config *cfg, const char *name, int *code);
struct lr_spool;
int lr_webhook_spool_open(const struct lr_config *cfg, struct lr_spool **sp);
int lr_cmd_spool(const struct lr_config *cfg, const struct lr_cli *cli);
int lr_cmd_replay(const struct lr_config *cfg, const struct lr_cli *cli);
