/* Settings of net.ipv4.conf.<iface> (the ARP sysctls, promote_secondaries) and IPVS's
 * backup_only, read and written through /proc/sys. */
#include "config.h"
#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int sysctl_path_v(int v, const char *ifname, const char *name, char *buf, size_t len)
{
	if (!lr_ifname_valid(ifname) || strchr(name, '/') || strlen(name) > 32)
		return -EINVAL;
	snprintf(buf, len, "/proc/sys/net/ipv%d/conf/%s/%s", v, ifname, name);
	return 0;
}

static int sysctl_path(const char *ifname, const char *name, char *buf, size_t len)
{
	return sysctl_path_v(4, ifname, name, buf, len);
}

int lr_sysctl_read(const char *ifname, enum lr_sysctl_key key, int *value)
{
	return lr_sysctl_conf_read(ifname, lr_sysctl_key_name(key), value);
}

int lr_sysctl_write(const char *ifname, enum lr_sysctl_key key, int value)
{
	return lr_sysctl_conf_write(ifname, lr_sysctl_key_name(key), value);
}

static int read_int(const char *path, int *value)
{
	char buf[32], *end;
	ssize_t n;
	long v;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || v < 0 || v > 255)
		return -EBADMSG;
	*value = (int)v;
	return 0;
}

int lr_sysctl_conf_read(const char *ifname, const char *name, int *value)
{
	char path[96];
	int r = sysctl_path(ifname, name, path, sizeof(path));

	return r < 0 ? r : read_int(path, value);
}

int lr_sysctl_conf6_read(const char *ifname, const char *name, int *value)
{
	char path[96];
	int r = sysctl_path_v(6, ifname, name, path, sizeof(path));

	return r < 0 ? r : read_int(path, value);
}

static int write_int(const char *path, int value)
{
	char buf[16];
	int fd, len, r;
	ssize_t k;

	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%d\n", value);
	k = write(fd, buf, (size_t)len);
	r = k == len ? 0 : k < 0 ? -errno : -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

int lr_sysctl_conf_write(const char *ifname, const char *name, int value)
{
	char path[96];
	int r = sysctl_path(ifname, name, path, sizeof(path));

	return r < 0 ? r : write_int(path, value);
}

int lr_sysctl_backup_only_read(int *value)
{
	return read_int(LR_BACKUP_ONLY_PATH, value);
}

int lr_sysctl_backup_only_write(int value)
{
	return write_int(LR_BACKUP_ONLY_PATH, value);
}
