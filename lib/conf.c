/* lvsrole.conf: JSON (comments allowed) parsed by json-c into a fresh lr_config, validated
 * whole before anyone uses it. Every error names FILE:LINE, the JSON path and the value. */
#include "config.h"
#include "conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confpriv.h"
#include "jsonpos.h"

static const enum lr_role default_roles[LR_KSTATE__COUNT] = {
	[LR_KSTATE_MASTER] = LR_ROLE_DIRECTOR, [LR_KSTATE_BACKUP] = LR_ROLE_REAL_SERVER,
	[LR_KSTATE_FAULT] = LR_ROLE_REAL_SERVER, [LR_KSTATE_STOP] = LR_ROLE_REAL_SERVER,
	[LR_KSTATE_DELETED] = LR_ROLE_NONE,
};

void lr_vip_str(const struct lr_vip *vip, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", lr_ip_str(&vip->ip, a, sizeof(a)), vip->prefix);
}

/* Formats the one error message; always returns -EINVAL. */
int cf_fail(struct ctx *c, const char *path,
						       const char *value, const char *fmt, ...)
{
	char what[256], val[96] = "";
	int line = lr_jsonpos_line(c->text, c->len, path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (value) {
		size_t n = 0;

		/* quote the value, printable and bounded: it may be anything */
		for (const char *p = value; *p && n + 5 < sizeof(val) - 8; p++)
			n += (size_t)snprintf(val + n, sizeof(val) - n,
					      (*p >= 0x20 && *p < 0x7f && *p != '"') ? "%c" : "\\x%02x",
					      (unsigned char)*p);
		if (strlen(value) > n)
			snprintf(val + n, sizeof(val) - n, "...");
	}
	snprintf(c->err, c->errlen, "%s:%d: %s: %s%s%s%s", c->name, line, *path ? path : "(top)",
		 what, value ? ": \"" : "", value ? val : "", value ? "\"" : "");
	return -EINVAL;
}

const char *cf_json_text(struct json_object *v)
{
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

int cf_want_type(struct ctx *c, struct json_object *v, const char *path, enum json_type t)
{
	if (json_object_is_type(v, t))
		return 0;
	return cf_fail(c, path, cf_json_text(v), "expected %s", json_type_to_name(t));
}

/* ---- fields: a key, a parser and where it writes ---- */

int cf_parse_fields(struct ctx *c, struct json_object *v, const char *path, void *obj,
			const struct field *fields, size_t n)
{
	int r = cf_want_type(c, v, path, json_type_object);

	if (r < 0)
		return r;
	json_object_object_foreach(v, key, val) {
		char sub[512];
		const struct field *f = NULL;

		snprintf(sub, sizeof(sub), "%s", path);
		lr_jpath_key(sub, sizeof(sub), key);
		for (size_t i = 0; i < n && !f; i++)
			if (!strcmp(fields[i].key, key))
				f = &fields[i];
		if (!f) {
			char known[1024] = "";

			for (size_t i = 0; i < n; i++)
				snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
					 i ? ", " : "", fields[i].key);
			return cf_fail(c, sub, key, "unknown key (known: %s)", known);
		}
		r = f->parse(c, val, sub, obj, f->arg);
		if (r < 0)
			return r;
	}
	return 0;
}

int cf_parse_int64(struct ctx *c, struct json_object *v, const char *path, int64_t lo, int64_t hi,
		   int64_t *out)
{
	int64_t x;
	int r = cf_want_type(c, v, path, json_type_int);

	if (r < 0)
		return r;
	errno = 0;
	x = json_object_get_int64(v);
	if (errno || x < lo || x > hi)
		return cf_fail(c, path, cf_json_text(v), "out of range %lld..%lld", (long long)lo, (long long)hi);
	*out = x;
	return 0;
}

int cf_parse_int(struct ctx *c, struct json_object *v, const char *path, int lo, int hi, int *out)
{
	int64_t x;
	int r = cf_parse_int64(c, v, path, lo, hi, &x);

	if (r == 0)
		*out = (int)x;
	return r;
}

int cf_fail_names(struct ctx *c, const char *path, const char *value, const char *const *names, int first,
		  int last)
{
	char must[256] = "must be ";
	size_t len = strlen(must);

	for (int k = first; k <= last && len < sizeof(must); k++)
		len += (size_t)snprintf(must + len, sizeof(must) - len, "%s\"%s\"",
					k == first ? "" : k == last ? " or " : ", ", names[k]);
	return cf_fail(c, path, value, "%s", must);
}

int cf_parse_enum(struct ctx *c, struct json_object *v, const char *path, const char *const *names,
		  int first, int last, int *out)
{
	int r = cf_want_type(c, v, path, json_type_string), i;

	if (r < 0)
		return r;
	i = lr_name_index(names, first, last, json_object_get_string(v));
	if (i >= 0) {
		*out = i;
		return 0;
	}
	return cf_fail_names(c, path, json_object_get_string(v), names, first, last);
}

static int parse_ifname(struct ctx *c, struct json_object *v, const char *path, char *out)
{
	const char *s;
	int r = cf_want_type(c, v, path, json_type_string);

	if (r < 0)
		return r;
	s = json_object_get_string(v);
	if (!lr_ifname_valid(s))
		return cf_fail(c, path, s, "not a valid interface name (1 to 15 characters, no '/', ':' or spaces)");
	if (!strcmp(s, "all") || !strcmp(s, "default"))
		return cf_fail(c, path, s, "not a device (\"all\" and \"default\" only name sysctl sets)");
	snprintf(out, LR_IFNAMSIZ, "%s", s);
	return 0;
}

int cf_each_string(struct ctx *c, struct json_object *v, const char *path,
		   int (*fn)(struct ctx *c, const char *path, const char *s, size_t i, void *obj),
		   void *obj)
{
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		char sub[512];
		int r;

		snprintf(sub, sizeof(sub), "%s", path);
		lr_jpath_index(sub, sizeof(sub), i);
		if ((r = cf_want_type(c, e, sub, json_type_string)) < 0 ||
		    (r = fn(c, sub, json_object_get_string(e), i, obj)) < 0)
			return r;
	}
	return 0;
}

