/* The switch: one code path for every caller. Arrival is recorded before waiting for the
 * lock, so an event that a newer one overtook while it waited is skipped, and the host ends
 * in the role of the last event. The intended role is recorded before the kernel is touched,
 * so a crash half-way is converged by whatever runs next. */
#include "config.h"
#include "switch-run.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec.h"
#include "host.h"
#include "log.h"

int lr_run_fail(struct switch_run *run, enum lr_fail where, int err, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(run->out->err, sizeof(run->out->err), fmt, ap);
	va_end(ap);
	n = strlen(run->out->err);
	/* O_NOFOLLOW's ELOOP: a link planted in the state directory, never followed */
	snprintf(run->out->err + n, sizeof(run->out->err) - n, ": %s",
		 err == -ELOOP ? "a symbolic link (refused: never followed)" : strerror(-err));
	run->out->fail = where;
	return err;
}

/* The state directory refused: which rule it broke, in words. */
static int dir_failed(struct switch_run *run, int err)
{
	char why[160];

	snprintf(run->out->err, sizeof(run->out->err), "state directory %s: %s", run->cfg->state_dir,
		 lr_dir_refusal(run->cfg->state_dir, err, why, sizeof(why)));
	run->out->fail = LR_FAIL_STATE;
	return err;
}

static enum lr_role requested_role(const struct lr_request *req, const struct lr_instance *in)
{
	if (req->role != LR_ROLE_UNKNOWN)
		return req->role;
	return in->roles[req->kstate];
}

static int replan_after_deletes(struct switch_run *run, struct lr_event *ev);

/* Decides what this event does once it holds the lock: its own intent, nothing (a newer
 * event has been applied already), or the newest arrival's intent when that one has not been
 * applied: its process may still wait for the lock, or may have been killed while waiting
 * (keepalived SIGKILLs STOP notifies after a second). Either way the host ends in the role
 * of the last event to arrive. */
static int resolve(struct switch_run *run, struct lr_event *ev, struct lr_record *rec, struct lr_arrival *want)
{
	struct lr_arrival last;
	int r;

	memset(want, 0, sizeof(*want));
	want->seq = ev->seq;
	want->kstate = ev->kstate;
	want->priority = ev->priority;
	want->role = ev->role;
	want->time_us = ev->time_us;
	if (run->req->dry_run)
		return 1;
	r = lr_statedir_last_arrival(run->txn.sd, ev->name, &last);
	if (r < 0)
		return lr_run_fail(run, LR_FAIL_STATE, r, "%s: cannot read arrivals", run->txn.sd->path);
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
		char w[320];

		if (s->kind == LR_STEP_ADDR_ADD && s->phase == LR_PHASE_NIC_ADD && s->done && !s->err &&
		    s->ip.family == AF_INET6) {
			log_warn("%s", lr_host_v6_source_warning(&s->ip, s->ifname, w, sizeof(w)));
			return;
		}
	}
}

/* A VIP put on a real-server device other than lo (tunl0) that cannot receive: said once. */
static void warn_rs_dev(struct lr_nl *nl, const struct lr_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		const struct lr_step *s = &plan->steps[i];
		char w[320];

		if (s->kind == LR_STEP_ADDR_ADD && s->phase == LR_PHASE_RS_ADD && s->done && !s->err) {
			if (lr_host_rs_dev_warning(nl, s->ifname, w, sizeof(w)))
				log_warn("%s", w);
			return;
		}
	}
}

/* ev's plan, from the host as the kernel shows it now and the roles with want's; *own_source:
 * the host has an IPv6 source address of its own. */
static int plan_event(struct switch_run *run, struct lr_event *ev, const struct lr_arrival *want,
		      enum lr_role was, bool *own_source)
{
	struct lr_host host;
	int r;

	run->roles[ev->inst] = want->role;
	run->announce[ev->inst] = want->role == LR_ROLE_DIRECTOR && was != LR_ROLE_DIRECTOR;
	r = lr_host_read(run->cfg, run->nl, &run->txn.st, &host);
	if (r < 0)
		return lr_run_fail(run, LR_FAIL_KERNEL, r, "cannot read the host's addresses");
	r = lr_plan_compute(run->cfg, run->roles, run->announce, &host, &ev->plan);
	*own_source = host.v6_own_source;
	lr_host_free(&host);
	run->announce[ev->inst] = false;
	return r < 0 ? lr_run_fail(run, LR_FAIL_KERNEL, r, "cannot compute the plan") : 0;
}

