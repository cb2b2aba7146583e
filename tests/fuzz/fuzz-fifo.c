/* keepalived's notify FIFO: the byte stream cut into lines (lr_lines_feed, in pieces whose
 * sizes come from the input) and each line parsed (lr_fifo_parse). Invariants: no line passed
 * is longer than LR_FIFO_MAX_LINE; a parsed line has a name, a priority 0..255; a refusal
 * says why. */
#include "config.h"

#include <string.h>

#include "fifo.h"
#include "fuzz.h"

static void on_line(const char *line, size_t len, bool overlong, void *arg)
{
	struct lr_fifo_line fl;
	char err[256] = "";

	(void)arg;
	if (len > LR_FIFO_MAX_LINE || strlen(line) > len)
		__builtin_trap();
	if (overlong)
		return;
	if (lr_fifo_parse(line, len, &fl, err, sizeof(err)) == 0) {
		if (fl.kind == LR_FIFO_CHECKER)
			return;
		if (!fl.name[0] || strlen(fl.name) > LR_MAX_NAME || fl.priority < 0 || fl.priority > 255)
			__builtin_trap();
	} else if (!err[0]) {
		__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lr_lines lb;
	size_t off = 0;

	memset(&lb, 0, sizeof(lb));
	/* the first byte: the size of the pieces the stream arrives in (1..256) */
	size_t piece = size ? (size_t)data[0] + 1 : 1;

	if (size)
		off = 1;
	while (off < size) {
		size_t n = size - off < piece ? size - off : piece;

		lr_lines_feed(&lb, (const char *)data + off, n, on_line, NULL);
		off += n;
	}
	lr_lines_finish(&lb);
	return 0;
}
