/* Logging to syslog and, for people, to stderr. */
#include "config.h"
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static const char *log_ident;
static bool log_stderr;
static bool log_syslog;
static int log_max = LR_LOG_INFO;

void lr_log_open(const char *ident, bool to_stderr, int verbosity)
{
	log_stderr = to_stderr;
	log_max = verbosity > 0 ? LR_LOG_DEBUG : LR_LOG_INFO;
	if (ident) {
		log_ident = ident;
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_syslog = true;
	}
}

void lr_log_close(void)
{
	if (log_syslog)
		closelog();
	log_syslog = false;
}

void lr_log_drop_fds(void)
{
	lr_log_drop_fds_but(NULL, 0);
}

void lr_log_drop_fds_but(const int *keep, size_t n)
{
	bool reopen = log_syslog;
	int from = 3;

	/* syslog's socket first, so that it is not left pointing at a closed number */
	lr_log_close();
	for (;;) { /* the gaps between the kept descriptors, in increasing order */
		int next = -1;

		for (size_t i = 0; i < n; i++)
			if (keep[i] >= from && (next < 0 || keep[i] < next))
				next = keep[i];
		if (next < 0)
			break;
		if (next > from)
			close_range((unsigned)from, (unsigned)next - 1, 0);
		from = next + 1;
	}
	closefrom(from);
	if (reopen && log_ident) {
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_syslog = true;
	}
}

bool lr_log_wants(int level)
{
	return level <= log_max;
}

static void vlog(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void vlog(int level, const char *fmt, va_list ap)
{
	char buf[2048];

	if (level > log_max)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_syslog)
		syslog(level, "%s", buf);
	if (log_stderr) {
		const char *tag = level <= LR_LOG_ERR ? "error: " : level == LR_LOG_WARN ? "warning: " : "";
		fprintf(stderr, "%s%s\n", tag, buf);
	}
}

void lr_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

int lr_log_errno(int level, int err, const char *fmt, ...)
{
	char buf[1536];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	lr_log(level, "%s: %s", buf, strerror(err < 0 ? -err : err));
	return err < 0 ? err : -err;
}
