/* The record of one transition: what was asked, what was done, how it ended. It is what the
 * logs, `status` and (later) the webhook reports are made from. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "plan.h"

enum lr_result {
	LR_RESULT_OK,
	LR_RESULT_PARTIAL,
	LR_RESULT_FAILED,
	LR_RESULT_NOOP,
	LR_RESULT_SUPERSEDED,
	LR_RESULT__COUNT,
};

struct lr_event {
	uint64_t seq;     /* per-host sequence number, given at arrival */
	uint64_t time_us; /* wall clock at arrival */
	const char *source;
	char host[256];
	size_t inst; /* index in the config */
	enum lr_scope scope;
	char name[LR_MAX_NAME + 1];
	enum lr_kstate prev_kstate, kstate;
	int prev_priority, priority;
	enum lr_role prev_role, role;
	struct lr_plan plan; /* the changes, each with its result */
	enum lr_result result;
	uint64_t superseded_by; /* the newer event's sequence number */
	uint64_t applied_for;   /* superseded, but applied that newer event's intent */
	enum lr_role applied_role;
	enum lr_kstate applied_kstate;
	bool converge_only;     /* superseded: only finish the recorded switch, if unfinished */
	uint64_t lock_wait_us, duration_us;
	bool dry_run;
	char err[200]; /* why the switch could not run, when it could not */
};

const char *lr_result_name(enum lr_result r);
/* Result from the executed plan: noop, ok, partial or failed. */
enum lr_result lr_event_outcome(const struct lr_plan *plan);
struct json_object;
/* The event's "data" object of a report (webhook.md). */
struct json_object *lr_event_data(const struct lr_config *cfg, const struct lr_event *ev);
/* The same with the time, as compact JSON for the debug log (malloc'd). */
char *lr_event_json(const struct lr_config *cfg, const struct lr_event *ev);
void lr_event_clear(struct lr_event *ev);
