/* Delivery: spool -> signed HTTP POST -> outcome per doc/reports.md -> spool. */
#include "config.h"
#include "deliver.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "policy.h"
#include "response.h"
#include "sign.h"
#include "util.h"

#define MAX_SECRET_FILE 512
#define MAX_TOKEN_FILE 4096

enum ep_state { EP_IDLE, EP_WAITLOCK, EP_BUSY, EP_DONE };

struct ep {
	const struct lr_config *cfg;
	const struct lr_endpoint *ep;
	struct lr_spool *sp;
	CURL *h;
	struct curl_slist *hdrs;
	int lockfd;
	int waitfd; /* the waiter's lock (LR_DELIVER_SHARE), until lockfd is held */
	enum ep_state st;
	bool creds_loaded;
	uint64_t creds_sig; /* of the files' metadata when they were read (creds_files_sig) */
	int creds_err;
	char creds_msg[320];
	struct lr_sign_key keys[2];
	size_t n_keys;
	char *auth; /* "Authorization: Bearer ..." */
	/* the queue as listed once per pass (only this process, holding the lock, removes
	 * from it; commits only append), and the request in flight */
	struct lr_spool_entry *list;
	size_t n_list, pos;
	uint64_t gone_seq; /* seq + 1 of a head found missing (0: none) */
	struct lr_spool_entry cur;
	char *body;
	size_t len;
	uint64_t t0;
	bool cut; /* its timeout was shortened to the deadline */
	char errbuf[CURL_ERROR_SIZE];
	struct lr_response resp;
	uint64_t wake_ms; /* when its head in backoff is due (0: nothing waits) */
	/* lr_now_us() bound on this endpoint's requests (0: none): the pass's deadline, or for
	 * a waiter that took over, the pass's length from the takeover */
	uint64_t deadline_us;
	uint64_t n_delivered, n_failed; /* over the deliverer's life */
};

struct lr_deliverer {
	const struct lr_config *cfg;
	struct lr_spool *sp;
	CURLM *multi;
	struct ep *eps;
	size_t n;
	/* the pass in progress: its start, its length (0: no deadline; each endpoint's own
	 * bound is its deadline_us) */
	uint64_t start_us, span_us;
	unsigned flags;
	bool hold; /* lr_deliver_hold: deliver what is listed, list no more */
	struct lr_deliver_stats st;
};

static void clear_creds(struct ep *e)
{
	explicit_bzero(e->keys, sizeof(e->keys));
	e->n_keys = 0;
	if (e->auth) {
		explicit_bzero(e->auth, strlen(e->auth));
		free(e->auth);
		e->auth = NULL;
	}
}

static int read_key(const char *path, struct lr_sign_key *k, char *err, size_t len)
{
	char *text, why[160];
	int r = lr_read_secret(path, MAX_SECRET_FILE, &text, err, len);

	if (r < 0)
		return r;
	r = lr_sign_key_parse(text, k, why, sizeof(why));
	explicit_bzero(text, strlen(text));
	free(text);
	if (r < 0)
		snprintf(err, len, "%s: %s", path, why);
	return r;
}

/* What the credential files are now (inode, size, times, mode, owner): a change means a
 * rotated secret, a fixed mode, a new token. */
static uint64_t creds_files_sig(const struct lr_endpoint *ep)
{
	const char *paths[] = { ep->secret_file, ep->previous_secret_file, ep->bearer_token_file, ep->client_key };
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < sizeof(paths) / sizeof(*paths); i++) {
		struct stat st;
		uint64_t v[8] = { 0 };

		if (paths[i] && lstat(paths[i], &st) == 0) {
			v[0] = st.st_dev, v[1] = st.st_ino, v[2] = (uint64_t)st.st_size, v[3] = st.st_mode;
			v[4] = st.st_uid, v[5] = (uint64_t)st.st_mtim.tv_sec << 30 ^ (uint64_t)st.st_mtim.tv_nsec;
			v[6] = (uint64_t)st.st_ctim.tv_sec << 30 ^ (uint64_t)st.st_ctim.tv_nsec, v[7] = 1;
		}
		for (size_t k = 0; k < 8; k++)
			h = (h ^ v[k]) * 1099511628211ull;
	}
	return h;
}

/* Secrets and token, read when first needed and again whenever they failed or their files
 * changed (a rotation or a fixed mode takes effect without SIGHUP): a broken file fails the
 * reports, not the switch. */
