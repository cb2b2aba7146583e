/* lvsrole-deliver: lvsrole-notify's HTTP side (see helper.h). lvsrole-notify runs it for
 * check, webhook test and flush with its own arguments, and starts it detached as
 * `lvsrole-deliver [-v] -c CONFIG deliver` after a switch. */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "conf.h"
#include "deliver.h"
#include "metrics.h"
#include "helper.h"
#include "ipvs.h"
#include "log.h"
#include "nft.h"
#include "policy.h"
#include "report.h"
#include "spool.h"
#include "util.h"
#include "webhook.h"

#include "util.h"

static int deliver(const struct lr_config *cfg, struct lr_spool *sp, const char *only,
		   uint64_t deadline_us, unsigned flags, struct lr_deliver_stats *st)
{
	struct lr_deliverer *d;
	int r;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_err("webhooks: libcurl cannot be initialised");
		return -EIO;
	}
	r = lr_deliverer_new(cfg, sp, &d);
	if (r == 0) {
		r = lr_deliver_run(d, only, deadline_us, flags, st);
		lr_deliverer_free(d);
	}
	curl_global_cleanup();
	return r;
}

/* The IPVS services of this namespace that the configured loop guards leave open: warnings
 * (the configuration is valid; the services are keepalived's). */
static void warn_loop_risks(const struct lr_config *cfg)
{
	struct lr_ipvs ipvs;
	struct lr_ipvs_risk *r = NULL;
	size_t n = 0;
	char msg[512];

	if (lr_ipvs_read(&ipvs, msg, sizeof(msg)) < 0) {
		log_info("%s: the loop risk is not checked", msg);
		return;
	}
	if (lr_ipvs_risks(cfg, NULL, &ipvs, &r, &n) == 0)
		for (size_t k = 0; k < n; k++)
			log_warn("%s", lr_ipvs_risk_text(cfg, &ipvs, &r[k], msg, sizeof(msg)));
	free(r);
	lr_ipvs_free(&ipvs);
}

static int cmd_check(const struct lr_config *cfg)
{
	char *dump, err[400];
	int code = LR_EXIT_OK;

	/* the files a delivery reads: a report must not be the first to find them wrong */
	for (size_t i = 0; i < cfg->n_endpoints; i++)
		if (lr_deliver_check_creds(cfg, &cfg->endpoints[i], err, sizeof(err)) < 0) {
			log_err("%s: webhooks.endpoints.%s: %s", cfg->path, cfg->endpoints[i].name, err);
			code = LR_EXIT_CONFIG;
		}
	for (size_t i = 0; i < cfg->n_inst; i++)
		if (cfg->inst[i].ipvs.guard == LR_GUARD_FWMARK && lr_nft_load(err, sizeof(err)) < 0) {
			log_err("%s: %s.%s.ipvs.loop_guard: \"fwmark\" needs nftables' library: %s", cfg->path,
				cfg->inst[i].scope == LR_SCOPE_GROUP ? "groups" : "instances", cfg->inst[i].name, err);
			code = LR_EXIT_CONFIG;
			break;
		}
	if (code != LR_EXIT_OK)
		return code;
	warn_loop_risks(cfg);
	dump = lr_config_dump(cfg);
	if (!dump)
		return LR_EXIT_FAILED;
	printf("%s\n", dump);
	free(dump);
	return LR_EXIT_OK;
}

