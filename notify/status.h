/* `lvsrole-notify status`: recorded roles, what the kernel shows, and the drift between. */
#pragma once
#include <stdbool.h>

#include "conf.h"

/* Prints the status; returns an exit code (0 converged, 7 drift, others on errors). */
int lr_status(const struct lr_config *cfg, bool json);