static int load_creds(struct ep *e)
{
	const struct lr_endpoint *ep = e->ep;
	uint64_t sig = creds_files_sig(ep);
	int r;

	if (e->creds_loaded && !e->creds_err && e->creds_sig == sig)
		return 0;
	clear_creds(e);
	e->creds_loaded = true;
	e->creds_sig = sig;
	r = read_key(ep->secret_file, &e->keys[0], e->creds_msg, sizeof(e->creds_msg));
	if (r == 0 && ep->previous_secret_file &&
	    (r = read_key(ep->previous_secret_file, &e->keys[1], e->creds_msg, sizeof(e->creds_msg))) == 0)
		e->n_keys = 2;
	else if (r == 0)
		e->n_keys = 1;
	if (r == 0 && ep->bearer_token_file) {
		char *tok, *b, *end;

		r = lr_read_secret(ep->bearer_token_file, MAX_TOKEN_FILE, &tok, e->creds_msg, sizeof(e->creds_msg));
		if (r == 0) {
			for (b = tok; *b == ' ' || *b == '\t' || *b == '\n' || *b == '\r'; b++)
				;
			end = b + strlen(b);
			while (end > b && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
				*--end = '\0';
			if (!lr_printable(b, MAX_TOKEN_FILE) || strchr(b, ' ')) {
				snprintf(e->creds_msg, sizeof(e->creds_msg), "%s: not a bearer token (one line of printable characters, no spaces)",
					 ep->bearer_token_file);
				r = -EINVAL;
			} else if (asprintf(&e->auth, "Authorization: Bearer %s", b) < 0) {
				e->auth = NULL;
				r = -ENOMEM;
			}
			explicit_bzero(tok, strlen(tok));
			free(tok);
		}
	}
	if (r == 0 && ep->client_key) { /* curl reads it; the same rule as for the secrets */
		char *key;

		r = lr_read_secret(ep->client_key, 64 * 1024, &key, e->creds_msg, sizeof(e->creds_msg));
		if (r == 0) {
			explicit_bzero(key, strlen(key));
			free(key);
		}
	}
	if (r < 0)
		clear_creds(e);
	e->creds_err = r;
	return r;
}

static size_t on_header(char *buf, size_t size, size_t n, void *arg)
{
	struct ep *e = arg;

	lr_response_header(&e->resp, buf, size * n);
	return size * n;
}

/* The response body is only read for the log: its start, and at most LR_RESPONSE_MAX. */
static size_t on_body(char *buf, size_t size, size_t n, void *arg)
{
	struct ep *e = arg;

	return lr_response_body(&e->resp, buf, size * n) ? size * n : 0;
}

static int header(struct curl_slist **l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int header(struct curl_slist **l, const char *fmt, ...)
{
	struct curl_slist *n;
	char *buf;
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = vasprintf(&buf, fmt, ap);
	va_end(ap);
	if (k < 0)
		return -ENOMEM;
	n = curl_slist_append(*l, buf);
	explicit_bzero(buf, (size_t)k); /* may be the bearer token */
	free(buf);
	if (!n)
		return -ENOMEM;
	*l = n;
	return 0;
}

/* Everything about one request: signed now, sent to the endpoint with its TLS, proxy and
 * timeouts, never following a redirect. */
static int setup(struct ep *e, const char *id, const char *body, size_t len, unsigned timeout_ms)
{
	const struct lr_endpoint *ep = e->ep;
	char sig[2 * (LR_SIGN_ENTRY_LEN + 1) + 1];
	int64_t ts = (int64_t)time(NULL);
	const char *protos = ep->allow_http ? "http,https" : "https";
	CURL *h = e->h;
	int r;

	curl_slist_free_all(e->hdrs);
	e->hdrs = NULL;
	r = lr_sign(e->keys, e->n_keys, id, ts, body, len, sig, sizeof(sig));
	if (r < 0)
		return r;
	if (header(&e->hdrs, "Content-Type: %s", ep->format == LR_WH_CLOUDEVENTS ?
		   "application/cloudevents+json" : "application/json") ||
	    header(&e->hdrs, "webhook-id: %s", id) || header(&e->hdrs, "webhook-timestamp: %" PRId64, ts) ||
	    header(&e->hdrs, "webhook-signature: %s", sig) || header(&e->hdrs, "Expect:") ||
	    (e->auth && header(&e->hdrs, "%s", e->auth)))
		return -ENOMEM;
	for (size_t i = 0; i < ep->n_headers; i++)
		if (header(&e->hdrs, "%s", ep->headers[i]))
			return -ENOMEM;
	e->errbuf[0] = '\0';
	lr_response_reset(&e->resp);
	curl_easy_reset(h); /* keeps the connection for keep-alive */
	if (curl_easy_setopt(h, CURLOPT_URL, ep->url) ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, protos) ||
	    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, protos) ||
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) ||
	    curl_easy_setopt(h, CURLOPT_POST, 1L) ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body) ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, e->hdrs) ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, "lvsrole/" PACKAGE_VERSION) ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(ep->connect_timeout_ms < timeout_ms ?
								 ep->connect_timeout_ms : timeout_ms)) ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms) ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, e->errbuf) ||
	    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header) ||
	    curl_easy_setopt(h, CURLOPT_HEADERDATA, e) ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body) ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, e) ||
	    curl_easy_setopt(h, CURLOPT_PRIVATE, e) ||
	    curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) ||
	    /* ca_file is the only trust: Debian's libcurl also trusts /etc/ssl/certs (CAPATH) */
	    (ep->ca_file && (curl_easy_setopt(h, CURLOPT_CAINFO, ep->ca_file) ||
			     curl_easy_setopt(h, CURLOPT_CAPATH, NULL))) ||
	    (ep->client_cert && curl_easy_setopt(h, CURLOPT_SSLCERT, ep->client_cert)) ||
	    (ep->client_key && curl_easy_setopt(h, CURLOPT_SSLKEY, ep->client_key)) ||
	    /* libcurl reads http_proxy & co. from the environment unless told otherwise */
	    (!ep->use_env_proxy && curl_easy_setopt(h, CURLOPT_PROXY, ep->proxy ? ep->proxy : "")))
		return -EINVAL;
	e->t0 = lr_now_us();
	return 0;
}

