/* Announcements after the switch: the repeats of a switch's announcements, sent by a child
 * process after the caller has gone, and one round for an instance now (the plugin's repeats
 * and refreshes). Only VIPs the NIC holds are announced, only while the role lasts. */
#include "config.h"
#include "repeat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "announce.h"
#include "log.h"

/* ip is on the interface and usable (not held back by DAD): announcing a VIP the NIC lacks
 * would draw traffic for an address nobody here answers. */
static bool nic_holds(const struct lr_kaddr *addrs, size_t n, int ifindex, const struct lr_ip *ip)
{
	for (size_t k = 0; k < n; k++)
		if (addrs[k].ifindex == ifindex && lr_ip_equal(&addrs[k].ip, ip))
			return !addrs[k].tentative && !addrs[k].dadfailed;
	return false;
}

int lr_repeat_now(const struct lr_config *cfg, size_t i, struct lr_nl *nl, struct lr_announcer *an)
{
	const struct lr_instance *in = &cfg->inst[i];
	struct lr_kaddr *addrs;
	size_t n;
	uint8_t mac[6];
	int sent = 0, ifindex, r;

	if (in->owner != LR_OWNER_LVSROLE || cfg->announce_count == 0)
		return 0; /* keepalived announces the VIPs it owns */
	ifindex = lr_nl_ifindex(nl, in->nic);
	if (ifindex < 0)
		return ifindex;
	r = lr_nl_hwaddr(nl, in->nic, mac);
	if (r == 0)
		r = lr_nl_addrs(nl, &addrs, &n);
	if (r < 0)
		return r;
	for (size_t j = 0; j < in->n_vips; j++) {
		char msg[128];

		if (!nic_holds(addrs, n, ifindex, &in->vips[j].ip))
			continue;
		if (lr_announce(an, ifindex, mac, &in->vips[j].ip, cfg->announce_op, msg, sizeof(msg)) < 0)
			log_warn("%s: announcement of a VIP on %s failed: %s", in->name, in->nic, msg);
		else
			sent++;
	}
	free(addrs);
	return sent;
}

/* One repeat of every announcement the switch planned for the events still live, whether or
 * not the earlier sends worked, for the VIPs the NIC still holds. */
static void repeat_round(const struct lr_config *cfg, const struct lr_switch *sw, const bool *live,
			 struct lr_nl *nl, struct lr_announcer *an)
{
	struct lr_kaddr *addrs;
	size_t n;

	if (lr_nl_addrs(nl, &addrs, &n) < 0)
		return;
	for (size_t i = 0; i < sw->n_events; i++) {
		const struct lr_event *ev = &sw->events[i];

		for (size_t j = 0; live[i] && j < ev->plan.n; j++) {
			const struct lr_step *s = &ev->plan.steps[j];
			uint8_t mac[6];
			char msg[128];
			int ifindex = lr_nl_ifindex(nl, s->ifname);

			if (s->kind != LR_STEP_ANNOUNCE || !s->done || s->skipped || ifindex < 0 ||
			    !nic_holds(addrs, n, ifindex, &s->ip) || lr_nl_hwaddr(nl, s->ifname, mac) < 0)
				continue;
			if (lr_announce(an, ifindex, mac, &s->ip, cfg->announce_op, msg, sizeof(msg)) < 0)
				log_warn("%s: announcement on %s failed: %s", ev->name, s->ifname, msg);
		}
	}
	free(addrs);
}

static void announcer_loop(const struct lr_config *cfg, const struct lr_switch *sw, struct lr_announcer *an)
{
	struct lr_statedir *sd = NULL;
	struct lr_nl *nl = NULL;
	bool *live = calloc(sw->n_events + 1, sizeof(*live));

	if (!an || !live || lr_statedir_open_ro(cfg->state_dir, &sd) < 0 || lr_nl_open(&nl) < 0)
		goto out;
	for (size_t i = 0; i < sw->n_events; i++)
		live[i] = lr_event_announces(&sw->events[i]);
	for (unsigned k = 1; k < cfg->announce_count; k++) {
		struct timespec ts = { cfg->announce_interval_ms / 1000,
				       (long)(cfg->announce_interval_ms % 1000) * 1000000L };
		struct lr_state st;
		char err[256];
		bool any = false;

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		/* the lock keeps a switch from running between the check and the send */
		if (lr_statedir_lock(sd, true, 5) < 0)
			break;
		if (lr_state_load(sd, &st, err, sizeof(err)) < 0) {
			lr_statedir_unlock(sd);
			break;
		}
		for (size_t i = 0; i < sw->n_events; i++) {
			const struct lr_event *ev = &sw->events[i];
			struct lr_record *rec = lr_state_find(&st, ev->name);

			if (live[i] && (!rec || rec->role != LR_ROLE_DIRECTOR)) {
				live[i] = false;
				log_info("%s: no longer director, announcements cancelled", ev->name);
			}
			any |= live[i];
		}
		if (any)
			repeat_round(cfg, sw, live, nl, an);
		lr_state_free(&st);
		lr_statedir_unlock(sd);
		if (!any)
			break;
	}
out:
	lr_nl_close(nl);
	lr_statedir_close(sd);
	free(live);
}

int lr_repeat_spawn(const struct lr_config *cfg, const struct lr_switch *sw)
{
	bool needed = false;
	int keep[3], gone[2];
	char c;
	pid_t pid;

	for (size_t i = 0; i < sw->n_events; i++)
		needed |= lr_event_announces(&sw->events[i]);
	needed = needed && cfg->announce_count >= 2 && sw->n_events > 0 && !sw->events[0].dry_run;
	lr_announcer_fds(sw->an, keep);
	/* with no repeats, a child all the same when the switch opened a packet socket: it
	 * closes it (waiting out the grace period) after the caller has gone */
	if (!needed && keep[0] < 0)
		return 0;
	/* the caller's end stays open until it exits: the child's read returns then */
	if (pipe2(gone, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(gone[0]);
		close(gone[1]);
		return -errno;
	}
	if (pid > 0) {
		close(gone[0]);
		return pid;
	}
	/* the child must not hold the caller's pipes or locks (the caller may hold the report
	 * commit lock): it keeps only the announcer's sockets and opens what else it needs */
	keep[2] = gone[0];
	lr_log_drop_fds_but(keep, 3);
	{
		int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}
	if (needed) {
		struct lr_announcer *an = sw->an ? sw->an : lr_announcer_new();

		if (an)
			announcer_loop(cfg, sw, an);
	}
	while (read(gone[0], &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}
