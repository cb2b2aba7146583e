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
#include "metrics.h"
#include "spool.h"
#include "state.h"
#include "util.h"

/* The families lvsrole-notify writes too, from the views. */
static void shared_families(struct lr_text *b, const struct lr_plugin *p)
{
	const struct lr_config *cfg = p->cfg;
	enum lr_role *roles = calloc(cfg->n_inst + 1, sizeof(*roles));
	uint64_t (*transitions)[LR_RESULT__COUNT] = calloc(cfg->n_inst + 1, sizeof(*transitions));
	uint64_t *changed = calloc(cfg->n_inst + 1, sizeof(*changed));

	if (roles && transitions && changed) {
		for (size_t i = 0; i < cfg->n_inst; i++) {
			roles[i] = p->views[i].role;
			memcpy(transitions[i], p->views[i].transitions, sizeof(transitions[i]));
			changed[i] = p->views[i].changed_wall_us;
		}
		lr_metrics_roles(b, cfg, roles);
		lr_metrics_transitions(b, cfg, (const uint64_t (*)[LR_RESULT__COUNT])transitions, changed);
	} else {
		b->oom = true;
	}
	free(roles);
	free(transitions);
	free(changed);
}

/* The textfile without the spool's depths (the writer counts them). Long on purpose: one flat
 * list of the metric families, in the order the file shows them; split, it would hide that. */
static char *render(struct lr_plugin *p)
{
	static const char *const kinds[LR_LINE__COUNT] = { "state", "priority", "checker", "bad", "ignored" };
	const struct lr_config *cfg = p->cfg;
	struct lr_text b = { 0 };
	char l[2 * LR_MAX_NAME + 4];

	shared_families(&b, p);
	lr_metric_head(&b, "lvsrole_drift_total", "counter", "Times the host was found not matching the recorded role.");
	for (size_t i = 0; i < cfg->n_inst; i++)
		lr_text_put(&b, "lvsrole_drift_total{iname=\"%s\"} %" PRIu64 "\n", lr_metric_label(cfg->inst[i].name, l, sizeof(l)),
		    p->views[i].drifts);
	lr_metric_head(&b, "lvsrole_drift_repairs_total", "counter", "Drifts repaired successfully.");
	for (size_t i = 0; i < cfg->n_inst; i++)
		lr_text_put(&b, "lvsrole_drift_repairs_total{iname=\"%s\"} %" PRIu64 "\n",
		    lr_metric_label(cfg->inst[i].name, l, sizeof(l)), p->views[i].drift_repairs);
	lr_metric_head(&b, "lvsrole_conflicts_total", "counter", "VIP conflicts (another MAC claiming a VIP this host directs).");
	for (size_t i = 0; i < cfg->n_inst; i++)
		lr_text_put(&b, "lvsrole_conflicts_total{iname=\"%s\"} %" PRIu64 "\n", lr_metric_label(cfg->inst[i].name, l, sizeof(l)),
		    p->views[i].conflicts);
	lr_metric_head(&b, "lvsrole_ipvs_loop_risk", "gauge", "IPVS services of the instance's VIPs that its loop guard does not cover (the two-box loop in the real-server role).");
	for (size_t i = 0; i < cfg->n_inst; i++)
		lr_text_put(&b, "lvsrole_ipvs_loop_risk{iname=\"%s\"} %u\n", lr_metric_label(cfg->inst[i].name, l, sizeof(l)),
		    p->views[i].loop_risks);
	lr_metric_head(&b, "lvsrole_fifo_lines_total", "counter", "Lines read from keepalived's notify FIFO, by kind.");
	for (int k = 0; k < LR_LINE__COUNT; k++)
		lr_text_put(&b, "lvsrole_fifo_lines_total{kind=\"%s\"} %" PRIu64 "\n", kinds[k], p->lines_total[k]);
	if (cfg->n_endpoints) {
		static const char *const names[] = { "lvsrole_webhook_deliveries_total", "lvsrole_webhook_failures_total" };
		static const char *const helps[] = { "Reports delivered, by endpoint.", "Failed delivery attempts, by endpoint." };

		for (int k = 0; k < 2; k++) {
			lr_metric_head(&b, names[k], "counter", helps[k]);
			for (size_t i = 0; i < cfg->n_endpoints; i++) {
				uint64_t n[2] = { 0, 0 };

				if (p->d)
					lr_deliver_counts(p->d, i, &n[0], &n[1]);
				lr_text_put(&b, "%s{endpoint=\"%s\"} %" PRIu64 "\n", names[k], cfg->endpoints[i].name,
				    p->carried[i][k] + n[k]);
			}
		}
		lr_metric_head(&b, "lvsrole_reports_lost_total", "counter", "Reports that could not be written to the spool.");
		lr_text_put(&b, "lvsrole_reports_lost_total %" PRIu64 "\n", p->reports_lost);
		lr_metric_head(&b, "lvsrole_reports_uncommitted", "gauge",
		     "Reports waiting for the spool's commit lock (held by another process) to be committed.");
		lr_text_put(&b, "lvsrole_reports_uncommitted %zu\n", p->n_deferred);
	}
	lr_metric_head(&b, "lvsrole_plugin_start_time_seconds", "gauge", "When this lvsrole-plugin started.");
	lr_text_put(&b, "lvsrole_plugin_start_time_seconds %" PRIu64 "\n", p->started_wall_us / 1000000u);
	lr_metric_head(&b, "lvsrole_plugin_heartbeat_timestamp_seconds", "gauge",
		       "When the plugin wrote this file (at least every 15 s): older means it died or hangs.");
	lr_text_put(&b, "lvsrole_plugin_heartbeat_timestamp_seconds %" PRIu64 "\n", lr_wall_us() / 1000000u);
	lr_metric_head(&b, "lvsrole_plugin_config_last_reload_successful", "gauge",
	     "0 when the last SIGHUP kept the old configuration (the new file is broken), else 1.");
	lr_text_put(&b, "lvsrole_plugin_config_last_reload_successful %d\n", !p->reload_failed);
	lr_metric_head(&b, "lvsrole_plugin_config_last_reload_success_timestamp_seconds", "gauge",
	     "When the configuration in use was loaded (at start or by SIGHUP).");
	lr_text_put(&b, "lvsrole_plugin_config_last_reload_success_timestamp_seconds %" PRIu64 ".%06" PRIu64 "\n",
	    p->config_wall_us / 1000000u, p->config_wall_us % 1000000u);
	return lr_text_take(&b);
}

char *lr_plugin_metrics_depths(const char *text, struct lr_spool *sp, const struct lr_writer_ep *eps, size_t n)
{
	struct lr_text b = { 0 };
	const char *names[LR_MAX_ENDPOINTS];

	for (size_t i = 0; i < n && i < LR_MAX_ENDPOINTS; i++)
		names[i] = eps[i].name;
	lr_text_put(&b, "%s", text);
	if (sp)
		lr_metrics_spool_depths(&b, sp, names, n < LR_MAX_ENDPOINTS ? n : LR_MAX_ENDPOINTS);
	return lr_text_take(&b);
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
	if (cfg->metrics_file &&
	    (!(job->metrics_path = strdup(cfg->metrics_file)) || !(job->metrics = render(p))))
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
