/* net.ipv4.conf.<iface>.arp_ignore / arp_announce under /proc/sys. */
#pragma once
#include "conf.h"

int lr_sysctl_read(const char *ifname, enum lr_sysctl_key key, int *value);
int lr_sysctl_write(const char *ifname, enum lr_sysctl_key key, int value);
