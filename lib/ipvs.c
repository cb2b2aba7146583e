/* Reading IPVS through generic netlink (ipvs.h). */
#include "config.h"
#include "ipvs.h"

#include <errno.h>
#include <linux/ip_vs.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nl.h"
#include "sysctl.h"

/* At most this many services are read: a table larger than any director's is cut there. */
#define MAX_SERVICES 65536

static struct nla_policy svc_policy[IPVS_SVC_ATTR_MAX + 1] = {
	[IPVS_SVC_ATTR_AF] = { .type = NLA_U16 },
	[IPVS_SVC_ATTR_PROTOCOL] = { .type = NLA_U16 },
	[IPVS_SVC_ATTR_ADDR] = { .minlen = 4, .maxlen = 16 },
	[IPVS_SVC_ATTR_PORT] = { .type = NLA_U16 },
	[IPVS_SVC_ATTR_FWMARK] = { .type = NLA_U32 },
};

static struct nla_policy daemon_policy[IPVS_DAEMON_ATTR_MAX + 1] = {
	[IPVS_DAEMON_ATTR_STATE] = { .type = NLA_U32 },
};

/* One service of the dump: kept when it is complete and its address family known. */
static int on_service(struct nl_msg *msg, void *arg)
{
	struct lr_ipvs *ipvs = arg;
	struct nlattr *top[IPVS_CMD_ATTR_MAX + 1], *a[IPVS_SVC_ATTR_MAX + 1];
	struct lr_ipvs_service s = { 0 };
	uint16_t af;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, top, IPVS_CMD_ATTR_MAX, NULL) < 0 || !top[IPVS_CMD_ATTR_SERVICE] ||
	    nla_parse_nested(a, IPVS_SVC_ATTR_MAX, top[IPVS_CMD_ATTR_SERVICE], svc_policy) < 0 ||
	    !a[IPVS_SVC_ATTR_AF] || ipvs->n_svc >= MAX_SERVICES)
		return NL_SKIP;
	af = nla_get_u16(a[IPVS_SVC_ATTR_AF]);
	if (af != AF_INET && af != AF_INET6)
		return NL_SKIP;
	if (a[IPVS_SVC_ATTR_FWMARK]) {
		s.fwmark = nla_get_u32(a[IPVS_SVC_ATTR_FWMARK]);
	} else if (a[IPVS_SVC_ATTR_PROTOCOL] && a[IPVS_SVC_ATTR_ADDR] && a[IPVS_SVC_ATTR_PORT] &&
		   nla_len(a[IPVS_SVC_ATTR_ADDR]) >= (af == AF_INET ? 4 : 16)) {
		s.proto = (uint8_t)nla_get_u16(a[IPVS_SVC_ATTR_PROTOCOL]);
		s.ip.family = af;
		memcpy(s.ip.bytes, nla_data(a[IPVS_SVC_ATTR_ADDR]), af == AF_INET ? 4 : 16);
		s.port = ntohs(nla_get_u16(a[IPVS_SVC_ATTR_PORT]));
	} else {
		return NL_SKIP;
	}
	if (ipvs->n_svc % 64 == 0) {
		struct lr_ipvs_service *n = realloc(ipvs->svc, (ipvs->n_svc + 64) * sizeof(*n));

		if (!n) {
			ipvs->oom = true;
			return NL_STOP;
		}
		ipvs->svc = n;
	}
	ipvs->svc[ipvs->n_svc++] = s;
	return NL_OK;
}

static int on_daemon(struct nl_msg *msg, void *arg)
{
	struct lr_ipvs *ipvs = arg;
	struct nlattr *top[IPVS_CMD_ATTR_MAX + 1], *a[IPVS_DAEMON_ATTR_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, top, IPVS_CMD_ATTR_MAX, NULL) == 0 && top[IPVS_CMD_ATTR_DAEMON] &&
	    nla_parse_nested(a, IPVS_DAEMON_ATTR_MAX, top[IPVS_CMD_ATTR_DAEMON], daemon_policy) == 0 &&
	    a[IPVS_DAEMON_ATTR_STATE])
		ipvs->sync_state |= nla_get_u32(a[IPVS_DAEMON_ATTR_STATE]) & (IP_VS_STATE_MASTER | IP_VS_STATE_BACKUP);
	return NL_OK;
}

