/* lr_url_check with libcurl's URL parser (the programs that deliver reports). */
#include "config.h"
#include "url.h"

#include <curl/curl.h>
#include <string.h>

enum lr_url_fault lr_url_check(const char *s, const char *schemes)
{
	char *scheme = NULL, *host = NULL, *user = NULL, *pass = NULL;
	enum lr_url_fault f = LR_URL_OK;
	CURLU *u = curl_url();

	if (!u)
		return LR_URL_SYNTAX;
	if (curl_url_set(u, CURLUPART_URL, s, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host)
		f = LR_URL_SYNTAX;
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
		 curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK)
		f = LR_URL_CREDENTIALS;
	else if (!lr_url_scheme_in(scheme, strlen(scheme), schemes))
		f = LR_URL_SCHEME;
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(pass);
	curl_url_cleanup(u);
	return f;
}
