/* libnftables, loaded on first use (nft.h). */
#include "config.h"
#include "nft.h"

#include <dlfcn.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* The functions used, taken from the library by name; the header's prototypes check them. */
static struct {
	__typeof__(nft_ctx_new) *ctx_new;
	__typeof__(nft_ctx_free) *ctx_free;
	__typeof__(nft_ctx_output_set_flags) *set_flags;
	__typeof__(nft_ctx_buffer_output) *buffer_output;
	__typeof__(nft_ctx_buffer_error) *buffer_error;
	__typeof__(nft_ctx_get_output_buffer) *output;
	__typeof__(nft_ctx_get_error_buffer) *error;
	__typeof__(nft_run_cmd_from_buffer) *run;
} lib;
static char load_error[160];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *h = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
	struct { void **fn; const char *name; } syms[] = {
		{ (void **)&lib.ctx_new, "nft_ctx_new" },
		{ (void **)&lib.ctx_free, "nft_ctx_free" },
		{ (void **)&lib.set_flags, "nft_ctx_output_set_flags" },
		{ (void **)&lib.buffer_output, "nft_ctx_buffer_output" },
		{ (void **)&lib.buffer_error, "nft_ctx_buffer_error" },
		{ (void **)&lib.output, "nft_ctx_get_output_buffer" },
		{ (void **)&lib.error, "nft_ctx_get_error_buffer" },
		{ (void **)&lib.run, "nft_run_cmd_from_buffer" },
	};

	if (!h) {
		snprintf(load_error, sizeof(load_error), "libnftables.so.1 cannot be loaded (Debian: libnftables1): %s",
			 dlerror());
		return;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(*syms); i++) {
		*syms[i].fn = dlsym(h, syms[i].name);
		if (!*syms[i].fn) {
			snprintf(load_error, sizeof(load_error), "libnftables.so.1 has no %s", syms[i].name);
			lib.run = NULL;
			return;
		}
	}
}

/* The first line of libnftables' error text, without its "Error: " */
static int error_of(const char *text, char *msg, size_t msglen)
{
	const char *s = text && *text ? text : "nftables refused the commands";
	size_t n;

	if (!strncmp(s, "Error: ", 7))
		s += 7;
	n = strcspn(s, "\n");
	snprintf(msg, msglen, "nftables: %.*s", (int)(n > 200 ? 200 : n), s);
	return strstr(s, "No such file or directory") ? -ENOENT : strstr(s, "Operation not permitted") ? -EPERM : -EIO;
}

int lr_nft_load(char *msg, size_t msglen)
{
	pthread_once(&once, load);
	if (lib.run)
		return 0;
	snprintf(msg, msglen, "%s", load_error);
	return -ENOSYS;
}

int lr_nft_run(const char *cmds, char **out, char *msg, size_t msglen)
{
	struct nft_ctx *ctx;
	int r = 0;

	if (lr_nft_load(msg, msglen) < 0)
		return -ENOSYS;
	ctx = lib.ctx_new(NFT_CTX_DEFAULT);
	if (!ctx)
		return -ENOMEM;
	if (lib.buffer_output(ctx) || lib.buffer_error(ctx)) {
		lib.ctx_free(ctx);
		return -ENOMEM;
	}
	if (out)
		lib.set_flags(ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
	if (lib.run(ctx, cmds) != 0)
		r = error_of(lib.error(ctx), msg, msglen);
	else if (out && !(*out = strdup(lib.output(ctx))))
		r = -ENOMEM;
	lib.ctx_free(ctx);
	return r;
}