/* One dump of cmd, each message to cb. */
static int dump(struct nl_sock *sk, int family, uint8_t cmd, nl_recvmsg_msg_cb_t cb, struct lr_ipvs *ipvs)
{
	struct nl_msg *msg = nlmsg_alloc();
	int r;

	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, NLM_F_DUMP, cmd, IPVS_GENL_VERSION)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	r = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, cb, ipvs);
	if (r == 0)
		r = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (r >= 0)
		r = nl_recvmsgs_default(sk);
	return r < 0 ? lr_nl_errno(r) : 0;
}

int lr_ipvs_read(struct lr_ipvs *out, char *msg, size_t len)
{
	struct nl_sock *sk;
	int family, r;

	memset(out, 0, sizeof(*out));
	snprintf(msg, len, "IPVS: %s", strerror(ENOMEM));
	out->backup_only = -ENOENT;
	/* the family's name would make the kernel load IPVS: look only where it is loaded */
	if (access("/proc/net/ip_vs", F_OK) != 0)
		return 0;
	r = lr_sysctl_backup_only_read(&out->backup_only);
	if (r < 0)
		out->backup_only = r;
	out->loaded = true;
	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	r = genl_connect(sk);
	family = r < 0 ? r : genl_ctrl_resolve(sk, IPVS_GENL_NAME);
	if (family < 0) {
		r = lr_nl_errno(family);
		snprintf(msg, len, "IPVS: its generic netlink family: %s", strerror(-r));
	} else if ((r = dump(sk, family, IPVS_CMD_GET_SERVICE, on_service, out)) < 0 ||
		   (r = dump(sk, family, IPVS_CMD_GET_DAEMON, on_daemon, out)) < 0) {
		snprintf(msg, len, "IPVS: reading its table: %s%s", strerror(-r),
			 r == -EPERM ? " (needs root or CAP_NET_ADMIN)" : "");
	}
	nl_socket_free(sk);
	if (r == 0 && out->oom) {
		r = -ENOMEM;
		snprintf(msg, len, "IPVS: reading its table: %s", strerror(ENOMEM));
	}
	if (r < 0)
		lr_ipvs_free(out);
	return r < 0 ? r : 0;
}

int lr_ipvs_load(char *msg, size_t len)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk)
		return -ENOMEM;
	r = genl_connect(sk);
	if (r == 0)
		r = genl_ctrl_resolve(sk, IPVS_GENL_NAME);
	nl_socket_free(sk);
	if (r >= 0 && access(LR_BACKUP_ONLY_PATH, F_OK) == 0)
		return 0;
	r = r < 0 ? lr_nl_errno(r) : -ENOENT;
	snprintf(msg, len, "IPVS is not loaded, and loading it failed: %s", strerror(-r));
	return r;
}

void lr_ipvs_free(struct lr_ipvs *ipvs)
{
	free(ipvs->svc);
	ipvs->svc = NULL;
	ipvs->n_svc = 0;
}

const char *lr_ipvs_service_str(const struct lr_ipvs_service *s, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!s->proto)
		snprintf(buf, len, "FWM %u", s->fwmark);
	else
		snprintf(buf, len, s->ip.family == AF_INET6 ? "%s [%s]:%u" : "%s %s:%u",
			 s->proto == IPPROTO_TCP ? "TCP" : s->proto == IPPROTO_UDP ? "UDP" : s->proto == IPPROTO_SCTP ? "SCTP" : "?",
			 lr_ip_str(&s->ip, a, sizeof(a)), s->port);
	return buf;
}

