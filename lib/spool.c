/* Spool files: every change is a new file renamed or linked into place, so a crash at any
 * point leaves each event committed or not, never half-written. */
#include "config.h"
#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

struct lr_spool {
	char *dir;
	int dirfd;
};

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || s[0] == '.')
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-'))
			return false;
	return true;
}

static int mkdirat_0700(int dirfd, const char *name)
{
	if (mkdirat(dirfd, name, 0700) < 0)
		return errno == EEXIST ? 0 : -errno;
	fsync(dirfd); /* the new directory's entry survives a power loss */
	return 0;
}

/* The directory of an endpoint's queue (or dead letters), created when missing. */
static int open_sub(struct lr_spool *sp, const char *top, const char *endpoint, bool create)
{
	char path[128];
	int fd, r;

	if (!name_ok(endpoint))
		return -EINVAL;
	if (create && ((r = mkdirat_0700(sp->dirfd, top)) < 0))
		return r;
	snprintf(path, sizeof(path), "%s/%s", top, endpoint);
	if (create && ((r = mkdirat_0700(sp->dirfd, path)) < 0))
		return r;
	fd = openat(sp->dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	return fd < 0 ? -errno : fd;
}

int lr_spool_open(const char *dir, struct lr_spool **out)
{
	struct lr_spool *sp;
	int r = lr_ensure_dir(dir);

	if (r < 0)
		return r;
	sp = calloc(1, sizeof(*sp));
	if (!sp || !(sp->dir = strdup(dir))) {
		free(sp);
		return -ENOMEM;
	}
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (sp->dirfd < 0 || (r = mkdirat_0700(sp->dirfd, "tmp")) < 0) {
		r = sp->dirfd < 0 ? -errno : r;
		lr_spool_close(sp);
		return r;
	}
	*out = sp;
	return 0;
}

void lr_spool_close(struct lr_spool *sp)
{
	if (!sp)
		return;
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	free(sp->dir);
	free(sp);
}

static void entry_name(uint64_t seq, const char *id, const char *ext, char *buf, size_t len)
{
	snprintf(buf, len, "%020" PRIu64 ".%s.%s", seq, id, ext);
}

static int write_meta(int qfd, const struct lr_spool_entry *e)
{
	struct json_object *o = json_object_new_object();
	char name[128];
	const char *s;
	int r;

	json_object_object_add(o, "attempts", json_object_new_int64(e->attempts));
	json_object_object_add(o, "next_ms", json_object_new_int64((int64_t)e->next_ms));
	json_object_object_add(o, "first_ms", json_object_new_int64((int64_t)e->first_ms));
	json_object_object_add(o, "last_error", json_object_new_string(e->last_error));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	entry_name(e->seq, e->id, "meta", name, sizeof(name));
	r = lr_write_atomic(qfd, name, s, strlen(s));
	json_object_put(o);
	return r;
}

/* Up to this many bodies are fsynced one by one; a bigger batch is flushed at once. */
#define SYNC_EACH_MAX 16

/* One body into tmp/ under its final name (a crash's leftover of the same name replaced). */
static int write_tmp(int tmpfd, const char *name, const char *body, size_t len, bool sync)
{
	int fd = openat(tmpfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	int r = 0;

	if (fd < 0)
		return -errno;
	while (len > 0 && r == 0) {
		ssize_t k = write(fd, body, len);

		if (k < 0 && errno != EINTR)
			r = -errno;
		else if (k > 0)
			body += k, len -= (size_t)k;
	}
	if (r == 0 && sync && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/* Per writer (its pid last): a sweep removes only the files of writers that are gone. */
static void tmp_name(const struct lr_spool_item *it, size_t i, char *buf, size_t len)
{
	snprintf(buf, len, "%020" PRIu64 ".%s.%zu.%ld.tmp", it->seq, it->id, i, (long)getpid());
}

struct qdir {
	const char *endpoint;
	int fd;
};

static int queue_fd(struct lr_spool *sp, struct qdir *q, size_t *nq, const char *endpoint)
{
	for (size_t i = 0; i < *nq; i++)
		if (!strcmp(q[i].endpoint, endpoint))
			return q[i].fd;
	if (*nq == LR_SPOOL_MAX_QUEUES)
		return -E2BIG;
	q[*nq].endpoint = endpoint;
	q[*nq].fd = open_sub(sp, "q", endpoint, true);
	return q[*nq].fd < 0 ? q[*nq].fd : q[(*nq)++].fd;
}

int lr_spool_commit_many(struct lr_spool *sp, struct lr_spool_item *it, size_t n)
{
	struct qdir q[LR_SPOOL_MAX_QUEUES];
	size_t nq = 0;
	char name[128], tmp[160];
	int tmpfd, r = 0, done = 0;

	tmpfd = openat(sp->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (tmpfd < 0) { /* every item fails: the caller says so of each */
		r = -errno;
		for (size_t i = 0; i < n; i++)
			it[i].err = r;
		return r;
	}
	/* the bodies, then their flush; one report
	 * may have several bodies (formats): tmp/ names are per item */
	for (size_t i = 0; i < n; i++) {
		it[i].err = !name_ok(it[i].id) || it[i].len > LR_SPOOL_MAX_BODY ? -EINVAL : 0;
		tmp_name(&it[i], i, tmp, sizeof(tmp));
		if (it[i].err == 0)
			it[i].err = write_tmp(tmpfd, tmp, it[i].body, it[i].len, n <= SYNC_EACH_MAX);
	}
	/* syncfs flushes the whole file system (others' data too): only for big batches */
	if (n > SYNC_EACH_MAX && syncfs(tmpfd) < 0)
		r = -errno;
	/* committed once linked into the queues (no meta yet: no attempt so far, and the
	 * commit time is the file's mtime) and the queue directories are flushed */
	for (size_t i = 0; i < n; i++) {
		entry_name(it[i].seq, it[i].id, "json", name, sizeof(name));
		tmp_name(&it[i], i, tmp, sizeof(tmp));
		for (size_t k = 0; it[i].err == 0 && r == 0 && k < it[i].n_endpoints; k++) {
			int qfd = queue_fd(sp, q, &nq, it[i].endpoints[k]);

			if (qfd < 0)
				it[i].err = qfd;
			else if (linkat(tmpfd, tmp, qfd, name, 0) < 0 && errno != EEXIST)
				it[i].err = -errno;
		}
		if (r < 0 && it[i].err == 0)
			it[i].err = r;
	}
	for (size_t k = 0; k < nq; k++) {
		if (fsync(q[k].fd) < 0 && r == 0)
			r = -errno;
		close(q[k].fd);
	}
	for (size_t i = 0; i < n; i++) {
		tmp_name(&it[i], i, tmp, sizeof(tmp));
		unlinkat(tmpfd, tmp, 0);
		if (r < 0 && it[i].err == 0)
			it[i].err = r;
		done += it[i].err == 0;
	}
	close(tmpfd);
	return done ? done : (r < 0 ? r : n ? it[0].err : 0);
}

int lr_spool_commit(struct lr_spool *sp, const char *const *endpoints, size_t n, uint64_t seq,
		    const char *id, const void *body, size_t len)
{
	struct lr_spool_item it = { endpoints, n, seq, id, body, len, 0 };
	int r = lr_spool_commit_many(sp, &it, 1);

	return r < 0 ? r : it.err;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct lr_spool_entry *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void read_meta(int qfd, struct lr_spool_entry *e)
{
	char name[128], *text;
	struct json_object *o, *v;
	int fd;

	entry_name(e->seq, e->id, "meta", name, sizeof(name));
	fd = openat(qfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	if (lr_read_fd(fd, 4096, &text, NULL) == 0) {
		o = json_tokener_parse(text);
		if (o && json_object_is_type(o, json_type_object)) {
			if (json_object_object_get_ex(o, "attempts", &v))
				e->attempts = (unsigned)json_object_get_int64(v);
			if (json_object_object_get_ex(o, "next_ms", &v))
				e->next_ms = (uint64_t)json_object_get_int64(v);
			if (json_object_object_get_ex(o, "first_ms", &v))
				e->first_ms = (uint64_t)json_object_get_int64(v);
			if (json_object_object_get_ex(o, "last_error", &v))
				snprintf(e->last_error, sizeof(e->last_error), "%s", json_object_get_string(v));
		}
		json_object_put(o);
		free(text);
	}
	close(fd);
}

/* "SEQ.ID.json" -> seq and id; false for anything else (temp files, meta, strays). */
static bool parse_name(const char *name, struct lr_spool_entry *e)
{
	const char *dot = strchr(name, '.'), *ext;
	size_t idlen;
	char *end;

	if (!dot || dot - name != 20 || !(ext = strrchr(name, '.')) || strcmp(ext, ".json") || ext <= dot)
		return false;
	for (const char *p = name; p < dot; p++) /* exactly the 20 digits entry_name writes */
		if (*p < '0' || *p > '9')
			return false;
	errno = 0;
	e->seq = strtoull(name, &end, 10);
	idlen = (size_t)(ext - dot - 1);
	if (errno || end != dot || idlen == 0 || idlen >= sizeof(e->id))
		return false;
	memcpy(e->id, dot + 1, idlen);
	e->id[idlen] = '\0';
	return name_ok(e->id);
}

int lr_spool_count(struct lr_spool *sp, const char *endpoint, bool dead)
{
	struct dirent *de;
	DIR *d;
	int n = 0, fd = open_sub(sp, dead ? "dead" : "q", endpoint, false);

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		struct lr_spool_entry e;

		n += parse_name(de->d_name, &e);
	}
	closedir(d);
	return n;
}

int lr_spool_list(struct lr_spool *sp, const char *endpoint, bool dead, struct lr_spool_entry **out,
		  size_t *n)
{
	struct lr_spool_entry *v = NULL;
	size_t k = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int qfd = open_sub(sp, dead ? "dead" : "q", endpoint, false), dfd;

	*out = NULL;
	*n = 0;
	if (qfd == -ENOENT)
		return 0;
	if (qfd < 0)
		return qfd;
	dfd = dup(qfd);
	d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		close(qfd);
		return -errno;
	}
	while ((de = readdir(d))) {
		struct lr_spool_entry e = { 0 };
		struct stat st;

		if (!parse_name(de->d_name, &e) || fstatat(qfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		e.bytes = (size_t)st.st_size;
		e.first_ms = (uint64_t)st.st_mtim.tv_sec * 1000u + (uint64_t)st.st_mtim.tv_nsec / 1000000u;
		read_meta(qfd, &e);
		if (k == cap) {
			struct lr_spool_entry *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (!nv) {
				free(v);
				closedir(d);
				close(qfd);
				return -ENOMEM;
			}
			v = nv;
		}
		v[k++] = e;
	}
	closedir(d);
	close(qfd);
	if (k > 1)
		qsort(v, k, sizeof(*v), cmp_entry);
	*out = v;
	*n = k;
	return 0;
}

int lr_spool_read(struct lr_spool *sp, const char *endpoint, const struct lr_spool_entry *e,
		  char **body, size_t *len)
{
	char name[128];
	int fd, r, qfd = open_sub(sp, "q", endpoint, false);

	if (qfd < 0)
		return qfd;
	entry_name(e->seq, e->id, "json", name, sizeof(name));
	fd = openat(qfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	close(qfd);
	if (fd < 0)
		return -errno;
	r = lr_read_fd(fd, LR_SPOOL_MAX_BODY, body, len);
	close(fd);
	return r;
}

int lr_spool_update(struct lr_spool *sp, const char *endpoint, const struct lr_spool_entry *e)
{
	int r, qfd = open_sub(sp, "q", endpoint, false);

	if (qfd < 0)
		return qfd;
	r = write_meta(qfd, e);
	close(qfd);
	return r;
}

int lr_spool_done(struct lr_spool *sp, const char *endpoint, const struct lr_spool_entry *e)
{
	char name[128];
	int r = 0, qfd = open_sub(sp, "q", endpoint, false);

	if (qfd < 0)
		return qfd;
	/* the event file first: without it the meta is a stray, ignored and swept */
	entry_name(e->seq, e->id, "json", name, sizeof(name));
	if (unlinkat(qfd, name, 0) < 0 && errno != ENOENT)
		r = -errno;
	entry_name(e->seq, e->id, "meta", name, sizeof(name));
	unlinkat(qfd, name, 0);
	/* no fsync of the directory: a power loss that undoes the removal sends the event again,
	 * with the same id (at-least-once); one per delivery cost a journal commit each */
	close(qfd);
	return r;
}

/* Moves an event (and its meta) between q/ and dead/ of one endpoint. */
static int move(struct lr_spool *sp, const char *endpoint, const struct lr_spool_entry *e, bool to_dead)
{
	char name[128];
	int r = 0, from = open_sub(sp, to_dead ? "q" : "dead", endpoint, false);
	int to = from < 0 ? from : open_sub(sp, to_dead ? "dead" : "q", endpoint, true);

	if (from < 0 || to < 0) {
		if (from >= 0)
			close(from);
		return from < 0 ? from : to;
	}
	r = write_meta(to, e);
	entry_name(e->seq, e->id, "json", name, sizeof(name));
	if (r == 0 && renameat(from, name, to, name) < 0)
		r = -errno;
	if (r == 0) {
		entry_name(e->seq, e->id, "meta", name, sizeof(name));
		unlinkat(from, name, 0);
		fsync(to);
		fsync(from);
	}
	close(from);
	close(to);
	return r;
}

int lr_spool_bury(struct lr_spool *sp, const char *endpoint, struct lr_spool_entry *e,
		  const char *reason)
{
	snprintf(e->last_error, sizeof(e->last_error), "%s", reason);
	return move(sp, endpoint, e, true);
}

int lr_spool_trim(struct lr_spool *sp, const char *endpoint, size_t max_events, size_t max_bytes)
{
	struct lr_spool_entry *v;
	size_t n, bytes = 0, i = 0;
	int moved = 0, r = lr_spool_list(sp, endpoint, false, &v, &n);

	if (r < 0)
		return r;
	for (size_t k = 0; k < n; k++)
		bytes += v[k].bytes;
	for (; i < n && (n - i > max_events || bytes > max_bytes); i++) {
		r = lr_spool_bury(sp, endpoint, &v[i], "spool full: oldest event dropped from the queue");
		if (r < 0)
			break;
		bytes -= v[i].bytes;
		moved++;
	}
	free(v);
	return r < 0 ? r : moved;
}

int lr_spool_replay(struct lr_spool *sp, const char *endpoint, uint64_t now_ms)
{
	struct lr_spool_entry *v;
	size_t n;
	int moved = 0, r = lr_spool_list(sp, endpoint, true, &v, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		v[i].attempts = 0;
		v[i].next_ms = now_ms;
		v[i].first_ms = now_ms; /* max_age counts again from the replay */
		v[i].last_error[0] = '\0';
		r = move(sp, endpoint, &v[i], false);
		if (r < 0)
			break;
		moved++;
	}
	free(v);
	return r < 0 ? r : moved;
}

/* flock with a bound: LOCK_NB retried every millisecond until wait_ms have passed
 * (wait_ms < 0: wait as long as it takes). */
static int lock_fd(int fd, int wait_ms)
{
	uint64_t end = lr_now_us() + (uint64_t)(wait_ms > 0 ? wait_ms : 0) * 1000u;

	if (wait_ms < 0)
		return flock(fd, LOCK_EX) < 0 ? -errno : 0;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -errno;
		if (lr_now_us() >= end)
			return -EWOULDBLOCK;
		usleep(1000);
	}
}

int lr_spool_lock_commit(struct lr_spool *sp, int wait_ms)
{
	int fd = openat(sp->dirfd, "commit.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600), r;

	if (fd < 0)
		return -errno;
	r = lock_fd(fd, wait_ms);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

/* A directory of the spool (TOP/ENDPOINT, created), flocked: its descriptor, or -EWOULDBLOCK
 * after wait_ms. */
static int lock_sub(struct lr_spool *sp, const char *top, const char *endpoint, int wait_ms)
{
	int fd = open_sub(sp, top, endpoint, true), r;

	if (fd < 0)
		return fd;
	r = lock_fd(fd, wait_ms);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int lr_spool_lock_endpoint(struct lr_spool *sp, const char *endpoint, int wait_ms)
{
	return lock_sub(sp, "q", endpoint, wait_ms);
}

int lr_spool_lock_waiter(struct lr_spool *sp, const char *endpoint)
{
	return lock_sub(sp, "wait", endpoint, 0);
}

int lr_spool_next_seq(struct lr_spool *sp, unsigned n, uint64_t *first)
{
	char buf[32], *text = NULL, *end;
	uint64_t last = 0;
	int fd = openat(sp->dirfd, "seq", O_RDONLY | O_CLOEXEC | O_NOFOLLOW), r;

	if (fd < 0 && errno != ENOENT)
		return -errno;
	if (fd >= 0) {
		r = lr_read_fd(fd, 64, &text, NULL);
		close(fd);
		if (r < 0)
			return r;
		errno = 0;
		last = strtoull(text, &end, 10);
		if (errno || end == text || (*end && *end != '\n')) {
			free(text);
			return -EBADMSG;
		}
		free(text);
	}
	/* persisted before any event with these numbers is written: a crash leaves a gap,
	 * never a number used twice */
	snprintf(buf, sizeof(buf), "%" PRIu64 "\n", last + n);
	r = lr_write_atomic(sp->dirfd, "seq", buf, strlen(buf));
	if (r < 0)
		return r;
	*first = last + 1;
	return 0;
}

const char *lr_spool_dir(const struct lr_spool *sp)
{
	return sp->dir;
}

/* What a crash can leave in a spool directory: temporary files whose writer is gone
 * (".NAME.PID.tmp", tmp/'s "SEQ.ID.I.PID.tmp"; in tmp/ anything else too), and .meta files
 * whose event is gone. A writer still running keeps its files. arg: tmp/ or not. */
static bool spool_leftover(int dfd, const char *nm, void *arg)
{
	bool tmp = *(const bool *)arg;
	size_t len = strlen(nm);
	char json[NAME_MAX + 1];

	if (lr_tmp_owner_gone(nm) || (tmp && (len < 4 || strcmp(nm + len - 4, ".tmp"))))
		return true;
	if (len <= 5 || strcmp(nm + len - 5, ".meta"))
		return false;
	snprintf(json, sizeof(json), "%.*s.json", (int)(len - 5), nm);
	return faccessat(dfd, json, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
}

static int sweep_dir(int dfd, bool tmp)
{
	return lr_sweep_dir(dfd, spool_leftover, &tmp);
}

int lr_spool_remove_leftovers(struct lr_spool *sp, const char *endpoint)
{
	int n = 0, fd;

	if (!endpoint) {
		fd = openat(sp->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return -errno;
		n = sweep_dir(fd, true);
		close(fd);
		return n;
	}
	for (int k = 0; k < 2; k++) {
		int r;

		fd = open_sub(sp, k ? "dead" : "q", endpoint, false);
		if (fd == -ENOENT)
			continue;
		if (fd < 0)
			return fd;
		r = sweep_dir(fd, false);
		close(fd);
		if (r < 0)
			return r;
		n += r;
	}
	return n;
}
