/* Finding and starting lvsrole-deliver. */
#include "config.h"
#include "helper.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "util.h"

/* Next to this program (the build tree, or an installation that puts both in one place),
 * else where `make install` puts it. */
static char *helper_path(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash && (size_t)snprintf(buf, len, "%.*s/%s", (int)(slash - self), self, LR_HELPER_NAME) < len &&
		    access(buf, X_OK) == 0)
			return buf;
	}
	snprintf(buf, len, "%s/%s", LR_PKGLIBEXECDIR, LR_HELPER_NAME);
	return buf;
}

int lr_helper_exec(char **argv)
{
	char path[PATH_MAX];

	argv[0] = helper_path(path, sizeof(path));
	execv(path, argv);
	log_err("cannot run %s: %s", path, strerror(errno));
	return LR_EXIT_FAILED;
}

int lr_helper_spawn_delivery(const struct lr_config *cfg, int verbose)
{
	char path[PATH_MAX], *argv[8];
	int n = 0;
	pid_t pid;

	if (cfg->n_endpoints == 0 || cfg->delivery_deadline_ms == 0)
		return 0;
	helper_path(path, sizeof(path));
	argv[n++] = path;
	for (int i = 0; i < verbose && i < 2; i++)
		argv[n++] = (char *)"-v";
	argv[n++] = (char *)"-c";
	argv[n++] = (char *)cfg->path;
	argv[n++] = (char *)"deliver";
	argv[n] = NULL;
	pid = fork();
	if (pid != 0)
		return pid < 0 ? -errno : pid;
	/* its own session: keepalived's SIGKILL of the caller's process group (after a STOP)
	 * does not cut it; it keeps none of the caller's descriptors above stderr (locks) */
	lr_detach_session();
	lr_log_drop_fds();
	/* delivery is background work: the next switch (a flapping instance, the other
	 * instances' notifies) must not wait for a CPU behind it; loading libcurl alone takes
	 * several ms of CPU */
	setpriority(PRIO_PROCESS, 0, LR_DELIVER_NICE);
	execv(path, argv);
	log_err("webhooks: cannot run %s: %s; the reports wait for the next run or flush", path, strerror(errno));
	_exit(LR_EXIT_FAILED);
}