int cf_array(struct ctx *c, struct json_object *v, const char *path, size_t max, const char *what,
	     size_t elem, void **out)
{
	size_t n;
	int r = cf_want_type(c, v, path, json_type_array);

	if (r < 0)
		return r;
	n = json_object_array_length(v);
	if (n == 0 || n > max)
		return cf_fail(c, path, NULL, "must list 1 to %zu %s", max, what);
	if (elem && !(*out = calloc(n, elem)))
		return -ENOMEM;
	return 0;
}

/* ---- global settings ---- */

int cf_parse_path(struct ctx *c, struct json_object *v, const char *path, size_t max, char **out)
{
	const char *s;
	size_t n;
	int r = cf_want_type(c, v, path, json_type_string);

	if (r < 0)
		return r;
	s = json_object_get_string(v);
	n = strlen(s);
	if (s[0] != '/' || strstr(s, "/../") || strstr(s, "/./") || !lr_printable(s, max) ||
	    strstr(s, "//") || (n >= 2 && !strcmp(s + n - 2, "/.")) ||
	    (n >= 3 && !strcmp(s + n - 3, "/..")))
		return cf_fail(c, path, s, "must be a normalised absolute path of at most %zu printable characters", max);
	free(*out);
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static int p_state_dir(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	return cf_parse_path(c, v, path, 200, &((struct lr_config *)obj)->state_dir);
}

static int p_sysctl_value(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	int *values = obj;

	return cf_parse_int(c, v, path, 0, arg == LR_ARP_IGNORE ? 8 : 2, &values[arg]);
}

static const struct field sysctl_value_fields[] = {
	{ "arp_ignore", p_sysctl_value, LR_ARP_IGNORE },
	{ "arp_announce", p_sysctl_value, LR_ARP_ANNOUNCE },
};

static int p_sysctl_values(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	struct lr_config *cfg = obj;
	int *values = arg ? cfg->dir_values : cfg->rs_values;
	int r = cf_parse_fields(c, v, path, values, sysctl_value_fields, 2);

	if (r < 0)
		return r;
	if (arg && (values[0] < 0) != (values[1] < 0))
		return cf_fail(c, path, NULL, "give both arp_ignore and arp_announce, or neither");
	return 0;
}

static int sysctl_iface(struct ctx *c, const char *path, const char *s, size_t i, void *obj)
{
	struct lr_config *cfg = obj;

	if (!lr_ifname_valid(s))
		return cf_fail(c, path, s, "not a valid interface name");
	for (size_t j = 0; j < cfg->n_sysctl_ifaces; j++)
		if (!strcmp(cfg->sysctl_ifaces[j], s))
			return cf_fail(c, path, s, "listed twice");
	snprintf(cfg->sysctl_ifaces[cfg->n_sysctl_ifaces++], LR_IFNAMSIZ, "%s", s);
	return 0;
}

static int p_sysctl_ifaces(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	struct lr_config *cfg = obj;
	void *a;
	int r = cf_array(c, v, path, LR_MAX_SYSCTL_IFACES, "interfaces", sizeof(*cfg->sysctl_ifaces), &a);

	if (r < 0)
		return r;
	free(cfg->sysctl_ifaces);
	cfg->sysctl_ifaces = a;
	cfg->n_sysctl_ifaces = 0;
	cfg->sysctl_ifaces_default = false;
	return cf_each_string(c, v, path, sysctl_iface, cfg);
}

static const struct field arp_sysctl_fields[] = {
	{ "interfaces", p_sysctl_ifaces, 0 },
	{ "real_server", p_sysctl_values, 0 },
	{ "director", p_sysctl_values, 1 },
};


static int p_announce_count(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	int x, r = cf_parse_int(c, v, path, 0, 100, &x);

	if (r == 0)
		((struct lr_config *)obj)->announce_count = (unsigned)x;
	return r;
}

static int p_announce_interval(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	int x, r = cf_parse_int(c, v, path, 10, 60000, &x);

	if (r == 0)
		((struct lr_config *)obj)->announce_interval_ms = (unsigned)x;
	return r;
}

static int p_announce_op(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	int op = 0, r = cf_parse_enum(c, v, path, lr_arp_op_names, LR_ARP_REQUEST, LR_ARP_BOTH, &op);

	if (r == 0)
		((struct lr_config *)obj)->announce_op = (enum lr_arp_op)op;
	return r;
}

static const struct field announce_fields[] = {
	{ "count", p_announce_count, 0 },
	{ "interval_ms", p_announce_interval, 0 },
	{ "op", p_announce_op, 0 },
};

/* ---- instances and groups ---- */

static int p_nic(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	return parse_ifname(c, v, path, ((struct lr_instance *)obj)->nic);
}

static int p_rs_dev(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	return parse_ifname(c, v, path, ((struct lr_instance *)obj)->rs_dev);
}

static int p_owner(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	struct lr_instance *in = obj;
	const char *s;
	int r = cf_want_type(c, v, path, json_type_string);

	if (r < 0)
		return r;
	s = json_object_get_string(v);
	if (!strcmp(s, "lvsrole"))
		in->owner = LR_OWNER_LVSROLE;
	else if (!strcmp(s, "keepalived"))
		in->owner = LR_OWNER_KEEPALIVED;
	else
		return cf_fail(c, path, s, "must be \"lvsrole\" or \"keepalived\"");
	return 0;
}

static bool ip_is_unicast(const struct lr_ip *ip)
{
	const uint8_t *b = ip->bytes;

	if (ip->family == AF_INET)
		return b[0] != 0 && b[0] != 127 && b[0] < 224;
	if (IN6_IS_ADDR_UNSPECIFIED(&ip->v6) || IN6_IS_ADDR_LOOPBACK(&ip->v6) ||
	    IN6_IS_ADDR_MULTICAST(&ip->v6) || IN6_IS_ADDR_LINKLOCAL(&ip->v6) ||
	    IN6_IS_ADDR_V4MAPPED(&ip->v6) || IN6_IS_ADDR_V4COMPAT(&ip->v6))
		return false;
	return true;
}

static int parse_vip(struct ctx *c, const char *path, const char *s, struct lr_vip *out)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen;
	unsigned long prefix;
	char *end;
	int max;

	if (!slash)
		return cf_fail(c, path, s, "missing prefix length (write ADDRESS/PREFIX, e.g. /32 for a host address)");
	alen = (size_t)(slash - s);
	if (alen == 0 || alen >= sizeof(addr))
		return cf_fail(c, path, s, "invalid address");
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (lr_ip_parse(addr, &out->ip) < 0)
		return cf_fail(c, path, s, "invalid address");
	if (!ip_is_unicast(&out->ip))
		return cf_fail(c, path, s, "not a unicast address usable as a VIP");
	max = out->ip.family == AF_INET ? 32 : 128;
	errno = 0;
	if (slash[1] < '0' || slash[1] > '9' || (slash[1] == '0' && slash[2]))
		return cf_fail(c, path, s, "invalid prefix length");
	prefix = strtoul(slash + 1, &end, 10);
	if (errno || *end || prefix < 1 || prefix > (unsigned long)max)
		return cf_fail(c, path, s, "prefix length must be 1..%d", max);
	out->prefix = (uint8_t)prefix;
	return 0;
}

