/* The plugin's disk work in a thread of its own: the metrics file, plugin.json and the
 * trimming of the spool's queues. The loop that reads keepalived's FIFO and switches hands it
 * what to write and goes on: a disk that takes seconds to flush (a busy array, a network file
 * system under node_exporter's textfile directory) never holds a switch behind it. */
#include "config.h"
#include "plugin.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"
#include "state.h"
#include "util.h"

struct lr_writer {
	pthread_t thread;
	bool threaded; /* false: posts are written by the caller, at once */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct lr_writer_job *next; /* posted, not taken yet */
	uint64_t posted, done;      /* generations: done = the newest that is on disk */
	bool stop;
	int efd; /* readable when a generation is done */
	/* the writer's own handles, used by one thread at a time */
	struct lr_spool *sp;
	char *swept; /* the metrics file whose directory was swept of its stale temporaries */
};

void lr_writer_job_free(struct lr_writer_job *job)
{
	if (!job)
		return;
	free(job->metrics_path);
	free(job->metrics);
	free(job->status);
	free(job->spool_dir);
	if (job->status_dirfd >= 0)
		close(job->status_dirfd);
	free(job);
}

static bool spool_ready(struct lr_writer *w, const char *dir)
{
	if (w->sp && !strcmp(lr_spool_dir(w->sp), dir))
		return true;
	lr_spool_close(w->sp);
	w->sp = NULL;
	return lr_spool_open(dir, &w->sp) == 0;
}

/* Only this file's own temporaries: node_exporter's directory is shared with other writers. */
static bool stale_metrics_tmp(int dirfd, const char *name, void *arg)
{
	const char *base = arg;
	size_t n = strlen(base);

	(void)dirfd;
	return name[0] == '.' && !strncmp(name + 1, base, n) && name[1 + n] == '.' && lr_tmp_owner_gone(name);
}

static void write_metrics(struct lr_writer *w, const struct lr_writer_job *job)
{
	char *text = lr_plugin_metrics_depths(job->metrics, job->spool_dir ? w->sp : NULL, job->eps, job->n_eps);
	char *d1 = strdup(job->metrics_path), *d2 = strdup(job->metrics_path);
	int dfd = -1, r;

	if (!text || !d1 || !d2) {
		log_warn("metrics: out of memory");
		goto out;
	}
	dfd = open(dirname(d1), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		log_warn_errno(-errno, "metrics: %s", d1);
		goto out;
	}
	if (!w->swept || strcmp(w->swept, job->metrics_path)) { /* a killed plugin's leftovers */
		lr_sweep_dir(dfd, stale_metrics_tmp, basename(d2));
		free(w->swept);
		w->swept = strdup(job->metrics_path);
	}
	/* readable by node_exporter's user; a planted symlink is replaced, never followed */
	r = lr_write_atomic_mode(dfd, basename(d2), text, strlen(text), 0644);
	if (r < 0)
		log_warn_errno(r, "metrics: cannot write %s", job->metrics_path);
out:
	if (dfd >= 0)
		close(dfd);
	free(text);
	free(d1);
	free(d2);
}

/* Trim first, so that the depths in the metrics are what stays; plugin.json after the
 * metrics, so that the metrics are never older than it. */
static void run_job(struct lr_writer *w, const struct lr_writer_job *job)
{
	bool spool = job->spool_dir && spool_ready(w, job->spool_dir);
	int r;

	for (size_t k = 0; spool && job->trim && k < job->n_eps; k++)
		lr_report_trim(w->sp, job->eps[k].name, job->eps[k].max_events, job->eps[k].max_bytes);
	if (job->metrics_path && job->metrics)
		write_metrics(w, job);
	if (job->status && job->status_dirfd >= 0 &&
	    (r = lr_write_atomic(job->status_dirfd, LR_PLUGIN_INFO_FILE, job->status, strlen(job->status))) < 0)
		log_warn_errno(r, "state directory: %s", LR_PLUGIN_INFO_FILE);
}

static void *writer_main(void *arg)
{
	struct lr_writer *w = arg;
	const uint64_t one = 1;
	sigset_t all;

	/* signals are the loop's (its signalfd): never delivered to this thread */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct lr_writer_job *job;
		uint64_t gen;

		while (!w->next && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->next)
			break;
		job = w->next, gen = w->posted;
		w->next = NULL;
		pthread_mutex_unlock(&w->mu);
		run_job(w, job);
		lr_writer_job_free(job);
		pthread_mutex_lock(&w->mu);
		w->done = gen;
		if (write(w->efd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow at one a job; the loop also polls on a timer */
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int lr_writer_new(struct lr_writer **out)
{
	struct lr_writer *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return -ENOMEM;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	r = w->efd < 0 ? errno : pthread_create(&w->thread, NULL, writer_main, w);
	w->threaded = r == 0;
	if (r)
		log_warn_errno(-r, "cannot start the writer thread: the metrics and plugin.json are written in the loop");
	*out = w;
	return 0;
}

uint64_t lr_writer_post(struct lr_writer *w, struct lr_writer_job *job)
{
	uint64_t gen;

	if (!w->threaded) {
		run_job(w, job);
		lr_writer_job_free(job);
		return w->done = ++w->posted;
	}
	pthread_mutex_lock(&w->mu);
	if (w->next) { /* not taken yet: the newer one replaces it, and trims if it would have */
		job->trim |= w->next->trim;
		if (!job->status && w->next->status) {
			job->status = w->next->status, job->status_dirfd = w->next->status_dirfd;
			w->next->status = NULL, w->next->status_dirfd = -1;
		}
		lr_writer_job_free(w->next);
	}
	w->next = job;
	gen = ++w->posted;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return gen;
}

uint64_t lr_writer_done(struct lr_writer *w)
{
	uint64_t gen;

	pthread_mutex_lock(&w->mu);
	gen = w->done;
	pthread_mutex_unlock(&w->mu);
	return gen;
}

int lr_writer_fd(struct lr_writer *w)
{
	return w->threaded ? w->efd : -1;
}

void lr_writer_ack(struct lr_writer *w)
{
	uint64_t n;

	if (read(w->efd, &n, sizeof(n)) < 0) {
		/* EAGAIN: nothing was done since the last read */
	}
}

void lr_writer_sync(struct lr_writer *w)
{
	if (!w->threaded)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	w->threaded = false;
}

void lr_writer_free(struct lr_writer *w)
{
	if (!w)
		return;
	lr_writer_sync(w);
	lr_writer_job_free(w->next);
	lr_spool_close(w->sp);
	free(w->swept);
	if (w->efd >= 0)
		close(w->efd);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
