/* lvsrole-plugin: keepalived's notify FIFO reader (vrrp_notify_fifo_script). One poll loop
 * over the FIFO, a signalfd, netlink address changes, the ARP watch, timers and the webhook
 * transfers; doc/keepalived.md gives the stop and reload rules it follows. */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "announce.h"
#include "deliver.h"
#include "exitcode.h"
#include "log.h"
#include "nl.h"
#include "plugin.h"
#include "spool.h"
#include "state.h"
#include "util.h"

#define PIPE_SIZE (1 << 20)             /* 64 KiB is 2,000 lines: take 1 MiB if allowed */

/* The deliverer a stop handed to its delivery child: this process exits without touching it. */
static struct lr_deliverer *volatile handed_over; /* volatile: the store must stay */

static const char usage[] =
	"usage: lvsrole-plugin [-c FILE] [-v]... FIFO\n"
	"       lvsrole-plugin [-c FILE] [-v]... --fifo PATH\n"
	"\n"
	"keepalived starts it (vrrp_notify_fifo_script) with the FIFO's path as the last argument;\n"
	"--fifo PATH is for running it by hand (the FIFO is created if missing).\n"
	"\n"
	"  -c, --config FILE  lvsrole configuration (default " LR_DEFAULT_CONFIG ")\n"
	"  -v, --verbose      also log to stderr; twice: debug\n"
	"  -h, --help         this text\n"
	"  -V, --version      the version\n";

struct args {
	const char *config, *fifo;
	bool by_hand;
	int verbose;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "fifo", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' }, { 0 },
	};
	int c;

	*a = (struct args){ .config = LR_DEFAULT_CONFIG };
	if (argc > 32) {
		log_err("too many arguments (%d)", argc - 1);
		return LR_EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++)
		if (strlen(argv[i]) >= PATH_MAX) {
			log_err("argument %d is longer than %d bytes", i, PATH_MAX - 1);
			return LR_EXIT_USAGE;
		}
	while ((c = getopt_long(argc, argv, "c:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case 'f': a->fifo = optarg; a->by_hand = true; break;
		case 'v': a->verbose++; break;
		case 'h': fputs(usage, stdout); return -1;
		case 'V': printf("lvsrole-plugin %s\n", PACKAGE_VERSION); return -1;
		default: fputs(usage, stderr); return LR_EXIT_USAGE;
		}
	}
	if (optind < argc && !a->fifo && optind == argc - 1)
		a->fifo = argv[optind++];
	if (optind < argc || !a->fifo) {
		log_err(a->fifo ? "unexpected argument \"%s\"" : "no FIFO given: keepalived appends its path; by hand use --fifo PATH%s",
			optind < argc ? argv[optind] : "");
		return LR_EXIT_USAGE;
	}
	if (a->fifo[0] != '/') {
		log_err("FIFO \"%s\": must be an absolute path", a->fifo);
		return LR_EXIT_USAGE;
	}
	return 0;
}

static int open_fifo(struct lr_plugin *p)
{
	struct stat st;
	int fd;

	if (p->by_hand && mkfifo(p->fifo_path, 0600) == 0)
		p->created_fifo = true;
	/* keepalived opens its end itself after starting us: do not wait for a writer */
	fd = open(p->fifo_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return log_err_errno(-errno, "FIFO %s", p->fifo_path);
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		close(fd);
		log_err("FIFO %s: not a FIFO", p->fifo_path);
		return -EINVAL;
	}
	/* keepalived drops a line when the pipe is full: a bigger pipe is more time to read */
	if (fcntl(fd, F_GETPIPE_SZ) < PIPE_SIZE && fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE) < 0)
		log_debug("FIFO %s: pipe size left at %d bytes: %s", p->fifo_path, fcntl(fd, F_GETPIPE_SZ),
			  strerror(errno));
	p->fifo_fd = fd;
	return 0;
}

static int open_signals(struct lr_plugin *p)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	p->sig_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);
	return p->sig_fd < 0 ? -errno : 0;
}

