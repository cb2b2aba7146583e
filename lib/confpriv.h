/* The parsing machinery of lvsrole.conf, shared by the files that parse its sections. */
#pragma once
#include <json-c/json.h>
#include <stddef.h>

#include "conf.h"

struct ctx {
	const char *name;
	const char *text;
	size_t len;
	char *err;
	size_t errlen;
};

/* A key, the parser of its value and an argument for it. */
struct field {
	const char *key;
	int (*parse)(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg);
	size_t arg;
};

/* Formats the one error message "FILE:LINE: path: what: "value""; returns -EINVAL. */
int cf_fail(struct ctx *c, const char *path, const char *value, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
const char *cf_json_text(struct json_object *v);
int cf_want_type(struct ctx *c, struct json_object *v, const char *path, enum json_type t);
/* Parses the object v with the table: unknown keys are errors that list the known ones. */
int cf_parse_fields(struct ctx *c, struct json_object *v, const char *path, void *obj,
		    const struct field *fields, size_t n);
/* An integer in lo..hi ("out of range lo..hi" otherwise); cf_parse_int for an int. */
int cf_parse_int64(struct ctx *c, struct json_object *v, const char *path, int64_t lo, int64_t hi,
		   int64_t *out);
int cf_parse_int(struct ctx *c, struct json_object *v, const char *path, int lo, int hi, int *out);
/* A string among names[first..last] (the enumeration's name table): its index in *out; the
 * error lists the names ("must be "a", "b" or "c""). */
int cf_parse_enum(struct ctx *c, struct json_object *v, const char *path, const char *const *names,
		  int first, int last, int *out);
/* The error for a value that is none of names[first..last]: "must be "a", "b" or "c"". */
int cf_fail_names(struct ctx *c, const char *path, const char *value, const char *const *names, int first,
		  int last);
/* For each element of the array v (whose type the caller has checked): a string, given to
 * fn with its path ("path[i]") and index. Stops at the first error. */
int cf_each_string(struct ctx *c, struct json_object *v, const char *path,
		   int (*fn)(struct ctx *c, const char *path, const char *s, size_t i, void *obj),
		   void *obj);
/* Checks that v is an array of 1 to max elements ("must list 1 to max what" otherwise) and,
 * when elem is not 0, gives a zeroed array of that many elements of elem bytes in *out
 * (the caller's to free). */
int cf_array(struct ctx *c, struct json_object *v, const char *path, size_t max, const char *what,
	     size_t elem, void **out);
/* A normalised absolute path of printable characters (at most max bytes), strdup'd into *out. */
int cf_parse_path(struct ctx *c, struct json_object *v, const char *path, size_t max, char **out);

/* The "webhooks" section (conf-webhook.c). */
int cf_parse_webhooks(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg);
int cf_check_webhooks(struct ctx *c, struct lr_config *cfg);
void cf_free_webhooks(struct lr_config *cfg);
struct json_object *cf_dump_webhooks(const struct lr_config *cfg);

/* An instance's "ipvs" section (conf-ipvs.c). */
int cf_parse_ipvs(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg);
struct json_object *cf_dump_ipvs(const struct lr_ipvs_conf *g);
