/* Signing with OpenSSL's EVP_MAC (HMAC-SHA256): the one place that knows libcrypto. */
#include "config.h"
#include "sign.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdio.h>
#include <string.h>

int lr_sign_key_parse(const char *secret, struct lr_sign_key *out, char *err, size_t errlen)
{
	unsigned char buf[(LR_SIGN_KEY_MAX / 3 + 2) * 3 + 4];
	const char *b = secret, *e;
	size_t n, pad = 0;
	int k;

	while (isspace((unsigned char)*b))
		b++;
	if (!strncmp(b, "whsec_", 6))
		b += 6;
	e = b + strlen(b);
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	n = (size_t)(e - b);
	if (n == 0 || n % 4 || n > 4 * (LR_SIGN_KEY_MAX / 3 + 1)) {
		snprintf(err, errlen, "not a base64 secret of %d to %d bytes (\"whsec_\" + base64)",
			 LR_SIGN_KEY_MIN, LR_SIGN_KEY_MAX);
		return -EINVAL;
	}
	for (const char *p = b; p < e; p++)
		if (!isalnum((unsigned char)*p) && *p != '+' && *p != '/' && !(*p == '=' && p >= e - 2)) {
			snprintf(err, errlen, "invalid character in the base64 secret");
			return -EINVAL;
		}
	pad = (e[-1] == '=') + (n > 1 && e[-2] == '=');
	k = EVP_DecodeBlock(buf, (const unsigned char *)b, (int)n);
	if (k < 0 || (size_t)k < pad) {
		snprintf(err, errlen, "invalid base64 in the secret");
		return -EINVAL;
	}
	k -= (int)pad; /* EVP_DecodeBlock counts the padding as zero bytes */
	if (k < LR_SIGN_KEY_MIN || k > LR_SIGN_KEY_MAX) {
		snprintf(err, errlen, "the secret decodes to %d bytes; %d to %d are needed", k,
			 LR_SIGN_KEY_MIN, LR_SIGN_KEY_MAX);
		OPENSSL_cleanse(buf, sizeof(buf));
		return -EINVAL;
	}
	memcpy(out->key, buf, (size_t)k);
	out->len = (size_t)k;
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

static int hmac(const struct lr_sign_key *key, const char *prefix, size_t plen, const void *body,
		size_t len, unsigned char mac[32])
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	size_t outl = 0;
	int ok = ctx && EVP_MAC_init(ctx, key->key, key->len, params) &&
		 EVP_MAC_update(ctx, (const unsigned char *)prefix, plen) &&
		 EVP_MAC_update(ctx, body, len) && EVP_MAC_final(ctx, mac, &outl, 32) && outl == 32;

	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
	return ok ? 0 : -EIO;
}

int lr_sign(const struct lr_sign_key *keys, size_t n, const char *id, int64_t timestamp,
	    const void *body, size_t len, char *out, size_t outlen)
{
	char prefix[256];
	int plen = snprintf(prefix, sizeof(prefix), "%s.%" PRId64 ".", id, timestamp);
	size_t used = 0;

	if (plen < 0 || (size_t)plen >= sizeof(prefix) || n == 0)
		return -EINVAL;
	if (outlen < n * (LR_SIGN_ENTRY_LEN + 1))
		return -ENOBUFS;
	for (size_t i = 0; i < n; i++) {
		unsigned char mac[32];
		int r = hmac(&keys[i], prefix, (size_t)plen, body, len, mac);

		if (r < 0)
			return r;
		used += (size_t)snprintf(out + used, outlen - used, "%sv1,", i ? " " : "");
		EVP_EncodeBlock((unsigned char *)out + used, mac, 32); /* 44 characters + NUL */
		used += 44;
	}
	return 0;
}
