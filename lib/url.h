/* Checking a webhook or proxy URL from the config, without libcurl: lvsrole-notify never
 * loads it, and every program must judge a configuration alike. */
#pragma once
#include <stddef.h>

enum lr_url_fault { LR_URL_OK, LR_URL_SYNTAX, LR_URL_CREDENTIALS, LR_URL_SCHEME };

/* Whether s is SCHEME://HOST[:PORT][/PATH...] with a scheme from schemes ("https,http"), a
 * host (a name, or an IPv6 address in brackets), a port 1..65535 if any, no user
 * information, and only printable ASCII. */
enum lr_url_fault lr_url_check(const char *s, const char *schemes);
