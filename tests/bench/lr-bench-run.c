/* The benchmark's process timer: runs command A then command B, ITER times, each as a whole
 * process (posix_spawn to wait4), and prints one line per run:
 *
 *   A|B RUN START-WALL-US ELAPSED-US MAXRSS-KB EXIT
 *
 *   lr-bench-run ITER OUTFILE -- A-ARGV... [-- B-ARGV...]
 *
 * The commands' stdout and stderr are appended to OUTFILE, each run after a line "### A|B RUN",
 * so their own figures (lvsrole's switch time, the floor's) can be matched to the run. */
#define _GNU_SOURCE
#include <fcntl.h>
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

static uint64_t us(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int run(char **argv, int out, const char *label, int i)
{
	posix_spawn_file_actions_t fa;
	struct rusage ru;
	uint64_t wall, t0, t1;
	pid_t pid;
	int st;

	dprintf(out, "### %s %d\n", label, i);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, out, 2);
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
	printf("%s %d %llu %llu %ld %d\n", label, i, (unsigned long long)wall, (unsigned long long)(t1 - t0),
	       ru.ru_maxrss, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	char **a = NULL, **b = NULL;
	int iter, out;

	if (argc < 5 || (iter = atoi(argv[1])) < 1 || strcmp(argv[3], "--")) {
		fprintf(stderr, "usage: lr-bench-run ITER OUTFILE -- A-ARGV... [-- B-ARGV...]\n");
		return 2;
	}
	a = argv + 4;
	for (int i = 4; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			argv[i] = NULL;
			b = argv + i + 1;
			break;
		}
	out = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (out < 0) {
		perror(argv[2]);
		return 1;
	}
	for (int i = 0; i < iter; i++)
		if (run(a, out, "A", i) < 0 || (b && *b && run(b, out, "B", i) < 0))
			return 1;
	return 0;
}
