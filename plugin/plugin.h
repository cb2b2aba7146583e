/* lvsrole-plugin: what the event loop (main.c) shares with the work it schedules: applying
 * FIFO events (apply.c), drift and split-brain watching (watch.c), metrics and the status
 * file (metrics.c), written by a thread of their own (writer.c). The loop is one thread and
 * nothing in it blocks for long; the writer shares only what is handed to it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "event.h"
#include "fifo.h"
#include "report.h"
#include "repeat.h"
#include "switch.h"

/* Lines parsed and not applied yet; when full, the batch is applied before reading on. Each
 * costs about 1 KB while its batch runs (line, request, event): 4096 keep a burst's peak
 * memory near 10 MB (65536 gave 76 MB), and a batch still supersedes all but the last line of
 * each instance. */
#define LR_PLUGIN_MAX_QUEUE 4096
/* After SIGTERM: how long to wait for keepalived's STOP lines (or EOF) before leaving.
 * keepalived SIGKILLs the plugin one second after its SIGTERM. */
#define LR_PLUGIN_STOP_WAIT_MS 800

/* Bounded waits in the loop (the FIFO is not read while it waits): for the switch lock a
 * notify or another plugin holds, and for the spool's commit lock. */
#define LR_PLUGIN_LOCK_WAIT_S 5
#define LR_PLUGIN_COMMIT_WAIT_MS 1000
#define LR_PLUGIN_DEFERRED_US 100000ull
/* A batch that failed before it ran is tried again after 1 s, then 2, 4... up to 32 s. */
#define LR_PLUGIN_RETRY_US 1000000ull
#define LR_PLUGIN_RETRY_MAX_ROUND 6

enum { LR_LINE_STATE, LR_LINE_PRIORITY, LR_LINE_CHECKER, LR_LINE_BAD, LR_LINE_IGNORED, LR_LINE__COUNT };

struct lr_queued {
	struct lr_fifo_line l;
	uint64_t time_us;
};

/* An instance's newest line of a batch that failed before it ran (the switch lock held too
 * long, the state directory unusable): applied when the retry is due, from the arrivals
 * register when it was recorded there (so that a newer arrival from elsewhere wins), else as
 * a line read again. */
struct lr_retry {
	bool pending, recorded;
	struct lr_queued line;
};

/* What the plugin knows of one configured instance or group. */
struct lr_view {
	enum lr_role role;
	enum lr_kstate kstate;
	int priority;
	uint64_t changed_wall_us; /* last transition applied (0: none) */
	uint64_t transitions[LR_RESULT__COUNT];
	uint64_t drifts, drift_repairs, conflicts;
	/* announcements after takeover (count - 1 more), then the optional refresh */
	unsigned ann_left;
	uint64_t ann_next_us, refresh_next_us;
	bool nic_down; /* its NIC was seen not running: the schedule again when it runs */
	/* split brain: takeover probe window, a confirmation probe, the last report */
	uint64_t probe_until_us, confirm_at_us, confirm_until_us;
	uint64_t quiet_until_us;
	uint8_t reported_mac[6];
	struct lr_retry retry;
	/* IPVS services of its VIPs its loop guard does not cover (loop.c) */
	unsigned loop_risks;
	char loop_risk_services[256];
};


