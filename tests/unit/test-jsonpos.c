/* Tests for lib/jsonpos.c: JSON paths, the line of a path (or of its deepest existing part),
 * duplicate keys at any depth, and comments and strings that must not confuse the scanner. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "jsonpos.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))

/* ---- building paths ---- */

struct key_case {
	const char *path;
	const char *key;
	const char *want;
};

static const struct key_case key_cases[] = {
	{ "", "a", "a" },
	{ "a", "b", "a.b" },
	{ "instances.VI_1", "vips", "instances.VI_1.vips" },
	{ "", "VI_1-x", "VI_1-x" },
	{ "", "a.b", "[\"a.b\"]" },
	{ "instances", "web vip", "instances[\"web vip\"]" },
	{ "instances", "a[0]", "instances[\"a[0]\"]" },
	{ "x", "", "x[\"\"]" },
	{ "a[0]", "b", "a[0].b" },
	{ "a", "\xc3\xa9", "a[\"\xc3\xa9\"]" },
	{ "a", "say \"hi\"", "a[\"say \"hi\"\"]" },
};

static void test_jpath_key(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(key_cases); i++) {
		char buf[128];

		snprintf(buf, sizeof(buf), "%s", key_cases[i].path);
		lr_jpath_key(buf, sizeof(buf), key_cases[i].key);
		assert_string_equal(buf, key_cases[i].want);
	}
}

static void test_jpath_index(void **state)
{
	char buf[32] = "";

	lr_jpath_index(buf, sizeof(buf), 0);
	assert_string_equal(buf, "[0]");
	lr_jpath_key(buf, sizeof(buf), "vips");
	lr_jpath_index(buf, sizeof(buf), 4095);
	assert_string_equal(buf, "[0].vips[4095]");
}

/* A full buffer truncates the path and never writes past it. */
static void test_jpath_bounds(void **state)
{
	char buf[16];

	memset(buf, 'x', sizeof(buf));
	snprintf(buf, 8, "abc");
	lr_jpath_key(buf, 8, "defghij");
	assert_string_equal(buf, "abc.def");
	lr_jpath_key(buf, 8, "more");
	assert_string_equal(buf, "abc.def");
	lr_jpath_index(buf, 8, 12);
	assert_string_equal(buf, "abc.def");
	assert_int_equal(buf[8], 'x');
	snprintf(buf, 8, "abc");
	lr_jpath_key(buf, 8, "a b c");
	assert_string_equal(buf, "abc[\"a ");
}

/* ---- the line of a path ---- */

static const char doc_a[] =
	"{\n"                                 /* 1 */
	"  \"state_dir\": \"/run/x\",\n"      /* 2 */
	"  \"instances\": {\n"                /* 3 */
	"    \"VI_1\": {\n"                   /* 4 */
	"      \"nic\": \"eth0\",\n"          /* 5 */
	"      \"vips\": [\n"                 /* 6 */
	"        \"10.0.0.1/24\",\n"          /* 7 */
	"        \"10.0.0.2/24\"\n"           /* 8 */
	"      ]\n"                           /* 9 */
	"    },\n"                            /* 10 */
	"    \"web.vip\": { \"nic\": \"eth1\" }\n" /* 11 */
	"  },\n"                              /* 12 */
	"  \"arr\": [[1, 2],\n"               /* 13 */
	"    [3,\n"                           /* 14 */
	"     {\"k\": 4}]],\n"                /* 15 */
	"  \"t\": true, \"n\": null, \"d\": -1.5e3\n" /* 16 */
	"}\n";                                /* 17 */

