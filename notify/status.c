/* Status: the recorded role of each instance, where each VIP sits, the ARP sysctls, and the
 * changes a switch would make now (drift), computed by the same planner as the switch. */
#include "config.h"
#include "status.h"

#include <errno.h>
#include <signal.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "log.h"
#include "nl.h"
#include "plan.h"
#include "spool.h"
#include "state.h"
#include "host.h"
#include "ipvs.h"
#include "switch.h"

static struct json_object *vip_places(const struct lr_host *host, const struct lr_vip *v)
{
	struct json_object *a = json_object_new_array();

	for (size_t k = 0; k < host->n_addrs; k++) {
		const struct lr_kaddr *ka = &host->addrs[k];
		char buf[48];

		if (!lr_ip_equal(&ka->ip, &v->ip))
			continue;
		snprintf(buf, sizeof(buf), "%s/%u%s", ka->ifname, ka->prefix, ka->deprecated ? " deprecated" : "");
		json_object_array_add(a, json_object_new_string(buf));
	}
	return a;
}

/* What the host does that an operator would not expect and lvsrole cannot change. */
static struct json_object *warnings(const struct lr_config *cfg, const struct lr_host *host)
{
	struct json_object *w = json_object_new_array();
	const struct lr_kaddr *a = lr_host_v6_source_vip(cfg, host);
	struct lr_nl *nl = NULL;
	char msg[320];

	if (a)
		json_object_array_add(w, json_object_new_string(lr_host_v6_source_warning(&a->ip, a->ifname, msg, sizeof(msg))));
	if (host->guard.err) {
		snprintf(msg, sizeof(msg), "lvsrole's nftables table (the loop guard fwmark) could not be read: %s",
			 host->guard.msg);
		json_object_array_add(w, json_object_new_string(msg));
	}
	/* each real-server device once */
	if (lr_nl_open(&nl) < 0)
		nl = NULL;
	for (size_t i = 0; nl && i < cfg->n_inst; i++) {
		bool seen = false;

		for (size_t k = 0; k < i; k++)
			seen |= !strcmp(cfg->inst[k].rs_dev, cfg->inst[i].rs_dev);
		if (!seen && lr_host_rs_dev_warning(nl, cfg->inst[i].rs_dev, msg, sizeof(msg)))
			json_object_array_add(w, json_object_new_string(msg));
	}
	if (nl)
		lr_nl_close(nl);
	return w;
}

/* An instance's loop guard and what lvsrole's table holds of it. */
static struct json_object *guard_view(const struct lr_instance *in, const struct lr_host *host, size_t i)
{
	static const char *const seen[] = { [LR_GUARD_ABSENT] = "absent", [LR_GUARD_EXACT] = "present",
					    [LR_GUARD_STALE] = "stale", [LR_GUARD_UNREADABLE] = "unreadable" };
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "mode", json_object_new_string(lr_guard_mode_names[in->ipvs.guard]));
	if (in->ipvs.guard == LR_GUARD_FWMARK) {
		json_object_object_add(o, "fwmark", json_object_new_int64(in->ipvs.fwmark));
		json_object_object_add(o, "rules", host->guard.seen ? json_object_new_string(seen[host->guard.seen[i]]) : NULL);
	}
	return o;
}

/* IPVS in this namespace: its services, its sync daemons, and (as warnings) the services the
 * loop guards leave open. */
static struct json_object *ipvs_view(const struct lr_config *cfg, struct lr_state *st, struct json_object *warn)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	enum lr_role *roles = calloc(cfg->n_inst + 1, sizeof(*roles));
	struct lr_ipvs ipvs;
	struct lr_ipvs_risk *r = NULL;
	size_t n = 0;
	char msg[512];

	if (!roles || lr_ipvs_read(&ipvs, msg, sizeof(msg)) < 0) {
		if (!roles)
			snprintf(msg, sizeof(msg), "IPVS: %s", strerror(ENOMEM));
		json_object_array_add(warn, json_object_new_string(msg));
		json_object_put(a);
		json_object_object_add(o, "error", json_object_new_string(msg));
		free(roles);
		return o;
	}
	lr_roles_from_state(cfg, st, roles);
	json_object_object_add(o, "loaded", json_object_new_boolean(ipvs.loaded));
	for (size_t k = 0; k < ipvs.n_svc; k++)
		json_object_array_add(a, json_object_new_string(lr_ipvs_service_str(&ipvs.svc[k], msg, sizeof(msg))));
	json_object_object_add(o, "services", a);
	json_object_object_add(o, "sync_daemon", json_object_new_string(
		ipvs.sync_state == 3 ? "master+backup" : ipvs.sync_state == 1 ? "master" : ipvs.sync_state == 2 ? "backup" : "none"));
	json_object_object_add(o, "backup_only", ipvs.backup_only < 0 ? NULL : json_object_new_int(ipvs.backup_only));
	a = json_object_new_array();
	if (lr_ipvs_risks(cfg, roles, &ipvs, &r, &n) == 0)
		for (size_t k = 0; k < n; k++) {
			lr_ipvs_risk_text(cfg, &ipvs, &r[k], msg, sizeof(msg));
			json_object_array_add(a, json_object_new_string(msg));
			json_object_array_add(warn, json_object_new_string(msg));
		}
	json_object_object_add(o, "loop_risks", a);
	free(r);
	free(roles);
	lr_ipvs_free(&ipvs);
	return o;
}

