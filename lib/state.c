/* State directory files, in JSON through json-c, replaced atomically. */
#include "config.h"
#include "state.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <unistd.h>

#define STATE_FILE "state.json"
#define ARRIVALS_FILE "arrivals.json"
#define MAX_STATE_BYTES (4 * 1024 * 1024)

static int open_dir(const char *path, struct lr_statedir **out)
{
	struct lr_statedir *sd = calloc(1, sizeof(*sd));

	if (!sd)
		return -ENOMEM;
	sd->lockfd = -1;
	sd->path = strdup(path);
	sd->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (!sd->path || sd->dirfd < 0) {
		int r = sd->path ? -errno : -ENOMEM;

		lr_statedir_close(sd);
		return r;
	}
	*out = sd;
	return 0;
}

int lr_statedir_open(const char *path, struct lr_statedir **out)
{
	int r = lr_ensure_dir(path);

	return r < 0 ? r : open_dir(path, out);
}

int lr_statedir_open_ro(const char *path, struct lr_statedir **out)
{
	return open_dir(path, out);
}

void lr_statedir_close(struct lr_statedir *sd)
{
	if (!sd)
		return;
	if (sd->lockfd >= 0)
		close(sd->lockfd);
	if (sd->dirfd >= 0)
		close(sd->dirfd);
	free(sd->path);
	free(sd);
}

static int open_lock(struct lr_statedir *sd, const char *name)
{
	int fd = openat(sd->dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);

	return fd < 0 ? -errno : fd;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* flock with a deadline: a repeating timer interrupts the wait (no SA_RESTART), so a signal
 * that fires just before flock() blocks is followed by another one. */
static int flock_timeout(int fd, int op, unsigned timeout_s)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	struct itimerval it = { .it_interval = { 0, 100000 }, .it_value = { 0, 100000 } }, off = { 0 };
	uint64_t deadline = lr_now_us() + (uint64_t)timeout_s * 1000000u;
	int r;

	if (flock(fd, op | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK)
		return -errno;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &it, NULL);
	for (;;) {
		if (flock(fd, op) == 0) {
			r = 0;
			break;
		}
		if (errno != EINTR) {
			r = -errno;
			break;
		}
		if (lr_now_us() >= deadline) {
			r = -ETIMEDOUT;
			break;
		}
	}
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	return r;
}

int lr_statedir_lock(struct lr_statedir *sd, bool shared, unsigned timeout_s)
{
	int r;

	if (sd->lockfd < 0) {
		r = open_lock(sd, "lock");
		if (r < 0)
			return r;
		sd->lockfd = r;
	}
	return flock_timeout(sd->lockfd, shared ? LOCK_SH : LOCK_EX, timeout_s);
}

int lr_statedir_lock_file(struct lr_statedir *sd, const char *name, unsigned timeout_s)
{
	int fd = open_lock(sd, name), r;

	if (fd < 0)
		return fd;
	r = flock_timeout(fd, LOCK_EX, timeout_s);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

long lr_statedir_lock_holder(struct lr_statedir *sd)
{
	char *text = NULL, *line, *save = NULL, want[64];
	struct stat st;
	long pid = 0;

	if (sd->lockfd < 0 || fstat(sd->lockfd, &st) < 0 ||
	    lr_read_file("/proc/locks", 1024 * 1024, &text, NULL) < 0)
		return 0;
	/* "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"; waiters' lines have "->" */
	snprintf(want, sizeof(want), "%02x:%02x:%llu", major(st.st_dev), minor(st.st_dev),
		 (unsigned long long)st.st_ino);
	for (line = strtok_r(text, "\n", &save); line && !pid; line = strtok_r(NULL, "\n", &save)) {
		char type[16], dev[64];
		long p;

		if (!strstr(line, "->") && sscanf(line, "%*s %15s %*s %*s %ld %63s", type, &p, dev) == 3 &&
		    !strcmp(type, "FLOCK") && !strcmp(dev, want) && p > 0)
			pid = p;
	}
	free(text);
	return pid;
}

void lr_statedir_unlock(struct lr_statedir *sd)
{
	if (sd->lockfd >= 0)
		flock(sd->lockfd, LOCK_UN);
}

static int load_json(struct lr_statedir *sd, const char *name, struct json_object **out)
{
	char *text;
	size_t len;
	int fd = openat(sd->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int r;

	if (fd < 0)
		return -errno;
	r = lr_read_fd(fd, MAX_STATE_BYTES, &text, &len);
	close(fd);
	if (r < 0)
		return r;
	*out = json_tokener_parse(text);
	free(text);
	if (*out && json_object_is_type(*out, json_type_object))
		return 0;
	json_object_put(*out);
	*out = NULL;
	return -EBADMSG;
}

static int save_json(struct lr_statedir *sd, const char *name, struct json_object *o)
{
	size_t len;
	const char *s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PRETTY |
							       JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	char *buf = malloc(len + 2);
	int r;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, s, len);
	buf[len] = '\n';
	r = lr_write_atomic(sd->dirfd, name, buf, len + 1);
	free(buf);
	return r;
}

static uint64_t get_u64(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	return (uint64_t)json_object_get_int64(v);
}

static struct json_object *arrival_json(const struct lr_arrival *a)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "seq", json_object_new_int64((int64_t)a->seq));
	json_object_object_add(o, "state", json_object_new_string(lr_kstate_name(a->kstate)));
	json_object_object_add(o, "priority", json_object_new_int(a->priority));
	json_object_object_add(o, "role", json_object_new_string(lr_role_name(a->role)));
	json_object_object_add(o, "time_us", json_object_new_int64((int64_t)a->time_us));
	return o;
}

