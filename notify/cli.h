/* lvsrole-notify's command line: keepalived's appended words and the operator commands. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "exitcode.h"

#define LR_MAX_ARGS 32
#define LR_MAX_ARG_LEN 256

enum lr_cmd {
	LR_CMD_EVENT, LR_CMD_APPLY, LR_CMD_STATUS, LR_CMD_CHECK, LR_CMD_HELP, LR_CMD_VERSION,
	LR_CMD_WEBHOOK_TEST, LR_CMD_SPOOL, LR_CMD_REPLAY, LR_CMD_FLUSH, LR_CMD_DELIVER,
};

struct lr_cli {
	enum lr_cmd cmd;
	const char *config;
	bool dry_run;
	bool json;
	int verbose;
	enum lr_scope scope;
	const char *name; /* NULL: every instance (apply) */
	const char *endpoint; /* webhook test, replay, flush: NULL for every endpoint */
	enum lr_kstate kstate;
	enum lr_role role;
	int priority;
};

/* Parses argv; on error returns -EINVAL with a message for the user in err. */
int lr_cli_parse(int argc, char **argv, struct lr_cli *out, char *err, size_t errlen);
extern const char lr_cli_usage[];
/* Whether cmd runs in lvsrole-deliver (check, webhook test, flush, deliver: libcurl's). */
bool lr_cli_needs_http(enum lr_cmd cmd);
/* lr_cli_parse, the error logged (as lvsrole-notify, to stderr); false on error. */
bool lr_cli_parse_logged(int argc, char **argv, struct lr_cli *out);
