/* The state directory: the switch lock, the arrival register that lets a newer event
 * supersede an older one, and the state file (instance -> role, state, priority, sequence,
 * time; the ARP sysctl values found at lvsrole's first look in this boot). Files are replaced
 * atomically, so a crash at any point leaves the old or the new version. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct lr_record {
	char name[LR_MAX_NAME + 1];
	enum lr_scope scope;
	enum lr_role role;
	enum lr_kstate kstate;
	int priority; /* -1: none (operator command) */
	uint64_t seq;
	uint64_t time_us; /* wall clock */
	char result[16];
};

struct lr_saved_sysctl {
	char ifname[LR_IFNAMSIZ];
	int values[LR_SYSCTL__COUNT]; /* -1: not saved */
};

struct lr_state {
	struct lr_record *rec;
	size_t n_rec;
	struct lr_saved_sysctl *saved;
	size_t n_saved;
	/* net.ipv4.vs.backup_only as found at the first look (loop guard "backup_only") */
	bool backup_only_known;
	int backup_only_saved;
};

struct lr_statedir {
	char *path;
	int dirfd;
	int lockfd;
};

/* Creates the directory if needed (0700, owned by us, not a symlink). */
int lr_statedir_open(const char *path, struct lr_statedir **out);
/* Opens an existing directory for reading only; -ENOENT when absent. */
int lr_statedir_open_ro(const char *path, struct lr_statedir **out);
void lr_statedir_close(struct lr_statedir *sd);

/* An event as registered on arrival: what it asks for, before it waits for the lock. */
struct lr_arrival {
	char name[LR_MAX_NAME + 1];
	uint64_t seq;
	enum lr_kstate kstate;
	int priority;
	enum lr_role role;
	uint64_t time_us;
};

/* Registers arr[0..n): each gets a new per-host sequence number (written to arr[i].seq) and
 * becomes its name's latest arrival, intent included, so that whoever holds the switch lock
 * can apply the newest intent even if the process that brought it died waiting (keepalived
 * SIGKILLs a STOP notify after one second). Takes only a short lock, waiting for it up to
 * timeout_s (hundreds of runs at once each hold it for a write and an fsync). */
int lr_statedir_arrive(struct lr_statedir *sd, struct lr_arrival *arr, size_t n, unsigned timeout_s);
/* Latest arrival recorded for each of names[0..n), in one read (seq 0 where none). */
int lr_statedir_arrivals(struct lr_statedir *sd, const char *const *names, size_t n,
			 struct lr_arrival *out);
/* The same for one name. */
int lr_statedir_last_arrival(struct lr_statedir *sd, const char *name, struct lr_arrival *out);

/* The switch lock. shared: for announcers that only read. Fails with -ETIMEDOUT. */
int lr_statedir_lock(struct lr_statedir *sd, bool shared, unsigned timeout_s);
void lr_statedir_unlock(struct lr_statedir *sd);
/* Another lock of the directory: name (created 0600 if missing, never through a symbolic
 * link) locked exclusively, waiting up to timeout_s; returns its descriptor (closing it
 * unlocks) or a negative errno (-ETIMEDOUT). */
int lr_statedir_lock_file(struct lr_statedir *sd, const char *name, unsigned timeout_s);
/* The pid holding the switch lock (from /proc/locks), or 0 when none is found. */
long lr_statedir_lock_holder(struct lr_statedir *sd);

/* Missing file: empty state. An unreadable or corrupt file: -EBADMSG with a message in err. */
int lr_state_load(struct lr_statedir *sd, struct lr_state *st, char *err, size_t errlen);
int lr_state_save(struct lr_statedir *sd, const struct lr_state *st);
void lr_state_free(struct lr_state *st);
/* Moves a corrupt state file aside (state.json.corrupt) so the next save starts afresh. */
int lr_state_quarantine(struct lr_statedir *sd);

/* A switch's hold on the state directory, taken in one call and given back in one: the
 * directory opened, the arrivals recorded (before the wait, so that an event a newer one
 * overtook learns it), the switch lock taken, the state file loaded; then saved each time
 * the switch records something; then released, the lock first. */
enum lr_txn_step { LR_TXN_OPEN = 1, LR_TXN_ARRIVE, LR_TXN_LOCK, LR_TXN_LOAD };
struct lr_txn {
	struct lr_statedir *sd;
	struct lr_state st;
	bool locked;
	uint64_t lock_wait_us;
	enum lr_txn_step failed; /* where lr_txn_begin stopped */
	bool quarantined;        /* the state file was corrupt: moved aside, no records */
	char err[320];           /* why the state file was corrupt or unreadable */
};
/* arr[0..n) get their sequence numbers (n 0: nothing arrives); both waits are up to wait_s
 * (0: ~0.1 s, for an event loop). read_only (a dry run): no arrival, no lock, and a missing
 * directory is an empty state. */
int lr_txn_begin(struct lr_txn *t, const char *dir, struct lr_arrival *arr, size_t n, unsigned wait_s,
		 bool read_only);
int lr_txn_save(struct lr_txn *t);
/* The lock released, the temporary files of killed runs removed (off the switch's path),
 * everything freed. */
void lr_txn_end(struct lr_txn *t);

struct lr_record *lr_state_find(struct lr_state *st, const char *name);
/* The record for name, created empty when missing. */
struct lr_record *lr_state_get(struct lr_state *st, const char *name);
struct lr_saved_sysctl *lr_state_saved(struct lr_state *st, const char *ifname, bool create);
/* The kernel's id of this boot ("" when it cannot be read). */
const char *lr_boot_id(void);

/* plugin.json in the state directory: written by lvsrole-plugin, read by `status`. */
#define LR_PLUGIN_INFO_FILE "plugin.json"
struct lr_plugin_info {
	long pid;
	bool running;
	char started[40], stopped[40], how[16];
	char fifo[256];
	char last_line[256], last_line_time[40];
	char last_event[256];
	char drift[16];
	uint64_t lines[5]; /* state, priority, checker, bad, ignored */
};
int lr_plugin_info_read(struct lr_statedir *sd, struct lr_plugin_info *out);
/* Whether pid runs lvsrole-plugin (directly or under a wrapper such as valgrind), not a
 * process that got the pid since. */
bool lr_plugin_alive(long pid);
