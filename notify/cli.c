/* Argument parsing: everything keepalived or a person passes is bounded and validated
 * before anything else happens. */
#include "config.h"
#include "cli.h"

#include "log.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char lr_cli_usage[] =
	"Usage:\n"
	"  lvsrole-notify [OPTIONS] INSTANCE|GROUP NAME STATE PRIORITY   (keepalived's notify)\n"
	"  lvsrole-notify [OPTIONS] apply director|real-server|none [NAME]\n"
	"  lvsrole-notify [OPTIONS] status [--json]\n"
	"  lvsrole-notify [OPTIONS] check\n"
	"  lvsrole-notify [OPTIONS] webhook test [ENDPOINT]\n"
	"  lvsrole-notify [OPTIONS] spool [--json]\n"
	"  lvsrole-notify [OPTIONS] replay|flush [ENDPOINT]\n"
	"  lvsrole-notify [OPTIONS] deliver   (what a switch starts: the queues until the deadline)\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE  configuration (default " LR_DEFAULT_CONFIG ")\n"
	"  -n, --dry-run      print the plan, change nothing\n"
	"  -j, --json         status as JSON\n"
	"  -v, --verbose      log to stderr too (twice: debug)\n"
	"  -h, --help         this text\n"
	"  -V, --version      the version\n"
	"\n"
	"STATE is MASTER, BACKUP, FAULT, STOP or DELETED; PRIORITY is 0..255.\n"
	"Exit codes: 0 ok, 1 switch failed or partial, 2 usage, 3 config, 4 unknown name,\n"
	"5 state directory, 6 not permitted, 7 status found drift, 8 report not delivered\n"
	"(webhook test, flush) or spool unusable.\n";

