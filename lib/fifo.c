/* keepalived's FIFO lines: split, bounded and parsed; nothing here trusts the writer. */
#include "config.h"
#include "fifo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const prio_events[] = { "MASTER_RX_LOWER_PRI", "MASTER_PRIORITY", "BACKUP_PRIORITY" };

static void quote(const char *s, size_t len, char *buf, size_t blen)
{
	size_t k = 0;

	for (size_t i = 0; i < len && k + 5 < blen && i < 80; i++)
		k += (size_t)snprintf(buf + k, blen - k, s[i] == '"' || s[i] == '\\' ? "\\%c"
				      : (s[i] >= 0x20 && s[i] < 0x7f) ? "%c" : "\\x%02x", (unsigned char)s[i]);
	if (len > 80 && k + 4 < blen)
		k += (size_t)snprintf(buf + k, blen - k, "...");
	buf[k < blen ? k : blen - 1] = '\0';
}

static int bad(char *err, size_t errlen, const char *what, const char *s, size_t len)
{
	char q[400];

	quote(s, len, q, sizeof(q));
	snprintf(err, errlen, "%s: \"%s\"", what, q);
	return -EINVAL;
}

static int parse_prio(const char *s, size_t len, int *out)
{
	int v = 0;

	if (len == 0 || len > 3)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	if (v > 255)
		return -EINVAL;
	*out = v;
	return 0;
}

/* The quoted name that starts at q1 into name; returns its closing quote, or NULL with the
 * reason in *why. The name may hold spaces (and quotes): it ends at the line's last quote, and
 * the state and priority are the two words after it. */
static const char *quoted_name(const char *q1, const char *end, char name[LR_MAX_NAME + 1], const char **why)
{
	const char *q2 = NULL;
	size_t n;

	for (const char *p = end; p > q1; p--)
		if (p[-1] == '"') {
			q2 = p - 1;
			break;
		}
	*why = "name not quoted";
	if (*q1 != '"' || !q2 || q2 == q1)
		return NULL;
	n = (size_t)(q2 - q1 - 1);
	*why = n ? "name longer than 64 bytes" : "empty name";
	if (n == 0 || n > LR_MAX_NAME)
		return NULL;
	*why = "name has a control or non-ASCII byte";
	for (size_t i = 0; i < n; i++)
		if (q1[1 + i] < 0x20 || q1[1 + i] >= 0x7f)
			return NULL;
	memcpy(name, q1 + 1, n);
	name[n] = '\0';
	return q2;
}

int lr_fifo_parse(const char *line, size_t len, struct lr_fifo_line *out, char *err, size_t errlen)
{
	struct lr_fifo_line l = { 0 };
	const char *q1, *q2, *st, *sp, *end = line + len, *why;
	size_t slen;
	char word[24];

	if (len > LR_FIFO_MAX_LINE)
		return bad(err, errlen, "line too long", line, len);
	if (memchr(line, '\0', len))
		return bad(err, errlen, "NUL byte in line", line, len);
	if ((len >= 3 && (!memcmp(line, "VS ", 3) || !memcmp(line, "RS ", 3)))) {
		l.kind = LR_FIFO_CHECKER;
		*out = l;
		return 0;
	}
	if (len > 9 && !memcmp(line, "INSTANCE ", 9))
		l.scope = LR_SCOPE_INSTANCE, q1 = line + 9;
	else if (len > 6 && !memcmp(line, "GROUP ", 6))
		l.scope = LR_SCOPE_GROUP, q1 = line + 6;
	else
		return bad(err, errlen, "not an INSTANCE, GROUP, VS or RS line", line, len);
	if (!(q2 = quoted_name(q1, end, l.name, &why)))
		return bad(err, errlen, why, line, len);
	if (q2 + 1 >= end || q2[1] != ' ')
		return bad(err, errlen, "no state after the name", line, len);
	st = q2 + 2;
	sp = memchr(st, ' ', (size_t)(end - st));
	if (!sp)
		return bad(err, errlen, "no priority after the state", line, len);
	slen = (size_t)(sp - st);
	if (slen == 0 || slen >= sizeof(word))
		return bad(err, errlen, "unknown state", line, len);
	memcpy(word, st, slen);
	word[slen] = '\0';
	if (parse_prio(sp + 1, (size_t)(end - sp - 1), &l.priority) < 0)
		return bad(err, errlen, "priority is not 0..255", line, len);
	snprintf(l.event, sizeof(l.event), "%s", word);
	if (lr_kstate_parse(word, &l.kstate) == 0) {
		l.kind = LR_FIFO_STATE;
	} else {
		size_t i;

		for (i = 0; i < sizeof(prio_events) / sizeof(prio_events[0]); i++)
			if (!strcmp(word, prio_events[i]))
				break;
		if (i == sizeof(prio_events) / sizeof(prio_events[0]) || l.scope != LR_SCOPE_INSTANCE)
			return bad(err, errlen, "unknown state", line, len);
		l.kind = LR_FIFO_PRIORITY;
		l.kstate = LR_KSTATE_NONE;
	}
	*out = l;
	return 0;
}

size_t lr_lines_feed(struct lr_lines *lb, const char *data, size_t n,
		     void (*fn)(const char *line, size_t len, bool overlong, void *arg), void *arg)
{
	size_t count = 0;

	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) : n;

		if (!lb->discard) {
			size_t room = LR_FIFO_MAX_LINE - lb->len;
			size_t k = take < room ? take : room;

			memcpy(lb->buf + lb->len, data, k);
			lb->len += k;
			if (take > room) { /* over-long: pass its start once, skip the rest */
				lb->buf[lb->len] = '\0';
				fn(lb->buf, lb->len, true, arg);
				count++;
				lb->len = 0;
				lb->discard = true;
			}
		}
		if (!nl)
			break;
		if (!lb->discard) {
			lb->buf[lb->len] = '\0';
			fn(lb->buf, lb->len, false, arg);
			count++;
		}
		lb->len = 0;
		lb->discard = false;
		data = nl + 1;
		n -= take + 1;
	}
	return count;
}

size_t lr_lines_finish(struct lr_lines *lb)
{
	size_t n = lb->discard ? 1 : lb->len;

	lb->len = 0;
	lb->discard = false;
	return n;
}
