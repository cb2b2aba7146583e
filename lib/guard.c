/* The loop guard "fwmark": lvsrole's nftables rules (guard.h). Each rule carries the comment
 * "INSTANCE HASH", HASH a digest of the rule's text: a rule is the configured one when its
 * digest is that of the configuration's rule, so that a change of VIPs, ports or mark
 * replaces it. */
#include "config.h"
#include "guard.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nft.h"
#include "state.h"
#include "util.h"

#define MARKER "nft-table"

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ULL;
	return h;
}

/* The match on the VIPs of one family: "ip daddr { a, b }"; false when there is none. */
static bool daddr_match(FILE *f, const struct lr_instance *in, int family)
{
	char a[INET6_ADDRSTRLEN];
	bool any = false;

	for (size_t j = 0; j < in->n_vips; j++) {
		if (in->vips[j].ip.family != family)
			continue;
		fprintf(f, "%s%s", any ? ", " : family == AF_INET ? "ip daddr { " : "ip6 daddr { ",
			lr_ip_str(&in->vips[j].ip, a, sizeof(a)));
		any = true;
	}
	if (any)
		fputs(" }", f);
	return any;
}

/* An instance's rules: one per family and protocol. */
struct rules {
	char *text[6]; /* "ip daddr { ... } meta l4proto tcp th dport { 80 } meta mark set 0x1" */
	char hash[6][17];
	size_t n;
};

static void rules_free(struct rules *r)
{
	for (size_t k = 0; k < r->n; k++)
		free(r->text[k]);
	r->n = 0;
}

/* The rule for one family and, with ports, one protocol (l4 0: every protocol); NULL when
 * it has nothing to match or without memory (*oom). */
static char *rule_of(const struct lr_instance *in, int family, uint8_t l4, bool *oom)
{
	char *buf = NULL;
	size_t len = 0;
	bool any = false;
	FILE *f;

	for (size_t k = 0; k < in->ipvs.n_ports; k++)
		any |= in->ipvs.ports[k].proto == l4;
	if (l4 && !any)
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f) {
		*oom = true;
		return NULL;
	}
	any = daddr_match(f, in, family);
	for (size_t k = 0, first = 1; any && l4 && k < in->ipvs.n_ports; k++)
		if (in->ipvs.ports[k].proto == l4) {
			if (first)
				fprintf(f, " meta l4proto %s th dport { %u", lr_proto_name(l4), in->ipvs.ports[k].port);
			else
				fprintf(f, ", %u", in->ipvs.ports[k].port);
			first = 0;
		}
	fprintf(f, "%s meta mark set 0x%x", l4 ? " }" : "", in->ipvs.fwmark);
	if (fclose(f) != 0) {
		*oom = true;
		free(buf);
		return NULL;
	}
	if (!any) {
		free(buf);
		return NULL;
	}
	return buf;
}

static int rules_of(const struct lr_instance *in, struct rules *out)
{
	static const int families[] = { AF_INET, AF_INET6 };
	static const uint8_t l4[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };
	bool oom = false;

	memset(out, 0, sizeof(*out));
	for (size_t fi = 0; fi < 2; fi++)
		for (size_t p = 0; p < (in->ipvs.n_ports ? 3 : 1); p++) {
			char *t = rule_of(in, families[fi], in->ipvs.n_ports ? l4[p] : 0, &oom);

			if (!t)
				continue;
			out->text[out->n] = t;
			snprintf(out->hash[out->n], sizeof(out->hash[0]), "%016llx",
				 (unsigned long long)fnv1a(t, strlen(t)));
			out->n++;
		}
	if (oom) {
		rules_free(out);
		return -ENOMEM;
	}
	return 0;
}

/* A rule lvsrole's table holds: its handle and comment's two words. */
struct kernel_rule {
	int64_t handle;
	char name[LR_MAX_NAME + 1];
	char hash[17];
};

/* The rules of lvsrole's chain, from libnftables' JSON listing of the table. -ENOENT: no
 * table. */
