/* Event records and their JSON form. */
#include "config.h"
#include "event.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "step.h"

static void mac_str(const uint8_t m[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* A conflict: which VIP, on which NIC, our MAC and the other one, and how it showed. */
static struct json_object *conflict_data(const struct lr_event *ev)
{
	struct json_object *o = json_object_new_object();
	char buf[64];

	json_object_object_add(o, "host", json_object_new_string(ev->host));
	json_object_object_add(o, "source", json_object_new_string(ev->source));
	json_object_object_add(o, "scope", json_object_new_string(lr_scope_name(ev->scope)));
	json_object_object_add(o, "name", json_object_new_string(ev->name));
	json_object_object_add(o, "role", json_object_new_string(lr_role_name(ev->role)));
	json_object_object_add(o, "vip", json_object_new_string(lr_ip_str(&ev->vip, buf, sizeof(buf))));
	json_object_object_add(o, "interface", json_object_new_string(ev->dev));
	mac_str(ev->own_mac, buf, sizeof(buf));
	json_object_object_add(o, "own_mac", json_object_new_string(buf));
	mac_str(ev->foreign_mac, buf, sizeof(buf));
	json_object_object_add(o, "foreign_mac", json_object_new_string(buf));
	json_object_object_add(o, "seen_as", json_object_new_string(ev->seen_as ? ev->seen_as : "arp"));
	json_object_object_add(o, "result", json_object_new_string(lr_result_name(ev->result)));
	return o;
}

/* An IPVS loop risk: which services of the instance's VIPs its guard leaves open. */
static struct json_object *loop_risk_data(const struct lr_config *cfg, const struct lr_event *ev)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "host", json_object_new_string(ev->host));
	json_object_object_add(o, "source", json_object_new_string(ev->source));
	json_object_object_add(o, "scope", json_object_new_string(lr_scope_name(ev->scope)));
	json_object_object_add(o, "name", json_object_new_string(ev->name));
	json_object_object_add(o, "role", json_object_new_string(lr_role_name(ev->role)));
	json_object_object_add(o, "loop_guard",
			       json_object_new_string(lr_guard_mode_names[cfg->inst[ev->inst].ipvs.guard]));
	json_object_object_add(o, "services", json_object_new_string(ev->risk_services));
	json_object_object_add(o, "message", json_object_new_string(ev->risk));
	json_object_object_add(o, "result", json_object_new_string(lr_result_name(ev->result)));
	return o;
}

enum lr_result lr_event_outcome(const struct lr_plan *plan)
{
	size_t ok = 0, bad = 0;

	for (size_t i = 0; i < plan->n; i++) {
		const struct lr_step *s = &plan->steps[i];

		if (s->err || s->skipped)
			bad++;
		else if (s->done && s->kind != LR_STEP_ANNOUNCE)
			ok++;
	}
	if (bad == 0)
		return ok ? LR_RESULT_OK : LR_RESULT_NOOP;
	return ok ? LR_RESULT_PARTIAL : LR_RESULT_FAILED;
}

static struct json_object *opt_int(int v)
{
	return v < 0 ? NULL : json_object_new_int(v);
}

/* One change: what it was (address on a device, or a sysctl from -> to) and how it went. */
static struct json_object *change(const struct lr_config *cfg, const struct lr_step *s)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string(lr_step_kind_name(s->kind)));
	lr_step_ops(s->kind)->to_json(cfg, s, o);
	json_object_object_add(o, "result", json_object_new_string(
		s->skipped ? "skipped" : s->err ? "failed" : s->done ? "ok" : "planned"));
	if (s->err || s->skipped)
		json_object_object_add(o, "error", json_object_new_string(s->msg));
	return o;
}

struct json_object *lr_event_data(const struct lr_config *cfg, const struct lr_event *ev)
{
	struct json_object *o = json_object_new_object(), *a, *errs;
	const struct lr_instance *in = &cfg->inst[ev->inst];
	char buf[64];

