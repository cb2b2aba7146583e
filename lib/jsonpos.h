/* Source positions for a JSON text that json-c has already parsed: json-c keeps no line
 * numbers and silently keeps the last of duplicate keys, so config errors need this. */
#pragma once
#include <stddef.h>

/* Appends ".key" (or "key" at the start, or ["key"] when key is not a plain word) to path. */
void lr_jpath_key(char *path, size_t len, const char *key);
/* Appends "[index]". */
void lr_jpath_index(char *path, size_t len, size_t index);

/* 1-based line of the value at path ("" is the root), or of the deepest part of path that
 * exists; 0 when the text cannot be scanned. */
int lr_jsonpos_line(const char *text, size_t len, const char *path);

/* Finds the first key that appears twice in one object: writes its path and line and
 * returns 1; returns 0 when there is none. */
int lr_jsonpos_dup_key(const char *text, size_t len, char *path, size_t pathlen, int *line);

/* Offset of the first character at or after pos that is neither white space nor a comment. */
size_t lr_jsonpos_skip_space(const char *text, size_t len, size_t pos);
/* 1-based line of byte offset pos. */
int lr_jsonpos_line_at(const char *text, size_t len, size_t pos);
