/* Executing a plan: its steps in order, address changes to the kernel in netlink batches, a
 * step whose prerequisite failed skipped, each step's result and message kept in it. */
#pragma once
#include <stddef.h>

#include "announce.h"
#include "conf.h"
#include "event.h"
#include "nl.h"
#include "state.h"

/* Runs ev->plan's steps from index from on (earlier ones ran already: their failures still
 * hold back what depends on them), and logs them. */
void lr_plan_execute(const struct lr_config *cfg, struct lr_nl *nl, struct lr_announcer *an,
		     struct lr_event *ev, size_t from);
/* Before a sysctl is changed for the first time, st keeps what was there. */
int lr_plan_keep_originals(struct lr_state *st, const struct lr_plan *p);
