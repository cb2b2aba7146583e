/* The benchmark's process timer: runs each series' command A then its command B, series after
 * series, ITER times (so the series of one call share the machine's drift), each as a whole
 * process (posix_spawn to wait4), and prints one line per run in DIR/NAME.runs:
 *
 *   A|B RUN START-WALL-US ELAPSED-US MAXRSS-KB EXIT
 *
 *   lr-bench-run [-g MS] ITER DIR -- NAME A-ARGV... -- B-ARGV... [--- NAME A-ARGV... -- B-ARGV...]...
 *
 * -g: a pause of MS milliseconds before each run (what one run leaves behind, a delivery it
 * started, is not the next run's figure).
 *
 * The commands' stdout and stderr go to DIR/NAME.out, each run after a line "### A|B RUN",
 * so their own figures (lvsrole's switch time, the floor's) can be matched to the run. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct series {
	char **a, **b;
	int out;    /* NAME.out */
	FILE *runs; /* NAME.runs */
};

static uint64_t us(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static long gap_ms;

static int run(const struct series *s, char **argv, const char *label, int i)
{
	posix_spawn_file_actions_t fa;
	struct rusage ru;
	uint64_t wall, t0, t1;
	pid_t pid;
	int st;

	if (gap_ms > 0)
		nanosleep(&(struct timespec){ gap_ms / 1000, gap_ms % 1000 * 1000000 }, NULL);
	dprintf(s->out, "### %s %d\n", label, i);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, s->out, 1);
	posix_spawn_file_actions_adddup2(&fa, s->out, 2);
	wall = us(CLOCK_REALTIME);
	t0 = us(CLOCK_MONOTONIC);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		perror(argv[0]);
		return -1;
	}
	if (wait4(pid, &st, 0, &ru) != pid)
		return -1;
	t1 = us(CLOCK_MONOTONIC);
	posix_spawn_file_actions_destroy(&fa);
	fprintf(s->runs, "%s %d %llu %llu %ld %d\n", label, i, (unsigned long long)wall,
		(unsigned long long)(t1 - t0), ru.ru_maxrss, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: lr-bench-run [-g MS] ITER DIR -- NAME A-ARGV... -- B-ARGV... [--- NAME A-ARGV... -- B-ARGV...]...\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct series s[16];
	int iter, n = 0;
	char path[PATH_MAX];

	if (argc > 2 && !strcmp(argv[1], "-g")) {
		gap_ms = atol(argv[2]);
		argc -= 2;
		argv += 2;
	}
	if (argc < 7 || (iter = atoi(argv[1])) < 1 || strcmp(argv[3], "--"))
		return usage();
	/* split the series at "---", each series' two commands at "--" */
	for (int i = 4; i < argc; n++) {
		const char *name = argv[i++];
		int j = i;

		if (n == (int)(sizeof(s) / sizeof(s[0])) || i >= argc)
			return usage();
		s[n].a = argv + i;
		while (j < argc && strcmp(argv[j], "--") && strcmp(argv[j], "---"))
			j++;
		if (j == argc || strcmp(argv[j], "--") || j == i)
			return usage();
		argv[j++] = NULL;
		s[n].b = argv + j;
		while (j < argc && strcmp(argv[j], "---"))
			j++;
		if (j == (int)(s[n].b - argv))
			return usage();
		if (j < argc)
			argv[j++] = NULL;
		i = j;
		snprintf(path, sizeof(path), "%s/%s.out", argv[2], name);
		s[n].out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		snprintf(path, sizeof(path), "%s/%s.runs", argv[2], name);
		s[n].runs = fopen(path, "we");
		if (s[n].out < 0 || !s[n].runs) {
			perror(path);
			return 1;
		}
	}
	for (int i = 0; i < iter; i++)
		for (int k = 0; k < n; k++)
			if (run(&s[k], s[k].a, "A", i) < 0 || run(&s[k], s[k].b, "B", i) < 0)
				return 1;
	for (int k = 0; k < n; k++)
		if (fclose(s[k].runs) != 0)
			return 1;
	return 0;
}