static const char doc_b[] =
	"// { \"s1\": 1 } a comment with a brace\n" /* 1 */
	"{\n"                                     /* 2 */
	"  /* \"x\": {\n"                          /* 3 */
	"     } */\n"                             /* 4 */
	"  \"s1\": \"a { b [ c\",\n"              /* 5 */
	"  \"s2\": \"quote \\\" inside } ] ,\",\n" /* 6 */
	"  \"s3\": \"// not a comment\",\n"       /* 7 */
	"  \"s4\": \"/* nor this\",\n"            /* 8 */
	"  \"k\": 1, // trailing \"s5\": 0\n"     /* 9 */
	"  \"esc\\\\\": \"back\\\\slash\\\\\",\n" /* 10 */
	"  \"after\": /* inline */ 2,\n"          /* 11 */
	"  'single': 'it\"s',\n"                  /* 12 */
	"  \"next\":\n"                           /* 13 */
	"    {\"x\": 1}\n"                        /* 14 */
	"}\n";

static const char doc_c[] =
	"{\"\\u006eic\": 1,\n"  /* 1 */
	"\"a\\nb\": 2,\n"       /* 2 */
	"\"\\u00e9\": {\n"      /* 3 */
	"\"\\ud83d\\ude00\": 3\n" /* 4 */
	"}}\n";

static const char doc_truncated[] = "{\n\"a\": {\n\"b\": [1,\n";

struct line_case {
	const char *text;
	size_t len; /* 0: strlen */
	const char *path;
	int line;
};

static const struct line_case line_cases[] = {
	{ doc_a, 0, "", 1 },
	{ doc_a, 0, "state_dir", 2 },
	{ doc_a, 0, "instances", 3 },
	{ doc_a, 0, "instances.VI_1", 4 },
	{ doc_a, 0, "instances.VI_1.nic", 5 },
	{ doc_a, 0, "instances.VI_1.vips", 6 },
	{ doc_a, 0, "instances.VI_1.vips[0]", 7 },
	{ doc_a, 0, "instances.VI_1.vips[1]", 8 },
	{ doc_a, 0, "instances[\"web.vip\"]", 11 },
	{ doc_a, 0, "instances[\"web.vip\"].nic", 11 },
	{ doc_a, 0, "arr", 13 },
	{ doc_a, 0, "arr[0][1]", 13 },
	{ doc_a, 0, "arr[1]", 14 },
	{ doc_a, 0, "arr[1][0]", 14 },
	{ doc_a, 0, "arr[1][1]", 15 },
	{ doc_a, 0, "arr[1][1].k", 15 },
	{ doc_a, 0, "d", 16 },
	/* paths that do not exist: the deepest part that does */
	{ doc_a, 0, "instances.VI_1.vips[2]", 6 },
	{ doc_a, 0, "instances.VI_1.vips[10]", 6 },
	{ doc_a, 0, "instances.VI_1.real_server_device", 4 },
	{ doc_a, 0, "instances.VI_2.nic", 3 },
	{ doc_a, 0, "instances.web", 3 },
	{ doc_a, 0, "instances.VI", 3 },
	{ doc_a, 0, "state", 1 },
	{ doc_a, 0, "arr[2].k", 13 },
	{ doc_a, 0, "nothing", 1 },
	/* comments and strings holding braces, quotes and comment markers */
	{ doc_b, 0, "", 2 },
	{ doc_b, 0, "x", 2 },
	{ doc_b, 0, "s1", 5 },
	{ doc_b, 0, "s2", 6 },
	{ doc_b, 0, "s3", 7 },
	{ doc_b, 0, "s4", 8 },
	{ doc_b, 0, "k", 9 },
	{ doc_b, 0, "s5", 2 },
	{ doc_b, 0, "[\"esc\\\"]", 10 },
	{ doc_b, 0, "after", 11 },
	{ doc_b, 0, "single", 12 },
	{ doc_b, 0, "next", 14 }, /* the line of the value */
	{ doc_b, 0, "next.x", 14 },
	/* escaped keys match the keys json-c gives the config parser */
	{ doc_c, 0, "nic", 1 },
	{ doc_c, 0, "[\"a\nb\"]", 2 },
	{ doc_c, 0, "[\"\xc3\xa9\"]", 3 },
	{ doc_c, 0, "[\"\xc3\xa9\"][\"\xf0\x9f\x98\x80\"]", 4 },
	/* broken or cut texts: what was scanned still counts */
	{ doc_truncated, 0, "a.b", 3 },
	{ doc_truncated, 0, "a.c", 2 },
	{ "{\n\"a\": 1,\n\"b\": 2}", 10, "b", 1 },
	{ "{\n\"a\": 1,\n\"b\": 2}", 0, "b", 3 },
	{ "", 0, "", 1 },
	{ "\n\n[\n1]", 0, "[0]", 4 },
};