struct lr_plugin {
	const char *config_path;
	struct lr_config *cfg;
	struct lr_view *views; /* one per cfg->inst */
	/* input */
	const char *fifo_path;
	bool by_hand, created_fifo;
	int fifo_fd;
	struct lr_lines lines;
	struct lr_queued *q;
	size_t nq;
	uint64_t lines_total[LR_LINE__COUNT];
	unsigned bad_logged;
	uint64_t bad_window_us;
	char last_line[LR_FIFO_MAX_LINE + 1];
	uint64_t last_line_wall_us;
	/* signals and shutdown */
	int sig_fd;
	bool term, eof, gone, stopping, done;
	uint64_t term_us;
	/* per instance: when its latest line, a STOP, was read (0: its latest is no STOP).
	 * keepalived's SIGTERM comes first, but both may be read in one turn of the loop */
	uint64_t *stop_us;
	/* a failed batch's retry (lr_view.retry): when, and how many in a row */
	uint64_t retry_due_us;
	unsigned retry_round;
	/* kernel */
	struct lr_nl *nl;
	struct lr_announcer *an;
	struct lr_nl_monitor *mon;
	int arp_fd;
	uint64_t drift_due_us, drift_next_us, drift_hold_us;
	uint64_t loop_next_us;
	bool ipvs_unreadable; /* said once */
	uint64_t drift_sig, drift_sig_until_us;
	/* reports */
	struct lr_spool *sp;
	struct lr_deliverer *d;
	uint64_t carried[LR_MAX_ENDPOINTS][2]; /* delivered, failed before the last SIGHUP */
	bool deliver_kick, deliver_now; /* now: ignore the backoff once (a link came back?) */
	uint64_t deliver_now_us;        /* when that was last done */
	uint64_t reports_lost;
	/* reports whose commit found the commit lock busy past LR_PLUGIN_COMMIT_WAIT_MS: no
	 * sequence number is taken without it, so they wait here, in order, and are committed
	 * once it is free (tried every LR_PLUGIN_DEFERRED_US) */
	struct lr_event *deferred;
	size_t n_deferred;
	uint64_t deferred_next_us;
	/* status and metrics */
	struct lr_statedir *sd;
	uint64_t started_wall_us;
	uint64_t config_wall_us; /* when the configuration in use was loaded */
	bool reload_failed;      /* the last SIGHUP kept the old configuration */
	bool metrics_dirty, status_dirty;
	uint64_t metrics_next_us;
	struct lr_writer *writer;
	bool trim_wanted;         /* reports were committed: the writer trims the queues */
	uint64_t deliver_gen;     /* the writer's generation a delivery waits for ... */
	uint64_t deliver_hold_us; /* ... until then at most */
	char last_event[256];
};

/* apply.c */
/* Instances whose STOP line came with this stop (SIGTERM): keepalived is stopping. */
unsigned lr_plugin_stops(const struct lr_plugin *p);
/* Reads everything the FIFO holds now (keepalived drops lines when the pipe is full);
 * returns -1 at end of file. Applies full batches on the way. */
int lr_plugin_drain(struct lr_plugin *p);
/* Applies the queued lines as one batch, in order, and reports them. */
void lr_plugin_apply(struct lr_plugin *p);
/* Retries what failed batches left (lr_retry) when due; returns the next time (0: none). */
uint64_t lr_plugin_retry_due(struct lr_plugin *p, uint64_t now);
/* Commits events to the spool (after the switch, in its order) and wakes the deliverer. */
void lr_plugin_report(struct lr_plugin *p, const struct lr_event *evs, size_t n, struct lr_report *rp);
/* Reports waiting for the commit lock: committed when due if it is free (no wait); returns
 * the next time to try (0: none wait). */
uint64_t lr_plugin_deferred_due(struct lr_plugin *p, uint64_t now);
/* A last try, waiting up to wait_ms for the lock (before the configuration changes, or at
 * exit); what still cannot be committed is counted lost. */
void lr_plugin_deferred_flush(struct lr_plugin *p, int wait_ms);
/* Announcement repeats and refreshes that are due; returns the next time one is (0: none). */
uint64_t lr_plugin_announce_due(struct lr_plugin *p, uint64_t now);
/* The plugin's view from the state file (after a start or a reload of the config). */
void lr_plugin_views_load(struct lr_plugin *p);
/* The recorded roles again, after others (lvsrole-notify, a second plugin) may have
 * changed them; counters are kept. */
void lr_plugin_views_refresh(struct lr_plugin *p);

