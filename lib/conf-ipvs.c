/* An instance's "ipvs" section (lvsrole.conf(5)): its loop guard. */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confpriv.h"
#include "jsonpos.h"

static const struct {
	const char *name;
	uint8_t proto;
} protos[] = { { "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "sctp", IPPROTO_SCTP } };

const char *lr_proto_name(uint8_t proto)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(*protos); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	return "?";
}

static int p_guard(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	int m = 0, r = cf_parse_enum(c, v, path, lr_guard_mode_names, 0, LR_GUARD__COUNT - 1, &m);

	if (r == 0)
		((struct lr_ipvs_conf *)obj)->guard = (enum lr_guard_mode)m;
	return r;
}

static int p_fwmark(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	int64_t m = 0;
	int r = cf_parse_int64(c, v, path, 1, UINT32_MAX, &m);

	if (r == 0)
		((struct lr_ipvs_conf *)obj)->fwmark = (uint32_t)m;
	return r;
}

/* "tcp/80", "udp/53" or "sctp/3868": one port of one protocol */
static int port(struct ctx *c, const char *path, const char *s, size_t i, void *obj)
{
	struct lr_ipvs_conf *g = obj;
	const char *slash = strchr(s, '/');
	struct lr_port p = { 0 };
	unsigned long n;
	char *end;

	for (size_t k = 0; slash && k < sizeof(protos) / sizeof(*protos); k++)
		if ((size_t)(slash - s) == strlen(protos[k].name) && !strncmp(s, protos[k].name, (size_t)(slash - s)))
			p.proto = protos[k].proto;
	if (!p.proto || slash[1] < '1' || slash[1] > '9')
		return cf_fail(c, path, s, "must be PROTOCOL/PORT: tcp, udp or sctp, and a port 1..65535 (e.g. \"tcp/80\")");
	errno = 0;
	n = strtoul(slash + 1, &end, 10);
	if (errno || *end || n > 65535)
		return cf_fail(c, path, s, "must be PROTOCOL/PORT: tcp, udp or sctp, and a port 1..65535 (e.g. \"tcp/80\")");
	p.port = (uint16_t)n;
	for (size_t k = 0; k < g->n_ports; k++)
		if (g->ports[k].proto == p.proto && g->ports[k].port == p.port)
			return cf_fail(c, path, s, "listed twice");
	g->ports[i] = p;
	g->n_ports++;
	return 0;
}

static int p_ports(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	struct lr_ipvs_conf *g = obj;
	void *a;
	int r = cf_array(c, v, path, LR_MAX_PORTS, "ports", sizeof(*g->ports), &a);

	if (r < 0)
		return r;
	free(g->ports);
	g->ports = a;
	g->n_ports = 0;
	return cf_each_string(c, v, path, port, g);
}

static const struct field ipvs_fields[] = {
	{ "loop_guard", p_guard, 0 },
	{ "fwmark", p_fwmark, 0 },
	{ "ports", p_ports, 0 },
};

int cf_parse_ipvs(struct ctx *c, struct json_object *v, const char *path, void *obj, size_t arg)
{
	struct lr_ipvs_conf *g = &((struct lr_instance *)obj)->ipvs;
	char sub[512];
	int r;

	g->guard = LR_GUARD_FWMARK; /* the recommended guard (doc/ipvs.md) */
	r = cf_parse_fields(c, v, path, g, ipvs_fields, sizeof(ipvs_fields) / sizeof(*ipvs_fields));
	if (r < 0)
		return r;
	snprintf(sub, sizeof(sub), "%s", path);
	if (g->guard == LR_GUARD_FWMARK && !g->fwmark)
		return cf_fail(c, sub, NULL,
			    "missing \"fwmark\": the loop guard \"fwmark\" marks the VIPs' traffic with the mark of keepalived's \"virtual_server fwmark N\"");
	if (g->guard != LR_GUARD_FWMARK && (g->fwmark || g->n_ports)) {
		lr_jpath_key(sub, sizeof(sub), g->fwmark ? "fwmark" : "ports");
		return cf_fail(c, sub, NULL, "only for the loop guard \"fwmark\"");
	}
	return 0;
}

struct json_object *cf_dump_ipvs(const struct lr_ipvs_conf *g)
{
	struct json_object *o = json_object_new_object(), *a;
	char s[16];

	json_object_object_add(o, "loop_guard", json_object_new_string(lr_guard_mode_names[g->guard]));
	if (g->guard != LR_GUARD_FWMARK)
		return o;
	json_object_object_add(o, "fwmark", json_object_new_int64(g->fwmark));
	a = json_object_new_array();
	for (size_t k = 0; k < g->n_ports; k++) {
		snprintf(s, sizeof(s), "%s/%u", lr_proto_name(g->ports[k].proto), g->ports[k].port);
		json_object_array_add(a, json_object_new_string(s));
	}
	json_object_object_add(o, "ports", a);
	return o;
}