static int open_reports(struct lr_plugin *p)
{
	int r;

	if (p->cfg->n_endpoints == 0)
		return 0;
	r = lr_spool_open(p->cfg->spool_dir, &p->sp);
	if (r < 0)
		return log_err_errno(r, "webhooks: cannot open the spool %s (reports are lost until it can be)",
				     p->cfg->spool_dir);
	r = lr_deliverer_new(p->cfg, p->sp, &p->d);
	if (r < 0)
		return log_err_errno(r, "webhooks: cannot set up delivery");
	p->deliver_kick = true; /* what a previous run left */
	return 0;
}

static void close_reports(struct lr_plugin *p)
{
	lr_deliverer_free(p->d);
	p->d = NULL;
	lr_spool_close(p->sp);
	p->sp = NULL;
}

static int alloc_views(struct lr_plugin *p)
{
	free(p->views);
	free(p->stop_us);
	p->views = calloc(p->cfg->n_inst + 1, sizeof(*p->views));
	p->stop_us = calloc(p->cfg->n_inst + 1, sizeof(*p->stop_us));
	if (!p->views || !p->stop_us)
		return -ENOMEM;
	lr_plugin_views_load(p);
	return 0;
}

/* The delivery counters of the endpoints that stay go on (metrics are counters). */
static void carry_delivery_counts(struct lr_plugin *p, const struct lr_config *old, const struct lr_config *cfg,
				  uint64_t carried[LR_MAX_ENDPOINTS][2])
{
	for (size_t i = 0; i < cfg->n_endpoints; i++)
		for (size_t k = 0; k < old->n_endpoints; k++)
			if (!strcmp(cfg->endpoints[i].name, old->endpoints[k].name)) {
				uint64_t n[2] = { 0, 0 };

				if (p->d)
					lr_deliver_counts(p->d, k, &n[0], &n[1]);
				carried[i][0] = p->carried[k][0] + n[0];
				carried[i][1] = p->carried[k][1] + n[1];
			}
}

/* The counters of the instances that stay go on, and their retries (p->views: cfg's). */
static void carry_views(struct lr_plugin *p, const struct lr_config *old, const struct lr_config *cfg,
			const struct lr_view *views)
{
	for (size_t i = 0; i < cfg->n_inst; i++) {
		size_t k;

		if (!lr_config_find(old, cfg->inst[i].name, &k))
			continue;
		memcpy(p->views[i].transitions, views[k].transitions, sizeof(views[k].transitions));
		p->views[i].drifts = views[k].drifts;
		p->views[i].drift_repairs = views[k].drift_repairs;
		p->views[i].conflicts = views[k].conflicts;
		p->views[i].retry = views[k].retry; /* its retry, if its batch failed */
	}
}

/* The file SIGHUP asks for, and its state directory if that moved; false (logged) when either
 * is refused: the configuration in use stays. */
static bool load_new(struct lr_plugin *p, struct lr_config **cfg, struct lr_statedir **sd)
{
	char err[1024];
	int r = lr_config_load(p->config_path, cfg, err, sizeof(err));

	if (r < 0) {
		log_err("SIGHUP: %s; keeping the configuration in use", err);
		return false;
	}
	if (strcmp((*cfg)->state_dir, p->cfg->state_dir) && (r = lr_statedir_open((*cfg)->state_dir, sd)) < 0) {
		char why[160];

		log_err("SIGHUP: state directory %s: %s; keeping the configuration in use", (*cfg)->state_dir,
			lr_dir_refusal((*cfg)->state_dir, r, why, sizeof(why)));
		lr_config_free(*cfg);
		return false;
	}
	return true;
}

