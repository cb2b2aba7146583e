/* The role switch both programs call: serialise, skip what a newer event superseded, read
 * the kernel, plan, apply in the safe order, record. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "event.h"
#include "nl.h"
#include "plan.h"
#include "state.h"

struct lr_request {
	const char *source;    /* "notify", "operator" */
	const char *name;      /* NULL: every configured instance and group */
	enum lr_kstate kstate; /* keepalived's state, or LR_KSTATE_NONE for an explicit role */
	enum lr_role role;     /* LR_ROLE_UNKNOWN: the config's role for kstate */
	int priority;          /* -1: none */
	uint64_t time_us;      /* wall clock at arrival; 0: now */
	bool dry_run;
	unsigned lock_timeout_s;
	/* called with the state lock still held, once the switch is over (reports take their
	 * order from it); may be NULL */
	void (*before_unlock)(void *arg);
	void *arg;
	/* the caller's announcer (a long-running caller keeps one), or NULL: the switch opens
	 * one and leaves it in lr_switch.an */
	struct lr_announcer *an;
};

/* Where a switch that could not start failed (maps to an exit code). */
enum lr_fail { LR_FAIL_NONE, LR_FAIL_STATE, LR_FAIL_KERNEL };

struct lr_announcer;
struct lr_switch {
	struct lr_event *events; /* one per instance handled */
	size_t n_events;
	enum lr_fail fail;
	char err[512];
	/* the announcer the switch opened (NULL with the caller's): closing its packet socket
	 * waits for an RCU grace period, 10 to 20 ms, so lr_repeat_spawn hands it to
	 * a child and the caller's exit does not wait for that */
	struct lr_announcer *an;
};

int lr_switch_run(const struct lr_config *cfg, const struct lr_request *req, struct lr_switch *out);
/* Several requests in arrival order (the FIFO's), under one lock: an event that a later one
 * of the batch overrides for the same instance is superseded without touching the host.
 * Options (dry_run, lock_timeout_s, before_unlock, an) are reqs[0]'s. */
int lr_switch_run_many(const struct lr_config *cfg, const struct lr_request *reqs, size_t n_reqs,
		       struct lr_switch *out);
/* lr_switch_run_many, then what every caller does with the outcome: a run that could not
 * start has its reason logged and its events marked failed with it (lr_switch_mark_failed);
 * then each event is logged (after such a failure, those that did not end ok), unless it is a
 * dry run. Returns lr_switch_run_many's result. */
int lr_switch_run_logged(const struct lr_config *cfg, const struct lr_request *reqs, size_t n_reqs,
			 struct lr_switch *out);
void lr_switch_clear(struct lr_switch *sw);
/* After a switch that could not run: its events that did nothing are reported as failed,
 * with the reason (sw->err). */
void lr_switch_mark_failed(struct lr_switch *sw);
/* Applies, under the lock (waiting at most ~0.1 s: -ETIMEDOUT), every event of the arrivals
 * register that is not applied yet: the newest event of each instance, whatever happened to
 * its own run (a run that could not get the lock, or was killed). out holds them (source
 * "sweep"); none when all are applied. Of req only before_unlock, arg and an are used. */
int lr_switch_apply_pending(const struct lr_config *cfg, const struct lr_request *req, struct lr_switch *out);
/* Drift: compares the host with the recorded roles under the lock (waiting at most ~0.1 s)
 * and, with repair, applies what differs. out holds one LR_EVENT_DRIFT event per instance
 * concerned (none when the host matches). Of req only before_unlock, arg and an are used. */
int lr_switch_converge(const struct lr_config *cfg, const struct lr_request *req, bool repair,
		       struct lr_switch *out);