/* The intent recorded before the kernel is touched: a crash from here on is converged by
 * the next run (doc/switch.md, rule 12). */
static int record_intent(struct switch_run *run, struct lr_event *ev, struct lr_record *rec,
			 const struct lr_arrival *want)
{
	int r;

	rec->role = want->role;
	rec->scope = run->cfg->inst[ev->inst].scope;
	rec->kstate = want->kstate;
	rec->priority = want->priority;
	rec->seq = want->seq;
	rec->time_us = want->time_us;
	snprintf(rec->result, sizeof(rec->result), "pending");
	r = lr_plan_keep_originals(&run->txn.st, &ev->plan);
	if (r == 0)
		r = lr_txn_save(&run->txn);
	return r < 0 ? lr_run_fail(run, LR_FAIL_STATE, r, "%s/state.json: cannot write the state file", run->txn.sd->path) : 0;
}

/* One event under the lock: what it asks for (or the newest arrival's intent), planned,
 * recorded, executed, and its result recorded. */
static int apply_event(struct switch_run *run, struct lr_event *ev)
{
	struct lr_record *rec = lr_state_get(&run->txn.st, ev->name);
	struct lr_arrival want;
	uint64_t t0 = lr_now_us();
	bool own_source = true;
	int r;

	if (!rec)
		return -ENOMEM;
	ev->prev_role = rec->role;
	ev->prev_kstate = rec->kstate;
	ev->prev_priority = rec->priority;
	r = resolve(run, ev, rec, &want);
	if (r <= 0 || (r = plan_event(run, ev, &want, rec->role, &own_source)) < 0)
		return r;
	if (run->req->dry_run || (ev->converge_only && ev->plan.n == 0)) {
		ev->duration_us = run->req->dry_run ? lr_now_us() - t0 : 0;
		return 0;
	}
	if (ev->converge_only) {
		log_warn("%s: the recorded switch to %s was not finished (interrupted?): finishing it",
			 ev->name, lr_role_name(want.role));
		ev->applied_for = want.seq;
		ev->applied_role = want.role;
		ev->applied_kstate = want.kstate;
	}
	if ((r = record_intent(run, ev, rec, &want)) < 0)
		return r;
	lr_plan_execute(run->cfg, run->nl, run->an, ev, 0);
	if (!own_source)
		warn_v6_source(&ev->plan);
	warn_rs_dev(run->nl, &ev->plan);
	r = replan_after_deletes(run, ev);
	if (r < 0)
		return lr_run_fail(run, LR_FAIL_KERNEL, r, "cannot re-read the host's addresses");
	ev->duration_us = lr_now_us() - t0;
	snprintf(rec->result, sizeof(rec->result), "%s", lr_result_name(lr_event_outcome(&ev->plan)));
	if (!ev->applied_for)
		ev->result = lr_event_outcome(&ev->plan);
	r = lr_txn_save(&run->txn);
	if (r < 0)
		log_warn_errno(r, "%s: cannot record the result", run->txn.sd->path);
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
static int replan_after_deletes(struct switch_run *run, struct lr_event *ev)
{
	size_t from = 0;

	for (int round = 0; round < 2 && removed_ipv4(&ev->plan, from); round++) {
		struct lr_plan more;
		struct lr_host host;
		struct lr_step *ns;
		int r = lr_host_read(run->cfg, run->nl, &run->txn.st, &host);

		if (r < 0)
			return r;
		r = lr_plan_compute(run->cfg, run->roles, NULL, &host, &more);
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
			 ev->name, run->cfg->inst[ev->inst].nic, more.n);
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
		lr_plan_execute(run->cfg, run->nl, run->an, ev, from);
	}
	return 0;
}

/* An event for instance i of the configuration, asking for (kstate, priority, role). */
void lr_run_init_event(struct switch_run *run, struct lr_event *ev, size_t i, const char *source,
		       enum lr_kstate kstate, int priority, enum lr_role role, uint64_t time_us)
{
	const struct lr_instance *in = &run->cfg->inst[i];

