/* What the kernel shows of the configured VIPs and ARP sysctls: the plan's input, read afresh
 * by every switch, drift check and status. */
#pragma once
#include <stdbool.h>

#include "conf.h"
#include "nl.h"
#include "plan.h"
#include "state.h"

/* What the kernel shows for the configured VIPs and sysctls (saved values from st; a sysctl
 * st has no original for yet gets the value found, in st and in host). */
int lr_host_read(const struct lr_config *cfg, struct lr_nl *nl, struct lr_state *st,
		 struct lr_host *host);
void lr_host_free(struct lr_host *host);
/* An IPv6 VIP on an instance's NIC while the host has no global IPv6 address of its own:
 * the kernel makes it the source of the host's own IPv6 connections. NULL: none. */
const struct lr_kaddr *lr_host_v6_source_vip(const struct lr_config *cfg, const struct lr_host *host);
/* What to tell an operator of such a VIP (ip on ifname), in buf. */
const char *lr_host_v6_source_warning(const struct lr_ip *ip, const char *ifname, char *buf, size_t len);
/* A real-server device other than lo (tunl0 for LVS-TUN) receives what a director tunnels
 * to the host: it must be up, and reverse-path filtering must let the unwrapped packets in
 * although the route back to their clients leaves by another interface (rp_filter 0 or 2,
 * loose, on it and on "all": the kernel takes the larger). What is wrong, in buf; NULL when
 * nothing is. lvsrole leaves rp_filter to the operator (doc/ipvs.md). */
const char *lr_host_rs_dev_warning(struct lr_nl *nl, const char *dev, char *buf, size_t len);
/* The role of every configured instance as recorded in st. */
void lr_roles_from_state(const struct lr_config *cfg, struct lr_state *st, enum lr_role *roles);
