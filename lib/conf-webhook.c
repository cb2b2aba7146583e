/* The "webhooks" section of lvsrole.conf: where reports go, how they are signed and sent,
 * which ones each endpoint gets, and how much the spool keeps. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "confpriv.h"
#include "jsonpos.h"
#include "url.h"

const struct lr_endpoint *lr_config_endpoint(const struct lr_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_endpoints; i++)
		if (!strcmp(cfg->endpoints[i].name, name))
			return &cfg->endpoints[i];
	return NULL;
}

static int p_bool(struct ctx *c, struct json_object *v, const char *path, bool *out)
{
	int r = cf_want_type(c, v, path, json_type_boolean);

	if (r == 0)
		*out = json_object_get_boolean(v);
	return r;
}

/* lo >= 0: a count or a size */
static int p_u64(struct ctx *c, struct json_object *v, const char *path, int64_t lo, int64_t hi,
		 uint64_t *out)
{
	int64_t x;
	int r = cf_parse_int64(c, v, path, lo, hi, &x);

	if (r == 0)
		*out = (uint64_t)x;
	return r;
}

/* A URL with a scheme from schemes ("https,http"), a host and no user information
 * (credentials belong in files only root can read). */
static int check_url(struct ctx *c, const char *path, const char *s, const char *schemes)
{
	if (!lr_printable(s, LR_MAX_URL))
		return cf_fail(c, path, s, "must be 1 to %d printable characters", LR_MAX_URL);
	switch (lr_url_check(s, schemes)) {
	case LR_URL_OK:
		return 0;
	case LR_URL_CREDENTIALS:
		return cf_fail(c, path, s, "credentials in a URL end up in logs: use bearer_token_file or the proxy's own settings");
	case LR_URL_SCHEME:
		return cf_fail(c, path, s, "scheme must be one of %s", schemes);
	default:
		return cf_fail(c, path, s, "not a valid URL (SCHEME://HOST[:PORT]/PATH)");
	}
}

/* url (arg 0) or proxy (arg 1) */
static int p_url(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	struct lr_endpoint *ep = obj;
	char **dst = arg ? &ep->proxy : &ep->url;
	const char *s;
	int r = cf_want_type(c, v, path, json_type_string);

	if (r < 0)
		return r;
	s = json_object_get_string(v);
	if ((r = check_url(c, path, s, arg ? "http,https,socks4,socks4a,socks5,socks5h" : "https,http")) < 0)
		return r;
	free(*dst);
	return (*dst = strdup(s)) ? 0 : -ENOMEM;
}

static int p_format(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	int f = 0, r = cf_parse_enum(c, v, path, lr_format_names, 0, LR_WH__COUNT - 1, &f);

	if (r == 0)
		((struct lr_endpoint *)obj)->format = (enum lr_wh_format)f;
	return r;
}

/* The file-valued keys, by offset in the endpoint. */
static int p_file(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	return cf_parse_path(c, v, path, 255, (char **)((char *)obj + arg));
}

static bool token_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       strchr("!#$%&'*+-.^_`|~", ch);
}

/* Headers lvsrole sets itself, or that would break the request. */
static const char *const reserved_headers[] = {
	"content-type", "content-length", "host", "webhook-id", "webhook-timestamp",
	"webhook-signature", "authorization", "expect", "transfer-encoding", "connection",
};

static int p_headers(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	struct lr_endpoint *ep = obj;
	int r = cf_want_type(c, v, path, json_type_object);

	if (r < 0)
		return r;
	if (json_object_object_length(v) > LR_MAX_HEADERS)
		return cf_fail(c, path, NULL, "more than %d headers", LR_MAX_HEADERS);
	json_object_object_foreach(v, key, val) {
		char sub[512];
		const char *s;
		size_t n = strlen(key);
		char *h, **nh;

		snprintf(sub, sizeof(sub), "%s", path);
		lr_jpath_key(sub, sizeof(sub), key);
		for (const char *p = key; *p; p++)
			if (!token_char(*p))
				n = 0;
		if (n == 0 || n > 64)
			return cf_fail(c, sub, key, "not a header name (1 to 64 letters, digits or !#$%%&'*+-.^_`|~)");
		for (size_t i = 0; i < sizeof(reserved_headers) / sizeof(*reserved_headers); i++)
			if (!strcasecmp(key, reserved_headers[i]))
				return cf_fail(c, sub, key, "set by lvsrole itself%s",
					       i == 6 ? " (use bearer_token_file)" : "");
		if ((r = cf_want_type(c, val, sub, json_type_string)) < 0)
			return r;
		s = json_object_get_string(val);
		if (!lr_printable(s, 1024) || s[0] == ' ')
			return cf_fail(c, sub, s, "a header value must be 1 to 1024 printable characters");
		nh = realloc(ep->headers, (ep->n_headers + 1) * sizeof(*nh));
		if (!nh)
			return -ENOMEM;
		ep->headers = nh;
		if (asprintf(&h, "%s: %s", key, s) < 0)
			return -ENOMEM;
		ep->headers[ep->n_headers++] = h;
	}
	return 0;
}

