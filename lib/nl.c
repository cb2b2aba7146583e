/* rtnetlink through libnl-route: the one place that knows libnl and converts its errors. */
#include "config.h"
#include "nl.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct lr_nl {
	struct nl_sock *sk;
	struct nl_cache *links;
};

/* libnl's error space to errno, for exit codes and callers' decisions. */
int lr_nl_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_PERM: return -EPERM;
	case NLE_EXIST: return -EEXIST;
	case NLE_NODEV: return -ENODEV;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_NOADDR: return -EADDRNOTAVAIL;
	case NLE_NOMEM: return -ENOMEM;
	case NLE_INVAL: return -EINVAL;
	case NLE_RANGE: return -ERANGE;
	case NLE_AGAIN: return -EAGAIN;
	case NLE_BUSY: return -EBUSY;
	case NLE_AF_NOSUPPORT: return -EAFNOSUPPORT;
	case NLE_OPNOTSUPP: return -EOPNOTSUPP;
	case NLE_NOACCESS: return -EACCES;
	default: return -EIO;
	}
}

int lr_nl_open(struct lr_nl **out)
{
	struct lr_nl *nl = calloc(1, sizeof(*nl));
	int r;

	if (!nl)
		return -ENOMEM;
	nl->sk = nl_socket_alloc();
	if (!nl->sk) {
		free(nl);
		return -ENOMEM;
	}
	/* one read per answer instead of a peek and a read: a buffer big enough for the
	 * kernel's largest dump message */
	nl_socket_disable_msg_peek(nl->sk);
	nl_socket_set_msg_buf_size(nl->sk, 65536);
	r = nl_connect(nl->sk, NETLINK_ROUTE);
	if (r == 0)
		r = rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &nl->links);
	if (r < 0) {
		r = lr_nl_errno(r);
		lr_nl_close(nl);
		return r;
	}
	*out = nl;
	return 0;
}

void lr_nl_close(struct lr_nl *nl)
{
	if (!nl)
		return;
	if (nl->links)
		nl_cache_free(nl->links);
	nl_socket_free(nl->sk);
	free(nl);
}

int lr_nl_refresh_links(struct lr_nl *nl)
{
	int r = nl_cache_refill(nl->sk, nl->links);

	return r < 0 ? lr_nl_errno(r) : 0;
}

int lr_nl_ifindex(struct lr_nl *nl, const char *name)
{
	int i = rtnl_link_name2i(nl->links, name);

	return i > 0 ? i : -ENODEV;
}

int lr_nl_hwaddr(struct lr_nl *nl, const char *name, uint8_t mac[6])
{
	struct rtnl_link *link = rtnl_link_get_by_name(nl->links, name);
	struct nl_addr *a;
	int r = 0;

	if (!link)
		return -ENODEV;
	a = rtnl_link_get_addr(link);
	if (!a || nl_addr_get_len(a) != 6)
		r = -EAFNOSUPPORT;
	else
		memcpy(mac, nl_addr_get_binary_addr(a), 6);
	rtnl_link_put(link);
	return r;
}

int lr_nl_link_running(struct lr_nl *nl, const char *name)
{
	struct rtnl_link *link = rtnl_link_get_by_name(nl->links, name);
	unsigned flags;

	if (!link)
		return -ENODEV;
	flags = rtnl_link_get_flags(link);
	rtnl_link_put(link);
	return (flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING);
}

/* keepalived's use_vmac: a macvlan whose address is a VRRP virtual router MAC,
 * 00:00:5e:00:01:VRID (IPv4) or 00:00:5e:00:02:VRID (IPv6), RFC 5798 section 7.3. */
static bool is_vmac(struct rtnl_link *l)
{
	const char *type = rtnl_link_get_type(l);
	struct nl_addr *a = rtnl_link_get_addr(l);
	const uint8_t *m;

	if (!type || strcmp(type, "macvlan") || !a || nl_addr_get_len(a) != 6)
		return false;
	m = nl_addr_get_binary_addr(a);
	return m[0] == 0 && m[1] == 0 && m[2] == 0x5e && m[3] == 0 && (m[4] == 1 || m[4] == 2);
}

bool lr_nl_vmac_of(struct lr_nl *nl, const char *name, char *vmac, size_t len)
{
	int idx = rtnl_link_name2i(nl->links, name);

	if (idx <= 0)
		return false;
	for (struct nl_object *o = nl_cache_get_first(nl->links); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;

		if (is_vmac(l) && (rtnl_link_get_ifindex(l) == idx || rtnl_link_get_link(l) == idx)) {
			snprintf(vmac, len, "%s", rtnl_link_get_name(l));
			return true;
		}
	}
	return false;
}