static const char *get_str(struct json_object *o, const char *key);
/* Arrivals of another boot (or of a version that did not say) are intents for a host that has
 * been rebooted since: applied now, they would announce a VIP keepalived does not hold. */
static bool arrivals_of_this_boot(struct json_object *root)
{
	const char *now = lr_boot_id();

	return !*now || !strcmp(get_str(root, "boot_id"), now);
}

/* The highest sequence number the state file has recorded (0 without one). */
static uint64_t recorded_max_seq(struct lr_statedir *sd)
{
	struct json_object *st, *insts;
	uint64_t max = 0;

	if (load_json(sd, STATE_FILE, &st) < 0)
		return 0;
	if (json_object_object_get_ex(st, "instances", &insts) && json_object_is_type(insts, json_type_object)) {
		json_object_object_foreach(insts, k, v) {
			(void)k;
			if (json_object_is_type(v, json_type_object) && get_u64(v, "seq") > max)
				max = get_u64(v, "seq");
		}
	}
	json_object_put(st);
	return max;
}

int lr_statedir_arrive(struct lr_statedir *sd, struct lr_arrival *arr, size_t n, unsigned timeout_s)
{
	struct json_object *root = NULL, *last;
	uint64_t seq;
	int fd, r = open_lock(sd, "arrivals.lock");

	if (r < 0)
		return r;
	fd = r;
	r = flock_timeout(fd, LOCK_EX, timeout_s);
	if (r < 0)
		goto out;
	r = load_json(sd, ARRIVALS_FILE, &root);
	if (r == -EBADMSG)
		log_err("%s/%s: not valid, starting a new one", sd->path, ARRIVALS_FILE);
	if (r < 0 && r != -ENOENT && r != -EBADMSG)
		goto out;
	/* a lost arrivals file must not make new events look older than recorded ones */
	seq = r == 0 ? get_u64(root, "seq") : recorded_max_seq(sd);
	if (r < 0)
		root = json_object_new_object();
	if (r == 0 && !arrivals_of_this_boot(root)) {
		log_info("%s/%s: written before the last reboot: its events are dropped", sd->path, ARRIVALS_FILE);
		json_object_object_del(root, "last");
	}
	json_object_object_add(root, "boot_id", json_object_new_string(lr_boot_id()));
	if (!json_object_object_get_ex(root, "last", &last) || !json_object_is_type(last, json_type_object)) {
		last = json_object_new_object();
		json_object_object_add(root, "last", last);
	}
	for (size_t i = 0; i < n; i++) {
		arr[i].seq = ++seq;
		json_object_object_add(last, arr[i].name, arrival_json(&arr[i]));
	}
	json_object_object_add(root, "seq", json_object_new_int64((int64_t)seq));
	r = save_json(sd, ARRIVALS_FILE, root);
out:
	json_object_put(root);
	close(fd);
	return r;
}

int lr_statedir_arrivals(struct lr_statedir *sd, const char *const *names, size_t n,
			 struct lr_arrival *out)
{
	struct json_object *root = NULL, *last = NULL, *a, *p;
	int r = load_json(sd, ARRIVALS_FILE, &root);