static int vip(struct ctx *c, const char *path, const char *s, size_t i, void *obj)
{
	struct lr_instance *in = obj;
	int r = parse_vip(c, path, s, &in->vips[i]);

	if (r == 0)
		in->n_vips++;
	return r;
}

static int p_vips(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	struct lr_instance *in = obj;
	void *a;
	int r = cf_array(c, v, path, LR_MAX_VIPS, "VIPs", sizeof(*in->vips), &a);

	if (r < 0)
		return r;
	free(in->vips);
	in->vips = a;
	in->n_vips = 0;
	return cf_each_string(c, v, path, vip, in);
}

static int p_role(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	int role = 0, r = cf_parse_enum(c, v, path, lr_role_names, LR_ROLE_DIRECTOR, LR_ROLE_NONE, &role);

	if (r == 0)
		((struct lr_instance *)obj)->roles[arg] = (enum lr_role)role;
	return r;
}

static const struct field role_fields[] = {
	{ "MASTER", p_role, LR_KSTATE_MASTER }, { "BACKUP", p_role, LR_KSTATE_BACKUP },
	{ "FAULT", p_role, LR_KSTATE_FAULT },   { "STOP", p_role, LR_KSTATE_STOP },
	{ "DELETED", p_role, LR_KSTATE_DELETED },
};

