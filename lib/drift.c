/* Drift: the host compared with the recorded roles, under the lock, and with repair the
 * difference applied; one event per instance concerned, for the plugin to report. */
#include "config.h"
#include "switch-run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec.h"
#include "host.h"

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
static int split_drift(struct switch_run *run, struct lr_event *all, bool repair)
{
	const struct lr_config *cfg = run->cfg;
	size_t *owner = calloc(all->plan.n + 1, sizeof(*owner));
	struct lr_switch *out = run->out;

	if (!owner)
		return -ENOMEM;
	out->events = calloc(cfg->n_inst + 1, sizeof(*out->events));
	if (!out->events) {
		free(owner);
		return -ENOMEM;
	}
	for (size_t k = 0; k < all->plan.n; k++)
		owner[k] = all->plan.steps[k].inst >= 0 ? (size_t)all->plan.steps[k].inst
			   : sysctl_owner(cfg, run->roles, &all->plan.steps[k]);
	for (size_t i = 0; i < cfg->n_inst; i++) {
		struct lr_record *rec = lr_state_find(&run->txn.st, cfg->inst[i].name);
		struct lr_event *ev = &out->events[out->n_events];
		size_t n = 0;

		for (size_t k = 0; k < all->plan.n; k++)
			n += owner[k] == i;
		if (n == 0)
			continue;
		lr_run_init_event(run, ev, i, "drift", rec ? rec->kstate : LR_KSTATE_NONE, rec ? rec->priority : -1,
			   run->roles[i], all->time_us);
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
	struct switch_run run = { .cfg = cfg, .req = req, .out = out };
	struct lr_event all = { .time_us = lr_wall_us() };
	struct lr_host host;
	uint64_t t0 = lr_now_us();
	int r;

	memset(out, 0, sizeof(*out));
	gethostname(run.host, sizeof(run.host) - 1);
	run.roles = calloc(cfg->n_inst + 1, sizeof(*run.roles));
	if (!run.roles)
		return -ENOMEM;
	if ((r = lr_run_hold_state(&run, false, 0)) < 0)
		goto out;
	all.lock_wait_us = run.txn.lock_wait_us;
	lr_roles_from_state(cfg, &run.txn.st, run.roles);
	if ((r = lr_run_open_kernel(&run, req)) < 0)
		goto out;
	r = lr_host_read(cfg, run.nl, &run.txn.st, &host);
	if (r < 0) {
		lr_run_fail(&run, LR_FAIL_KERNEL, r, "cannot read the host's addresses");
		goto out;
	}
	r = lr_plan_compute(cfg, run.roles, NULL, &host, &all.plan);
	lr_host_free(&host);
	if (r < 0 || all.plan.n == 0)
		goto out;
	snprintf(all.name, sizeof(all.name), "drift");
	if (repair) {
		r = lr_plan_keep_originals(&run.txn.st, &all.plan);
		if (r == 0)
			r = lr_txn_save(&run.txn);
		if (r < 0) {
			lr_run_fail(&run, LR_FAIL_STATE, r, "%s/state.json: cannot write the state file", run.txn.sd->path);
			goto out;
		}
		lr_plan_execute(cfg, run.nl, run.an, &all, 0);
	}
	all.duration_us = lr_now_us() - t0;
	r = split_drift(&run, &all, repair);
	if (r == 0 && req->before_unlock)
		req->before_unlock(req->arg);
out:
	lr_plan_free(&all.plan);
	return lr_run_end(&run, r);
}
