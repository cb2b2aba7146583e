/* Report bodies (standard, CloudEvents, Slack) and their commit to the spool. */
#include "config.h"
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "policy.h"
#include "util.h"

static char *serialise(struct json_object *o)
{
	char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return s;
}

/* "0.412 ms" from microseconds, without floating point */
static void fmt_ms(uint64_t us, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64 ".%03" PRIu64 " ms", us / 1000u, us % 1000u);
}

/* The Slack message: one line per fact, in the order a person reads them. Long on purpose:
 * a flat list of lines; split, the message's shape would be in several places. */
static char *slack_text(const struct lr_config *cfg, const struct lr_event *ev)
{
	const struct lr_instance *in = &cfg->inst[ev->inst];
	char text[1024], t[32];
	size_t n = 0, errs = 0;

#define ADD(...) n += (size_t)snprintf(text + n, n < sizeof(text) ? sizeof(text) - n : 0, __VA_ARGS__)
	if (ev->type == LR_EVENT_CONFLICT) {
		char ip[64];

		ADD("%s: VIP CONFLICT for %s: %s on %s is also claimed by %02x:%02x:%02x:%02x:%02x:%02x (%s); "
		    "this host (%02x:%02x:%02x:%02x:%02x:%02x) is %s: split brain suspected",
		    ev->host, ev->name, lr_ip_str(&ev->vip, ip, sizeof(ip)), ev->dev, ev->foreign_mac[0],
		    ev->foreign_mac[1], ev->foreign_mac[2], ev->foreign_mac[3], ev->foreign_mac[4],
		    ev->foreign_mac[5], ev->seen_as ? ev->seen_as : "arp", ev->own_mac[0], ev->own_mac[1],
		    ev->own_mac[2], ev->own_mac[3], ev->own_mac[4], ev->own_mac[5], lr_role_name(ev->role));
	} else if (ev->type == LR_EVENT_LOOP_RISK) {
		ADD("%s: IPVS LOOP RISK: %s", ev->host, ev->risk);
	} else if (ev->type == LR_EVENT_DRIFT) {
		fmt_ms(ev->duration_us, t, sizeof(t));
		ADD("%s: %s drifted from its %s role: %zu change(s) %s", ev->host, ev->name,
		    lr_role_name(ev->role), lr_plan_changes(&ev->plan),
		    ev->repair ? "needed" : "found (drift = report: not repaired)");
		if (ev->repair)
			ADD(", repair %s in %s", lr_result_name(lr_event_outcome(&ev->plan)), t);
		for (size_t i = 0; i < ev->plan.n && i < 6; i++) {
			char d[160];

			ADD("\n- %s%s%s", lr_step_describe(cfg, &ev->plan.steps[i], d, sizeof(d)),
			    ev->plan.steps[i].err ? ": " : "", ev->plan.steps[i].err ? ev->plan.steps[i].msg : "");
		}
	} else if (ev->result == LR_RESULT_SUPERSEDED && !ev->applied_for) {
		ADD("%s: %s %s event superseded by a newer one (#%" PRIu64 "), nothing to do", ev->host,
		    ev->name, lr_kstate_name(ev->kstate), ev->superseded_by);
	} else {
		enum lr_role role = ev->applied_for ? ev->applied_role : ev->role;

		fmt_ms(ev->duration_us, t, sizeof(t));
		ADD("%s: %s is %s (%s%s%s)", ev->host, ev->name, lr_role_name(role),
		    lr_kstate_name(ev->applied_for ? ev->applied_kstate : ev->kstate),
		    ev->prev_role != role ? ", was " : "",
		    ev->prev_role != role ? lr_role_name(ev->prev_role) : "");
		for (size_t j = 0; j < in->n_vips && j < 8; j++) {
			char v[64];

			lr_vip_str(&in->vips[j], v, sizeof(v));
			ADD("%s%s", j ? ", " : " for ", v);
		}
		if (in->n_vips > 8)
			ADD(" and %zu more", in->n_vips - 8);
		ADD(": %s, %zu change(s) in %s", lr_result_name(lr_event_outcome(&ev->plan)),
		    lr_plan_changes(&ev->plan), t);
		for (size_t i = 0; i < ev->plan.n; i++) {
			const struct lr_step *s = &ev->plan.steps[i];
			char d[160];

			if (!(s->err || s->skipped) || errs++ >= 3)
				continue;
			ADD("\n- %s: %s", lr_step_describe(cfg, s, d, sizeof(d)), s->msg);
		}
		if (ev->err[0])
			ADD("\n- %s", ev->err);
	}
#undef ADD
	return strdup(text);
}

