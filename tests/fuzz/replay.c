/* Without libFuzzer: runs every file named (or every file in a directory named) through the
 * target once, in name order, and says how many; a crash is the sanitizers' or the kernel's.
 *
 *   fuzz-TARGET [-OPTION...] FILE|DIR...   (libFuzzer's options are taken and ignored) */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#define REPLAY_MAX_INPUT (1 << 20)

static int run_file(const char *path)
{
	static uint8_t buf[REPLAY_MAX_INPUT];
	size_t len = 0;
	ssize_t k;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while (len < sizeof(buf) && (k = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)k;
	close(fd);
	/* a copy of exactly its size: the sanitizers see a read past the input */
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return -1;
	memcpy(copy, buf, len);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	unsigned n = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		struct dirent **ents;
		int k;

		if (argv[i][0] == '-')
			continue;
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) < 0)
				return 1;
			n++;
			continue;
		}
		k = scandir(argv[i], &ents, NULL, by_name);
		if (k < 0)
			return 1;
		for (int j = 0; j < k; j++) {
			char path[4096];

			if (ents[j]->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", argv[i], ents[j]->d_name);
				if (run_file(path) < 0)
					return 1;
				n++;
			}
			free(ents[j]);
		}
		free(ents);
	}
	printf("%u input(s) run\n", n);
	return 0;
}
