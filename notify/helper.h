/* lvsrole-deliver: lvsrole-notify's HTTP side (libcurl, OpenSSL) as a program of its own.
 * Loading those libraries costs some 6 ms of CPU per exec, more than a whole switch of a few
 * VIPs, so lvsrole-notify never links them: it runs lvsrole-deliver for check, webhook test
 * and flush, and starts it, detached, to deliver the reports of a switch. */
#pragma once
#include "conf.h"

#define LR_HELPER_NAME "lvsrole-deliver"
/* the niceness of the delivery a switch starts (background work) */
#define LR_DELIVER_NICE 10

/* Replaces this process with lvsrole-deliver and the same arguments; returns (an exit code)
 * only if that fails. */
int lr_helper_exec(char **argv);
/* Starts `lvsrole-deliver [-v...] -c CONFIG deliver` in its own session at niceness
 * LR_DELIVER_NICE, outliving this process (and keepalived's kill of its group). Returns its pid, 0 if there is nothing to
 * deliver to, or a negative errno. */
int lr_helper_spawn_delivery(const struct lr_config *cfg, int verbose);
