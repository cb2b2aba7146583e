/* The plan: desired state from every instance's role, compared with the kernel's, as an
 * ordered list of steps with the dependencies that keep the host from answering ARP in the
 * wrong role when a step fails. */
#include "config.h"
#include "plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct lr_step *push(struct lr_plan *p, enum lr_step_kind kind, enum lr_phase phase)
{
	struct lr_step *s;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct lr_step *ns = realloc(p->steps, cap * sizeof(*ns));

		if (!ns)
			return NULL;
		p->steps = ns;
		p->cap = cap;
	}
	s = &p->steps[p->n++];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->phase = phase;
	s->inst = s->vip = -1;
	s->dep_step = -1;
	s->gate = true;
	return s;
}

static struct lr_step *push_addr(struct lr_plan *p, enum lr_step_kind kind, enum lr_phase phase,
				 int inst, int vip, const char *ifname, const struct lr_ip *ip,
				 uint8_t prefix)
{
	struct lr_step *s = push(p, kind, phase);

	if (!s)
		return NULL;
	s->inst = inst;
	s->vip = vip;
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	s->ip = *ip;
	s->prefix = prefix;
	return s;
}

static uint8_t host_prefix(const struct lr_ip *ip)
{
	return ip->family == AF_INET ? 32 : 128;
}

/* One phase at a time keeps the order obvious; each pass appends that phase's steps. */
struct ctx {
	const struct lr_config *cfg;
	const enum lr_role *roles;
	const bool *announce;
	const struct lr_host *host;
	struct lr_plan *plan;
	int *nic_add_step; /* per (inst, vip) flattened: step index of the NIC add, or -1 */
	size_t *vip_base;
	const struct lr_kaddr **by_ip; /* the host's addresses sorted by address, then host order */
};

static bool is_vip_on(const struct lr_kaddr *a, const char *ifname, const struct lr_ip *ip)
{
	return !strcmp(a->ifname, ifname) && lr_ip_equal(&a->ip, ip);
}

/* An IPv6 address still in duplicate address detection, or that failed it: the kernel
 * neither answers for it nor uses it, so for a director it is not in place. */
static bool v6_unusable(const struct lr_kaddr *a)
{
	return a->tentative || a->dadfailed;
}

static int by_ip_cmp(const void *x, const void *y)
{
	const struct lr_kaddr *a = *(const struct lr_kaddr *const *)x, *b = *(const struct lr_kaddr *const *)y;
	int r = lr_ip_cmp(&a->ip, &b->ip);

	return r ? r : (a < b ? -1 : a > b);
}

/* The host's addresses equal to ip: by_ip[*lo .. *hi) (a binary search: a plan for N VIPs
 * takes N log N, not N times the host's addresses). */
static void host_range(const struct ctx *c, const struct lr_ip *ip, size_t *lo, size_t *hi)
{
	size_t a = 0, b = c->host->n_addrs;

	while (a < b) {
		size_t m = a + (b - a) / 2;

		if (lr_ip_cmp(&c->by_ip[m]->ip, ip) < 0)
			a = m + 1;
		else
			b = m;
	}
	*lo = a;
	while (a < c->host->n_addrs && !lr_ip_cmp(&c->by_ip[a]->ip, ip))
		a++;
	*hi = a;
}

/* What the NIC shows of VIP j of instance i. */
struct nic_look {
	const struct lr_kaddr *exact; /* with the configured prefix (and usable, for a director) */
	bool v6_other;                /* a director's IPv6 VIP with another prefix, or unusable */
	size_t lo, hi;                /* the VIP's range in c->by_ip */
};

/* Looks at the NIC for VIP j of instance i; on the way out (!adding), the deletes of its
 * copies with another prefix. */
static int nic_look(struct ctx *c, size_t i, size_t j, bool adding, struct nic_look *l)
{
	const struct lr_instance *in = &c->cfg->inst[i];
	const struct lr_vip *v = &in->vips[j];
	enum lr_role role = c->roles[i];

	memset(l, 0, sizeof(*l));
	host_range(c, &v->ip, &l->lo, &l->hi);
	for (size_t k = l->lo; k < l->hi; k++) {
		const struct lr_kaddr *a = c->by_ip[k];

		if (!is_vip_on(a, in->nic, &v->ip))
			continue;
		if (a->prefix == v->prefix && !(role == LR_ROLE_DIRECTOR && v6_unusable(a))) {
			l->exact = a;
		} else if (role == LR_ROLE_DIRECTOR && adding && v->ip.family == AF_INET6) {
			/* IPv6 holds one prefix per address: replace it in place (and one that DAD
			 * holds back: deleted, added again without DAD) */
			l->v6_other = true;
		} else if (!adding && (role != LR_ROLE_DIRECTOR || v->ip.family == AF_INET)) {
			struct lr_step *s = push_addr(c->plan, LR_STEP_ADDR_DEL, LR_PHASE_NIC_DEL, (int)i, (int)j,
						      in->nic, &v->ip, a->prefix);

			if (!s)
				return -ENOMEM;
			s->keep_secondaries = a->has_secondaries;
			/* a director keeps a wrong prefix until the right one is in place */
			if (role == LR_ROLE_DIRECTOR)
				s->dep_step = c->nic_add_step[c->vip_base[i] + j];
		}
	}
	return 0;
}

