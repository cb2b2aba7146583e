/* The switch: one code path for every caller. Arrival is recorded before waiting for the
 * lock, so an event that a newer one overtook while it waited is skipped, and the host ends
 * in the role of the last event. The intended role is recorded before the kernel is touched,
 * so a crash half-way is converged by whatever runs next. */
#include "config.h"
#include "switch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "announce.h"
#include "log.h"
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
	for (size_t i = 0; i < cfg->n_sysctl_ifaces; i++) {
		struct lr_saved_sysctl *sv = st ? lr_state_saved(st, cfg->sysctl_ifaces[i], false) : NULL;

		lr_nl_vmac_of(nl, cfg->sysctl_ifaces[i], host->sys[i].vmac, sizeof(host->sys[i].vmac));

		for (int key = 0; key < LR_SYSCTL__COUNT; key++) {
			int v, e = lr_sysctl_read(cfg->sysctl_ifaces[i], key, &v);

			host->sys[i].cur[key] = e < 0 ? e : v;
			host->sys[i].saved[key] = sv ? sv->values[key] : -1;
			/* the originals are what lvsrole finds the first time it looks in this boot
			 * (the boot applied the operator's own values): an arp_ignore of 1 kept for
			 * hardening comes back in the director role */
			if (st && host->sys[i].saved[key] < 0 && e == 0 &&
			    (sv || (sv = lr_state_saved(st, cfg->sysctl_ifaces[i], true))))
				sv->values[key] = host->sys[i].saved[key] = v;
		}
	}
	return 0;
}

void lr_host_free(struct lr_host *host)
{
	free(host->addrs);
	free(host->sys);
	memset(host, 0, sizeof(*host));
}

void lr_roles_from_state(const struct lr_config *cfg, struct lr_state *st, enum lr_role *roles)
{
	for (size_t i = 0; i < cfg->n_inst; i++) {
		struct lr_record *r = lr_state_find(st, cfg->inst[i].name);

		roles[i] = r ? r->role : LR_ROLE_UNKNOWN;
	}
}

/* ---- executing a plan ---- */

/* bad: the phases (bits) with a gating step that failed or was skipped */
static bool deps_ok(const struct lr_plan *p, const struct lr_step *s, unsigned bad, char *why, size_t len)
{
	if (s->dep_step >= 0) {
		const struct lr_step *d = &p->steps[s->dep_step];

		if (d->err || d->skipped || !d->done) {
			snprintf(why, len, "skipped: step it depends on failed");
			return false;
		}
	}
	if (s->dep_phase && (bad & (1u << s->dep_phase))) {
		snprintf(why, len, "skipped: %s", s->dep_phase == LR_PHASE_RAISE
			 ? "real-server ARP sysctls could not be set; the VIP stays off the real-server device"
			 : "a VIP could not be removed from the real-server device; director sysctls would make it answer ARP");
		return false;
	}
	return true;
}

/* Deletes an IPv4 primary that has secondaries with promote_secondaries set for the moment
 * of the delete: without it the kernel deletes the host's other addresses of that subnet,
 * and their routes, with it. The setting is put back; a crash in between leaves it at 1,
 * which only changes what deleting a primary does. */
static int del_keeping_secondaries(struct lr_nl *nl, struct lr_step *s)
{
	int was = 1, r = lr_sysctl_conf_read(s->ifname, "promote_secondaries", &was);

	if (r == 0 && was == 0)
		r = lr_sysctl_conf_write(s->ifname, "promote_secondaries", 1);
	if (r < 0) {
		snprintf(s->msg, sizeof(s->msg), "kept: the host's addresses in its subnet would go with it, "
			 "and %s.promote_secondaries cannot be set: %s", s->ifname, strerror(-r));
		return r;
	}
	r = lr_nl_addr_del(nl, s->ifname, &s->ip, s->prefix, s->msg, sizeof(s->msg));
	if (was == 0) {
		int e = lr_sysctl_conf_write(s->ifname, "promote_secondaries", 0);

		if (e < 0)
			log_warn_errno(e, "%s: cannot put promote_secondaries back to 0", s->ifname);
	}
	return r;
}

/* EACCES for an IPv6 address is the kernel's answer on an interface with IPv6 disabled, not a
 * lack of privilege: said as such (and no "not permitted" exit). */
static int v6_disabled(struct lr_step *s, int r)
{
	int off = 0;

	if (r != -EACCES || s->ip.family != AF_INET6 || s->kind == LR_STEP_ADDR_DEL ||
	    lr_sysctl_conf6_read(s->ifname, "disable_ipv6", &off) < 0 || !off)
		return r;
	snprintf(s->msg, sizeof(s->msg), "IPv6 is disabled on %s (net.ipv6.conf.%s.disable_ipv6 = 1)",
		 s->ifname, s->ifname);
	return -EAFNOSUPPORT;
}

static int run_step(const struct lr_config *cfg, struct lr_nl *nl, struct lr_announcer *an,
		    struct lr_step *s)
{
	uint8_t mac[6];
	int r = -EINVAL, ifindex;

	switch (s->kind) {
	case LR_STEP_SYSCTL:
		r = lr_sysctl_write(s->ifname, s->key, s->after);
		if (r < 0)
			snprintf(s->msg, sizeof(s->msg), "%s%s", strerror(-r),
				 r == -EACCES || r == -EPERM ? " (needs root or CAP_NET_ADMIN)" : "");
		return r;
	case LR_STEP_ADDR_ADD:
	case LR_STEP_ADDR_UPDATE:
		r = lr_nl_addr_add(nl, s->ifname, &s->ip, s->prefix, s->kind == LR_STEP_ADDR_UPDATE,
				   s->msg, sizeof(s->msg));
		if (r == -EEXIST && s->kind == LR_STEP_ADDR_ADD)
			r = 0; /* added meanwhile by someone else: the goal is met */
		if (r == -EACCES)
			return v6_disabled(s, r);
		break;
	case LR_STEP_ADDR_DEL:
		r = s->keep_secondaries ? del_keeping_secondaries(nl, s)
					: lr_nl_addr_del(nl, s->ifname, &s->ip, s->prefix, s->msg, sizeof(s->msg));
		if (r == -EADDRNOTAVAIL || r == -ENOENT)
			r = 0; /* already gone */
		break;
	case LR_STEP_ANNOUNCE:
		ifindex = lr_nl_ifindex(nl, s->ifname);
		r = ifindex < 0 ? ifindex : lr_nl_hwaddr(nl, s->ifname, mac);
		if (r < 0) {
			snprintf(s->msg, sizeof(s->msg), "%s", r == -EAFNOSUPPORT
				 ? "the NIC has no Ethernet address" : strerror(-r));
			return r;
		}
		return lr_announce(an, ifindex, mac, &s->ip, cfg->announce_op, s->msg, sizeof(s->msg));
	}
	if (r == -EPERM)
		snprintf(s->msg + strlen(s->msg), sizeof(s->msg) - strlen(s->msg), " (needs CAP_NET_ADMIN)");
	return r;
}

