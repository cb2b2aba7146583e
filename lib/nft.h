/* nftables through libnftables, loaded on first use (dlopen): a host without a data-path
 * rule pays nothing for it, and the library is an optional dependency. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Runs the nft commands in cmds as one transaction. With out, the output (JSON) is returned
 * in *out (malloc'd). 0, or a negative errno with the reason in msg (-ENOENT for an object
 * that does not exist; -ENOSYS when libnftables cannot be loaded). */
int lr_nft_run(const char *cmds, char **out, char *msg, size_t msglen);
/* Whether libnftables can be loaded: 0, or -ENOSYS with the reason in msg. */
int lr_nft_load(char *msg, size_t msglen);