static char *envelope(enum lr_wh_format f, const char *type, const char *id, uint64_t seq,
		      uint64_t time_us, const char *host, const char *subject, struct json_object *data)
{
	struct json_object *o = json_object_new_object();
	char ts[64], src[300], ctype[64];

	lr_format_time(time_us, ts, sizeof(ts));
	if (f == LR_WH_CLOUDEVENTS) {
		snprintf(src, sizeof(src), "lvsrole/%s", host);
		snprintf(ctype, sizeof(ctype), "io.lvsrole.%s", type);
		json_object_object_add(o, "specversion", json_object_new_string("1.0"));
		json_object_object_add(o, "id", json_object_new_string(id));
		json_object_object_add(o, "source", json_object_new_string(src));
		json_object_object_add(o, "type", json_object_new_string(ctype));
		json_object_object_add(o, "time", json_object_new_string(ts));
		if (subject)
			json_object_object_add(o, "subject", json_object_new_string(subject));
		if (seq) {
			char sq[24];

			snprintf(sq, sizeof(sq), "%" PRIu64, seq);
			json_object_object_add(o, "sequence", json_object_new_string(sq));
		}
		json_object_object_add(o, "datacontenttype", json_object_new_string("application/json"));
	} else {
		snprintf(ctype, sizeof(ctype), "lvsrole.%s", type);
		json_object_object_add(o, "type", json_object_new_string(ctype));
		json_object_object_add(o, "id", json_object_new_string(id));
		json_object_object_add(o, "timestamp", json_object_new_string(ts));
		if (seq)
			json_object_object_add(o, "seq", json_object_new_int64((int64_t)seq));
	}
	json_object_object_add(o, "data", data);
	return serialise(o);
}

char *lr_report_body(const struct lr_config *cfg, const struct lr_event *ev, enum lr_wh_format f,
		     const char *id, uint64_t seq)
{
	if (f == LR_WH_SLACK) {
		struct json_object *o = json_object_new_object();
		char *text = slack_text(cfg, ev);

		if (!text) {
			json_object_put(o);
			return NULL;
		}
		json_object_object_add(o, "text", json_object_new_string(text));
		free(text);
		return serialise(o);
	}
	return envelope(f, lr_event_type_name(ev->type), id, seq, ev->time_us, ev->host, ev->name,
			lr_event_data(cfg, ev));
}

char *lr_report_ping_body(const char *host, const char *endpoint, enum lr_wh_format f,
			  const char *id, uint64_t wall_us)
{
	struct json_object *d;
	char text[400];

	snprintf(text, sizeof(text), "%s: test report to endpoint %s (lvsrole-notify webhook test)",
		 host, endpoint);
	if (f == LR_WH_SLACK) {
		d = json_object_new_object();
		json_object_object_add(d, "text", json_object_new_string(text));
		return serialise(d);
	}
	d = json_object_new_object();
	json_object_object_add(d, "host", json_object_new_string(host));
	json_object_object_add(d, "endpoint", json_object_new_string(endpoint));
	json_object_object_add(d, "message", json_object_new_string(text));
	return envelope(f, "test", id, 0, wall_us, host, NULL, d);
}

bool lr_report_wants(const struct lr_endpoint *ep, const struct lr_event *ev)
{
	bool name = ep->n_instances == 0;

	for (size_t i = 0; i < ep->n_instances && !name; i++)
		name = !strcmp(ep->instances[i], ev->name);
	return name && (!ep->results || (ep->results & (1u << ev->result)));
}

void lr_report_begin(const struct lr_config *cfg, int wait_ms, struct lr_report *rp)
{
	int r;

	rp->sp = NULL;
	rp->commit_fd = -1;
	r = lr_spool_open(cfg->spool_dir, &rp->sp);
	if (r < 0) {
		char why[160];

		log_err("webhooks: cannot open the spool %s: %s", cfg->spool_dir,
			lr_dir_refusal(cfg->spool_dir, r, why, sizeof(why)));
		return;
	}
	rp->commit_fd = lr_spool_lock_commit(rp->sp, wait_ms);
	if (rp->commit_fd == -EWOULDBLOCK)
		log_warn("webhooks: %s: the commit lock is busy (slow disk?): waiting for it after the switch",
			 cfg->spool_dir);
	else if (rp->commit_fd < 0)
		log_err_errno(rp->commit_fd, "webhooks: %s: cannot take the commit lock", cfg->spool_dir);
}

