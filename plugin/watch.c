/* Between keepalived's events: drift (the host no longer matches the recorded roles: netlink
 * tells at once, a periodic check catches sysctls) and split brain (another MAC claims a VIP
 * this host directs: probes around takeover, a passive ARP watch while directing). */
#include "config.h"
#include "plugin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "announce.h"
#include "deliver.h"
#include "log.h"
#include "nl.h"
#include "report.h"
#include "util.h"

#define DRIFT_DEBOUNCE_US 20000            /* netlink events come in bursts */
#define DRIFT_RETRY_US 100000              /* the switch lock was busy */
#define DRIFT_HOLDOFF_US (5 * 1000000ull)  /* after a repair that did not succeed */
#define CONFLICT_QUIET_US (60 * 1000000ull) /* one report per instance and MAC per minute */
#define DELIVER_NOW_US (5 * 1000000ull)    /* retries ignoring the backoff after a link change */

int lr_plugin_watch_open(struct lr_plugin *p)
{
	const struct lr_plugin_conf *pc = &p->cfg->plugin;
	int r;

	/* address changes for drift, link changes for drift and the announcements */
	if ((pc->drift != LR_DRIFT_OFF || p->cfg->announce_count) && !p->mon) {
		r = lr_nl_monitor_open(&p->mon);
		if (r < 0)
			log_warn_errno(r, "cannot watch address and link changes (drift is then found by the periodic check only, "
				       "and a NIC running again is not announced on)");
	}
	if (pc->conflict_detection && p->arp_fd < 0) {
		p->arp_fd = lr_arpwatch_open();
		if (p->arp_fd < 0) {
			log_warn_errno(p->arp_fd, "cannot watch ARP for VIP conflicts%s",
				       p->arp_fd == -EPERM ? " (needs CAP_NET_RAW)" : "");
			p->arp_fd = -1;
		}
	}
	p->drift_due_us = lr_now_us(); /* converge at once from what a previous run recorded */
	return 0;
}

void lr_plugin_watch_close(struct lr_plugin *p)
{
	lr_nl_monitor_close(p->mon);
	p->mon = NULL;
	if (p->arp_fd >= 0)
		close(p->arp_fd);
	p->arp_fd = -1;
}

/* A director's NIC running again (a cable, a switch port, ifdown/ifup): the neighbours may have
 * forgotten the VIPs or learnt them elsewhere, and announcements made meanwhile failed
 * (ENETDOWN): the announce schedule again, as after a takeover. */
static void link_watch(struct lr_plugin *p)
{
	const struct lr_config *cfg = p->cfg;
	uint64_t now = lr_now_us();

	for (size_t i = 0; i < cfg->n_inst; i++) {
		struct lr_view *v = &p->views[i];
		bool down = lr_nl_link_running(p->nl, cfg->inst[i].nic) <= 0;

		if (v->nic_down && !down && v->role == LR_ROLE_DIRECTOR && cfg->announce_count) {
			log_info("%s: %s is running again: announcing its VIPs", cfg->inst[i].name, cfg->inst[i].nic);
			v->ann_left = cfg->announce_count;
			v->ann_next_us = now;
		} else if (!v->nic_down && down && v->role == LR_ROLE_DIRECTOR) {
			log_warn("%s: %s is not running: its VIPs are announced again once it runs",
				 cfg->inst[i].name, cfg->inst[i].nic);
		}
		v->nic_down = down;
	}
}

void lr_plugin_netlink(struct lr_plugin *p)
{
	uint64_t due;

	if (!p->mon || lr_nl_monitor_drain(p->mon) <= 0)
		return;
	lr_nl_refresh_links(p->nl); /* interfaces may have come, gone or changed address */
	link_watch(p);
	/* reports waiting for a retry may be waiting for this very link: try them now, but not
	 * more than every few seconds (every switch of ours shows here too) */
	if (p->d && lr_deliver_next_ms(p->d) && lr_now_us() >= p->deliver_now_us + DELIVER_NOW_US)
		p->deliver_now = true;
	due = lr_now_us() + DRIFT_DEBOUNCE_US;
	if (due < p->drift_hold_us) /* a repair failed: not before its retry time */
		due = p->drift_hold_us;
	if (p->cfg->plugin.drift != LR_DRIFT_OFF && (!p->drift_due_us || due < p->drift_due_us))
		p->drift_due_us = due;
}

