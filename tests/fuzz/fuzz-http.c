/* What a delivery makes of an HTTP response (lr_response_*, lr_policy_classify): the input is
 * a status (2 bytes), a response head (lines up to an empty one, each passed as libcurl
 * passes header lines) and a body in pieces. Invariants: the kept Retry-After and body are
 * printable and bounded; the read stops past LR_RESPONSE_MAX; the retry delay never exceeds
 * retry_max_ms; the outcome is one of the three. */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "response.h"

static void printable(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);

	if (n == cap)
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lr_response r;
	size_t off = 2, total = 0;
	bool honoured, more = true;

	if (size < 2)
		return 0;
	long status = (long)(data[0] | (data[1] << 8)) % 1000;

	lr_response_reset(&r);
	while (off < size) { /* the head: lines ending in \n */
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t len = nl ? (size_t)(nl - (data + off)) + 1 : size - off;

		lr_response_header(&r, (const char *)data + off, len);
		off += len;
		if (len <= 2) /* "\r\n" or "\n": the end of the head */
			break;
	}
	while (off < size && more) { /* the body, in pieces of up to 4 KiB, repeated */
		size_t n = size - off < 4096 ? size - off : 4096;

		for (int rep = 0; rep < 20 && more; rep++) {
			more = lr_response_body(&r, (const char *)data + off, n);
			total += n;
		}
		off += n;
	}
	if (!more && total <= LR_RESPONSE_MAX)
		__builtin_trap();
	printable(r.retry_after, sizeof(r.retry_after));
	printable(r.body, sizeof(r.body));
	enum lr_outcome o = lr_policy_classify(status);

	if (o != LR_OUTCOME_DELIVERED && o != LR_OUTCOME_RETRY && o != LR_OUTCOME_DEAD)
		__builtin_trap();
	for (unsigned attempt = 1; attempt < 70; attempt += 17) {
		uint64_t d = lr_response_retry_ms(&r, attempt, 1000, 3600000, 0xffffffffu, 1795000000, &honoured);

		if (d > 3600000)
			__builtin_trap();
	}
	return 0;
}
