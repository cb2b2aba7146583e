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
	if (!strcmp(words[0], "INSTANCE") || !strcmp(words[0], "GROUP")) {
		out->cmd = LR_CMD_EVENT;
		out->scope = words[0][0] == 'G' ? LR_SCOPE_GROUP : LR_SCOPE_INSTANCE;
		if (n != 4)
			return usage_err(err, errlen, "%s needs NAME STATE PRIORITY (keepalived's notify appends exactly four words)", words[0]);
		out->name = words[1];
		if (strlen(out->name) > LR_MAX_NAME)
			return usage_err(err, errlen, "name \"%.64s...\" is longer than 64 characters", out->name);
		if (lr_kstate_parse(words[2], &out->kstate) < 0)
			return usage_err(err, errlen, "unknown state \"%s\" (MASTER, BACKUP, FAULT, STOP or DELETED)", words[2]);
		if (parse_priority(words[3], &out->priority) < 0)
			return usage_err(err, errlen, "priority \"%s\" is not a number 0..255", words[3]);
		return 0;
	}
	if (!strcmp(words[0], "apply")) {
		out->cmd = LR_CMD_APPLY;
		if (n < 2 || n > 3)
			return usage_err(err, errlen, "%s", "apply needs ROLE [NAME]");
		if (lr_role_parse(words[1], &out->role) < 0)
			return usage_err(err, errlen, "unknown role \"%s\" (director, real-server or none)", words[1]);
		out->name = n == 3 ? words[2] : NULL;
		if (out->name && strlen(out->name) > LR_MAX_NAME)
			return usage_err(err, errlen, "name \"%.64s...\" is longer than 64 characters", out->name);
		return 0;
	}
	if (!strcmp(words[0], "status") || !strcmp(words[0], "check")) {
		out->cmd = words[0][0] == 's' ? LR_CMD_STATUS : LR_CMD_CHECK;
		if (n != 1)
			return usage_err(err, errlen, "%s takes no further words", words[0]);
		return 0;
	}
	if (!strcmp(words[0], "webhook")) {
		if (n < 2 || strcmp(words[1], "test") || n > 3)
			return usage_err(err, errlen, "%s", "webhook needs \"test [ENDPOINT]\"");
		out->cmd = LR_CMD_WEBHOOK_TEST;
		out->endpoint = n == 3 ? words[2] : NULL;
		return 0;
	}
	if (!strcmp(words[0], "deliver")) {
		out->cmd = LR_CMD_DELIVER;
		if (n != 1)
			return usage_err(err, errlen, "%s", "deliver takes no further words");
		return 0;
	}
	if (!strcmp(words[0], "spool")) {
		out->cmd = LR_CMD_SPOOL;
		if (n != 1)
			return usage_err(err, errlen, "%s", "spool takes no further words");
		return 0;
	}
	if (!strcmp(words[0], "replay") || !strcmp(words[0], "flush")) {
		out->cmd = words[0][0] == 'r' ? LR_CMD_REPLAY : LR_CMD_FLUSH;
		if (n > 2)
			return usage_err(err, errlen, "%s takes at most one ENDPOINT", words[0]);
		out->endpoint = n == 2 ? words[1] : NULL;
		return 0;
	}
	return usage_err(err, errlen, "unknown command \"%s\" (see --help)", words[0]);
}

bool lr_cli_needs_http(enum lr_cmd cmd)
{
	return cmd == LR_CMD_CHECK || cmd == LR_CMD_WEBHOOK_TEST || cmd == LR_CMD_FLUSH || cmd == LR_CMD_DELIVER;
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