/* What went wrong, for the log and the meta file. */
static void describe(struct ep *e, CURLcode rc, long status, char *buf, size_t len)
{
	if (status > 0)
		snprintf(buf, len, "HTTP %ld%s%s", status, e->resp.body_len ? ": " : "", e->resp.body);
	else
		snprintf(buf, len, "%s%s", e->errbuf[0] ? e->errbuf : curl_easy_strerror(rc),
			 e->cut && rc == CURLE_OPERATION_TIMEDOUT ? " (cut at the delivery deadline)" : "");
}

/* An HTTP status counts when the exchange completed, or when we hung up on a long body. */
static long final_status(struct ep *e, CURLcode rc)
{
	long status = 0;

	curl_easy_getinfo(e->h, CURLINFO_RESPONSE_CODE, &status);
	return rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && status > 0) ? status : 0;
}

static void fmt_wall_ms(uint64_t ms, char *buf, size_t len)
{
	lr_format_time(ms * 1000u, buf, len);
}

static void finish(struct ep *e)
{
	e->st = EP_DONE;
	if (e->lockfd >= 0)
		close(e->lockfd);
	if (e->waitfd >= 0)
		close(e->waitfd);
	e->lockfd = e->waitfd = -1;
}

/* A failed attempt on the head event: retry later with backoff (honouring Retry-After),
 * or give up at once when the policy says so. A request cut at this run's deadline is no
 * fault of the endpoint's: it is due again at once (the next process delivering sends it). */