/* A director's VIP j of instance i onto the NIC: other prefixes out, the VIP in (or made
 * deprecated), and announced when it was added or the instance takes over. */
static int nic_add(struct ctx *c, size_t i, size_t j, const struct nic_look *l)
{
	const struct lr_instance *in = &c->cfg->inst[i];
	const struct lr_vip *v = &in->vips[j];
	struct lr_step *s;
	int add = -1;

	for (size_t k = l->lo; l->v6_other && k < l->hi; k++) {
		const struct lr_kaddr *a = c->by_ip[k];

		if (is_vip_on(a, in->nic, &v->ip) && (a->prefix != v->prefix || v6_unusable(a)) &&
		    !push_addr(c->plan, LR_STEP_ADDR_DEL, LR_PHASE_NIC_ADD, (int)i, (int)j, in->nic, &v->ip,
			       a->prefix))
			return -ENOMEM;
	}
	if (!l->exact) {
		add = (int)c->plan->n;
		if (!push_addr(c->plan, LR_STEP_ADDR_ADD, LR_PHASE_NIC_ADD, (int)i, (int)j, in->nic, &v->ip, v->prefix))
			return -ENOMEM;
		c->nic_add_step[c->vip_base[i] + j] = add;
	} else if (v->ip.family == AF_INET6 && !l->exact->deprecated &&
		   !push_addr(c->plan, LR_STEP_ADDR_UPDATE, LR_PHASE_NIC_ADD, (int)i, (int)j, in->nic, &v->ip,
			      v->prefix)) {
		return -ENOMEM;
	}
	if (c->cfg->announce_count == 0 || (add < 0 && !(c->announce && c->announce[i])))
		return 0;
	s = push_addr(c->plan, LR_STEP_ANNOUNCE, LR_PHASE_NIC_ADD, (int)i, (int)j, in->nic, &v->ip, v->prefix);
	if (!s)
		return -ENOMEM;
	s->dep_step = add;
	return 0;
}

/* The deletes of this phase (steps from start on) that take a primary with secondaries go
 * last, after the other addresses of their subnet: deleting such a primary (with
 * promote_secondaries set) promotes one of its secondaries, which must not be a VIP the plan
 * deletes next (it would be a primary then, the host's address its secondary); and the VIPs
 * deleted first are not promoted one after the other (each promotion moves every remaining
 * secondary's route: quadratic in the VIPs of the subnet). No step refers to these by index. */
static void keep_secondaries_last(struct lr_plan *p, size_t start)
{
	size_t n = p->n - start, k = 0, m = 0;
	struct lr_step *tmp;

	for (size_t i = start; i < p->n; i++)
		m += p->steps[i].keep_secondaries;
	if (m == 0 || m == n || !(tmp = malloc(n * sizeof(*tmp))))
		return; /* without memory the order stays: the switch is still correct, only slower */
	for (int last = 0; last < 2; last++)
		for (size_t i = start; i < p->n; i++)
			if (p->steps[i].keep_secondaries == (bool)last)
				tmp[k++] = p->steps[i];
	memcpy(&p->steps[start], tmp, n * sizeof(*tmp));
	free(tmp);
}

static int phase_nic(struct ctx *c, bool adding)
{
	for (size_t i = 0; i < c->cfg->n_inst; i++) {
		const struct lr_instance *in = &c->cfg->inst[i];
		enum lr_role role = c->roles[i];

		if (in->owner != LR_OWNER_LVSROLE || role == LR_ROLE_UNKNOWN)
			continue;
		for (size_t j = 0; j < in->n_vips; j++) {
			struct nic_look l;
			struct lr_step *s;
			int r = nic_look(c, i, j, adding, &l);

			if (r == 0 && adding && role == LR_ROLE_DIRECTOR)
				r = nic_add(c, i, j, &l);
			if (r < 0)
				return r;
			if (adding || role == LR_ROLE_DIRECTOR || !l.exact)
				continue;
			/* leaving the director role: the VIP off the NIC */
			s = push_addr(c->plan, LR_STEP_ADDR_DEL, LR_PHASE_NIC_DEL, (int)i, (int)j, in->nic,
				      &in->vips[j].ip, in->vips[j].prefix);
			if (!s)
				return -ENOMEM;
			s->keep_secondaries = l.exact->has_secondaries;
		}
	}
	return 0;
}