/* The same drift found again (a report-only drift persists): report it once. */
static uint64_t drift_signature(const struct lr_config *cfg, const struct lr_switch *sw)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < sw->n_events; i++)
		for (size_t j = 0; j < sw->events[i].plan.n; j++) {
			char d[160];

			for (const char *c = lr_step_describe(cfg, &sw->events[i].plan.steps[j], d, sizeof(d)); *c; c++)
				h = (h ^ (unsigned char)*c) * 1099511628211ull;
		}
	return h ? h : 1;
}

/* A drift event: counted, logged (with what a repair would do when drift only reports). */
static void drift_seen(struct lr_plugin *p, const struct lr_event *ev, bool repair)
{
	struct lr_view *v = &p->views[ev->inst];

	v->drifts++;
	v->drift_repairs += repair && (ev->result == LR_RESULT_OK || ev->result == LR_RESULT_NOOP);
	if (repair)
		log_warn("%s: drift: the host no longer matched the %s role: %zu change(s) made, %s in %llu us",
			 ev->name, lr_role_name(ev->role), lr_plan_changes(&ev->plan),
			 lr_result_name(ev->result), (unsigned long long)ev->duration_us);
	else
		log_warn("%s: drift: the host no longer matches the %s role (%zu change(s) needed; drift = report, not repaired)",
			 ev->name, lr_role_name(ev->role), lr_plan_changes(&ev->plan));
	for (size_t j = 0; !repair && j < ev->plan.n; j++) {
		char d[160];

		log_warn("%s: drift: would %s", ev->name, lr_step_describe(p->cfg, &ev->plan.steps[j], d, sizeof(d)));
	}
	snprintf(p->last_event, sizeof(p->last_event), "%s drift (%s): %s", ev->name,
		 repair ? "repair" : "report", lr_result_name(ev->result));
}

static void drift_check(struct lr_plugin *p, uint64_t now)
{
	const struct lr_config *cfg = p->cfg;
	bool repair = cfg->plugin.drift == LR_DRIFT_REPAIR, any = false, ok = true;
	struct lr_report rp = { .commit_fd = -1 };
	struct lr_report_arg ra = { cfg, &rp };
	struct lr_request req = { .source = "drift", .an = p->an };
	struct lr_switch sw;
	uint64_t sig;
	int r;

	lr_plugin_views_refresh(p);
	for (size_t i = 0; i < cfg->n_inst; i++)
		any |= p->views[i].role != LR_ROLE_UNKNOWN;
	if (!any)
		return; /* nothing recorded: nothing to hold the host to */
	if (cfg->n_endpoints) {
		req.before_unlock = lr_report_begin_hook;
		req.arg = &ra;
	}
	r = lr_switch_converge(cfg, &req, repair, &sw);
	if (r < 0) {
		if (sw.fail == LR_FAIL_STATE && r == -ETIMEDOUT)
			p->drift_due_us = now + DRIFT_RETRY_US;
		else
			log_warn("drift check: %s", sw.err);
		lr_report_end(&rp);
		lr_switch_clear(&sw);
		return;
	}
	if (sw.n_events == 0) {
		p->drift_sig = 0;
		lr_report_end(&rp);
		lr_switch_clear(&sw);
		return;
	}
	sig = drift_signature(cfg, &sw);
	for (size_t i = 0; i < sw.n_events; i++)
		ok &= sw.events[i].result == LR_RESULT_OK || sw.events[i].result == LR_RESULT_NOOP;
	if (!repair && sig == p->drift_sig) {
		lr_report_end(&rp); /* known and reported already */
		lr_switch_clear(&sw);
		return;
	}
	for (size_t i = 0; i < sw.n_events; i++)
		drift_seen(p, &sw.events[i], repair);
	if (repair && !ok) {
		p->drift_due_us = 0;
		p->drift_next_us = p->drift_hold_us = now + DRIFT_HOLDOFF_US;
	}
	p->drift_sig = repair && ok ? 0 : sig;
	p->metrics_dirty = p->status_dirty = true;
	lr_plugin_report(p, sw.events, sw.n_events, &rp);
	lr_switch_clear(&sw);
}

