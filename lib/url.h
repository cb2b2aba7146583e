/* Checking a webhook or proxy URL from the config. Two implementations: libcurl's parser
 * (url-curl.c, in the programs that speak HTTP) and a syntax check (url-basic.c, in
 * lvsrole-notify, which hands HTTP to lvsrole-deliver and so never loads libcurl). */
#pragma once
#include <stddef.h>

enum lr_url_fault { LR_URL_OK, LR_URL_SYNTAX, LR_URL_CREDENTIALS, LR_URL_SCHEME };

/* Whether s is SCHEME://HOST[:PORT][/PATH...] with a scheme from schemes ("https,http"), a
 * host, and no user information. */
enum lr_url_fault lr_url_check(const char *s, const char *schemes);
/* Whether scheme (len bytes) is one of the comma-separated list (any case). */
int lr_url_scheme_in(const char *scheme, size_t len, const char *schemes);
