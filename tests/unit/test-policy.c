/* Webhook delivery policy: HTTP outcomes, Retry-After, backoff with jitter, event ids. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"

static void test_classify(void **state)
{
	static const struct { long status; enum lr_outcome want; } cases[] = {
		{ 200, LR_OUTCOME_DELIVERED }, { 202, LR_OUTCOME_DELIVERED }, { 204, LR_OUTCOME_DELIVERED },
		{ 299, LR_OUTCOME_DELIVERED },
		{ 0, LR_OUTCOME_RETRY },   /* no response: refused, timeout, TLS */
		{ 408, LR_OUTCOME_RETRY }, { 425, LR_OUTCOME_RETRY }, { 429, LR_OUTCOME_RETRY },
		{ 500, LR_OUTCOME_RETRY }, { 502, LR_OUTCOME_RETRY }, { 503, LR_OUTCOME_RETRY },
		{ 599, LR_OUTCOME_RETRY }, { 401, LR_OUTCOME_RETRY }, { 404, LR_OUTCOME_RETRY },
		{ 100, LR_OUTCOME_RETRY },
		{ 301, LR_OUTCOME_DEAD }, { 302, LR_OUTCOME_DEAD }, { 307, LR_OUTCOME_DEAD },
		{ 308, LR_OUTCOME_DEAD }, { 400, LR_OUTCOME_DEAD }, { 410, LR_OUTCOME_DEAD },
		{ 413, LR_OUTCOME_DEAD }, { 415, LR_OUTCOME_DEAD }, { 422, LR_OUTCOME_DEAD },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		print_message("status %ld\n", cases[i].status);
		assert_int_equal(lr_policy_classify(cases[i].status), cases[i].want);
	}
}

static void test_retry_after(void **state)
{
	/* 2026-11-24T10:20:30Z */
	const time_t now = 1795515630;
	static const struct { const char *v; int r; int64_t delay; } cases[] = {
		{ "0", 0, 0 },
		{ "120", 0, 120 },
		{ " 7 ", 0, 7 },
		{ "86400", 0, 86400 },
		{ "Tue, 24 Nov 2026 10:21:30 GMT", 0, 60 },
		{ "Tue, 24 Nov 2026 10:20:00 GMT", 0, 0 }, /* in the past */
		{ "Wed, 25 Nov 2026 10:20:30 GMT", 0, 86400 },
		{ "", -EINVAL, 0 },
		{ "-5", -EINVAL, 0 },
		{ "1.5", -EINVAL, 0 },
		{ "12abc", -EINVAL, 0 },
		{ "99999999999", -EINVAL, 0 }, /* 11 digits */
		{ "Tue, 24 Nov 2026 10:21:30 UTC", -EINVAL, 0 },
		{ "Tue, 24 Foo 2026 10:21:30 GMT", -EINVAL, 0 },
		{ "Tue, 24 Nov 2026 25:21:30 GMT", -EINVAL, 0 },
		{ "Tue, 24 Nov 2026 10:21:30 GMT trailing", -EINVAL, 0 },
		{ "Tuesday, 24-Nov-26 10:21:30 GMT", -EINVAL, 0 }, /* obsolete RFC 850 form */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int64_t d = -1;

		print_message("Retry-After \"%s\"\n", cases[i].v);
		assert_int_equal(lr_policy_retry_after(cases[i].v, now, &d), cases[i].r);
		if (cases[i].r == 0)
			assert_int_equal(d, cases[i].delay);
	}
}

static void test_backoff(void **state)
{
	(void)state;
	/* jitter bounds: [cap/2, cap], cap from twice the base */
	assert_int_equal(lr_policy_backoff_ms(1, 1000, 600000, 0, -1), 1000);
	assert_int_equal(lr_policy_backoff_ms(1, 1000, 600000, UINT32_MAX, -1), 1999);
	assert_int_equal(lr_policy_backoff_ms(2, 1000, 600000, 0, -1), 2000);
	assert_int_equal(lr_policy_backoff_ms(4, 1000, 600000, 0, -1), 8000);
	/* capped */
	assert_int_equal(lr_policy_backoff_ms(30, 1000, 600000, 0, -1), 300000);
	assert_true(lr_policy_backoff_ms(1000, 1000, 600000, UINT32_MAX, -1) <= 600000);
	/* never below the base, even when the maximum is less than twice it */
	assert_int_equal(lr_policy_backoff_ms(1, 1000, 1500, 0, -1), 1000);
	/* Retry-After replaces the backoff, within [base, max]: 0 or a past date is no hot loop */
	assert_int_equal(lr_policy_backoff_ms(1, 1000, 600000, 12345, 30), 30000);
	assert_int_equal(lr_policy_backoff_ms(1, 1000, 600000, 12345, 0), 1000);
	assert_int_equal(lr_policy_backoff_ms(5, 200, 600000, 12345, 0), 200);
	assert_int_equal(lr_policy_backoff_ms(1, 1000, 600000, 12345, 86400), 600000);
	assert_int_equal(lr_policy_backoff_ms(1, 1000, 600000, 12345, INT64_MAX), 600000);
	/* grows */
	for (unsigned a = 1; a < 8; a++)
		assert_true(lr_policy_backoff_ms(a + 1, 1000, 600000, 0, -1) >
			    lr_policy_backoff_ms(a, 1000, 600000, 0, -1));
}

static void test_event_id(void **state)
{
	char a[40], b[40], small[30];

	(void)state;
	assert_int_equal(lr_policy_event_id(1795515630123ull, a, sizeof(a)), 0);
	assert_int_equal(lr_policy_event_id(1795515630124ull, b, sizeof(b)), 0);
	assert_int_equal(strlen(a), 30);
	assert_memory_equal(a, "evt_", 4);
	assert_null(strchr(a, '.'));
	for (const char *p = a + 4; *p; p++)
		assert_non_null(strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", *p));
	assert_true(strcmp(a, b) < 0); /* later time sorts later */
	assert_string_not_equal(a + 14, b + 14); /* random part differs */
	assert_int_equal(lr_policy_event_id(1, small, sizeof(small)), -ENOBUFS);
	/* the time part: 10 characters of Crockford base32 */
	assert_int_equal(lr_policy_event_id(0, a, sizeof(a)), 0);
	assert_memory_equal(a, "evt_0000000000", 14);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_event_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