	if (r < 0 && r != -ENOENT)
		return r;
	if (root && (!arrivals_of_this_boot(root) || !json_object_object_get_ex(root, "last", &last)))
		last = NULL;
	for (size_t i = 0; i < n; i++) {
		struct lr_arrival *o = &out[i];

		memset(o, 0, sizeof(*o));
		snprintf(o->name, sizeof(o->name), "%s", names[i]);
		o->kstate = LR_KSTATE_NONE;
		o->priority = -1;
		if (!last || !json_object_object_get_ex(last, names[i], &a) ||
		    !json_object_is_type(a, json_type_object))
			continue;
		o->seq = get_u64(a, "seq");
		o->time_us = get_u64(a, "time_us");
		if (lr_kstate_parse(get_str(a, "state"), &o->kstate) < 0)
			o->kstate = LR_KSTATE_NONE;
		if (lr_role_parse(get_str(a, "role"), &o->role) < 0)
			o->role = LR_ROLE_UNKNOWN;
		o->priority = json_object_object_get_ex(a, "priority", &p) ? json_object_get_int(p) : -1;
	}
	json_object_put(root);
	return 0;
}

int lr_statedir_last_arrival(struct lr_statedir *sd, const char *name, struct lr_arrival *out)
{
	return lr_statedir_arrivals(sd, &name, 1, out);
}

/* ---- the state file ---- */

struct lr_record *lr_state_find(struct lr_state *st, const char *name)
{
	for (size_t i = 0; i < st->n_rec; i++)
		if (!strcmp(st->rec[i].name, name))
			return &st->rec[i];
	return NULL;
}

struct lr_record *lr_state_get(struct lr_state *st, const char *name)
{
	struct lr_record *r = lr_state_find(st, name), *nr;

	if (r)
		return r;
	nr = realloc(st->rec, (st->n_rec + 1) * sizeof(*nr));
	if (!nr)
		return NULL;
	st->rec = nr;
	r = &st->rec[st->n_rec++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->kstate = LR_KSTATE_NONE;
	r->priority = -1;
	return r;
}

struct lr_saved_sysctl *lr_state_saved(struct lr_state *st, const char *ifname, bool create)
{
	struct lr_saved_sysctl *s;

	for (size_t i = 0; i < st->n_saved; i++)
		if (!strcmp(st->saved[i].ifname, ifname))
			return &st->saved[i];
	if (!create)
		return NULL;
	s = realloc(st->saved, (st->n_saved + 1) * sizeof(*s));
	if (!s)
		return NULL;
	st->saved = s;
	s = &st->saved[st->n_saved++];
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	for (int k = 0; k < LR_SYSCTL__COUNT; k++)
		s->values[k] = -1;
	return s;
}

void lr_state_free(struct lr_state *st)
{
	free(st->rec);
	free(st->saved);
	memset(st, 0, sizeof(*st));
}

static const char *get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v) : "";
}

/* The kernel's id of this boot: records and saved sysctls from another boot describe a host
 * that no longer exists (a state_dir that survives reboots must not replay old roles). */
const char *lr_boot_id(void)
{
	static char id[40];
	static bool read;
	char *text = NULL;

	if (!read && lr_read_file("/proc/sys/kernel/random/boot_id", 64, &text, NULL) == 0) {
		snprintf(id, sizeof(id), "%.36s", text);
		free(text);
	}
	read = true;
	return id;
}

static int parse_state(struct json_object *root, struct lr_state *st)
{
	struct json_object *insts, *saved, *v0;

	if (json_object_object_get_ex(root, "instances", &insts) &&
	    json_object_is_type(insts, json_type_object)) {
		json_object_object_foreach(insts, name, o) {
			struct lr_record *r;
			struct json_object *p;

			if (!json_object_is_type(o, json_type_object) || strlen(name) > LR_MAX_NAME)
				return -EBADMSG;
			if (!(r = lr_state_get(st, name)))
				return -ENOMEM;
			r->scope = !strcmp(get_str(o, "scope"), "group") ? LR_SCOPE_GROUP : LR_SCOPE_INSTANCE;
			if (lr_role_parse(get_str(o, "role"), &r->role) < 0)
				r->role = LR_ROLE_UNKNOWN;
			if (lr_kstate_parse(get_str(o, "state"), &r->kstate) < 0)
				r->kstate = LR_KSTATE_NONE;
			r->priority = json_object_object_get_ex(o, "priority", &p) ? json_object_get_int(p) : -1;
			r->seq = get_u64(o, "seq");
			r->time_us = get_u64(o, "time_us");
			snprintf(r->result, sizeof(r->result), "%s", get_str(o, "result"));
		}
	}
	if (json_object_object_get_ex(root, "ipvs_backup_only_saved", &v0)) {
		if (!json_object_is_type(v0, json_type_int) || json_object_get_int(v0) < 0 || json_object_get_int(v0) > 255)
			return -EBADMSG;
		st->backup_only_known = true;
		st->backup_only_saved = json_object_get_int(v0);
	}
	if (json_object_object_get_ex(root, "sysctl_saved", &saved) &&
	    json_object_is_type(saved, json_type_object)) {
		json_object_object_foreach(saved, ifname, o) {
			struct lr_saved_sysctl *s;
			struct json_object *v;

			if (!lr_ifname_valid(ifname) || !json_object_is_type(o, json_type_object))
				return -EBADMSG;
			if (!(s = lr_state_saved(st, ifname, true)))
				return -ENOMEM;
			for (int k = 0; k < LR_SYSCTL__COUNT; k++)
				if (json_object_object_get_ex(o, lr_sysctl_key_name(k), &v))
					s->values[k] = json_object_get_int(v);
		}
	}
	return 0;
}

