/* Standard Webhooks signatures: the vectors of doc/reports.md, secrets with and without the
 * prefix, rotation, tampering and bad secrets. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sign.h"

struct vector {
	const char *secret, *id;
	int64_t ts;
	const char *body, *expected;
};

static const struct vector vectors[] = {
	{ "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
	  "{\"test\": 2432232314}", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" },
	{ "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553,
	  "{\"email\":\"test@example.com\",\"username\":\"test_user\"}",
	  "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=" },
	/* the same without the whsec_ prefix, and with a file's trailing newline */
	{ "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
	  "{\"test\": 2432232314}", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" },
	{ "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD\n", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553,
	  "{\"email\":\"test@example.com\",\"username\":\"test_user\"}",
	  "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=" },
};

static void sign_one(const char *secret, const char *id, int64_t ts, const char *body, char *out, size_t len)
{
	struct lr_sign_key k;
	char err[128];

	assert_int_equal(lr_sign_key_parse(secret, &k, err, sizeof(err)), 0);
	assert_int_equal(lr_sign(&k, 1, id, ts, body, strlen(body), out, len), 0);
}

static void test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(*vectors); i++) {
		char sig[128];

		sign_one(vectors[i].secret, vectors[i].id, vectors[i].ts, vectors[i].body, sig, sizeof(sig));
		assert_string_equal(sig, vectors[i].expected);
	}
}

/* anything changed gives another signature */
static void test_tampering(void **state)
{
	const struct vector *v = &vectors[0];
	char good[128], bad[128];

	(void)state;
	sign_one(v->secret, v->id, v->ts, v->body, good, sizeof(good));
	sign_one(v->secret, v->id, v->ts, "{\"test\": 2432232315}", bad, sizeof(bad));
	assert_string_not_equal(good, bad);
	sign_one(v->secret, v->id, v->ts + 1, v->body, bad, sizeof(bad));
	assert_string_not_equal(good, bad);
	sign_one(v->secret, "msg_p5jXN8AQM9LWM0D4loKWxJel", v->ts, v->body, bad, sizeof(bad));
	assert_string_not_equal(good, bad);
	sign_one(vectors[1].secret, v->id, v->ts, v->body, bad, sizeof(bad)); /* wrong key */
	assert_string_not_equal(good, bad);
}

/* rotation: one entry per key, current first, space-separated */
static void test_rotation(void **state)
{
	struct lr_sign_key k[2];
	char err[128], sig[256], expected[256];

	(void)state;
	assert_int_equal(lr_sign_key_parse(vectors[1].secret, &k[0], err, sizeof(err)), 0);
	assert_int_equal(lr_sign_key_parse(vectors[0].secret, &k[1], err, sizeof(err)), 0);
	assert_int_equal(lr_sign(k, 2, vectors[0].id, vectors[0].ts, vectors[0].body,
				 strlen(vectors[0].body), sig, sizeof(sig)), 0);
	sign_one(vectors[1].secret, vectors[0].id, vectors[0].ts, vectors[0].body, expected, sizeof(expected));
	strcat(expected, " ");
	strcat(expected, vectors[0].expected);
	assert_string_equal(sig, expected);
	assert_int_equal(lr_sign(k, 2, vectors[0].id, vectors[0].ts, "x", 1, sig, 40), -ENOBUFS);
}

static void test_bad_secrets(void **state)
{
	static const char *const bad[] = {
		"", "whsec_", "   ", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", /* length not a multiple of 4 */
		"whsec_MfKQ9r8GKYqrTwjU", /* 15 bytes: too short */
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La*aSw", "whsec_Mf=Q9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwMfKQ9r8GKYqrTwjUPD8ILPZI",
	};
	struct lr_sign_key k;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char err[128] = "";

		assert_int_equal(lr_sign_key_parse(bad[i], &k, err, sizeof(err)), -EINVAL);
		assert_true(err[0] != '\0');
		assert_null(strstr(err, "MfKQ")); /* never quote the secret */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_tampering),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_bad_secrets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
