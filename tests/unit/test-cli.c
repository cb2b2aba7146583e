/* Tests for notify/cli.c: keepalived's appended words, the operator commands, options anywhere,
 * and every malformed command line (counts, states, priorities, bytes, lengths, options). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))
#define MAX_ARGV 48

enum { DRY = 1, JSON = 2 };

struct cli_case {
	const char *name;
	const char *argv[MAX_ARGV]; /* after the program name, NULL-terminated */
	int ret;
	const char *msg; /* errors: a substring of the message */
	enum lr_cmd cmd;
	const char *config; /* NULL: the default */
	enum lr_scope scope;
	const char *inst; /* NULL: none */
	enum lr_kstate kstate;
	int priority;
	enum lr_role role;
	unsigned flags;
	int verbose;
};

#define A(...) .argv = { __VA_ARGS__, NULL }
#define NOARGS .argv = { NULL }
#define EVENT(sc, nm, st, prio) .cmd = LR_CMD_EVENT, .scope = sc, .inst = nm, .kstate = st, .priority = prio
#define INSTANCE(nm, st, prio) EVENT(LR_SCOPE_INSTANCE, nm, st, prio)
#define CMD(c) .cmd = c, .kstate = LR_KSTATE_NONE, .priority = -1
#define APPLY(r, nm) CMD(LR_CMD_APPLY), .role = r, .inst = nm
#define ERR(m) .ret = -EINVAL, .msg = m

#define D10 "0123456789"
#define D50 D10 D10 D10 D10 D10
#define D250 D50 D50 D50 D50 D50
#define V5 "-v", "-v", "-v", "-v", "-v"
#define V10 V5, V5

#define NEEDS "needs NAME STATE PRIORITY (keepalived's notify appends exactly four words)"
#define BAD_ARG(n) "argument " #n " is empty, longer than 256 bytes or not printable ASCII"
#define PRIO(p) "priority \"" p "\" is not a number 0..255"

static struct cli_case cli_cases[] = {
	/* ---- keepalived's notify: INSTANCE|GROUP NAME STATE PRIORITY ---- */
	{ "instance master", A("INSTANCE", "VI_1", "MASTER", "100"),
	  INSTANCE("VI_1", LR_KSTATE_MASTER, 100) },
	{ "group backup priority 0", A("GROUP", "G1", "BACKUP", "0"),
	  EVENT(LR_SCOPE_GROUP, "G1", LR_KSTATE_BACKUP, 0) },
	{ "config before the words", A("-c", "/etc/lvsrole/a.conf", "INSTANCE", "VI_1", "FAULT", "255"),
	  INSTANCE("VI_1", LR_KSTATE_FAULT, 255), .config = "/etc/lvsrole/a.conf" },
	{ "long config option", A("--config", "/x.conf", "GROUP", "G1", "STOP", "50"),
	  EVENT(LR_SCOPE_GROUP, "G1", LR_KSTATE_STOP, 50), .config = "/x.conf" },
	{ "config option with =", A("--config=/y.conf", "INSTANCE", "VI_1", "DELETED", "1"),
	  INSTANCE("VI_1", LR_KSTATE_DELETED, 1), .config = "/y.conf" },
	{ "config value attached", A("-c/z.conf", "INSTANCE", "VI_1", "BACKUP", "99"),
	  INSTANCE("VI_1", LR_KSTATE_BACKUP, 99), .config = "/z.conf" },
	/* keepalived's words are data: nothing after INSTANCE/GROUP is an option */
	{ "option-like words after INSTANCE are data",
	  A("INSTANCE", "-v", "VI_1", "MASTER", "--dry-run", "100", "-v"),
	  ERR("INSTANCE needs NAME STATE PRIORITY") },
	{ "name starting with '-'", A("INSTANCE", "-VI", "MASTER", "1"),
	  INSTANCE("-VI", LR_KSTATE_MASTER, 1) },
	{ "name --version is a name", A("GROUP", "--version", "BACKUP", "0"),
	  EVENT(LR_SCOPE_GROUP, "--version", LR_KSTATE_BACKUP, 0) },
	{ "words after --", A("-n", "--", "INSTANCE", "VI_1", "MASTER", "7"),
	  INSTANCE("VI_1", LR_KSTATE_MASTER, 7), .flags = DRY },
	{ "name with a space", A("INSTANCE", "VI 1", "MASTER", "100"),
	  INSTANCE("VI 1", LR_KSTATE_MASTER, 100) },
	{ "name of 64 characters", A("GROUP", D50 "0123456789ABCD", "MASTER", "1"),
	  EVENT(LR_SCOPE_GROUP, D50 "0123456789ABCD", LR_KSTATE_MASTER, 1) },
	{ "three words", A("INSTANCE", "VI_1", "MASTER"), ERR("INSTANCE " NEEDS) },
	{ "five words", A("INSTANCE", "VI_1", "MASTER", "100", "extra"), ERR("INSTANCE " NEEDS) },
	{ "group, three words", A("GROUP", "G1", "BACKUP"), ERR("GROUP " NEEDS) },
	{ "INSTANCE alone", A("INSTANCE"), ERR("INSTANCE " NEEDS) },
	{ "name of 65 characters", A("INSTANCE", D50 "0123456789ABCDE", "MASTER", "1"),
	  ERR("name \"" D50 "0123456789ABCD...\" is longer than 64 characters") },
	{ "state in lower case", A("INSTANCE", "VI_1", "master", "100"),
	  ERR("unknown state \"master\" (MASTER, BACKUP, FAULT, STOP or DELETED)") },
	{ "state INIT", A("INSTANCE", "VI_1", "INIT", "100"), ERR("unknown state \"INIT\"") },
	{ "state and priority swapped", A("INSTANCE", "VI_1", "100", "MASTER"),
	  ERR("unknown state \"100\"") },
	{ "priority not a number", A("INSTANCE", "VI_1", "MASTER", "high"), ERR(PRIO("high")) },
	{ "priority 256", A("INSTANCE", "VI_1", "MASTER", "256"), ERR(PRIO("256")) },
	{ "priority 1000", A("INSTANCE", "VI_1", "MASTER", "1000"), ERR(PRIO("1000")) },
	{ "priority 1e2", A("INSTANCE", "VI_1", "MASTER", "1e2"), ERR(PRIO("1e2")) },
	{ "priority 0x10", A("INSTANCE", "VI_1", "MASTER", "0x10"), ERR(PRIO("0x10")) },
	{ "priority +5", A("INSTANCE", "VI_1", "MASTER", "+5"), ERR(PRIO("+5")) },
	{ "priority with a space", A("INSTANCE", "VI_1", "MASTER", " 5"), ERR(PRIO(" 5")) },
	{ "priority with junk", A("INSTANCE", "VI_1", "MASTER", "10a"), ERR(PRIO("10a")) },
	{ "priority -1", A("INSTANCE", "VI_1", "MASTER", "-1"), ERR(PRIO("-1")) },