int lr_state_load(struct lr_statedir *sd, struct lr_state *st, char *err, size_t errlen)
{
	struct json_object *root;
	int r;

	memset(st, 0, sizeof(*st));
	r = load_json(sd, STATE_FILE, &root);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		snprintf(err, errlen, "%s/%s: %s", sd->path, STATE_FILE,
			 r == -EBADMSG ? "not a valid state file" : strerror(-r));
		return r; /* only -EBADMSG means corrupt; other errors are not a reason to discard it */
	}
	{
		const char *was = get_str(root, "boot_id"), *now = lr_boot_id();

		if (*was && *now && strcmp(was, now)) {
			log_info("%s/%s: written before the last reboot: starting with no records",
				 sd->path, STATE_FILE);
			json_object_put(root);
			return 0;
		}
	}
	r = parse_state(root, st);
	json_object_put(root);
	if (r < 0) {
		lr_state_free(st);
		snprintf(err, errlen, "%s/%s: not a valid state file", sd->path, STATE_FILE);
	}
	return r;
}

int lr_state_save(struct lr_statedir *sd, const struct lr_state *st)
{
	struct json_object *root = json_object_new_object();
	struct json_object *insts = json_object_new_object(), *saved = json_object_new_object();
	int r;

	json_object_object_add(root, "version", json_object_new_int(1));
	json_object_object_add(root, "boot_id", json_object_new_string(lr_boot_id()));
	for (size_t i = 0; i < st->n_rec; i++) {
		const struct lr_record *rec = &st->rec[i];
		struct json_object *o = json_object_new_object();
		char t[40];

		json_object_object_add(o, "scope", json_object_new_string(lr_scope_name(rec->scope)));
		json_object_object_add(o, "role", json_object_new_string(lr_role_name(rec->role)));
		json_object_object_add(o, "state", json_object_new_string(lr_kstate_name(rec->kstate)));
		json_object_object_add(o, "priority", json_object_new_int(rec->priority));
		json_object_object_add(o, "seq", json_object_new_int64((int64_t)rec->seq));
		json_object_object_add(o, "time_us", json_object_new_int64((int64_t)rec->time_us));
		lr_format_time(rec->time_us, t, sizeof(t));
		json_object_object_add(o, "time", json_object_new_string(t));
		json_object_object_add(o, "result", json_object_new_string(rec->result));
		json_object_object_add(insts, rec->name, o);
	}
	for (size_t i = 0; i < st->n_saved; i++) {
		struct json_object *o = json_object_new_object();

		for (int k = 0; k < LR_SYSCTL__COUNT; k++)
			if (st->saved[i].values[k] >= 0)
				json_object_object_add(o, lr_sysctl_key_name(k),
						       json_object_new_int(st->saved[i].values[k]));
		json_object_object_add(saved, st->saved[i].ifname, o);
	}
	json_object_object_add(root, "instances", insts);
	json_object_object_add(root, "sysctl_saved", saved);
	if (st->backup_only_known)
		json_object_object_add(root, "ipvs_backup_only_saved", json_object_new_int(st->backup_only_saved));
	r = save_json(sd, STATE_FILE, root);
	json_object_put(root);
	return r;
}

int lr_state_quarantine(struct lr_statedir *sd)
{
	return renameat(sd->dirfd, STATE_FILE, sd->dirfd, STATE_FILE ".corrupt") < 0 ? -errno : 0;
}

/* ---- plugin.json: what the running plugin shows ---- */

static void copy_str(struct json_object *o, const char *key, char *buf, size_t len)
{
	snprintf(buf, len, "%s", get_str(o, key));
}

