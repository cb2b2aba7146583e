/* Small helpers: bounded file I/O, atomic replace, names and addresses. */
#pragma once
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LR_IFNAMSIZ 16

/* An IPv4 or IPv6 address. */
struct lr_ip {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t bytes[16];
	};
};

size_t lr_ip_len(const struct lr_ip *ip);
/* Orders addresses: by family, then bytes. */
int lr_ip_cmp(const struct lr_ip *a, const struct lr_ip *b);
bool lr_ip_equal(const struct lr_ip *a, const struct lr_ip *b);
/* Writes "addr" (no prefix) into buf of at least INET6_ADDRSTRLEN bytes; returns buf. */
const char *lr_ip_str(const struct lr_ip *ip, char *buf, size_t len);
int lr_ip_parse(const char *s, struct lr_ip *out);

/* Linux's dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or white space. */
bool lr_ifname_valid(const char *name);

/* Reads at most max bytes of path into a NUL-terminated malloc'd buffer (-EFBIG when larger). */
int lr_read_file(const char *path, size_t max, char **out, size_t *len);
/* The same from an open descriptor (not closed). */
int lr_read_fd(int fd, size_t max, char **out, size_t *len);
/* Writes data to dir/name atomically: temp file, fsync, rename, fsync(dir). Mode 0600. */
int lr_write_atomic(int dirfd, const char *name, const void *data, size_t len);
/* The same with another mode (files others read, such as metrics). */
int lr_write_atomic_mode(int dirfd, const char *name, const void *data, size_t len, mode_t mode);
/* The same, and without the fsyncs unless durable: readers see the old or the new file, but
 * a crash may lose the new one (files rewritten often, whose loss does not matter). */
int lr_write_replace(int dirfd, const char *name, const void *data, size_t len, mode_t mode, bool durable);
/* Whether a temporary file's writer is gone: names ending ".PID.tmp" (as lr_write_atomic and
 * the spool make them) whose process no longer exists. */
bool lr_tmp_owner_gone(const char *name);
/* Removes the files (not directories) of the directory open as dirfd that leftover() says a
 * crash left; returns how many. */
int lr_sweep_dir(int dirfd, bool (*leftover)(int dirfd, const char *name, void *arg), void *arg);
/* lr_sweep_dir for the temporary files (".NAME.PID.tmp") whose writer is gone. */
int lr_sweep_stale_tmp(int dirfd);
/* Creates dir (0700, parents as needed) and checks it is a real directory owned by us. */
int lr_ensure_dir(const char *path);
/* Why lr_ensure_dir (or opening it without following links) refused path with err, in words
 * ("a symbolic link...", "owned by uid N...", "others can write it (mode 0777)..."); buf. */
const char *lr_dir_refusal(const char *path, int err, char *buf, size_t len);

/* Monotonic and wall clocks in microseconds. */
uint64_t lr_now_us(void);
uint64_t lr_wall_us(void);
/* RFC 3339 UTC with microseconds. */
void lr_format_time(uint64_t wall_us, char *buf, size_t len);

/* True when s is 1..max bytes of printable ASCII (0x20-0x7e). */
bool lr_printable(const char *s, size_t max);

/* Reads a secret (at most max bytes) from a regular file that only its owner, root or the
 * effective user, can read or write; symbolic links are refused. err says what is wrong. */
int lr_read_secret(const char *path, size_t max, char **out, char *err, size_t errlen);

/* In a forked child that must outlive its parent: its own session (keepalived's SIGKILL of
 * the parent's process group does not reach it), every signal unblocked (the parent may
 * block those it reads from a signalfd). */
void lr_detach_session(void);