static struct json_object *build(const struct lr_config *cfg, struct lr_state *st,
				 const struct lr_host *host, const struct lr_plan *plan)
{
	struct json_object *root = json_object_new_object(), *insts = json_object_new_array();
	struct json_object *sys = json_object_new_array(), *drift = json_object_new_array(), *warn;

	for (size_t i = 0; i < cfg->n_inst; i++) {
		const struct lr_instance *in = &cfg->inst[i];
		struct lr_record *rec = lr_state_find(st, in->name);
		struct json_object *o = json_object_new_object(), *vips = json_object_new_array();
		char t[40];

		json_object_object_add(o, "name", json_object_new_string(in->name));
		json_object_object_add(o, "scope", json_object_new_string(lr_scope_name(in->scope)));
		json_object_object_add(o, "role", json_object_new_string(lr_role_name(rec ? rec->role : LR_ROLE_UNKNOWN)));
		if (rec) {
			lr_format_time(rec->time_us, t, sizeof(t));
			json_object_object_add(o, "state", rec->kstate == LR_KSTATE_NONE ? NULL
					       : json_object_new_string(lr_kstate_name(rec->kstate)));
			json_object_object_add(o, "priority", rec->priority < 0 ? NULL : json_object_new_int(rec->priority));
			json_object_object_add(o, "seq", json_object_new_int64((int64_t)rec->seq));
			json_object_object_add(o, "time", json_object_new_string(t));
			json_object_object_add(o, "result", json_object_new_string(rec->result));
		}
		for (size_t j = 0; j < in->n_vips; j++) {
			struct json_object *v = json_object_new_object();

			lr_vip_str(&in->vips[j], t, sizeof(t));
			json_object_object_add(v, "vip", json_object_new_string(t));
			json_object_object_add(v, "on", vip_places(host, &in->vips[j]));
			json_object_array_add(vips, v);
		}
		json_object_object_add(o, "vips", vips);
		json_object_object_add(o, "loop_guard", guard_view(in, host, i));
		json_object_array_add(insts, o);
	}
	for (size_t i = 0; i < cfg->n_sysctl_ifaces; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "interface", json_object_new_string(cfg->sysctl_ifaces[i]));
		for (int k = 0; k < LR_SYSCTL__COUNT; k++) {
			int v = host->sys[i].cur[k];

			json_object_object_add(o, lr_sysctl_key_name(k), v < 0 ? NULL : json_object_new_int(v));
		}
		if (host->sys[i].vmac[0])
			json_object_object_add(o, "keepalived_vmac", json_object_new_string(host->sys[i].vmac));
		json_object_array_add(sys, o);
	}
	for (size_t i = 0; i < plan->n; i++) {
		char d[160];

		json_object_array_add(drift, json_object_new_string(lr_step_describe(cfg, &plan->steps[i], d, sizeof(d))));
	}
	json_object_object_add(root, "instances", insts);
	json_object_object_add(root, "sysctls", sys);
	json_object_object_add(root, "warnings", warnings(cfg, host));
	json_object_object_get_ex(root, "warnings", &warn);
	json_object_object_add(root, "ipvs", ipvs_view(cfg, st, warn));
	json_object_object_add(root, "drift", drift);
	json_object_object_add(root, "converged", json_object_new_boolean(plan->n == 0));
	return root;
}