static int p_timeout(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	struct lr_endpoint *ep = obj;
	uint64_t x;
	int r = arg ? p_u64(c, v, path, 100, 300000, &x) : p_u64(c, v, path, 100, 60000, &x);

	if (r == 0)
		*(arg ? &ep->timeout_ms : &ep->connect_timeout_ms) = (unsigned)x;
	return r;
}

static int p_ep_bool(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	struct lr_endpoint *ep = obj;

	return p_bool(c, v, path, arg ? &ep->allow_http : &ep->use_env_proxy);
}

static int filter_instance(struct ctx *c, const char *path, const char *s, size_t i, void *obj)
{
	struct lr_endpoint *ep = obj;

	if (!lr_printable(s, LR_MAX_NAME))
		return cf_fail(c, path, s, "not an instance or group name");
	snprintf(ep->instances[ep->n_instances++], LR_MAX_NAME + 1, "%s", s);
	return 0;
}

static int p_filter_instances(struct ctx *c, struct json_object *v, const char *path, void *obj,
			      size_t arg)
{
	struct lr_endpoint *ep = obj;
	void *a;
	int r = cf_array(c, v, path, LR_MAX_INSTANCES, "names (leave it out for all)",
			 sizeof(*ep->instances), &a);

	if (r < 0)
		return r;
	free(ep->instances);
	ep->instances = a;
	ep->n_instances = 0;
	return cf_each_string(c, v, path, filter_instance, ep);
}

static int filter_result(struct ctx *c, const char *path, const char *s, size_t i, void *obj)
{
	struct lr_endpoint *ep = obj;
	int k = lr_name_index(lr_result_names, 0, LR_RESULT__COUNT - 1, s);

	if (k < 0)
		return cf_fail_names(c, path, s, lr_result_names, 0, LR_RESULT__COUNT - 1);
	ep->results |= 1u << k;
	return 0;
}

static int p_filter_results(struct ctx *c, struct json_object *v, const char *path, void *obj,
			    size_t arg)
{
	struct lr_endpoint *ep = obj;
	int r = cf_array(c, v, path, LR_RESULT__COUNT, "results (leave it out for all)", 0, NULL);

	if (r < 0)
		return r;
	ep->results = 0;
	return cf_each_string(c, v, path, filter_result, ep);
}

static const struct field filter_fields[] = {
	{ "instances", p_filter_instances, 0 },
	{ "results", p_filter_results, 0 },
};

static int p_filter(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	return cf_parse_fields(c, v, path, obj, filter_fields, sizeof(filter_fields) / sizeof(*filter_fields));
}

static int p_spool_limit(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	struct lr_endpoint *ep = obj;
	uint64_t x;
	int r;

	switch (arg) {
	case 0:
		r = p_u64(c, v, path, 1, 1000000, &x);
		if (r == 0)
			ep->max_events = (unsigned)x;
		return r;
	case 1:
		return p_u64(c, v, path, 65536, (int64_t)1 << 40, &ep->max_bytes);
	default:
		return p_u64(c, v, path, 60, 30 * 86400, &ep->max_age_s);
	}
}

static const struct field endpoint_fields[] = {
	{ "url", p_url, 0 },
	{ "format", p_format, 0 },
	{ "secret_file", p_file, offsetof(struct lr_endpoint, secret_file) },
	{ "previous_secret_file", p_file, offsetof(struct lr_endpoint, previous_secret_file) },
	{ "bearer_token_file", p_file, offsetof(struct lr_endpoint, bearer_token_file) },
	{ "headers", p_headers, 0 },
	{ "connect_timeout_ms", p_timeout, 0 },
	{ "timeout_ms", p_timeout, 1 },
	{ "ca_file", p_file, offsetof(struct lr_endpoint, ca_file) },
	{ "client_cert", p_file, offsetof(struct lr_endpoint, client_cert) },
	{ "client_key", p_file, offsetof(struct lr_endpoint, client_key) },
	{ "proxy", p_url, 1 },
	{ "use_env_proxy", p_ep_bool, 0 },
	{ "allow_http", p_ep_bool, 1 },
	{ "filter", p_filter, 0 },
	{ "max_events", p_spool_limit, 0 },
	{ "max_bytes", p_spool_limit, 1 },
	{ "max_age_s", p_spool_limit, 2 },
};