uint64_t lr_plugin_drift_due(struct lr_plugin *p, uint64_t now)
{
	const struct lr_config *cfg = p->cfg;

	if (cfg->plugin.drift == LR_DRIFT_OFF)
		return 0;
	if ((p->drift_due_us && now >= p->drift_due_us) || now >= p->drift_next_us) {
		p->drift_due_us = 0;
		p->drift_next_us = now + (uint64_t)cfg->plugin.drift_check_ms * 1000u;
		drift_check(p, now);
	}
	return p->drift_due_us && p->drift_due_us < p->drift_next_us ? p->drift_due_us : p->drift_next_us;
}

/* ---- split brain ---- */

static int nic_of(struct lr_plugin *p, size_t i, int *ifindex, uint8_t mac[6])
{
	const char *nic = p->cfg->inst[i].nic;

	*ifindex = lr_nl_ifindex(p->nl, nic);
	if (*ifindex < 0)
		return *ifindex;
	return lr_nl_hwaddr(p->nl, nic, mac);
}

static void send_probes(struct lr_plugin *p, size_t i)
{
	const struct lr_instance *in = &p->cfg->inst[i];
	uint8_t mac[6];
	int ifindex, r = nic_of(p, i, &ifindex, mac);

	for (size_t j = 0; r == 0 && j < in->n_vips; j++)
		if (in->vips[j].ip.family == AF_INET)
			r = lr_arp_probe(p->an, ifindex, mac, &in->vips[j].ip);
	if (r < 0)
		log_warn_errno(r, "%s: cannot probe its VIPs on %s", in->name, in->nic);
}

void lr_plugin_probe(struct lr_plugin *p, size_t inst, bool before)
{
	struct lr_view *v = &p->views[inst];

	if (p->arp_fd < 0)
		return;
	send_probes(p, inst);
	/* answers within the window are claims, even before the role is taken */
	v->probe_until_us = lr_now_us() + (uint64_t)p->cfg->plugin.conflict_probe_ms * 1000u;
	(void)before;
}

void lr_plugin_detected(struct lr_plugin *p, size_t i, enum lr_event_type type, struct lr_event *ev)
{
	const struct lr_instance *in = &p->cfg->inst[i];
	const struct lr_view *v = &p->views[i];

	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->inst = i;
	ev->scope = in->scope;
	snprintf(ev->name, sizeof(ev->name), "%s", in->name);
	gethostname(ev->host, sizeof(ev->host) - 1);
	ev->source = "plugin";
	ev->time_us = lr_wall_us();
	ev->kstate = v->kstate;
	ev->prev_kstate = LR_KSTATE_NONE;
	ev->role = ev->prev_role = v->role;
	ev->priority = ev->prev_priority = v->priority;
	ev->result = LR_RESULT_DETECTED;
}

static void report_conflict(struct lr_plugin *p, size_t i, const struct lr_arp_seen *a,
			    const uint8_t own[6])
{
	const struct lr_instance *in = &p->cfg->inst[i];
	struct lr_view *v = &p->views[i];
	struct lr_report rp = { .commit_fd = -1 };
	struct lr_event ev;
	char ip[64];

	lr_plugin_detected(p, i, LR_EVENT_CONFLICT, &ev);
	ev.vip = a->spa;
	snprintf(ev.dev, sizeof(ev.dev), "%s", in->nic);
	memcpy(ev.own_mac, own, 6);
	memcpy(ev.foreign_mac, a->sha, 6);
	ev.seen_as = a->op == 2 ? "ARP reply" : lr_ip_equal(&a->spa, &a->tpa) ? "gratuitous ARP" : "ARP request";
	log_err("%s: VIP CONFLICT: %s on %s is claimed by %02x:%02x:%02x:%02x:%02x:%02x (%s) while this host "
		"(%02x:%02x:%02x:%02x:%02x:%02x) is %s: split brain suspected", in->name,
		lr_ip_str(&a->spa, ip, sizeof(ip)), in->nic, a->sha[0], a->sha[1], a->sha[2], a->sha[3],
		a->sha[4], a->sha[5], ev.seen_as, own[0], own[1], own[2], own[3], own[4], own[5],
		lr_role_name(v->role));
	v->conflicts++;
	v->quiet_until_us = lr_now_us() + CONFLICT_QUIET_US;
	memcpy(v->reported_mac, a->sha, 6);
	v->confirm_at_us = v->confirm_until_us = 0;
	snprintf(p->last_event, sizeof(p->last_event), "%s conflict with %02x:%02x:%02x:%02x:%02x:%02x",
		 in->name, a->sha[0], a->sha[1], a->sha[2], a->sha[3], a->sha[4], a->sha[5]);
	p->metrics_dirty = p->status_dirty = true;
	lr_plugin_report(p, &ev, 1, &rp);
}