static int list_rules(struct kernel_rule **out, size_t *n, char *msg, size_t len)
{
	char *text = NULL;
	struct json_object *root, *items;
	int r = lr_nft_run("list table inet " LR_GUARD_TABLE, &text, msg, len);

	*out = NULL;
	*n = 0;
	if (r < 0)
		return r;
	root = json_tokener_parse(text);
	free(text);
	if (!json_object_object_get_ex(root, "nftables", &items) || !json_object_is_type(items, json_type_array)) {
		json_object_put(root);
		snprintf(msg, len, "nftables: the listing of table inet %s is not what libnftables gives", LR_GUARD_TABLE);
		return -EPROTO;
	}
	*out = calloc(json_object_array_length(items) + 1, sizeof(**out));
	if (!*out) {
		json_object_put(root);
		return -ENOMEM;
	}
	for (size_t k = 0; k < json_object_array_length(items); k++) {
		struct json_object *rule, *v;
		struct kernel_rule *kr = &(*out)[*n];
		const char *comment = "", *sp;

		/* the rules of lvsrole's chain only: the commands name it */
		if (!json_object_object_get_ex(json_object_array_get_idx(items, k), "rule", &rule) ||
		    !json_object_object_get_ex(rule, "chain", &v) || !json_object_is_type(v, json_type_string) ||
		    strcmp(json_object_get_string(v), LR_GUARD_CHAIN) || !json_object_object_get_ex(rule, "handle", &v))
			continue;
		kr->handle = json_object_get_int64(v);
		if (json_object_object_get_ex(rule, "comment", &v) && json_object_is_type(v, json_type_string))
			comment = json_object_get_string(v);
		sp = strrchr(comment, ' ');
		if (sp && (size_t)(sp - comment) <= LR_MAX_NAME && strlen(sp + 1) == 16) {
			memcpy(kr->name, comment, (size_t)(sp - comment));
			memcpy(kr->hash, sp + 1, 16);
		}
		(*n)++;
	}
	json_object_put(root);
	return 0;
}

/* The instance a rule belongs to (with the fwmark guard), or -1: an orphan. */
static int owner_of(const struct lr_config *cfg, const struct kernel_rule *kr)
{
	size_t i;

	if (!kr->name[0] || !lr_config_find(cfg, kr->name, &i) || cfg->inst[i].ipvs.guard != LR_GUARD_FWMARK)
		return -1;
	return (int)i;
}

/* The index of hash among the configured rules', or -1. */
static int hash_index(const struct rules *rs, const char *hash)
{
	for (size_t k = 0; k < rs->n; k++)
		if (!strcmp(rs->hash[k], hash))
			return (int)k;
	return -1;
}

static char *marker_path(const struct lr_config *cfg)
{
	char *p = NULL;

	return asprintf(&p, "%s/" MARKER, cfg->state_dir) < 0 ? NULL : p;
}

/* The marker holds the boot's id: a table of an earlier boot went with it (a state directory
 * that outlives reboots keeps the marker). */
bool lr_guard_wanted(const struct lr_config *cfg)
{
	char *p, *text = NULL;
	bool found;

	for (size_t i = 0; i < cfg->n_inst; i++)
		if (cfg->inst[i].ipvs.guard == LR_GUARD_FWMARK)
			return true;
	p = marker_path(cfg);
	found = p && lr_read_file(p, 64, &text, NULL) == 0 && *lr_boot_id() && !strncmp(text, lr_boot_id(), 36);
	free(text);
	free(p);
	return found;
}

int lr_guard_read(const struct lr_config *cfg, struct lr_guard_read *g)
{
	struct kernel_rule *kr;
	size_t n, *exact, *stale;
	unsigned *matched; /* per instance: which of its rules are there (bit k: rule k) */
	int r;

	memset(g, 0, sizeof(*g));
	g->seen = calloc(cfg->n_inst + 1, sizeof(*g->seen));
	exact = calloc(2 * (cfg->n_inst + 1), sizeof(*exact));
	matched = calloc(cfg->n_inst + 1, sizeof(*matched));
	if (!g->seen || !exact || !matched) {
		free(exact);
		free(matched);
		lr_guard_read_free(g);
		return -ENOMEM;
	}
	stale = exact + cfg->n_inst + 1;
	r = list_rules(&kr, &n, g->msg, sizeof(g->msg));
	if (r < 0 && r != -ENOENT) {
		g->err = r;
		for (size_t i = 0; i < cfg->n_inst; i++)
			g->seen[i] = LR_GUARD_UNREADABLE;
		free(exact);
		free(matched);
		return r == -ENOMEM ? r : 0;
	}
	g->table = r == 0;
	for (size_t k = 0; k < n; k++) {
		int i = owner_of(cfg, &kr[k]);
		struct rules rs;

		if (i < 0) {
			g->orphans++;
			continue;
		}
		if (rules_of(&cfg->inst[i], &rs) < 0) {
			free(kr);
			free(exact);
			free(matched);
			lr_guard_read_free(g);
			return -ENOMEM;
		}
		r = hash_index(&rs, kr[k].hash);
		(r >= 0 ? exact : stale)[i]++;
		if (r >= 0)
			matched[i] |= 1u << r;
		rules_free(&rs);
	}
	free(kr);
	for (size_t i = 0; i < cfg->n_inst; i++) {
		struct rules rs;

		if (cfg->inst[i].ipvs.guard != LR_GUARD_FWMARK || rules_of(&cfg->inst[i], &rs) < 0)
			continue;
		/* each configured rule once, and nothing else */
		g->seen[i] = !exact[i] && !stale[i] ? LR_GUARD_ABSENT
			     : !stale[i] && exact[i] == rs.n && matched[i] == (1u << rs.n) - 1 ? LR_GUARD_EXACT
			     : LR_GUARD_STALE;
		rules_free(&rs);
	}
	free(exact);
	free(matched);
	return 0;
}