/* The reports each endpoint still waits for, and since when (the oldest): with notify hooks
 * only, what a delivery could not send waits for the next switch or a flush. NULL when the
 * spool does not exist (nothing was ever reported). */
static struct json_object *webhooks_view(const struct lr_config *cfg)
{
	struct json_object *root;
	struct lr_spool *sp;
	struct stat st;

	if (!cfg->n_endpoints || stat(cfg->spool_dir, &st) < 0 || lr_spool_open(cfg->spool_dir, &sp) < 0)
		return NULL;
	root = json_object_new_object();
	for (size_t i = 0; i < cfg->n_endpoints; i++) {
		const char *name = cfg->endpoints[i].name;
		struct json_object *o = json_object_new_object();
		struct lr_spool_entry *v = NULL;
		size_t n = 0;
		int dead = lr_spool_count(sp, name, true);
		char t[40];

		if (lr_spool_list(sp, name, false, &v, &n) < 0)
			n = 0;
		json_object_object_add(o, "pending", json_object_new_int64((int64_t)n));
		json_object_object_add(o, "dead", json_object_new_int(dead < 0 ? 0 : dead));
		if (n) {
			lr_format_time(v[0].first_ms * 1000u, t, sizeof(t));
			json_object_object_add(o, "oldest_seq", json_object_new_int64((int64_t)v[0].seq));
			json_object_object_add(o, "waiting_since", json_object_new_string(t));
			json_object_object_add(o, "attempts", json_object_new_int((int)v[0].attempts));
			json_object_object_add(o, "last_error", v[0].last_error[0] ? json_object_new_string(v[0].last_error) : NULL);
		}
		free(v);
		json_object_object_add(root, name, o);
	}
	lr_spool_close(sp);
	return root;
}

static void print_webhooks(struct json_object *root)
{
	struct json_object *w;

	if (!json_object_object_get_ex(root, "webhooks", &w) || !w)
		return;
	json_object_object_foreach(w, name, o) {
		struct json_object *p, *d, *since, *att, *err;

		json_object_object_get_ex(o, "pending", &p);
		json_object_object_get_ex(o, "dead", &d);
		printf("webhooks: %s: %s report(s) waiting", name, json_object_get_string(p));
		if (json_object_object_get_ex(o, "waiting_since", &since) && since) {
			json_object_object_get_ex(o, "attempts", &att);
			printf(" since %s (%s attempt(s)", json_object_get_string(since), json_object_get_string(att));
			if (json_object_object_get_ex(o, "last_error", &err) && err)
				printf(", last: %s", json_object_get_string(err));
			printf(")");
		}
		printf(", %s dead\n", json_object_get_string(d));
	}
}

/* The plugin's view: plugin.json, and whether the process that wrote it still runs. */

static struct json_object *plugin_view(const struct lr_config *cfg)
{
	static const char *const kinds[] = { "state", "priority", "checker", "bad", "ignored" };
	struct lr_statedir *sd;
	struct lr_plugin_info pi;
	struct json_object *o, *l;
	bool alive;
	int r = lr_statedir_open_ro(cfg->state_dir, &sd);

	if (r == 0) {
		r = lr_plugin_info_read(sd, &pi);
		lr_statedir_close(sd);
	}
	if (r < 0)
		return NULL;
	alive = pi.running && lr_plugin_alive(pi.pid);
	o = json_object_new_object();
	json_object_object_add(o, "running", json_object_new_boolean(alive));
	json_object_object_add(o, "pid", json_object_new_int64(pi.pid));
	json_object_object_add(o, "started", json_object_new_string(pi.started));
	if (!alive)
		json_object_object_add(o, "stopped", pi.stopped[0] ? json_object_new_string(pi.stopped) : NULL);
	if (!alive)
		json_object_object_add(o, "how", json_object_new_string(pi.running ? "died" : pi.how));
	json_object_object_add(o, "fifo", json_object_new_string(pi.fifo));
	l = json_object_new_object();
	for (size_t k = 0; k < 5; k++)
		json_object_object_add(l, kinds[k], json_object_new_int64((int64_t)pi.lines[k]));
	json_object_object_add(o, "lines", l);
	json_object_object_add(o, "last_line", pi.last_line[0] ? json_object_new_string(pi.last_line) : NULL);
	json_object_object_add(o, "last_line_time", pi.last_line_time[0] ? json_object_new_string(pi.last_line_time) : NULL);
	json_object_object_add(o, "last_event", pi.last_event[0] ? json_object_new_string(pi.last_event) : NULL);
	json_object_object_add(o, "drift", json_object_new_string(pi.drift));
	return o;
}