static void test_line(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(line_cases); i++) {
		const struct line_case *c = &line_cases[i];
		size_t len = c->len ? c->len : strlen(c->text);
		int line = lr_jsonpos_line(c->text, len, c->path);

		if (line != c->line)
			fail_msg("case %zu, path %s: line %d, want %d", i, c->path, line, c->line);
	}
}

/* ---- duplicate keys ---- */

struct dup_case {
	const char *name;
	const char *text;
	const char *path; /* NULL: no duplicate */
	int line;
};

static struct dup_case dup_cases[] = {
	{ "none in a valid document", doc_a, NULL, 0 },
	{ "none with comments and tricky strings", doc_b, NULL, 0 },
	{ "none with escaped keys", doc_c, NULL, 0 },
	{ "top level", "{\n\"a\": 1,\n\"b\": 2,\n\"a\": 3\n}", "a", 4 },
	{ "nested", "{\"x\": {\n\"y\": {\"z\": 1,\n\"z\": 2}}}", "x.y.z", 3 },
	{ "same key in sibling objects", "{\"a\": {\"k\": 1}, \"b\": {\"k\": 2}}", NULL, 0 },
	{ "same key at two depths", "{\"k\": {\"k\": {\"k\": 1}}}", NULL, 0 },
	{ "in an array of objects", "{\"l\": [{\"a\": 1}, {\"a\": 2, \"b\": 1,\n\"a\": 3}]}", "l[1].a", 2 },
	{ "in an array of arrays", "[[], [{\"a\": 1}, {\"c\": 0, \"c\": 0}]]", "[1][1].c", 1 },
	{ "the first one in the text", "{\"a\": {\"x\": 1, \"x\": 2},\n\"a\": 3}", "a.x", 1 },
	{ "a key that needs quoting", "{\"w.v\": 1,\n\"w.v\": 2}", "[\"w.v\"]", 2 },
	{ "the line of the key, not the value", "{\"a\": 1,\n\"a\"\n:\n2}", "a", 2 },
	{ "after a comment", "{\"a\": 1, /* \"a\": 2\n */\n\"a\": 3}", "a", 3 },
	{ "escaped as \\u", "{\"nic\": 1,\n\"\\u006eic\": 2}", "nic", 2 },
	{ "escaped as a surrogate pair", "{\"\\ud83d\\ude00\": 1,\n\"\xf0\x9f\x98\x80\": 2}",
	  "[\"\xf0\x9f\x98\x80\"]", 2 },
	{ "escaped slash", "{\"a/b\": 1, \"a\\/b\": 2}", "[\"a/b\"]", 1 },
	{ "upper-case \\u", "{\"\\u00E9\": 1, \"\\u00e9\": 2}", "[\"\xc3\xa9\"]", 1 },
	{ "single quotes", "{'a': 1,\n\"a\": 2}", "a", 2 },
	{ "keys in comments", "{\"a\": 1, // \"a\": 2\n/* \"a\": 3 */ \"b\": 2}", NULL, 0 },
	{ "keys in strings", "{\"a\": \"\\\"a\\\": 1\", \"b\": \"a\"}", NULL, 0 },
	{ "a newline and a backslash-n", "{\"a\\nb\": 1, \"a\\\\nb\": 2}", NULL, 0 },
	{ "a tab and a backslash-t", "{\"a\\tb\": 1, \"a\\\\tb\": 2}", NULL, 0 },
	{ "keys differing in case", "{\"MASTER\": 1, \"master\": 2}", NULL, 0 },
	{ "before the text breaks off", "{\"a\": 1, \"a\": ", "a", 1 },
	{ "not an object", "[1, 1, \"a\", \"a\"]", NULL, 0 },
	{ "empty text", "", NULL, 0 },
};