/* A plan of more changes than this is logged as a summary per kind and device (each step
 * at debug level): a line per VIP would cost more than the switch (syslog is a send each). */
#define LOG_EACH_MAX 16

static void log_summary(const struct lr_event *ev)
{
	static const char *const verbs[] = {
		[LR_STEP_SYSCTL] = "set", [LR_STEP_ADDR_ADD] = "added", [LR_STEP_ADDR_DEL] = "removed",
		[LR_STEP_ADDR_UPDATE] = "deprecated",
	};
	static const char *const preps[] = {
		[LR_STEP_SYSCTL] = "sysctl(s) of", [LR_STEP_ADDR_ADD] = "address(es) to",
		[LR_STEP_ADDR_DEL] = "address(es) from", [LR_STEP_ADDR_UPDATE] = "address(es) on",
	};
	/* the (kind, device) groups in the order they ran; a plan touches a few devices */
	struct { const struct lr_step *first; size_t n; } g[16];
	size_t n_g = 0, len = 0;
	char line[512];

	for (size_t i = 0; i < ev->plan.n; i++) {
		const struct lr_step *s = &ev->plan.steps[i];
		size_t k = 0;

		if (s->kind == LR_STEP_ANNOUNCE || !s->done || s->err)
			continue;
		while (k < n_g && (g[k].first->kind != s->kind || strcmp(g[k].first->ifname, s->ifname)))
			k++;
		if (k == n_g) {
			if (n_g == sizeof(g) / sizeof(*g))
				continue;
			g[n_g++].first = s;
			g[k].n = 0;
		}
		g[k].n++;
	}
	for (size_t k = 0; k < n_g && len < sizeof(line) - 64; k++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s %zu %s %s", len ? ", " : "",
					verbs[g[k].first->kind], g[k].n, preps[g[k].first->kind], g[k].first->ifname);
	if (len)
		log_info("%s: %s", ev->name, line);
}

/* Address steps go to the kernel LR_NL_BATCH at a time; an announcement waits for the batch
 * that holds its address (a few hundred microseconds at most). */
struct exec {
	const struct lr_config *cfg;
	struct lr_nl *nl;
	struct lr_announcer *an;
	struct lr_event *ev;
	bool each;    /* log each step (a small plan) */
	unsigned bad; /* phases whose gating steps failed */
	size_t batch[LR_NL_BATCH], n_batch;
	size_t ann[LR_NL_BATCH], n_ann;
};

static void step_done(struct exec *e, struct lr_step *s, int r)
{
	int level = r < 0 ? LR_LOG_ERR : s->kind == LR_STEP_ANNOUNCE || !e->each ? LR_LOG_DEBUG : LR_LOG_INFO;
	char d[160];

	s->done = true;
	if (r < 0) {
		s->err = r;
		if (!s->msg[0])
			snprintf(s->msg, sizeof(s->msg), "%s", strerror(-r));
		if (s->gate)
			e->bad |= 1u << s->phase;
	} else {
		s->msg[0] = '\0';
	}
	if (!lr_log_wants(level)) /* 1024 descriptions unread cost a millisecond */
		return;
	lr_step_describe(e->cfg, s, d, sizeof(d));
	if (r < 0)
		lr_log(level, "%s: %s: failed: %s", e->ev->name, d, s->msg);
	else
		lr_log(level, "%s: %s", e->ev->name, d);
}

/* False (and the step marked skipped) when what it depends on failed. */
static bool step_ready(struct exec *e, struct lr_step *s)
{
	char d[160];

	if (deps_ok(&e->ev->plan, s, e->bad, s->msg, sizeof(s->msg)))
		return true;
	s->skipped = true;
	if (s->gate)
		e->bad |= 1u << s->phase;
	lr_step_describe(e->cfg, s, d, sizeof(d));
	log_warn("%s: %s: %s", e->ev->name, d, s->msg);
	return false;
}

static void step_run(struct exec *e, size_t i)
{
	struct lr_step *s = &e->ev->plan.steps[i];

	if (step_ready(e, s))
		step_done(e, s, e->an ? run_step(e->cfg, e->nl, e->an, s) : -ENOMEM);
}

