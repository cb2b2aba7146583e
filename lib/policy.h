/* Webhook delivery policy (doc/reports.md): what an HTTP outcome means, when to try again. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum lr_outcome {
	LR_OUTCOME_DELIVERED, /* 2xx */
	LR_OUTCOME_RETRY,     /* network error, timeout, 408, 425, 429, 5xx, other 4xx */
	LR_OUTCOME_DEAD,      /* 3xx (redirects are never followed), 400, 410, 413, 415, 422 */
};

/* status 0: no HTTP response (connection refused, timeout, TLS failure...). */
enum lr_outcome lr_policy_classify(long status);
const char *lr_outcome_name(enum lr_outcome o);

/* Retry-After: delay-seconds or an HTTP-date (RFC 9110), relative to now. Writes the delay in
 * seconds (0 for a date in the past) and returns 0; -EINVAL for anything else. */
int lr_policy_retry_after(const char *value, time_t now, int64_t *delay_s);

/* Delay before attempt number `attempt` (1 = the first retry): uniform in [cap/2, cap] drawn
 * from rnd (0..2^32-1), where cap is 2 * base_ms doubled each attempt up to max_ms; a
 * Retry-After delay (>= 0) replaces it. Always within [base_ms, max_ms]. */
uint64_t lr_policy_backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t max_ms, uint32_t rnd,
			      int64_t retry_after_s);

/* A new event id: "evt_" and a ULID (48-bit milliseconds, 80 random bits, Crockford base32),
 * sortable by time, no '.' (Standard Webhooks msg id). buf: at least 31 bytes. */
int lr_policy_event_id(uint64_t wall_ms, char *buf, size_t len);
