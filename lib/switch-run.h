/* What the switch (switch.c) and the drift check (drift.c) share: one run's hold on the state
 * directory, the kernel and the caller's results. Internal to lib/. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "announce.h"
#include "switch.h"

struct switch_run {
	const struct lr_config *cfg;
	const struct lr_request *req;
	struct lr_switch *out;
	struct lr_txn txn; /* the state directory, held */
	struct lr_nl *nl;
	/* the caller's or our own (handed to out->an at the end: closing a packet socket waits
	 * for an RCU grace period, synchronize_net, some 10 to 20 ms) */
	struct lr_announcer *an;
	bool own_an;
	enum lr_role *roles;
	bool *announce;
	char host[256];
};

/* Sets out->fail and out->err ("FMT: strerror(err)"); returns err. */
int lr_run_fail(struct switch_run *run, enum lr_fail where, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* An event for instance i of the configuration, asking for (kstate, priority, role). */
void lr_run_init_event(struct switch_run *run, struct lr_event *ev, size_t i, const char *source,
		       enum lr_kstate kstate, int priority, enum lr_role role, uint64_t time_us);
/* The state directory held (lr_txn_begin): with arrive, the events' arrivals recorded first
 * (their sequence numbers set); waiting up to wait_s (0: ~0.1 s, for an event loop). A dry
 * run reads it without a lock. On failure out->err says where and why. */
int lr_run_hold_state(struct switch_run *run, bool arrive, unsigned wait_s);
/* The caller's announcer, or one of our own (handed to out->an by lr_run_end); then netlink. */
int lr_run_open_kernel(struct switch_run *run, const struct lr_request *req);
/* Releases what a run holds (the lock first); r: its result, with a message if none yet. */
int lr_run_end(struct switch_run *run, int r);