#define NESTED(fn, table)                                                                       \
	static int fn(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg) \
	{                                                                                        \
		return cf_parse_fields(c, v, path, obj, table, sizeof(table) / sizeof(*table));     \
	}
NESTED(p_roles, role_fields)
NESTED(p_arp_sysctl, arp_sysctl_fields)
NESTED(p_announce, announce_fields)

static const struct field instance_fields[] = {
	{ "nic", p_nic, 0 },
	{ "real_server_device", p_rs_dev, 0 },
	{ "nic_vip_owner", p_owner, 0 },
	{ "vips", p_vips, 0 },
	{ "roles", p_roles, 0 },
	{ "ipvs", cf_parse_ipvs, 0 },
};

static bool name_valid(const char *s)
{
	size_t n = strlen(s);

	if (!lr_printable(s, LR_MAX_NAME) || s[0] == ' ' || s[n - 1] == ' ')
		return false;
	return !strchr(s, '"') && !strchr(s, '\\');
}

static int p_instances(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	struct lr_config *cfg = obj;
	int r = cf_want_type(c, v, path, json_type_object);

	if (r < 0)
		return r;
	json_object_object_foreach(v, key, val) {
		struct lr_instance *in, *ni;
		char sub[512];

		snprintf(sub, sizeof(sub), "%s", path);
		lr_jpath_key(sub, sizeof(sub), key);
		if (!name_valid(key))
			return cf_fail(c, sub, key, "invalid name (1 to %d printable characters, no quotes or backslash, no leading or trailing space)", LR_MAX_NAME);
		if (lr_config_find(cfg, key, NULL))
			return cf_fail(c, sub, key, "name used twice (instance and group names share one namespace)");
		if (cfg->n_inst >= LR_MAX_INSTANCES)
			return cf_fail(c, sub, key, "more than %d instances and groups", LR_MAX_INSTANCES);
		ni = realloc(cfg->inst, (cfg->n_inst + 1) * sizeof(*cfg->inst));
		if (!ni)
			return -ENOMEM;
		cfg->inst = ni;
		in = &cfg->inst[cfg->n_inst++];
		memset(in, 0, sizeof(*in));
		snprintf(in->name, sizeof(in->name), "%s", key);
		in->scope = arg ? LR_SCOPE_GROUP : LR_SCOPE_INSTANCE;
		snprintf(in->rs_dev, sizeof(in->rs_dev), "lo");
		in->owner = LR_OWNER_LVSROLE;
		memcpy(in->roles, default_roles, sizeof(in->roles));
		r = cf_parse_fields(c, val, sub, in, instance_fields,
				 sizeof(instance_fields) / sizeof(*instance_fields));
		if (r < 0)
			return r;
		if (!in->nic[0])
			return cf_fail(c, sub, NULL, "missing \"nic\"");
		if (!in->n_vips)
			return cf_fail(c, sub, NULL, "missing \"vips\"");
		if (!strcmp(in->nic, in->rs_dev)) {
			lr_jpath_key(sub, sizeof(sub), "real_server_device");
			return cf_fail(c, sub, in->rs_dev, "the real-server device must differ from the NIC");
		}
	}
	return 0;
}