static void flush(struct exec *e)
{
	struct lr_nl_op ops[LR_NL_BATCH];
	size_t n_ann = e->n_ann;

	for (size_t k = 0; k < e->n_batch; k++) {
		const struct lr_step *s = &e->ev->plan.steps[e->batch[k]];

		ops[k] = (struct lr_nl_op){ .del = s->kind == LR_STEP_ADDR_DEL, .replace = s->kind == LR_STEP_ADDR_UPDATE,
					    .ifname = s->ifname, .ip = &s->ip, .prefix = s->prefix };
	}
	if (e->n_batch)
		lr_nl_addr_batch(e->nl, ops, e->n_batch);
	for (size_t k = 0; k < e->n_batch; k++) {
		struct lr_step *s = &e->ev->plan.steps[e->batch[k]];
		int r = ops[k].err;

		if ((r == -EEXIST && s->kind == LR_STEP_ADDR_ADD) ||
		    ((r == -EADDRNOTAVAIL || r == -ENOENT) && s->kind == LR_STEP_ADDR_DEL))
			r = 0; /* added meanwhile by someone else, or already gone: the goal is met */
		if (r < 0)
			snprintf(s->msg, sizeof(s->msg), "%s%s", ops[k].msg, r == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
		step_done(e, s, v6_disabled(s, r));
	}
	e->n_batch = e->n_ann = 0;
	for (size_t k = 0; k < n_ann; k++)
		step_run(e, e->ann[k]);
}

static bool in_batch(const struct exec *e, int step)
{
	for (size_t k = 0; k < e->n_batch; k++)
		if ((int)e->batch[k] == step)
			return true;
	return false;
}

static bool phase_in_batch(const struct exec *e, int phase)
{
	for (size_t k = 0; k < e->n_batch; k++)
		if ((int)e->ev->plan.steps[e->batch[k]].phase == phase)
			return true;
	return false;
}

static void execute(const struct lr_config *cfg, struct lr_nl *nl, struct lr_announcer *an,
		    struct lr_event *ev, size_t from)
{
	struct lr_plan *p = &ev->plan;
	struct exec e = { .cfg = cfg, .nl = nl, .an = an, .ev = ev, .each = lr_plan_changes(p) <= LOG_EACH_MAX };

	for (size_t i = 0; i < from; i++) /* a resumed plan: what already failed */
		if (p->steps[i].gate && (p->steps[i].err || p->steps[i].skipped))
			e.bad |= 1u << p->steps[i].phase;
	for (size_t i = from; i < p->n; i++) {
		struct lr_step *s = &p->steps[i];
		bool addr = s->kind == LR_STEP_ADDR_ADD || s->kind == LR_STEP_ADDR_DEL || s->kind == LR_STEP_ADDR_UPDATE;

		/* a primary with secondaries goes alone, between its promote_secondaries writes */
		if (addr && !s->keep_secondaries && e.an && !in_batch(&e, s->dep_step) &&
		    !(s->dep_phase && phase_in_batch(&e, s->dep_phase))) {
			if (step_ready(&e, s)) {
				e.batch[e.n_batch++] = i;
				if (e.n_batch == LR_NL_BATCH)
					flush(&e);
			}
			continue;
		}
		if (s->kind == LR_STEP_ANNOUNCE && in_batch(&e, s->dep_step) && e.n_ann < LR_NL_BATCH) {
			e.ann[e.n_ann++] = i;
			continue;
		}
		flush(&e);
		step_run(&e, i);
	}
	flush(&e);
	if (!e.each)
		log_summary(ev);
}

/* Before a sysctl is changed for the first time, keep what was there. */
static int remember_originals(const struct lr_config *cfg, struct lr_state *st, const struct lr_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct lr_step *s = &p->steps[i];
		struct lr_saved_sysctl *sv;

		if (s->kind != LR_STEP_SYSCTL || !s->first_change || s->before < 0)
			continue;
		sv = lr_state_saved(st, s->ifname, true);
		if (!sv)
			return -ENOMEM;
		if (sv->values[s->key] < 0)
			sv->values[s->key] = s->phase == LR_PHASE_RAISE ? s->before : s->after;
	}
	(void)cfg;
	return 0;
}

/* ---- the switch ---- */

struct run {
	const struct lr_config *cfg;
	const struct lr_request *req;
	struct lr_switch *out;
	struct lr_statedir *sd;
	struct lr_state st;
	struct lr_nl *nl;
	/* the caller's or our own (handed to out->an at the end: closing a packet socket waits
	 * for an RCU grace period, synchronize_net, some 10 to 20 ms) */
	struct lr_announcer *an;
	bool own_an;
	enum lr_role *roles;
	bool *announce;
	char host[256];
};

static int fail(struct run *x, enum lr_fail where, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct run *x, enum lr_fail where, int err, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(x->out->err, sizeof(x->out->err), fmt, ap);
	va_end(ap);
	n = strlen(x->out->err);
	/* O_NOFOLLOW's ELOOP: a link planted in the state directory, never followed */
	snprintf(x->out->err + n, sizeof(x->out->err) - n, ": %s",
		 err == -ELOOP ? "a symbolic link (refused: never followed)" : strerror(-err));
	x->out->fail = where;
	return err;
}

/* The state directory refused: which rule it broke, in words. */
static int dir_failed(struct run *x, int err)
{
	char why[160];

	snprintf(x->out->err, sizeof(x->out->err), "state directory %s: %s", x->cfg->state_dir,
		 lr_dir_refusal(x->cfg->state_dir, err, why, sizeof(why)));
	x->out->fail = LR_FAIL_STATE;
	return err;
}

static enum lr_role requested_role(const struct lr_request *req, const struct lr_instance *in)
{
	if (req->role != LR_ROLE_UNKNOWN)
		return req->role;
	return in->roles[req->kstate];
}

static int verify(struct run *x, struct lr_event *ev);

/* Decides what this event does once it holds the lock: its own intent, nothing (a newer
 * event has been applied already), or the newest arrival's intent when that one has not been
 * applied: its process may still wait for the lock, or may have been killed while waiting
 * (keepalived SIGKILLs STOP notifies after a second). Either way the host ends in the role
 * of the last event to arrive. */
static int resolve(struct run *x, struct lr_event *ev, struct lr_record *rec, struct lr_arrival *want)
{
	struct lr_arrival last;
	int r;

	memset(want, 0, sizeof(*want));
	want->seq = ev->seq;
	want->kstate = ev->kstate;
	want->priority = ev->priority;
	want->role = ev->role;
	want->time_us = ev->time_us;
	if (x->req->dry_run)
		return 1;
	r = lr_statedir_last_arrival(x->sd, ev->name, &last);
	if (r < 0)
		return fail(x, LR_FAIL_STATE, r, "%s: cannot read arrivals", x->sd->path);
	if (last.seq <= ev->seq)
		return 1;
	ev->result = LR_RESULT_SUPERSEDED;
	ev->superseded_by = last.seq;
	if (rec->seq >= last.seq || last.role == LR_ROLE_UNKNOWN) {
		/* the newer event was recorded; its switch may have been killed half-way, so
		 * converge to the recorded role: usually nothing to do */
		log_info("%s: %s %s superseded by a newer event (#%llu)", ev->name,
			 lr_kstate_name(ev->kstate), lr_role_name(ev->role), (unsigned long long)last.seq);
		if (rec->role == LR_ROLE_UNKNOWN)
			return 0;
		want->seq = rec->seq;
		want->kstate = rec->kstate;
		want->priority = rec->priority;
		want->role = rec->role;
		want->time_us = rec->time_us;
		ev->converge_only = true;
		return 1;
	}
	log_info("%s: %s %s superseded by #%llu (%s %s) that is not applied yet: applying that",
		 ev->name, lr_kstate_name(ev->kstate), lr_role_name(ev->role), (unsigned long long)last.seq,
		 lr_kstate_name(last.kstate), lr_role_name(last.role));
	*want = last;
	ev->applied_for = last.seq;
	ev->applied_role = last.role;
	ev->applied_kstate = last.kstate;
	return 1;
}

