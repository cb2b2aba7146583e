/* What both lr_url_check implementations share. */
#include "config.h"
#include "url.h"

#include <string.h>
#include <strings.h>

int lr_url_scheme_in(const char *scheme, size_t len, const char *schemes)
{
	size_t n = len == (size_t)-1 ? strlen(scheme) : len;

	for (const char *t = schemes; *t;) {
		size_t k = strcspn(t, ",");

		if (k == n && !strncasecmp(t, scheme, n))
			return 1;
		t += k + (t[k] == ',');
	}
	return 0;
}
