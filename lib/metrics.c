/* The Prometheus textfile: the exposition format, the families lvsrole-plugin and
 * lvsrole-notify share, and lvsrole-notify's own file (when no plugin runs). */
#include "config.h"
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "host.h"
#include "log.h"
#include "spool.h"
#include "state.h"
#include "util.h"

/* metrics.json in the state directory: lvsrole-notify's counts of keepalived's transitions,
 * by name and result (the plugin keeps its own in memory) */
#define COUNTS_FILE "metrics.json"
#define COUNTS_MAX_BYTES (1024 * 1024)

void lr_text_put(struct lr_text *b, const char *fmt, ...)
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

char *lr_text_take(struct lr_text *b)
{
	char *s = b->s;

	if (b->oom || !s) {
		free(s);
		s = NULL;
	}
	memset(b, 0, sizeof(*b));
	return s;
}

void lr_metric_head(struct lr_text *b, const char *name, const char *type, const char *help)
{
	lr_text_put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

const char *lr_metric_label(const char *s, char *out, size_t len)
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

void lr_metrics_roles(struct lr_text *b, const struct lr_config *cfg, const enum lr_role *roles)
{
	static const enum lr_role shown[] = { LR_ROLE_DIRECTOR, LR_ROLE_REAL_SERVER, LR_ROLE_NONE, LR_ROLE_UNKNOWN };
	char l[2 * LR_MAX_NAME + 4];

	lr_metric_head(b, "lvsrole_instance_role", "gauge", "1 for the role the instance holds on this host.");
	for (size_t i = 0; i < cfg->n_inst; i++)
		for (size_t r = 0; r < sizeof(shown) / sizeof(shown[0]); r++)
			lr_text_put(b, "lvsrole_instance_role{iname=\"%s\",scope=\"%s\",role=\"%s\"} %d\n",
				    lr_metric_label(cfg->inst[i].name, l, sizeof(l)), lr_scope_name(cfg->inst[i].scope),
				    lr_role_name(shown[r]), roles[i] == shown[r]);
}

void lr_metrics_transitions(struct lr_text *b, const struct lr_config *cfg,
			    const uint64_t (*transitions)[LR_RESULT__COUNT], const uint64_t *changed_wall_us)
{
	char l[2 * LR_MAX_NAME + 4];

	lr_metric_head(b, "lvsrole_transitions_total", "counter", "Transitions reported by keepalived, by result.");
	for (size_t i = 0; i < cfg->n_inst; i++)
		for (int r = 0; r < LR_RESULT__COUNT; r++)
			if (r != LR_RESULT_DETECTED)
				lr_text_put(b, "lvsrole_transitions_total{iname=\"%s\",result=\"%s\"} %" PRIu64 "\n",
					    lr_metric_label(cfg->inst[i].name, l, sizeof(l)), lr_result_name(r),
					    transitions[i][r]);
	lr_metric_head(b, "lvsrole_last_transition_timestamp_seconds", "gauge",
		       "When the last transition arrived from keepalived (0: none yet).");
	for (size_t i = 0; i < cfg->n_inst; i++)
		lr_text_put(b, "lvsrole_last_transition_timestamp_seconds{iname=\"%s\"} %" PRIu64 ".%06" PRIu64 "\n",
			    lr_metric_label(cfg->inst[i].name, l, sizeof(l)), changed_wall_us[i] / 1000000u,
			    changed_wall_us[i] % 1000000u);
}

void lr_metrics_spool_depths(struct lr_text *b, struct lr_spool *sp, const char *const *endpoints, size_t n)
{
	if (n)
		lr_metric_head(b, "lvsrole_spool_depth", "gauge",
			       "Reports waiting for delivery (queue) and given up (dead), by endpoint.");
	for (size_t i = 0; i < n; i++)
		for (int dead = 0; dead < 2; dead++) {
			int k = sp ? lr_spool_count(sp, endpoints[i], dead) : 0;

			lr_text_put(b, "lvsrole_spool_depth{endpoint=\"%s\",queue=\"%s\"} %d\n", endpoints[i],
				    dead ? "dead" : "pending", k < 0 ? 0 : k);
		}
}

/* Only this file's own temporaries: node_exporter's directory is shared with other writers. */
static bool stale_tmp(int dirfd, const char *name, void *arg)
{
	const char *base = arg;
	size_t n = strlen(base);

	(void)dirfd;
	return name[0] == '.' && !strncmp(name + 1, base, n) && name[1 + n] == '.' && lr_tmp_owner_gone(name);
}

int lr_metrics_write(const char *path, const char *text)
{
	char *d1 = strdup(path), *d2 = strdup(path);
	int dfd, r = -ENOMEM;

	if (!d1 || !d2)
		goto out;
	dfd = open(dirname(d1), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		r = -errno;
		goto out;
	}
	/* readable by node_exporter's user; a planted symlink is replaced, never followed */
	r = lr_write_replace(dfd, basename(d2), text, strlen(text), 0644, false);
	lr_sweep_dir(dfd, stale_tmp, basename(d2)); /* what a killed writer left */
	close(dfd);
out:
	free(d1);
	free(d2);
	return r;
}

/* ---- lvsrole-notify's file ---- */

/* metrics.json in the state directory: lvsrole-notify's counts of keepalived's transitions by
 * name and result, and the last event numbers counted per name (the plugin keeps its own in
 * memory). metrics.lock orders the processes that update it and write the file. */
#define COUNTS_FILE "metrics.json"
#define COUNTS_MAX_BYTES (1024 * 1024)
#define METRICS_LOCK "metrics.lock"
#define METRICS_LOCK_WAIT_S 10
#define RECENT_SEQS 64

struct counts {
	uint64_t (*n)[LR_RESULT__COUNT];  /* indexed like cfg->inst */
	uint64_t (*recent)[RECENT_SEQS]; /* event numbers counted last, newest first (0: none) */
};

static int counts_new(struct counts *c, const struct lr_config *cfg)
{
	c->n = calloc(cfg->n_inst + 1, sizeof(*c->n));
	c->recent = calloc(cfg->n_inst + 1, sizeof(*c->recent));
	return c->n && c->recent ? 0 : -ENOMEM;
}

static void counts_free(struct counts *c)
{
	free(c->n);
	free(c->recent);
}

static void get_counts(struct json_object *o, uint64_t *n, uint64_t *recent)
{
	struct json_object *v;

	for (int k = 0; k < LR_RESULT__COUNT; k++)
		if (json_object_object_get_ex(o, lr_result_name(k), &v) && json_object_is_type(v, json_type_int) &&
		    json_object_get_int64(v) > 0)
			n[k] = (uint64_t)json_object_get_int64(v);
	if (!json_object_object_get_ex(o, "recent", &v) || !json_object_is_type(v, json_type_array))
		return;
	for (size_t j = 0; j < RECENT_SEQS && j < json_object_array_length(v); j++) {
		struct json_object *e = json_object_array_get_idx(v, j);

		if (json_object_is_type(e, json_type_int) && json_object_get_int64(e) > 0)
			recent[j] = (uint64_t)json_object_get_int64(e);
	}
}

/* The counts of metrics.json (zero where none). A missing file is no count yet; a corrupt
 * one is said and counting starts again. */
static void counts_load(struct lr_statedir *sd, const struct lr_config *cfg, struct counts *c)
{
	struct json_object *root = NULL, *o;
	char *text = NULL;
	size_t len;
	int fd = openat(sd->dirfd, COUNTS_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int r = fd < 0 ? -errno : lr_read_fd(fd, COUNTS_MAX_BYTES, &text, &len);

	if (fd >= 0)
		close(fd);
	if (r == 0 && !(root = json_tokener_parse(text)))
		r = -EBADMSG;
	free(text);
	if (r < 0 && r != -ENOENT)
		log_warn_errno(r, "metrics: %s/%s unreadable: the transition counts start again", sd->path, COUNTS_FILE);
	for (size_t i = 0; root && i < cfg->n_inst; i++)
		if (json_object_object_get_ex(root, cfg->inst[i].name, &o) && json_object_is_type(o, json_type_object))
			get_counts(o, c->n[i], c->recent[i]);
	json_object_put(root);
}

static int counts_save(struct lr_statedir *sd, const struct lr_config *cfg, const struct counts *c)
{
	struct json_object *root = json_object_new_object();
	const char *s;
	int r = -ENOMEM;

	for (size_t i = 0; root && i < cfg->n_inst; i++) {
		struct json_object *o = json_object_new_object(), *a = json_object_new_array();

		for (int k = 0; o && k < LR_RESULT__COUNT; k++)
			if (c->n[i][k])
				json_object_object_add(o, lr_result_name(k), json_object_new_int64((int64_t)c->n[i][k]));
		for (size_t j = 0; a && j < RECENT_SEQS && c->recent[i][j]; j++)
			json_object_array_add(a, json_object_new_int64((int64_t)c->recent[i][j]));
		json_object_object_add(o, "recent", a);
		json_object_object_add(root, cfg->inst[i].name, o);
	}
	if (root && (s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)))
		r = lr_write_replace(sd->dirfd, COUNTS_FILE, s, strlen(s), 0600, false);
	if (r < 0)
		log_warn_errno(r, "metrics: cannot write %s/%s: the file is left as it was", sd->path, COUNTS_FILE);
	json_object_put(root);
	return r;
}

/* Adds the keepalived events among events[0..n) (their own runs, "notify", or applied for
 * them by a later run, "sweep") not counted yet; returns how many. An event is known by its
 * number: the run that applied it and its own may both come by. */
static size_t count_events(struct counts *c, const struct lr_config *cfg, const struct lr_event *events, size_t n)
{
	size_t added = 0;

	for (size_t i = 0; i < n; i++) {
		const struct lr_event *ev = &events[i];
		uint64_t *recent;
		bool seen = false;

		if (!ev->source || (strcmp(ev->source, "notify") && strcmp(ev->source, "sweep")) || ev->inst >= cfg->n_inst)
			continue;
		recent = c->recent[ev->inst];
		for (size_t j = 0; ev->seq && j < RECENT_SEQS; j++)
			seen |= recent[j] == ev->seq;
		if (seen)
			continue;
		c->n[ev->inst][ev->ran ? ev->result : LR_RESULT_FAILED]++;
		if (ev->seq) {
			memmove(recent + 1, recent, (RECENT_SEQS - 1) * sizeof(*recent));
			recent[0] = ev->seq;
		}
		added++;
	}
	return added;
}

/* The textfile from the state st and the counts. */
static void write_notify_file(const struct lr_config *cfg, struct lr_state *st, const struct counts *c)
{
	enum lr_role *roles = calloc(cfg->n_inst + 1, sizeof(*roles));
	uint64_t *changed = calloc(cfg->n_inst + 1, sizeof(*changed));
	const char *eps[LR_MAX_ENDPOINTS];
	struct lr_spool *sp = NULL;
	struct lr_text b = { 0 };
	char *text;
	int r;

	for (size_t i = 0; roles && changed && i < cfg->n_inst; i++) {
		const struct lr_record *rec = lr_state_find(st, cfg->inst[i].name);

		roles[i] = rec ? rec->role : LR_ROLE_UNKNOWN;
		changed[i] = rec ? rec->time_us : 0;
	}
	for (size_t i = 0; i < cfg->n_endpoints; i++)
		eps[i] = cfg->endpoints[i].name;
	if (cfg->n_endpoints && (r = lr_spool_open(cfg->spool_dir, &sp)) < 0)
		log_warn_errno(r, "metrics: the spool %s: its depths are left out", cfg->spool_dir);
	if (roles && changed) {
		lr_metrics_roles(&b, cfg, roles);
		lr_metrics_transitions(&b, cfg, (const uint64_t (*)[LR_RESULT__COUNT])c->n, changed);
		if (sp)
			lr_metrics_spool_depths(&b, sp, eps, cfg->n_endpoints);
	}
	lr_spool_close(sp);
	free(roles);
	free(changed);
	if (!(text = lr_text_take(&b)))
		log_warn("metrics: out of memory");
	else if ((r = lr_metrics_write(cfg->metrics_file, text)) < 0)
		log_warn_errno(r, "metrics: cannot write %s", cfg->metrics_file);
	free(text);
}

/* Whether the file is the plugin's: plugin.json says one runs. One that died (SIGKILL, a
 * crash) keeps it: its heartbeat goes on ageing, and the alert on it keeps firing. */
static bool plugins_file(struct lr_statedir *sd)
{
	struct lr_plugin_info pi;

	if (lr_plugin_info_read(sd, &pi) < 0 || !pi.running)
		return false;
	if (!lr_plugin_alive(pi.pid))
		log_warn("metrics: %s/%s says lvsrole-plugin (pid %ld) runs, but it is gone: its metrics "
			 "file is left to age; remove %s/%s to hand it to lvsrole-notify", sd->path,
			 LR_PLUGIN_INFO_FILE, pi.pid, sd->path, LR_PLUGIN_INFO_FILE);
	return true;
}

void lr_metrics_notify(const struct lr_config *cfg, const struct lr_event *events, size_t n)
{
	struct lr_statedir *sd = NULL;
	struct lr_state st = { 0 };
	struct counts c = { 0 };
	char err[320];
	int lock = -1, r;

	if (!cfg->metrics_file)
		return;
	if ((r = lr_statedir_open_ro(cfg->state_dir, &sd)) < 0) {
		log_warn_errno(r, "metrics: the state directory %s: %s not written", cfg->state_dir, cfg->metrics_file);
		return;
	}
	if (plugins_file(sd))
		goto out;
	if ((lock = lr_statedir_lock_file(sd, METRICS_LOCK, METRICS_LOCK_WAIT_S)) < 0) {
		log_warn_errno(lock, "metrics: %s/%s: %s not written", sd->path, METRICS_LOCK, cfg->metrics_file);
		goto out;
	}
	if (counts_new(&c, cfg) < 0) {
		log_warn("metrics: out of memory");
		goto out;
	}
	counts_load(sd, cfg, &c);
	if (count_events(&c, cfg, events, n) && counts_save(sd, cfg, &c) < 0)
		goto out;
	/* the roles as recorded now (state.json is replaced whole): a switch that ends later
	 * writes the file again after this one, in the order of this lock */
	if ((r = lr_state_load(sd, &st, err, sizeof(err))) < 0)
		log_warn("metrics: %s not written: %s", cfg->metrics_file, err[0] ? err : strerror(-r));
	else
		write_notify_file(cfg, &st, &c);
out:
	if (lock >= 0)
		close(lock);
	counts_free(&c);
	lr_state_free(&st);
	lr_statedir_close(sd);
}