/* Why service svc of a VIP of instance i loops, or -1 when its guard holds. A mark cannot
 * keep a VIP:port service from balancing (IPVS looks up a fwmark service first, then the
 * address and port); backup_only holds only with its setting and the backup sync daemon. */
static int risk_of(const struct lr_config *cfg, const enum lr_role *roles, const struct lr_ipvs *ipvs, size_t i)
{
	if (cfg->inst[i].ipvs.guard != LR_GUARD_BACKUP_ONLY)
		return LR_RISK_UNGUARDED;
	if (ipvs->backup_only != 1)
		return LR_RISK_NOT_SET;
	if (!ipvs->sync_state)
		return LR_RISK_NO_SYNC;
	if (roles && roles[i] == LR_ROLE_REAL_SERVER && !(ipvs->sync_state & IP_VS_STATE_BACKUP))
		return LR_RISK_NO_BACKUP;
	return -1;
}

int lr_ipvs_risks(const struct lr_config *cfg, const enum lr_role *roles, const struct lr_ipvs *ipvs,
		  struct lr_ipvs_risk **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	for (size_t k = 0; k < ipvs->n_svc; k++)
		for (size_t i = 0; ipvs->svc[k].proto && i < cfg->n_inst; i++)
			for (size_t j = 0; j < cfg->inst[i].n_vips; j++) {
				struct lr_ipvs_risk *a;
				int why;

				if (!lr_ip_equal(&cfg->inst[i].vips[j].ip, &ipvs->svc[k].ip) ||
				    (why = risk_of(cfg, roles, ipvs, i)) < 0)
					continue;
				if (!(a = realloc(*out, (*n + 1) * sizeof(*a)))) {
					free(*out);
					*out = NULL;
					*n = 0;
					return -ENOMEM;
				}
				*out = a;
				a[(*n)++] = (struct lr_ipvs_risk){ .inst = i, .svc = k, .why = (enum lr_ipvs_risk_why)why };
			}
	return 0;
}

const char *lr_ipvs_risk_text(const struct lr_config *cfg, const struct lr_ipvs *ipvs,
			      const struct lr_ipvs_risk *r, char *buf, size_t len)
{
	const struct lr_instance *in = &cfg->inst[r->inst];
	char s[80];

	lr_ipvs_service_str(&ipvs->svc[r->svc], s, sizeof(s));
	switch (r->why) {
	case LR_RISK_UNGUARDED:
		if (in->ipvs.guard == LR_GUARD_FWMARK)
			snprintf(buf, len, "%s: the IPVS service %s is a VIP of %s: a mark cannot keep it from balancing, so in "
				 "the real-server role it balances again what the director forwards (the two-box loop): serve "
				 "it through keepalived's \"virtual_server fwmark %u\" instead", in->name, s, in->name,
				 in->ipvs.fwmark);
		else
			snprintf(buf, len, "%s: the IPVS service %s is a VIP of %s, which has no loop guard: in the "
				 "real-server role it balances again what the director forwards (the two-box loop): see "
				 "\"ipvs\" in lvsrole.conf(5)", in->name, s, in->name);
		break;
	case LR_RISK_NOT_SET:
		snprintf(buf, len, "%s: the IPVS service %s is a VIP of %s, whose loop guard \"backup_only\" is not in place: "
			 "net.ipv4.vs.backup_only is not 1", in->name, s, in->name);
		break;
	case LR_RISK_NO_SYNC:
		snprintf(buf, len, "%s: the IPVS service %s is a VIP of %s: no IPVS sync daemon runs, and backup_only "
			 "holds only while the backup sync daemon does (keepalived: \"lvs_sync_daemon IFACE %s\")",
			 in->name, s, in->name, in->name);
		break;
	case LR_RISK_NO_BACKUP:
		snprintf(buf, len, "%s: the IPVS service %s is a VIP of %s: in the real-server role the backup sync daemon "
			 "must run for backup_only to hold, and it does not", in->name, s, in->name);
		break;
	}
	return buf;
}
