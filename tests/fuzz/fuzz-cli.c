/* lvsrole-notify's argv as keepalived passes it (lr_cli_parse): the input cut at NUL bytes
 * into at most 64 arguments. Invariants: a refusal says why; an accepted event names an
 * instance or group and a priority 0..255. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[66];
	int argc = 0;
	struct lr_cli cli;
	char err[512] = "";

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[argc++] = (char *)"lvsrole-notify";
	for (char *p = copy; p <= copy + size && argc < 65; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	if (lr_cli_parse(argc, argv, &cli, err, sizeof(err)) < 0) {
		if (!err[0])
			__builtin_trap();
	} else if (cli.cmd == LR_CMD_EVENT &&
		   (!cli.name || !cli.name[0] || cli.priority < 0 || cli.priority > 255)) {
		__builtin_trap();
	}
	free(copy);
	return 0;
}