static int phase_rs(struct ctx *c, bool adding)
{
	for (size_t i = 0; i < c->cfg->n_inst; i++) {
		const struct lr_instance *in = &c->cfg->inst[i];
		enum lr_role role = c->roles[i];

		if (role == LR_ROLE_UNKNOWN)
			continue;
		for (size_t j = 0; j < in->n_vips; j++) {
			const struct lr_vip *v = &in->vips[j];
			uint8_t want = host_prefix(&v->ip);
			bool exact = false, exact_preferred = false;
			size_t lo, hi;

			host_range(c, &v->ip, &lo, &hi);
			for (size_t k = lo; k < hi; k++) {
				const struct lr_kaddr *a = c->by_ip[k];
				bool wrong = role != LR_ROLE_REAL_SERVER || a->prefix != want;
				struct lr_step *s;

				if (!is_vip_on(a, in->rs_dev, &v->ip))
					continue;
				if (!wrong) {
					exact = true;
					exact_preferred = v->ip.family == AF_INET6 && !a->deprecated;
					continue;
				}
				/* a wrong IPv6 prefix must go before the /128 can be added */
				if (adding != (role == LR_ROLE_REAL_SERVER && v->ip.family == AF_INET6))
					continue;
				s = push_addr(c->plan, LR_STEP_ADDR_DEL,
					      adding ? LR_PHASE_RS_ADD : LR_PHASE_RS_DEL, (int)i, (int)j,
					      in->rs_dev, &v->ip, a->prefix);
				if (!s)
					return -ENOMEM;
				s->keep_secondaries = a->has_secondaries;
				if (role == LR_ROLE_DIRECTOR)
					s->dep_step = c->nic_add_step[c->vip_base[i] + j];
				else if (adding)
					s->dep_phase = LR_PHASE_RAISE;
			}
			if (!adding || role != LR_ROLE_REAL_SERVER)
				continue;
			if (!exact) {
				struct lr_step *s = push_addr(c->plan, LR_STEP_ADDR_ADD, LR_PHASE_RS_ADD,
							      (int)i, (int)j, in->rs_dev, &v->ip, want);

				if (!s)
					return -ENOMEM;
				s->dep_phase = LR_PHASE_RAISE;
			} else if (exact_preferred) {
				if (!push_addr(c->plan, LR_STEP_ADDR_UPDATE, LR_PHASE_RS_ADD, (int)i, (int)j,
					       in->rs_dev, &v->ip, want))
					return -ENOMEM;
			}
		}
	}
	return 0;
}

/* A phase of deletes (NIC_DEL, RS_DEL): a primary with secondaries goes last. */
static int phase_deletes(struct ctx *c, int (*phase)(struct ctx *c, bool adding))
{
	size_t start = c->plan->n;
	int r = phase(c, false);

	if (r == 0)
		keep_secondaries_last(c->plan, start);
	return r;
}

/* Real-server sysctls are needed while any instance serves, or while a VIP of an instance
 * lvsrole has not heard of sits on a real-server device (relaxing would make it answer ARP). */
static bool rs_needed(const struct ctx *c)
{
	for (size_t i = 0; i < c->cfg->n_inst; i++) {
		const struct lr_instance *in = &c->cfg->inst[i];

		if (c->roles[i] == LR_ROLE_REAL_SERVER)
			return true;
		if (c->roles[i] != LR_ROLE_UNKNOWN)
			continue;
		for (size_t j = 0; j < in->n_vips; j++) {
			size_t lo, hi;

			host_range(c, &in->vips[j].ip, &lo, &hi);
			for (size_t k = lo; k < hi; k++)
				if (is_vip_on(c->by_ip[k], in->rs_dev, &in->vips[j].ip))
					return true;
		}
	}
	return false;
}

/* The values a director may have: arp_ignore 4 to 7 are reserved and 8 answers nothing,
 * arp_announce knows 0 to 2 (the configuration allows no others). */
static bool director_valid(int key, int v)
{
	return v >= 0 && v <= (key == LR_ARP_IGNORE ? 3 : 2);
}

