/* The spool's files as another process, a crash or a person may leave them (lr_spool_*): the
 * first byte picks the file the rest of the input becomes: 0 the sequence file "seq", 1 an
 * entry's .meta, 2 a file of any name (up to the first NUL) in a queue. Then the queue is
 * listed, read, trimmed to the dead letters, listed again. Invariants: sequence numbers only
 * go up; listed entries are in seq order with bounded, terminated fields; every listed entry
 * is moved. The spool is a directory in /dev/shm (or TMPDIR) for the whole run. */
#define _GNU_SOURCE
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "spool.h"

static char dir[256];
static struct lr_spool *sp;

static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char p[512];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		if (unlink(p) < 0) {
			rm_tree(p);
			rmdir(p);
		}
	}
	closedir(d);
}

static void bye(void)
{
	lr_spool_close(sp);
	rm_tree(dir);
	rmdir(dir);
}

static void put(const char *rel, const uint8_t *data, size_t len)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	if (write(fd, data, len) < 0)
		__builtin_trap();
	close(fd);
}

static void check_list(bool dead, size_t *count)
{
	struct lr_spool_entry *v = NULL;
	size_t n = 0;

	*count = 0;
	if (lr_spool_list(sp, "ep", dead, &v, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		char *body = NULL;
		size_t len = 0;

		if (strnlen(v[i].id, sizeof(v[i].id)) == sizeof(v[i].id) ||
		    strnlen(v[i].last_error, sizeof(v[i].last_error)) == sizeof(v[i].last_error) ||
		    (i > 0 && v[i].seq < v[i - 1].seq))
			__builtin_trap();
		if (!dead && lr_spool_read(sp, "ep", &v[i], &body, &len) == 0 && len > LR_SPOOL_MAX_BODY)
			__builtin_trap();
		free(body);
	}
	free(v);
	*count = n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char p[512];
	size_t pending, dead;
	uint64_t first, second;

	if (!sp) {
		const char *t = getenv("TMPDIR");

		snprintf(dir, sizeof(dir), "%s/lvsrole-fuzz-spool.XXXXXX", t && *t ? t : "/dev/shm");
		if (!mkdtemp(dir) || lr_spool_open(dir, &sp) < 0)
			__builtin_trap();
		atexit(bye);
	}
	if (size < 1 || size > 64 * 1024)
		return 0;
	snprintf(p, sizeof(p), "%s/q/ep", dir);
	rm_tree(p);
	snprintf(p, sizeof(p), "%s/dead/ep", dir);
	rm_tree(p);
	/* the queue exists: the endpoint's lock makes it */
	int lock = lr_spool_lock_endpoint(sp, "ep", 0);

	if (lock < 0)
		__builtin_trap();
	switch (data[0] % 3) {
	case 0:
		put("seq", data + 1, size - 1);
		if (lr_spool_next_seq(sp, 1, &first) == 0 &&
		    (lr_spool_next_seq(sp, 1, &second) < 0 || second != first + 1))
			__builtin_trap();
		break;
	case 1:
		put("q/ep/00000000000000000007.evt_01KQZZZZZZZZZZZZZZZZZZZZZZ.json", (const uint8_t *)"{}", 2);
		put("q/ep/00000000000000000007.evt_01KQZZZZZZZZZZZZZZZZZZZZZZ.meta", data + 1, size - 1);
		break;
	default: {
		const uint8_t *nul = memchr(data + 1, '\0', size - 1);
		size_t nlen = nul ? (size_t)(nul - (data + 1)) : size - 1;
		char name[256], rel[300];

		if (nlen == 0 || nlen >= sizeof(name))
			break;
		memcpy(name, data + 1, nlen);
		name[nlen] = '\0';
		if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
			break;
		snprintf(rel, sizeof(rel), "q/ep/%s", name);
		put(rel, nul ? nul + 1 : data + size, nul ? size - 1 - nlen - 1 : 0);
	}
	}
	check_list(false, &pending);
	if (lr_spool_trim(sp, "ep", 0, 0) < 0 && pending)
		__builtin_trap();
	check_list(false, &pending);
	check_list(true, &dead);
	if (pending != 0)
		__builtin_trap(); /* trimmed to nothing: every listed entry moved */
	close(lock);
	return 0;
}
