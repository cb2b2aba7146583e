/* The names of the shared enumerations (names.h). */
#include "config.h"
#include "names.h"

#include <errno.h>
#include <string.h>

const char *const lr_role_names[LR_ROLE_NONE + 1] = {
	[LR_ROLE_UNKNOWN] = "unknown",
	[LR_ROLE_DIRECTOR] = "director",
	[LR_ROLE_REAL_SERVER] = "real-server",
	[LR_ROLE_NONE] = "none",
};

const char *const lr_kstate_names[LR_KSTATE__COUNT] = {
	[LR_KSTATE_MASTER] = "MASTER", [LR_KSTATE_BACKUP] = "BACKUP", [LR_KSTATE_FAULT] = "FAULT",
	[LR_KSTATE_STOP] = "STOP",     [LR_KSTATE_DELETED] = "DELETED",
};

const char *const lr_arp_op_names[LR_ARP_BOTH + 1] = {
	[LR_ARP_REQUEST] = "request", [LR_ARP_REPLY] = "reply", [LR_ARP_BOTH] = "both",
};

const char *const lr_format_names[LR_WH__COUNT] = {
	[LR_WH_STANDARD] = "standard", [LR_WH_CLOUDEVENTS] = "cloudevents", [LR_WH_SLACK] = "slack",
};

const char *const lr_drift_mode_names[LR_DRIFT__COUNT] = {
	[LR_DRIFT_REPAIR] = "repair", [LR_DRIFT_REPORT] = "report", [LR_DRIFT_OFF] = "off",
};

const char *const lr_guard_mode_names[LR_GUARD__COUNT] = {
	[LR_GUARD_NONE] = "none", [LR_GUARD_FWMARK] = "fwmark", [LR_GUARD_BACKUP_ONLY] = "backup_only",
};

const char *const lr_result_names[LR_RESULT__COUNT] = {
	[LR_RESULT_OK] = "ok", [LR_RESULT_PARTIAL] = "partial", [LR_RESULT_FAILED] = "failed",
	[LR_RESULT_NOOP] = "noop", [LR_RESULT_SUPERSEDED] = "superseded", [LR_RESULT_DETECTED] = "detected",
};

static const char *const event_type_names[] = {
	[LR_EVENT_TRANSITION] = "transition", [LR_EVENT_DRIFT] = "drift", [LR_EVENT_CONFLICT] = "conflict",
	[LR_EVENT_LOOP_RISK] = "ipvs_loop_risk",
};

int lr_name_index(const char *const *names, int first, int last, const char *s)
{
	for (int i = first; i <= last; i++)
		if (names[i] && !strcmp(s, names[i]))
			return i;
	return -1;
}

const char *lr_role_name(enum lr_role role)
{
	return (unsigned)role <= LR_ROLE_NONE ? lr_role_names[role] : "?";
}

const char *lr_kstate_name(enum lr_kstate st)
{
	return st >= 0 && st < LR_KSTATE__COUNT ? lr_kstate_names[st] : "-";
}

const char *lr_scope_name(enum lr_scope scope)
{
	return scope == LR_SCOPE_GROUP ? "group" : "instance";
}

const char *lr_sysctl_key_name(enum lr_sysctl_key key)
{
	return key == LR_ARP_IGNORE ? "arp_ignore" : "arp_announce";
}

const char *lr_format_name(enum lr_wh_format f)
{
	return (unsigned)f < LR_WH__COUNT ? lr_format_names[f] : "?";
}

const char *lr_drift_mode_name(enum lr_drift_mode m)
{
	return (unsigned)m < LR_DRIFT__COUNT ? lr_drift_mode_names[m] : "?";
}

const char *lr_result_name(enum lr_result r)
{
	return (unsigned)r < LR_RESULT__COUNT ? lr_result_names[r] : "?";
}

const char *lr_event_type_name(enum lr_event_type t)
{
	return (unsigned)t <= LR_EVENT_LOOP_RISK ? event_type_names[t] : "?";
}

int lr_role_parse(const char *s, enum lr_role *out)
{
	int i = lr_name_index(lr_role_names, LR_ROLE_DIRECTOR, LR_ROLE_NONE, s);

	if (i < 0)
		return -EINVAL;
	*out = (enum lr_role)i;
	return 0;
}

int lr_kstate_parse(const char *s, enum lr_kstate *out)
{
	int i = lr_name_index(lr_kstate_names, 0, LR_KSTATE__COUNT - 1, s);

	if (i < 0)
		return -EINVAL;
	*out = (enum lr_kstate)i;
	return 0;
}
