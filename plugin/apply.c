/* From keepalived's FIFO to the core switch: read everything at once (keepalived drops what
 * does not fit in the pipe), apply in FIFO order as batches, report, and keep announcing
 * while directing. */
#include "config.h"
#include "plugin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "announce.h"
#include "log.h"
#include "nl.h"
#include "report.h"
#include "state.h"
#include "util.h"

/* Complaints about bad lines: at most this many per window, then one summary. */
#define BAD_LOG_MAX 20
#define BAD_LOG_WINDOW_US (10 * 1000000ull)

static void bad_line(struct lr_plugin *p, const char *what)
{
	uint64_t now = lr_now_us();

	p->lines_total[LR_LINE_BAD]++;
	if (now >= p->bad_window_us) {
		if (p->bad_logged > BAD_LOG_MAX)
			log_warn("FIFO: %u more bad line(s) not logged", p->bad_logged - BAD_LOG_MAX);
		p->bad_logged = 0;
		p->bad_window_us = now + BAD_LOG_WINDOW_US;
	}
	if (p->bad_logged++ < BAD_LOG_MAX)
		log_warn("FIFO %s: skipped %s", p->fifo_path, what);
}

static void on_line(const char *line, size_t len, bool overlong, void *arg)
{
	struct lr_plugin *p = arg;
	struct lr_fifo_line l;
	const struct lr_instance *in;
	char err[512];
	size_t idx;

	memcpy(p->last_line, line, len + 1);
	p->last_line_wall_us = lr_wall_us();
	p->metrics_dirty = p->status_dirty = true;
	if (overlong) {
		snprintf(err, sizeof(err), "a line longer than %d bytes", LR_FIFO_MAX_LINE);
		bad_line(p, err);
		return;
	}
	if (lr_fifo_parse(line, len, &l, err, sizeof(err)) < 0) {
		bad_line(p, err);
		return;
	}
	if (l.kind == LR_FIFO_CHECKER) {
		p->lines_total[LR_LINE_CHECKER]++;
		log_debug("FIFO: checker line ignored: %s", line);
		return;
	}
	if (l.kind == LR_FIFO_PRIORITY) {
		/* events, never states (2.2.7 even sends BACKUP_PRIORITY for a MASTER on reload) */
		p->lines_total[LR_LINE_PRIORITY]++;
		log_info("%s: %s (priority %d): not a state change", l.name, l.event, l.priority);
		return;
	}
	in = lr_config_find(p->cfg, l.name, &idx);
	if (!in || in->scope != l.scope) {
		p->lines_total[LR_LINE_IGNORED]++;
		if (!in)
			log_info("%s %s %s: not in %s, ignored", lr_scope_name(l.scope), l.name, l.event,
				 p->cfg->path);
		else
			log_warn("\"%s\" is configured as %s in %s, but keepalived reported %s: ignored",
				 l.name, in->scope == LR_SCOPE_GROUP ? "a group" : "an instance", p->cfg->path,
				 l.scope == LR_SCOPE_GROUP ? "a group" : "an instance");
		return;
	}
	p->lines_total[LR_LINE_STATE]++;
	p->stop_us[idx] = l.kstate == LR_KSTATE_STOP ? lr_now_us() : 0;
	if (p->nq == LR_PLUGIN_MAX_QUEUE)
		lr_plugin_apply(p);
	p->q[p->nq].l = l;
	p->q[p->nq++].time_us = lr_wall_us();
}

unsigned lr_plugin_stops(const struct lr_plugin *p)
{
	unsigned n = 0;

	for (size_t i = 0; p->term && i < p->cfg->n_inst; i++)
		n += p->stop_us[i] && p->stop_us[i] + 1000000u >= p->term_us;
	return n;
}

