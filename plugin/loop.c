/* The IPVS loop risk (doc/ipvs.md): the virtual services of an instance's VIPs that its loop
 * guard leaves open, read from the kernel every few seconds, reported when they appear or
 * change, and exported as a metric. */
#include "config.h"
#include "plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipvs.h"
#include "log.h"
#include "report.h"

#define LOOP_CHECK_US (2 * 1000000ull)

static void report_risk(struct lr_plugin *p, size_t i, const char *text)
{
	const struct lr_instance *in = &p->cfg->inst[i];
	struct lr_view *v = &p->views[i];
	struct lr_report rp = { .commit_fd = -1 };
	struct lr_event ev;

	lr_plugin_detected(p, i, LR_EVENT_LOOP_RISK, &ev);
	snprintf(ev.risk_services, sizeof(ev.risk_services), "%s", v->loop_risk_services);
	snprintf(ev.risk, sizeof(ev.risk), "%s", text);
	log_warn("%s", text);
	snprintf(p->last_event, sizeof(p->last_event), "%s IPVS loop risk: %.120s", in->name, v->loop_risk_services);
	lr_plugin_report(p, &ev, 1, &rp);
}

/* Instance i's risks as "TCP 10.0.0.50:80, ..." and how many; the first one's text. */
static unsigned risks_of(const struct lr_config *cfg, const struct lr_ipvs *ipvs, const struct lr_ipvs_risk *r,
			 size_t n, size_t i, char *svcs, size_t len, char *text, size_t tlen)
{
	unsigned count = 0;
	size_t used = 0;

	svcs[0] = text[0] = '\0';
	for (size_t k = 0; k < n; k++) {
		char s[80];

		if (r[k].inst != i)
			continue;
		if (!count++)
			lr_ipvs_risk_text(cfg, ipvs, &r[k], text, tlen);
		lr_ipvs_service_str(&ipvs->svc[r[k].svc], s, sizeof(s));
		if (used < len)
			used += (size_t)snprintf(svcs + used, len - used, "%s%s", used ? ", " : "", s);
	}
	return count;
}

static void loop_check(struct lr_plugin *p)
{
	const struct lr_config *cfg = p->cfg;
	struct lr_ipvs ipvs;
	struct lr_ipvs_risk *r = NULL;
	enum lr_role *roles;
	size_t n = 0;
	char msg[200];

	if (lr_ipvs_read(&ipvs, msg, sizeof(msg)) < 0) {
		if (!p->ipvs_unreadable)
			log_warn("%s: the IPVS loop risk is not watched", msg);
		p->ipvs_unreadable = true;
		return;
	}
	p->ipvs_unreadable = false;
	roles = calloc(cfg->n_inst + 1, sizeof(*roles));
	for (size_t i = 0; roles && i < cfg->n_inst; i++)
		roles[i] = p->views[i].role;
	if (!roles || lr_ipvs_risks(cfg, roles, &ipvs, &r, &n) < 0) {
		free(roles);
		lr_ipvs_free(&ipvs);
		return;
	}
	free(roles);
	for (size_t i = 0; i < cfg->n_inst; i++) {
		struct lr_view *v = &p->views[i];
		char svcs[sizeof(v->loop_risk_services)], text[512];
		unsigned count = risks_of(cfg, &ipvs, r, n, i, svcs, sizeof(svcs), text, sizeof(text));

		if (count == v->loop_risks && !strcmp(svcs, v->loop_risk_services))
			continue;
		v->loop_risks = count;
		snprintf(v->loop_risk_services, sizeof(v->loop_risk_services), "%s", svcs);
		p->metrics_dirty = p->status_dirty = true;
		if (count)
			report_risk(p, i, text);
		else
			log_info("%s: no IPVS loop risk left", cfg->inst[i].name);
	}
	free(r);
	lr_ipvs_free(&ipvs);
}

uint64_t lr_plugin_loop_due(struct lr_plugin *p, uint64_t now)
{
	if (now >= p->loop_next_us) {
		p->loop_next_us = now + LOOP_CHECK_US;
		loop_check(p);
	}
	return p->loop_next_us;
}