int lr_nl_addrs(struct lr_nl *nl, struct lr_kaddr **out, size_t *n)
{
	struct nl_cache *cache;
	struct nl_object *o;
	struct lr_kaddr *v;
	size_t k = 0;
	int r = rtnl_addr_alloc_cache(nl->sk, &cache);

	if (r < 0)
		return lr_nl_errno(r);
	v = calloc((size_t)nl_cache_nitems(cache) + 1, sizeof(*v));
	if (!v) {
		nl_cache_free(cache);
		return -ENOMEM;
	}
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(a);
		int fam = rtnl_addr_get_family(a);
		struct lr_kaddr *e = &v[k];

		if (!local || (fam != AF_INET && fam != AF_INET6))
			continue;
		if (nl_addr_get_len(local) != (fam == AF_INET ? 4u : 16u))
			continue;
		e->ip.family = fam;
		memcpy(e->ip.bytes, nl_addr_get_binary_addr(local), nl_addr_get_len(local));
		e->ifindex = rtnl_addr_get_ifindex(a);
		e->prefix = (uint8_t)rtnl_addr_get_prefixlen(a);
		e->nodad = rtnl_addr_get_flags(a) & IFA_F_NODAD;
		e->secondary = fam == AF_INET && (rtnl_addr_get_flags(a) & IFA_F_SECONDARY);
		e->tentative = fam == AF_INET6 && (rtnl_addr_get_flags(a) & IFA_F_TENTATIVE);
		e->dadfailed = fam == AF_INET6 && (rtnl_addr_get_flags(a) & IFA_F_DADFAILED);
		e->deprecated = fam == AF_INET6 && rtnl_addr_get_preferred_lifetime(a) == 0;
		if (!rtnl_link_i2name(nl->links, e->ifindex, e->ifname, sizeof(e->ifname)))
			snprintf(e->ifname, sizeof(e->ifname), "if%d", e->ifindex);
		k++;
	}
	nl_cache_free(cache);
	*out = v;
	*n = k;
	return 0;
}

static struct rtnl_addr *build(struct lr_nl *nl, const char *ifname, const struct lr_ip *ip,
			       uint8_t prefix, int *err)
{
	struct rtnl_addr *a;
	struct nl_addr *local;
	int ifindex = lr_nl_ifindex(nl, ifname);

	if (ifindex < 0) {
		/* the link table may be older than the interface */
		if (lr_nl_refresh_links(nl) == 0)
			ifindex = lr_nl_ifindex(nl, ifname);
		if (ifindex < 0) {
			*err = -ENODEV;
			return NULL;
		}
	}
	a = rtnl_addr_alloc();
	local = nl_addr_build(ip->family, ip->bytes, lr_ip_len(ip));
	if (!a || !local) {
		rtnl_addr_put(a);
		nl_addr_put(local);
		*err = -ENOMEM;
		return NULL;
	}
	nl_addr_set_prefixlen(local, prefix);
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_family(a, ip->family);
	rtnl_addr_set_local(a, local);
	rtnl_addr_set_prefixlen(a, prefix);
	nl_addr_put(local);
	return a;
}

static int report(int nle, char *err, size_t errlen)
{
	int r = lr_nl_errno(nle);

	snprintf(err, errlen, "%s", r == -ENODEV ? strerror(ENODEV) : nl_geterror(nle));
	return r;
}

static void v6_flags(struct rtnl_addr *a, const struct lr_ip *ip)
{
	if (ip->family == AF_INET6) {
		rtnl_addr_set_flags(a, IFA_F_NODAD);
		rtnl_addr_set_valid_lifetime(a, 0xffffffffu);
		rtnl_addr_set_preferred_lifetime(a, 0);
	}
}

int lr_nl_addr_add(struct lr_nl *nl, const char *ifname, const struct lr_ip *ip, uint8_t prefix,
		   bool replace, char *err, size_t errlen)
{
	int r = 0;
	struct rtnl_addr *a = build(nl, ifname, ip, prefix, &r);

	if (!a) {
		snprintf(err, errlen, "%s", strerror(-r));
		return r;
	}
	v6_flags(a, ip);
	r = rtnl_addr_add(nl->sk, a, replace ? NLM_F_REPLACE : 0);
	rtnl_addr_put(a);
	return r < 0 ? report(r, err, errlen) : 0;
}

int lr_nl_addr_del(struct lr_nl *nl, const char *ifname, const struct lr_ip *ip, uint8_t prefix,
		   char *err, size_t errlen)
{
	int r = 0;
	struct rtnl_addr *a = build(nl, ifname, ip, prefix, &r);

	if (!a) {
		snprintf(err, errlen, "%s", strerror(-r));
		return r;
	}
	r = rtnl_addr_delete(nl->sk, a, 0);
	rtnl_addr_put(a);
	return r < 0 ? report(r, err, errlen) : 0;
}

/* Builds op's request into buf (NLMSG-aligned, with seq); returns its length or an error. */
static int build_op(struct lr_nl *nl, const struct lr_nl_op *op, uint32_t seq, char *buf, size_t cap)
{
	struct rtnl_addr *a;
	struct nl_msg *m = NULL;
	struct nlmsghdr *h;
	int r = 0;

	a = build(nl, op->ifname, op->ip, op->prefix, &r);
	if (!a)
		return r;
	if (!op->del)
		v6_flags(a, op->ip);
	r = op->del ? rtnl_addr_build_delete_request(a, 0, &m)
		    : rtnl_addr_build_add_request(a, op->replace ? NLM_F_REPLACE : 0, &m);
	rtnl_addr_put(a);
	if (r < 0)
		return lr_nl_errno(r);
	h = nlmsg_hdr(m);
	h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = seq;
	r = NLMSG_ALIGN(h->nlmsg_len) <= cap ? (int)NLMSG_ALIGN(h->nlmsg_len) : -EMSGSIZE;
	if (r > 0)
		memcpy(buf, h, h->nlmsg_len);
	nlmsg_free(m);
	return r;
}