static void test_dup_case(void **state)
{
	const struct dup_case *c = *state;
	char path[256] = "untouched";
	int line = 77, r;

	r = lr_jsonpos_dup_key(c->text, strlen(c->text), path, sizeof(path), &line);
	if (!c->path) {
		if (r != 0)
			fail_msg("found %s at line %d", path, line);
		assert_string_equal(path, "untouched");
		assert_int_equal(line, 77);
		return;
	}
	assert_int_equal(r, 1);
	assert_string_equal(path, c->path);
	assert_int_equal(line, c->line);
}

static void test_dup_short_path(void **state)
{
	static const char text[] = "{\"instances\": {\"VI_1\": {\"nic\": 1,\n\"nic\": 2}}}";
	char path[12];
	int line = 0;

	memset(path, 'x', sizeof(path));
	assert_int_equal(lr_jsonpos_dup_key(text, strlen(text), path, 8, &line), 1);
	assert_string_equal(path, "instanc");
	assert_int_equal(path[8], 'x');
	assert_int_equal(line, 2);
}

/* ---- white space and comments ---- */

struct space_case {
	const char *text;
	size_t pos;
	size_t want;
};

static const struct space_case space_cases[] = {
	{ "x", 0, 0 },
	{ "  x", 0, 2 },
	{ "\r\n\tx", 0, 3 },
	{ "// c\n x", 0, 6 },
	{ "/* c */x", 0, 7 },
	{ "/**/x", 0, 4 },
	{ "/*/ x */y", 0, 8 },
	{ "/* a */ // b\n\t/**/ x", 0, 19 },
	{ "/* a\n\"b\" {\n*/ x", 0, 14 },
	{ "/ x", 0, 0 },
	{ "x /", 1, 2 },
	{ "/* unterminated", 0, 15 },
	{ "/* ends in a star *", 0, 19 },
	{ "// no newline", 0, 13 },
	{ "   ", 0, 3 },
	{ "ab  c", 2, 4 },
	{ "ab", 2, 2 },
	{ "} // done\n", 1, 10 },
};

static void test_skip_space(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(space_cases); i++) {
		const struct space_case *c = &space_cases[i];
		size_t got = lr_jsonpos_skip_space(c->text, strlen(c->text), c->pos);

		if (got != c->want)
			fail_msg("case %zu \"%s\" from %zu: %zu, want %zu", i, c->text, c->pos, got, c->want);
	}
	/* len is respected: a comment cut by len ends there */
	assert_int_equal(lr_jsonpos_skip_space("/* a */x", 4, 0), 4);
	assert_int_equal(lr_jsonpos_skip_space("  x", 1, 0), 1);
}

static void test_line_at(void **state)
{
	static const char text[] = "a\nb\n\nc";
	static const struct {
		size_t pos;
		int line;
	} cases[] = { { 0, 1 }, { 1, 1 }, { 2, 2 }, { 3, 2 }, { 4, 3 }, { 5, 4 }, { 6, 4 }, { 100, 4 } };

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(lr_jsonpos_line_at(text, strlen(text), cases[i].pos), cases[i].line);
	assert_int_equal(lr_jsonpos_line_at(text, 2, 100), 2);
}

int main(void)
{
	static struct CMUnitTest dups[ARRAY_SIZE(dup_cases)];
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jpath_key),
		cmocka_unit_test(test_jpath_index),
		cmocka_unit_test(test_jpath_bounds),
		cmocka_unit_test(test_line),
		cmocka_unit_test(test_dup_short_path),
		cmocka_unit_test(test_skip_space),
		cmocka_unit_test(test_line_at),
	};
	int failed;

	for (size_t i = 0; i < ARRAY_SIZE(dup_cases); i++)
		dups[i] = (struct CMUnitTest){ .name = dup_cases[i].name, .test_func = test_dup_case,
					       .initial_state = &dup_cases[i] };
	failed = cmocka_run_group_tests_name("jsonpos", tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("duplicate keys", dups, NULL, NULL);
	return failed ? 1 : 0;
}
