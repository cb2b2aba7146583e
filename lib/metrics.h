/* The Prometheus textfile (node_exporter's textfile collector): the exposition format both
 * programs write it in, the metric families they share, and the file lvsrole-notify keeps
 * when no plugin runs (doc/metrics.md). */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "names.h"

/* A growing text; after an allocation failure (oom) further puts do nothing. */
struct lr_text {
	char *s;
	size_t len, cap;
	bool oom;
};
void lr_text_put(struct lr_text *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text (the caller frees it), or NULL after an allocation failure (freed then). */
char *lr_text_take(struct lr_text *b);

/* A metric family's "# HELP" and "# TYPE" lines. */
void lr_metric_head(struct lr_text *b, const char *name, const char *type, const char *help);
/* A label value with backslash, double quote and newline escaped; out. */
const char *lr_metric_label(const char *s, char *out, size_t len);

/* The families both programs write, in this order. roles, transitions and changed_wall_us
 * are indexed like cfg->inst; transitions[i][LR_RESULT_DETECTED] is not shown. */
void lr_metrics_roles(struct lr_text *b, const struct lr_config *cfg, const enum lr_role *roles);
void lr_metrics_transitions(struct lr_text *b, const struct lr_config *cfg,
			    const uint64_t (*transitions)[LR_RESULT__COUNT], const uint64_t *changed_wall_us);
/* lvsrole_spool_depth of endpoints[0..n) (the head when n > 0); sp NULL: 0 for each. */
struct lr_spool;
void lr_metrics_spool_depths(struct lr_text *b, struct lr_spool *sp, const char *const *endpoints, size_t n);

/* Replaces path with text, mode 0644, atomically; not flushed to disk (the file is rewritten
 * often, a crash loses nothing that matters, and an fsync would hold the caller's lock). */
int lr_metrics_write(const char *path, const char *text);

/* lvsrole-notify's textfile (nothing while a plugin runs: the file is the plugin's then):
 * adds the keepalived events among events[0..n) that are not counted yet to the counts kept
 * in the state directory (metrics.json), and writes cfg->metrics_file from the roles recorded
 * now, the counts and the spool's depths. Called once the switch lock is released, so that a
 * disk that hangs under the file never holds a switch; the processes that write it take turns
 * (metrics.lock, a wait of 10 s at most), each with the roles recorded at its turn. Also
 * called with no events once a delivery, flush or replay changed the spool. Failures are
 * logged, never fatal. */
struct lr_event;
void lr_metrics_notify(const struct lr_config *cfg, const struct lr_event *events, size_t n);
