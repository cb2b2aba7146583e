/* Checking a URL from the configuration: a strict syntax check of its own, so that every
 * program (lvsrole-notify, which never loads libcurl, included) judges a file alike. */
#include "config.h"
#include "url.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* Whether scheme (len bytes) is one of the comma-separated list (any case). */
static int lr_url_scheme_in(const char *scheme, size_t len, const char *schemes)
{
	for (const char *t = schemes; *t;) {
		size_t k = strcspn(t, ",");

		if (k == len && !strncasecmp(t, scheme, len))
			return 1;
		t += k + (t[k] == ',');
	}
	return 0;
}

static bool port_ok(const char *p, size_t n)
{
	long v = 0;

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return false;
		v = v * 10 + (p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* HOST[:PORT] or [IPv6][:PORT] */
static bool authority_ok(const char *a, size_t n)
{
	size_t h;

	if (n && a[0] == '[') {
		const char *end = memchr(a, ']', n);

		if (!end || end == a + 1)
			return false;
		for (const char *p = a + 1; p < end; p++)
			if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.')
				return false;
		h = (size_t)(end - a) + 1;
	} else {
		for (h = 0; h < n && a[h] != ':'; h++)
			if (!isalnum((unsigned char)a[h]) && !strchr("-._~", a[h]))
				return false;
		if (h == 0)
			return false;
	}
	return h == n || (a[h] == ':' && port_ok(a + h + 1, n - h - 1));
}

enum lr_url_fault lr_url_check(const char *s, const char *schemes)
{
	const char *sep = strstr(s, "://"), *a, *end;
	size_t n;

	if (!sep || sep == s)
		return LR_URL_SYNTAX;
	for (const char *p = s; *p; p++) /* printable ASCII only: anything else is percent-encoded */
		if (*p <= ' ' || *p > '~')
			return LR_URL_SYNTAX;
	for (const char *p = s; p < sep; p++)
		if (!isalnum((unsigned char)*p) && !strchr("+-.", *p))
			return LR_URL_SYNTAX;
	a = sep + 3;
	end = a + strcspn(a, "/?#");
	n = (size_t)(end - a);
	if (memchr(a, '@', n))
		return LR_URL_CREDENTIALS;
	if (!authority_ok(a, n))
		return LR_URL_SYNTAX;
	if (!lr_url_scheme_in(s, (size_t)(sep - s), schemes))
		return LR_URL_SCHEME;
	return LR_URL_OK;
}
