/* Executing a plan (exec.h). Address steps go to the kernel LR_NL_BATCH at a time; sysctls,
 * announcements and an IPv4 primary with secondaries run one by one, in the plan's order. */
#include "config.h"
#include "exec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "step.h"

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
			 : s->dep_phase == LR_PHASE_NIC_ADD
			 ? "a VIP could not be added to the NIC; the host does not balance the instance's traffic"
			 : "a VIP could not be removed from the real-server device; director sysctls would make it answer ARP");
		return false;
	}
	return true;
}

/* A plan of more changes than this is logged as a summary per kind and device (each step
 * at debug level): a line per VIP would cost more than the switch (syslog is a send each). */
#define LOG_EACH_MAX 16

static void log_summary(const struct lr_event *ev)
{
	/* the (kind, device) groups in the order they ran; a plan touches a few devices */
	struct { const struct lr_step *first; size_t n; } g[16];
	size_t n_g = 0, len = 0;
	char line[512];

	for (size_t i = 0; i < ev->plan.n; i++) {
		const struct lr_step *s = &ev->plan.steps[i];
		size_t k = 0;

		if (!lr_step_ops(s->kind)->verb || !s->done || s->err)
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
					lr_step_ops(g[k].first->kind)->verb, g[k].n, lr_step_ops(g[k].first->kind)->what,
					g[k].first->ifname);
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

	struct lr_step_env env = { .cfg = e->cfg, .nl = e->nl, .an = e->an };

	if (step_ready(e, s))
		step_done(e, s, e->an ? lr_step_ops(s->kind)->run(&env, s) : -ENOMEM);
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
		step_done(e, s, lr_step_addr_result(s, ops[k].err, ops[k].msg));
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
		bool batched = lr_step_ops(s->kind)->batched;

		/* a primary with secondaries goes alone, between its promote_secondaries writes */
		if (batched && !s->keep_secondaries && e.an && !in_batch(&e, s->dep_step) &&
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

		/* IPVS not loaded at the first look: the step loads it, with 0 */
		if (s->kind == LR_STEP_BACKUP_ONLY && !st->backup_only_known) {
			st->backup_only_known = true;
			st->backup_only_saved = s->before >= 0 ? s->before : 0;
		}
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