/* An IPv6 VIP put on a NIC of a host that has no global IPv6 address of its own becomes the
 * source of the host's own IPv6 connections (health checks of real servers included). */
static void warn_v6_source(const struct lr_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		const struct lr_step *s = &plan->steps[i];
		char a[INET6_ADDRSTRLEN];

		if (s->kind == LR_STEP_ADDR_ADD && s->phase == LR_PHASE_NIC_ADD && s->done && !s->err &&
		    s->ip.family == AF_INET6) {
			log_warn("%s on %s: %s", lr_ip_str(&s->ip, a, sizeof(a)), s->ifname, LR_V6_SOURCE_WARNING);
			return;
		}
	}
}

static int one(struct run *x, struct lr_event *ev)
{
	const struct lr_config *cfg = x->cfg;
	const struct lr_instance *in = &cfg->inst[ev->inst];
	struct lr_record *rec = lr_state_get(&x->st, in->name);
	struct lr_arrival want;
	struct lr_host host;
	uint64_t t0 = lr_now_us();
	bool own_source;
	int r;

	if (!rec)
		return -ENOMEM;
	ev->prev_role = rec->role;
	ev->prev_kstate = rec->kstate;
	ev->prev_priority = rec->priority;
	r = resolve(x, ev, rec, &want);
	if (r <= 0)
		return r;
	x->roles[ev->inst] = want.role;
	x->announce[ev->inst] = want.role == LR_ROLE_DIRECTOR && rec->role != LR_ROLE_DIRECTOR;
	r = lr_host_read(cfg, x->nl, &x->st, &host);
	if (r < 0)
		return fail(x, LR_FAIL_KERNEL, r, "cannot read the host's addresses");
	r = lr_plan_compute(cfg, x->roles, x->announce, &host, &ev->plan);
	own_source = host.v6_own_source;
	lr_host_free(&host);
	x->announce[ev->inst] = false;
	if (r < 0)
		return fail(x, LR_FAIL_KERNEL, r, "cannot compute the plan");
	if (x->req->dry_run) {
		ev->duration_us = lr_now_us() - t0;
		return 0;
	}
	if (ev->converge_only && ev->plan.n == 0)
		return 0;
	if (ev->converge_only) {
		log_warn("%s: the recorded switch to %s was not finished (interrupted?): finishing it",
			 ev->name, lr_role_name(want.role));
		ev->applied_for = want.seq;
		ev->applied_role = want.role;
		ev->applied_kstate = want.kstate;
	}
	/* intent first: a crash from here on is converged by the next run */
	rec->role = want.role;
	rec->scope = in->scope;
	rec->kstate = want.kstate;
	rec->priority = want.priority;
	rec->seq = want.seq;
	rec->time_us = want.time_us;
	snprintf(rec->result, sizeof(rec->result), "pending");
	r = remember_originals(cfg, &x->st, &ev->plan);
	if (r == 0)
		r = lr_state_save(x->sd, &x->st);
	if (r < 0)
		return fail(x, LR_FAIL_STATE, r, "%s/state.json: cannot write the state file", x->sd->path);
	execute(cfg, x->nl, x->an, ev, 0);
	if (!own_source)
		warn_v6_source(&ev->plan);
	r = verify(x, ev);
	if (r < 0)
		return fail(x, LR_FAIL_KERNEL, r, "cannot re-read the host's addresses");
	ev->duration_us = lr_now_us() - t0;
	snprintf(rec->result, sizeof(rec->result), "%s", lr_result_name(lr_event_outcome(&ev->plan)));
	if (!ev->applied_for)
		ev->result = lr_event_outcome(&ev->plan);
	r = lr_state_save(x->sd, &x->st);
	if (r < 0)
		log_warn_errno(r, "%s: cannot record the result", x->sd->path);
	return 0;
}

static void drop_sysctls(struct lr_plan *p)
{
	int *map = calloc(p->n + 1, sizeof(*map));
	size_t k = 0;

	if (!map)
		return;
	for (size_t i = 0; i < p->n; i++) {
		map[i] = -1;
		if (p->steps[i].kind != LR_STEP_SYSCTL) {
			map[i] = (int)k;
			p->steps[k++] = p->steps[i];
		}
	}
	for (size_t i = 0; i < k; i++)
		if (p->steps[i].dep_step >= 0)
			p->steps[i].dep_step = map[p->steps[i].dep_step];
	p->n = k;
	free(map);
}

static bool removed_ipv4(const struct lr_plan *p, size_t from)
{
	for (size_t i = from; i < p->n; i++)
		if (p->steps[i].kind == LR_STEP_ADDR_DEL && p->steps[i].ip.family == AF_INET &&
		    p->steps[i].done && !p->steps[i].err)
			return true;
	return false;
}

/* Deleting the primary IPv4 address of a subnet makes the kernel delete its secondaries too
 * (unless promote_secondaries is set): another instance's VIP can vanish with ours. After
 * IPv4 deletions, re-read and converge what the kernel took with them. */
static int verify(struct run *x, struct lr_event *ev)
{
	size_t from = 0;

	for (int round = 0; round < 2 && removed_ipv4(&ev->plan, from); round++) {
		struct lr_plan more;
		struct lr_host host;
		struct lr_step *ns;
		int r = lr_host_read(x->cfg, x->nl, &x->st, &host);

		if (r < 0)
			return r;
		r = lr_plan_compute(x->cfg, x->roles, NULL, &host, &more);
		lr_host_free(&host);
		if (r < 0)
			return r;
		drop_sysctls(&more); /* their failures were reported already; only addresses vanish */
		if (more.n == 0) {
			lr_plan_free(&more);
			return 0;
		}
		log_warn("%s: the kernel removed more than asked (IPv4 secondaries go with their primary "
			 "unless net.ipv4.conf.%s.promote_secondaries=1): %zu more step(s)",
			 ev->name, x->cfg->inst[ev->inst].nic, more.n);
		ns = realloc(ev->plan.steps, (ev->plan.n + more.n) * sizeof(*ns));
		if (!ns) {
			lr_plan_free(&more);
			return -ENOMEM;
		}
		from = ev->plan.n;
		for (size_t i = 0; i < more.n; i++) {
			if (more.steps[i].dep_step >= 0)
				more.steps[i].dep_step += (int)from;
			ns[from + i] = more.steps[i];
		}
		ev->plan.steps = ns;
		ev->plan.n = ev->plan.cap = from + more.n;
		lr_plan_free(&more);
		execute(x->cfg, x->nl, x->an, ev, from);
	}
	return 0;
}

