/* Small helpers shared by every module. */
#include "config.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

size_t lr_ip_len(const struct lr_ip *ip)
{
	return ip->family == AF_INET ? 4 : 16;
}

int lr_ip_cmp(const struct lr_ip *a, const struct lr_ip *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bytes, b->bytes, lr_ip_len(a));
}

bool lr_ip_equal(const struct lr_ip *a, const struct lr_ip *b)
{
	return a->family == b->family && memcmp(a->bytes, b->bytes, lr_ip_len(a)) == 0;
}

const char *lr_ip_str(const struct lr_ip *ip, char *buf, size_t len)
{
	if (!inet_ntop(ip->family, ip->bytes, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

int lr_ip_parse(const char *s, struct lr_ip *out)
{
	struct lr_ip ip = { 0 };

	if (strchr(s, ':')) {
		ip.family = AF_INET6;
		if (inet_pton(AF_INET6, s, &ip.v6) != 1)
			return -EINVAL;
	} else {
		ip.family = AF_INET;
		if (inet_pton(AF_INET, s, &ip.v4) != 1)
			return -EINVAL;
	}
	*out = ip;
	return 0;
}

bool lr_ifname_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= LR_IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p) || !isprint((unsigned char)*p))
			return false;
	return true;
}

int lr_read_file(const char *path, size_t max, char **out, size_t *len)
{
	int r, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	r = lr_read_fd(fd, max, out, len);
	close(fd);
	return r;
}

int lr_read_fd(int fd, size_t max, char **out, size_t *len)
{
	int r = 0;
	size_t n = 0, cap = 4096;
	char *buf = malloc(cap + 1);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t k;

		if (n == cap) {
			char *nb;

			if (cap > max) {
				r = -EFBIG;
				break;
			}
			cap *= 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
		}
		k = read(fd, buf + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			break;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	if (r == 0 && n > max)
		r = -EFBIG;
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t k = write(fd, p, len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

int lr_write_atomic(int dirfd, const char *name, const void *data, size_t len)
{
	return lr_write_atomic_mode(dirfd, name, data, len, 0600);
}

int lr_write_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode, bool durable)
{
	char tmp[NAME_MAX + 1];
	int fd, r;

	if (snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", name, (long)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	r = fchmod(fd, mode) < 0 ? -errno : 0; /* whatever the umask */
	if (r == 0)
		r = write_all(fd, data, len);
	if (r == 0 && durable && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	if (durable)
		fsync(dirfd);
	return 0;
}

int lr_write_atomic_mode(int dirfd, const char *name, const void *data, size_t len, mode_t mode)
{
	return lr_write_replace(dirfd, name, data, len, mode, true);
}

bool lr_tmp_owner_gone(const char *name)
{
	size_t len = strlen(name), k;
	long pid = 0;

	if (len < 6 || strcmp(name + len - 4, ".tmp"))
		return false;
	k = len - 4;
	while (k > 0 && isdigit((unsigned char)name[k - 1]) && len - 4 - k < 10)
		k--;
	if (k == len - 4 || k == 0 || name[k - 1] != '.')
		return false;
	for (size_t i = k; i < len - 4; i++)
		pid = pid * 10 + (name[i] - '0');
	/* 0 and 1 are no writer's pid (an old name's index, init) */
	return pid < 2 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH);
}

int lr_sweep_dir(int dirfd, bool (*leftover)(int dirfd, const char *name, void *arg), void *arg)
{
	int n = 0, cfd = dup(dirfd);
	DIR *d = cfd >= 0 ? fdopendir(cfd) : NULL;
	struct dirent *de;

	if (!d) {
		if (cfd >= 0)
			close(cfd);
		return -errno;
	}
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || S_ISDIR(st.st_mode))
			continue;
		if (leftover(dirfd, de->d_name, arg) && unlinkat(dirfd, de->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static bool stale_tmp(int dirfd, const char *name, void *arg)
{
	(void)dirfd, (void)arg;
	return name[0] == '.' && lr_tmp_owner_gone(name);
}

int lr_sweep_stale_tmp(int dirfd)
{
	return lr_sweep_dir(dirfd, stale_tmp, NULL);
}

int lr_ensure_dir(const char *path)
{
	char buf[PATH_MAX];
	struct stat st;
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf) || path[0] != '/')
		return -EINVAL;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) == 0)
			chmod(buf, 0755); /* the umask may have taken the search bits */
		else if (errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) == 0)
		chmod(buf, 0700);
	else if (errno != EEXIST)
		return -errno;
	if (lstat(buf, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_uid != geteuid())
		return -EPERM;
	if (st.st_mode & 0022)
		return -EACCES;
	return 0;
}

const char *lr_dir_refusal(const char *path, int err, char *buf, size_t len)
{
	struct stat st;

	if ((err != -ENOTDIR && err != -ELOOP && err != -EPERM && err != -EACCES) || lstat(path, &st) < 0)
		snprintf(buf, len, "%s", strerror(-err));
	else if (S_ISLNK(st.st_mode))
		snprintf(buf, len, "a symbolic link (refused: never followed)");
	else if (!S_ISDIR(st.st_mode))
		snprintf(buf, len, "not a directory");
	else if (st.st_uid != geteuid())
		snprintf(buf, len, "owned by uid %u, not by uid %u that lvsrole runs as (refused)",
			 (unsigned)st.st_uid, (unsigned)geteuid());
	else if (st.st_mode & 0022)
		snprintf(buf, len, "others can write it (mode %04o): refused until chmod go-w",
			 (unsigned)(st.st_mode & 07777));
	else
		snprintf(buf, len, "%s", strerror(-err));
	return buf;
}

uint64_t lr_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t lr_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void lr_format_time(uint64_t wall_us, char *buf, size_t len)
{
	time_t s = (time_t)(wall_us / 1000000u);
	struct tm tm;
	char tmp[32];

	gmtime_r(&s, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06uZ", tmp, (unsigned)(wall_us % 1000000u));
}

bool lr_printable(const char *s, size_t max)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (n >= max || s[n] < 0x20 || s[n] > 0x7e)
			return false;
	return n > 0;
}

int lr_read_secret(const char *path, size_t max, char **out, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK), r;

	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, r == -ELOOP ? "is a symbolic link (refused)" : strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if (st.st_mode & 0077) {
		snprintf(err, errlen, "%s: readable or writable by others than its owner (mode %04o): "
			 "chmod 600 it", path, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -EPERM;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by uid %u: it must belong to root (or to the user "
			 "lvsrole runs as)", path, (unsigned)st.st_uid);
		close(fd);
		return -EPERM;
	}
	r = lr_read_fd(fd, max, out, NULL);
	close(fd);
	if (r < 0)
		snprintf(err, errlen, "%s: %s", path, r == -EFBIG ? "too large" : strerror(-r));
	return r;
}

void lr_detach_session(void)
{
	sigset_t all;

	setsid();
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
}