/* A claim by a foreign MAC on VIP j of instance i: a suspicion first, confirmed by a probe
 * answered a little later (the previous director drops the VIP within milliseconds of a
 * normal handover; a split brain keeps it). */
static void claim(struct lr_plugin *p, size_t i, const struct lr_arp_seen *a, const uint8_t own[6],
		  uint64_t now)
{
	const struct lr_plugin_conf *pc = &p->cfg->plugin;
	struct lr_view *v = &p->views[i];

	if (v->quiet_until_us > now && !memcmp(v->reported_mac, a->sha, 6))
		return;
	if (v->confirm_until_us > now && v->confirm_at_us == 0) {
		/* confirmed, unless this host no longer directs (lvsrole-notify may have
		 * switched it meanwhile) */
		lr_plugin_views_refresh(p);
		if (v->role == LR_ROLE_DIRECTOR || v->probe_until_us > now)
			report_conflict(p, i, a, own);
		return;
	}
	if (v->confirm_until_us > now)
		return; /* the confirmation probe is not out yet */
	v->confirm_at_us = now + (uint64_t)pc->conflict_probe_ms * 500u;
	v->confirm_until_us = v->confirm_at_us + (uint64_t)pc->conflict_probe_ms * 1000u;
	log_info("%s: %02x:%02x:%02x:%02x:%02x:%02x claims a VIP of this director: probing again to confirm",
		 p->cfg->inst[i].name, a->sha[0], a->sha[1], a->sha[2], a->sha[3], a->sha[4], a->sha[5]);
}

void lr_plugin_arp(struct lr_plugin *p)
{
	const struct lr_config *cfg = p->cfg;
	struct lr_arp_seen a;
	int n = 0;

	while (p->arp_fd >= 0 && n++ < 4096 && lr_arpwatch_read(p->arp_fd, &a) > 0) {
		uint64_t now = lr_now_us();

		if (a.spa.v4.s_addr == 0)
			continue; /* someone's probe: asks, claims nothing */
		for (size_t i = 0; i < cfg->n_inst; i++) {
			const struct lr_instance *in = &cfg->inst[i];
			struct lr_view *v = &p->views[i];
			uint8_t own[6];
			int ifindex;

			if (v->role != LR_ROLE_DIRECTOR && v->probe_until_us <= now)
				continue;
			for (size_t j = 0; j < in->n_vips; j++) {
				if (!lr_ip_equal(&in->vips[j].ip, &a.spa))
					continue;
				/* another interface of this host answering (ARP flux) is not a split brain */
				if (nic_of(p, i, &ifindex, own) == 0 && ifindex == a.ifindex &&
				    memcmp(own, a.sha, 6) && !lr_nl_local_mac(p->nl, a.sha))
					claim(p, i, &a, own, now);
				break;
			}
		}
	}
}

uint64_t lr_plugin_conflict_due(struct lr_plugin *p, uint64_t now)
{
	uint64_t next = 0;

	for (size_t i = 0; i < p->cfg->n_inst; i++) {
		struct lr_view *v = &p->views[i];

		if (v->confirm_at_us && v->confirm_at_us <= now) {
			v->confirm_at_us = 0;
			send_probes(p, i);
		}
		if (v->confirm_until_us && v->confirm_until_us <= now)
			v->confirm_until_us = 0; /* nobody answered: it was a handover */
		if (v->confirm_at_us && (!next || v->confirm_at_us < next))
			next = v->confirm_at_us;
		if (v->confirm_until_us && (!next || v->confirm_until_us < next))
			next = v->confirm_until_us;
	}
	return next;
}