/* An event for instance i of the configuration, asking for (kstate, priority, role). */
static void init_event(struct run *x, struct lr_event *ev, size_t i, const char *source,
		       enum lr_kstate kstate, int priority, enum lr_role role, uint64_t time_us)
{
	const struct lr_instance *in = &x->cfg->inst[i];

	memset(ev, 0, sizeof(*ev));
	ev->inst = i;
	ev->scope = in->scope;
	snprintf(ev->name, sizeof(ev->name), "%s", in->name);
	snprintf(ev->host, sizeof(ev->host), "%s", x->host);
	ev->source = source;
	ev->kstate = kstate;
	ev->priority = priority;
	ev->role = role;
	ev->time_us = time_us;
	ev->dry_run = x->req->dry_run;
}

static int prepare(struct run *x, const struct lr_request *reqs, size_t n_reqs)
{
	const struct lr_config *cfg = x->cfg;
	struct lr_switch *out = x->out;
	uint64_t now = lr_wall_us();
	size_t n = 0, max = 0;

	gethostname(x->host, sizeof(x->host) - 1);
	for (size_t k = 0; k < n_reqs; k++)
		max += reqs[k].name ? 1 : cfg->n_inst;
	out->events = calloc(max + 1, sizeof(*out->events));
	x->roles = calloc(cfg->n_inst + 1, sizeof(*x->roles));
	x->announce = calloc(cfg->n_inst + 1, sizeof(*x->announce));
	if (!out->events || !x->roles || !x->announce)
		return -ENOMEM;
	for (size_t k = 0; k < n_reqs; k++) {
		const struct lr_request *req = &reqs[k];

		for (size_t i = 0; i < cfg->n_inst; i++) {
			const struct lr_instance *in = &cfg->inst[i];

			if (req->name && strcmp(req->name, in->name))
				continue;
			init_event(x, &out->events[n++], i, req->source, req->kstate, req->priority,
				   requested_role(req, in), req->time_us ? req->time_us : now);
		}
	}
	out->n_events = n;
	return 0;
}

/* How long a run waits for the switch lock and for the arrivals lock. */
static unsigned lock_wait_s(const struct lr_request *req)
{
	return req->lock_timeout_s ? req->lock_timeout_s : 60;
}

static int open_state(struct run *x)
{
	struct lr_arrival *arr = calloc(x->out->n_events + 1, sizeof(*arr));
	char err[256];
	int r;

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < x->out->n_events; i++) {
		const struct lr_event *ev = &x->out->events[i];

		snprintf(arr[i].name, sizeof(arr[i].name), "%s", ev->name);
		arr[i].kstate = ev->kstate;
		arr[i].priority = ev->priority;
		arr[i].role = ev->role;
		arr[i].time_us = ev->time_us;
	}
	if (x->req->dry_run) {
		r = lr_statedir_open_ro(x->cfg->state_dir, &x->sd);
		free(arr);
		if (r == -ENOENT)
			return 0;
		if (r < 0)
			return fail(x, LR_FAIL_STATE, r, "%s", x->cfg->state_dir);
		r = lr_state_load(x->sd, &x->st, err, sizeof(err));
		return r == -ENOMEM ? r : 0;
	}
	r = lr_statedir_open(x->cfg->state_dir, &x->sd);
	if (r < 0) {
		free(arr);
		return dir_failed(x, r);
	}
	/* as patient as for the switch lock: an arrival not recorded is an event lost */
	r = lr_statedir_arrive(x->sd, arr, x->out->n_events, lock_wait_s(x->req));
	for (size_t i = 0; r == 0 && i < x->out->n_events; i++)
		x->out->events[i].seq = arr[i].seq;
	free(arr);
	if (r < 0)
		return fail(x, LR_FAIL_STATE, r, "%s: cannot record the arrival (arrivals.json, arrivals.lock)", x->sd->path);
	return 0;
}

static int load_state_locked(struct run *x)
{
	char err[320];
	int r = lr_state_load(x->sd, &x->st, err, sizeof(err));

	if (r == -EBADMSG) {
		/* losing the records is better than refusing every switch: the next events
		 * re-establish them, and the kernel state is read afresh anyway */
		log_err("%s; moved aside to state.json.corrupt, starting with no records", err);
		lr_state_quarantine(x->sd);
		r = 0;
	}
	return r < 0 ? fail(x, LR_FAIL_STATE, r, "%s/state.json: cannot read the state file", x->sd->path) : 0;
}

/* Before the lock goes, apply any event that arrived while this run worked and is not
 * applied: its own run may be killed while it waits (keepalived SIGKILLs a STOP notify after a
 * second), and nobody else might come. The applying is reported as that event's. */
static int sweep(struct run *x)
{
	size_t n = x->cfg->n_inst;
	const char **names = calloc(n + 1, sizeof(*names));
	struct lr_arrival *last = calloc(n + 1, sizeof(*last));
	int r = names && last ? 0 : -ENOMEM;

	for (size_t i = 0; r == 0 && i < n; i++)
		names[i] = x->cfg->inst[i].name;
	for (int round = 0; r == 0 && round < 8; round++) {
		bool more = false;

		r = lr_statedir_arrivals(x->sd, names, n, last);
		if (r < 0) {
			r = fail(x, LR_FAIL_STATE, r, "%s: cannot read arrivals", x->sd->path);
			break;
		}
		for (size_t i = 0; r == 0 && i < n; i++) {
			struct lr_record *rec = lr_state_find(&x->st, names[i]);
			struct lr_event *ne;

			if (last[i].seq == 0 || last[i].role == LR_ROLE_UNKNOWN ||
			    (rec && rec->seq >= last[i].seq))
				continue;
			ne = realloc(x->out->events, (x->out->n_events + 1) * sizeof(*ne));
			if (!ne) {
				r = -ENOMEM;
				break;
			}
			x->out->events = ne;
			init_event(x, &ne[x->out->n_events], i, "sweep", last[i].kstate, last[i].priority,
				   last[i].role, last[i].time_us);
			ne[x->out->n_events].seq = last[i].seq;
			log_info("%s: event #%llu (%s %s) is not applied yet: applying it",
				 names[i], (unsigned long long)last[i].seq, lr_kstate_name(last[i].kstate),
				 lr_role_name(last[i].role));
			r = one(x, &ne[x->out->n_events]);
			ne[x->out->n_events++].ran = r == 0;
			more = true;
		}
		if (!more)
			break;
	}
	free(names);
	free(last);
	return r;
}

