/* keepalived's notify FIFO: bounded line splitting and parsing of what keepalived writes
 * (doc/keepalived.md: INSTANCE/GROUP state lines, priority events, checker lines). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "conf.h"

/* Longest line kept, newline excluded; longer lines are skipped whole. */
#define LR_FIFO_MAX_LINE 1024

enum lr_fifo_kind {
	LR_FIFO_STATE,    /* INSTANCE/GROUP "name" MASTER|BACKUP|FAULT|STOP|DELETED prio */
	LR_FIFO_PRIORITY, /* INSTANCE "name" MASTER_RX_LOWER_PRI|MASTER_PRIORITY|BACKUP_PRIORITY prio */
	LR_FIFO_CHECKER,  /* VS ... / RS ... (the global notify_fifo) */
};

struct lr_fifo_line {
	enum lr_fifo_kind kind;
	enum lr_scope scope;
	char name[LR_MAX_NAME + 1];
	enum lr_kstate kstate; /* LR_FIFO_STATE */
	char event[24];        /* the state word as written */
	int priority;          /* 0..255 */
};

/* Parses one line (without its newline). A line that is none of the above: -EINVAL, with
 * what is wrong in err. */
int lr_fifo_parse(const char *line, size_t len, struct lr_fifo_line *out, char *err, size_t errlen);

/* Splits a byte stream into lines of at most LR_FIFO_MAX_LINE bytes. */
struct lr_lines {
	char buf[LR_FIFO_MAX_LINE + 1];
	size_t len;
	bool discard; /* inside an over-long line: skip to its newline */
};

/* fn gets each complete line (NUL-terminated, without its newline); an over-long line is
 * passed once, cut to its first LR_FIFO_MAX_LINE bytes, with overlong set. Returns the
 * number of lines passed. */
size_t lr_lines_feed(struct lr_lines *lb, const char *data, size_t n,
		     void (*fn)(const char *line, size_t len, bool overlong, void *arg), void *arg);
/* At end of stream: bytes after the last newline are an incomplete line; returns how many
 * bytes were dropped (0 when none). */
size_t lr_lines_finish(struct lr_lines *lb);
