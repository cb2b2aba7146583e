/* What a delivery keeps of an HTTP response, whatever the receiver sends: Retry-After (from
 * the last response, after any 1xx), the start of the body for the log (printable), and a
 * bound on the body read before hanging up. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "policy.h"

#define LR_RESPONSE_MAX (64 * 1024) /* read at most this much of a body, then hang up */

struct lr_response {
	char retry_after[64]; /* the header's value, printable bytes only, cut */
	char body[160];       /* the body's start, printable (others as spaces), for the log */
	size_t body_len, body_total;
};

void lr_response_reset(struct lr_response *r);
/* One header line as libcurl passes it (status lines included, with their CRLF). */
void lr_response_header(struct lr_response *r, const char *buf, size_t len);
/* A piece of the body; false once more than LR_RESPONSE_MAX came (the transfer is to end). */
bool lr_response_body(struct lr_response *r, const char *buf, size_t len);
/* The delay before the next attempt (attempt: the number of attempts made so far, at least 1)
 * after a failed one: the backoff, or the response's Retry-After if valid (*honoured says
 * which), clamped to max_ms. */
uint64_t lr_response_retry_ms(const struct lr_response *r, unsigned attempt, uint64_t base_ms,
			      uint64_t max_ms, uint32_t rnd, time_t now, bool *honoured);