/* ---- plugin ---- */

static int p_drift(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	int m = 0, r = cf_parse_enum(c, v, path, lr_drift_mode_names, LR_DRIFT_REPAIR, LR_DRIFT_OFF, &m);

	if (r == 0)
		((struct lr_plugin_conf *)obj)->drift = (enum lr_drift_mode)m;
	return r;
}

/* arg: offset of an unsigned field; its range is in the table below */
static int p_plugin_uint(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	static const struct { size_t off; int lo, hi; } ranges[] = {
		{ offsetof(struct lr_plugin_conf, drift_check_ms), 100, 60000 },
		{ offsetof(struct lr_plugin_conf, announce_refresh_s), 0, 86400 },
		{ offsetof(struct lr_plugin_conf, conflict_probe_ms), 50, 2000 },
	};
	int x, r = -EINVAL;

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (ranges[i].off == arg) {
			r = cf_parse_int(c, v, path, ranges[i].lo, ranges[i].hi, &x);
			if (r == 0)
				*(unsigned *)((char *)obj + arg) = (unsigned)x;
		}
	return r;
}

static int p_conflict(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	int r = cf_want_type(c, v, path, json_type_boolean);

	if (r == 0)
		((struct lr_plugin_conf *)obj)->conflict_detection = json_object_get_boolean(v);
	return r;
}

/* The Prometheus textfile, written by the plugin or, without one, by lvsrole-notify: the key
 * is top-level; "plugin.metrics_file", its older place, still names it. */
static int metrics_file(struct ctx *c, struct json_object *v, const char *path, struct lr_config *cfg)
{
	if (cfg->metrics_file)
		return cf_fail(c, path, NULL, "\"metrics_file\" and \"plugin.metrics_file\" are one setting: give one of them");
	return cf_parse_path(c, v, path, 200, &cfg->metrics_file);
}

static int p_metrics(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	return metrics_file(c, v, path, (struct lr_config *)((char *)obj - offsetof(struct lr_config, plugin)));
}

static int p_metrics_top(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	return metrics_file(c, v, path, obj);
}

static const struct field plugin_fields[] = {
	{ "drift", p_drift, 0 },
	{ "drift_check_ms", p_plugin_uint, offsetof(struct lr_plugin_conf, drift_check_ms) },
	{ "announce_refresh_s", p_plugin_uint, offsetof(struct lr_plugin_conf, announce_refresh_s) },
	{ "conflict_detection", p_conflict, 0 },
	{ "conflict_probe_ms", p_plugin_uint, offsetof(struct lr_plugin_conf, conflict_probe_ms) },
	{ "metrics_file", p_metrics, 0 },
};

static int p_plugin(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	return cf_parse_fields(c, v, path, &((struct lr_config *)obj)->plugin, plugin_fields,
			       sizeof(plugin_fields) / sizeof(*plugin_fields));
}

static const struct field top_fields[] = {
	{ "state_dir", p_state_dir, 0 },
	{ "arp_sysctl", p_arp_sysctl, 0 },
	{ "announce", p_announce, 0 },
	{ "instances", p_instances, 0 },
	{ "groups", p_instances, 1 },
	{ "webhooks", cf_parse_webhooks, 0 },
	{ "metrics_file", p_metrics_top, 0 },
	{ "plugin", p_plugin, 0 },
};

/* ---- whole-file checks ---- */

static int vip_path(const struct lr_config *cfg, size_t i, size_t j, char *buf, size_t len)
{
	snprintf(buf, len, "%s", cfg->inst[i].scope == LR_SCOPE_GROUP ? "groups" : "instances");
	lr_jpath_key(buf, len, cfg->inst[i].name);
	lr_jpath_key(buf, len, "vips");
	lr_jpath_index(buf, len, j);
	return 0;
}