/* How long a switch, still holding the state lock, waits for the previous commit. */
#define COMMIT_LOCK_WAIT_MS 200

void lr_report_begin_hook(void *arg)
{
	struct lr_report_arg *a = arg;

	lr_report_begin(a->cfg, COMMIT_LOCK_WAIT_MS, a->rp);
}

/* The bodies of one report, one per format some endpoint wants, as spool items. */
struct pending {
	struct lr_spool_item *items;
	const char *(*eps)[LR_MAX_ENDPOINTS];
	const struct lr_event **evs;
	char **bodies; /* owned: the items' bodies */
	size_t n;
};

static int add_bodies(struct pending *pd, const struct lr_config *cfg, const struct lr_event *ev,
		      uint64_t seq, char *id)
{
	int r = lr_policy_event_id(ev->time_us / 1000u, id, 32);

	if (r < 0)
		return log_err_errno(r, "webhooks: cannot make an event id");
	/* one body per format, serialised once, linked into each endpoint's queue */
	for (int f = 0; f < LR_WH__COUNT; f++) {
		struct lr_spool_item *it = &pd->items[pd->n];
		size_t n = 0;

		for (size_t i = 0; i < cfg->n_endpoints; i++)
			if (cfg->endpoints[i].format == (enum lr_wh_format)f &&
			    lr_report_wants(&cfg->endpoints[i], ev))
				pd->eps[pd->n][n++] = cfg->endpoints[i].name;
		if (n == 0)
			continue;
		*it = (struct lr_spool_item){ .endpoints = pd->eps[pd->n], .n_endpoints = n, .seq = seq, .id = id };
		pd->bodies[pd->n] = lr_report_body(cfg, ev, (enum lr_wh_format)f, id, seq);
		if (!pd->bodies[pd->n])
			return -ENOMEM;
		it->body = pd->bodies[pd->n];
		it->len = strlen(it->body);
		pd->evs[pd->n++] = ev;
	}
	return 0;
}

/* Some endpoint takes the event (dry runs are never reported). */
static bool wanted(const struct lr_config *cfg, const struct lr_event *ev)
{
	for (size_t k = 0; k < cfg->n_endpoints && !ev->dry_run; k++)
		if (lr_report_wants(&cfg->endpoints[k], ev))
			return true;
	return false;
}

void lr_report_trim(struct lr_spool *sp, const char *endpoint, unsigned max_events, uint64_t max_bytes)
{
	int fd = lr_spool_lock_endpoint(sp, endpoint, 0), moved;

	if (fd < 0) /* a deliverer holds the queue: it trims */
		return;
	moved = lr_spool_trim(sp, endpoint, max_events, max_bytes);
	if (moved > 0)
		log_err("webhooks: %s: spool full (max_events %u, max_bytes %" PRIu64 "): %d oldest report(s) moved to dead letters",
			endpoint, max_events, max_bytes, moved);
	close(fd);
}

/* The commit lock, unless held already; -EWOULDBLOCK when another process holds it past
 * the wait. Other failures lose the reports (logged, counted in rp->lost). */
static int commit_lock(struct lr_report *rp, const struct lr_config *cfg, unsigned want)
{
	if (!rp->sp) {
		log_err("webhooks: %u report(s) lost: the spool %s cannot be opened", want, cfg->spool_dir);
		rp->lost = want;
		return -EIO;
	}
	if (rp->commit_fd < 0)
		rp->commit_fd = lr_spool_lock_commit(rp->sp, rp->commit_wait_ms);
	if (rp->commit_fd == -EWOULDBLOCK)
		return -EWOULDBLOCK; /* nothing taken: the caller commits them later */
	if (rp->commit_fd < 0) {
		log_err_errno(rp->commit_fd, "webhooks: %u report(s) lost: %s/commit.lock", want, cfg->spool_dir);
		rp->lost = want;
		return rp->commit_fd;
	}
	return 0;
}

