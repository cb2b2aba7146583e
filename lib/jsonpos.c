/* Source positions for JSON texts: a scanner that walks the structure only to count lines
 * and compare paths. Values themselves are parsed by json-c. */
#include "config.h"
#include "jsonpos.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_KEYS 512

struct scan {
	const char *s;
	size_t len, pos;
	int line;
	/* search for a path */
	const char *want;
	int found_line, best_line;
	size_t best_len;
	/* duplicate detection */
	bool dups;
	char *dup_path;
	size_t dup_pathlen;
	int dup_line;
};

void lr_jpath_key(char *path, size_t len, const char *key)
{
	size_t n = strlen(path);
	bool plain = *key != '\0';

	for (const char *p = key; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
			plain = false;
	if (plain)
		snprintf(path + n, len > n ? len - n : 0, "%s%s", n ? "." : "", key);
	else
		snprintf(path + n, len > n ? len - n : 0, "[\"%s\"]", key);
}

void lr_jpath_index(char *path, size_t len, size_t index)
{
	size_t n = strlen(path);

	snprintf(path + n, len > n ? len - n : 0, "[%zu]", index);
}

static int peek(struct scan *sc)
{
	return sc->pos < sc->len ? (unsigned char)sc->s[sc->pos] : -1;
}

static void advance(struct scan *sc)
{
	if (sc->pos < sc->len && sc->s[sc->pos++] == '\n')
		sc->line++;
}

static void skip_space(struct scan *sc)
{
	for (;;) {
		int c = peek(sc);

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			advance(sc);
		} else if (c == '/' && sc->pos + 1 < sc->len && sc->s[sc->pos + 1] == '/') {
			while (peek(sc) != -1 && peek(sc) != '\n')
				advance(sc);
		} else if (c == '/' && sc->pos + 1 < sc->len && sc->s[sc->pos + 1] == '*') {
			advance(sc);
			advance(sc);
			while (peek(sc) != -1 &&
			       !(peek(sc) == '*' && sc->pos + 1 < sc->len && sc->s[sc->pos + 1] == '/'))
				advance(sc);
			advance(sc);
			advance(sc);
		} else {
			return;
		}
	}
}

static void put(char *buf, size_t len, size_t *n, unsigned long c)
{
	if (*n + 1 < len)
		buf[(*n)++] = (char)c;
}

static void put_utf8(char *buf, size_t len, size_t *n, unsigned long cp)
{
	if (cp < 0x80) {
		put(buf, len, n, cp);
	} else if (cp < 0x800) {
		put(buf, len, n, 0xc0 | cp >> 6);
		put(buf, len, n, 0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		put(buf, len, n, 0xe0 | cp >> 12);
		put(buf, len, n, 0x80 | (cp >> 6 & 0x3f));
		put(buf, len, n, 0x80 | (cp & 0x3f));
	} else {
		put(buf, len, n, 0xf0 | cp >> 18);
		put(buf, len, n, 0x80 | (cp >> 12 & 0x3f));
		put(buf, len, n, 0x80 | (cp >> 6 & 0x3f));
		put(buf, len, n, 0x80 | (cp & 0x3f));
	}
}

/* The four hex digits of a \u escape, or -1. */
static long read_hex4(struct scan *sc)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int c = peek(sc);

		if (!isxdigit(c))
			return -1;
		v = v * 16 + (isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
		advance(sc);
	}
	return v;
}

/* \uXXXX (and a following low surrogate) as UTF-8; lone surrogates become U+FFFD, as in json-c. */
static bool read_u_escape(struct scan *sc, char *buf, size_t len, size_t *n)
{
	long cp = read_hex4(sc), lo;

	if (cp < 0)
		return false;
	if (cp >= 0xd800 && cp < 0xdc00 && peek(sc) == '\\' && sc->pos + 1 < sc->len &&
	    sc->s[sc->pos + 1] == 'u') {
		advance(sc);
		advance(sc);
		lo = read_hex4(sc);
		if (lo < 0)
			return false;
		if (lo >= 0xdc00 && lo < 0xe000) {
			put_utf8(buf, len, n, 0x10000 + ((unsigned long)(cp - 0xd800) << 10) +
						      (unsigned long)(lo - 0xdc00));
			return true;
		}
		put_utf8(buf, len, n, 0xfffd);
		cp = lo;
	}
	put_utf8(buf, len, n, cp >= 0xd800 && cp < 0xe000 ? 0xfffd : (unsigned long)cp);
	return true;
}

/* Reads a quoted string into buf, escapes decoded as json-c decodes them: keys written
 * differently ("nic", "\u006eic") are one key to json-c, and paths must match its keys. */
static bool read_string(struct scan *sc, char *buf, size_t len)
{
	int q = peek(sc);
	size_t n = 0;

	if (q != '"' && q != '\'')
		return false;
	advance(sc);
	for (;;) {
		int c = peek(sc);

		if (c == -1)
			return false;
		advance(sc);
		if (c == q)
			break;
		if (c == '\\') {
			c = peek(sc);
			if (c == -1)
				return false;
			advance(sc);
			switch (c) {
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u':
				if (!read_u_escape(sc, buf, len, &n))
					return false;
				continue;
			}
		}
		put(buf, len, &n, (unsigned char)c);
	}
	buf[n] = '\0';
	return true;
}