static int cmd_webhook_test(const struct lr_config *cfg, const struct lr_cli *cli)
{
	int code;
	const struct lr_endpoint *only = lr_webhook_pick(cfg, cli->endpoint, &code);
	char host[256] = "";

	if (code)
		return code;
	gethostname(host, sizeof(host) - 1);
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_err("libcurl cannot be initialised");
		return LR_EXIT_REPORT;
	}
	for (size_t i = 0; i < cfg->n_endpoints; i++) {
		const struct lr_endpoint *ep = &cfg->endpoints[i];
		struct lr_send_result res;
		char id[32], *body;
		int r;

		if (only && ep != only)
			continue;
		if (lr_policy_event_id(lr_wall_us() / 1000u, id, sizeof(id)) < 0 ||
		    !(body = lr_report_ping_body(host, ep->name, ep->format, id, lr_wall_us()))) {
			code = LR_EXIT_REPORT;
			continue;
		}
		r = lr_deliver_send(cfg, ep, id, body, strlen(body), &res);
		free(body);
		if (r == 0 && lr_policy_classify(res.status) == LR_OUTCOME_DELIVERED) {
			printf("%s: delivered %s (HTTP %ld) in %" PRIu64 " ms\n", ep->name, id, res.status,
			       res.elapsed_us / 1000u);
			continue;
		}
		log_err("webhook test: %s (%s): %s", ep->name, ep->url, res.error);
		code = LR_EXIT_REPORT;
	}
	curl_global_cleanup();
	return code;
}

static int cmd_flush(const struct lr_config *cfg, const struct lr_cli *cli)
{
	struct lr_deliver_stats st;
	struct lr_spool *sp;
	int code;

	lr_webhook_pick(cfg, cli->endpoint, &code);
	if (code)
		return code;
	if (lr_webhook_spool_open(cfg, &sp) < 0)
		return LR_EXIT_REPORT;
	signal(SIGPIPE, SIG_IGN);
	code = deliver(cfg, sp, cli->endpoint, 0, LR_DELIVER_NOW, &st) < 0 ? LR_EXIT_REPORT : LR_EXIT_OK;
	printf("delivered %u, failed %u (will be retried), dead %u, left in the queue %u\n",
	       st.delivered, st.retried, st.dead, st.left);
	lr_spool_close(sp);
	lr_metrics_notify(cfg, NULL, 0);
	return code == LR_EXIT_OK && st.left == 0 && st.dead == 0 ? LR_EXIT_OK : LR_EXIT_REPORT;
}

/* After a switch: the queues, until delivery_deadline_ms (what lvsrole-notify starts). */
static int cmd_deliver(const struct lr_config *cfg)
{
	struct lr_deliver_stats st;
	struct lr_spool *sp = NULL;
	int r;

	if (cfg->n_endpoints == 0 || cfg->delivery_deadline_ms == 0)
		return LR_EXIT_OK;
	signal(SIGPIPE, SIG_IGN);
	if (lr_webhook_spool_open(cfg, &sp) < 0)
		return LR_EXIT_REPORT;
	r = deliver(cfg, sp, NULL, lr_now_us() + (uint64_t)cfg->delivery_deadline_ms * 1000u, LR_DELIVER_SHARE, &st);
	lr_spool_close(sp);
	lr_metrics_notify(cfg, NULL, 0); /* the spool's depths as the delivery left them */
	return r < 0 ? LR_EXIT_REPORT : LR_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct lr_cli cli;
	struct lr_config *cfg = NULL;
	char err[1024];
	int code;

	if (!lr_cli_parse_logged(argc, argv, &cli))
		return LR_EXIT_USAGE;
	if (!lr_cli_needs_http(cli.cmd)) {
		fprintf(stderr, "%s runs check, webhook test, flush and deliver for lvsrole-notify; use lvsrole-notify\n",
			LR_HELPER_NAME);
		return LR_EXIT_USAGE;
	}
	/* the logs are lvsrole-notify's: it ran this program for them */
	lr_log_open("lvsrole-notify", cli.verbose > 0 || cli.cmd != LR_CMD_DELIVER, cli.verbose > 1);
	if (lr_config_load(cli.config, &cfg, err, sizeof(err)) < 0) {
		log_err("%s", err);
		lr_log_close();
		return LR_EXIT_CONFIG;
	}
	switch (cli.cmd) {
	case LR_CMD_CHECK: code = cmd_check(cfg); break;
	case LR_CMD_WEBHOOK_TEST: code = cmd_webhook_test(cfg, &cli); break;
	case LR_CMD_FLUSH: code = cmd_flush(cfg, &cli); break;
	default: code = cmd_deliver(cfg); break;
	}
	lr_config_free(cfg);
	lr_log_close();
	return code;
}