static void failed(struct ep *e, enum lr_outcome o, const char *why, bool cut)
{
	const struct lr_config *cfg = e->cfg;
	uint64_t now = lr_wall_us() / 1000u, delay;
	uint32_t rnd = 0;
	bool ra = false; /* set by the backoff, not for a cut */
	char when[64];
	int r;

	e->cur.attempts++;
	snprintf(e->cur.last_error, sizeof(e->cur.last_error), "%s", why);
	if (o == LR_OUTCOME_DEAD) {
		r = lr_spool_bury(e->sp, e->ep->name, &e->cur, why);
		log_err("webhooks: %s: report #%" PRIu64 " %s refused (%s): moved to dead letters, not retried%s",
			e->ep->name, e->cur.seq, e->cur.id, why, r < 0 ? " (but the move failed)" : "");
		e->pos++;
		if (r < 0)
			finish(e); /* it is still the head: do not send it again in this run */
		else
			e->st = EP_IDLE; /* the next one may go */
		return;
	}
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) < 0)
		rnd = (uint32_t)lr_now_us();
	delay = cut ? 0
		    : lr_response_retry_ms(&e->resp, e->cur.attempts, cfg->retry_base_ms, cfg->retry_max_ms,
					   rnd, time(NULL), &ra);
	e->cur.next_ms = now + delay;
	e->wake_ms = e->cur.next_ms;
	e->n_failed++;
	r = lr_spool_update(e->sp, e->ep->name, &e->cur);
	fmt_wall_ms(e->cur.next_ms, when, sizeof(when));
	log_warn("webhooks: %s: report #%" PRIu64 " %s not delivered (attempt %u): %s; next attempt at %s (in %" PRIu64 " ms%s)%s",
		 e->ep->name, e->cur.seq, e->cur.id, e->cur.attempts, why, when, delay,
		 ra ? ", Retry-After" : cut ? ", as the delivery deadline cut it" : "",
		 r < 0 ? "; the attempt could not be recorded" : "");
	finish(e); /* head of line: nothing after it goes first */
}

static void complete(struct lr_deliverer *d, struct ep *e, CURLcode rc, struct lr_deliver_stats *st)
{
	long status = final_status(e, rc);
	enum lr_outcome o = lr_policy_classify(status);
	uint64_t us = lr_now_us() - e->t0;
	char why[300];

	(void)d;
	free(e->body);
	e->body = NULL;
	if (o == LR_OUTCOME_DELIVERED) {
		int r = lr_spool_done(e->sp, e->ep->name, &e->cur);

		log_info("webhooks: %s: report #%" PRIu64 " %s delivered (HTTP %ld) in %" PRIu64 " ms%s",
			 e->ep->name, e->cur.seq, e->cur.id, status, us / 1000u,
			 r < 0 ? "; removing it from the spool failed: it may be sent again" : "");
		st->delivered++;
		e->n_delivered++;
		e->pos++;
		if (r < 0)
			finish(e);
		else
			e->st = EP_IDLE;
		return;
	}
	describe(e, rc, status, why, sizeof(why));
	if (o == LR_OUTCOME_DEAD)
		st->dead++;
	else
		st->retried++;
	failed(e, o, why, e->cut && rc == CURLE_OPERATION_TIMEDOUT);
}

/* The endpoint's queue locked for this process (false: another one delivers it, and this one
 * waits for it or leaves it to it; or the lock failed). Then what a crash left, and the caps. */
static bool take_queue(struct lr_deliverer *d, struct ep *e, unsigned flags)
{
	int r;

	e->lockfd = lr_spool_lock_endpoint(e->sp, e->ep->name, 0);
	if (e->lockfd == -EWOULDBLOCK) { /* another process delivers it: wait for it */
		if ((flags & LR_DELIVER_SHARE) && e->waitfd < 0) {
			e->waitfd = lr_spool_lock_waiter(e->sp, e->ep->name);
			if (e->waitfd == -EWOULDBLOCK) {
				log_debug("webhooks: %s: delivered and waited for by other processes: left to them",
					  e->ep->name);
				finish(e);
				return false;
			}
		}
		e->st = EP_WAITLOCK;
		return false;
	}
	if (e->waitfd >= 0) { /* released before listing: a process that finds it free
			       * committed before this listing */
		close(e->waitfd);
		e->waitfd = -1;
		/* the reports left to this waiter get a whole pass from now, not what remains of
		 * one spent waiting */
		if (d->span_us && e->lockfd >= 0) {
			e->deadline_us = lr_now_us() + d->span_us;
			log_debug("webhooks: %s: taken over from the process that delivered it", e->ep->name);
		}
	}
	if (e->lockfd < 0) {
		log_err_errno(e->lockfd, "webhooks: %s: cannot lock its queue in %s", e->ep->name,
			      lr_spool_dir(e->sp));
		finish(e);
		return false;
	}
	lr_spool_remove_leftovers(e->sp, e->ep->name);
	r = lr_spool_trim(e->sp, e->ep->name, e->ep->max_events, e->ep->max_bytes);
	if (r > 0)
		log_err("webhooks: %s: spool full: %d oldest report(s) moved to dead letters", e->ep->name, r);
	return true;
}