int lr_plugin_drain(struct lr_plugin *p)
{
	char buf[64 * 1024];

	if (p->fifo_fd < 0)
		return -1;
	for (;;) {
		ssize_t n = read(p->fifo_fd, buf, sizeof(buf));

		if (n > 0) {
			lr_lines_feed(&p->lines, buf, (size_t)n, on_line, p);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			log_err_errno(-errno, "FIFO %s: read failed", p->fifo_path);
		if (lr_lines_finish(&p->lines) > 0)
			bad_line(p, "an incomplete last line (no newline before the end)");
		return -1;
	}
}

/* ---- applying ---- */

static void leave_director(struct lr_view *v)
{
	/* doc/switch.md rule 5: nothing pending from the director phase may go out now */
	v->ann_left = 0;
	v->ann_next_us = v->refresh_next_us = 0;
	v->probe_until_us = v->confirm_at_us = v->confirm_until_us = 0;
}

/* The plugin's view after a switch (or drift repair) ran. */
static void update_views(struct lr_plugin *p, const struct lr_event *evs, size_t n)
{
	const struct lr_config *cfg = p->cfg;
	uint64_t now = lr_now_us();

	for (size_t i = 0; i < n; i++) {
		const struct lr_event *ev = &evs[i];
		struct lr_view *v = &p->views[ev->inst];
		bool applied = ev->result != LR_RESULT_SUPERSEDED || ev->applied_for;
		enum lr_role role = ev->applied_for ? ev->applied_role : ev->role;

		if (ev->type == LR_EVENT_TRANSITION)
			v->transitions[ev->result]++;
		if (!applied || !ev->ran || ev->dry_run)
			continue;
		if (ev->type == LR_EVENT_TRANSITION) {
			v->kstate = ev->applied_for ? ev->applied_kstate : ev->kstate;
			v->priority = ev->priority;
			v->changed_wall_us = ev->time_us;
			snprintf(p->last_event, sizeof(p->last_event), "%s %s %s: %s", ev->name,
				 lr_kstate_name(v->kstate), lr_role_name(role), lr_result_name(ev->result));
		}
		v->role = role;
		if (role != LR_ROLE_DIRECTOR) {
			leave_director(v);
			continue;
		}
		if (lr_event_announces(ev)) {
			v->ann_left = cfg->announce_count > 1 ? cfg->announce_count - 1 : 0;
			v->ann_next_us = now + (uint64_t)cfg->announce_interval_ms * 1000u;
		}
		if (cfg->plugin.announce_refresh_s && !v->refresh_next_us)
			v->refresh_next_us = now + (uint64_t)cfg->plugin.announce_refresh_s * 1000000u;
	}
	p->metrics_dirty = p->status_dirty = true;
}

/* ---- reports ---- */

/* Keeps copies of evs (their plans too) behind those already waiting for the commit lock. */
static void defer(struct lr_plugin *p, const struct lr_event *evs, size_t n)
{
	struct lr_event *d = realloc(p->deferred, (p->n_deferred + n + 1) * sizeof(*d));

	if (!d) {
		log_err("webhooks: out of memory: %zu report(s) lost", n);
		p->reports_lost += n;
		return;
	}
	p->deferred = d;
	for (size_t i = 0; i < n; i++) {
		struct lr_event *c = &d[p->n_deferred];

		*c = evs[i];
		c->plan.steps = evs[i].plan.n ? malloc(evs[i].plan.n * sizeof(*c->plan.steps)) : NULL;
		c->plan.cap = c->plan.n = c->plan.steps ? evs[i].plan.n : 0;
		if (c->plan.steps)
			memcpy(c->plan.steps, evs[i].plan.steps, c->plan.n * sizeof(*c->plan.steps));
		p->n_deferred++;
	}
	if (!p->deferred_next_us)
		log_warn("webhooks: %s: the commit lock is busy: reports wait to be committed in order",
			 p->cfg->spool_dir);
	p->deferred_next_us = lr_now_us() + LR_PLUGIN_DEFERRED_US;
	p->metrics_dirty = true;
}

static void deferred_clear(struct lr_plugin *p)
{
	for (size_t i = 0; i < p->n_deferred; i++)
		lr_event_clear(&p->deferred[i]);
	free(p->deferred);
	p->deferred = NULL;
	p->n_deferred = 0;
	p->deferred_next_us = 0;
	p->metrics_dirty = true;
}

/* Commits what rp's events are, in order after what waits already; false: it waits too. */
static bool commit(struct lr_plugin *p, const struct lr_event *evs, size_t n, struct lr_report *rp)
{
	int r = lr_report_commit(rp, p->cfg, evs, n);

	if (r == -EWOULDBLOCK)
		return false;
	p->reports_lost += rp->lost;
	p->deliver_kick = true;
	p->trim_wanted = true;
	p->metrics_dirty = true; /* the spool's depth, and what could not be spooled */
	return true;
}

/* Commits what waits if the commit lock comes within wait_ms; true when nothing waits now. */
static bool deferred_commit(struct lr_plugin *p, int wait_ms)
{
	struct lr_report rp = { .commit_fd = -1, .commit_wait_ms = wait_ms, .trim_later = true };
	bool done = lr_spool_open(p->cfg->spool_dir, &rp.sp) == 0 && commit(p, p->deferred, p->n_deferred, &rp);

	if (done) {
		log_info("webhooks: %zu report(s) that waited for the commit lock committed", p->n_deferred);
		deferred_clear(p);
	}
	lr_report_end(&rp);
	return done;
}

uint64_t lr_plugin_deferred_due(struct lr_plugin *p, uint64_t now)
{
	if (p->n_deferred && now >= p->deferred_next_us && !deferred_commit(p, 0))
		p->deferred_next_us = now + LR_PLUGIN_DEFERRED_US;
	return p->n_deferred ? p->deferred_next_us : 0;
}

void lr_plugin_deferred_flush(struct lr_plugin *p, int wait_ms)
{
	if (!p->n_deferred || deferred_commit(p, wait_ms))
		return;
	log_err("webhooks: %zu report(s) lost: the commit lock stayed busy", p->n_deferred);
	p->reports_lost += p->n_deferred;
	deferred_clear(p);
}

void lr_plugin_report(struct lr_plugin *p, const struct lr_event *evs, size_t n, struct lr_report *rp)
{
	if (p->cfg->n_endpoints == 0)
		return;
	/* whoever gets the report finds the event in the metrics and plugin.json already: the
	 * delivery waits for the writer, LR_PLUGIN_DELIVER_HOLD_US at most from the first report
	 * it waits for (later ones do not push the deadline: a stalled disk must not hold the
	 * reports of a flapping instance for ever) */
	if (lr_writer_done(p->writer) >= p->deliver_gen || lr_now_us() >= p->deliver_hold_us)
		p->deliver_hold_us = lr_now_us() + LR_PLUGIN_DELIVER_HOLD_US;
	p->deliver_gen = lr_plugin_publish(p);
	rp->trim_later = true;
	/* never wait long: the FIFO is not read meanwhile (the pipe holds 1 MiB) */
	rp->commit_wait_ms = LR_PLUGIN_COMMIT_WAIT_MS;
	if (!rp->sp)
		lr_report_begin(p->cfg, LR_PLUGIN_COMMIT_WAIT_MS, rp);
	if (p->n_deferred) { /* in order: behind those that wait */
		defer(p, evs, n);
		if (rp->commit_fd >= 0 && commit(p, p->deferred, p->n_deferred, rp))
			deferred_clear(p);
	} else if (!commit(p, evs, n, rp)) {
		defer(p, evs, n);
	}
	lr_report_end(rp);
}

/* The last queued line for each instance, and whether it makes a new director. */
static bool takes_director(struct lr_plugin *p, size_t k, size_t *idx)
{
	const struct lr_instance *in = lr_config_find(p->cfg, p->q[k].l.name, idx);

	for (size_t j = k + 1; j < p->nq; j++)
		if (!strcmp(p->q[j].l.name, p->q[k].l.name))
			return false;
	return in && in->roles[p->q[k].l.kstate] == LR_ROLE_DIRECTOR &&
	       p->views[*idx].role != LR_ROLE_DIRECTOR;
}

/* ---- a batch that failed before it ran ---- */

static void retry_arm(struct lr_plugin *p)
{
	if (p->retry_round < LR_PLUGIN_RETRY_MAX_ROUND)
		p->retry_round++;
	p->retry_due_us = lr_now_us() + (LR_PLUGIN_RETRY_US << (p->retry_round - 1));
}

/* The batch of lines p->q[0..nq) failed before it ran: each instance's newest line is kept
 * for the retry (its arrival was recorded for all of them, or for none). */
static void retry_keep(struct lr_plugin *p, const struct lr_switch *sw, size_t nq)
{
	bool recorded = sw->n_events > 0 && sw->events[0].seq != 0;
	size_t idx;

	for (size_t k = 0; k < nq; k++) {
		if (!lr_config_find(p->cfg, p->q[k].l.name, &idx))
			continue;
		p->views[idx].retry = (struct lr_retry){ .pending = true, .recorded = recorded, .line = p->q[k] };
	}
	retry_arm(p);
	log_warn("the newest event of each instance of that batch is applied as soon as a switch can run "
		 "(tried again in %llu s)", (unsigned long long)((p->retry_due_us - lr_now_us() + 999999u) / 1000000u));
}

/* The batch of lines p->q[0..nq) ran: its lines are newer than their instances' retries, and
 * its sweep applied every arrival recorded before it. */
static void retry_settled(struct lr_plugin *p, size_t nq)
{
	bool any = false;
	size_t idx;

	for (size_t k = 0; k < nq; k++)
		if (lr_config_find(p->cfg, p->q[k].l.name, &idx))
			p->views[idx].retry.pending = false;
	for (size_t i = 0; i < p->cfg->n_inst; i++) {
		struct lr_retry *rt = &p->views[i].retry;

		rt->pending &= !rt->recorded;
		any |= rt->pending;
	}
	if (!any)
		p->retry_due_us = p->retry_round = 0;
}

/* Every retry left is of a recorded arrival: applied from the register. */
static void retry_sweep(struct lr_plugin *p)
{
	const struct lr_config *cfg = p->cfg;
	struct lr_report rp = { .commit_fd = -1 };
	struct lr_report_arg ra = { cfg, &rp };
	struct lr_request req = { .an = p->an };
	struct lr_switch sw;
	int r;

	if (cfg->n_endpoints) {
		req.before_unlock = lr_report_begin_hook;
		req.arg = &ra;
	}
	r = lr_switch_apply_pending(cfg, &req, &sw);
	if (r < 0) {
		if (r != -ETIMEDOUT)
			log_warn("retrying a failed batch: %s", sw.err);
		retry_arm(p);
		lr_report_end(&rp);
		lr_switch_clear(&sw);
		return;
	}
	retry_settled(p, 0);
	for (size_t i = 0; i < sw.n_events; i++)
		lr_event_log(cfg, &sw.events[i]);
	update_views(p, sw.events, sw.n_events);
	lr_plugin_views_refresh(p);
	if (sw.n_events)
		lr_plugin_report(p, sw.events, sw.n_events, &rp);
	else
		lr_report_end(&rp);
	lr_switch_clear(&sw);
}

uint64_t lr_plugin_retry_due(struct lr_plugin *p, uint64_t now)
{
	if (p->term || !p->retry_due_us || now < p->retry_due_us)
		return p->term ? 0 : p->retry_due_us;
	p->retry_due_us = 0;
	/* lines never recorded are read again, as they came; the loop applied the queue before
	 * its timers, so they go first */
	for (size_t i = 0; i < p->cfg->n_inst; i++) {
		struct lr_retry *rt = &p->views[i].retry;

		if (!rt->pending || rt->recorded)
			continue;
		if (p->nq == LR_PLUGIN_MAX_QUEUE)
			lr_plugin_apply(p);
		p->q[p->nq++] = rt->line;
		rt->pending = false;
	}
	if (p->nq)
		lr_plugin_apply(p); /* its own sweep applies the recorded ones too */
	else
		retry_sweep(p);
	return p->retry_due_us;
}

/* The queued lines as switch requests (options on the first); probe[i]: instance i takes the
 * director role with this batch (conflict probes before and after). */
static void requests_of_queue(struct lr_plugin *p, struct lr_request *reqs, bool *probe, struct lr_report_arg *ra)
{
	size_t idx;

	for (size_t k = 0; k < p->nq; k++) {
		reqs[k] = (struct lr_request){
			.source = "plugin", .name = p->q[k].l.name, .kstate = p->q[k].l.kstate,
			.priority = p->q[k].l.priority, .time_us = p->q[k].time_us,
		};
		if (p->cfg->plugin.conflict_detection && takes_director(p, k, &idx))
			probe[idx] = true;
	}
	reqs[0].lock_timeout_s = LR_PLUGIN_LOCK_WAIT_S;
	reqs[0].an = p->an; /* its sockets stay open: closing a packet socket takes 10-20 ms */
	if (p->cfg->n_endpoints) {
		reqs[0].before_unlock = lr_report_begin_hook;
		reqs[0].arg = ra;
	}
}

void lr_plugin_apply(struct lr_plugin *p)
{
	const struct lr_config *cfg = p->cfg;
	struct lr_request *reqs;
	struct lr_switch sw;
	struct lr_report rp = { .commit_fd = -1 };
	struct lr_report_arg ra = { cfg, &rp };
	bool *probe = NULL;
	size_t nq, superseded = 0;
	uint64_t t0, t1, t2;
	int r;

	if (p->nq == 0)
		return;
	reqs = calloc(p->nq, sizeof(*reqs));
	probe = calloc(cfg->n_inst + 1, sizeof(*probe));
	if (!reqs || !probe) {
		log_err("out of memory: %zu FIFO event(s) not applied", p->nq);
		free(reqs);
		free(probe);
		p->nq = 0;
		return;
	}
	requests_of_queue(p, reqs, probe, &ra);
	for (size_t i = 0; i < cfg->n_inst; i++)
		if (probe[i])
			lr_plugin_probe(p, i, true);
	t0 = lr_now_us();
	r = lr_switch_run_logged(cfg, reqs, p->nq, &sw);
	t1 = lr_now_us();
	nq = p->nq;
	p->nq = 0;
	if (r < 0)
		retry_keep(p, &sw, nq);
	else
		retry_settled(p, nq);
	for (size_t i = 0; i < sw.n_events; i++)
		superseded += sw.events[i].result == LR_RESULT_SUPERSEDED && !sw.events[i].applied_for;
	if (superseded)
		log_info("%zu event(s) overtaken by later lines of the same batch (reported as superseded)",
			 superseded);
	update_views(p, sw.events, sw.n_events);
	lr_plugin_views_refresh(p); /* what the lock's other holders did meanwhile */
	for (size_t i = 0; i < cfg->n_inst; i++)
		if (probe[i] && p->views[i].role == LR_ROLE_DIRECTOR)
			lr_plugin_probe(p, i, false);
	t2 = lr_now_us();
	lr_plugin_report(p, sw.events, sw.n_events, &rp);
	log_debug("batch of %zu line(s): switch (logged) %llu us, views %llu us, reports %llu us", nq,
		  (unsigned long long)(t1 - t0), (unsigned long long)(t2 - t1),
		  (unsigned long long)(lr_now_us() - t2));
	lr_switch_clear(&sw);
	free(reqs);
	free(probe);
}

/* ---- announcements while directing ---- */

static void announce(struct lr_plugin *p, size_t i)
{
	int r = lr_repeat_now(p->cfg, i, p->nl, p->an);

	if (r < 0)
		log_warn_errno(r, "%s: cannot announce its VIPs", p->cfg->inst[i].name);
}

uint64_t lr_plugin_announce_due(struct lr_plugin *p, uint64_t now)
{
	const struct lr_config *cfg = p->cfg;
	uint64_t next = 0;

	for (size_t i = 0; i < cfg->n_inst; i++) {
		struct lr_view *v = &p->views[i];

		if (v->role != LR_ROLE_DIRECTOR)
			continue;
		if (v->ann_left && v->ann_next_us <= now) {
			announce(p, i);
			v->ann_left--;
			v->ann_next_us = now + (uint64_t)cfg->announce_interval_ms * 1000u;
		}
		if (cfg->plugin.announce_refresh_s && v->refresh_next_us && v->refresh_next_us <= now) {
			announce(p, i);
			v->refresh_next_us = now + (uint64_t)cfg->plugin.announce_refresh_s * 1000000u;
		}
		if (v->ann_left && (!next || v->ann_next_us < next))
			next = v->ann_next_us;
		if (v->refresh_next_us && (!next || v->refresh_next_us < next))
			next = v->refresh_next_us;
	}
	return next;
}

void lr_plugin_views_refresh(struct lr_plugin *p)
{
	const struct lr_config *cfg = p->cfg;
	struct lr_state st = { 0 };
	char err[320];

	/* the state file is replaced atomically: no lock needed to read it */
	if (!p->sd || lr_state_load(p->sd, &st, err, sizeof(err)) < 0)
		return;
	for (size_t i = 0; i < cfg->n_inst; i++) {
		struct lr_view *v = &p->views[i];
		struct lr_record *rec = lr_state_find(&st, cfg->inst[i].name);
		enum lr_role role = rec ? rec->role : LR_ROLE_UNKNOWN;

		if (role == v->role)
			continue;
		/* changed by someone else (lvsrole-notify, another plugin during a reload) */
		log_info("%s: recorded role is now %s (was %s here)", cfg->inst[i].name, lr_role_name(role),
			 lr_role_name(v->role));
		v->role = role;
		v->kstate = rec ? rec->kstate : LR_KSTATE_NONE;
		v->priority = rec ? rec->priority : -1;
		if (role != LR_ROLE_DIRECTOR)
			leave_director(v);
		p->metrics_dirty = p->status_dirty = true;
	}
	lr_state_free(&st);
}

void lr_plugin_views_load(struct lr_plugin *p)
{
	const struct lr_config *cfg = p->cfg;
	struct lr_state st = { 0 };
	char err[320];
	uint64_t now = lr_now_us();

	if (p->sd && lr_state_load(p->sd, &st, err, sizeof(err)) < 0)
		log_warn("%s", err);
	for (size_t i = 0; i < cfg->n_inst; i++) {
		struct lr_view *v = &p->views[i];
		struct lr_record *rec = lr_state_find(&st, cfg->inst[i].name);

		v->role = rec ? rec->role : LR_ROLE_UNKNOWN;
		v->kstate = rec ? rec->kstate : LR_KSTATE_NONE;
		v->priority = rec ? rec->priority : -1;
		v->changed_wall_us = rec ? rec->time_us : 0;
		if (v->role == LR_ROLE_DIRECTOR && cfg->plugin.announce_refresh_s)
			v->refresh_next_us = now + (uint64_t)cfg->plugin.announce_refresh_s * 1000000u;
	}
	lr_state_free(&st);
}
