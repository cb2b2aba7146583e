/* lvsrole.conf: parsing, strict validation and the resolved configuration. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "names.h"
#include "util.h"

#define LR_DEFAULT_CONFIG "/etc/lvsrole/lvsrole.conf"
#define LR_DEFAULT_STATE_DIR "/run/lvsrole"

/* Limits on what a configuration may hold (documented in the README). */
#define LR_MAX_CONFIG_BYTES (1024 * 1024)
#define LR_MAX_NAME 64
#define LR_MAX_INSTANCES 256
#define LR_MAX_VIPS 4096
#define LR_MAX_SYSCTL_IFACES 64
#define LR_MAX_ENDPOINTS 16
#define LR_MAX_HEADERS 16
#define LR_MAX_URL 2048
#define LR_DEFAULT_SPOOL_DIR "/var/spool/lvsrole"

enum lr_owner { LR_OWNER_LVSROLE, LR_OWNER_KEEPALIVED };

struct lr_vip {
	struct lr_ip ip;
	uint8_t prefix; /* prefix used on the NIC */
};

/* A port of the traffic a guard marks: "tcp/80". */
struct lr_port {
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_SCTP */
	uint16_t port;
};
#define LR_MAX_PORTS 64

/* An instance's "ipvs" section: its loop guard. */
struct lr_ipvs_conf {
	enum lr_guard_mode guard;
	uint32_t fwmark;       /* fwmark: the mark of keepalived's virtual_server fwmark N */
	struct lr_port *ports; /* fwmark: the traffic marked; none: all traffic to the VIPs */
	size_t n_ports;
};

struct lr_instance {
	char name[LR_MAX_NAME + 1];
	enum lr_scope scope;
	char nic[LR_IFNAMSIZ];
	char rs_dev[LR_IFNAMSIZ];
	enum lr_owner owner;
	enum lr_role roles[LR_KSTATE__COUNT];
	struct lr_vip *vips;
	size_t n_vips;
	struct lr_ipvs_conf ipvs;
};

/* A webhook endpoint ("webhooks.endpoints.NAME"). */
struct lr_endpoint {
	char name[64]; /* [A-Za-z0-9_-]: also its spool directory */
	char *url;
	enum lr_wh_format format;
	char *secret_file, *previous_secret_file, *bearer_token_file;
	char **headers; /* "Name: value" */
	size_t n_headers;
	unsigned connect_timeout_ms, timeout_ms;
	char *ca_file, *client_cert, *client_key;
	char *proxy; /* NULL: none, whatever the environment says (unless use_env_proxy) */
	bool use_env_proxy, allow_http;
	char (*instances)[LR_MAX_NAME + 1]; /* filter; none: every instance and group */
	size_t n_instances;
	unsigned results; /* filter: bit (1 << enum lr_result); 0: every result */
	unsigned max_events;
	uint64_t max_bytes;
	uint64_t max_age_s;
};

/* The "plugin" section: what lvsrole-plugin does between keepalived's events. */
struct lr_plugin_conf {
	enum lr_drift_mode drift;
	unsigned drift_check_ms;     /* periodic re-check of sysctls and addresses */
	unsigned announce_refresh_s; /* re-announce while directing; 0: never */
	bool conflict_detection;     /* ARP probe around takeover, watch while directing */
	unsigned conflict_probe_ms;  /* how long a probe listens for a foreign answer */
};

struct lr_config {
	char *path;
	char *state_dir;
	char (*sysctl_ifaces)[LR_IFNAMSIZ];
	size_t n_sysctl_ifaces;
	bool sysctl_ifaces_default;
	int rs_values[LR_SYSCTL__COUNT];
	int dir_values[LR_SYSCTL__COUNT]; /* -1: the values found at lvsrole's first look */
	unsigned announce_count;
	unsigned announce_interval_ms;
	enum lr_arp_op announce_op;
	struct lr_instance *inst;
	size_t n_inst;
	/* webhooks */
	char *spool_dir;
	unsigned delivery_deadline_ms; /* bounded attempt after a switch; 0: leave it to flush */
	unsigned retry_base_ms, retry_max_ms;
	struct lr_endpoint *endpoints;
	size_t n_endpoints;
	struct lr_plugin_conf plugin;
	/* the Prometheus textfile (the plugin's, or lvsrole-notify's without one); NULL: none */
	char *metrics_file;
};

/* Parses and validates path. On failure returns a negative errno and writes one message
 * "FILE:LINE: json.path: what is wrong: "value"" into err. */
int lr_config_load(const char *path, struct lr_config **out, char *err, size_t errlen);
/* The same from a buffer; name is used in messages. */
int lr_config_parse(const char *name, const char *text, size_t len, struct lr_config **out,
		    char *err, size_t errlen);
void lr_config_free(struct lr_config *cfg);
/* The resolved configuration, defaults filled in, as pretty JSON (malloc'd). */
char *lr_config_dump(const struct lr_config *cfg);

const struct lr_instance *lr_config_find(const struct lr_config *cfg, const char *name,
					 size_t *index);

const struct lr_endpoint *lr_config_endpoint(const struct lr_config *cfg, const char *name);
/* "tcp", "udp" or "sctp" */
const char *lr_proto_name(uint8_t proto);
/* "10.0.0.50/24" */
void lr_vip_str(const struct lr_vip *vip, char *buf, size_t len);
