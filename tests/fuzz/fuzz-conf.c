/* The config parser and validator (lr_config_parse), on any bytes. Invariants: a refusal says
 * where and what is wrong ("NAME:LINE: path: what"); an accepted config's dump (what check
 * prints: resolved, defaults filled in) is valid JSON. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "conf.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lr_config *cfg = NULL;
	char err[1024] = "";
	char *dump;

	if (size > 256 * 1024) /* lr_config_load refuses more than LR_CONF_MAX_BYTES */
		return 0;
	if (lr_config_parse("fuzz.conf", (const char *)data, size, &cfg, err, sizeof(err)) < 0) {
		if (strncmp(err, "fuzz.conf:", 10) != 0)
			__builtin_trap(); /* a refusal without the file and line */
		return 0;
	}
	dump = lr_config_dump(cfg);
	if (!dump)
		__builtin_trap();
	struct json_object *o = json_tokener_parse(dump);

	if (!o)
		__builtin_trap(); /* what check prints is not JSON */
	json_object_put(o);
	free(dump);
	lr_config_free(cfg);
	return 0;
}