/* The bodies of the wanted events, numbered from seq, in pd; ids: 32 bytes per report. */
static int make_bodies(struct pending *pd, const struct lr_config *cfg, const struct lr_event *evs,
		       size_t n, unsigned want, uint64_t seq, char *ids)
{
	int r;

	pd->items = calloc((size_t)want * LR_WH__COUNT, sizeof(*pd->items));
	pd->eps = calloc((size_t)want * LR_WH__COUNT, sizeof(*pd->eps));
	pd->evs = calloc((size_t)want * LR_WH__COUNT, sizeof(*pd->evs));
	pd->bodies = calloc((size_t)want * LR_WH__COUNT, sizeof(*pd->bodies));
	r = pd->items && pd->eps && pd->evs && pd->bodies && ids ? 0 : -ENOMEM;
	for (size_t i = 0, k = 0; r == 0 && i < n; i++)
		if (wanted(cfg, &evs[i]))
			r = add_bodies(pd, cfg, &evs[i], seq++, ids + 32 * k++);
	return r;
}

/* Logs each item that could not be spooled; returns how many reports were. */
static int count_spooled(const struct pending *pd, const struct lr_config *cfg)
{
	int done = 0;

	for (size_t i = 0; i < pd->n; i++) {
		const struct lr_spool_item *it = &pd->items[i];

		if (it->err)
			log_err("webhooks: report #%" PRIu64 " %s (%s %s) NOT spooled in %s for %s%s: it is lost: %s",
				it->seq, it->id, pd->evs[i]->name, lr_result_name(pd->evs[i]->result), cfg->spool_dir,
				it->endpoints[0], it->n_endpoints > 1 ? " and others" : "",
				it->err == -ELOOP || it->err == -ENOTDIR
					? "a symbolic link (or not a directory) in the spool: refused, never followed"
					: strerror(-it->err));
		else if (i + 1 == pd->n || pd->items[i + 1].seq != it->seq)
			done++;
	}
	return done;
}

static void pending_free(struct pending *pd)
{
	for (size_t i = 0; pd->bodies && i < pd->n; i++)
		free(pd->bodies[i]);
	free(pd->bodies);
	free(pd->items);
	free(pd->eps);
	free(pd->evs);
}

int lr_report_commit(struct lr_report *rp, const struct lr_config *cfg, const struct lr_event *evs,
		     size_t n)
{
	struct pending pd = { 0 };
	char *ids = NULL;
	unsigned want = 0;
	uint64_t seq;
	int r, done = 0;

	rp->lost = 0;
	for (size_t i = 0; i < n; i++)
		want += wanted(cfg, &evs[i]);
	if (want == 0)
		return 0;
	/* sequence numbers only under the lock: two committers would take the same ones */
	if ((r = commit_lock(rp, cfg, want)) < 0)
		return r;
	lr_spool_remove_leftovers(rp->sp, NULL); /* a killed committer's leftovers */
	r = lr_spool_next_seq(rp->sp, want, &seq);
	if (r < 0) {
		log_err_errno(r, "webhooks: %u report(s) lost: %s/seq", want, cfg->spool_dir);
		goto out;
	}
	ids = calloc(want, 32);
	r = make_bodies(&pd, cfg, evs, n, want, seq, ids);
	if (r < 0) {
		log_err_errno(r, "webhooks: %u report(s) lost", want);
		goto out;
	}
	/* all of them with one flush of the disk: a batch of the plugin can be thousands */
	r = lr_spool_commit_many(rp->sp, pd.items, pd.n);
	done = count_spooled(&pd, cfg);
	if (r < 0)
		goto out;
	for (size_t k = 0; !rp->trim_later && k < cfg->n_endpoints; k++)
		lr_report_trim(rp->sp, cfg->endpoints[k].name, cfg->endpoints[k].max_events,
			       cfg->endpoints[k].max_bytes);
	r = 0;
out:
	pending_free(&pd);
	free(ids);
	if (rp->commit_fd >= 0)
		close(rp->commit_fd);
	rp->commit_fd = -1;
	rp->lost = want - (unsigned)done;
	return r < 0 ? r : done;
}

void lr_report_end(struct lr_report *rp)
{
	if (rp->commit_fd >= 0)
		close(rp->commit_fd);
	rp->commit_fd = -1;
	lr_spool_close(rp->sp);
	rp->sp = NULL;
}