static int check_whole(struct ctx *c, struct lr_config *cfg)
{
	char path[512], s[64];

	if (cfg->n_inst == 0)
		return cf_fail(c, "", NULL, "no \"instances\" or \"groups\" configured");
	/* each VIP once in the whole file: two instances moving one address would fight */
	for (size_t i = 0; i < cfg->n_inst; i++)
		for (size_t j = 0; j < cfg->inst[i].n_vips; j++)
			for (size_t k = 0; k <= i; k++)
				for (size_t l = 0; l < (k == i ? j : cfg->inst[k].n_vips); l++)
					if (lr_ip_equal(&cfg->inst[i].vips[j].ip, &cfg->inst[k].vips[l].ip)) {
						vip_path(cfg, i, j, path, sizeof(path));
						lr_vip_str(&cfg->inst[i].vips[j], s, sizeof(s));
						return cf_fail(c, path, s, "VIP listed twice (also in %s)",
							    cfg->inst[k].name);
					}
	if (cfg->sysctl_ifaces) {
		bool all = false;

		for (size_t i = 0; i < cfg->n_sysctl_ifaces; i++)
			all |= !strcmp(cfg->sysctl_ifaces[i], "all");
		/* ARP may arrive on any interface and the kernel takes max(all, that interface) */
		if (!all)
			return cf_fail(c, "arp_sysctl.interfaces", NULL,
				    "must include \"all\" (ARP can arrive on any interface; the kernel uses the larger of all and the interface)");
	}
	/* the values go to "all" too: 8 (answer nothing) would take the host's own addresses
	 * off the network, and 0 or 3 answer for the VIP on lo */
	if (cfg->rs_values[LR_ARP_IGNORE] != 1 && cfg->rs_values[LR_ARP_IGNORE] != 2) {
		snprintf(s, sizeof(s), "%d", cfg->rs_values[LR_ARP_IGNORE]);
		return cf_fail(c, "arp_sysctl.real_server.arp_ignore", s,
			    "a real server must not answer ARP for the VIP yet must answer for its own addresses: use 1 or 2 (8 answers nothing, and it is written to \"all\")");
	}
	if (cfg->rs_values[LR_ARP_ANNOUNCE] != 2) {
		/* 1 still lets the VIP on lo be the ARP sender when it is in the NIC's subnet */
		snprintf(s, sizeof(s), "%d", cfg->rs_values[LR_ARP_ANNOUNCE]);
		return cf_fail(c, "arp_sysctl.real_server.arp_announce", s,
			    "a real server must never use the VIP as ARP sender: use 2");
	}
	if (cfg->dir_values[LR_ARP_IGNORE] > 3) {
		snprintf(s, sizeof(s), "%d", cfg->dir_values[LR_ARP_IGNORE]);
		return cf_fail(c, "arp_sysctl.director.arp_ignore", s,
			    "a director must answer ARP for its VIP: use 0 to 3");
	}
	return 0;
}

/* Default sysctl interfaces: all, then every real-server device and NIC, once each. */
static int default_ifaces(struct lr_config *cfg)
{
	size_t max = 1 + 2 * cfg->n_inst;

	cfg->sysctl_ifaces = calloc(max, sizeof(*cfg->sysctl_ifaces));
	if (!cfg->sysctl_ifaces)
		return -ENOMEM;
	cfg->sysctl_ifaces_default = true;
	snprintf(cfg->sysctl_ifaces[0], LR_IFNAMSIZ, "all");
	cfg->n_sysctl_ifaces = 1;
	for (size_t i = 0; i < cfg->n_inst; i++) {
		const char *devs[2] = { cfg->inst[i].rs_dev, cfg->inst[i].nic };

		for (int d = 0; d < 2; d++) {
			bool seen = false;

			for (size_t k = 0; k < cfg->n_sysctl_ifaces; k++)
				seen |= !strcmp(cfg->sysctl_ifaces[k], devs[d]);
			if (!seen)
				snprintf(cfg->sysctl_ifaces[cfg->n_sysctl_ifaces++], LR_IFNAMSIZ, "%s",
					 devs[d]);
		}
	}
	return 0;
}

const struct lr_instance *lr_config_find(const struct lr_config *cfg, const char *name, size_t *index)
{
	for (size_t i = 0; i < cfg->n_inst; i++)
		if (!strcmp(cfg->inst[i].name, name)) {
			if (index)
				*index = i;
			return &cfg->inst[i];
		}
	return NULL;
}

void lr_config_free(struct lr_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_inst; i++) {
		free(cfg->inst[i].vips);
		free(cfg->inst[i].ipvs.ports);
	}
	free(cfg->inst);
	free(cfg->sysctl_ifaces);
	free(cfg->state_dir);
	cf_free_webhooks(cfg);
	free(cfg->metrics_file);
	free(cfg->path);
	free(cfg);
}

/* The file's JSON, strict: no NUL byte, nothing after the top-level value, no key given twice
 * (json-c keeps the last silently). NULL with the message in err; *oom: for lack of memory. */
