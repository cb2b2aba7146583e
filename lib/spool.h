/* The webhook spool: committed events per endpoint, delivered in sequence order, at least
 * once. Layout under the spool directory:
 *   tmp/                      events being written (not yet committed), named per writer
 *   q/ENDPOINT/SEQ.ID.json    committed, pending delivery (SEQ: 20 digits, so names sort)
 *   q/ENDPOINT/SEQ.ID.meta    attempts, next attempt time, last error (replaced atomically)
 *   dead/ENDPOINT/...         given up; `replay` moves them back
 * An event is committed once its file is linked into q/ENDPOINT and the directory synced. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LR_SPOOL_MAX_BODY (1024 * 1024)

struct lr_spool;

struct lr_spool_entry {
	uint64_t seq;
	char id[64];
	size_t bytes;
	/* from the .meta file */
	unsigned attempts;
	uint64_t next_ms;  /* wall clock, ms; 0: now */
	uint64_t first_ms; /* when it was committed */
	char last_error[160];
};

/* Opens (creating, 0700) the spool directory. */
int lr_spool_open(const char *dir, struct lr_spool **out);
void lr_spool_close(struct lr_spool *sp);
/* Writes body for each endpoint and commits it: write to tmp/, fsync, link into each
 * q/ENDPOINT/, fsync the directories, then drop the tmp name. The event has no meta file
 * until its first attempt; its commit time is the file's mtime. */
int lr_spool_commit(struct lr_spool *sp, const char *const *endpoints, size_t n, uint64_t seq,
		    const char *id, const void *body, size_t len);
/* The same for many reports: their bodies flushed together (one syncfs for more than
 * 16 of them, else an fsync each), then one fsync per queue directory. Each item's err says whether it was
 * committed; returns how many were, or a negative errno when none was. */
#define LR_SPOOL_MAX_QUEUES 16
struct lr_spool_item {
	const char *const *endpoints;
	size_t n_endpoints;
	uint64_t seq;
	const char *id;
	const char *body;
	size_t len;
	int err; /* out */
};
int lr_spool_commit_many(struct lr_spool *sp, struct lr_spool_item *items, size_t n);
/* Entries of q/ENDPOINT (dead: of dead/ENDPOINT), sorted by seq; caller frees *out. */
int lr_spool_list(struct lr_spool *sp, const char *endpoint, bool dead, struct lr_spool_entry **out,
		  size_t *n);
/* How many entries q/ENDPOINT (dead: dead/ENDPOINT) holds, from the names alone. */
int lr_spool_count(struct lr_spool *sp, const char *endpoint, bool dead);
int lr_spool_read(struct lr_spool *sp, const char *endpoint, const struct lr_spool_entry *e,
		  char **body, size_t *len);
int lr_spool_update(struct lr_spool *sp, const char *endpoint, const struct lr_spool_entry *e);
/* Delivered: removes the event. */
int lr_spool_done(struct lr_spool *sp, const char *endpoint, const struct lr_spool_entry *e);
/* Gives up: moves the event to dead/ENDPOINT with its reason. */
int lr_spool_bury(struct lr_spool *sp, const char *endpoint, struct lr_spool_entry *e,
		  const char *reason);
/* Moves the oldest pending events to dead/ until at most max_events and max_bytes remain;
 * returns how many were moved. */
int lr_spool_trim(struct lr_spool *sp, const char *endpoint, size_t max_events, size_t max_bytes);
/* The commit lock (commit.lock): commits, and the sequence numbers they take, happen in the
 * order of the switches. wait_ms < 0: no bound. Returns the locked descriptor (close it to
 * unlock) or -EWOULDBLOCK after wait_ms. */
int lr_spool_lock_commit(struct lr_spool *sp, int wait_ms);
/* The delivery lock of an endpoint (its queue directory), so that one process delivers it. */
int lr_spool_lock_endpoint(struct lr_spool *sp, const char *endpoint, int wait_ms);
/* The right to wait for an endpoint another process delivers (wait/ENDPOINT, flock), taken
 * without waiting: the descriptor to close once the endpoint's lock is held, or -EWOULDBLOCK
 * when another process waits already (it lists the queue after that, so it sees what was
 * committed before: the caller can leave the endpoint to it). */
int lr_spool_lock_waiter(struct lr_spool *sp, const char *endpoint);
/* Takes n report sequence numbers (file "seq", persisted first); *first is the first. Call
 * with the commit lock held. */
int lr_spool_next_seq(struct lr_spool *sp, unsigned n, uint64_t *first);
const char *lr_spool_dir(const struct lr_spool *sp);
/* Removes what a crash can leave behind: with endpoint NULL, tmp/'s files of writers that are
 * gone (a running committer's stay); else such temporary files and orphaned .meta files in
 * the endpoint's queue and dead letters (call with its delivery lock held). Returns how many. */
int lr_spool_remove_leftovers(struct lr_spool *sp, const char *endpoint);
/* Moves every dead event of endpoint back to the queue (attempts reset); returns how many. */
int lr_spool_replay(struct lr_spool *sp, const char *endpoint, uint64_t now_ms);