/* The caller's announcer, or one of our own (handed to out->an by run_end); then netlink. */
static int open_kernel(struct run *x, const struct lr_request *req)
{
	int r;

	x->an = req->an;
	x->own_an = !x->an;
	if (!x->an)
		x->an = lr_announcer_new();
	r = x->an ? lr_nl_open(&x->nl) : -ENOMEM;
	return r < 0 ? fail(x, LR_FAIL_KERNEL, r, "cannot open a netlink socket") : 0;
}

/* Releases what a run holds (the lock first); r: its result, with a message if none yet. */
static int run_end(struct run *x, int r, bool locked)
{
	if (x->sd && locked) {
		lr_statedir_unlock(x->sd);
		/* what killed runs left half-written: after the lock, off the switch's path (only
		 * files whose writer is gone, so no lock is needed) */
		lr_sweep_stale_tmp(x->sd->dirfd);
	}
	if (x->own_an)
		x->out->an = x->an;
	lr_nl_close(x->nl);
	lr_state_free(&x->st);
	lr_statedir_close(x->sd);
	free(x->roles);
	free(x->announce);
	if (r < 0 && !x->out->err[0])
		snprintf(x->out->err, sizeof(x->out->err), "%s", strerror(-r));
	return r;
}

void lr_switch_mark_failed(struct lr_switch *sw)
{
	for (size_t i = 0; i < sw->n_events; i++)
		if (!sw->events[i].ran) {
			sw->events[i].result = LR_RESULT_FAILED;
			snprintf(sw->events[i].err, sizeof(sw->events[i].err), "%.190s", sw->err);
		}
}

/* The switch lock not taken: who holds it, rather than the errno's "Connection timed out";
 * and the events' previous roles from the state file (replaced atomically: readable without
 * the lock), so that their failure says where the host stays. */
static int lock_failed(struct run *x, int err, unsigned waited_s)
{
	long pid = err == -ETIMEDOUT ? lr_statedir_lock_holder(x->sd) : 0;
	char who[32] = "another process", msg[320];

	if (pid > 0)
		snprintf(who, sizeof(who), "pid %ld", pid);
	if (err != -ETIMEDOUT)
		fail(x, LR_FAIL_STATE, err, "%s/lock: cannot take the lock", x->sd->path);
	else if (waited_s)
		snprintf(x->out->err, sizeof(x->out->err), "%s/lock: held by %s for more than %u s",
			 x->sd->path, who, waited_s);
	else
		snprintf(x->out->err, sizeof(x->out->err), "%s/lock: held by %s", x->sd->path, who);
	x->out->fail = LR_FAIL_STATE;
	if (lr_state_load(x->sd, &x->st, msg, sizeof(msg)) < 0)
		return err;
	for (size_t i = 0; i < x->out->n_events; i++) {
		struct lr_event *ev = &x->out->events[i];
		const struct lr_record *rec = lr_state_find(&x->st, ev->name);

		ev->prev_role = rec ? rec->role : LR_ROLE_UNKNOWN;
		ev->prev_kstate = rec ? rec->kstate : LR_KSTATE_NONE;
		ev->prev_priority = rec ? rec->priority : -1;
	}
	return err;
}

/* A later event of the same batch for the same instance: this one is superseded at once
 * (never replay deltas: the later one is applied under the same lock). */
static const struct lr_event *later_in_batch(const struct lr_switch *out, size_t i)
{
	for (size_t j = out->n_events; j-- > i + 1;)
		if (out->events[j].inst == out->events[i].inst)
			return &out->events[j];
	return NULL;
}

static void skip_superseded(struct run *x, struct lr_event *ev, uint64_t by)
{
	struct lr_record *rec = lr_state_find(&x->st, ev->name);

	ev->prev_role = rec ? rec->role : LR_ROLE_UNKNOWN;
	ev->prev_kstate = rec ? rec->kstate : LR_KSTATE_NONE;
	ev->prev_priority = rec ? rec->priority : -1;
	ev->result = LR_RESULT_SUPERSEDED;
	ev->superseded_by = by;
}

int lr_switch_run_many(const struct lr_config *cfg, const struct lr_request *reqs, size_t n_reqs,
		       struct lr_switch *out)
{
	const struct lr_request *req = &reqs[0];
	struct run x = { .cfg = cfg, .req = req, .out = out };
	uint64_t t_wait;
	int r;

	memset(out, 0, sizeof(*out));
	r = prepare(&x, reqs, n_reqs);
	if (r < 0)
		goto out;
	r = open_state(&x);
	if (r < 0)
		goto out;
	t_wait = lr_now_us();
	if (!req->dry_run) {
		r = lr_statedir_lock(x.sd, false, lock_wait_s(req));
		if (r < 0) {
			lock_failed(&x, r, lock_wait_s(req));
			goto out;
		}
		if ((r = load_state_locked(&x)) < 0)
			goto out;
	}
	t_wait = lr_now_us() - t_wait;
	if ((r = open_kernel(&x, req)) < 0)
		goto out;
	lr_roles_from_state(cfg, &x.st, x.roles);
	for (size_t i = 0; i < out->n_events && r == 0; i++) {
		const struct lr_event *later = req->dry_run ? NULL : later_in_batch(out, i);

		out->events[i].lock_wait_us = t_wait;
		if (later)
			skip_superseded(&x, &out->events[i], later->seq);
		else
			r = one(&x, &out->events[i]);
		out->events[i].ran = r == 0;
	}
	if (r == 0 && !req->dry_run)
		r = sweep(&x);
	if (!req->dry_run && req->before_unlock)
		req->before_unlock(req->arg);
out:
	return run_end(&x, r, !req->dry_run);
}

/* The state directory opened and its lock taken without waiting long (~0.1 s): the caller's
 * event loop reads keepalived's FIFO meanwhile. */
static int open_locked_now(struct run *x)
{
	int r = lr_statedir_open(x->cfg->state_dir, &x->sd);

	if (r < 0)
		return dir_failed(x, r);
	r = lr_statedir_lock(x->sd, false, 0);
	return r < 0 ? lock_failed(x, r, 0) : 0;
}