/* SIGHUP: the new file whole or not at all. */
static void reload_config(struct lr_plugin *p)
{
	struct lr_config *cfg, *old = p->cfg;
	struct lr_view *views = p->views;
	struct lr_statedir *sd = NULL, *old_sd = p->sd;
	uint64_t *stop_us = p->stop_us, carried[LR_MAX_ENDPOINTS][2] = { { 0 } };

	p->metrics_dirty = p->status_dirty = true; /* the outcome, either way */
	if (!load_new(p, &cfg, &sd)) {
		p->reload_failed = true;
		return;
	}
	lr_plugin_apply(p); /* what was read under the old configuration */
	/* reports waiting for the commit lock were made under it too: a bounded last try */
	lr_plugin_deferred_flush(p, 500);
	carry_delivery_counts(p, old, cfg, carried);
	/* a request in flight is dropped: its report is sent again (same webhook-id) */
	close_reports(p);
	lr_plugin_watch_close(p);
	p->cfg = cfg;
	p->views = NULL;
	p->stop_us = NULL;
	if (sd)
		p->sd = sd;
	if (alloc_views(p) < 0) {
		log_err("SIGHUP: out of memory; keeping the configuration in use");
		p->reload_failed = true;
		free(p->views);
		free(p->stop_us);
		p->cfg = old, p->views = views, p->stop_us = stop_us, p->sd = old_sd;
		lr_statedir_close(sd);
		lr_config_free(cfg);
	} else {
		carry_views(p, old, cfg, views);
		memcpy(p->carried, carried, sizeof(carried));
		if (sd) { /* the old directory's plugin.json says this plugin left it */
			lr_statedir_close(old_sd);
			log_info("SIGHUP: state directory is now %s", cfg->state_dir);
		}
		free(views);
		free(stop_us);
		lr_config_free(old);
		p->reload_failed = false;
		p->config_wall_us = lr_wall_us();
		log_info("SIGHUP: configuration %s reloaded (%zu instance(s) and group(s), %zu webhook endpoint(s))",
			 cfg->path, cfg->n_inst, cfg->n_endpoints);
	}
	open_reports(p);
	lr_plugin_watch_open(p);
	p->metrics_dirty = p->status_dirty = true;
}

static void on_signals(struct lr_plugin *p)
{
	struct signalfd_siginfo si;

	while (read(p->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			if (!p->term) {
				/* keepalived: STOP lines follow (stop) or EOF does (reload): keep reading */
				p->term = true;
				p->term_us = lr_now_us();
				if (p->d)
					lr_deliver_no_new(p->d);
				log_info("SIG%s: waiting up to %d ms for keepalived's STOP lines or the end of the FIFO",
					 si.ssi_signo == SIGTERM ? "TERM" : "INT", LR_PLUGIN_STOP_WAIT_MS);
			}
			break;
		case SIGHUP:
			reload_config(p);
			break;
		case SIGCHLD:
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			break;
		}
	}
}

