/* Reading the host: the configured VIPs among the kernel's addresses (with what the plan needs
 * to know of each: primary or secondary, DAD, preference), the ARP sysctls and their
 * originals, keepalived's VMACs. */
#include "config.h"
#include "host.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysctl.h"

static int ip_order(const void *x, const void *y)
{
	return lr_ip_cmp(x, y);
}

/* b is an IPv4 secondary of primary a: same interface, same prefix, same subnet. */
static bool secondary_of(const struct lr_kaddr *a, const struct lr_kaddr *b)
{
	uint32_t x, y, mask = a->prefix ? ~0u << (32 - a->prefix) : 0;

	if (b == a || !b->secondary || b->ip.family != AF_INET || b->ifindex != a->ifindex ||
	    b->prefix != a->prefix)
		return false;
	memcpy(&x, a->ip.bytes, 4);
	memcpy(&y, b->ip.bytes, 4);
	return ((ntohl(x) ^ ntohl(y)) & mask) == 0;
}

/* Marks the IPv4 VIPs that are the primary address of a subnet holding other addresses:
 * deleting one deletes the host's own secondaries and their routes with it. */
static void mark_primaries(struct lr_kaddr *all, size_t n, const struct lr_ip *vips, size_t nv)
{
	for (size_t i = 0; i < n; i++) {
		if (all[i].ip.family != AF_INET || all[i].secondary ||
		    !bsearch(&all[i].ip, vips, nv, sizeof(*vips), ip_order))
			continue;
		for (size_t j = 0; j < n && !all[i].has_secondaries; j++)
			all[i].has_secondaries = secondary_of(&all[i], &all[j]);
	}
}

/* An address the kernel would pick as the source of the host's own global IPv6 traffic in
 * preference to a deprecated VIP: global scope (not link-local, loopback or site-local),
 * preferred, and past duplicate address detection. */
static bool own_v6_source(const struct lr_kaddr *a)
{
	const uint8_t *b = a->ip.bytes;

	if (a->ip.family != AF_INET6 || a->deprecated || a->tentative || a->dadfailed)
		return false;
	if (IN6_IS_ADDR_LOOPBACK(&a->ip.v6) || IN6_IS_ADDR_MULTICAST(&a->ip.v6))
		return false;
	return !(b[0] == 0xfe && (b[1] & 0x80)); /* fe80::/10 link-local, fec0::/10 site-local */
}

const struct lr_kaddr *lr_host_v6_source_vip(const struct lr_config *cfg, const struct lr_host *host)
{
	if (host->v6_own_source)
		return NULL;
	for (size_t i = 0; i < host->n_addrs; i++)
		for (size_t j = 0; host->addrs[i].ip.family == AF_INET6 && j < cfg->n_inst; j++)
			if (!strcmp(host->addrs[i].ifname, cfg->inst[j].nic))
				return &host->addrs[i];
	return NULL;
}

/* One interface's ARP sysctls, their originals, and whether keepalived made it a VMAC. */
static void read_sysctls(const char *ifname, struct lr_nl *nl, struct lr_state *st, struct lr_host_sysctl *h)
{
	struct lr_saved_sysctl *sv = st ? lr_state_saved(st, ifname, false) : NULL;

	lr_nl_vmac_of(nl, ifname, h->vmac, sizeof(h->vmac));
	for (int key = 0; key < LR_SYSCTL__COUNT; key++) {
		int v, e = lr_sysctl_read(ifname, key, &v);

		h->cur[key] = e < 0 ? e : v;
		h->saved[key] = sv ? sv->values[key] : -1;
		/* the originals are what lvsrole finds the first time it looks in this boot (the
		 * boot applied the operator's own values): an arp_ignore of 1 kept for hardening
		 * comes back in the director role */
		if (st && h->saved[key] < 0 && e == 0 && (sv || (sv = lr_state_saved(st, ifname, true))))
			sv->values[key] = h->saved[key] = v;
	}
}

const char *lr_host_v6_source_warning(const struct lr_ip *ip, const char *ifname, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, len, "%s on %s: the host has no global IPv6 address of its own, so the kernel uses this "
		 "VIP as the source of its IPv6 connections (health checks of real servers too): give the NIC "
		 "an address", lr_ip_str(ip, a, sizeof(a)), ifname);
	return buf;
}

/* net.ipv4.vs.backup_only, when an instance has the guard "backup_only" or its original was
 * recorded (the guard left the configuration: the original goes back); the value found at
 * the first look is the original. */