static struct json_object *parse_json(const char *name, const char *text, size_t len, char *err, size_t errlen,
				      bool *oom)
{
	struct json_tokener *tok;
	struct json_object *root;
	char dup[512];
	size_t end;
	int line;

	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "%s:%d: (top): NUL byte in file", name,
			 lr_jsonpos_line_at(text, len, (size_t)((const char *)memchr(text, '\0', len) - text)));
		return NULL;
	}
	tok = json_tokener_new_ex(32);
	if (!tok) {
		snprintf(err, errlen, "%s: out of memory", name);
		*oom = true;
		return NULL;
	}
	root = json_tokener_parse_ex(tok, text, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (!root) {
		enum json_tokener_error je = json_tokener_get_error(tok);

		if (je == json_tokener_continue)
			snprintf(err, errlen, "%s:%d: (top): invalid JSON: unexpected end of file", name,
				 lr_jsonpos_line_at(text, len, len));
		else /* end is the offending character */
			snprintf(err, errlen, "%s:%d: (top): invalid JSON: %s", name,
				 lr_jsonpos_line_at(text, len, end), json_tokener_error_desc(je));
	} else if ((end = lr_jsonpos_skip_space(text, len, end)) < len) {
		snprintf(err, errlen, "%s:%d: (top): invalid JSON: text after the top-level object",
			 name, lr_jsonpos_line_at(text, len, end));
		json_object_put(root);
		root = NULL;
	} else if (lr_jsonpos_dup_key(text, len, dup, sizeof(dup), &line)) {
		snprintf(err, errlen, "%s:%d: %s: key given twice", name, line, dup);
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	return root;
}

/* A configuration with every default that is not derived from the file. */
static struct lr_config *config_defaults(void)
{
	struct lr_config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	cfg->rs_values[LR_ARP_IGNORE] = 1;
	cfg->rs_values[LR_ARP_ANNOUNCE] = 2;
	cfg->dir_values[LR_ARP_IGNORE] = -1;
	cfg->dir_values[LR_ARP_ANNOUNCE] = -1;
	cfg->announce_count = 5;
	cfg->announce_interval_ms = 1000;
	cfg->announce_op = LR_ARP_REQUEST;
	cfg->delivery_deadline_ms = 3000;
	cfg->retry_base_ms = 1000;
	cfg->retry_max_ms = 600000;
	cfg->plugin.drift = LR_DRIFT_REPAIR;
	cfg->plugin.drift_check_ms = 500;
	cfg->plugin.conflict_detection = true;
	cfg->plugin.conflict_probe_ms = 300;
	return cfg;
}

int lr_config_parse(const char *name, const char *text, size_t len, struct lr_config **out,
		    char *err, size_t errlen)
{
	struct ctx c = { .name = name, .text = text, .len = len, .err = err, .errlen = errlen };
	bool oom = false;
	struct json_object *root = parse_json(name, text, len, err, errlen, &oom);
	struct lr_config *cfg;
	int r;

	if (!root)
		return oom ? -ENOMEM : -EINVAL;
	cfg = config_defaults();
	if (!cfg) {
		json_object_put(root);
		return -ENOMEM;
	}
	r = cf_parse_fields(&c, root, "", cfg, top_fields, sizeof(top_fields) / sizeof(*top_fields));
	if (r == 0)
		r = check_whole(&c, cfg);
	if (r == 0)
		r = cf_check_webhooks(&c, cfg);
	if (r == 0 && !cfg->state_dir && !(cfg->state_dir = strdup(LR_DEFAULT_STATE_DIR)))
		r = -ENOMEM;
	if (r == 0 && !cfg->sysctl_ifaces)
		r = default_ifaces(cfg);
	if (r == 0 && !(cfg->path = strdup(name)))
		r = -ENOMEM;
	json_object_put(root);
	if (r < 0) {
		if (r == -ENOMEM)
			snprintf(err, errlen, "%s: out of memory", name);
		lr_config_free(cfg);
		return r;
	}
	*out = cfg;
	return 0;
}

/* The file decides what root adds to the host: refuse one that others could have written. */
static int open_config(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		int r = -errno;

		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if ((st.st_mode & 0022) || (st.st_uid != 0 && st.st_uid != geteuid())) {
		snprintf(err, errlen, "%s: refusing a file that users other than root and its owner can "
			 "write (owner uid %u, mode %04o)", path, (unsigned)st.st_uid,
			 (unsigned)(st.st_mode & 07777));
		close(fd);
		return -EPERM;
	}
	return fd;
}

int lr_config_load(const char *path, struct lr_config **out, char *err, size_t errlen)
{
	char *text;
	size_t len;
	int fd = open_config(path, err, errlen), r;

	if (fd < 0)
		return fd;
	r = lr_read_fd(fd, LR_MAX_CONFIG_BYTES, &text, &len);
	close(fd);
	if (r == -EFBIG) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, LR_MAX_CONFIG_BYTES);
		return r;
	}
	if (r < 0) {
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(-r));
		return r;
	}
	r = lr_config_parse(path, text, len, out, err, errlen);
	free(text);
	return r;
}

