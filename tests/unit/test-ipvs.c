/* Tests for lib/ipvs.c: which IPVS services each loop guard leaves open to the two-box loop,
 * and how they are named (doc/ipvs.md). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "ipvs.h"

#define CONF(guard)                                                                                  \
	"{\"instances\": {\"VI_1\": {\"nic\": \"eth0\", \"vips\": [\"10.0.0.50/24\", \"2001:db8::50/64\"]" guard "}," \
	"\"VI_2\": {\"nic\": \"eth0\", \"vips\": [\"10.0.0.60/24\"]}}}"

static struct lr_config *parse(const char *text)
{
	struct lr_config *cfg = NULL;
	char err[512] = "";

	if (lr_config_parse("ipvs.conf", text, strlen(text), &cfg, err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
	return cfg;
}

static struct lr_ipvs_service svc(const char *addr, uint16_t port)
{
	struct lr_ipvs_service s = { .proto = IPPROTO_TCP, .port = port };

	assert_int_equal(lr_ip_parse(addr, &s.ip), 0);
	return s;
}

/* "VI_1:0:why ..." for every risk */
static const char *risks(const struct lr_config *cfg, const enum lr_role *roles, struct lr_ipvs *ipvs)
{
	static char out[256];
	struct lr_ipvs_risk *r;
	size_t n, len = 0;

	assert_int_equal(lr_ipvs_risks(cfg, roles, ipvs, &r, &n), 0);
	out[0] = '\0';
	for (size_t k = 0; k < n; k++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s:%zu:%d", k ? " " : "", cfg->inst[r[k].inst].name,
					r[k].svc, r[k].why);
	free(r);
	return out;
}

static void test_unguarded(void **state)
{
	struct lr_config *cfg = parse(CONF(""));
	struct lr_ipvs_service s[] = { svc("10.0.0.50", 80), svc("2001:db8::50", 443), svc("10.0.0.99", 80),
				       { .fwmark = 1 }, svc("10.0.0.60", 80) };
	struct lr_ipvs ipvs = { .loaded = true, .svc = s, .n_svc = 5, .backup_only = 0 };
	char buf[512];
	struct lr_ipvs_risk r = { .inst = 0, .svc = 1, .why = LR_RISK_UNGUARDED };

	(void)state;
	/* every service of a VIP; not another address's, nor a fwmark service */
	assert_string_equal(risks(cfg, NULL, &ipvs), "VI_1:0:0 VI_1:1:0 VI_2:4:0");
	assert_string_equal(lr_ipvs_service_str(&s[1], buf, sizeof(buf)), "TCP [2001:db8::50]:443");
	assert_string_equal(lr_ipvs_service_str(&s[3], buf, sizeof(buf)), "FWM 1");
	assert_non_null(strstr(lr_ipvs_risk_text(cfg, &ipvs, &r, buf, sizeof(buf)),
			       "VI_1: the IPVS service TCP [2001:db8::50]:443 is a VIP of VI_1, which has no loop guard"));
	lr_config_free(cfg);
}

/* A mark cannot quiet a VIP:port service: only fwmark services are safe with "fwmark". */
static void test_fwmark(void **state)
{
	struct lr_config *cfg = parse(CONF(", \"ipvs\": {\"fwmark\": 3}"));
	struct lr_ipvs_service s[] = { { .fwmark = 3 }, svc("10.0.0.50", 80) };
	struct lr_ipvs ipvs = { .loaded = true, .svc = s, .n_svc = 1 };
	struct lr_ipvs_risk r = { .inst = 0, .svc = 1, .why = LR_RISK_UNGUARDED };
	char buf[512];

	(void)state;
	assert_string_equal(risks(cfg, NULL, &ipvs), "");
	ipvs.n_svc = 2;
	assert_string_equal(risks(cfg, NULL, &ipvs), "VI_1:1:0");
	assert_non_null(strstr(lr_ipvs_risk_text(cfg, &ipvs, &r, buf, sizeof(buf)), "\"virtual_server fwmark 3\""));
	lr_config_free(cfg);
}

/* backup_only holds with its setting and a sync daemon, and a real server needs the backup one. */
static void test_backup_only(void **state)
{
	struct lr_config *cfg = parse(CONF(", \"ipvs\": {\"loop_guard\": \"backup_only\"}"));
	struct lr_ipvs_service s[] = { svc("10.0.0.50", 80) };
	struct lr_ipvs ipvs = { .loaded = true, .svc = s, .n_svc = 1, .backup_only = 0, .sync_state = 2 };
	enum lr_role rs[2] = { LR_ROLE_REAL_SERVER, LR_ROLE_UNKNOWN }, dir[2] = { LR_ROLE_DIRECTOR, LR_ROLE_UNKNOWN };

	(void)state;
	assert_string_equal(risks(cfg, rs, &ipvs), "VI_1:0:1"); /* not set */
	ipvs.backup_only = 1;
	assert_string_equal(risks(cfg, rs, &ipvs), "");
	ipvs.sync_state = 0;
	assert_string_equal(risks(cfg, rs, &ipvs), "VI_1:0:2"); /* no daemon */
	ipvs.sync_state = 1;
	assert_string_equal(risks(cfg, rs, &ipvs), "VI_1:0:3"); /* a real server with the master daemon */
	assert_string_equal(risks(cfg, dir, &ipvs), "");
	assert_string_equal(risks(cfg, NULL, &ipvs), "");
	ipvs.backup_only = -2; /* unreadable */
	assert_string_equal(risks(cfg, dir, &ipvs), "VI_1:0:1");
	lr_config_free(cfg);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unguarded),
		cmocka_unit_test(test_fwmark),
		cmocka_unit_test(test_backup_only),
	};

	return cmocka_run_group_tests_name("ipvs loop risks", tests, NULL, NULL);
}
