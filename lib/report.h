/* Reports: each event of a switch becomes the bytes an endpoint receives (in its format),
 * committed to the spool once the switch is over. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "event.h"
#include "spool.h"

/* The body for an event in format f (malloc'd, NUL-terminated compact JSON). */
char *lr_report_body(const struct lr_config *cfg, const struct lr_event *ev, enum lr_wh_format f,
		     const char *id, uint64_t seq);
/* The body of a test ping to endpoint. */
char *lr_report_ping_body(const char *host, const char *endpoint, enum lr_wh_format f,
			  const char *id, uint64_t wall_us);
/* Whether the endpoint's filter takes the event. */
bool lr_report_wants(const struct lr_endpoint *ep, const struct lr_event *ev);

struct lr_report {
	struct lr_spool *sp;
	int commit_fd;      /* the commit lock, or -1 */
	int commit_wait_ms; /* lr_report_commit's wait for the lock when begin did not get
			     * it (-1: as long as it takes) */
	unsigned lost;      /* out: reports lr_report_commit could not spool */
	bool trim_later;    /* the caller trims the queues to their caps (the plugin's writer) */
};

/* Opens the spool and takes its commit lock, waiting at most wait_ms. Called while the
 * switch still holds the state lock, so that reports are numbered and committed in the order
 * of the switches; a spool that cannot be opened or locked in time is logged and left to
 * lr_report_commit. */
void lr_report_begin(const struct lr_config *cfg, int wait_ms, struct lr_report *rp);
/* lr_report_begin as a switch's before_unlock hook (arg: struct lr_report_arg), with the
 * wait that keeps a slow disk from holding the state lock for long. */
struct lr_report_arg {
	const struct lr_config *cfg;
	struct lr_report *rp;
};
void lr_report_begin_hook(void *arg);
/* Numbers, serialises and commits the events that some endpoint takes, trims the queues
 * to their caps, and releases the commit lock. Every failure is logged (the switch is done
 * by then; a report that cannot be spooled is lost, loudly). Returns the number of events
 * committed, or a negative errno; -EWOULDBLOCK (nothing taken, nothing lost) when the commit
 * lock was not free within commit_wait_ms: the caller commits them later. */
int lr_report_commit(struct lr_report *rp, const struct lr_config *cfg, const struct lr_event *evs,
		     size_t n);
void lr_report_end(struct lr_report *rp);
/* An endpoint's queue to its caps: the oldest reports go to dead letters (logged), unless a
 * delivery holds the queue (it trims as it goes). lr_report_commit does it unless trim_later. */
void lr_report_trim(struct lr_spool *sp, const char *endpoint, unsigned max_events, uint64_t max_bytes);
