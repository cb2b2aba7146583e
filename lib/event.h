/* The record of one transition: what was asked, what was done, how it ended. It is what the
 * logs, `status` and (later) the webhook reports are made from. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "plan.h"

struct lr_event {
	enum lr_event_type type;
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
	bool ran;               /* the switch dealt with it (else it stopped before: failed) */
	uint64_t lock_wait_us, duration_us;
	bool dry_run;
	char err[200]; /* why the switch could not run, when it could not */
	bool repair;   /* drift: the changes were applied (else only reported) */
	/* conflict: who else claims which VIP, and how it was seen */
	struct lr_ip vip;
	char dev[LR_IFNAMSIZ];
	uint8_t own_mac[6], foreign_mac[6];
	const char *seen_as;
	/* IPVS loop risk: the services ("TCP 10.0.0.50:80, ...") and what to do */
	char risk_services[256];
	char risk[512];
};

/* Result from the executed plan: noop, ok, partial or failed. */
enum lr_result lr_event_outcome(const struct lr_plan *plan);
struct json_object;
/* The event's "data" object of a report (doc/reports.md). */
struct json_object *lr_event_data(const struct lr_config *cfg, const struct lr_event *ev);
/* The same with the time, as compact JSON for the debug log (malloc'd). */
char *lr_event_json(const struct lr_config *cfg, const struct lr_event *ev);
/* Whether the switch planned announcements for ev and tried the first (the role applied may be
 * a newer event's, applied on its behalf). A first send that failed counts: the repeats exist
 * for exactly that (a NIC down for a moment, ENOBUFS). */
bool lr_event_announces(const struct lr_event *ev);
/* The log lines of a transition: one at info (none for a plain superseded event), the JSON at debug. */
void lr_event_log(const struct lr_config *cfg, const struct lr_event *ev);
void lr_event_clear(struct lr_event *ev);