	/* ---- operator commands ---- */
	{ "status", A("status"), CMD(LR_CMD_STATUS) },
	{ "status --json", A("status", "--json"), CMD(LR_CMD_STATUS), .flags = JSON },
	{ "-j status", A("-j", "status"), CMD(LR_CMD_STATUS), .flags = JSON },
	{ "check with a config", A("check", "-c", "/tmp/l.conf"), CMD(LR_CMD_CHECK), .config = "/tmp/l.conf" },
	{ "apply director", A("apply", "director"), APPLY(LR_ROLE_DIRECTOR, NULL) },
	{ "apply director VI_1 --dry-run", A("apply", "director", "VI_1", "--dry-run"),
	  APPLY(LR_ROLE_DIRECTOR, "VI_1"), .flags = DRY },
	{ "apply real-server with options first", A("-n", "-vv", "apply", "real-server", "G1"),
	  APPLY(LR_ROLE_REAL_SERVER, "G1"), .flags = DRY, .verbose = 2 },
	{ "apply none", A("apply", "none", "VI_2"), APPLY(LR_ROLE_NONE, "VI_2") },
	{ "option cluster", A("-njv", "status"), CMD(LR_CMD_STATUS), .flags = DRY | JSON, .verbose = 1 },
	{ "--help", A("--help"), CMD(LR_CMD_HELP) },
	{ "-h after a command", A("status", "-h"), CMD(LR_CMD_HELP) },
	{ "--help before the words", A("--help", "INSTANCE"), CMD(LR_CMD_HELP) },
	{ "--help after INSTANCE is a word", A("INSTANCE", "--help"),
	  ERR("INSTANCE needs NAME STATE PRIORITY") },
	{ "--version", A("--version"), CMD(LR_CMD_VERSION) },
	{ "-V", A("-V"), CMD(LR_CMD_VERSION) },
	{ "no arguments", NOARGS, ERR("no command given (see --help)") },
	{ "options only", A("-n", "-c", "/x"), ERR("no command given") },
	{ "unknown command", A("start"), ERR("unknown command \"start\" (see --help)") },
	{ "instance in lower case", A("instance", "VI_1", "MASTER", "100"),
	  ERR("unknown command \"instance\"") },
	{ "apply without a role", A("apply"), ERR("apply needs ROLE [NAME]") },
	{ "apply with a bad role", A("apply", "master"),
	  ERR("unknown role \"master\" (director, real-server or none)") },
	{ "apply unknown", A("apply", "unknown", "VI_1"), ERR("unknown role \"unknown\"") },
	{ "apply with too many words", A("apply", "director", "VI_1", "VI_2"), ERR("apply needs ROLE [NAME]") },
	{ "apply with a long name", A("apply", "none", D50 "0123456789ABCDE"),
	  ERR("is longer than 64 characters") },
	{ "status with a word", A("status", "VI_1"), ERR("status takes no further words") },
	{ "check with a word", A("check", "now"), ERR("check takes no further words") },