	memset(ev, 0, sizeof(*ev));
	ev->inst = i;
	ev->scope = in->scope;
	snprintf(ev->name, sizeof(ev->name), "%s", in->name);
	snprintf(ev->host, sizeof(ev->host), "%s", run->host);
	ev->source = source;
	ev->kstate = kstate;
	ev->priority = priority;
	ev->role = role;
	ev->time_us = time_us;
	ev->dry_run = run->req->dry_run;
}

static int prepare(struct switch_run *run, const struct lr_request *reqs, size_t n_reqs)
{
	const struct lr_config *cfg = run->cfg;
	struct lr_switch *out = run->out;
	uint64_t now = lr_wall_us();
	size_t n = 0, max = 0;

	gethostname(run->host, sizeof(run->host) - 1);
	for (size_t k = 0; k < n_reqs; k++)
		max += reqs[k].name ? 1 : cfg->n_inst;
	out->events = calloc(max + 1, sizeof(*out->events));
	run->roles = calloc(cfg->n_inst + 1, sizeof(*run->roles));
	run->announce = calloc(cfg->n_inst + 1, sizeof(*run->announce));
	if (!out->events || !run->roles || !run->announce)
		return -ENOMEM;
	for (size_t k = 0; k < n_reqs; k++) {
		const struct lr_request *req = &reqs[k];

		for (size_t i = 0; i < cfg->n_inst; i++) {
			const struct lr_instance *in = &cfg->inst[i];

			if (req->name && strcmp(req->name, in->name))
				continue;
			lr_run_init_event(run, &out->events[n++], i, req->source, req->kstate, req->priority,
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

/* Where lr_txn_begin stopped, in words. The lock: who holds it, rather than the errno's
 * "Connection timed out"; and the events' previous roles from the state file as last saved,
 * so that their failure says where the host stays. */
static int txn_failed(struct switch_run *run, int err, unsigned waited_s)
{
	const char *path = run->txn.sd ? run->txn.sd->path : run->cfg->state_dir;
	char who[32] = "another process", why[320];
	long pid;

	switch (run->txn.failed) {
	case LR_TXN_OPEN:
		return dir_failed(run, err);
	case LR_TXN_ARRIVE:
		return lr_run_fail(run, LR_FAIL_STATE, err, "%s: cannot record the arrival (arrivals.json, arrivals.lock)", path);
	case LR_TXN_LOAD:
		return lr_run_fail(run, LR_FAIL_STATE, err, "%s/state.json: cannot read the state file", path);
	case LR_TXN_LOCK:
		break;
	}
	if (err != -ETIMEDOUT)
		return lr_run_fail(run, LR_FAIL_STATE, err, "%s/lock: cannot take the lock", path);
	/* with no event to report (a drift check, a retry) the caller only tries again later:
	 * nobody reads who holds it */
	if (run->out->n_events && (pid = lr_statedir_lock_holder(run->txn.sd)) > 0)
		snprintf(who, sizeof(who), "pid %ld", pid);
	if (waited_s)
		snprintf(run->out->err, sizeof(run->out->err), "%s/lock: held by %s for more than %u s", path, who, waited_s);
	else
		snprintf(run->out->err, sizeof(run->out->err), "%s/lock: held by %s", path, who);
	run->out->fail = LR_FAIL_STATE;
	/* the events' roles as last saved (replaced atomically: readable without the lock) */
	if (run->out->n_events == 0 || lr_state_load(run->txn.sd, &run->txn.st, why, sizeof(why)) < 0)
		return err;
	for (size_t i = 0; i < run->out->n_events; i++) {
		struct lr_event *ev = &run->out->events[i];
		const struct lr_record *rec = lr_state_find(&run->txn.st, ev->name);

		ev->prev_role = rec ? rec->role : LR_ROLE_UNKNOWN;
		ev->prev_kstate = rec ? rec->kstate : LR_KSTATE_NONE;
		ev->prev_priority = rec ? rec->priority : -1;
	}
	return err;
}

/* What the events ask for, recorded as arrivals before the wait for the lock. */
static struct lr_arrival *arrivals_of(const struct lr_switch *out)
{
	struct lr_arrival *arr = calloc(out->n_events + 1, sizeof(*arr));

	for (size_t i = 0; arr && i < out->n_events; i++) {
		const struct lr_event *ev = &out->events[i];

		snprintf(arr[i].name, sizeof(arr[i].name), "%s", ev->name);
		arr[i].kstate = ev->kstate;
		arr[i].priority = ev->priority;
		arr[i].role = ev->role;
		arr[i].time_us = ev->time_us;
	}
	return arr;
}

int lr_run_hold_state(struct switch_run *run, bool arrive, unsigned wait_s)
{
	struct lr_arrival *arr = arrive && !run->req->dry_run ? arrivals_of(run->out) : NULL;
	size_t n = arr ? run->out->n_events : 0;
	int r;

	if (arrive && !run->req->dry_run && !arr)
		return -ENOMEM;
	r = lr_txn_begin(&run->txn, run->cfg->state_dir, arr, n, wait_s, run->req->dry_run);
	for (size_t i = 0; i < n && (r == 0 || run->txn.failed > LR_TXN_ARRIVE); i++)
		run->out->events[i].seq = arr[i].seq;
	free(arr);
	if (run->txn.quarantined)
		log_err("%s; moved aside to state.json.corrupt, starting with no records", run->txn.err);
	return r < 0 ? txn_failed(run, r, wait_s) : 0;
}

/* Before the lock goes, apply any event that arrived while this run worked and is not
 * applied: its own run may be killed while it waits (keepalived SIGKILLs a STOP notify after a
 * second), and nobody else might come. The applying is reported as that event's. */
static int apply_late_arrivals(struct switch_run *run)
{
	size_t n = run->cfg->n_inst;
	const char **names = calloc(n + 1, sizeof(*names));
	struct lr_arrival *last = calloc(n + 1, sizeof(*last));
	int r = names && last ? 0 : -ENOMEM;

	for (size_t i = 0; r == 0 && i < n; i++)
		names[i] = run->cfg->inst[i].name;
	for (int round = 0; r == 0 && round < 8; round++) {
		bool more = false;

		r = lr_statedir_arrivals(run->txn.sd, names, n, last);
		if (r < 0) {
			r = lr_run_fail(run, LR_FAIL_STATE, r, "%s: cannot read arrivals", run->txn.sd->path);
			break;
		}
		for (size_t i = 0; r == 0 && i < n; i++) {
			struct lr_record *rec = lr_state_find(&run->txn.st, names[i]);
			struct lr_event *ne;

			if (last[i].seq == 0 || last[i].role == LR_ROLE_UNKNOWN ||
			    (rec && rec->seq >= last[i].seq))
				continue;
			ne = realloc(run->out->events, (run->out->n_events + 1) * sizeof(*ne));
			if (!ne) {
				r = -ENOMEM;
				break;
			}
			run->out->events = ne;
			lr_run_init_event(run, &ne[run->out->n_events], i, "sweep", last[i].kstate, last[i].priority,
				   last[i].role, last[i].time_us);
			ne[run->out->n_events].seq = last[i].seq;
			log_info("%s: event #%llu (%s %s) is not applied yet: applying it",
				 names[i], (unsigned long long)last[i].seq, lr_kstate_name(last[i].kstate),
				 lr_role_name(last[i].role));
			r = apply_event(run, &ne[run->out->n_events]);
			ne[run->out->n_events++].ran = r == 0;
			more = true;
		}
		if (!more)
			break;
	}
	free(names);
	free(last);
	return r;
}

int lr_run_open_kernel(struct switch_run *run, const struct lr_request *req)
{
	int r;

	run->an = req->an;
	run->own_an = !run->an;
	if (!run->an)
		run->an = lr_announcer_new();
	r = run->an ? lr_nl_open(&run->nl) : -ENOMEM;
	return r < 0 ? lr_run_fail(run, LR_FAIL_KERNEL, r, "cannot open a netlink socket") : 0;
}

/* Releases what a run holds (the lock first); r: its result, with a message if none yet. */
int lr_run_end(struct switch_run *run, int r)
{
	lr_txn_end(&run->txn);
	if (run->own_an)
		run->out->an = run->an;
	lr_nl_close(run->nl);
	free(run->roles);
	free(run->announce);
	if (r < 0 && !run->out->err[0])
		snprintf(run->out->err, sizeof(run->out->err), "%s", strerror(-r));
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

/* A later event of the same batch for the same instance: this one is superseded at once
 * (never replay deltas: the later one is applied under the same lock). */
static const struct lr_event *later_in_batch(const struct lr_switch *out, size_t i)
{
	for (size_t j = out->n_events; j-- > i + 1;)
		if (out->events[j].inst == out->events[i].inst)
			return &out->events[j];
	return NULL;
}

static void skip_superseded(struct switch_run *run, struct lr_event *ev, uint64_t by)
{
	struct lr_record *rec = lr_state_find(&run->txn.st, ev->name);

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
	struct switch_run run = { .cfg = cfg, .req = req, .out = out };
	int r;

	memset(out, 0, sizeof(*out));
	r = prepare(&run, reqs, n_reqs);
	if (r < 0)
		goto out;
	r = lr_run_hold_state(&run, true, lock_wait_s(req));
	if (r < 0)
		goto out;
	if ((r = lr_run_open_kernel(&run, req)) < 0)
		goto out;
	lr_roles_from_state(cfg, &run.txn.st, run.roles);
	for (size_t i = 0; i < out->n_events && r == 0; i++) {
		const struct lr_event *later = req->dry_run ? NULL : later_in_batch(out, i);

		out->events[i].lock_wait_us = run.txn.lock_wait_us;
		if (later)
			skip_superseded(&run, &out->events[i], later->seq);
		else
			r = apply_event(&run, &out->events[i]);
		out->events[i].ran = r == 0;
	}
	if (r == 0 && !req->dry_run)
		r = apply_late_arrivals(&run);
	if (!req->dry_run && req->before_unlock)
		req->before_unlock(req->arg);
out:
	return lr_run_end(&run, r);
}

int lr_switch_apply_pending(const struct lr_config *cfg, const struct lr_request *req, struct lr_switch *out)
{
	struct lr_request opts = { .source = "sweep", .before_unlock = req->before_unlock,
				   .arg = req->arg, .an = req->an };
	struct switch_run run = { .cfg = cfg, .req = &opts, .out = out };
	int r = -ENOMEM;

	memset(out, 0, sizeof(*out));
	gethostname(run.host, sizeof(run.host) - 1);
	run.roles = calloc(cfg->n_inst + 1, sizeof(*run.roles));
	run.announce = calloc(cfg->n_inst + 1, sizeof(*run.announce));
	if (!run.roles || !run.announce)
		goto out;
	/* without waiting long (~0.1 s): the caller's event loop reads keepalived's FIFO */
	if ((r = lr_run_hold_state(&run, false, 0)) < 0 || (r = lr_run_open_kernel(&run, &opts)) < 0)
		goto out;
	lr_roles_from_state(cfg, &run.txn.st, run.roles);
	r = apply_late_arrivals(&run);
	if (opts.before_unlock)
		opts.before_unlock(opts.arg);
out:
	return lr_run_end(&run, r);
}

int lr_switch_run(const struct lr_config *cfg, const struct lr_request *req, struct lr_switch *out)
{
	return lr_switch_run_many(cfg, req, 1, out);
}

int lr_switch_run_logged(const struct lr_config *cfg, const struct lr_request *reqs, size_t n_reqs,
			 struct lr_switch *out)
{
	int r = lr_switch_run_many(cfg, reqs, n_reqs, out);

	if (r < 0) {
		log_err("%s", out->err);
		lr_switch_mark_failed(out); /* reported as failed, with the reason */
	}
	for (size_t i = 0; !reqs[0].dry_run && i < out->n_events; i++)
		if (r == 0 || out->events[i].result != LR_RESULT_OK)
			lr_event_log(cfg, &out->events[i]);
	return r;
}

void lr_switch_clear(struct lr_switch *sw)
{
	for (size_t i = 0; i < sw->n_events; i++)
		lr_event_clear(&sw->events[i]);
	free(sw->events);
	lr_announcer_free(sw->an);
	memset(sw, 0, sizeof(*sw));
}