void lr_nl_addr_batch(struct lr_nl *nl, struct lr_nl_op *ops, size_t n)
{
	/* our own sequence numbers, read back by us: libnl's counters stay as they were */
	static uint32_t next = 0x40000000u;
	/* an answer is an ack, or an error quoting the request: well under a page each */
	char req[LR_NL_BATCH * 128], ans[8192];
	bool waiting[LR_NL_BATCH] = { false };
	size_t len = 0, left = 0;
	uint32_t base = next;
	int fd = nl_socket_get_fd(nl->sk);

	n = n > LR_NL_BATCH ? LR_NL_BATCH : n;
	next += LR_NL_BATCH;
	for (size_t i = 0; i < n; i++) {
		int r = build_op(nl, &ops[i], base + (uint32_t)i, req + len, sizeof(req) - len);

		ops[i].err = r < 0 ? r : 0;
		if (r < 0)
			continue;
		len += (size_t)r;
		waiting[i] = true;
		left++;
	}
	if (left && nl_sendto(nl->sk, req, len) < 0) {
		for (size_t i = 0; i < n; i++)
			if (waiting[i])
				ops[i].err = -EIO;
		left = 0;
	}
	while (left) {
		ssize_t got = recv(fd, ans, sizeof(ans), 0);
		int rest;

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) { /* the answers are lost (ENOBUFS): say so for each */
			for (size_t i = 0; i < n; i++)
				if (waiting[i])
					ops[i].err = got < 0 ? -errno : -EIO;
			break;
		}
		rest = (int)got;
		for (struct nlmsghdr *h = (struct nlmsghdr *)ans; nlmsg_ok(h, rest); h = nlmsg_next(h, &rest)) {
			size_t i = h->nlmsg_seq - base;

			if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq < base || i >= n || !waiting[i])
				continue;
			ops[i].err = ((struct nlmsgerr *)nlmsg_data(h))->error;
			waiting[i] = false;
			left--;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (ops[i].err)
			snprintf(ops[i].msg, sizeof(ops[i].msg), "%s", strerror(-ops[i].err));
}

/* ---- address and link change notifications ---- */

struct lr_nl_monitor {
	struct nl_sock *sk;
	unsigned seen;
};

static int count_msg(struct nl_msg *msg, void *arg)
{
	struct lr_nl_monitor *m = arg;

	(void)msg;
	m->seen++;
	return NL_OK;
}

int lr_nl_monitor_open(struct lr_nl_monitor **out)
{
	struct lr_nl_monitor *m = calloc(1, sizeof(*m));
	int r = -ENOMEM;

	if (!m || !(m->sk = nl_socket_alloc()))
		goto fail;
	nl_socket_disable_seq_check(m->sk);
	r = nl_socket_modify_cb(m->sk, NL_CB_VALID, NL_CB_CUSTOM, count_msg, m);
	if (r == 0)
		r = nl_connect(m->sk, NETLINK_ROUTE);
	if (r == 0)
		r = nl_socket_add_memberships(m->sk, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, 0);
	if (r == 0)
		r = nl_socket_set_nonblocking(m->sk);
	if (r == 0)
		r = nl_socket_set_buffer_size(m->sk, 1 << 20, 0);
	if (r < 0) {
		r = lr_nl_errno(r);
		goto fail;
	}
	*out = m;
	return 0;
fail:
	lr_nl_monitor_close(m);
	return r;
}

int lr_nl_monitor_fd(const struct lr_nl_monitor *m)
{
	return nl_socket_get_fd(m->sk);
}

int lr_nl_monitor_drain(struct lr_nl_monitor *m)
{
	int r, lost = 0;

	m->seen = 0;
	for (int i = 0; i < 4096; i++) {
		r = nl_recvmsgs_default(m->sk);
		if (r == -NLE_AGAIN)
			break;
		if (r < 0 && r != -NLE_INTR)
			lost = 1; /* overrun (ENOBUFS) or a bad message: something changed, look again */
	}
	return (int)m->seen + lost;
}

void lr_nl_monitor_close(struct lr_nl_monitor *m)
{
	if (!m)
		return;
	nl_socket_free(m->sk);
	free(m);
}

bool lr_nl_local_mac(struct lr_nl *nl, const uint8_t mac[6])
{
	for (struct nl_object *o = nl_cache_get_first(nl->links); o; o = nl_cache_get_next(o)) {
		struct nl_addr *a = rtnl_link_get_addr((struct rtnl_link *)o);

		if (a && nl_addr_get_len(a) == 6 && !memcmp(nl_addr_get_binary_addr(a), mac, 6))
			return true;
	}
	return false;
}