static const struct option options[] = {
	{ "config", required_argument, NULL, 'c' }, { "dry-run", no_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },         { "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },         { "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

__attribute__((format(printf, 3, 4))) static int usage_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Options may come before and after the command words. */
static int parse_options(int argc, char **argv, struct lr_cli *out, char **words, int *n_words,
			 char *err, size_t errlen)
{
	int c;

	opterr = 0;
	optind = 0;
	*n_words = 0;
	while (optind < argc) {
		/* the argument getopt works on: optind moves past a cluster ("-nx") only at its end */
		const char *arg = argv[optind > 0 ? optind : 1];

		/* '-' first: non-options are returned in order as 1; ':' next: ':' for a
		 * missing option argument */
		c = getopt_long(argc, argv, "-:c:njvhV", options, NULL);
		if (c == -1) {
			while (optind < argc)
				words[(*n_words)++] = argv[optind++];
			break;
		}
		switch (c) {
		case 1:
			words[(*n_words)++] = optarg;
			/* keepalived's appended words are data: a name may start with '-' */
			if (*n_words == 1 && (!strcmp(optarg, "INSTANCE") || !strcmp(optarg, "GROUP"))) {
				while (optind < argc)
					words[(*n_words)++] = argv[optind++];
				return 0;
			}
			break;
		case 'c': out->config = optarg; break;
		case 'n': out->dry_run = true; break;
		case 'j': out->json = true; break;
		case 'v': out->verbose++; break;
		case 'h': out->cmd = LR_CMD_HELP; return 1;
		case 'V': out->cmd = LR_CMD_VERSION; return 1;
		case ':': return usage_err(err, errlen, "option %s needs an argument", arg);
		default:
			if (arg[1] != '-' && optopt)
				return usage_err(err, errlen, "unknown option \"-%c\"", optopt);
			return usage_err(err, errlen, "unknown option \"%s\"", arg);
		}
	}
	return 0;
}

static int parse_priority(const char *s, int *out)
{
	char *end;
	long v;

	if (s[0] < '0' || s[0] > '9' || strlen(s) > 3)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 255)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int parse_name(struct lr_cli *out, const char *s, char *err, size_t errlen)
{
	out->name = s;
	if (s && strlen(s) > LR_MAX_NAME)
		return usage_err(err, errlen, "name \"%.64s...\" is longer than 64 characters", s);
	return 0;
}

/* INSTANCE|GROUP NAME STATE PRIORITY: keepalived's appended words */
static int parse_event(struct lr_cli *out, char **w, int n, char *err, size_t errlen)
{
	(void)n;
	out->scope = w[0][0] == 'G' ? LR_SCOPE_GROUP : LR_SCOPE_INSTANCE;
	if (parse_name(out, w[1], err, errlen) < 0)
		return -EINVAL;
	if (lr_kstate_parse(w[2], &out->kstate) < 0)
		return usage_err(err, errlen, "unknown state \"%s\" (MASTER, BACKUP, FAULT, STOP or DELETED)", w[2]);
	if (parse_priority(w[3], &out->priority) < 0)
		return usage_err(err, errlen, "priority \"%s\" is not a number 0..255", w[3]);
	return 0;
}

static int parse_apply(struct lr_cli *out, char **w, int n, char *err, size_t errlen)
{
	if (lr_role_parse(w[1], &out->role) < 0)
		return usage_err(err, errlen, "unknown role \"%s\" (director, real-server or none)", w[1]);
	return parse_name(out, n == 3 ? w[2] : NULL, err, errlen);
}

static int parse_webhook(struct lr_cli *out, char **w, int n, char *err, size_t errlen)
{
	if (strcmp(w[1], "test"))
		return usage_err(err, errlen, "%s", "webhook needs \"test [ENDPOINT]\"");
	out->endpoint = n == 3 ? w[2] : NULL;
	return 0;
}

static int parse_endpoint(struct lr_cli *out, char **w, int n, char *err, size_t errlen)
{
	(void)err, (void)errlen;
	out->endpoint = n == 2 ? w[1] : NULL;
	return 0;
}

/* Every command: the word that names it, the program that runs it (lvsrole-deliver for
 * those that speak HTTP: lvsrole-notify never loads libcurl), how many further words it
 * takes, what to say when the count is wrong, and how to read them. */
static const struct command {
	const char *word;
	enum lr_cmd cmd;
	bool http;
	int min, max;
	const char *count_err; /* after the word */
	int (*parse)(struct lr_cli *out, char **w, int n, char *err, size_t errlen);
} commands[] = {
	{ "INSTANCE", LR_CMD_EVENT, false, 3, 3, " needs NAME STATE PRIORITY (keepalived's notify appends exactly four words)", parse_event },
	{ "GROUP", LR_CMD_EVENT, false, 3, 3, " needs NAME STATE PRIORITY (keepalived's notify appends exactly four words)", parse_event },
	{ "apply", LR_CMD_APPLY, false, 1, 2, " needs ROLE [NAME]", parse_apply },
	{ "status", LR_CMD_STATUS, false, 0, 0, " takes no further words", NULL },
	{ "check", LR_CMD_CHECK, true, 0, 0, " takes no further words", NULL },
	{ "webhook", LR_CMD_WEBHOOK_TEST, true, 1, 2, " needs \"test [ENDPOINT]\"", parse_webhook },
	{ "deliver", LR_CMD_DELIVER, true, 0, 0, " takes no further words", NULL },
	{ "spool", LR_CMD_SPOOL, false, 0, 0, " takes no further words", NULL },
	{ "replay", LR_CMD_REPLAY, false, 0, 1, " takes at most one ENDPOINT", parse_endpoint },
	{ "flush", LR_CMD_FLUSH, true, 0, 1, " takes at most one ENDPOINT", parse_endpoint },
};

int lr_cli_parse(int argc, char **argv, struct lr_cli *out, char *err, size_t errlen)
{
	char *words[LR_MAX_ARGS];
	int n, r;

	memset(out, 0, sizeof(*out));
	out->config = LR_DEFAULT_CONFIG;
	out->kstate = LR_KSTATE_NONE;
	out->priority = -1;
	if (argc > LR_MAX_ARGS)
		return usage_err(err, errlen, "too many arguments (at most %s)", "31");
	for (int i = 1; i < argc; i++)
		if (!lr_printable(argv[i], LR_MAX_ARG_LEN)) {
			snprintf(err, errlen, "argument %d is empty, longer than %d bytes or not printable ASCII",
				 i, LR_MAX_ARG_LEN);
			return -EINVAL;
		}
	r = parse_options(argc, argv, out, words, &n, err, errlen);
	if (r != 0)
		return r < 0 ? r : 0;
	if (n == 0)
		return usage_err(err, errlen, "%s", "no command given (see --help)");
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++) {
		const struct command *c = &commands[i];

		if (strcmp(words[0], c->word))
			continue;
		out->cmd = c->cmd;
		if (n - 1 < c->min || n - 1 > c->max)
			return usage_err(err, errlen, "%s%s", words[0], c->count_err);
		return c->parse ? c->parse(out, words, n, err, errlen) : 0;
	}
	return usage_err(err, errlen, "unknown command \"%s\" (see --help)", words[0]);
}

bool lr_cli_needs_http(enum lr_cmd cmd)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
		if (commands[i].cmd == cmd)
			return commands[i].http;
	return false;
}

bool lr_cli_parse_logged(int argc, char **argv, struct lr_cli *out)
{
	char err[1024];

	if (lr_cli_parse(argc, argv, out, err, sizeof(err)) == 0)
		return true;
	lr_log_open("lvsrole-notify", true, 0);
	log_err("%s", err);
	lr_log_close();
	return false;
}