/* A report past max_age_s goes to dead letters; false if that failed. */
static bool bury_expired(struct ep *e, struct lr_deliver_stats *st)
{
	char why[320];
	int r;

	snprintf(why, sizeof(why), "expired: not delivered within max_age_s (%" PRIu64 " s) after %u attempt(s); last error: %s",
		 e->ep->max_age_s, e->cur.attempts, e->cur.last_error[0] ? e->cur.last_error : "none");
	r = lr_spool_bury(e->sp, e->ep->name, &e->cur, why);
	log_err("webhooks: %s: report #%" PRIu64 " %s %s", e->ep->name, e->cur.seq, e->cur.id, why);
	st->dead++;
	return r >= 0;
}

/* The next report of the queue in e->cur (the queue listed again at its end: new commits),
 * expired ones buried on the way; false (the endpoint finished) when none is left. */
static bool next_report(struct lr_deliverer *d, struct ep *e, struct lr_deliver_stats *st, uint64_t *now_ms)
{
	for (;;) {
		if (e->pos >= e->n_list) {
			struct lr_spool_entry *v = NULL;
			size_t n = 0;
			int r;

			free(e->list);
			e->list = NULL;
			e->n_list = e->pos = 0;
			r = d->hold ? 0 : lr_spool_list(e->sp, e->ep->name, false, &v, &n);
			if (r < 0)
				log_err_errno(r, "webhooks: %s: cannot list its queue", e->ep->name);
			if (r < 0 || n == 0) {
				free(v);
				finish(e);
				return false;
			}
			e->list = v;
			e->n_list = n;
		}
		e->cur = e->list[e->pos];
		*now_ms = lr_wall_us() / 1000u;
		if (*now_ms < e->cur.first_ms + e->ep->max_age_s * 1000u)
			return true;
		if (!bury_expired(e, st)) {
			finish(e);
			return false;
		}
		e->pos++;
	}
}

/* The request's timeout: the endpoint's, cut to what is left of the pass's deadline (e->cut);
 * false when nothing is left. */
static bool request_timeout(struct ep *e, unsigned *timeout)
{
	uint64_t now = lr_now_us(), left;

	*timeout = e->ep->timeout_ms;
	e->cut = false;
	if (!e->deadline_us)
		return true;
	left = e->deadline_us > now ? (e->deadline_us - now) / 1000u : 0;
	if (left == 0)
		return false;
	if (left < *timeout) {
		*timeout = (unsigned)left;
		e->cut = true;
	}
	return true;
}

/* e->cur's request: signed, its body read from the spool, handed to libcurl. */
static void start_request(struct lr_deliverer *d, struct ep *e, struct lr_deliver_stats *st, unsigned timeout)
{
	int r;

	if (load_creds(e) < 0) {
		log_err("webhooks: %s: cannot sign: %s", e->ep->name, e->creds_msg);
		st->retried++;
		lr_response_reset(&e->resp);
		failed(e, LR_OUTCOME_RETRY, e->creds_msg, false);
		return;
	}
	r = lr_spool_read(e->sp, e->ep->name, &e->cur, &e->body, &e->len);
	if (r == -ENOENT) { /* gone meanwhile: list again, or skip it if it is gone again */
		if (e->gone_seq == e->cur.seq + 1) {
			e->pos++;
		} else {
			e->gone_seq = e->cur.seq + 1;
			e->pos = e->n_list;
		}
		e->st = EP_IDLE;
		return;
	}
	if (r < 0) {
		char why[128];

		snprintf(why, sizeof(why), "cannot read the spooled report: %s", strerror(-r));
		st->dead++;
		failed(e, LR_OUTCOME_DEAD, why, false);
		return;
	}
	r = setup(e, e->cur.id, e->body, e->len, timeout);
	if (r == 0 && curl_multi_add_handle(d->multi, e->h) != CURLM_OK)
		r = -EIO;
	if (r < 0) {
		log_err_errno(r, "webhooks: %s: cannot set up the request", e->ep->name);
		free(e->body);
		e->body = NULL;
		finish(e);
		return;
	}
	e->st = EP_BUSY;
}

/* The endpoint's next step: its queue taken, the next report that is due sent. */
static void start_next(struct lr_deliverer *d, struct ep *e, unsigned flags, struct lr_deliver_stats *st)
{
	uint64_t now_ms;
	unsigned timeout;

	if (e->lockfd < 0 && !take_queue(d, e, flags))
		return;
	e->st = EP_IDLE;
	if (!next_report(d, e, st, &now_ms))
		return;
	if (!(flags & LR_DELIVER_NOW) && e->cur.next_ms > now_ms) {
		e->wake_ms = e->cur.next_ms;
		finish(e); /* not due yet */
		return;
	}
	if (!request_timeout(e, &timeout)) {
		finish(e);
		return;
	}
	start_request(d, e, st, timeout);
}

