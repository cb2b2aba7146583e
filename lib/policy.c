/* Delivery policy as pure functions, so that every rule is a table test. */
#include "config.h"
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

enum lr_outcome lr_policy_classify(long status)
{
	if (status >= 200 && status <= 299)
		return LR_OUTCOME_DELIVERED;
	if (status == 0 || status == 408 || status == 425 || status == 429 || status >= 500)
		return LR_OUTCOME_RETRY;
	if ((status >= 300 && status <= 399) || status == 400 || status == 410 || status == 413 ||
	    status == 415 || status == 422)
		return LR_OUTCOME_DEAD;
	/* 401, 403, 404...: often a receiver being (re)deployed; retrying until max_age is kinder
	 * than losing the event */
	return LR_OUTCOME_RETRY;
}

const char *lr_outcome_name(enum lr_outcome o)
{
	return o == LR_OUTCOME_DELIVERED ? "delivered" : o == LR_OUTCOME_RETRY ? "retry" : "dead";
}

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* IMF-fixdate only ("Sun, 06 Nov 1994 08:49:37 GMT"), the form RFC 9110 requires senders use. */
static int parse_date(const char *s, time_t *out)
{
	char wd[4], mon[4], zone[4];
	int day, year, h, m, sec, n = 0;
	struct tm tm = { 0 };

	if (sscanf(s, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %3s%n", wd, &day, mon, &year, &h,
		   &m, &sec, zone, &n) != 8 || s[n] != '\0' || strcmp(zone, "GMT"))
		return -EINVAL;
	tm.tm_mon = -1;
	for (int i = 0; i < 12; i++)
		if (!strcmp(mon, months[i]))
			tm.tm_mon = i;
	if (tm.tm_mon < 0 || day < 1 || day > 31 || year < 1970 || h > 23 || m > 59 || sec > 60)
		return -EINVAL;
	tm.tm_mday = day;
	tm.tm_year = year - 1900;
	tm.tm_hour = h;
	tm.tm_min = m;
	tm.tm_sec = sec;
	*out = timegm(&tm);
	return *out == (time_t)-1 ? -EINVAL : 0;
}

int lr_policy_retry_after(const char *value, time_t now, int64_t *delay_s)
{
	const char *p = value;
	time_t t;

	while (*p == ' ' || *p == '\t')
		p++;
	if (isdigit((unsigned char)*p)) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(p, &end, 10);
		while (*end == ' ' || *end == '\t')
			end++;
		if (errno || *end || end - p > 10)
			return -EINVAL;
		*delay_s = (int64_t)v;
		return 0;
	}
	if (parse_date(p, &t) < 0)
		return -EINVAL;
	*delay_s = t > now ? (int64_t)(t - now) : 0;
	return 0;
}

uint64_t lr_policy_backoff_ms(unsigned attempt, uint64_t base_ms, uint64_t max_ms, uint32_t rnd,
			      int64_t retry_after_s)
{
	uint64_t cap = 2 * base_ms, ms;

	/* never sooner than base_ms, whatever the receiver says: "Retry-After: 0" or a date in
	 * the past would otherwise make a hot loop of POSTs */
	if (retry_after_s >= 0) {
		ms = retry_after_s > (int64_t)(max_ms / 1000u) ? max_ms : (uint64_t)retry_after_s * 1000u;
		return ms < base_ms ? base_ms : ms > max_ms ? max_ms : ms;
	}
	for (unsigned i = 1; i < attempt && cap < max_ms; i++)
		cap *= 2;
	if (cap > max_ms)
		cap = max_ms;
	/* jitter: uniform in [cap/2, cap], so retries of many events spread out */
	ms = cap / 2 + (uint64_t)(((cap - cap / 2) * (uint64_t)rnd) >> 32);
	return ms < base_ms ? base_ms : ms;
}

int lr_policy_event_id(uint64_t wall_ms, char *buf, size_t len)
{
	static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	uint8_t rnd[10];
	char *p = buf + 4;

	if (len < 31)
		return -ENOBUFS;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -errno;
	memcpy(buf, "evt_", 4);
	for (int i = 9; i >= 0; i--) /* 48-bit time: 10 characters */
		*p++ = b32[(wall_ms >> (5 * i)) & 31];
	for (int i = 0; i < 16; i++) { /* 80 random bits: 16 characters */
		int bit = i * 5, byte = bit / 8, off = bit % 8;
		unsigned v = (unsigned)rnd[byte] << 8 | (byte + 1 < 10 ? rnd[byte + 1] : 0);

		*p++ = b32[(v >> (11 - off)) & 31];
	}
	*p = '\0';
	return 0;
}
