/* What a delivery keeps of an HTTP response. */
#include "config.h"
#include "response.h"

#include <string.h>
#include <strings.h>

void lr_response_reset(struct lr_response *r)
{
	r->retry_after[0] = r->body[0] = '\0';
	r->body_len = r->body_total = 0;
}

void lr_response_header(struct lr_response *r, const char *buf, size_t len)
{
	if (len >= 5 && !strncmp(buf, "HTTP/", 5)) {
		r->retry_after[0] = '\0'; /* a new response (after a 1xx) */
	} else if (len > 12 && !strncasecmp(buf, "retry-after:", 12)) {
		size_t k = 0;

		for (size_t i = 12; i < len && k + 1 < sizeof(r->retry_after); i++)
			if (buf[i] >= 0x20 && buf[i] < 0x7f)
				r->retry_after[k++] = buf[i];
		r->retry_after[k] = '\0';
	}
}

bool lr_response_body(struct lr_response *r, const char *buf, size_t len)
{
	for (size_t i = 0; i < len && r->body_len + 1 < sizeof(r->body); i++)
		r->body[r->body_len++] = (buf[i] >= 0x20 && buf[i] < 0x7f) ? buf[i] : ' ';
	r->body[r->body_len] = '\0';
	r->body_total += len;
	return r->body_total <= LR_RESPONSE_MAX;
}

uint64_t lr_response_retry_ms(const struct lr_response *r, unsigned attempt, uint64_t base_ms,
			      uint64_t max_ms, uint32_t rnd, time_t now, bool *honoured)
{
	int64_t ra = -1;

	if (r->retry_after[0] && lr_policy_retry_after(r->retry_after, now, &ra) < 0)
		ra = -1;
	*honoured = ra >= 0;
	return lr_policy_backoff_ms(attempt, base_ms, max_ms, rnd, ra);
}