static int director_choice(const struct lr_config *cfg, const struct lr_host_sysctl *h, int key)
{
	if (cfg->dir_values[key] >= 0)
		return cfg->dir_values[key];
	/* a saved or found value that would silence the director is no original to go back to */
	if (director_valid(key, h->saved[key]))
		return h->saved[key];
	/* never changed by lvsrole: keep what is there, unless it is the real-server value,
	 * which is taken as left over from an earlier real-server role */
	if (h->saved[key] < 0 && director_valid(key, h->cur[key]) && h->cur[key] != cfg->rs_values[key])
		return h->cur[key];
	return 0;
}

/* ... at least 1 for arp_ignore on a VMAC of keepalived and its parent: 0 there would make
 * the parent answer for the VIP with its own MAC, or the VMAC for the host's addresses with
 * the virtual one (which moves to the peer at a failover) */
static int director_value(const struct lr_config *cfg, const struct lr_host_sysctl *h, int key)
{
	int v = director_choice(cfg, h, key);

	return key == LR_ARP_IGNORE && h->vmac[0] && v < 1 ? 1 : v;
}

static int phase_sysctl(struct ctx *c, bool raise)
{
	for (size_t i = 0; i < c->cfg->n_sysctl_ifaces; i++) {
		const struct lr_host_sysctl *h = &c->host->sys[i];

		for (int key = 0; key < LR_SYSCTL__COUNT; key++) {
			int want = raise ? c->cfg->rs_values[key] : director_value(c->cfg, h, key);
			struct lr_step *s;

			/* an interface that does not exist has nothing to set (a VLAN or tunl0 not
			 * created yet); "all" always exists and covers it through max(all, iface) */
			if (h->cur[key] == want || h->cur[key] == -ENOENT)
				continue;
			s = push(c->plan, LR_STEP_SYSCTL, raise ? LR_PHASE_RAISE : LR_PHASE_RELAX);
			if (!s)
				return -ENOMEM;
			snprintf(s->ifname, sizeof(s->ifname), "%s", c->cfg->sysctl_ifaces[i]);
			s->key = (enum lr_sysctl_key)key;
			s->before = h->cur[key];
			s->after = want;
			s->first_change = h->saved[key] < 0;
			/* the kernel takes max(all, interface): once "all" is raised the host is safe
			 * whatever happened to another interface's sysctls */
			s->gate = !raise || !strcmp(s->ifname, "all");
			if (!raise)
				s->dep_phase = LR_PHASE_RS_DEL;
		}
	}
	return 0;
}

/* lvsrole's table holds no rule and no guarded instance has a role that may use it again:
 * it goes (a switch to real server leaves it, empty, for the next director switch) */
static bool table_unused(const struct ctx *c)
{
	for (size_t i = 0; i < c->cfg->n_inst; i++)
		if (c->cfg->inst[i].ipvs.guard == LR_GUARD_FWMARK &&
		    (c->host->guard.seen[i] != LR_GUARD_ABSENT || c->roles[i] == LR_ROLE_DIRECTOR ||
		     c->roles[i] == LR_ROLE_REAL_SERVER))
			return false;
	return true;
}

/* Rule 13: the loop guard marks the traffic of a director only. It comes on once the
 * instance's VIPs are on the NIC (phase MARK: until then the host serves what reaches it
 * itself), and goes off first when the host stops directing (phase UNMARK: a real server that
 * still marked would balance again what the director forwards to it). Rules of no guarded
 * instance go too. */
static int phase_guard(struct ctx *c, bool on)
{
	const struct lr_guard_read *g = &c->host->guard;
	struct lr_step *s;

	/* not allowed to read it (status as a user without CAP_NET_ADMIN): no opinion */
	if (!g->seen || g->err == -EPERM)
		return 0;
	if (!on && (g->orphans || (g->table && table_unused(c)))) {
		if (!(s = push(c->plan, LR_STEP_GUARD, LR_PHASE_UNMARK)))
			return -ENOMEM;
		snprintf(s->ifname, sizeof(s->ifname), "nftables");
		s->gate = false;
		s->guard_drop = true;
	}
	for (size_t i = 0; i < c->cfg->n_inst; i++) {
		enum lr_role role = c->roles[i];

		if (c->cfg->inst[i].ipvs.guard != LR_GUARD_FWMARK || role == LR_ROLE_UNKNOWN ||
		    (role == LR_ROLE_DIRECTOR) != on || g->seen[i] == (on ? LR_GUARD_EXACT : LR_GUARD_ABSENT))
			continue;
		if (!(s = push(c->plan, LR_STEP_GUARD, on ? LR_PHASE_MARK : LR_PHASE_UNMARK)))
			return -ENOMEM;
		snprintf(s->ifname, sizeof(s->ifname), "nftables");
		s->inst = (int)i;
		s->guard_on = on;
		s->guard_drop = role == LR_ROLE_NONE;
		s->gate = false;
		if (on)
			s->dep_phase = LR_PHASE_NIC_ADD;
	}
	return 0;
}

