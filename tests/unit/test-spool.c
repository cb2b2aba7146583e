/* The webhook spool: commit to several endpoints, ordering, metadata, delivery, dead letters,
 * caps, replay, and refusal of names that could escape the spool directory. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "spool.h"
#include "util.h"

struct fixture {
	char dir[64];
	struct lr_spool *sp;
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/lvsrole-spool.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	strcat(f->dir, "/spool");
	assert_int_equal(lr_spool_open(f->dir, &f->sp), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char *slash = strrchr(f->dir, '/');

	lr_spool_close(f->sp);
	*slash = '\0';
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static const char *const both[] = { "ops", "chat" };

static void commit(struct fixture *f, uint64_t seq, const char *id, const char *body)
{
	assert_int_equal(lr_spool_commit(f->sp, both, 2, seq, id, body, strlen(body)), 0);
}

static void test_commit_and_read(void **state)
{
	struct fixture *f = *state;
	struct lr_spool_entry *v;
	size_t n, len;
	char *body;

	commit(f, 7, "evt_A", "{\"seq\":7}");
	for (int i = 0; i < 2; i++) {
		assert_int_equal(lr_spool_list(f->sp, both[i], false, &v, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(v[0].seq, 7);
		assert_string_equal(v[0].id, "evt_A");
		assert_int_equal(v[0].bytes, 9);
		assert_int_equal(v[0].attempts, 0);
		/* committed now: the file's mtime */
		assert_true(v[0].first_ms + 5000 > lr_wall_us() / 1000 && v[0].first_ms <= lr_wall_us() / 1000 + 5000);
		assert_int_equal(lr_spool_read(f->sp, both[i], &v[0], &body, &len), 0);
		assert_int_equal(len, 9);
		assert_memory_equal(body, "{\"seq\":7}", 9);
		free(body);
		free(v);
	}
	/* nothing is left in tmp/ */
	{
		char path[128];

		snprintf(path, sizeof(path), "%s/tmp/%020d.evt_A.json", f->dir, 7);
		assert_int_equal(access(path, F_OK), -1);
	}
}