static void read_backup_only(const struct lr_config *cfg, struct lr_state *st, struct lr_host *host)
{
	bool wanted = st && st->backup_only_known;
	int v = 0, r;

	for (size_t i = 0; i < cfg->n_inst; i++)
		wanted |= cfg->inst[i].ipvs.guard == LR_GUARD_BACKUP_ONLY;
	if (!wanted)
		return;
	r = lr_sysctl_backup_only_read(&v);
	host->backup_only_read = true;
	host->backup_only = r < 0 ? r : v;
	if (st && !st->backup_only_known && r == 0) {
		st->backup_only_known = true;
		st->backup_only_saved = v;
	}
	host->backup_only_saved = st && st->backup_only_known ? st->backup_only_saved : -1;
}

const char *lr_host_rs_dev_warning(struct lr_nl *nl, const char *dev, char *buf, size_t len)
{
	int all = 0, own = 0, up;

	if (!strcmp(dev, "lo"))
		return NULL;
	up = lr_nl_refresh_links(nl) < 0 ? -EIO : lr_nl_link_running(nl, dev);
	if (up <= 0) {
		snprintf(buf, len, "%s: the real-server device %s: packets tunnelled to this host are lost%s", dev,
			 up == -ENODEV ? "does not exist (LVS-TUN: load ipip)" : up < 0 ? "cannot be read" : "is down",
			 up == -ENODEV ? "" : " (bring it up)");
		return buf;
	}
	if (lr_sysctl_conf_read("all", "rp_filter", &all) < 0 || lr_sysctl_conf_read(dev, "rp_filter", &own) < 0 ||
	    (all > own ? all : own) != 1)
		return NULL;
	snprintf(buf, len, "%s: rp_filter is strict (1; all=%d, %s=%d): the kernel drops the packets tunnelled to this "
		 "host, whose clients are routed by another interface: set net.ipv4.conf.all.rp_filter and "
		 "net.ipv4.conf.%s.rp_filter to 2 (loose) or 0", dev, all, dev, own, dev);
	return buf;
}

int lr_host_read(const struct lr_config *cfg, struct lr_nl *nl, struct lr_state *st, struct lr_host *host)
{
	struct lr_kaddr *all;
	struct lr_ip *vips;
	size_t n, k = 0, nv = 0;
	bool own_source = false;
	int r;

	memset(host, 0, sizeof(*host));
	for (size_t i = 0; i < cfg->n_inst; i++)
		nv += cfg->inst[i].n_vips;
	/* the configured VIPs sorted, so that picking them out of the host's addresses takes
	 * N log N, not N times M */
	vips = calloc(nv + 1, sizeof(*vips));
	if (!vips)
		return -ENOMEM;
	nv = 0;
	for (size_t i = 0; i < cfg->n_inst; i++)
		for (size_t j = 0; j < cfg->inst[i].n_vips; j++)
			vips[nv++] = cfg->inst[i].vips[j].ip;
	qsort(vips, nv, sizeof(*vips), ip_order);
	r = lr_nl_addrs(nl, &all, &n);
	if (r < 0) {
		free(vips);
		return r;
	}
	mark_primaries(all, n, vips, nv);
	/* keep only the VIPs: the plan looks at nothing else */
	for (size_t i = 0; i < n; i++)
		if (bsearch(&all[i].ip, vips, nv, sizeof(*vips), ip_order))
			all[k++] = all[i];
		else
			own_source |= own_v6_source(&all[i]);
	free(vips);
	host->addrs = all;
	host->n_addrs = k;
	host->v6_own_source = own_source;
	host->sys = calloc(cfg->n_sysctl_ifaces + 1, sizeof(*host->sys));
	if (!host->sys) {
		lr_host_free(host);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_sysctl_ifaces; i++)
		read_sysctls(cfg->sysctl_ifaces[i], nl, st, &host->sys[i]);
	read_backup_only(cfg, st, host);
	if (lr_guard_wanted(cfg) && (r = lr_guard_read(cfg, &host->guard)) < 0) {
		lr_host_free(host);
		return r;
	}
	return 0;
}

void lr_host_free(struct lr_host *host)
{
	free(host->addrs);
	free(host->sys);
	lr_guard_read_free(&host->guard);
	memset(host, 0, sizeof(*host));
}

void lr_roles_from_state(const struct lr_config *cfg, struct lr_state *st, enum lr_role *roles)
{
	for (size_t i = 0; i < cfg->n_inst; i++) {
		struct lr_record *r = lr_state_find(st, cfg->inst[i].name);

		roles[i] = r ? r->role : LR_ROLE_UNKNOWN;
	}
}