int lr_deliverer_new(const struct lr_config *cfg, struct lr_spool *sp, struct lr_deliverer **out)
{
	struct lr_deliverer *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->cfg = cfg;
	d->sp = sp;
	d->multi = curl_multi_init();
	d->eps = calloc(cfg->n_endpoints ? cfg->n_endpoints : 1, sizeof(*d->eps));
	if (!d->multi || !d->eps) {
		lr_deliverer_free(d);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_endpoints; i++) {
		struct ep *e = &d->eps[d->n++];

		e->cfg = cfg;
		e->ep = &cfg->endpoints[i];
		e->sp = sp;
		e->lockfd = e->waitfd = -1;
		e->h = curl_easy_init();
		if (!e->h) {
			lr_deliverer_free(d);
			return -ENOMEM;
		}
	}
	*out = d;
	return 0;
}

void lr_deliverer_free(struct lr_deliverer *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		struct ep *e = &d->eps[i];

		if (e->st == EP_BUSY)
			curl_multi_remove_handle(d->multi, e->h);
		curl_easy_cleanup(e->h);
		curl_slist_free_all(e->hdrs);
		free(e->body);
		free(e->list);
		clear_creds(e);
		if (e->lockfd >= 0)
			close(e->lockfd);
		if (e->waitfd >= 0)
			close(e->waitfd);
	}
	free(d->eps);
	if (d->multi)
		curl_multi_cleanup(d->multi);
	free(d);
}

void lr_deliver_start(struct lr_deliverer *d, const char *only, uint64_t deadline_us, unsigned flags)
{
	uint64_t now = lr_now_us();

	memset(&d->st, 0, sizeof(d->st));
	d->start_us = now;
	d->span_us = deadline_us > now ? deadline_us - now : 0;
	d->flags = flags;
	for (size_t i = 0; i < d->n; i++) {
		struct ep *e = &d->eps[i];

		e->deadline_us = deadline_us;
		if (e->st == EP_BUSY)
			continue; /* a pass is under way: it goes on */
		e->st = only && strcmp(only, e->ep->name) ? EP_DONE : EP_IDLE;
		e->pos = e->n_list; /* list afresh */
		e->wake_ms = 0;
	}
}

/* Until when an endpoint may go on (0: no bound). A waiter (LR_DELIVER_SHARE) waits up to
 * one more pass: the process it waits for stops at its own deadline, which is at most one
 * pass after the waiter's start. */
static uint64_t ep_bound(const struct lr_deliverer *d, const struct ep *e)
{
	if (e->st == EP_WAITLOCK && e->waitfd >= 0 && e->deadline_us)
		return e->deadline_us + d->span_us;
	return e->deadline_us;
}

bool lr_deliver_step(struct lr_deliverer *d)
{
	bool busy, waiting, again;

	do {
		uint64_t now = lr_now_us();
		struct CURLMsg *msg;
		int running, left;

		busy = waiting = again = false;
		for (size_t i = 0; i < d->n; i++) {
			struct ep *e = &d->eps[i];
			uint64_t bound = ep_bound(d, e);

			if (e->st == EP_IDLE || e->st == EP_WAITLOCK) {
				if (bound && now >= bound) {
					if (e->st == EP_WAITLOCK && e->waitfd >= 0)
						log_warn("webhooks: %s: another process still delivers it after %" PRIu64
							 " ms of waiting: left to it, or to the next delivery or flush",
							 e->ep->name, (now - d->start_us) / 1000u);
					finish(e);
				} else {
					start_next(d, e, d->flags, &d->st);
				}
			}
		}
		curl_multi_perform(d->multi, &running);
		while ((msg = curl_multi_info_read(d->multi, &left))) {
			struct ep *e = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&e);
			curl_multi_remove_handle(d->multi, msg->easy_handle);
			if (e)
				complete(d, e, msg->data.result, &d->st);
		}
		for (size_t i = 0; i < d->n; i++) {
			busy |= d->eps[i].st == EP_BUSY;
			waiting |= d->eps[i].st == EP_WAITLOCK;
			again |= d->eps[i].st == EP_IDLE;
		}
	} while (again);
	return busy || waiting;
}