/* watch.c */
int lr_plugin_watch_open(struct lr_plugin *p);
void lr_plugin_watch_close(struct lr_plugin *p);
/* Address or link changes seen: check the host soon. */
void lr_plugin_netlink(struct lr_plugin *p);
/* Compares the host with the recorded roles when due; returns the next time it is. */
uint64_t lr_plugin_drift_due(struct lr_plugin *p, uint64_t now);
/* Probes before (before = true) and after an instance takes the director role. */
void lr_plugin_probe(struct lr_plugin *p, size_t inst, bool before);
/* ev (zeroed first) as an event of type the plugin detected about instance i: its view's
 * state, role and priority, result detected, now. */
void lr_plugin_detected(struct lr_plugin *p, size_t i, enum lr_event_type type, struct lr_event *ev);
/* ARP seen: a foreign claim on a VIP we direct is a conflict. */
void lr_plugin_arp(struct lr_plugin *p);
/* Confirmation probes that are due; returns the next time one is (0: none). */
uint64_t lr_plugin_conflict_due(struct lr_plugin *p, uint64_t now);

/* loop.c */
/* Looks for IPVS loop risks when due (every 2 s, at once after a start or a reload); reports
 * a risk when it appears or changes. Returns the next time it is due. */
uint64_t lr_plugin_loop_due(struct lr_plugin *p, uint64_t now);

/* metrics.c */
/* At most four writes a second when nothing waits on them, and one every 15 s at least. */
#define LR_PLUGIN_METRICS_MIN_US 250000
#define LR_PLUGIN_METRICS_PERIOD_US (15 * 1000000ull)
/* How long a delivery waits for the writer to put on disk the metrics and plugin.json that
 * show its report's event (a disk that hangs delays the reports no longer than this). */
#define LR_PLUGIN_DELIVER_HOLD_US 5000000
/* Hands the metrics file, and plugin.json if it is out of date, to the writer (spool trim
 * too, after a commit); returns the writer's generation that holds them. */
uint64_t lr_plugin_publish(struct lr_plugin *p);
/* At exit, once the writer is synchronous: plugin.json says the plugin left. */
void lr_plugin_publish_last(struct lr_plugin *p);
/* text with the spool's depths (lvsrole_spool_depth) appended; sp NULL: no depths. */
struct lr_spool;
struct lr_writer_ep;
char *lr_plugin_metrics_depths(const char *text, struct lr_spool *sp, const struct lr_writer_ep *eps, size_t n);

/* writer.c: the disk work the loop never waits for (metrics, plugin.json, spool trim) */
struct lr_writer_ep {
	char name[64];
	unsigned max_events;
	uint64_t max_bytes;
};

/* One hand-over to the writer, written in this order: trim, metrics, plugin.json. */
struct lr_writer_job {
	char *spool_dir; /* NULL: no webhooks */
	struct lr_writer_ep eps[LR_MAX_ENDPOINTS];
	size_t n_eps;
	bool trim;          /* the queues over their caps go to dead letters */
	char *metrics_path; /* NULL: no metrics file */
	char *metrics;      /* the text, without the spool's depths (counted when written) */
	int status_dirfd;   /* plugin.json's directory (owned), or -1 */
	char *status;
};
struct lr_writer;

/* Starts the thread; when it cannot start, posts are written at once by the caller. */
int lr_writer_new(struct lr_writer **out);
/* Takes job (a newer post replaces one not taken yet); returns its generation. */
uint64_t lr_writer_post(struct lr_writer *w, struct lr_writer_job *job);
/* The newest generation on disk. */
uint64_t lr_writer_done(struct lr_writer *w);
/* Readable when a generation reached the disk (lr_writer_ack reads it); -1 when synchronous. */
int lr_writer_fd(struct lr_writer *w);
void lr_writer_ack(struct lr_writer *w);
/* Waits for what was posted and ends the thread: later posts are written at once (before a
 * fork, and at exit). */
void lr_writer_sync(struct lr_writer *w);
void lr_writer_free(struct lr_writer *w);
void lr_writer_job_free(struct lr_writer_job *job);
