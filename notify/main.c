/* lvsrole-notify: keepalived's notify program and the operator's tool.
 * argv -> request -> the core switch -> exit code. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "conf.h"
#include "helper.h"
#include "log.h"
#include "metrics.h"
#include "status.h"
#include "repeat.h"
#include "switch.h"
#include "webhook.h"

static void print_plan(const struct lr_config *cfg, const struct lr_event *ev)
{
	size_t n = lr_plan_changes(&ev->plan);

	printf("%s %s: %s -> %s: ", lr_scope_name(ev->scope), ev->name, lr_role_name(ev->prev_role),
	       lr_role_name(ev->role));
	if (ev->plan.n == 0)
		printf("nothing to change\n");
	else
		printf("%zu change(s) planned (dry run, nothing changed)\n", n);
	for (size_t i = 0; i < ev->plan.n; i++) {
		char d[160];

		printf("  %s\n", lr_step_describe(cfg, &ev->plan.steps[i], d, sizeof(d)));
	}
}

static int exit_for(const struct lr_switch *sw)
{
	int code = LR_EXIT_OK;

	/* a superseded event may have applied a newer one's intent: judge by the steps */
	for (size_t i = 0; i < sw->n_events; i++) {
		const struct lr_event *ev = &sw->events[i];

		for (size_t j = 0; j < ev->plan.n; j++) {
			const struct lr_step *s = &ev->plan.steps[j];

			if (s->err == -EPERM || s->err == -EACCES)
				return LR_EXIT_PRIVILEGE;
			if (s->err || s->skipped)
				code = LR_EXIT_FAILED;
		}
	}
	return code;
}

static int cmd_switch(const struct lr_config *cfg, const struct lr_cli *cli)
{
	struct lr_request req = {
		.source = cli->cmd == LR_CMD_EVENT ? "notify" : "operator",
		.name = cli->name,
		.kstate = cli->kstate,
		.role = cli->cmd == LR_CMD_APPLY ? cli->role : LR_ROLE_UNKNOWN,
		.priority = cli->priority,
		.dry_run = cli->dry_run,
	};
	struct lr_switch sw;
	struct lr_report rp = { .commit_fd = -1, .commit_wait_ms = -1 };
	struct lr_report_arg ra = { cfg, &rp };
	bool report = cfg->n_endpoints > 0 && !cli->dry_run;
	size_t idx;
	int r, code = LR_EXIT_FAILED;

	if (cli->name) {
		const struct lr_instance *in = lr_config_find(cfg, cli->name, &idx);

		if (!in) {
			log_err("%s \"%s\" is not in %s", cli->cmd == LR_CMD_EVENT ? lr_scope_name(cli->scope)
				: "instance or group", cli->name, cfg->path);
			return LR_EXIT_UNKNOWN;
		}
		if (cli->cmd == LR_CMD_EVENT && in->scope != cli->scope) {
			log_err("\"%s\" is configured as %s in %s, but keepalived reported %s",
				cli->name, in->scope == LR_SCOPE_GROUP ? "a group" : "an instance", cfg->path,
				cli->scope == LR_SCOPE_GROUP ? "a group" : "an instance");
			return LR_EXIT_UNKNOWN;
		}
	}
	if (report) {
		req.before_unlock = lr_report_begin_hook;
		req.arg = &ra;
	}
	r = lr_switch_run_logged(cfg, &req, 1, &sw);
	if (r < 0)
		code = sw.fail == LR_FAIL_STATE ? LR_EXIT_STATE
		       : (r == -EPERM || r == -EACCES) ? LR_EXIT_PRIVILEGE : LR_EXIT_FAILED;
	for (size_t i = 0; cli->dry_run && i < sw.n_events; i++)
		print_plan(cfg, &sw.events[i]);
	if (r == 0) {
		code = exit_for(&sw);
		if (!cli->dry_run && lr_repeat_spawn(cfg, &sw) < 0)
			log_warn("cannot start the repeated announcements: %s", strerror(errno));
	}
	/* reports only now: the switch never waits for a disk or a network */
	if (report)
		lr_notify_report(cfg, &rp, &sw, cli->verbose);
	lr_report_end(&rp);
	/* the metrics after the reports: the spool's depths count this switch's */
	if (!cli->dry_run)
		lr_metrics_notify(cfg, sw.events, sw.n_events);
	lr_switch_clear(&sw);
	return code;
}

int main(int argc, char **argv)
{
	struct lr_cli cli;
	struct lr_config *cfg = NULL;
	char err[1024];
	int code;

	if (!lr_cli_parse_logged(argc, argv, &cli))
		return LR_EXIT_USAGE;
	if (cli.cmd == LR_CMD_HELP) {
		fputs(lr_cli_usage, stdout);
		return LR_EXIT_OK;
	}
	if (cli.cmd == LR_CMD_VERSION) {
		printf("lvsrole-notify %s\n", PACKAGE_VERSION);
		return LR_EXIT_OK;
	}
	/* what needs HTTP (libcurl) runs in lvsrole-deliver: this program never loads it */
	if (lr_cli_needs_http(cli.cmd)) {
		lr_log_open("lvsrole-notify", true, 0);
		return lr_helper_exec(argv);
	}
	/* keepalived runs hooks with stdout and stderr on /dev/null: syslog is the log */
	lr_log_open("lvsrole-notify", cli.verbose > 0 || isatty(STDERR_FILENO) ||
		    (cli.cmd != LR_CMD_EVENT && cli.cmd != LR_CMD_APPLY), cli.verbose > 1);
	if (lr_config_load(cli.config, &cfg, err, sizeof(err)) < 0) {
		log_err("%s", err);
		lr_log_close();
		return LR_EXIT_CONFIG;
	}
	switch (cli.cmd) {
	case LR_CMD_STATUS: code = lr_status(cfg, cli.json); break;
	case LR_CMD_SPOOL: code = lr_cmd_spool(cfg, &cli); break;
	case LR_CMD_REPLAY: code = lr_cmd_replay(cfg, &cli); break;
	default: code = cmd_switch(cfg, &cli); break;
	}
	lr_config_free(cfg);
	lr_log_close();
	return code;
}