/* ---- the resolved configuration ---- */

static struct json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

/* Long on purpose: one flat list of the sections and keys, in the order `check` prints them. */
char *lr_config_dump(const struct lr_config *cfg)
{
	struct json_object *root = json_object_new_object(), *o, *a, *insts, *groups;
	char *out;

	json_object_object_add(root, "state_dir", jstr(cfg->state_dir));
	o = json_object_new_object();
	a = json_object_new_array();
	for (size_t i = 0; i < cfg->n_sysctl_ifaces; i++)
		json_object_array_add(a, jstr(cfg->sysctl_ifaces[i]));
	json_object_object_add(o, "interfaces", a);
	for (int d = 0; d < 2; d++) {
		const int *vals = d ? cfg->dir_values : cfg->rs_values;
		struct json_object *v = json_object_new_object();

		for (int k = 0; k < LR_SYSCTL__COUNT; k++)
			json_object_object_add(v, lr_sysctl_key_name(k),
					       vals[k] < 0 ? jstr("found-at-first-look")
							   : json_object_new_int(vals[k]));
		json_object_object_add(o, d ? "director" : "real_server", v);
	}
	json_object_object_add(root, "arp_sysctl", o);
	o = json_object_new_object();
	json_object_object_add(o, "count", json_object_new_int((int)cfg->announce_count));
	json_object_object_add(o, "interval_ms", json_object_new_int((int)cfg->announce_interval_ms));
	json_object_object_add(o, "op", jstr(lr_arp_op_names[cfg->announce_op]));
	json_object_object_add(root, "announce", o);
	insts = json_object_new_object();
	groups = json_object_new_object();
	for (size_t i = 0; i < cfg->n_inst; i++) {
		const struct lr_instance *in = &cfg->inst[i];
		struct json_object *r = json_object_new_object();
		char s[64];

		o = json_object_new_object();
		json_object_object_add(o, "nic", jstr(in->nic));
		json_object_object_add(o, "real_server_device", jstr(in->rs_dev));
		json_object_object_add(o, "nic_vip_owner",
				       jstr(in->owner == LR_OWNER_LVSROLE ? "lvsrole" : "keepalived"));
		a = json_object_new_array();
		for (size_t j = 0; j < in->n_vips; j++) {
			lr_vip_str(&in->vips[j], s, sizeof(s));
			json_object_array_add(a, jstr(s));
		}
		json_object_object_add(o, "vips", a);
		for (int k = 0; k < LR_KSTATE__COUNT; k++)
			json_object_object_add(r, lr_kstate_name(k), jstr(lr_role_name(in->roles[k])));
		json_object_object_add(o, "roles", r);
		json_object_object_add(o, "ipvs", cf_dump_ipvs(&in->ipvs));
		json_object_object_add(in->scope == LR_SCOPE_GROUP ? groups : insts, in->name, o);
	}
	json_object_object_add(root, "instances", insts);
	json_object_object_add(root, "groups", groups);
	if (cfg->n_endpoints)
		json_object_object_add(root, "webhooks", cf_dump_webhooks(cfg));
	o = json_object_new_object();
	json_object_object_add(o, "drift", jstr(lr_drift_mode_name(cfg->plugin.drift)));
	json_object_object_add(o, "drift_check_ms", json_object_new_int((int)cfg->plugin.drift_check_ms));
	json_object_object_add(o, "announce_refresh_s", json_object_new_int((int)cfg->plugin.announce_refresh_s));
	json_object_object_add(o, "conflict_detection", json_object_new_boolean(cfg->plugin.conflict_detection));
	json_object_object_add(o, "conflict_probe_ms", json_object_new_int((int)cfg->plugin.conflict_probe_ms));
	json_object_object_add(root, "plugin", o);
	if (cfg->metrics_file)
		json_object_object_add(root, "metrics_file", jstr(cfg->metrics_file));
	out = strdup(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_SPACED |
							       JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
	return out;
}
