/* What the plugin shows others: a Prometheus textfile (node_exporter's textfile collector
 * format, replaced atomically) and plugin.json in the state directory (for `status`). */
#include "config.h"
#include "plugin.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deliver.h"
#include "log.h"
#include "spool.h"
#include "state.h"
#include "util.h"

struct buf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (int round = 0; round < 2 && !b->oom; round++) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap ? b->cap : 4096);

		while (cap <= b->len + (size_t)n)
			cap *= 2;
		char *ns = realloc(b->s, cap);

		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
}

/* A label value: backslash, double quote and newline escaped (exposition format). */
static const char *label(const char *s, char *out, size_t len)
{
	size_t k = 0;

	for (; *s && k + 3 < len; s++) {
		if (*s == '\\' || *s == '"')
			out[k++] = '\\', out[k++] = *s;
		else if (*s == '\n')
			out[k++] = '\\', out[k++] = 'n';
		else
			out[k++] = *s;
	}
	out[k] = '\0';
	return out;
}

static void head(struct buf *b, const char *name, const char *type, const char *help)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The textfile without the spool's depths (the writer counts them). Long on purpose: one flat
 * list of the metric families, in the order the file shows them; split, it would hide that. */
static char *render(struct lr_plugin *p)
{
	static const enum lr_role roles[] = { LR_ROLE_DIRECTOR, LR_ROLE_REAL_SERVER, LR_ROLE_NONE, LR_ROLE_UNKNOWN };
	static const char *const kinds[LR_LINE__COUNT] = { "state", "priority", "checker", "bad", "ignored" };
	const struct lr_config *cfg = p->cfg;
	struct buf b = { 0 };
	char l[2 * LR_MAX_NAME + 4];

	head(&b, "lvsrole_instance_role", "gauge", "1 for the role the instance holds on this host.");
	for (size_t i = 0; i < cfg->n_inst; i++)
		for (size_t r = 0; r < sizeof(roles) / sizeof(roles[0]); r++)
			put(&b, "lvsrole_instance_role{instance=\"%s\",scope=\"%s\",role=\"%s\"} %d\n",
			    label(cfg->inst[i].name, l, sizeof(l)), lr_scope_name(cfg->inst[i].scope),
			    lr_role_name(roles[r]), p->views[i].role == roles[r]);
	head(&b, "lvsrole_transitions_total", "counter", "Transitions reported by keepalived, by result.");
	for (size_t i = 0; i < cfg->n_inst; i++)
		for (int r = 0; r < LR_RESULT__COUNT; r++)
			if (r != LR_RESULT_DETECTED)
				put(&b, "lvsrole_transitions_total{instance=\"%s\",result=\"%s\"} %" PRIu64 "\n",
				    label(cfg->inst[i].name, l, sizeof(l)), lr_result_name(r), p->views[i].transitions[r]);
	head(&b, "lvsrole_last_transition_timestamp_seconds", "gauge", "When the last transition arrived from keepalived (0: none yet).");
	for (size_t i = 0; i < cfg->n_inst; i++)
		put(&b, "lvsrole_last_transition_timestamp_seconds{instance=\"%s\"} %" PRIu64 ".%06" PRIu64 "\n",
		    label(cfg->inst[i].name, l, sizeof(l)), p->views[i].changed_wall_us / 1000000u,
		    p->views[i].changed_wall_us % 1000000u);
	head(&b, "lvsrole_drift_total", "counter", "Times the host was found not matching the recorded role.");
	for (size_t i = 0; i < cfg->n_inst; i++)
		put(&b, "lvsrole_drift_total{instance=\"%s\"} %" PRIu64 "\n", label(cfg->inst[i].name, l, sizeof(l)),
		    p->views[i].drifts);
	head(&b, "lvsrole_drift_repairs_total", "counter", "Drifts repaired successfully.");
	for (size_t i = 0; i < cfg->n_inst; i++)
		put(&b, "lvsrole_drift_repairs_total{instance=\"%s\"} %" PRIu64 "\n",
		    label(cfg->inst[i].name, l, sizeof(l)), p->views[i].drift_repairs);
	head(&b, "lvsrole_conflicts_total", "counter", "VIP conflicts (another MAC claiming a VIP this host directs).");
	for (size_t i = 0; i < cfg->n_inst; i++)
		put(&b, "lvsrole_conflicts_total{instance=\"%s\"} %" PRIu64 "\n", label(cfg->inst[i].name, l, sizeof(l)),
		    p->views[i].conflicts);
	head(&b, "lvsrole_ipvs_loop_risk", "gauge", "IPVS services of the instance's VIPs that its loop guard does not cover (the two-box loop in the real-server role).");
	for (size_t i = 0; i < cfg->n_inst; i++)
		put(&b, "lvsrole_ipvs_loop_risk{instance=\"%s\"} %u\n", label(cfg->inst[i].name, l, sizeof(l)),
		    p->views[i].loop_risks);
	head(&b, "lvsrole_fifo_lines_total", "counter", "Lines read from keepalived's notify FIFO, by kind.");
	for (int k = 0; k < LR_LINE__COUNT; k++)
		put(&b, "lvsrole_fifo_lines_total{kind=\"%s\"} %" PRIu64 "\n", kinds[k], p->lines_total[k]);
	if (cfg->n_endpoints) {
		static const char *const names[] = { "lvsrole_webhook_deliveries_total", "lvsrole_webhook_failures_total" };
		static const char *const helps[] = { "Reports delivered, by endpoint.", "Failed delivery attempts, by endpoint." };

		for (int k = 0; k < 2; k++) {
			head(&b, names[k], "counter", helps[k]);
			for (size_t i = 0; i < cfg->n_endpoints; i++) {
				uint64_t n[2] = { 0, 0 };

				if (p->d)
					lr_deliver_counts(p->d, i, &n[0], &n[1]);
				put(&b, "%s{endpoint=\"%s\"} %" PRIu64 "\n", names[k], cfg->endpoints[i].name,
				    p->carried[i][k] + n[k]);
			}
		}
		head(&b, "lvsrole_reports_lost_total", "counter", "Reports that could not be written to the spool.");
		put(&b, "lvsrole_reports_lost_total %" PRIu64 "\n", p->reports_lost);
		head(&b, "lvsrole_reports_uncommitted", "gauge",
		     "Reports waiting for the spool's commit lock (held by another process) to be committed.");
		put(&b, "lvsrole_reports_uncommitted %zu\n", p->n_deferred);
	}
	head(&b, "lvsrole_plugin_start_time_seconds", "gauge", "When this lvsrole-plugin started.");
	put(&b, "lvsrole_plugin_start_time_seconds %" PRIu64 "\n", p->started_wall_us / 1000000u);
	head(&b, "lvsrole_plugin_config_last_reload_successful", "gauge",
	     "0 when the last SIGHUP kept the old configuration (the new file is broken), else 1.");
	put(&b, "lvsrole_plugin_config_last_reload_successful %d\n", !p->reload_failed);
	head(&b, "lvsrole_plugin_config_last_reload_success_timestamp_seconds", "gauge",
	     "When the configuration in use was loaded (at start or by SIGHUP).");
	put(&b, "lvsrole_plugin_config_last_reload_success_timestamp_seconds %" PRIu64 ".%06" PRIu64 "\n",
	    p->config_wall_us / 1000000u, p->config_wall_us % 1000000u);
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

char *lr_plugin_metrics_depths(const char *text, struct lr_spool *sp, const struct lr_writer_ep *eps, size_t n)
{
	struct buf b = { 0 };

	put(&b, "%s", text);
	if (sp && n)
		head(&b, "lvsrole_spool_depth", "gauge", "Reports waiting for delivery (queue) and given up (dead), by endpoint.");
	for (size_t i = 0; sp && i < n; i++)
		for (int dead = 0; dead < 2; dead++) {
			int k = lr_spool_count(sp, eps[i].name, dead);

			put(&b, "lvsrole_spool_depth{endpoint=\"%s\",queue=\"%s\"} %d\n", eps[i].name,
			    dead ? "dead" : "pending", k < 0 ? 0 : k);
		}
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* plugin.json: is a plugin running, since when, reading what, and what it saw last. */
static char *render_status(struct lr_plugin *p, bool running)
{
	struct json_object *o, *lines;
	static const char *const kinds[LR_LINE__COUNT] = { "state", "priority", "checker", "bad", "ignored" };
	char t[64];
	char *s;

	p->status_dirty = false;
	/* after SIGTERM a reload's successor may run already: only the last word, below */
	if (!p->sd || (running && p->term))
		return NULL;
	if (!running) { /* a reload's successor may have written its own already */
		struct lr_plugin_info cur;

		if (lr_plugin_info_read(p->sd, &cur) == 0 && cur.pid != (long)getpid())
			return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "pid", json_object_new_int64((int64_t)getpid()));
	json_object_object_add(o, "running", json_object_new_boolean(running));
	lr_format_time(p->started_wall_us, t, sizeof(t));
	json_object_object_add(o, "started", json_object_new_string(t));
	if (!running) {
		lr_format_time(lr_wall_us(), t, sizeof(t));
		json_object_object_add(o, "stopped", json_object_new_string(t));
		json_object_object_add(o, "how", json_object_new_string(p->stopping ? "stop" : p->eof ? "reload"
									 : p->gone ? "fifo closed" : "exit"));
	}
	json_object_object_add(o, "fifo", json_object_new_string(p->fifo_path));
	json_object_object_add(o, "config", json_object_new_string(p->cfg->path));
	lr_format_time(p->config_wall_us, t, sizeof(t));
	json_object_object_add(o, "config_loaded", json_object_new_string(t));
	json_object_object_add(o, "last_reload", json_object_new_string(p->reload_failed ? "failed" : "ok"));
	lines = json_object_new_object();
	for (int k = 0; k < LR_LINE__COUNT; k++)
		json_object_object_add(lines, kinds[k], json_object_new_int64((int64_t)p->lines_total[k]));
	json_object_object_add(o, "lines", lines);
	if (p->last_line_wall_us) {
		lr_format_time(p->last_line_wall_us, t, sizeof(t));
		json_object_object_add(o, "last_line", json_object_new_string(p->last_line));
		json_object_object_add(o, "last_line_time", json_object_new_string(t));
	}
	if (p->last_event[0])
		json_object_object_add(o, "last_event", json_object_new_string(p->last_event));
	json_object_object_add(o, "drift", json_object_new_string(lr_drift_mode_name(p->cfg->plugin.drift)));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

static struct lr_writer_job *job_new(struct lr_plugin *p)
{
	const struct lr_config *cfg = p->cfg;
	struct lr_writer_job *job = calloc(1, sizeof(*job));

	if (!job)
		return NULL;
	job->status_dirfd = -1;
	if (cfg->n_endpoints && !(job->spool_dir = strdup(cfg->spool_dir)))
		goto oom;
	for (size_t i = 0; i < cfg->n_endpoints; i++) {
		struct lr_writer_ep *ep = &job->eps[job->n_eps++];

		snprintf(ep->name, sizeof(ep->name), "%s", cfg->endpoints[i].name);
		ep->max_events = cfg->endpoints[i].max_events;
		ep->max_bytes = cfg->endpoints[i].max_bytes;
	}
	if (cfg->plugin.metrics_file &&
	    (!(job->metrics_path = strdup(cfg->plugin.metrics_file)) || !(job->metrics = render(p))))
		goto oom;
	return job;
oom:
	lr_writer_job_free(job);
	return NULL;
}

/* plugin.json into job, when it is out of date (running) or for the last word. */
static void job_status(struct lr_plugin *p, struct lr_writer_job *job, bool running)
{
	char *s = render_status(p, running);

	if (s && (job->status_dirfd = dup(p->sd->dirfd)) < 0) {
		log_warn_errno(-errno, "%s/%s", p->sd->path, LR_PLUGIN_INFO_FILE);
		free(s);
		s = NULL;
	}
	job->status = s;
}

uint64_t lr_plugin_publish(struct lr_plugin *p)
{
	struct lr_writer_job *job = job_new(p);

	p->metrics_dirty = false;
	p->metrics_next_us = lr_now_us() + LR_PLUGIN_METRICS_MIN_US;
	if (!job) {
		log_warn("metrics: out of memory");
		return 0;
	}
	job->trim = p->trim_wanted;
	p->trim_wanted = false;
	if (p->status_dirty)
		job_status(p, job, true);
	return lr_writer_post(p->writer, job);
}

void lr_plugin_publish_last(struct lr_plugin *p)
{
	struct lr_writer_job *job = job_new(p);

	if (!job) {
		log_warn("metrics: out of memory");
		return;
	}
	job->trim = p->trim_wanted;
	job_status(p, job, false);
	lr_writer_post(p->writer, job);
}