int lr_switch_sweep(const struct lr_config *cfg, const struct lr_request *req, struct lr_switch *out)
{
	struct lr_request opts = { .source = "sweep", .before_unlock = req->before_unlock,
				   .arg = req->arg, .an = req->an };
	struct run x = { .cfg = cfg, .req = &opts, .out = out };
	bool locked = false;
	int r = -ENOMEM;

	memset(out, 0, sizeof(*out));
	gethostname(x.host, sizeof(x.host) - 1);
	x.roles = calloc(cfg->n_inst + 1, sizeof(*x.roles));
	x.announce = calloc(cfg->n_inst + 1, sizeof(*x.announce));
	if (!x.roles || !x.announce)
		goto out;
	if ((r = open_locked_now(&x)) < 0)
		goto out;
	locked = true;
	if ((r = load_state_locked(&x)) < 0 || (r = open_kernel(&x, &opts)) < 0)
		goto out;
	lr_roles_from_state(cfg, &x.st, x.roles);
	r = sweep(&x);
	if (opts.before_unlock)
		opts.before_unlock(opts.arg);
out:
	return run_end(&x, r, locked);
}

int lr_switch_run(const struct lr_config *cfg, const struct lr_request *req, struct lr_switch *out)
{
	return lr_switch_run_many(cfg, req, 1, out);
}

/* ---- drift: the host against the recorded roles ---- */

/* The instance a host-wide sysctl step belongs to: the first whose recorded role asks for
 * that value (real-server values while any instance serves, director values otherwise). */
static size_t sysctl_owner(const struct lr_config *cfg, const enum lr_role *roles, const struct lr_step *s)
{
	enum lr_role want = s->phase == LR_PHASE_RAISE ? LR_ROLE_REAL_SERVER : LR_ROLE_DIRECTOR;

	for (size_t i = 0; i < cfg->n_inst; i++)
		if (roles[i] == want)
			return i;
	for (size_t i = 0; i < cfg->n_inst; i++)
		if (roles[i] != LR_ROLE_UNKNOWN)
			return i;
	return 0;
}

/* Splits the executed plan into one drift event per instance it touched. */
static int split_drift(struct run *x, struct lr_event *all, bool repair)
{
	const struct lr_config *cfg = x->cfg;
	size_t *owner = calloc(all->plan.n + 1, sizeof(*owner));
	struct lr_switch *out = x->out;

	if (!owner)
		return -ENOMEM;
	out->events = calloc(cfg->n_inst + 1, sizeof(*out->events));
	if (!out->events) {
		free(owner);
		return -ENOMEM;
	}
	for (size_t k = 0; k < all->plan.n; k++)
		owner[k] = all->plan.steps[k].inst >= 0 ? (size_t)all->plan.steps[k].inst
			   : sysctl_owner(cfg, x->roles, &all->plan.steps[k]);
	for (size_t i = 0; i < cfg->n_inst; i++) {
		struct lr_record *rec = lr_state_find(&x->st, cfg->inst[i].name);
		struct lr_event *ev = &out->events[out->n_events];
		size_t n = 0;

		for (size_t k = 0; k < all->plan.n; k++)
			n += owner[k] == i;
		if (n == 0)
			continue;
		init_event(x, ev, i, "drift", rec ? rec->kstate : LR_KSTATE_NONE, rec ? rec->priority : -1,
			   x->roles[i], all->time_us);
		ev->type = LR_EVENT_DRIFT;
		ev->repair = repair;
		ev->prev_role = ev->role;
		ev->prev_kstate = ev->kstate;
		ev->prev_priority = ev->priority;
		ev->duration_us = all->duration_us;
		ev->lock_wait_us = all->lock_wait_us;
		ev->plan.steps = calloc(n, sizeof(*ev->plan.steps));
		if (!ev->plan.steps) {
			free(owner);
			return -ENOMEM;
		}
		for (size_t k = 0; k < all->plan.n; k++)
			if (owner[k] == i) {
				ev->plan.steps[ev->plan.n] = all->plan.steps[k];
				ev->plan.steps[ev->plan.n++].dep_step = -1;
			}
		ev->plan.cap = n;
		ev->result = repair ? lr_event_outcome(&ev->plan) : LR_RESULT_DETECTED;
		ev->ran = true;
		out->n_events++;
	}
	free(owner);
	return 0;
}

int lr_switch_converge(const struct lr_config *cfg, const struct lr_request *req, bool repair,
		       struct lr_switch *out)
{
	struct run x = { .cfg = cfg, .req = req, .out = out };
	struct lr_event all = { .time_us = lr_wall_us() };
	struct lr_host host;
	uint64_t t0 = lr_now_us();
	int r;

	memset(out, 0, sizeof(*out));
	gethostname(x.host, sizeof(x.host) - 1);
	x.roles = calloc(cfg->n_inst + 1, sizeof(*x.roles));
	if (!x.roles)
		return -ENOMEM;
	if ((r = open_locked_now(&x)) < 0)
		goto out;
	all.lock_wait_us = lr_now_us() - t0;
	if ((r = load_state_locked(&x)) < 0)
		goto out;
	lr_roles_from_state(cfg, &x.st, x.roles);
	if ((r = open_kernel(&x, req)) < 0)
		goto out;
	r = lr_host_read(cfg, x.nl, &x.st, &host);
	if (r < 0) {
		fail(&x, LR_FAIL_KERNEL, r, "cannot read the host's addresses");
		goto out;
	}
	r = lr_plan_compute(cfg, x.roles, NULL, &host, &all.plan);
	lr_host_free(&host);
	if (r < 0 || all.plan.n == 0)
		goto out;
	snprintf(all.name, sizeof(all.name), "drift");
	if (repair) {
		r = remember_originals(cfg, &x.st, &all.plan);
		if (r == 0)
			r = lr_state_save(x.sd, &x.st);
		if (r < 0) {
			fail(&x, LR_FAIL_STATE, r, "%s/state.json: cannot write the state file", x.sd->path);
			goto out;
		}
		execute(cfg, x.nl, x.an, &all, 0);
	}
	all.duration_us = lr_now_us() - t0;
	r = split_drift(&x, &all, repair);
	if (r == 0 && req->before_unlock)
		req->before_unlock(req->arg);
out:
	lr_plan_free(&all.plan);
	return run_end(&x, r, true);
}

/* ip is on the interface and usable (not held back by DAD): announcing a VIP the NIC lacks
 * would draw traffic for an address nobody here answers. */
