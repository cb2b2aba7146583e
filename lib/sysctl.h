/* net.ipv4.conf.<iface>.arp_ignore / arp_announce under /proc/sys. */
#pragma once
#include "conf.h"

int lr_sysctl_read(const char *ifname, enum lr_sysctl_key key, int *value);
int lr_sysctl_write(const char *ifname, enum lr_sysctl_key key, int value);
/* Any integer setting under net.ipv4.conf.<iface> (name: "promote_secondaries", ...): 0 to
 * 255 when read (anything else is -EBADMSG). */
int lr_sysctl_conf_read(const char *ifname, const char *name, int *value);
int lr_sysctl_conf_write(const char *ifname, const char *name, int value);
/* net.ipv4.vs.backup_only (IPVS's, per network namespace): -ENOENT while IPVS is not loaded. */
#define LR_BACKUP_ONLY_PATH "/proc/sys/net/ipv4/vs/backup_only"
int lr_sysctl_backup_only_read(int *value);
int lr_sysctl_backup_only_write(int value);
/* The same under net.ipv6.conf.<iface> (read only: "disable_ipv6", ...). */
int lr_sysctl_conf6_read(const char *ifname, const char *name, int *value);
