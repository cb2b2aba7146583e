/* keepalived's FIFO lines: parsing (names with spaces and quotes, events that are not
 * states, checker lines, what is refused) and bounded line splitting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fifo.h"

static int parse(const char *s, struct lr_fifo_line *l, char *err)
{
	return lr_fifo_parse(s, strlen(s), l, err, 256);
}

static void test_states(void **state)
{
	struct lr_fifo_line l;
	char err[256];

	(void)state;
	assert_int_equal(parse("INSTANCE \"VI_1\" MASTER 100", &l, err), 0);
	assert_int_equal(l.kind, LR_FIFO_STATE);
	assert_int_equal(l.scope, LR_SCOPE_INSTANCE);
	assert_string_equal(l.name, "VI_1");
	assert_int_equal(l.kstate, LR_KSTATE_MASTER);
	assert_int_equal(l.priority, 100);
	assert_int_equal(parse("GROUP \"G 1\" STOP 0", &l, err), 0);
	assert_int_equal(l.scope, LR_SCOPE_GROUP);
	assert_string_equal(l.name, "G 1");
	assert_int_equal(l.kstate, LR_KSTATE_STOP);
	/* the name runs to the last quote: spaces and quotes inside are kept */
	assert_int_equal(parse("INSTANCE \"a \"b\" c\" BACKUP 255", &l, err), 0);
	assert_string_equal(l.name, "a \"b\" c");
	assert_int_equal(l.kstate, LR_KSTATE_BACKUP);
	assert_int_equal(l.priority, 255);
	for (int k = 0; k < LR_KSTATE__COUNT; k++) {
		char line[64];

		snprintf(line, sizeof(line), "INSTANCE \"x\" %s 1", lr_kstate_name(k));
		assert_int_equal(parse(line, &l, err), 0);
		assert_int_equal(l.kstate, k);
	}
}

static void test_events_and_checkers(void **state)
{
	static const char *const events[] = { "MASTER_RX_LOWER_PRI", "MASTER_PRIORITY", "BACKUP_PRIORITY" };
	struct lr_fifo_line l;
	char err[256], line[80];

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		snprintf(line, sizeof(line), "INSTANCE \"VI_1\" %s 90", events[i]);
		assert_int_equal(parse(line, &l, err), 0);
		assert_int_equal(l.kind, LR_FIFO_PRIORITY);
		assert_int_equal(l.kstate, LR_KSTATE_NONE);
		assert_string_equal(l.event, events[i]);
	}
	assert_int_equal(parse("VS [10.0.0.50]:tcp:80 UP", &l, err), 0);
	assert_int_equal(l.kind, LR_FIFO_CHECKER);
	assert_int_equal(parse("RS [10.0.0.11]:tcp:80 [10.0.0.50]:tcp:80 DOWN", &l, err), 0);
	assert_int_equal(l.kind, LR_FIFO_CHECKER);
}

