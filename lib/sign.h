/* Standard Webhooks v1 signatures: HMAC-SHA256 over "id.timestamp.body", base64. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define LR_SIGN_KEY_MIN 24
#define LR_SIGN_KEY_MAX 64
/* "v1," + 44 characters of base64, per key, space-separated */
#define LR_SIGN_ENTRY_LEN 47

struct lr_sign_key {
	uint8_t key[LR_SIGN_KEY_MAX];
	size_t len;
};

/* Decodes a secret ("whsec_" + base64, or the base64 alone; surrounding white space such as
 * a file's final newline is ignored). Returns 0, or -EINVAL with the reason in err (the
 * secret itself is never quoted). */
int lr_sign_key_parse(const char *secret, struct lr_sign_key *out, char *err, size_t errlen);
/* Writes "v1,<sig>" for each of keys[0..n) (current first, then previous ones), separated by
 * single spaces, into out (at least n * (LR_SIGN_ENTRY_LEN + 1) bytes). */
int lr_sign(const struct lr_sign_key *keys, size_t n, const char *id, int64_t timestamp,
	    const void *body, size_t len, char *out, size_t outlen);
