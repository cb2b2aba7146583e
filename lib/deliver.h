/* Webhook delivery with libcurl's multi interface: every endpoint's queue in sequence
 * order, one request in flight per endpoint, all endpoints at once, so one slow or dead
 * endpoint never delays another. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "spool.h"

struct lr_deliverer;

enum {
	LR_DELIVER_NOW = 1, /* ignore the backoff: attempt the head of each queue now (flush) */
	LR_DELIVER_WAIT_LOCK = 2, /* wait for an endpoint another process is delivering */
};

struct lr_deliver_stats {
	unsigned delivered, retried, dead, left;
};

/* curl_global_init must have been called. */
int lr_deliverer_new(const struct lr_config *cfg, struct lr_spool *sp, struct lr_deliverer **out);
void lr_deliverer_free(struct lr_deliverer *d);
/* Delivers what is due on every endpoint (or only the one named), until each queue is
 * empty, waits for its next attempt, or fails; deadline_us: lr_now_us() bound on the whole
 * (0: none; requests are cut at the deadline and count as timed out). */
int lr_deliver_run(struct lr_deliverer *d, const char *only, uint64_t deadline_us, unsigned flags,
		   struct lr_deliver_stats *st);

/* One request outside the spool (webhook test): the same headers, signature and checks. */
struct lr_send_result {
	long status;        /* 0: no HTTP response */
	uint64_t elapsed_us;
	char error[320];    /* curl's error, or the start of a non-2xx response */
};
int lr_deliver_send(const struct lr_config *cfg, const struct lr_endpoint *ep, const char *id,
		    const char *body, size_t len, struct lr_send_result *res);
/* Reads and checks the endpoint's secret and token files as a delivery would (check). */
int lr_deliver_check_creds(const struct lr_config *cfg, const struct lr_endpoint *ep, char *err,
			   size_t len);
