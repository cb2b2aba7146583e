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
	/* an endpoint another process delivers and a third waits for is left to them (one
	 * delivering and one waiting per endpoint, however many switches start a delivery) */
	LR_DELIVER_SHARE = 4,
};

struct lr_deliver_stats {
	unsigned delivered, retried, dead, left;
};

/* curl_global_init must have been called. */
int lr_deliverer_new(const struct lr_config *cfg, struct lr_spool *sp, struct lr_deliverer **out);
void lr_deliverer_free(struct lr_deliverer *d);
/* Delivers what is due on every endpoint (or only the one named), until each queue is
 * empty, waits for its next attempt, or fails; deadline_us: lr_now_us() bound on the whole
 * (0: none, one pass; requests are cut at the deadline and count as timed out). With a
 * deadline, reports whose next attempt comes due before it are tried again then. */
int lr_deliver_run(struct lr_deliverer *d, const char *only, uint64_t deadline_us, unsigned flags,
		   struct lr_deliver_stats *st);

/* The same in steps, for a caller's event loop: start a pass, then call step whenever
 * lr_deliver_poll returns (or its timeout passes) until step returns false. */
void lr_deliver_start(struct lr_deliverer *d, const char *only, uint64_t deadline_us, unsigned flags);
bool lr_deliver_step(struct lr_deliverer *d);
/* While held, a pass delivers what it listed already and lists the queue no more (the
 * plugin holds new reports until the metrics file that shows them is written). */
void lr_deliver_hold(struct lr_deliverer *d, bool hold);
/* From now on the pass starts no request (those in flight go on): a process that takes
 * over would send it again. */
void lr_deliver_no_new(struct lr_deliverer *d);
/* How long to wait before the next step at most while step returns true. */
int lr_deliver_wait_ms(const struct lr_deliverer *d);
/* poll(2) over the caller's descriptors and the transfers' sockets (at most 16 of the caller's;
 * revents are POLLIN, POLLPRI, POLLOUT). Returns the number of ready descriptors. */
struct pollfd;
int lr_deliver_poll(struct lr_deliverer *d, struct pollfd *fds, unsigned n, int timeout_ms);
/* Wall-clock ms at which the first report waiting in backoff becomes due (0: none). */
uint64_t lr_deliver_next_ms(const struct lr_deliverer *d);
/* Reports delivered and failed attempts on endpoint i over the deliverer's life. */
void lr_deliver_counts(const struct lr_deliverer *d, size_t i, uint64_t *delivered, uint64_t *failed);
/* Delivers in a child process in its own session until deadline_ms, from a live deliverer,
 * so that the caller can exit at once: the child goes on with the requests in flight (the
 * connections and endpoint locks are inherited), after close_fds(arg) closed what else it
 * must not keep. The caller must then exit without freeing d (a TLS close would reach the
 * child's connections). */
int lr_deliver_handover(struct lr_deliverer *d, unsigned deadline_ms, void (*close_fds)(void *), void *arg);

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