static void on_eof(struct lr_plugin *p)
{
	close(p->fifo_fd);
	p->fifo_fd = -1;
	if (p->term && lr_plugin_stops(p)) {
		p->stopping = p->done = true;
		log_info("FIFO closed after SIGTERM and %u STOP line(s): leaving", lr_plugin_stops(p));
	} else if (p->term) {
		p->eof = true;
		p->done = true;
		log_info("FIFO closed after SIGTERM: keepalived is reloading; leaving the roles as they are");
	} else if (p->by_hand) {
		log_debug("FIFO %s: the writer closed it; waiting for the next one", p->fifo_path);
		if (open_fifo(p) < 0)
			p->done = true;
	} else {
		p->gone = true;
		p->done = true;
		log_warn("FIFO %s closed without SIGTERM (keepalived exited?): leaving the roles as they are",
			 p->fifo_path);
	}
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

static int timeout_ms(struct lr_plugin *p, uint64_t next)
{
	uint64_t now = lr_now_us();

	if (!next)
		return 60000;
	return next <= now ? 0 : (int)((next - now + 999) / 1000u);
}

/* Delivery: a pass started when reports wait (once the writer has shown them), stepped
 * while it runs; returns when the loop must look again (0: no need). */
static uint64_t run_delivery(struct lr_plugin *p, uint64_t now, bool *delivering)
{
	uint64_t next = 0, wall_ms = lr_wall_us() / 1000u, due = lr_deliver_next_ms(p->d);
	/* a new report waits until the metrics and plugin.json that show it are written */
	bool shown = lr_writer_done(p->writer) >= p->deliver_gen || now >= p->deliver_hold_us;

	if (!shown)
		next = earliest(next, p->deliver_hold_us);
	lr_deliver_hold(p->d, !shown);
	/* after SIGTERM no new request starts: the process that delivers after us (a
	 * detached delivery, or the reload's successor) would send it a second time */
	if (!*delivering && !p->term && shown && (p->deliver_kick || p->deliver_now || (due && due <= wall_ms))) {
		lr_deliver_start(p->d, NULL, 0, p->deliver_now ? LR_DELIVER_NOW : 0);
		if (p->deliver_now)
			p->deliver_now_us = now;
		p->deliver_kick = p->deliver_now = false;
		*delivering = true;
	}
	if (*delivering) {
		*delivering = lr_deliver_step(p->d);
		if (!*delivering)
			p->metrics_dirty = true;
	}
	due = lr_deliver_next_ms(p->d);
	if (*delivering)
		next = earliest(next, now + (uint64_t)lr_deliver_wait_ms(p->d) * 1000u);
	else if (due && !p->term)
		next = earliest(next, now + (due > wall_ms ? due - wall_ms : 0) * 1000u);
	/* at once only when it can start: during a delivery (a report committed while a
	 * request is in flight) the loop would spin until it ends */
	if ((p->deliver_kick || p->deliver_now) && !p->term && !*delivering && shown)
		next = earliest(next, now);
	return next;
}

/* Timers that are due run; returns when the next one is (monotonic us). */
static uint64_t run_timers(struct lr_plugin *p, bool *delivering)
{
	uint64_t now = lr_now_us(), next = 0;

	next = earliest(next, lr_plugin_announce_due(p, now));
	next = earliest(next, lr_plugin_conflict_due(p, now));
	next = earliest(next, lr_plugin_drift_due(p, now));
	next = earliest(next, lr_plugin_loop_due(p, now));
	next = earliest(next, lr_plugin_retry_due(p, now));
	next = earliest(next, lr_plugin_deferred_due(p, now));
	if (p->d)
		next = earliest(next, run_delivery(p, now, delivering));
	if ((p->metrics_dirty || p->status_dirty) && now >= p->metrics_next_us)
		lr_plugin_publish(p);
	else if (p->cfg->metrics_file && now >= p->metrics_next_us + LR_PLUGIN_METRICS_PERIOD_US)
		p->metrics_dirty = true;
	if (p->metrics_dirty || p->status_dirty)
		next = earliest(next, p->metrics_next_us);
	else if (p->cfg->metrics_file)
		next = earliest(next, p->metrics_next_us + LR_PLUGIN_METRICS_PERIOD_US);
	if (p->term) {
		size_t want = p->cfg->n_inst;
		unsigned stops = lr_plugin_stops(p);

		if (want && stops >= want) {
			p->stopping = p->done = true;
			log_info("keepalived stopped every configured instance and group: leaving");
		} else if (now >= p->term_us + LR_PLUGIN_STOP_WAIT_MS * 1000ull) {
			p->stopping = stops > 0;
			p->done = true;
			log_info("%u STOP line(s) with SIGTERM, no end of FIFO: leaving", stops);
		}
		next = earliest(next, p->term_us + LR_PLUGIN_STOP_WAIT_MS * 1000ull);
	}
	return next;
}

static int loop(struct lr_plugin *p)
{
	bool delivering = false;
	uint64_t next = lr_now_us();

	while (!p->done) {
		struct pollfd fds[5];
		unsigned n = 0;
		int fifo = -1, sig, mon = -1, arp = -1, wr = -1, r;

		sig = (int)n;
		fds[n++] = (struct pollfd){ .fd = p->sig_fd, .events = POLLIN };
		if (p->fifo_fd >= 0) {
			fifo = (int)n;
			fds[n++] = (struct pollfd){ .fd = p->fifo_fd, .events = POLLIN };
		}
		if (p->mon) {
			mon = (int)n;
			fds[n++] = (struct pollfd){ .fd = lr_nl_monitor_fd(p->mon), .events = POLLIN };
		}
		if (p->arp_fd >= 0) {
			arp = (int)n;
			fds[n++] = (struct pollfd){ .fd = p->arp_fd, .events = POLLIN };
		}
		if (lr_writer_fd(p->writer) >= 0) {
			wr = (int)n;
			fds[n++] = (struct pollfd){ .fd = lr_writer_fd(p->writer), .events = POLLIN };
		}
		r = p->d ? lr_deliver_poll(p->d, fds, n, timeout_ms(p, next))
			 : poll(fds, n, timeout_ms(p, next));
		if (r < 0 && errno != EINTR && !p->d)
			return log_err_errno(-errno, "poll");
		if (r < 0)
			continue;
		/* signals first: keepalived's SIGTERM precedes the STOP lines it writes */
		if (fds[sig].revents & POLLIN)
			on_signals(p);
		/* then the FIFO, whole: keepalived never waits for us */
		if (fifo >= 0 && (fds[fifo].revents & (POLLIN | POLLHUP | POLLERR)) && lr_plugin_drain(p) < 0)
			on_eof(p);
		lr_plugin_apply(p);
		if (mon >= 0 && (fds[mon].revents & POLLIN))
			lr_plugin_netlink(p);
		if (arp >= 0 && (fds[arp].revents & POLLIN))
			lr_plugin_arp(p);
		if (wr >= 0 && (fds[wr].revents & POLLIN))
			lr_writer_ack(p->writer);
		next = run_timers(p, &delivering);
	}
	return 0;
}

/* In the delivery child after a stop: everything but the transfers and the spool. */
static void close_inputs(void *arg)
{
	struct lr_plugin *p = arg;

	lr_plugin_watch_close(p);
	if (p->fifo_fd >= 0)
		close(p->fifo_fd);
	if (p->sig_fd >= 0)
		close(p->sig_fd);
	p->fifo_fd = p->sig_fd = -1;
	lr_statedir_close(p->sd);
	p->sd = NULL;
	lr_nl_close(p->nl);
	p->nl = NULL;
	lr_announcer_free(p->an);
	p->an = NULL;
}

static void cleanup(struct lr_plugin *p)
{
	lr_writer_free(p->writer); /* after its last job (exit before the loop: none) */
	p->writer = NULL;
	lr_plugin_watch_close(p);
	close_reports(p);
	lr_announcer_free(p->an);
	lr_nl_close(p->nl);
	lr_statedir_close(p->sd);
	if (p->fifo_fd >= 0)
		close(p->fifo_fd);
	if (p->sig_fd >= 0)
		close(p->sig_fd);
	if (p->created_fifo)
		unlink(p->fifo_path);
	free(p->q);
	free(p->views);
	free(p->stop_us);
	lr_config_free(p->cfg);
}

/* Everything the loop needs, in the order a failure should be reported; an exit code. */
static int start(struct lr_plugin *p, const struct args *a)
{
	char err[1024];
	int r;

	if (lr_config_load(a->config, &p->cfg, err, sizeof(err)) < 0) {
		log_err("%s", err);
		return LR_EXIT_CONFIG;
	}
	r = lr_statedir_open(p->cfg->state_dir, &p->sd);
	if (r < 0) {
		char why[160];

		log_err("state directory %s: %s", p->cfg->state_dir, lr_dir_refusal(p->cfg->state_dir, r, why, sizeof(why)));
		return LR_EXIT_STATE;
	}
	p->q = calloc(LR_PLUGIN_MAX_QUEUE, sizeof(*p->q));
	p->an = lr_announcer_new();
	if (!p->q || !p->an || alloc_views(p) < 0) {
		log_err("out of memory");
		return LR_EXIT_FAILED;
	}
	r = lr_nl_open(&p->nl);
	if (r < 0) {
		log_err_errno(r, "cannot open a netlink socket");
		return r == -EPERM || r == -EACCES ? LR_EXIT_PRIVILEGE : LR_EXIT_FAILED;
	}
	if (open_signals(p) < 0) {
		log_err_errno(-errno, "cannot set up signal handling");
		return LR_EXIT_FAILED;
	}
	if (open_fifo(p) < 0)
		return LR_EXIT_USAGE;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_err("libcurl cannot be initialised");
		return LR_EXIT_FAILED;
	}
	/* after the signals are blocked: the writer thread inherits the mask */
	if (lr_writer_new(&p->writer) < 0) {
		log_err("out of memory");
		return LR_EXIT_FAILED;
	}
	return LR_EXIT_OK;
}