static bool walk(struct scan *sc, char *path, size_t plen, int depth);

static void visit(struct scan *sc, const char *path)
{
	size_t n = strlen(path);

	if (!sc->want || sc->found_line)
		return;
	if (!strcmp(path, sc->want)) {
		sc->found_line = sc->line;
		return;
	}
	/* remember the deepest existing prefix of the wanted path */
	if (n >= sc->best_len && !strncmp(sc->want, path, n) &&
	    (n == 0 || sc->want[n] == '.' || sc->want[n] == '[')) {
		sc->best_len = n;
		sc->best_line = sc->line;
	}
}

struct keyset {
	char (*keys)[128];
	size_t n, cap;
};

/* Returns true when key was already in the set. */
static bool keyset_add(struct keyset *ks, const char *key)
{
	for (size_t i = 0; i < ks->n; i++)
		if (!strcmp(ks->keys[i], key))
			return true;
	if (ks->n == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 8;
		void *nk = realloc(ks->keys, cap * sizeof(*ks->keys));

		if (!nk)
			return false;
		ks->keys = nk;
		ks->cap = cap;
	}
	snprintf(ks->keys[ks->n++], sizeof(*ks->keys), "%s", key);
	return false;
}

static bool walk_object(struct scan *sc, char *path, size_t plen, int depth)
{
	size_t base = strlen(path);
	struct keyset ks = { 0 };
	bool ok = false;

	advance(sc); /* '{' */
	for (;;) {
		char key[128];
		int key_line;

		skip_space(sc);
		if (peek(sc) == '}') {
			advance(sc);
			ok = true;
			break;
		}
		key_line = sc->line;
		if (!read_string(sc, key, sizeof(key)))
			break;
		path[base] = '\0';
		lr_jpath_key(path, plen, key);
		if (keyset_add(&ks, key) && sc->dups && !sc->dup_line) {
			snprintf(sc->dup_path, sc->dup_pathlen, "%s", path);
			sc->dup_line = key_line;
		}
		skip_space(sc);
		if (peek(sc) != ':')
			break;
		advance(sc);
		skip_space(sc);
		if (!walk(sc, path, plen, depth + 1))
			break;
		skip_space(sc);
		if (peek(sc) == ',') {
			advance(sc);
			continue;
		}
		if (peek(sc) == '}') {
			advance(sc);
			ok = true;
			break;
		}
		break;
	}
	free(ks.keys);
	path[base] = '\0';
	return ok;
}

static bool walk_array(struct scan *sc, char *path, size_t plen, int depth)
{
	size_t base = strlen(path);

	advance(sc); /* '[' */
	for (size_t i = 0;; i++) {
		skip_space(sc);
		if (peek(sc) == ']') {
			advance(sc);
			break;
		}
		path[base] = '\0';
		lr_jpath_index(path, plen, i);
		if (!walk(sc, path, plen, depth + 1))
			return false;
		skip_space(sc);
		if (peek(sc) == ',') {
			advance(sc);
			continue;
		}
		if (peek(sc) != ']')
			return false;
		advance(sc);
		break;
	}
	path[base] = '\0';
	return true;
}

static bool walk(struct scan *sc, char *path, size_t plen, int depth)
{
	int c;

	if (depth > MAX_DEPTH)
		return false;
	skip_space(sc);
	visit(sc, path);
	c = peek(sc);
	if (c == '{')
		return walk_object(sc, path, plen, depth);
	if (c == '[')
		return walk_array(sc, path, plen, depth);
	if (c == '"' || c == '\'') {
		char tmp[8];

		/* only the end matters; long strings are cut in tmp, not in the scan */
		return read_string(sc, tmp, sizeof(tmp));
	}
	/* number, true, false, null */
	while ((c = peek(sc)) != -1 && c != ',' && c != '}' && c != ']' && !isspace(c) && c != '/')
		advance(sc);
	return true;
}

int lr_jsonpos_line(const char *text, size_t len, const char *path)
{
	struct scan sc = { .s = text, .len = len, .line = 1, .want = path };
	char buf[1024] = "";

	walk(&sc, buf, sizeof(buf), 0);
	if (sc.found_line)
		return sc.found_line;
	return sc.best_line;
}

int lr_jsonpos_dup_key(const char *text, size_t len, char *path, size_t pathlen, int *line)
{
	struct scan sc = { .s = text, .len = len, .line = 1, .dups = true,
			   .dup_path = path, .dup_pathlen = pathlen };
	char buf[1024] = "";

	walk(&sc, buf, sizeof(buf), 0);
	if (!sc.dup_line)
		return 0;
	*line = sc.dup_line;
	return 1;
}

size_t lr_jsonpos_skip_space(const char *text, size_t len, size_t pos)
{
	struct scan sc = { .s = text, .len = len, .pos = pos, .line = 1 };

	skip_space(&sc);
	return sc.pos;
}

int lr_jsonpos_line_at(const char *text, size_t len, size_t pos)
{
	int line = 1;

	for (size_t i = 0; i < pos && i < len; i++)
		if (text[i] == '\n')
			line++;
	return line;
}