static void test_order_and_strays(void **state)
{
	struct fixture *f = *state;
	struct lr_spool_entry *v;
	size_t n;
	char path[160];
	int fd;

	commit(f, 12, "evt_C", "c");
	commit(f, 3, "evt_A", "a");
	commit(f, 10, "evt_B", "b");
	/* files that are not committed events are ignored */
	snprintf(path, sizeof(path), "%s/q/ops/garbage", f->dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	snprintf(path, sizeof(path), "%s/q/ops/.00000000000000000001.evt_X.json.99.tmp", f->dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_int_equal(lr_spool_list(f->sp, "ops", false, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].seq, 3);
	assert_int_equal(v[1].seq, 10);
	assert_int_equal(v[2].seq, 12);
	free(v);
	/* an endpoint without a queue yet */
	assert_int_equal(lr_spool_list(f->sp, "none", false, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
}

static void test_meta_done_bury_replay(void **state)
{
	struct fixture *f = *state;
	struct lr_spool_entry *v;
	size_t n;

	commit(f, 1, "evt_A", "a");
	commit(f, 2, "evt_B", "b");
	assert_int_equal(lr_spool_list(f->sp, "ops", false, &v, &n), 0);
	v[0].attempts = 3;
	v[0].next_ms = 99999;
	snprintf(v[0].last_error, sizeof(v[0].last_error), "HTTP 503");
	assert_int_equal(lr_spool_update(f->sp, "ops", &v[0]), 0);
	assert_int_equal(lr_spool_done(f->sp, "ops", &v[1]), 0);
	free(v);
	assert_int_equal(lr_spool_list(f->sp, "ops", false, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].attempts, 3);
	assert_int_equal(v[0].next_ms, 99999);
	assert_string_equal(v[0].last_error, "HTTP 503");
	assert_int_equal(lr_spool_bury(f->sp, "ops", &v[0], "HTTP 410 Gone"), 0);
	free(v);
	assert_int_equal(lr_spool_list(f->sp, "ops", false, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
	assert_int_equal(lr_spool_list(f->sp, "ops", true, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].last_error, "HTTP 410 Gone");
	free(v);
	/* the other endpoint is untouched */
	assert_int_equal(lr_spool_list(f->sp, "chat", false, &v, &n), 0);
	assert_int_equal(n, 2);
	free(v);
	assert_int_equal(lr_spool_replay(f->sp, "ops", 5000), 1);
	assert_int_equal(lr_spool_list(f->sp, "ops", false, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].seq, 1);
	assert_int_equal(v[0].attempts, 0);
	assert_int_equal(v[0].next_ms, 5000);
	assert_string_equal(v[0].last_error, "");
	free(v);
	assert_int_equal(lr_spool_list(f->sp, "ops", true, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
}

static void test_trim(void **state)
{
	struct fixture *f = *state;
	struct lr_spool_entry *v;
	size_t n;

	for (uint64_t s = 1; s <= 5; s++) {
		char id[16];

		snprintf(id, sizeof(id), "evt_%c", (char)('A' + s));
		commit(f, s, id, "0123456789");
	}
	assert_int_equal(lr_spool_trim(f->sp, "ops", 3, 1000), 2); /* count cap */
	assert_int_equal(lr_spool_list(f->sp, "ops", false, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].seq, 3); /* the oldest went */
	free(v);
	assert_int_equal(lr_spool_trim(f->sp, "ops", 100, 15), 2); /* byte cap: 10 bytes each */
	assert_int_equal(lr_spool_list(f->sp, "ops", false, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].seq, 5);
	free(v);
	assert_int_equal(lr_spool_list(f->sp, "ops", true, &v, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(v[0].last_error, "spool full: oldest event dropped from the queue");
	free(v);
	assert_int_equal(lr_spool_trim(f->sp, "ops", 1, 10), 0);
}

static void test_bad_names(void **state)
{
	struct fixture *f = *state;
	static const char *const bad_ep[] = { "../x", "a/b", ".", "", "a.b" };
	struct lr_spool_entry *v;
	size_t n;

	for (size_t i = 0; i < sizeof(bad_ep) / sizeof(*bad_ep); i++) {
		assert_int_equal(lr_spool_commit(f->sp, &bad_ep[i], 1, 1, "evt_A", "x", 1), -EINVAL);
		assert_int_equal(lr_spool_list(f->sp, bad_ep[i], false, &v, &n), -EINVAL);
	}
	assert_int_equal(lr_spool_commit(f->sp, both, 1, 1, "evt.A", "x", 1), -EINVAL);
	assert_int_equal(lr_spool_commit(f->sp, both, 1, 1, "../../x", "x", 1), -EINVAL);
}

/* sequence numbers: persisted, consecutive, never reused; a damaged file is refused */
static void test_seq(void **state)
{
	struct fixture *f = *state;
	char path[256];
	uint64_t first;
	FILE *fp;

	assert_int_equal(lr_spool_next_seq(f->sp, 1, &first), 0);
	assert_int_equal(first, 1);
	assert_int_equal(lr_spool_next_seq(f->sp, 3, &first), 0);
	assert_int_equal(first, 2);
	assert_int_equal(lr_spool_next_seq(f->sp, 1, &first), 0);
	assert_int_equal(first, 5);
	snprintf(path, sizeof(path), "%s/seq", f->dir);
	assert_non_null(fp = fopen(path, "w"));
	fputs("12x\n", fp);
	fclose(fp);
	assert_int_equal(lr_spool_next_seq(f->sp, 1, &first), -EBADMSG);
}

/* the commit and endpoint locks exclude a second holder, with a bounded wait */
static void test_locks(void **state)
{
	struct fixture *f = *state;
	struct lr_spool *other;
	int a, b;

	assert_int_equal(lr_spool_open(f->dir, &other), 0);
	assert_true((a = lr_spool_lock_commit(f->sp, 0)) >= 0);
	assert_int_equal(lr_spool_lock_commit(other, 20), -EWOULDBLOCK);
	close(a);
	assert_true((b = lr_spool_lock_commit(other, 20)) >= 0);
	close(b);
	assert_true((a = lr_spool_lock_endpoint(f->sp, "ops", 0)) >= 0);
	assert_int_equal(lr_spool_lock_endpoint(other, "ops", 5), -EWOULDBLOCK);
	assert_true((b = lr_spool_lock_endpoint(other, "chat", 0)) >= 0);
	close(a);
	close(b);
	assert_int_equal(lr_spool_lock_endpoint(other, "../x", 0), -EINVAL);
	lr_spool_close(other);
}

/* a crash leaves temporary files, orphaned metas and tmp/ entries: swept (a temporary file
 * is a crash's only when its writer, the pid in its name, is gone: 4999999 is above any
 * pid_max); a name that is not exactly what the spool writes is not an event (it could never
 * be read back) */
static void test_sweep_and_strays(void **state)
{
	struct fixture *f = *state;
	static const char *const junk[] = {
		"q/ops/.00000000000000000009.evt_B.meta.4999999.tmp", "q/ops/00000000000000000009.evt_B.meta",
		"tmp/00000000000000000010.evt_C.json", "q/ops/+0000000000000000007.evt_D.json",
	};
	struct lr_spool_entry *v;
	char path[512];
	size_t n;

	commit(f, 7, "evt_A", "{}");
	for (size_t i = 0; i < sizeof(junk) / sizeof(*junk); i++) {
		FILE *fp;

		snprintf(path, sizeof(path), "%s/%s", f->dir, junk[i]);
		assert_non_null(fp = fopen(path, "w"));
		fclose(fp);
	}
	assert_int_equal(lr_spool_list(f->sp, "ops", false, &v, &n), 0);
	assert_int_equal(n, 1); /* "+000...7" is not listed */
	assert_string_equal(v[0].id, "evt_A");
	free(v);
	/* a committer that is still running: its files stay */
	snprintf(path, sizeof(path), "%s/tmp/00000000000000000011.evt_E.0.%ld.tmp", f->dir, (long)getpid());
	{
		FILE *fp = fopen(path, "w");

		assert_non_null(fp);
		fclose(fp);
	}
	assert_int_equal(lr_spool_remove_leftovers(f->sp, "ops"), 2);
	assert_int_equal(lr_spool_remove_leftovers(f->sp, NULL), 1);
	assert_int_equal(access(path, F_OK), 0);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, junk[i]);
		assert_int_equal(access(path, F_OK), -1);
	}
	snprintf(path, sizeof(path), "%s/q/ops/%020d.evt_A.json", f->dir, 7);
	assert_int_equal(access(path, F_OK), 0);
}

/* replay gives a dead letter a new lease on max_age */
static void test_replay_age(void **state)
{
	struct fixture *f = *state;
	struct lr_spool_entry *v;
	size_t n;

	commit(f, 3, "evt_A", "{}");
	assert_int_equal(lr_spool_list(f->sp, "ops", false, &v, &n), 0);
	v[0].first_ms = 1000;
	assert_int_equal(lr_spool_bury(f->sp, "ops", &v[0], "expired"), 0);
	free(v);
	assert_int_equal(lr_spool_replay(f->sp, "ops", 99999000), 1);
	assert_int_equal(lr_spool_list(f->sp, "ops", false, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].first_ms, 99999000);
	assert_int_equal(v[0].attempts, 0);
	free(v);
}

/* A batch: one report in two formats (same seq and id, other queues), a bad item that
 * fails alone, and the rest committed; tmp/ is left empty. */
static void test_commit_many(void **state)
{
	struct fixture *f = *state;
	static const char *const ops[] = { "ops" }, *const chat[] = { "chat" };
	struct lr_spool_item it[] = {
		{ ops, 1, 1, "evt_A", "{\"f\":\"standard\"}", 16, 0 },
		{ chat, 1, 1, "evt_A", "{\"text\":\"x\"}", 12, 0 },
		{ ops, 1, 2, "evt.bad", "{}", 2, 0 },
		{ both, 2, 3, "evt_C", "{\"c\":3}", 7, 0 },
	};
	struct lr_spool_entry *v;
	size_t n, len;
	char *body;

	assert_int_equal(lr_spool_commit_many(f->sp, it, 4), 3);
	assert_int_equal(it[0].err, 0);
	assert_int_equal(it[1].err, 0);
	assert_int_equal(it[2].err, -EINVAL);
	assert_int_equal(it[3].err, 0);
	assert_int_equal(lr_spool_list(f->sp, "ops", false, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].seq, 1);
	assert_int_equal(v[1].seq, 3);
	assert_int_equal(lr_spool_read(f->sp, "ops", &v[0], &body, &len), 0);
	assert_string_equal(body, "{\"f\":\"standard\"}");
	free(body);
	free(v);
	assert_int_equal(lr_spool_list(f->sp, "chat", false, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(lr_spool_read(f->sp, "chat", &v[0], &body, &len), 0);
	assert_string_equal(body, "{\"text\":\"x\"}"); /* its own body, not the other format's */
	free(body);
	free(v);
	assert_int_equal(lr_spool_remove_leftovers(f->sp, NULL), 0); /* nothing left in tmp/ to sweep */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_and_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_and_strays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_meta_done_bury_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep_and_strays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_many, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
