/* Logging: syslog always (keepalived runs hooks with stdout on /dev/null), stderr for people. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

enum lr_log_level { LR_LOG_ERR = 3, LR_LOG_WARN = 4, LR_LOG_INFO = 6, LR_LOG_DEBUG = 7 };

/* ident: program name for syslog; to_stderr: also print to stderr; verbosity raises to debug. */
void lr_log_open(const char *ident, bool to_stderr, int verbosity);
void lr_log_close(void);
/* In a forked child: closes every inherited descriptor above 2 (locks live while any copy of
 * their descriptor does), keeping syslog working. */
void lr_log_drop_fds(void);
/* The same, keeping the descriptors keep[0..n) open. */
void lr_log_drop_fds_but(const int *keep, size_t n);
/* Whether messages of that level are logged (to skip building costly ones). */
bool lr_log_wants(int level);
void lr_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Logs "msg: strerror(-err)" and returns err (a negative errno) so callers can return it. */
int lr_log_errno(int level, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_err(...) lr_log(LR_LOG_ERR, __VA_ARGS__)
#define log_warn(...) lr_log(LR_LOG_WARN, __VA_ARGS__)
#define log_info(...) lr_log(LR_LOG_INFO, __VA_ARGS__)
#define log_debug(...) lr_log(LR_LOG_DEBUG, __VA_ARGS__)
#define log_err_errno(err, ...) lr_log_errno(LR_LOG_ERR, (err), __VA_ARGS__)
#define log_warn_errno(err, ...) lr_log_errno(LR_LOG_WARN, (err), __VA_ARGS__)
