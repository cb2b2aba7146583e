/* Reporting from a notify run, and `spool` and `replay` (what needs no HTTP). */
#include "config.h"
#include "webhook.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"
#include "log.h"
#include "metrics.h"
#include "policy.h"
#include "spool.h"
#include "util.h"

void lr_notify_report(const struct lr_config *cfg, struct lr_report *rp, const struct lr_switch *sw, int verbose)
{
	if (!rp->sp) /* the begin hook did not run: the switch stopped before the end */
		lr_report_begin(cfg, -1, rp);
	lr_report_commit(rp, cfg, sw->events, sw->n_events);
	if (rp->sp && lr_helper_spawn_delivery(cfg, verbose) < 0)
		log_warn_errno(-errno, "webhooks: cannot start the delivery: left to the next run or flush");
}

const struct lr_endpoint *lr_webhook_pick(const struct lr_config *cfg, const char *name, int *code)
{
	const struct lr_endpoint *ep;

	*code = 0;
	if (cfg->n_endpoints == 0) {
		log_err("no webhook endpoints in %s", cfg->path);
		*code = LR_EXIT_UNKNOWN;
		return NULL;
	}
	if (!name)
		return NULL;
	ep = lr_config_endpoint(cfg, name);
	if (!ep) {
		log_err("webhook endpoint \"%s\" is not in %s", name, cfg->path);
		*code = LR_EXIT_UNKNOWN;
	}
	return ep;
}

int lr_webhook_spool_open(const struct lr_config *cfg, struct lr_spool **sp)
{
	int r = lr_spool_open(cfg->spool_dir, sp);

	if (r < 0)
		log_err_errno(r, "webhooks: cannot open the spool %s", cfg->spool_dir);
	return r;
}

int lr_cmd_replay(const struct lr_config *cfg, const struct lr_cli *cli)
{
	struct lr_spool *sp;
	int code = LR_EXIT_OK;

	lr_webhook_pick(cfg, cli->endpoint, &code);
	if (code)
		return code;
	if (lr_webhook_spool_open(cfg, &sp) < 0)
		return LR_EXIT_REPORT;
	for (size_t i = 0; i < cfg->n_endpoints; i++) {
		const struct lr_endpoint *ep = &cfg->endpoints[i];
		int fd, r;

		if (cli->endpoint && strcmp(cli->endpoint, ep->name))
			continue;
		/* the queue is being delivered: wait for that run (bounded by its deadline) */
		fd = lr_spool_lock_endpoint(sp, ep->name, -1);
		r = fd < 0 ? fd : lr_spool_replay(sp, ep->name, lr_wall_us() / 1000u);
		if (fd >= 0)
			close(fd);
		if (r < 0) {
			log_err_errno(r, "%s: cannot re-queue the dead letters", ep->name);
			code = LR_EXIT_REPORT;
			continue;
		}
		printf("%s: %d dead report(s) queued again\n", ep->name, r);
	}
	lr_spool_close(sp);
	lr_metrics_notify(cfg, NULL, 0); /* the depths moved from dead to pending */
	return code;
}

static struct json_object *entries(struct lr_spool *sp, const char *ep, bool dead, size_t *count,
				   uint64_t *bytes)
{
	struct json_object *a = json_object_new_array();
	struct lr_spool_entry *v;
	size_t n;

	*count = 0;
	*bytes = 0;
	if (lr_spool_list(sp, ep, dead, &v, &n) < 0)
		return a;
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		char t[64];

		json_object_object_add(o, "seq", json_object_new_int64((int64_t)v[i].seq));
		json_object_object_add(o, "id", json_object_new_string(v[i].id));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)v[i].bytes));
		json_object_object_add(o, "attempts", json_object_new_int64(v[i].attempts));
		lr_format_time(v[i].first_ms * 1000u, t, sizeof(t));
		json_object_object_add(o, "spooled", json_object_new_string(t));
		if (!dead && v[i].next_ms) {
			lr_format_time(v[i].next_ms * 1000u, t, sizeof(t));
			json_object_object_add(o, "next_attempt", json_object_new_string(t));
		}
		json_object_object_add(o, "last_error", v[i].last_error[0] ?
				       json_object_new_string(v[i].last_error) : NULL);
		json_object_array_add(a, o);
		*bytes += v[i].bytes;
	}
	*count = n;
	free(v);
	return a;
}

int lr_cmd_spool(const struct lr_config *cfg, const struct lr_cli *cli)
{
	struct json_object *root = json_object_new_object(), *eps = json_object_new_object();
	struct lr_spool *sp;

	if (lr_webhook_spool_open(cfg, &sp) < 0) {
		json_object_put(root);
		json_object_put(eps);
		return LR_EXIT_REPORT;
	}
	json_object_object_add(root, "spool_dir", json_object_new_string(cfg->spool_dir));
	for (size_t i = 0; i < cfg->n_endpoints; i++) {
		const struct lr_endpoint *ep = &cfg->endpoints[i];
		struct json_object *o = json_object_new_object(), *q, *dd;
		size_t nq, nd;
		uint64_t bq, bd;

		q = entries(sp, ep->name, false, &nq, &bq);
		dd = entries(sp, ep->name, true, &nd, &bd);
		json_object_object_add(o, "url", json_object_new_string(ep->url));
		json_object_object_add(o, "pending", json_object_new_int64((int64_t)nq));
		json_object_object_add(o, "pending_bytes", json_object_new_int64((int64_t)bq));
		json_object_object_add(o, "dead", json_object_new_int64((int64_t)nd));
		json_object_object_add(o, "queue", q);
		json_object_object_add(o, "dead_letters", dd);
		json_object_object_add(eps, ep->name, o);
		if (cli->json)
			continue;
		printf("%s (%s): %zu pending (%" PRIu64 " bytes), %zu dead\n", ep->name, ep->url, nq, bq, nd);
		for (int k = 0; k < 2; k++) {
			struct json_object *a = k ? dd : q;

			for (size_t j = 0; j < json_object_array_length(a); j++) {
				struct json_object *e = json_object_array_get_idx(a, j), *v;
				const char *next = json_object_object_get_ex(e, "next_attempt", &v) ?
						   json_object_get_string(v) : "now";

				json_object_object_get_ex(e, "last_error", &v);
				printf("  %-7s #%" PRId64 " %s attempts %" PRId64 "%s%s%s%s\n", k ? "dead" : "pending",
				       json_object_get_int64(json_object_object_get(e, "seq")),
				       json_object_get_string(json_object_object_get(e, "id")),
				       json_object_get_int64(json_object_object_get(e, "attempts")),
				       k ? "" : ", next ", k ? "" : next, v ? ", last error: " : "",
				       v ? json_object_get_string(v) : "");
			}
		}
	}
	json_object_object_add(root, "endpoints", eps);
	if (cli->json)
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_SPACED |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	lr_spool_close(sp);
	return LR_EXIT_OK;
}