static void test_refused(void **state)
{
	static const struct { const char *line; const char *why; } cases[] = {
		{ "", "not an INSTANCE" },
		{ "MASTER", "not an INSTANCE" },
		{ "INSTANCE VI_1 MASTER 100", "name not quoted" },
		{ "INSTANCE \"VI_1 MASTER 100", "name not quoted" },
		{ "INSTANCE \"\" MASTER 100", "empty name" },
		{ "INSTANCE \"VI_1\"MASTER 100", "no state" },
		{ "INSTANCE \"VI_1\"", "no state" },
		{ "INSTANCE \"VI_1\" MASTER", "no priority" },
		{ "INSTANCE \"VI_1\" MASTER 256", "priority" },
		{ "INSTANCE \"VI_1\" MASTER -1", "priority" },
		{ "INSTANCE \"VI_1\" MASTER 1 2", "priority" },
		{ "INSTANCE \"VI_1\" MASTER 0x10", "priority" },
		{ "INSTANCE \"VI_1\" master 100", "unknown state" },
		{ "INSTANCE \"VI_1\" INIT 100", "unknown state" },
		{ "GROUP \"G\" MASTER_PRIORITY 0", "unknown state" },
		{ "INSTANCE \"VI_1\"  MASTER 100", "unknown state" },
		{ "INSTANCE \"VI\x01\" MASTER 100", "control" },
		{ "INSTANCE \"VI_1\" MASTER 100\r", "priority" },
	};
	struct lr_fifo_line l;
	char err[256], name[80], line[128];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		print_message("%s\n", cases[i].line);
		assert_int_equal(parse(cases[i].line, &l, err), -EINVAL);
		assert_non_null(strstr(err, cases[i].why));
	}
	memset(name, 'n', 65);
	name[65] = '\0';
	snprintf(line, sizeof(line), "INSTANCE \"%s\" MASTER 1", name);
	assert_int_equal(parse(line, &l, err), -EINVAL);
	assert_non_null(strstr(err, "longer than 64"));
	name[64] = '\0';
	snprintf(line, sizeof(line), "INSTANCE \"%s\" MASTER 1", name);
	assert_int_equal(parse(line, &l, err), 0);
	/* a NUL inside the line */
	assert_int_equal(lr_fifo_parse("INSTANCE \"a\0b\" MASTER 1", 23, &l, err, sizeof(err)), -EINVAL);
	/* the quoted value in the message escapes what it quotes */
	assert_int_equal(parse("INSTANCE \"VI_1\" MASTER 999", &l, err), -EINVAL);
	assert_string_equal(err, "priority is not 0..255: \"INSTANCE \\\"VI_1\\\" MASTER 999\"");
}

struct got {
	char lines[8][LR_FIFO_MAX_LINE + 1];
	bool overlong[8];
	size_t n;
};

static void collect(const char *line, size_t len, bool overlong, void *arg)
{
	struct got *g = arg;

	assert_int_equal(strlen(line), len);
	assert_true(len <= LR_FIFO_MAX_LINE);
	if (g->n < 8) {
		memcpy(g->lines[g->n], line, len + 1);
		g->overlong[g->n] = overlong;
	}
	g->n++;
}

static void test_lines(void **state)
{
	static char big[3 * LR_FIFO_MAX_LINE];
	struct lr_lines lb = { 0 };
	struct got g = { 0 };

	(void)state;
	/* split anywhere */
	assert_int_equal(lr_lines_feed(&lb, "ab", 2, collect, &g), 0);
	assert_int_equal(lr_lines_feed(&lb, "c\nde\n\nf", 7, collect, &g), 3);
	assert_string_equal(g.lines[0], "abc");
	assert_string_equal(g.lines[1], "de");
	assert_string_equal(g.lines[2], "");
	assert_int_equal(lr_lines_finish(&lb), 1); /* "f" without its newline */
	/* exactly the limit is a line; one more byte is over-long, passed once, then skipped */
	g.n = 0;
	memset(big, 'x', sizeof(big));
	big[LR_FIFO_MAX_LINE] = '\n';
	assert_int_equal(lr_lines_feed(&lb, big, LR_FIFO_MAX_LINE + 1, collect, &g), 1);
	assert_false(g.overlong[0]);
	assert_int_equal(strlen(g.lines[0]), LR_FIFO_MAX_LINE);
	g.n = 0;
	memset(big, 'y', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	/* fed in pieces: the over-long line is reported once, at the limit */
	assert_int_equal(lr_lines_feed(&lb, big, 1000, collect, &g), 0);
	assert_int_equal(lr_lines_feed(&lb, big + 1000, 1000, collect, &g), 1);
	assert_true(g.overlong[0]);
	assert_int_equal(lr_lines_feed(&lb, big + 2000, sizeof(big) - 2000, collect, &g), 0);
	assert_int_equal(lr_lines_feed(&lb, "ok\n", 3, collect, &g), 1);
	assert_string_equal(g.lines[1], "ok");
	assert_false(g.overlong[1]);
	assert_int_equal(lr_lines_finish(&lb), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_events_and_checkers),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
