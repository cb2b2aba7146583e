/* Executing a plan (exec.h). Address steps go to the kernel LR_NL_BATCH at a time; sysctls,
 * announcements and an IPv4 primary with secondaries run one by one, in the plan's order. */
#include "config.h"
#include "exec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "sysctl.h"

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

/* An address added meanwhile by someone else, or already gone: what the step wanted is so. */
static int goal_met(const struct lr_step *s, int r)
{
	if ((r == -EEXIST && s->kind == LR_STEP_ADDR_ADD) ||
	    ((r == -EADDRNOTAVAIL || r == -ENOENT) && s->kind == LR_STEP_ADDR_DEL))
		return 0;
	return r;
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
		r = goal_met(s, r);
		if (r == -EACCES)
			return v6_disabled(s, r);
		break;
	case LR_STEP_ADDR_DEL:
		r = goal_met(s, s->keep_secondaries ? del_keeping_secondaries(nl, s)
				    : lr_nl_addr_del(nl, s->ifname, &s->ip, s->prefix, s->msg, sizeof(s->msg)));
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

static void send_batch(struct exec *e)
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
		int r = goal_met(s, ops[k].err);

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

void lr_plan_execute(const struct lr_config *cfg, struct lr_nl *nl, struct lr_announcer *an,
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
					send_batch(&e);
			}
			continue;
		}
		if (s->kind == LR_STEP_ANNOUNCE && in_batch(&e, s->dep_step) && e.n_ann < LR_NL_BATCH) {
			e.ann[e.n_ann++] = i;
			continue;
		}
		send_batch(&e);
		step_run(&e, i);
	}
	send_batch(&e);
	if (!e.each)
		log_summary(ev);
}

int lr_plan_keep_originals(struct lr_state *st, const struct lr_plan *p)
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
	return 0;
}