static bool endpoint_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-'))
			return false;
	return true;
}

static int p_endpoints(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	struct lr_config *cfg = obj;
	int r = cf_want_type(c, v, path, json_type_object);

	if (r < 0)
		return r;
	json_object_object_foreach(v, key, val) {
		struct lr_endpoint *ep, *ne;
		char sub[512], p2[560];

		snprintf(sub, sizeof(sub), "%s", path);
		lr_jpath_key(sub, sizeof(sub), key);
		if (!endpoint_name_ok(key))
			return cf_fail(c, sub, key, "invalid endpoint name (1 to 63 letters, digits, '_' or '-')");
		if (cfg->n_endpoints >= LR_MAX_ENDPOINTS)
			return cf_fail(c, sub, key, "more than %d endpoints", LR_MAX_ENDPOINTS);
		ne = realloc(cfg->endpoints, (cfg->n_endpoints + 1) * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		cfg->endpoints = ne;
		ep = &ne[cfg->n_endpoints++];
		memset(ep, 0, sizeof(*ep));
		snprintf(ep->name, sizeof(ep->name), "%s", key);
		ep->connect_timeout_ms = 2000;
		ep->timeout_ms = 5000;
		ep->max_events = 10000;
		ep->max_bytes = 64u << 20;
		ep->max_age_s = 72 * 3600;
		r = cf_parse_fields(c, val, sub, ep, endpoint_fields,
				    sizeof(endpoint_fields) / sizeof(*endpoint_fields));
		if (r < 0)
			return r;
		if (!ep->url)
			return cf_fail(c, sub, NULL, "missing \"url\"");
		if (!ep->secret_file)
			return cf_fail(c, sub, NULL, "missing \"secret_file\" (every report is signed)");
		snprintf(p2, sizeof(p2), "%s.url", sub);
		if (!ep->allow_http && !strncasecmp(ep->url, "http:", 5))
			return cf_fail(c, p2, ep->url, "plain http sends reports unencrypted: use https, or set \"allow_http\": true");
		if (!ep->client_cert != !ep->client_key)
			return cf_fail(c, sub, NULL, "give both \"client_cert\" and \"client_key\", or neither");
		if (ep->connect_timeout_ms > ep->timeout_ms) {
			snprintf(p2, sizeof(p2), "%s.connect_timeout_ms", sub);
			return cf_fail(c, p2, NULL, "longer than timeout_ms (%u)", ep->timeout_ms);
		}
		if (ep->proxy && ep->use_env_proxy)
			return cf_fail(c, sub, NULL, "give \"proxy\" or \"use_env_proxy\", not both");
	}
	return 0;
}

static int p_wh_dir(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	return cf_parse_path(c, v, path, 200, &((struct lr_config *)obj)->spool_dir);
}

static int p_wh_ms(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	struct lr_config *cfg = obj;
	static const int64_t lo[] = { 0, 100, 1000 }, hi[] = { 60000, 600000, 86400000 };
	unsigned *dst[] = { &cfg->delivery_deadline_ms, &cfg->retry_base_ms, &cfg->retry_max_ms };
	uint64_t x;
	int r = p_u64(c, v, path, lo[arg], hi[arg], &x);

	if (r == 0)
		*dst[arg] = (unsigned)x;
	return r;
}

static const struct field webhook_fields[] = {
	{ "spool_dir", p_wh_dir, 0 },
	{ "delivery_deadline_ms", p_wh_ms, 0 },
	{ "retry_base_ms", p_wh_ms, 1 },
	{ "retry_max_ms", p_wh_ms, 2 },
	{ "endpoints", p_endpoints, 0 },
};

int cf_parse_webhooks(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	return cf_parse_fields(c, v, path, obj, webhook_fields, sizeof(webhook_fields) / sizeof(*webhook_fields));
}

/* After the whole file: names in filters exist, defaults filled in. */
int cf_check_webhooks(struct ctx *c, struct lr_config *cfg)
{
	for (size_t i = 0; i < cfg->n_endpoints; i++) {
		const struct lr_endpoint *ep = &cfg->endpoints[i];

		for (size_t j = 0; j < ep->n_instances; j++)
			if (!lr_config_find(cfg, ep->instances[j], NULL)) {
				char sub[512] = "webhooks.endpoints";

				lr_jpath_key(sub, sizeof(sub), ep->name);
				lr_jpath_key(sub, sizeof(sub), "filter");
				lr_jpath_key(sub, sizeof(sub), "instances");
				lr_jpath_index(sub, sizeof(sub), j);
				return cf_fail(c, sub, ep->instances[j], "no such instance or group in this file");
			}
	}
	if (cfg->retry_base_ms > cfg->retry_max_ms)
		return cf_fail(c, "webhooks.retry_base_ms", NULL, "larger than retry_max_ms (%u)",
			       cfg->retry_max_ms);
	if (!cfg->spool_dir && !(cfg->spool_dir = strdup(LR_DEFAULT_SPOOL_DIR)))
		return -ENOMEM;
	return 0;
}

void cf_free_webhooks(struct lr_config *cfg)
{
	for (size_t i = 0; i < cfg->n_endpoints; i++) {
		struct lr_endpoint *ep = &cfg->endpoints[i];

		free(ep->url);
		free(ep->secret_file);
		free(ep->previous_secret_file);
		free(ep->bearer_token_file);
		for (size_t j = 0; j < ep->n_headers; j++)
			free(ep->headers[j]);
		free(ep->headers);
		free(ep->ca_file);
		free(ep->client_cert);
		free(ep->client_key);
		free(ep->proxy);
		free(ep->instances);
	}
	free(cfg->endpoints);
	free(cfg->spool_dir);
}

static void add_str(struct json_object *o, const char *key, const char *s)
{
	if (s)
		json_object_object_add(o, key, json_object_new_string(s));
}

struct json_object *cf_dump_webhooks(const struct lr_config *cfg)
{
	struct json_object *w = json_object_new_object(), *eps = json_object_new_object();

	add_str(w, "spool_dir", cfg->spool_dir);
	json_object_object_add(w, "delivery_deadline_ms", json_object_new_int64(cfg->delivery_deadline_ms));
	json_object_object_add(w, "retry_base_ms", json_object_new_int64(cfg->retry_base_ms));
	json_object_object_add(w, "retry_max_ms", json_object_new_int64(cfg->retry_max_ms));
	for (size_t i = 0; i < cfg->n_endpoints; i++) {
		const struct lr_endpoint *ep = &cfg->endpoints[i];
		struct json_object *o = json_object_new_object(), *h, *f, *a;

		add_str(o, "url", ep->url);
		add_str(o, "format", lr_format_name(ep->format));
		add_str(o, "secret_file", ep->secret_file);
		add_str(o, "previous_secret_file", ep->previous_secret_file);
		add_str(o, "bearer_token_file", ep->bearer_token_file);
		h = json_object_new_object();
		for (size_t j = 0; j < ep->n_headers; j++) {
			const char *colon = strchr(ep->headers[j], ':');
			char name[72];

			snprintf(name, sizeof(name), "%.*s", (int)(colon - ep->headers[j]), ep->headers[j]);
			json_object_object_add(h, name, json_object_new_string(colon + 2));
		}
		json_object_object_add(o, "headers", h);
		json_object_object_add(o, "connect_timeout_ms", json_object_new_int64(ep->connect_timeout_ms));
		json_object_object_add(o, "timeout_ms", json_object_new_int64(ep->timeout_ms));
		add_str(o, "ca_file", ep->ca_file);
		add_str(o, "client_cert", ep->client_cert);
		add_str(o, "client_key", ep->client_key);
		add_str(o, "proxy", ep->proxy);
		json_object_object_add(o, "use_env_proxy", json_object_new_boolean(ep->use_env_proxy));
		json_object_object_add(o, "allow_http", json_object_new_boolean(ep->allow_http));
		f = json_object_new_object();
		a = json_object_new_array();
		for (size_t j = 0; j < ep->n_instances; j++)
			json_object_array_add(a, json_object_new_string(ep->instances[j]));
		if (ep->n_instances)
			json_object_object_add(f, "instances", a);
		else
			json_object_put(a);
		a = json_object_new_array();
		for (int k = 0; k < LR_RESULT__COUNT; k++)
			if (!ep->results || (ep->results & (1u << k)))
				json_object_array_add(a, json_object_new_string(lr_result_name((enum lr_result)k)));
		json_object_object_add(f, "results", a);
		json_object_object_add(o, "filter", f);
		json_object_object_add(o, "max_events", json_object_new_int64(ep->max_events));
		json_object_object_add(o, "max_bytes", json_object_new_int64((int64_t)ep->max_bytes));
		json_object_object_add(o, "max_age_s", json_object_new_int64((int64_t)ep->max_age_s));
		json_object_object_add(eps, ep->name, o);
	}
	json_object_object_add(w, "endpoints", eps);
	return w;
}