/* After the loop: the last lines applied, the reports committed, the delivery handed to a
 * process of its own after a stop, plugin.json's last word. Returns whether it was handed. */
static bool wind_down(struct lr_plugin *p)
{
	bool handed = false;
	int r;

	lr_plugin_apply(p);
	/* reports still waiting for the commit lock: half of keepalived's second, then lost */
	lr_plugin_deferred_flush(p, 500);
	lr_writer_sync(p->writer); /* no thread across the fork below; what follows is written at once */
	/* keepalived SIGKILLs our process group within a second of a stop: what is not
	 * delivered yet goes on in a process of its own, started first (a reload's successor
	 * delivers itself) */
	if (p->stopping && p->d && p->cfg->delivery_deadline_ms) {
		r = lr_deliver_handover(p->d, p->cfg->delivery_deadline_ms, close_inputs, p);
		if (r < 0) {
			log_warn_errno(r, "webhooks: cannot start the delivery: left to the next start or flush");
		} else { /* the child's now: never cleaned up here (kept reachable, not leaked) */
			handed_over = p->d, p->d = NULL;
			handed = true;
		}
	}
	lr_plugin_publish_last(p);
	close_reports(p);
	return handed;
}

int main(int argc, char **argv)
{
	struct lr_plugin p = { .fifo_fd = -1, .sig_fd = -1, .arp_fd = -1 };
	struct args a;
	int code;

	lr_log_open("lvsrole-plugin", true, 0);
	code = parse_args(argc, argv, &a);
	if (code != 0) {
		lr_log_close();
		return code < 0 ? LR_EXIT_OK : code;
	}
	lr_log_close();
	/* startup errors also go to stderr (harmless under keepalived: /dev/null) */
	lr_log_open("lvsrole-plugin", true, a.verbose > 1);
	p.config_path = a.config;
	p.fifo_path = a.fifo;
	p.by_hand = a.by_hand;
	p.started_wall_us = p.config_wall_us = lr_wall_us();
	code = start(&p, &a);
	if (code != LR_EXIT_OK)
		goto out;
	open_reports(&p);
	lr_plugin_watch_open(&p);
	log_info("reading %s (config %s: %zu instance(s) and group(s), drift %s, %zu webhook endpoint(s))",
		 p.fifo_path, p.cfg->path, p.cfg->n_inst, lr_drift_mode_name(p.cfg->plugin.drift),
		 p.cfg->n_endpoints);
	/* keepalived starts it with stdout and stderr on /dev/null: syslog is the log (reopened
	 * before the writer thread has anything to log) */
	lr_log_close();
	lr_log_open("lvsrole-plugin", a.verbose > 0 || isatty(STDERR_FILENO), a.verbose > 1);
	p.status_dirty = true;
	lr_plugin_publish(&p);
	code = loop(&p) < 0 ? LR_EXIT_FAILED : LR_EXIT_OK;
	if (!wind_down(&p))
		curl_global_cleanup();
out:
	cleanup(&p);
	lr_log_close();
	return code;
}