void lr_guard_read_free(struct lr_guard_read *g)
{
	free(g->seen);
	g->seen = NULL;
}

/* The commands that make instance i's rules present or absent (i < 0: the orphans gone),
 * given the rules the kernel holds; *drop (asked for): they delete the table, as no rule is
 * left. */
static int commands(const struct lr_config *cfg, int i, bool on, const struct kernel_rule *kr, size_t n,
		    FILE *f, bool *drop)
{
	size_t kept = 0;
	struct rules rs;

	for (size_t k = 0; k < n; k++)
		kept += owner_of(cfg, &kr[k]) != i;
	*drop = *drop && !on && kept == 0;
	if (*drop) {
		fprintf(f, "delete table inet %s\n", LR_GUARD_TABLE);
		return 0;
	}
	for (size_t k = 0; k < n; k++)
		if (owner_of(cfg, &kr[k]) == i)
			fprintf(f, "delete rule inet %s %s handle %lld\n", LR_GUARD_TABLE, LR_GUARD_CHAIN,
				(long long)kr[k].handle);
	if (!on)
		return 0;
	if (rules_of(&cfg->inst[i], &rs) < 0)
		return -ENOMEM;
	/* prerouting at priority mangle: the mark is set before IPVS looks at the packet (at
	 * local in) */
	fprintf(f, "add table inet %s\nadd chain inet %s %s { type filter hook prerouting priority mangle; policy accept; }\n",
		LR_GUARD_TABLE, LR_GUARD_TABLE, LR_GUARD_CHAIN);
	for (size_t k = 0; k < rs.n; k++)
		fprintf(f, "add rule inet %s %s %s comment \"%s %s\"\n", LR_GUARD_TABLE, LR_GUARD_CHAIN, rs.text[k],
			cfg->inst[i].name, rs.hash[k]);
	rules_free(&rs);
	return 0;
}

/* The marker says lvsrole's table exists in this boot (lr_guard_wanted): made before the
 * table, removed after it. */
static void marker_set(const struct lr_config *cfg, bool present)
{
	char *p = marker_path(cfg);
	const char *id = lr_boot_id();
	int fd;

	if (!p)
		return;
	if (!present) {
		unlink(p);
	} else if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) >= 0) {
		if (write(fd, id, strlen(id)) < 0) {
			/* an unwritten marker only means a removed guard's rules are not looked for */
		}
		close(fd);
	}
	free(p);
}

int lr_guard_set(const struct lr_config *cfg, int i, bool on, bool drop_ok, char *msg, size_t len)
{
	struct kernel_rule *kr = NULL;
	size_t n = 0, blen = 0;
	char *buf = NULL;
	bool drop = drop_ok;
	FILE *f;
	int r = list_rules(&kr, &n, msg, len);

	if (r == -ENOENT && !on) {
		if (drop_ok)
			marker_set(cfg, false);
		return 0; /* no table: nothing to remove */
	}
	if (r < 0 && r != -ENOENT)
		return r;
	f = open_memstream(&buf, &blen);
	if (!f) {
		free(kr);
		return -ENOMEM;
	}
	r = commands(cfg, i, on, kr, n, f, &drop);
	free(kr);
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r == 0 && on)
		marker_set(cfg, true);
	if (r == 0 && buf[0])
		r = lr_nft_run(buf, NULL, msg, len);
	if (r == 0 && drop)
		marker_set(cfg, false);
	free(buf);
	return r;
}