void lr_deliver_hold(struct lr_deliverer *d, bool hold)
{
	d->hold = hold;
}

void lr_deliver_no_new(struct lr_deliverer *d)
{
	d->span_us = 0;
	for (size_t i = 0; i < d->n; i++) /* past: idle endpoints finish, requests in flight go on */
		d->eps[i].deadline_us = 1;
}

/* Past an endpoint's deadline: a request still in flight (one started before the run, a
 * handover's, or one whose cut timeout a slow process has not seen fire yet) is dropped, an
 * attempt cut at the deadline: its report is due again at once. Returns the earliest bound
 * still ahead (0: none). */
static uint64_t abort_late(struct lr_deliverer *d, uint64_t now)
{
	uint64_t next = 0;

	for (size_t i = 0; i < d->n; i++) {
		struct ep *e = &d->eps[i];
		uint64_t bound = ep_bound(d, e);

		if (e->st == EP_DONE || !bound)
			continue;
		if (e->st == EP_BUSY)
			bound += 100000u; /* cut at the deadline already, unless started before */
		if (now < bound) {
			next = !next || bound < next ? bound : next;
			continue;
		}
		if (e->st != EP_BUSY)
			continue; /* the next step finishes it */
		curl_multi_remove_handle(d->multi, e->h);
		free(e->body);
		e->body = NULL;
		d->st.retried++;
		failed(e, LR_OUTCOME_RETRY, "still in flight: cut at the delivery deadline", true);
	}
	return next;
}

int lr_deliver_wait_ms(const struct lr_deliverer *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->eps[i].st == EP_WAITLOCK)
			return 10; /* another process delivers it: look again soon */
	return 1000;
}

int lr_deliver_poll(struct lr_deliverer *d, struct pollfd *fds, unsigned n, int timeout_ms)
{
	struct curl_waitfd w[16];
	int numfds = 0;

	if (n > sizeof(w) / sizeof(w[0]))
		return -EINVAL;
	for (unsigned i = 0; i < n; i++) {
		w[i].fd = fds[i].fd;
		w[i].events = (short)((fds[i].events & POLLIN ? CURL_WAIT_POLLIN : 0) |
				      (fds[i].events & POLLPRI ? CURL_WAIT_POLLPRI : 0) |
				      (fds[i].events & POLLOUT ? CURL_WAIT_POLLOUT : 0));
		w[i].revents = 0;
	}
	if (curl_multi_poll(d->multi, w, n, timeout_ms, &numfds) != CURLM_OK)
		return -EIO;
	/* curl reports readiness as POLLIN/POLLPRI/POLLOUT only: a hung-up FIFO shows as readable */
	for (unsigned i = 0; i < n; i++)
		fds[i].revents = (short)((w[i].revents & CURL_WAIT_POLLIN ? POLLIN : 0) |
					 (w[i].revents & CURL_WAIT_POLLPRI ? POLLPRI : 0) |
					 (w[i].revents & CURL_WAIT_POLLOUT ? POLLOUT : 0));
	return numfds;
}

uint64_t lr_deliver_next_ms(const struct lr_deliverer *d)
{
	uint64_t m = 0;

	for (size_t i = 0; i < d->n; i++)
		if (d->eps[i].wake_ms && (!m || d->eps[i].wake_ms < m))
			m = d->eps[i].wake_ms;
	return m;
}

void lr_deliver_counts(const struct lr_deliverer *d, size_t i, uint64_t *delivered, uint64_t *failed)
{
	*delivered = i < d->n ? d->eps[i].n_delivered : 0;
	*failed = i < d->n ? d->eps[i].n_failed : 0;
}

static void run_pass(struct lr_deliverer *d, const char *only, uint64_t deadline_us, unsigned flags)
{
	lr_deliver_start(d, only, deadline_us, flags);
	while (lr_deliver_step(d)) {
		int ms = lr_deliver_wait_ms(d);

		if (deadline_us) {
			uint64_t now = lr_now_us(), next = abort_late(d, now);

			if (!next)
				continue; /* every endpoint past its bound: the next step ends them */
			if ((next - now) / 1000u < (uint64_t)ms)
				ms = (int)((next - now) / 1000u) + 1;
		}
		curl_multi_poll(d->multi, NULL, 0, ms, NULL);
	}
}

