/* The enumerations every module shares, and their names as they appear in configuration
 * files, logs, reports and metrics. A leaf: it includes nothing else of lvsrole, so that the
 * configuration and the event modules both depend on it and not on each other. */
#pragma once

enum lr_role {
	LR_ROLE_UNKNOWN = 0, /* no event seen: lvsrole leaves the instance's VIPs alone */
	LR_ROLE_DIRECTOR,
	LR_ROLE_REAL_SERVER,
	LR_ROLE_NONE, /* VIPs removed from the NIC and the real-server device */
};

/* keepalived's VRRP states, as named in its notify arguments. */
enum lr_kstate {
	LR_KSTATE_MASTER,
	LR_KSTATE_BACKUP,
	LR_KSTATE_FAULT,
	LR_KSTATE_STOP,
	LR_KSTATE_DELETED,
	LR_KSTATE__COUNT,
	LR_KSTATE_NONE = -1, /* operator command, no keepalived state */
};

enum lr_scope { LR_SCOPE_INSTANCE, LR_SCOPE_GROUP };
enum lr_arp_op { LR_ARP_REQUEST = 1, LR_ARP_REPLY = 2, LR_ARP_BOTH = 3 };
enum lr_sysctl_key { LR_ARP_IGNORE, LR_ARP_ANNOUNCE, LR_SYSCTL__COUNT };
enum lr_wh_format { LR_WH_STANDARD, LR_WH_CLOUDEVENTS, LR_WH_SLACK, LR_WH__COUNT };
enum lr_drift_mode { LR_DRIFT_REPAIR, LR_DRIFT_REPORT, LR_DRIFT_OFF, LR_DRIFT__COUNT };
/* How an instance keeps keepalived's IPVS from balancing again, in the real-server role, what a
 * director forwarded to it (doc/ipvs.md). */
enum lr_guard_mode { LR_GUARD_NONE, LR_GUARD_FWMARK, LR_GUARD_BACKUP_ONLY, LR_GUARD__COUNT };

enum lr_result {
	LR_RESULT_OK,
	LR_RESULT_PARTIAL,
	LR_RESULT_FAILED,
	LR_RESULT_NOOP,
	LR_RESULT_SUPERSEDED,
	LR_RESULT_DETECTED, /* drift found and only reported; a conflict */
	LR_RESULT__COUNT,
};

enum lr_event_type {
	LR_EVENT_TRANSITION, /* keepalived's state change or an operator's command */
	LR_EVENT_DRIFT,      /* the host stopped matching the recorded roles */
	LR_EVENT_CONFLICT,   /* another MAC answers or announces a VIP we direct */
	LR_EVENT_LOOP_RISK,  /* an IPVS service of a VIP that the loop guard does not cover */
};

/* The index of s in names[first..last] (entries may be NULL), or -1. */
int lr_name_index(const char *const *names, int first, int last, const char *s);

/* The name tables, indexed by their enumeration ("" or NULL where a value has no name). */
extern const char *const lr_role_names[LR_ROLE_NONE + 1];
extern const char *const lr_kstate_names[LR_KSTATE__COUNT];
extern const char *const lr_arp_op_names[LR_ARP_BOTH + 1];
extern const char *const lr_format_names[LR_WH__COUNT];
extern const char *const lr_drift_mode_names[LR_DRIFT__COUNT];
extern const char *const lr_guard_mode_names[LR_GUARD__COUNT];
extern const char *const lr_result_names[LR_RESULT__COUNT];

/* A name for any value ("?" or "-" out of range). */
const char *lr_role_name(enum lr_role role);
const char *lr_kstate_name(enum lr_kstate st);
const char *lr_scope_name(enum lr_scope scope);
const char *lr_sysctl_key_name(enum lr_sysctl_key key);
const char *lr_format_name(enum lr_wh_format f);
const char *lr_drift_mode_name(enum lr_drift_mode m);
const char *lr_result_name(enum lr_result r);
const char *lr_event_type_name(enum lr_event_type t);
/* director, real-server or none (unknown is no role one can ask for); -EINVAL otherwise. */
int lr_role_parse(const char *s, enum lr_role *out);
int lr_kstate_parse(const char *s, enum lr_kstate *out);