	if (ev->type == LR_EVENT_CONFLICT || ev->type == LR_EVENT_LOOP_RISK) {
		json_object_put(o);
		return ev->type == LR_EVENT_CONFLICT ? conflict_data(ev) : loop_risk_data(cfg, ev);
	}
	json_object_object_add(o, "host", json_object_new_string(ev->host));
	json_object_object_add(o, "source", json_object_new_string(ev->source));
	json_object_object_add(o, "scope", json_object_new_string(lr_scope_name(ev->scope)));
	json_object_object_add(o, "name", json_object_new_string(ev->name));
	json_object_object_add(o, "arrival", json_object_new_int64((int64_t)ev->seq));
	json_object_object_add(o, "prev_state", ev->prev_kstate == LR_KSTATE_NONE ? NULL
				: json_object_new_string(lr_kstate_name(ev->prev_kstate)));
	json_object_object_add(o, "state", ev->kstate == LR_KSTATE_NONE ? NULL
				: json_object_new_string(lr_kstate_name(ev->kstate)));
	json_object_object_add(o, "prev_priority", opt_int(ev->prev_priority));
	json_object_object_add(o, "priority", opt_int(ev->priority));
	json_object_object_add(o, "prev_role", json_object_new_string(lr_role_name(ev->prev_role)));
	json_object_object_add(o, "role", json_object_new_string(lr_role_name(ev->role)));
	a = json_object_new_array();
	for (size_t j = 0; j < in->n_vips; j++) {
		struct json_object *v = json_object_new_object();

		lr_vip_str(&in->vips[j], buf, sizeof(buf));
		json_object_object_add(v, "address", json_object_new_string(buf));
		json_object_object_add(v, "interface", json_object_new_string(in->nic));
		json_object_array_add(a, v);
	}
	json_object_object_add(o, "vips", a);
	a = json_object_new_array();
	errs = json_object_new_array();
	for (size_t i = 0; i < ev->plan.n; i++) {
		const struct lr_step *s = &ev->plan.steps[i];
		char d[160], e[320];

		json_object_array_add(a, change(cfg, s));
		if (s->err || s->skipped) {
			snprintf(e, sizeof(e), "%s: %s", lr_step_describe(cfg, s, d, sizeof(d)), s->msg);
			json_object_array_add(errs, json_object_new_string(e));
		}
	}
	if (ev->err[0])
		json_object_array_add(errs, json_object_new_string(ev->err));
	json_object_object_add(o, "changes", a);
	json_object_object_add(o, "result", json_object_new_string(lr_result_name(ev->result)));
	json_object_object_add(o, "errors", errs);
	if (ev->superseded_by)
		json_object_object_add(o, "superseded_by", json_object_new_int64((int64_t)ev->superseded_by));
	if (ev->applied_for) {
		struct json_object *a2 = json_object_new_object();

		json_object_object_add(a2, "arrival", json_object_new_int64((int64_t)ev->applied_for));
		json_object_object_add(a2, "state", json_object_new_string(lr_kstate_name(ev->applied_kstate)));
		json_object_object_add(a2, "role", json_object_new_string(lr_role_name(ev->applied_role)));
		json_object_object_add(a2, "result", json_object_new_string(lr_result_name(lr_event_outcome(&ev->plan))));
		json_object_object_add(o, "applied", a2);
	}
	json_object_object_add(o, "switch_us", json_object_new_int64((int64_t)ev->duration_us));
	json_object_object_add(o, "lock_wait_us", json_object_new_int64((int64_t)ev->lock_wait_us));
	if (ev->dry_run)
		json_object_object_add(o, "dry_run", json_object_new_boolean(1));
	if (ev->type == LR_EVENT_DRIFT)
		json_object_object_add(o, "drift", json_object_new_string(ev->repair ? "repair" : "report"));
	return o;
}

char *lr_event_json(const struct lr_config *cfg, const struct lr_event *ev)
{
	struct json_object *o = lr_event_data(cfg, ev);
	char buf[64], *out;

	lr_format_time(ev->time_us, buf, sizeof(buf));
	json_object_object_add(o, "time", json_object_new_string(buf));
	json_object_object_add(o, "type", json_object_new_string(lr_event_type_name(ev->type)));
	out = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}

void lr_event_log(const struct lr_config *cfg, const struct lr_event *ev)
{
	size_t n = lr_plan_changes(&ev->plan);
	char *json;

	if (ev->result == LR_RESULT_SUPERSEDED && !ev->applied_for)
		return;
	if (ev->applied_for)
		log_info("%s: applied event #%llu (%s %s) in place of %s %s: %s, %zu change(s) in %llu us",
			 ev->name, (unsigned long long)ev->applied_for, lr_kstate_name(ev->applied_kstate),
			 lr_role_name(ev->applied_role), lr_kstate_name(ev->kstate), lr_role_name(ev->role),
			 lr_result_name(lr_event_outcome(&ev->plan)), n, (unsigned long long)ev->duration_us);
	else if (ev->result == LR_RESULT_NOOP)
		log_info("%s: %s %s: already in place, nothing changed", ev->name,
			 lr_kstate_name(ev->kstate), lr_role_name(ev->role));
	else
		log_info("%s: %s -> %s (%s): %s, %zu change(s) in %llu us", ev->name,
			 lr_role_name(ev->prev_role), lr_role_name(ev->role), lr_kstate_name(ev->kstate),
			 lr_result_name(ev->result), n, (unsigned long long)ev->duration_us);
	if (!lr_log_wants(LR_LOG_DEBUG))
		return;
	json = lr_event_json(cfg, ev);
	if (json)
		log_debug("event %s", json);
	free(json);
}

bool lr_event_announces(const struct lr_event *ev)
{
	for (size_t j = 0; j < ev->plan.n; j++) {
		const struct lr_step *s = &ev->plan.steps[j];

		if (s->kind == LR_STEP_ANNOUNCE && s->done && !s->skipped)
			return true;
	}
	return false;
}

void lr_event_clear(struct lr_event *ev)
{
	lr_plan_free(&ev->plan);
}