static bool nic_holds(const struct lr_kaddr *addrs, size_t n, int ifindex, const struct lr_ip *ip)
{
	for (size_t k = 0; k < n; k++)
		if (addrs[k].ifindex == ifindex && lr_ip_equal(&addrs[k].ip, ip))
			return !addrs[k].tentative && !addrs[k].dadfailed;
	return false;
}

int lr_switch_announce(const struct lr_config *cfg, size_t i, struct lr_nl *nl, struct lr_announcer *an)
{
	const struct lr_instance *in = &cfg->inst[i];
	struct lr_kaddr *addrs;
	size_t n;
	uint8_t mac[6];
	int sent = 0, ifindex, r;

	if (in->owner != LR_OWNER_LVSROLE || cfg->announce_count == 0)
		return 0; /* keepalived announces the VIPs it owns */
	ifindex = lr_nl_ifindex(nl, in->nic);
	if (ifindex < 0)
		return ifindex;
	r = lr_nl_hwaddr(nl, in->nic, mac);
	if (r == 0)
		r = lr_nl_addrs(nl, &addrs, &n);
	if (r < 0)
		return r;
	for (size_t j = 0; j < in->n_vips; j++) {
		char msg[128];

		if (!nic_holds(addrs, n, ifindex, &in->vips[j].ip))
			continue;
		if (lr_announce(an, ifindex, mac, &in->vips[j].ip, cfg->announce_op, msg, sizeof(msg)) < 0)
			log_warn("%s: announcement of a VIP on %s failed: %s", in->name, in->nic, msg);
		else
			sent++;
	}
	free(addrs);
	return sent;
}

void lr_switch_clear(struct lr_switch *sw)
{
	for (size_t i = 0; i < sw->n_events; i++)
		lr_event_clear(&sw->events[i]);
	free(sw->events);
	lr_announcer_free(sw->an);
	memset(sw, 0, sizeof(*sw));
}

/* ---- repeated announcements ---- */

/* One repeat of every announcement the switch planned for the events still live, whether or
 * not the earlier sends worked, for the VIPs the NIC still holds. */
static void repeat_round(const struct lr_config *cfg, const struct lr_switch *sw, const bool *live,
			 struct lr_nl *nl, struct lr_announcer *an)
{
	struct lr_kaddr *addrs;
	size_t n;

	if (lr_nl_addrs(nl, &addrs, &n) < 0)
		return;
	for (size_t i = 0; i < sw->n_events; i++) {
		const struct lr_event *ev = &sw->events[i];

		for (size_t j = 0; live[i] && j < ev->plan.n; j++) {
			const struct lr_step *s = &ev->plan.steps[j];
			uint8_t mac[6];
			char msg[128];
			int ifindex = lr_nl_ifindex(nl, s->ifname);

			if (s->kind != LR_STEP_ANNOUNCE || !s->done || s->skipped || ifindex < 0 ||
			    !nic_holds(addrs, n, ifindex, &s->ip) || lr_nl_hwaddr(nl, s->ifname, mac) < 0)
				continue;
			if (lr_announce(an, ifindex, mac, &s->ip, cfg->announce_op, msg, sizeof(msg)) < 0)
				log_warn("%s: announcement on %s failed: %s", ev->name, s->ifname, msg);
		}
	}
	free(addrs);
}

static void announcer_loop(const struct lr_config *cfg, const struct lr_switch *sw, struct lr_announcer *an)
{
	struct lr_statedir *sd = NULL;
	struct lr_nl *nl = NULL;
	bool *live = calloc(sw->n_events + 1, sizeof(*live));

	if (!an || !live || lr_statedir_open_ro(cfg->state_dir, &sd) < 0 || lr_nl_open(&nl) < 0)
		goto out;
	for (size_t i = 0; i < sw->n_events; i++)
		live[i] = lr_event_announces(&sw->events[i]);
	for (unsigned k = 1; k < cfg->announce_count; k++) {
		struct timespec ts = { cfg->announce_interval_ms / 1000,
				       (long)(cfg->announce_interval_ms % 1000) * 1000000L };
		struct lr_state st;
		char err[256];
		bool any = false;

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		/* the lock keeps a switch from running between the check and the send */
		if (lr_statedir_lock(sd, true, 5) < 0)
			break;
		if (lr_state_load(sd, &st, err, sizeof(err)) < 0) {
			lr_statedir_unlock(sd);
			break;
		}
		for (size_t i = 0; i < sw->n_events; i++) {
			const struct lr_event *ev = &sw->events[i];
			struct lr_record *rec = lr_state_find(&st, ev->name);

			if (live[i] && (!rec || rec->role != LR_ROLE_DIRECTOR)) {
				live[i] = false;
				log_info("%s: no longer director, announcements cancelled", ev->name);
			}
			any |= live[i];
		}
		if (any)
			repeat_round(cfg, sw, live, nl, an);
		lr_state_free(&st);
		lr_statedir_unlock(sd);
		if (!any)
			break;
	}
out:
	lr_nl_close(nl);
	lr_statedir_close(sd);
	free(live);
}

int lr_switch_spawn_announcer(const struct lr_config *cfg, const struct lr_switch *sw)
{
	bool needed = false;
	int keep[3], gone[2];
	char c;
	pid_t pid;

	for (size_t i = 0; i < sw->n_events; i++)
		needed |= lr_event_announces(&sw->events[i]);
	needed = needed && cfg->announce_count >= 2 && sw->n_events > 0 && !sw->events[0].dry_run;
	lr_announcer_fds(sw->an, keep);
	/* with no repeats, a child all the same when the switch opened a packet socket: it
	 * closes it (waiting out the grace period) after the caller has gone */
	if (!needed && keep[0] < 0)
		return 0;
	/* the caller's end stays open until it exits: the child's read returns then */
	if (pipe2(gone, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(gone[0]);
		close(gone[1]);
		return -errno;
	}
	if (pid > 0) {
		close(gone[0]);
		return pid;
	}
	/* the child must not hold the caller's pipes or locks (the caller may hold the report
	 * commit lock): it keeps only the announcer's sockets and opens what else it needs */
	keep[2] = gone[0];
	lr_log_drop_fds_but(keep, 3);
	{
		int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}
	if (needed) {
		struct lr_announcer *an = sw->an ? sw->an : lr_announcer_new();

		if (an)
			announcer_loop(cfg, sw, an);
	}
	while (read(gone[0], &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}