/* Within a deadline, a report whose backoff ends before it is tried again then (a 503 with
 * Retry-After: 1 and a 3 s deadline: a second attempt, not days in the spool until the next
 * switch or flush): sleeps until it is due. False when none is, or the pass tried nothing. */
static bool wait_next_due(const struct lr_deliverer *d, uint64_t deadline_us)
{
	uint64_t due_ms = lr_deliver_next_ms(d), wall_ms = lr_wall_us() / 1000u, wait_us;
	struct timespec ts;

	if (!deadline_us || !due_ms || d->st.delivered + d->st.retried + d->st.dead == 0)
		return false;
	wait_us = due_ms > wall_ms ? (due_ms - wall_ms) * 1000u : 0;
	if (lr_now_us() + wait_us >= deadline_us)
		return false;
	ts.tv_sec = (time_t)(wait_us / 1000000u);
	ts.tv_nsec = (long)(wait_us % 1000000u) * 1000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	return true;
}

int lr_deliver_run(struct lr_deliverer *d, const char *only, uint64_t deadline_us, unsigned flags,
		   struct lr_deliver_stats *st)
{
	struct lr_deliver_stats sum = { 0 };

	do {
		run_pass(d, only, deadline_us, flags);
		sum.delivered += d->st.delivered;
		sum.retried += d->st.retried;
		sum.dead += d->st.dead;
		flags &= ~(unsigned)LR_DELIVER_NOW; /* the backoff counts from the second pass on */
	} while (wait_next_due(d, deadline_us));
	*st = sum;
	for (size_t i = 0; i < d->n; i++) {
		struct lr_spool_entry *v;
		size_t n;

		if (only && strcmp(only, d->eps[i].ep->name))
			continue;
		if (lr_spool_list(d->sp, d->eps[i].ep->name, false, &v, &n) == 0) {
			st->left += (unsigned)n;
			free(v);
		}
	}
	return 0;
}

int lr_deliver_handover(struct lr_deliverer *d, unsigned deadline_ms, void (*close_fds)(void *), void *arg)
{
	struct lr_deliver_stats st;
	pid_t pid = fork();

	if (pid != 0)
		return pid < 0 ? -errno : pid;
	lr_detach_session();
	signal(SIGPIPE, SIG_IGN);
	if (close_fds)
		close_fds(arg);
	d->hold = false; /* nothing in this process writes metrics a report would wait for */
	/* requests in flight go on over the inherited connections, then what is queued */
	lr_deliver_run(d, NULL, lr_now_us() + (uint64_t)deadline_ms * 1000u, 0, &st);
	lr_deliverer_free(d);
	lr_log_close();
	_exit(0);
}

int lr_deliver_send(const struct lr_config *cfg, const struct lr_endpoint *ep, const char *id,
		    const char *body, size_t len, struct lr_send_result *res)
{
	struct ep e = { .cfg = cfg, .ep = ep, .lockfd = -1, .waitfd = -1 };
	CURLcode rc;
	int r;

	memset(res, 0, sizeof(*res));
	e.h = curl_easy_init();
	if (!e.h)
		return -ENOMEM;
	r = load_creds(&e);
	if (r < 0) {
		snprintf(res->error, sizeof(res->error), "%s", e.creds_msg);
		goto out;
	}
	r = setup(&e, id, body, len, ep->timeout_ms);
	if (r < 0) {
		snprintf(res->error, sizeof(res->error), "cannot set up the request: %s", strerror(-r));
		goto out;
	}
	rc = curl_easy_perform(e.h);
	res->elapsed_us = lr_now_us() - e.t0;
	res->status = final_status(&e, rc);
	if (lr_policy_classify(res->status) != LR_OUTCOME_DELIVERED)
		describe(&e, rc, res->status, res->error, sizeof(res->error));
out:
	curl_slist_free_all(e.hdrs);
	curl_easy_cleanup(e.h);
	clear_creds(&e);
	return r;
}

int lr_deliver_check_creds(const struct lr_config *cfg, const struct lr_endpoint *ep, char *err,
			   size_t len)
{
	struct ep e = { .cfg = cfg, .ep = ep, .lockfd = -1, .waitfd = -1 };
	int r = load_creds(&e);

	if (r < 0)
		snprintf(err, len, "%s", e.creds_msg);
	clear_creds(&e);
	return r;
}