	/* ---- bytes and lengths ---- */
	{ "argument of 256 bytes", A("-c", "/" D250 "01234", "check"), CMD(LR_CMD_CHECK),
	  .config = "/" D250 "01234" },
	{ "argument of 257 bytes", A("INSTANCE", "V" D250 "012345", "MASTER", "1"), ERR(BAD_ARG(2)) },
	{ "tab in an argument", A("INSTANCE", "VI\t1", "MASTER", "1"), ERR(BAD_ARG(2)) },
	{ "newline in an argument", A("status", "-c", "/x\n"), ERR(BAD_ARG(3)) },
	{ "byte 0x80", A("INSTANCE", "VI_1", "MASTER", "1\x80"), ERR(BAD_ARG(4)) },
	{ "byte 0xff", A("\xff"), ERR(BAD_ARG(1)) },
	{ "DEL byte", A("apply", "none", "VI\x7f"), ERR(BAD_ARG(3)) },
	{ "empty argument", A("INSTANCE", "", "MASTER", "1"), ERR(BAD_ARG(2)) },
	{ "31 arguments", A(V10, V10, V10, "status"), CMD(LR_CMD_STATUS), .verbose = 30 },
	{ "32 arguments", A(V10, V10, V10, "-v", "status"), ERR("too many arguments (at most 31)") },
	{ "40 arguments", A(V10, V10, V10, V5, "-v", "INSTANCE", "VI_1", "MASTER", "100"),
	  ERR("too many arguments") },

	/* ---- options ---- */
	{ "unknown long option", A("--bogus", "status"), ERR("unknown option \"--bogus\"") },
	{ "unknown short option", A("status", "-x"), ERR("unknown option \"-x\"") },
	{ "unknown option first in a cluster", A("-xn", "status"), ERR("unknown option \"-x\"") },
	{ "unknown option last in a cluster", A("-nx", "status"), ERR("unknown option \"-x\"") },
	{ "ambiguous long option", A("--ver", "status"), ERR("unknown option \"--ver\"") },
	{ "argument to a flag", A("--json=yes", "status"), ERR("--json=yes") },
	{ "-c without a value", A("status", "-c"), ERR("option -c needs an argument") },
	{ "--config without a value", A("check", "--config"), ERR("option --config needs an argument") },
	{ "-c without a value in a cluster", A("check", "-nc"), ERR("option -nc needs an argument") },
};

static char **make_argv(const char *const *args, int *argc)
{
	char **argv = calloc(MAX_ARGV + 1, sizeof(*argv));
	int n = 0;

	assert_non_null(argv);
	argv[n++] = strdup("lvsrole-notify");
	for (; args[n - 1]; n++)
		argv[n] = strdup(args[n - 1]);
	*argc = n;
	return argv;
}