static void print_plugin(struct json_object *root)
{
	struct json_object *o, *v, *l;

	if (!json_object_object_get_ex(root, "plugin", &o) || !o) {
		printf("plugin: no lvsrole-plugin has run with this state directory\n");
		return;
	}
#define S(obj, key) (json_object_object_get_ex(obj, key, &v) && v ? json_object_get_string(v) : "-")
	json_object_object_get_ex(o, "running", &v);
	if (json_object_get_boolean(v))
		printf("plugin: running (pid %s since %s, FIFO %s, drift %s)\n", S(o, "pid"), S(o, "started"),
		       S(o, "fifo"), S(o, "drift"));
	else
		printf("plugin: not running (pid %s, started %s, ended %s: %s)\n", S(o, "pid"), S(o, "started"),
		       S(o, "stopped"), S(o, "how"));
	json_object_object_get_ex(o, "lines", &l);
	printf("  lines: %s state, %s priority, %s checker, %s bad, %s ignored\n", S(l, "state"),
	       S(l, "priority"), S(l, "checker"), S(l, "bad"), S(l, "ignored"));
	if (json_object_object_get_ex(o, "last_line", &l) && l)
		printf("  last line: %s at %s\n", json_object_get_string(l), S(o, "last_line_time"));
	if (json_object_object_get_ex(o, "last_event", &v) && v)
		printf("  last event: %s\n", json_object_get_string(v));
#undef S
}

/* "instance VI_1: role director (...)", then where each of its VIPs is. */
static void print_instance(struct json_object *o)
{
	struct json_object *v, *vips, *g, *r;

#define S(key) (json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : "-")
	printf("%s %s: role %s", S("scope"), S("name"), S("role"));
	if (json_object_object_get_ex(o, "seq", &v))
		printf(" (state %s, priority %s, event #%s at %s, %s)", S("state"), S("priority"),
		       S("seq"), S("time"), S("result"));
	printf("\n");
	if (json_object_object_get_ex(o, "loop_guard", &v) && json_object_object_get_ex(v, "fwmark", &g)) {
		json_object_object_get_ex(v, "rules", &r);
		printf("  loop guard fwmark %s: rules %s\n", json_object_get_string(g), r ? json_object_get_string(r) : "-");
	}
#undef S
	json_object_object_get_ex(o, "vips", &vips);
	for (size_t j = 0; j < json_object_array_length(vips); j++) {
		struct json_object *e = json_object_array_get_idx(vips, j), *vip, *on;

		json_object_object_get_ex(e, "vip", &vip);
		json_object_object_get_ex(e, "on", &on);
		printf("  %-24s on: ", json_object_get_string(vip));
		if (json_object_array_length(on) == 0)
			printf("(nowhere)");
		for (size_t k = 0; k < json_object_array_length(on); k++)
			printf("%s%s", k ? ", " : "", json_object_get_string(json_object_array_get_idx(on, k)));
		printf("\n");
	}
}

/* "ipvs: 2 service(s): FWM 1, TCP 10.0.0.50:80; sync daemon: backup" (when loaded) */
static void print_ipvs(struct json_object *root)
{
	struct json_object *o, *loaded, *svc, *sd;

	if (!json_object_object_get_ex(root, "ipvs", &o) || !json_object_object_get_ex(o, "loaded", &loaded) ||
	    !json_object_get_boolean(loaded))
		return;
	json_object_object_get_ex(o, "services", &svc);
	json_object_object_get_ex(o, "sync_daemon", &sd);
	printf("ipvs: %zu service(s)", json_object_array_length(svc));
	for (size_t i = 0; i < json_object_array_length(svc); i++)
		printf("%s%s", i ? ", " : ": ", json_object_get_string(json_object_array_get_idx(svc, i)));
	printf("; sync daemon: %s\n", json_object_get_string(sd));
}

