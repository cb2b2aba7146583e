/* What both lr_url_check implementations share. */
#include "config.h"
#include "url.h"

#include <string.h>
#include <strings.h>

int lr_url_scheme_in(const char *scheme, size_t len, const char *schemes)
{
	for (const char *t = schemes; *t;) {
		size_t k = strcspn(t, ",");

		if (k == len && !strncasecmp(t, scheme, len))
			return 1;
		t += k + (t[k] == ',');
	}
	return 0;
}