static void free_argv(char **argv)
{
	for (int i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

static void test_cli_case(void **state)
{
	const struct cli_case *c = *state;
	char err[512] = "", *saved[MAX_ARGV + 1];
	struct lr_cli cli;
	int argc, r;
	char **argv = make_argv(c->argv, &argc);

	memcpy(saved, argv, sizeof(saved));
	memset(&cli, 0x5a, sizeof(cli));
	r = lr_cli_parse(argc, argv, &cli, err, sizeof(err));
	/* argv is left as it was: keepalived's words stay in order */
	for (int i = 0; i <= argc; i++)
		assert_ptr_equal(argv[i], saved[i]);
	if (c->ret) {
		if (r != c->ret)
			fail_msg("expected %d, got %d (cmd %d)", c->ret, r, cli.cmd);
		if (!strstr(err, c->msg))
			fail_msg("message \"%s\" does not contain \"%s\"", err, c->msg);
		free_argv(argv);
		return;
	}
	if (r != 0)
		fail_msg("expected success, got %d: %s", r, err);
	assert_int_equal(cli.cmd, c->cmd);
	assert_string_equal(cli.config, c->config ? c->config : LR_DEFAULT_CONFIG);
	assert_int_equal(cli.dry_run, !!(c->flags & DRY));
	assert_int_equal(cli.json, !!(c->flags & JSON));
	assert_int_equal(cli.verbose, c->verbose);
	if (c->cmd == LR_CMD_HELP || c->cmd == LR_CMD_VERSION) {
		free_argv(argv);
		return;
	}
	assert_int_equal(cli.scope, c->scope);
	if (c->inst)
		assert_string_equal(cli.name, c->inst);
	else
		assert_null(cli.name);
	assert_int_equal(cli.kstate, c->kstate);
	assert_int_equal(cli.priority, c->priority);
	assert_int_equal(cli.role, c->role);
	free_argv(argv);
}

/* cli points into argv: the last argv lives until the next call (or parse(NULL, ...)). */
static int parse(const char *const *args, struct lr_cli *cli, char *err, size_t errlen)
{
	static char **argv;
	int argc;

	if (argv)
		free_argv(argv);
	argv = NULL;
	if (!args)
		return 0;
	argv = make_argv(args, &argc);
	return lr_cli_parse(argc, argv, cli, err, errlen);
}

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* getopt keeps state between calls: a parse that stopped inside "-hv" or failed inside "-xn"
 * must not leak into the next one. */
static void test_consecutive(void **state)
{
	struct lr_cli cli;
	char err[256];

	for (int round = 0; round < 3; round++) {
		assert_int_equal(parse(ARGV("-hv"), &cli, err, sizeof(err)), 0);
		assert_int_equal(cli.cmd, LR_CMD_HELP);
		assert_int_equal(parse(ARGV("status"), &cli, err, sizeof(err)), 0);
		assert_int_equal(cli.cmd, LR_CMD_STATUS);
		assert_int_equal(cli.verbose, 0);
		assert_false(cli.json);
		assert_int_equal(parse(ARGV("-xj", "check"), &cli, err, sizeof(err)), -EINVAL);
		assert_int_equal(parse(ARGV("check"), &cli, err, sizeof(err)), 0);
		assert_int_equal(cli.cmd, LR_CMD_CHECK);
		assert_false(cli.json);
		assert_int_equal(parse(ARGV("-n", "status", "-c"), &cli, err, sizeof(err)), -EINVAL);
		assert_int_equal(parse(ARGV("-c", "/a", "GROUP", "G", "STOP", "3"), &cli, err, sizeof(err)), 0);
		assert_int_equal(cli.cmd, LR_CMD_EVENT);
		assert_string_equal(cli.config, "/a");
		assert_false(cli.dry_run);
		assert_int_equal(cli.priority, 3);
		assert_int_equal(parse(ARGV("INSTANCE", "VI_1", "BACKUP", "100"), &cli, err, sizeof(err)), 0);
		assert_string_equal(cli.config, LR_DEFAULT_CONFIG);
		assert_int_equal(cli.kstate, LR_KSTATE_BACKUP);
	}
	parse(NULL, &cli, err, sizeof(err));
}

/* A short error buffer truncates the message and writes nothing beyond it. */
static void test_short_err(void **state)
{
	struct lr_cli cli;
	char err[16];

	memset(err, 'x', sizeof(err));
	assert_int_equal(parse(ARGV("start"), &cli, err, 8), -EINVAL);
	assert_string_equal(err, "unknown");
	assert_int_equal(err[8], 'x');
	parse(NULL, &cli, err, sizeof(err));
}

static void test_usage(void **state)
{
	assert_non_null(strstr(lr_cli_usage, "INSTANCE|GROUP NAME STATE PRIORITY"));
	assert_non_null(strstr(lr_cli_usage, "apply director|real-server|none [NAME]"));
	assert_non_null(strstr(lr_cli_usage, LR_DEFAULT_CONFIG));
}

int main(void)
{
	static struct CMUnitTest cases[ARRAY_SIZE(cli_cases)];
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_consecutive),
		cmocka_unit_test(test_short_err),
		cmocka_unit_test(test_usage),
	};
	int failed;

	for (size_t i = 0; i < ARRAY_SIZE(cli_cases); i++)
		cases[i] = (struct CMUnitTest){ .name = cli_cases[i].name, .test_func = test_cli_case,
						.initial_state = &cli_cases[i] };
	failed = cmocka_run_group_tests_name("command lines", cases, NULL, NULL);
	failed += cmocka_run_group_tests_name("parser state", tests, NULL, NULL);
	return failed ? 1 : 0;
}