static void print_text(struct json_object *root)
{
	struct json_object *insts, *sys, *drift, *warn;

	json_object_object_get_ex(root, "instances", &insts);
	json_object_object_get_ex(root, "sysctls", &sys);
	json_object_object_get_ex(root, "drift", &drift);
	for (size_t i = 0; i < json_object_array_length(insts); i++)
		print_instance(json_object_array_get_idx(insts, i));
	printf("arp sysctls:");
	for (size_t i = 0; i < json_object_array_length(sys); i++) {
		struct json_object *o = json_object_array_get_idx(sys, i), *n, *ig, *an;

		json_object_object_get_ex(o, "interface", &n);
		json_object_object_get_ex(o, "arp_ignore", &ig);
		json_object_object_get_ex(o, "arp_announce", &an);
		printf(" %s=%s/%s", json_object_get_string(n), ig ? json_object_get_string(ig) : "?",
		       an ? json_object_get_string(an) : "?");
	}
	printf(" (arp_ignore/arp_announce)\n");
	print_ipvs(root);
	json_object_object_get_ex(root, "warnings", &warn);
	for (size_t i = 0; i < json_object_array_length(warn); i++)
		printf("warning: %s\n", json_object_get_string(json_object_array_get_idx(warn, i)));
	for (size_t i = 0; i < json_object_array_length(sys); i++) {
		struct json_object *o = json_object_array_get_idx(sys, i), *n, *vm;

		json_object_object_get_ex(o, "interface", &n);
		if (json_object_object_get_ex(o, "keepalived_vmac", &vm))
			printf("  %s: keepalived VMAC %s: arp_ignore stays 1 or more there (use_vmac relies on it)\n",
			       json_object_get_string(n), json_object_get_string(vm));
	}
	print_plugin(root);
	print_webhooks(root);
	if (json_object_array_length(drift) == 0) {
		printf("converged: the host matches the recorded roles\n");
		return;
	}
	printf("drift: %zu change(s) needed to match the recorded roles:\n", json_object_array_length(drift));
	for (size_t i = 0; i < json_object_array_length(drift); i++)
		printf("  %s\n", json_object_get_string(json_object_array_get_idx(drift, i)));
}

/* The recorded roles (none when the state directory does not exist yet); an exit code. */
static int load_records(const struct lr_config *cfg, struct lr_state *st)
{
	struct lr_statedir *sd = NULL;
	char err[320];
	int r = lr_statedir_open_ro(cfg->state_dir, &sd);

	if (r < 0 && r != -ENOENT) {
		char why[160];

		log_err("state directory %s: %s", cfg->state_dir, lr_dir_refusal(cfg->state_dir, r, why, sizeof(why)));
		return LR_EXIT_STATE;
	}
	r = sd ? lr_state_load(sd, st, err, sizeof(err)) : 0;
	lr_statedir_close(sd);
	if (r < 0) {
		log_err("%s", err);
		return LR_EXIT_STATE;
	}
	return LR_EXIT_OK;
}

/* The host as the kernel shows it, and the changes that would make it match the records. */
static int read_drift(const struct lr_config *cfg, struct lr_state *st, struct lr_host *host, struct lr_plan *plan)
{
	enum lr_role *roles;
	struct lr_nl *nl;
	int r = lr_nl_open(&nl);

	if (r == 0) {
		r = lr_host_read(cfg, nl, st, host);
		lr_nl_close(nl);
	}
	if (r < 0) {
		log_err_errno(r, "cannot read the host's addresses");
		return LR_EXIT_FAILED;
	}
	roles = calloc(cfg->n_inst + 1, sizeof(*roles));
	r = roles ? 0 : -ENOMEM;
	if (r == 0) {
		lr_roles_from_state(cfg, st, roles);
		r = lr_plan_compute(cfg, roles, NULL, host, plan);
	}
	free(roles);
	if (r < 0) {
		lr_host_free(host);
		return LR_EXIT_FAILED;
	}
	return LR_EXIT_OK;
}

int lr_status(const struct lr_config *cfg, bool json)
{
	struct lr_state st = { 0 };
	struct lr_host host;
	struct lr_plan plan;
	struct json_object *root;
	int code = load_records(cfg, &st);

	if (code == LR_EXIT_OK)
		code = read_drift(cfg, &st, &host, &plan);
	if (code != LR_EXIT_OK) {
		lr_state_free(&st);
		return code;
	}
	root = build(cfg, &st, &host, &plan);
	json_object_object_add(root, "plugin", plugin_view(cfg));
	json_object_object_add(root, "webhooks", webhooks_view(cfg));
	if (json)
		printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_text(root);
	code = plan.n ? LR_EXIT_DRIFT : LR_EXIT_OK;
	json_object_put(root);
	lr_plan_free(&plan);
	lr_host_free(&host);
	lr_state_free(&st);
	return code;
}