/* Rule 13, the loop guard "backup_only": net.ipv4.vs.backup_only is 1 while an instance with
 * that guard has a role (IPVS then balances nothing while keepalived's backup sync daemon
 * runs, i.e. in the real-server role), and its original again once every such instance is
 * none (or the guard left the configuration). First, with the other guard's removals. */
static int phase_backup_only(struct ctx *c)
{
	const struct lr_host *h = c->host;
	bool guarded = false, active = false, known = false;
	struct lr_step *s;
	int want;

	if (!h->backup_only_read)
		return 0;
	for (size_t i = 0; i < c->cfg->n_inst; i++) {
		if (c->cfg->inst[i].ipvs.guard != LR_GUARD_BACKUP_ONLY)
			continue;
		guarded = true;
		active |= c->roles[i] == LR_ROLE_DIRECTOR || c->roles[i] == LR_ROLE_REAL_SERVER;
		known |= c->roles[i] != LR_ROLE_UNKNOWN;
	}
	if (active)
		want = 1;
	else if ((known || !guarded) && h->backup_only_saved >= 0)
		want = h->backup_only_saved;
	else
		return 0;
	/* without IPVS there is nothing to restore; to set, the step loads it */
	if (h->backup_only == want || (h->backup_only == -ENOENT && !active))
		return 0;
	if (!(s = push(c->plan, LR_STEP_BACKUP_ONLY, LR_PHASE_UNMARK)))
		return -ENOMEM;
	snprintf(s->ifname, sizeof(s->ifname), "vs");
	s->before = h->backup_only;
	s->after = want;
	s->gate = false;
	return 0;
}

int lr_plan_compute(const struct lr_config *cfg, const enum lr_role *roles, const bool *announce,
		    const struct lr_host *host, struct lr_plan *plan)
{
	struct ctx c = { .cfg = cfg, .roles = roles, .announce = announce, .host = host, .plan = plan };
	size_t total = 0;
	bool need_rs, any_known = false;
	int r = -ENOMEM;

	memset(plan, 0, sizeof(*plan));
	c.vip_base = calloc(cfg->n_inst + 1, sizeof(*c.vip_base));
	if (!c.vip_base)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_inst; i++) {
		c.vip_base[i] = total;
		total += cfg->inst[i].n_vips;
	}
	c.nic_add_step = malloc((total + 1) * sizeof(*c.nic_add_step));
	if (!c.nic_add_step)
		goto out;
	for (size_t k = 0; k < total; k++)
		c.nic_add_step[k] = -1;
	c.by_ip = malloc((host->n_addrs + 1) * sizeof(*c.by_ip));
	if (!c.by_ip)
		goto out;
	for (size_t k = 0; k < host->n_addrs; k++)
		c.by_ip[k] = &host->addrs[k];
	qsort(c.by_ip, host->n_addrs, sizeof(*c.by_ip), by_ip_cmp);
	need_rs = rs_needed(&c);
	for (size_t i = 0; i < cfg->n_inst; i++)
		any_known |= roles[i] != LR_ROLE_UNKNOWN;
	if ((r = phase_guard(&c, false)) < 0 || (r = phase_backup_only(&c)) < 0 || (need_rs && (r = phase_sysctl(&c, true)) < 0) ||
	    (r = phase_nic(&c, true)) < 0 || (r = phase_guard(&c, true)) < 0 ||
	    (r = phase_deletes(&c, phase_nic)) < 0 ||
	    (r = phase_rs(&c, true)) < 0 || (r = phase_deletes(&c, phase_rs)) < 0 ||
	    (!need_rs && any_known && (r = phase_sysctl(&c, false)) < 0))
		goto out;
	r = 0;
out:
	free(c.by_ip);
	free(c.nic_add_step);
	free(c.vip_base);
	if (r < 0)
		lr_plan_free(plan);
	return r;
}

void lr_plan_free(struct lr_plan *plan)
{
	free(plan->steps);
	memset(plan, 0, sizeof(*plan));
}

size_t lr_plan_changes(const struct lr_plan *plan)
{
	size_t n = 0;

	for (size_t i = 0; i < plan->n; i++)
		n += plan->steps[i].kind != LR_STEP_ANNOUNCE;
	return n;
}