int lr_plugin_info_read(struct lr_statedir *sd, struct lr_plugin_info *out)
{
	struct json_object *o, *v;
	int r = load_json(sd, LR_PLUGIN_INFO_FILE, &o);

	if (r < 0)
		return r;
	memset(out, 0, sizeof(*out));
	out->pid = (long)get_u64(o, "pid");
	out->running = json_object_object_get_ex(o, "running", &v) && json_object_get_boolean(v);
	copy_str(o, "started", out->started, sizeof(out->started));
	copy_str(o, "stopped", out->stopped, sizeof(out->stopped));
	copy_str(o, "how", out->how, sizeof(out->how));
	copy_str(o, "fifo", out->fifo, sizeof(out->fifo));
	copy_str(o, "last_line", out->last_line, sizeof(out->last_line));
	copy_str(o, "last_line_time", out->last_line_time, sizeof(out->last_line_time));
	copy_str(o, "last_event", out->last_event, sizeof(out->last_event));
	copy_str(o, "drift", out->drift, sizeof(out->drift));
	if (json_object_object_get_ex(o, "lines", &v) && json_object_is_type(v, json_type_object)) {
		static const char *const kinds[] = { "state", "priority", "checker", "bad", "ignored" };

		for (size_t k = 0; k < 5; k++)
			out->lines[k] = get_u64(v, kinds[k]);
	}
	json_object_put(o);
	return 0;
}

/* ---- the switch's transaction ---- */

static int txn_load(struct lr_txn *t)
{
	int r = lr_state_load(t->sd, &t->st, t->err, sizeof(t->err));

	if (r == -EBADMSG) {
		/* losing the records is better than refusing every switch: the next events
		 * re-establish them, and the kernel state is read afresh anyway */
		lr_state_quarantine(t->sd);
		t->quarantined = true;
		r = 0;
	}
	if (r < 0)
		t->failed = LR_TXN_LOAD;
	return r;
}

static int txn_begin_ro(struct lr_txn *t, const char *dir)
{
	int r = lr_statedir_open_ro(dir, &t->sd);

	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		t->failed = LR_TXN_OPEN;
		return r;
	}
	r = lr_state_load(t->sd, &t->st, t->err, sizeof(t->err));
	if (r == -ENOMEM)
		t->failed = LR_TXN_LOAD;
	return r == -ENOMEM ? r : 0; /* a dry run of a corrupt file plans from no records */
}

int lr_txn_begin(struct lr_txn *t, const char *dir, struct lr_arrival *arr, size_t n, unsigned wait_s,
		 bool read_only)
{
	uint64_t t0;
	int r;

	memset(t, 0, sizeof(*t));
	if (read_only)
		return txn_begin_ro(t, dir);
	r = lr_statedir_open(dir, &t->sd);
	if (r < 0) {
		t->failed = LR_TXN_OPEN;
		return r;
	}
	/* as patient as for the switch lock: an arrival not recorded is an event lost */
	if (n && (r = lr_statedir_arrive(t->sd, arr, n, wait_s)) < 0) {
		t->failed = LR_TXN_ARRIVE;
		return r;
	}
	t0 = lr_now_us();
	r = lr_statedir_lock(t->sd, false, wait_s);
	t->lock_wait_us = lr_now_us() - t0;
	if (r < 0) {
		t->failed = LR_TXN_LOCK;
		return r;
	}
	t->locked = true;
	return txn_load(t);
}

int lr_txn_save(struct lr_txn *t)
{
	return lr_state_save(t->sd, &t->st);
}

void lr_txn_end(struct lr_txn *t)
{
	if (t->sd && t->locked) {
		lr_statedir_unlock(t->sd);
		/* what killed runs left half-written: only files whose writer is gone, so no
		 * lock is needed */
		lr_sweep_stale_tmp(t->sd->dirfd);
	}
	lr_state_free(&t->st);
	lr_statedir_close(t->sd);
	memset(t, 0, sizeof(*t));
}

bool lr_plugin_alive(long pid)
{
	char path[64], *argv = NULL;
	size_t len = 0;
	bool found = false;

	/* the pid must still run lvsrole-plugin (directly or under a wrapper such as valgrind),
	 * not a process that got the pid since */
	if (pid <= 0 || kill((pid_t)pid, 0) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	if (lr_read_file(path, 64 * 1024, &argv, &len) < 0)
		return false;
	for (size_t i = 0; i < len && !found; i += strlen(argv + i) + 1) {
		const char *base = strrchr(argv + i, '/');

		found = !strcmp(base ? base + 1 : argv + i, "lvsrole-plugin");
	}
	free(argv);
	return found;
}
