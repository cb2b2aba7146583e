/* Tests for lib/plan.c: from roles and a hand-built host view to the exact ordered steps, their
 * phases and dependencies (doc/switch.md, rules 1 to 13), and that a plan, once applied, converges. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "plan.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))
#define MAX_ADDRS 8
#define MAX_SYS 4
#define MAX_STEPS 24

/* ---- configurations ---- */

#define INSTANCE_ONE "\"VI_1\": {\"nic\": \"eth0\", \"vips\": [\"10.0.0.50/24\", \"2001:db8::50/64\"]"
/* sysctl interfaces: all, lo, eth0 */
#define CONF_ONE "{\"instances\": {" INSTANCE_ONE "}}}"
#define CONF_KEEPALIVED "{\"instances\": {" INSTANCE_ONE ", \"nic_vip_owner\": \"keepalived\"}}}"
#define CONF_NO_ANNOUNCE "{\"announce\": {\"count\": 0}, \"instances\": {" INSTANCE_ONE "}}}"
#define CONF_TWO                                                                 \
	"{\"instances\": {\"VI_1\": {\"nic\": \"eth0\", \"vips\": [\"10.0.0.50/24\"]}," \
	"\"VI_2\": {\"nic\": \"eth0\", \"vips\": [\"10.0.0.60/24\"]}}}"
/* sysctl interfaces: all, eth0 */
#define INSTANCE_V4 "\"instances\": {\"VI_1\": {\"nic\": \"eth0\", \"vips\": [\"10.0.0.50/24\"]}}"
#define CONF_IFACES "{\"arp_sysctl\": {\"interfaces\": [\"all\", \"eth0\"]}, " INSTANCE_V4 "}"
#define CONF_DIR_VALUES                                                                      \
	"{\"arp_sysctl\": {\"interfaces\": [\"all\", \"eth0\"],"                              \
	"\"director\": {\"arp_ignore\": 0, \"arp_announce\": 1}}, " INSTANCE_V4 "}"
/* sysctl interfaces: all */
#define CONF_RS_VALUES                                                                       \
	"{\"arp_sysctl\": {\"interfaces\": [\"all\"],"                                        \
	"\"real_server\": {\"arp_ignore\": 2, \"arp_announce\": 2}}, " INSTANCE_V4 "}"
/* sysctl interfaces: all, tunl0, eth0 */
/* the loop guard "fwmark" (sysctl interfaces: all, lo, eth0) */
#define GUARD ", \"ipvs\": {\"fwmark\": 1, \"ports\": [\"tcp/80\"]}"
#define CONF_GUARD "{\"instances\": {" INSTANCE_ONE GUARD "}}}"
#define CONF_BACKUP_ONLY "{\"instances\": {" INSTANCE_ONE ", \"ipvs\": {\"loop_guard\": \"backup_only\"}}}}"
#define CONF_GUARD_KEEPALIVED "{\"instances\": {" INSTANCE_ONE ", \"nic_vip_owner\": \"keepalived\"" GUARD "}}}"
#define CONF_TUNNEL                                                                      \
	"{\"instances\": {\"VI_1\": {\"nic\": \"eth0\", \"real_server_device\": \"tunl0\","    \
	"\"vips\": [\"10.0.0.50/24\"]}}}"

/* ---- the host ---- */

struct addr_spec {
	const char *ifname;
	const char *addr; /* "ip/prefix" */
	bool deprecated;
	unsigned flags; /* what else the kernel says of it */
};
#define TENTATIVE 1u
#define DADFAILED 2u
#define HAS_SECONDARIES 4u /* an IPv4 primary with secondaries (lr_host_read finds them) */

#define L4 { "lo", "10.0.0.50/32", false, 0 }
#define L6 { "lo", "2001:db8::50/128", true, 0 }
#define N4 { "eth0", "10.0.0.50/24", false, 0 }
#define N6 { "eth0", "2001:db8::50/64", true, 0 }

struct sys_spec {
	bool set;
	int cur[LR_SYSCTL__COUNT];
	int saved[LR_SYSCTL__COUNT];
	const char *vmac; /* a VMAC of keepalived, or the parent of this one */
};

#define SYSV(c0, c1, s0, s1) { true, { c0, c1 }, { s0, s1 }, NULL }
#define SYSVM(c0, c1, s0, s1, vm) { true, { c0, c1 }, { s0, s1 }, vm }
#define FRESH SYSV(0, 0, -1, -1)  /* kernel defaults, never changed by lvsrole */
#define RAISED SYSV(1, 2, 0, 0)   /* real-server values set by lvsrole over 0/0 */
#define RELAXED SYSV(0, 0, 0, 0)  /* back at the values lvsrole found */
#define ALL3(x) { x, x, x }

/* ---- expected steps ---- */

struct want_step {
	enum lr_step_kind kind;
	enum lr_phase phase; /* 0 ends the list */
	const char *ifname;
	const char *addr; /* address steps */
	enum lr_sysctl_key key;
	int before, after;
	bool first;
	int dep_step, dep_phase;
	const char *desc; /* when set: lr_step_describe() */
	bool keep;        /* address delete: with promote_secondaries set */
	int inst;         /* guard: the instance (-1: the orphans) */
	bool on;          /* guard: rules made present */
};

#define UNMARK LR_PHASE_UNMARK
#define MARK LR_PHASE_MARK
#define RAISE LR_PHASE_RAISE
#define NIC_ADD LR_PHASE_NIC_ADD
#define NIC_DEL LR_PHASE_NIC_DEL
#define RS_ADD LR_PHASE_RS_ADD
#define RS_DEL LR_PHASE_RS_DEL
#define RELAX LR_PHASE_RELAX
#define IGN LR_ARP_IGNORE
#define ANC LR_ARP_ANNOUNCE

#define ADDR(k, ph, ifn, a, ds, dp, d)                                                      \
	{ .kind = k, .phase = ph, .ifname = ifn, .addr = a, .dep_step = ds, .dep_phase = dp, \
	  .desc = d }
#define ADD(ph, ifn, a, ds, dp) ADDR(LR_STEP_ADDR_ADD, ph, ifn, a, ds, dp, NULL)
#define DEL(ph, ifn, a, ds, dp) ADDR(LR_STEP_ADDR_DEL, ph, ifn, a, ds, dp, NULL)
#define DELK(ph, ifn, a, ds, dp)                                                      \
	{ .kind = LR_STEP_ADDR_DEL, .phase = ph, .ifname = ifn, .addr = a, .dep_step = ds, \
	  .dep_phase = dp, .keep = true }
#define UPD(ph, ifn, a) ADDR(LR_STEP_ADDR_UPDATE, ph, ifn, a, -1, 0, NULL)
#define ANN(ifn, a, ds) ADDR(LR_STEP_ANNOUNCE, NIC_ADD, ifn, a, ds, 0, NULL)
#define GRD(ph, i, o, dp, d)                                                                      \
	{ .kind = LR_STEP_GUARD, .phase = ph, .ifname = "nftables", .inst = i, .on = o, .dep_step = -1, \
	  .dep_phase = dp, .desc = d }
#define BO(b, a, d) \
	{ .kind = LR_STEP_BACKUP_ONLY, .phase = UNMARK, .ifname = "vs", .before = b, .after = a, .dep_step = -1, .desc = d }
#define SYSD(ph, ifn, k, b, a, f, dp, d)                                                        \
	{ .kind = LR_STEP_SYSCTL, .phase = ph, .ifname = ifn, .key = k, .before = b, .after = a, \
	  .first = f, .dep_step = -1, .dep_phase = dp, .desc = d }
#define SYS(ph, ifn, k, b, a, f, dp) SYSD(ph, ifn, k, b, a, f, dp, NULL)
/* both keys of one interface to the default real-server values 1 and 2 */
#define RAISE2(ifn, b0, b1, f) SYS(RAISE, ifn, IGN, b0, 1, f, 0), SYS(RAISE, ifn, ANC, b1, 2, f, 0)
/* both keys from the real-server values to a0/a1, once the real-server devices are clear */
#define RELAX2(ifn, a0, a1, f) \
	SYS(RELAX, ifn, IGN, 1, a0, f, RS_DEL), SYS(RELAX, ifn, ANC, 2, a1, f, RS_DEL)

struct plan_case {
	const char *name;
	const char *conf;
	enum lr_role roles[4];
	const char *announce; /* '1' per instance announcing; NULL: no array */
	struct addr_spec addrs[MAX_ADDRS];
	struct sys_spec sys[MAX_SYS];
	struct want_step steps[MAX_STEPS];
	size_t changes;
	/* what lvsrole's nftables table holds per instance: 'A'bsent, 'E'xact, 'S'tale,
	 * 'U'nreadable; NULL: not read (no guard); then how many rules of no guarded instance */
	const char *guard;
	size_t orphans;
	bool table; /* lvsrole's table exists (else: only if a rule is in it) */
	/* net.ipv4.vs.backup_only: read, its value and its original */
	struct { bool read; int cur, saved; } bo;
};

#define DIR LR_ROLE_DIRECTOR
#define RS LR_ROLE_REAL_SERVER
#define NONE LR_ROLE_NONE
#define UNKNOWN LR_ROLE_UNKNOWN

/* the cases before rule 13 leave the guard fields out: no table read */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static struct plan_case plan_cases[] = {
	/* ---- the role changes, in order (doc/switch.md rules 1, 2, 4) ---- */
	{ "fresh host to real-server", CONF_ONE, { RS }, NULL, { { 0 } }, ALL3(FRESH),
	  {
		  SYSD(RAISE, "all", IGN, 0, 1, true, 0, "set all.arp_ignore 0 -> 1"),
		  SYSD(RAISE, "all", ANC, 0, 2, true, 0, "set all.arp_announce 0 -> 2"),
		  RAISE2("lo", 0, 0, true),
		  RAISE2("eth0", 0, 0, true),
		  ADDR(LR_STEP_ADDR_ADD, RS_ADD, "lo", "10.0.0.50/32", -1, RAISE, "add 10.0.0.50/32 to lo"),
		  ADDR(LR_STEP_ADDR_ADD, RS_ADD, "lo", "2001:db8::50/128", -1, RAISE,
		       "add 2001:db8::50/128 to lo"),
	  }, 8 },
	{ "real-server to director", CONF_ONE, { DIR }, "1", { L4, L6 }, ALL3(RAISED),
	  {
		  /* 0 */ ADD(NIC_ADD, "eth0", "10.0.0.50/24", -1, 0),
		  /* 1 */ ADDR(LR_STEP_ANNOUNCE, NIC_ADD, "eth0", "10.0.0.50/24", 0, 0,
			       "announce 10.0.0.50/24 on eth0"),
		  /* 2 */ ADD(NIC_ADD, "eth0", "2001:db8::50/64", -1, 0),
		  /* 3 */ ANN("eth0", "2001:db8::50/64", 2),
		  /* 4 */ ADDR(LR_STEP_ADDR_DEL, RS_DEL, "lo", "10.0.0.50/32", 0, 0,
			       "remove 10.0.0.50/32 from lo"),
		  /* 5 */ DEL(RS_DEL, "lo", "2001:db8::50/128", 2, 0),
		  RELAX2("all", 0, 0, false),
		  RELAX2("lo", 0, 0, false),
		  SYS(RELAX, "eth0", IGN, 1, 0, false, RS_DEL),
		  SYSD(RELAX, "eth0", ANC, 2, 0, false, RS_DEL, "set eth0.arp_announce 2 -> 0"),
	  }, 10 },
	{ "director to real-server", CONF_ONE, { RS }, NULL, { N4, N6 }, ALL3(RELAXED),
	  {
		  RAISE2("all", 0, 0, false),
		  RAISE2("lo", 0, 0, false),
		  RAISE2("eth0", 0, 0, false),
		  DEL(NIC_DEL, "eth0", "10.0.0.50/24", -1, 0),
		  DEL(NIC_DEL, "eth0", "2001:db8::50/64", -1, 0),
		  ADD(RS_ADD, "lo", "10.0.0.50/32", -1, RAISE),
		  ADD(RS_ADD, "lo", "2001:db8::50/128", -1, RAISE),
	  }, 10 },
	{ "fresh host to director", CONF_ONE, { DIR }, "1", { { 0 } }, ALL3(FRESH),
	  {
		  ADD(NIC_ADD, "eth0", "10.0.0.50/24", -1, 0),
		  ANN("eth0", "10.0.0.50/24", 0),
		  ADD(NIC_ADD, "eth0", "2001:db8::50/64", -1, 0),
		  ANN("eth0", "2001:db8::50/64", 2),
	  }, 2 },
	{ "director to none", CONF_ONE, { NONE }, NULL, { N4, N6 }, ALL3(RELAXED),
	  {
		  DEL(NIC_DEL, "eth0", "10.0.0.50/24", -1, 0),
		  DEL(NIC_DEL, "eth0", "2001:db8::50/64", -1, 0),
	  }, 2 },
	{ "real-server to none", CONF_ONE, { NONE }, NULL, { L4, L6 }, ALL3(RAISED),
	  {
		  DEL(RS_DEL, "lo", "10.0.0.50/32", -1, 0),
		  DEL(RS_DEL, "lo", "2001:db8::50/128", -1, 0),
		  RELAX2("all", 0, 0, false),
		  RELAX2("lo", 0, 0, false),
		  RELAX2("eth0", 0, 0, false),
	  }, 8 },
	{ "none with the VIP everywhere", CONF_ONE, { NONE }, "1",
	  { N4, N6, L4, L6, { "eth0", "10.0.0.50/32", false, 0 } }, ALL3(RAISED),
	  {
		  /* a wrong prefix goes as it is found, the configured one after */
		  DEL(NIC_DEL, "eth0", "10.0.0.50/32", -1, 0),
		  DEL(NIC_DEL, "eth0", "10.0.0.50/24", -1, 0),
		  DEL(NIC_DEL, "eth0", "2001:db8::50/64", -1, 0),
		  DEL(RS_DEL, "lo", "10.0.0.50/32", -1, 0),
		  DEL(RS_DEL, "lo", "2001:db8::50/128", -1, 0),
		  RELAX2("all", 0, 0, false),
		  RELAX2("lo", 0, 0, false),
		  RELAX2("eth0", 0, 0, false),
	  }, 11 },

	/* ---- what else the kernel says of an address ---- */
	/* a VIP that is the primary of its subnet: deleted with promote_secondaries set, so that
	 * the host's own addresses in that subnet (and their routes) stay */
	{ "director to real-server, the VIP a primary with secondaries", CONF_ONE, { RS }, NULL,
	  { { "eth0", "10.0.0.50/24", false, HAS_SECONDARIES }, N6 }, ALL3(FRESH),
	  {
		  RAISE2("all", 0, 0, true),
		  RAISE2("lo", 0, 0, true),
		  RAISE2("eth0", 0, 0, true),
		  DEL(NIC_DEL, "eth0", "2001:db8::50/64", -1, 0),
		  DELK(NIC_DEL, "eth0", "10.0.0.50/24", -1, 0),
		  ADD(RS_ADD, "lo", "10.0.0.50/32", -1, RAISE),
		  ADD(RS_ADD, "lo", "2001:db8::50/128", -1, RAISE),
	  }, 10 },
	/* the primary last: the secondary it promotes must not be a VIP deleted after it */
	{ "real server, two VIPs of one subnet: the primary deleted last", CONF_TWO, { RS, RS }, NULL,
	  { { "eth0", "10.0.0.50/24", false, HAS_SECONDARIES }, { "eth0", "10.0.0.60/24", false, 0 } },
	  ALL3(FRESH),
	  {
		  RAISE2("all", 0, 0, true),
		  RAISE2("lo", 0, 0, true),
		  RAISE2("eth0", 0, 0, true),
		  DEL(NIC_DEL, "eth0", "10.0.0.60/24", -1, 0),
		  DELK(NIC_DEL, "eth0", "10.0.0.50/24", -1, 0),
		  ADD(RS_ADD, "lo", "10.0.0.50/32", -1, RAISE),
		  ADD(RS_ADD, "lo", "10.0.0.60/32", -1, RAISE),
	  }, 10 },
	{ "director, a wrong prefix that is a primary with secondaries", CONF_ONE, { DIR }, NULL,
	  { { "eth0", "10.0.0.50/32", false, HAS_SECONDARIES }, N6 }, ALL3(RELAXED),
	  {
		  ADD(NIC_ADD, "eth0", "10.0.0.50/24", -1, 0),
		  ANN("eth0", "10.0.0.50/24", 0),
		  DELK(NIC_DEL, "eth0", "10.0.0.50/32", 0, 0),
	  }, 2 },
	/* an IPv6 VIP that DAD holds back (tentative) or failed (dadfailed) is not in place for a
	 * director: deleted and added again without DAD, and announced */
#define DAD_HELD(what, deprecated, flag)                                               \
	{ "director, IPv6 VIP " what, CONF_ONE, { DIR }, NULL,                           \
	  { N4, { "eth0", "2001:db8::50/64", deprecated, flag } }, ALL3(RELAXED),        \
	  {                                                                              \
		  DEL(NIC_ADD, "eth0", "2001:db8::50/64", -1, 0),                        \
		  ADD(NIC_ADD, "eth0", "2001:db8::50/64", -1, 0),                        \
		  ANN("eth0", "2001:db8::50/64", 1),                                     \
	  }, 2 }
	DAD_HELD("tentative", false, TENTATIVE),
	DAD_HELD("dadfailed", true, DADFAILED),
	{ "real server, IPv6 VIP tentative on the NIC: deleted", CONF_ONE, { RS }, NULL,
	  { L4, L6, { "eth0", "2001:db8::50/64", false, TENTATIVE } }, ALL3(RAISED),
	  { DEL(NIC_DEL, "eth0", "2001:db8::50/64", -1, 0) }, 1 },

	/* ---- unknown roles: the instance's VIPs are left alone ---- */
	{ "unknown instance on lo keeps the real-server sysctls", CONF_TWO, { UNKNOWN, DIR }, NULL,
	  { { "lo", "10.0.0.50/32", false, 0 } }, ALL3(RAISED),
	  {
		  ADD(NIC_ADD, "eth0", "10.0.0.60/24", -1, 0),
		  ANN("eth0", "10.0.0.60/24", 0),
	  }, 1 },
	{ "unknown instance on lo: sysctls raised", CONF_TWO, { UNKNOWN, UNKNOWN }, NULL,
	  { { "lo", "10.0.0.50/32", false, 0 }, { "eth0", "10.0.0.60/24", false, 0 } }, ALL3(FRESH),
	  {
		  RAISE2("all", 0, 0, true),
		  RAISE2("lo", 0, 0, true),
		  RAISE2("eth0", 0, 0, true),
	  }, 6 },
	{ "unknown instance on the NIC, none on lo: relaxed", CONF_TWO, { UNKNOWN, DIR }, NULL,
	  { { "eth0", "10.0.0.50/24", false, 0 }, { "eth0", "10.0.0.60/24", false, 0 } }, ALL3(RAISED),
	  {
		  RELAX2("all", 0, 0, false),
		  RELAX2("lo", 0, 0, false),
		  RELAX2("eth0", 0, 0, false),
	  }, 6 },
	{ "unknown instance with the VIP on lo and the NIC", CONF_TWO, { UNKNOWN, RS }, "11",
	  { { "lo", "10.0.0.50/32", false, 0 }, { "eth0", "10.0.0.50/24", false, 0 },
	    { "lo", "10.0.0.60/32", false, 0 } },
	  ALL3(RAISED), { { 0 } }, 0 },

	/* ---- two instances, two roles on one host (doc/switch.md rule 4) ---- */
	{ "VI_1 director, VI_2 real-server", CONF_TWO, { DIR, RS }, "10",
	  { { "lo", "10.0.0.50/32", false, 0 }, { "lo", "10.0.0.60/32", false, 0 } }, ALL3(RAISED),
	  {
		  ADD(NIC_ADD, "eth0", "10.0.0.50/24", -1, 0),
		  ANN("eth0", "10.0.0.50/24", 0),
		  DEL(RS_DEL, "lo", "10.0.0.50/32", 0, 0),
	  }, 2 },
	{ "fresh host, VI_1 director, VI_2 real-server", CONF_TWO, { DIR, RS }, "10", { { 0 } },
	  ALL3(FRESH),
	  {
		  RAISE2("all", 0, 0, true),
		  RAISE2("lo", 0, 0, true),
		  RAISE2("eth0", 0, 0, true),
		  ADD(NIC_ADD, "eth0", "10.0.0.50/24", -1, 0),
		  ANN("eth0", "10.0.0.50/24", 6),
		  ADD(RS_ADD, "lo", "10.0.0.60/32", -1, RAISE),
	  }, 8 },
	{ "both directors after VI_2 leaves real-server", CONF_TWO, { DIR, DIR }, "01",
	  { { "eth0", "10.0.0.50/24", false, 0 }, { "lo", "10.0.0.60/32", false, 0 } }, ALL3(RAISED),
	  {
		  ADD(NIC_ADD, "eth0", "10.0.0.60/24", -1, 0),
		  ANN("eth0", "10.0.0.60/24", 0),
		  DEL(RS_DEL, "lo", "10.0.0.60/32", 0, 0),
		  RELAX2("all", 0, 0, false),
		  RELAX2("lo", 0, 0, false),
		  RELAX2("eth0", 0, 0, false),
	  }, 8 },

	/* ---- idempotence: the host already matches ---- */
	{ "director already", CONF_ONE, { DIR }, NULL, { N4, N6 }, ALL3(RELAXED), { { 0 } }, 0 },
	{ "director already, sysctls never touched", CONF_ONE, { DIR }, "0", { N4, N6 }, ALL3(FRESH),
	  { { 0 } }, 0 },
	{ "real-server already", CONF_ONE, { RS }, NULL, { L4, L6 }, ALL3(RAISED), { { 0 } }, 0 },
	{ "none already", CONF_ONE, { NONE }, NULL, { { 0 } }, ALL3(RELAXED), { { 0 } }, 0 },
	{ "unknown role, nothing there", CONF_ONE, { UNKNOWN }, NULL, { { 0 } }, ALL3(FRESH), { { 0 } },
	  0 },
	/* no event seen yet: lvsrole manages nothing, not even sysctls set by sysctl.conf */
	{ "unknown role, real-server sysctls from elsewhere", CONF_ONE, { UNKNOWN }, NULL, { { 0 } },
	  ALL3(SYSV(1, 2, -1, -1)), { { 0 } }, 0 },

	/* ---- prefixes (doc/switch.md rules 2 and 8) ---- */
	{ "wrong IPv4 prefix on the NIC", CONF_ONE, { DIR }, NULL,
	  { { "eth0", "10.0.0.50/32", false, 0 }, N6 }, ALL3(RELAXED),
	  {
		  ADD(NIC_ADD, "eth0", "10.0.0.50/24", -1, 0),
		  ANN("eth0", "10.0.0.50/24", 0),
		  DEL(NIC_DEL, "eth0", "10.0.0.50/32", 0, 0), /* only once the /24 is in place */
	  }, 2 },
	{ "wrong IPv6 prefix on the NIC", CONF_ONE, { DIR }, NULL,
	  { N4, { "eth0", "2001:db8::50/128", true, 0 } }, ALL3(RELAXED),
	  {
		  DEL(NIC_ADD, "eth0", "2001:db8::50/128", -1, 0),
		  ADD(NIC_ADD, "eth0", "2001:db8::50/64", -1, 0),
		  ANN("eth0", "2001:db8::50/64", 1),
	  }, 2 },
	{ "wider prefixes on lo in the real-server role", CONF_ONE, { RS }, NULL,
	  { { "lo", "10.0.0.50/24", false, 0 }, { "lo", "2001:db8::50/64", true, 0 } }, ALL3(RAISED),
	  {
		  ADD(RS_ADD, "lo", "10.0.0.50/32", -1, RAISE),
		  DEL(RS_ADD, "lo", "2001:db8::50/64", -1, RAISE),
		  ADD(RS_ADD, "lo", "2001:db8::50/128", -1, RAISE),
		  DEL(RS_DEL, "lo", "10.0.0.50/24", -1, 0),
	  }, 4 },
	{ "VIP on the NIC and lo, director", CONF_ONE, { DIR }, NULL, { N4, N6, L4, L6 }, ALL3(RAISED),
	  {
		  DEL(RS_DEL, "lo", "10.0.0.50/32", -1, 0),
		  DEL(RS_DEL, "lo", "2001:db8::50/128", -1, 0),
		  RELAX2("all", 0, 0, false),
		  RELAX2("lo", 0, 0, false),
		  RELAX2("eth0", 0, 0, false),
	  }, 8 },
	{ "VIP on the NIC and lo, real-server", CONF_ONE, { RS }, NULL, { N4, N6, L4, L6 },
	  ALL3(RAISED),
	  {
		  DEL(NIC_DEL, "eth0", "10.0.0.50/24", -1, 0),
		  DEL(NIC_DEL, "eth0", "2001:db8::50/64", -1, 0),
	  }, 2 },
	{ "VIP on another interface is not ours", CONF_ONE, { RS }, NULL,
	  { L4, L6, { "eth1", "10.0.0.50/24", false, 0 } }, ALL3(RAISED), { { 0 } }, 0 },
	{ "IPv6 VIP preferred on the NIC", CONF_ONE, { DIR }, NULL,
	  { N4, { "eth0", "2001:db8::50/64", false, 0 } }, ALL3(RELAXED),
	  {
		  ADDR(LR_STEP_ADDR_UPDATE, NIC_ADD, "eth0", "2001:db8::50/64", -1, 0,
		       "deprecate 2001:db8::50/64 on eth0 (not a source address)"),
	  }, 1 },
	{ "IPv6 VIP preferred on lo", CONF_ONE, { RS }, NULL, { L4, { "lo", "2001:db8::50/128", false, 0 } },
	  ALL3(RAISED), { UPD(RS_ADD, "lo", "2001:db8::50/128") }, 1 },

	/* ---- keepalived owns the NIC VIP (doc/switch.md rule 6) ---- */
	{ "keepalived-owned: director", CONF_KEEPALIVED, { DIR }, "1", { L4, L6 }, ALL3(RAISED),
	  {
		  DEL(RS_DEL, "lo", "10.0.0.50/32", -1, 0),
		  DEL(RS_DEL, "lo", "2001:db8::50/128", -1, 0),
		  RELAX2("all", 0, 0, false),
		  RELAX2("lo", 0, 0, false),
		  RELAX2("eth0", 0, 0, false),
	  }, 8 },
	{ "keepalived-owned: real-server with the VIP still on the NIC", CONF_KEEPALIVED, { RS }, NULL,
	  { N4, N6 }, ALL3(FRESH),
	  {
		  RAISE2("all", 0, 0, true),
		  RAISE2("lo", 0, 0, true),
		  RAISE2("eth0", 0, 0, true),
		  ADD(RS_ADD, "lo", "10.0.0.50/32", -1, RAISE),
		  ADD(RS_ADD, "lo", "2001:db8::50/128", -1, RAISE),
	  }, 8 },
	{ "keepalived-owned: none", CONF_KEEPALIVED, { NONE }, NULL, { N4, L4 }, ALL3(RAISED),
	  {
		  DEL(RS_DEL, "lo", "10.0.0.50/32", -1, 0),
		  RELAX2("all", 0, 0, false),
		  RELAX2("lo", 0, 0, false),
		  RELAX2("eth0", 0, 0, false),
	  }, 7 },
	{ "keepalived-owned: director, wrong prefix on the NIC", CONF_KEEPALIVED, { DIR }, "1",
	  { { "eth0", "10.0.0.50/32", false, 0 }, { "eth0", "2001:db8::50/128", false, 0 } }, ALL3(RELAXED),
	  { { 0 } }, 0 },

	/* ---- announcements (doc/switch.md rules 5 and 7) ---- */
	{ "announce a VIP already on the NIC", CONF_ONE, { DIR }, "1", { N4, N6 }, ALL3(RELAXED),
	  {
		  ANN("eth0", "10.0.0.50/24", -1),
		  ANN("eth0", "2001:db8::50/64", -1),
	  }, 0 },
	{ "announce count 0", CONF_NO_ANNOUNCE, { DIR }, "1", { L4, L6 }, ALL3(RAISED),
	  {
		  ADD(NIC_ADD, "eth0", "10.0.0.50/24", -1, 0),
		  ADD(NIC_ADD, "eth0", "2001:db8::50/64", -1, 0),
		  DEL(RS_DEL, "lo", "10.0.0.50/32", 0, 0),
		  DEL(RS_DEL, "lo", "2001:db8::50/128", 1, 0),
		  RELAX2("all", 0, 0, false),
		  RELAX2("lo", 0, 0, false),
		  RELAX2("eth0", 0, 0, false),
	  }, 10 },
	{ "announce count 0, VIP already there", CONF_NO_ANNOUNCE, { DIR }, "1", { N4, N6 },
	  ALL3(RELAXED), { { 0 } }, 0 },
	{ "no announcement in the real-server role", CONF_ONE, { RS }, "1", { L4, L6 }, ALL3(RAISED),
	  { { 0 } }, 0 },
	{ "announce only the instance taking over", CONF_TWO, { DIR, DIR }, "01",
	  { { "eth0", "10.0.0.50/24", false, 0 }, { "eth0", "10.0.0.60/24", false, 0 } }, ALL3(RELAXED),
	  { ANN("eth0", "10.0.0.60/24", -1) }, 0 },

	/* ---- director sysctl values (doc/switch.md rule 4) ---- */
	{ "configured director values win", CONF_DIR_VALUES, { DIR }, NULL, { N4 },
	  { SYSV(1, 2, 2, 0), SYSV(1, 2, -1, -1) },
	  {
		  RELAX2("all", 0, 1, false),
		  RELAX2("eth0", 0, 1, true),
	  }, 4 },
	/* keepalived's use_vmac set arp_ignore 1 on the VMAC and its parent and relies on it */
	{ "keepalived VMAC: configured arp_ignore 0 is 1 there", CONF_DIR_VALUES, { DIR }, NULL, { N4 },
	  { SYSV(1, 2, 2, 0), SYSVM(1, 2, 0, 0, "vrrp.51") },
	  {
		  RELAX2("all", 0, 1, false),
		  SYS(RELAX, "eth0", ANC, 2, 1, false, RS_DEL),
	  }, 3 },
	{ "keepalived VMAC: an original 0, saved before keepalived made it, stays 1", CONF_IFACES, { DIR }, NULL,
	  { N4 }, { SYSV(1, 2, 0, 0), SYSVM(1, 0, 0, 0, "vrrp.51") }, { RELAX2("all", 0, 0, false) }, 2 },
	{ "saved values are restored", CONF_IFACES, { DIR }, NULL, { N4 },
	  { SYSV(1, 2, 2, 1), SYSV(1, 2, 0, 0) },
	  {
		  RELAX2("all", 2, 1, false),
		  RELAX2("eth0", 0, 0, false),
	  }, 4 },
	{ "never saved, real-server values: 0", CONF_IFACES, { DIR }, NULL, { N4 },
	  { SYSV(1, 2, -1, -1), SYSV(1, 2, -1, -1) },
	  {
		  RELAX2("all", 0, 0, true),
		  RELAX2("eth0", 0, 0, true),
	  }, 4 },
	{ "never saved, other values: left as they are", CONF_IFACES, { DIR }, NULL, { N4 },
	  { SYSV(2, 1, -1, -1), SYSV(3, 2, -1, -1) },
	  { SYS(RELAX, "eth0", ANC, 2, 0, true, RS_DEL) }, 1 },
	/* 4 to 7 are reserved and 8 answers nothing: never a director's value, found or saved */
	{ "never saved, a value no director may have: 0", CONF_IFACES, { DIR }, NULL, { N4 },
	  { SYSV(8, 1, -1, -1), SYSV(5, 3, -1, -1) },
	  {
		  SYS(RELAX, "all", IGN, 8, 0, true, RS_DEL),
		  SYS(RELAX, "eth0", IGN, 5, 0, true, RS_DEL),
		  SYS(RELAX, "eth0", ANC, 3, 0, true, RS_DEL),
	  }, 3 },
	{ "saved, a value no director may have: 0", CONF_IFACES, { DIR }, NULL, { N4 },
	  { SYSV(1, 2, 8, 2), SYSV(1, 2, 4, 1) },
	  {
		  SYS(RELAX, "all", IGN, 1, 0, false, RS_DEL),
		  SYS(RELAX, "eth0", IGN, 1, 0, false, RS_DEL),
		  SYS(RELAX, "eth0", ANC, 2, 1, false, RS_DEL),
	  }, 3 },
	{ "one key saved, one not", CONF_IFACES, { DIR }, NULL, { N4 },
	  { SYSV(1, 2, 2, -1), SYSV(0, 0, -1, -1) },
	  {
		  SYS(RELAX, "all", IGN, 1, 2, false, RS_DEL),
		  SYS(RELAX, "all", ANC, 2, 0, true, RS_DEL),
	  }, 2 },
	{ "configured real-server values", CONF_RS_VALUES, { RS }, NULL, { { 0 } }, { FRESH },
	  {
		  SYS(RAISE, "all", IGN, 0, 2, true, 0),
		  SYS(RAISE, "all", ANC, 0, 2, true, 0),
		  ADD(RS_ADD, "lo", "10.0.0.50/32", -1, RAISE),
	  }, 3 },
	{ "configured real-server values, director", CONF_RS_VALUES, { DIR }, NULL, { N4 },
	  { SYSV(2, 2, -1, -1) },
	  {
		  SYS(RELAX, "all", IGN, 2, 0, true, RS_DEL),
		  SYS(RELAX, "all", ANC, 2, 0, true, RS_DEL),
	  }, 2 },
	/* a missing interface (ENOENT) has nothing to set; other read errors give a step that
	 * will report the error */
	{ "unreadable sysctls, real-server", CONF_IFACES, { RS }, NULL, { { 0 } },
	  { SYSV(-EACCES, -ENOENT, -1, -1), SYSV(0, -EACCES, -1, -1) },
	  {
		  SYSD(RAISE, "all", IGN, -EACCES, 1, true, 0, "set all.arp_ignore ? -> 1"),
		  SYS(RAISE, "eth0", IGN, 0, 1, true, 0),
		  SYSD(RAISE, "eth0", ANC, -EACCES, 2, true, 0, "set eth0.arp_announce ? -> 2"),
		  ADD(RS_ADD, "lo", "10.0.0.50/32", -1, RAISE),
	  }, 4 },
	{ "unreadable sysctls, director", CONF_IFACES, { DIR }, NULL, { N4 },
	  { SYSV(-EACCES, 0, -1, -1), SYSV(1, -ENOENT, 0, 0) },
	  {
		  SYS(RELAX, "all", IGN, -EACCES, 0, true, RS_DEL),
		  SYS(RELAX, "eth0", IGN, 1, 0, false, RS_DEL),
	  }, 2 },

	/* ---- another real-server device (doc/switch.md rule 9) ---- */
	{ "real-server device tunl0", CONF_TUNNEL, { RS }, NULL,
	  { N4, { "lo", "10.0.0.50/32", false, 0 } }, ALL3(FRESH),
	  {
		  RAISE2("all", 0, 0, true),
		  RAISE2("tunl0", 0, 0, true),
		  RAISE2("eth0", 0, 0, true),
		  DEL(NIC_DEL, "eth0", "10.0.0.50/24", -1, 0),
		  ADD(RS_ADD, "tunl0", "10.0.0.50/32", -1, RAISE),
	  }, 8 },
	/* ---- the loop guard "fwmark" (rule 13) ---- */
	{ "guarded: real-server to director", CONF_GUARD, { DIR }, "1", { L4, L6 }, ALL3(RAISED),
	  {
		  ADD(NIC_ADD, "eth0", "10.0.0.50/24", -1, 0),
		  ANN("eth0", "10.0.0.50/24", 0),
		  ADD(NIC_ADD, "eth0", "2001:db8::50/64", -1, 0),
		  ANN("eth0", "2001:db8::50/64", 2),
		  GRD(MARK, 0, true, NIC_ADD, "mark VI_1's traffic with fwmark 1 (table inet lvsrole)"),
		  DEL(RS_DEL, "lo", "10.0.0.50/32", 0, 0),
		  DEL(RS_DEL, "lo", "2001:db8::50/128", 2, 0),
		  RELAX2("all", 0, 0, false),
		  RELAX2("lo", 0, 0, false),
		  RELAX2("eth0", 0, 0, false),
	  }, 11, "A" },
	{ "guarded: director to real-server", CONF_GUARD, { RS }, NULL, { N4, N6 }, ALL3(RELAXED),
	  {
		  GRD(UNMARK, 0, false, 0, "stop marking VI_1's traffic (table inet lvsrole)"),
		  RAISE2("all", 0, 0, false),
		  RAISE2("lo", 0, 0, false),
		  RAISE2("eth0", 0, 0, false),
		  DEL(NIC_DEL, "eth0", "10.0.0.50/24", -1, 0),
		  DEL(NIC_DEL, "eth0", "2001:db8::50/64", -1, 0),
		  ADD(RS_ADD, "lo", "10.0.0.50/32", -1, RAISE),
		  ADD(RS_ADD, "lo", "2001:db8::50/128", -1, RAISE),
	  }, 11, "E" },
	{ "guarded: director to none", CONF_GUARD, { NONE }, NULL, { N4, N6 }, ALL3(RELAXED),
	  {
		  GRD(UNMARK, 0, false, 0, NULL),
		  DEL(NIC_DEL, "eth0", "10.0.0.50/24", -1, 0),
		  DEL(NIC_DEL, "eth0", "2001:db8::50/64", -1, 0),
	  }, 3, "E" },
	{ "guarded director, rules in place", CONF_GUARD, { DIR }, "0", { N4, N6 }, ALL3(RELAXED),
	  { { 0 } }, 0, "E" },
	{ "guarded director, rules not the configured ones", CONF_GUARD, { DIR }, "0", { N4, N6 }, ALL3(RELAXED),
	  { GRD(MARK, 0, true, NIC_ADD, NULL) }, 1, "S" },
	{ "guarded director, table unreadable", CONF_GUARD, { DIR }, "0", { N4, N6 }, ALL3(RELAXED),
	  { GRD(MARK, 0, true, NIC_ADD, NULL) }, 1, "U" },
	{ "guarded real server, table unreadable", CONF_GUARD, { RS }, NULL, { L4, L6 }, ALL3(RAISED),
	  { GRD(UNMARK, 0, false, 0, NULL) }, 1, "U" },
	{ "guarded real server, rules of an instance no longer guarded", CONF_GUARD, { RS }, NULL,
	  { L4, L6 }, ALL3(RAISED),
	  { GRD(UNMARK, -1, false, 0, "remove the rules of no guarded instance from table inet lvsrole, and the table if empty") },
	  1, "A", 2 },
	{ "guarded real server: the empty table stays (the next director switch uses it)", CONF_GUARD, { RS }, NULL,
	  { L4, L6 }, ALL3(RAISED), { { 0 } }, 0, "A", 0, true },
	{ "guarded, role none: the empty table goes", CONF_GUARD, { NONE }, NULL, { { 0 } }, ALL3(RELAXED),
	  { GRD(UNMARK, -1, false, 0, NULL) }, 1, "A", 0, true },
	{ "guarded, no recorded role: rules left alone", CONF_GUARD, { UNKNOWN }, NULL, { N4, N6 },
	  ALL3(RELAXED), { { 0 } }, 0, "E" },
	{ "guarded, keepalived owns the VIPs: director", CONF_GUARD_KEEPALIVED, { DIR }, "1", { N4, N6 },
	  ALL3(RELAXED), { GRD(MARK, 0, true, NIC_ADD, NULL) }, 1, "A" },
	{ "guarded, keepalived owns the VIPs: real server", CONF_GUARD_KEEPALIVED, { RS }, NULL, { L4, L6 },
	  ALL3(RAISED), { GRD(UNMARK, 0, false, 0, NULL) }, 1, "S" },
	/* ---- the loop guard "backup_only" (rule 13) ---- */
	{ "backup_only: fresh host to real-server", CONF_BACKUP_ONLY, { RS }, NULL, { L4, L6 }, ALL3(RAISED),
	  { BO(0, 1, "set net.ipv4.vs.backup_only 0 -> 1") }, 1, NULL, 0, false, { true, 0, 0 } },
	{ "backup_only: director, set already", CONF_BACKUP_ONLY, { DIR }, "0", { N4, N6 }, ALL3(RELAXED),
	  { { 0 } }, 0, NULL, 0, false, { true, 1, 0 } },
	{ "backup_only: none, the original again", CONF_BACKUP_ONLY, { NONE }, NULL, { { 0 } }, ALL3(RELAXED),
	  { BO(1, 0, NULL) }, 1, NULL, 0, false, { true, 1, 0 } },
	{ "backup_only: no recorded role, left alone", CONF_BACKUP_ONLY, { UNKNOWN }, NULL, { { 0 } }, ALL3(RELAXED),
	  { { 0 } }, 0, NULL, 0, false, { true, 0, 0 } },
	{ "backup_only: IPVS not loaded, real server", CONF_BACKUP_ONLY, { RS }, NULL, { L4, L6 }, ALL3(RAISED),
	  { BO(-ENOENT, 1, "set net.ipv4.vs.backup_only ? -> 1") }, 1, NULL, 0, false, { true, -ENOENT, -1 } },
	{ "backup_only: IPVS not loaded, none", CONF_BACKUP_ONLY, { NONE }, NULL, { { 0 } }, ALL3(RELAXED),
	  { { 0 } }, 0, NULL, 0, false, { true, -ENOENT, 0 } },
	{ "backup_only: the guard left the configuration", CONF_ONE, { RS }, NULL, { L4, L6 }, ALL3(RAISED),
	  { BO(1, 0, NULL) }, 1, NULL, 0, false, { true, 1, 0 } },
};
#pragma GCC diagnostic pop

/* ---- helpers ---- */

static void parse_addr(const char *s, struct lr_ip *ip, uint8_t *prefix)
{
	char buf[64];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	assert_non_null(slash);
	*slash = '\0';
	assert_int_equal(lr_ip_parse(buf, ip), 0);
	*prefix = (uint8_t)atoi(slash + 1);
}

static struct lr_config *parse_conf(const char *text)
{
	struct lr_config *cfg = NULL;
	char err[512] = "";

	if (lr_config_parse("plan.conf", text, strlen(text), &cfg, err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
	return cfg;
}

static void build_host(const struct plan_case *c, const struct lr_config *cfg, struct lr_host *host)
{
	size_t n_sys = 0;

	memset(host, 0, sizeof(*host));
	host->addrs = calloc(MAX_ADDRS * 2, sizeof(*host->addrs));
	assert_non_null(host->addrs);
	for (size_t i = 0; i < MAX_ADDRS && c->addrs[i].ifname; i++) {
		struct lr_kaddr *a = &host->addrs[host->n_addrs++];

		snprintf(a->ifname, sizeof(a->ifname), "%s", c->addrs[i].ifname);
		a->ifindex = (int)i + 1;
		parse_addr(c->addrs[i].addr, &a->ip, &a->prefix);
		a->deprecated = c->addrs[i].deprecated;
		a->tentative = c->addrs[i].flags & TENTATIVE;
		a->dadfailed = c->addrs[i].flags & DADFAILED;
		a->has_secondaries = c->addrs[i].flags & HAS_SECONDARIES;
	}
	host->backup_only_read = c->bo.read;
	host->backup_only = c->bo.cur;
	host->backup_only_saved = c->bo.saved;
	if (c->guard) {
		static const char seen[] = "AESU";

		host->guard.seen = calloc(cfg->n_inst, sizeof(*host->guard.seen));
		assert_non_null(host->guard.seen);
		for (size_t i = 0; i < cfg->n_inst && c->guard[i]; i++)
			host->guard.seen[i] = (enum lr_guard_seen)(strchr(seen, c->guard[i]) - seen);
		host->guard.orphans = c->orphans;
		host->guard.table = c->table || c->orphans || strpbrk(c->guard, "ES");
	}
	while (n_sys < MAX_SYS && c->sys[n_sys].set)
		n_sys++;
	/* the table must describe every sysctl interface of the configuration */
	assert_int_equal(n_sys, cfg->n_sysctl_ifaces);
	host->sys = calloc(n_sys, sizeof(*host->sys));
	assert_non_null(host->sys);
	for (size_t i = 0; i < n_sys; i++) {
		memcpy(host->sys[i].cur, c->sys[i].cur, sizeof(host->sys[i].cur));
		memcpy(host->sys[i].saved, c->sys[i].saved, sizeof(host->sys[i].saved));
		if (c->sys[i].vmac)
			snprintf(host->sys[i].vmac, sizeof(host->sys[i].vmac), "%s", c->sys[i].vmac);
	}
}

static void print_plan(const struct lr_config *cfg, const struct lr_plan *p)
{
	char d[160];

	for (size_t i = 0; i < p->n; i++)
		print_message("  %zu: phase %d %s dep_step %d dep_phase %d\n", i, p->steps[i].phase,
			      lr_step_describe(cfg, &p->steps[i], d, sizeof(d)), p->steps[i].dep_step,
			      p->steps[i].dep_phase);
}

static void check_step(const struct lr_config *cfg, const struct lr_step *s, const struct want_step *w,
		       size_t i)
{
	char d[160];

	if (s->kind != w->kind || s->phase != w->phase || strcmp(s->ifname, w->ifname) != 0)
		fail_msg("step %zu: %s, phase %d on %s; want %s, phase %d on %s", i,
			 lr_step_kind_name(s->kind), s->phase, s->ifname, lr_step_kind_name(w->kind),
			 w->phase, w->ifname);
	if (w->kind == LR_STEP_SYSCTL) {
		if (s->key != w->key || s->before != w->before || s->after != w->after ||
		    s->first_change != w->first)
			fail_msg("step %zu: %s %d -> %d first %d; want %s %d -> %d first %d", i,
				 lr_sysctl_key_name(s->key), s->before, s->after, s->first_change,
				 lr_sysctl_key_name(w->key), w->before, w->after, w->first);
		assert_int_equal(s->inst, -1);
		assert_int_equal(s->vip, -1);
	} else if (w->kind == LR_STEP_BACKUP_ONLY) {
		if (s->before != w->before || s->after != w->after)
			fail_msg("step %zu: %s; want %d -> %d", i, lr_step_describe(cfg, s, d, sizeof(d)), w->before, w->after);
		assert_false(s->gate);
	} else if (w->kind == LR_STEP_GUARD) {
		if (s->inst != w->inst || s->guard_on != w->on)
			fail_msg("step %zu: %s; want instance %d %s", i, lr_step_describe(cfg, s, d, sizeof(d)),
				 w->inst, w->on ? "on" : "off");
		assert_false(s->gate); /* the VIPs move whatever the rules do */
	} else {
		struct lr_ip ip;
		uint8_t prefix;

		parse_addr(w->addr, &ip, &prefix);
		if (!lr_ip_equal(&s->ip, &ip) || s->prefix != prefix)
			fail_msg("step %zu: %s; want %s", i, lr_step_describe(cfg, s, d, sizeof(d)), w->addr);
		/* inst and vip point at the configured VIP */
		assert_in_range(s->inst, 0, (int)cfg->n_inst - 1);
		assert_in_range(s->vip, 0, (int)cfg->inst[s->inst].n_vips - 1);
		assert_true(lr_ip_equal(&cfg->inst[s->inst].vips[s->vip].ip, &ip));
		if (s->keep_secondaries != w->keep)
			fail_msg("step %zu: %s: keep_secondaries %d; want %d", i,
				 lr_step_describe(cfg, s, d, sizeof(d)), s->keep_secondaries, w->keep);
	}
	if (s->dep_step != w->dep_step || s->dep_phase != w->dep_phase)
		fail_msg("step %zu: dep_step %d dep_phase %d; want %d and %d", i, s->dep_step,
			 s->dep_phase, w->dep_step, w->dep_phase);
	if (w->desc)
		assert_string_equal(lr_step_describe(cfg, s, d, sizeof(d)), w->desc);
	assert_false(s->done);
	assert_false(s->skipped);
	assert_int_equal(s->err, 0);
}

/* What the executor does with a plan that fully succeeds (exec.c). */
static void apply_plan(const struct lr_config *cfg, const struct lr_plan *p, struct lr_host *host)
{
	for (size_t i = 0; i < p->n; i++) {
		const struct lr_step *s = &p->steps[i];
		size_t k;

		for (k = 0; s->kind != LR_STEP_SYSCTL && k < host->n_addrs; k++)
			if (!strcmp(host->addrs[k].ifname, s->ifname) && lr_ip_equal(&host->addrs[k].ip, &s->ip) &&
			    host->addrs[k].prefix == s->prefix)
				break;
		switch (s->kind) {
		case LR_STEP_SYSCTL:
			for (k = 0; strcmp(cfg->sysctl_ifaces[k], s->ifname) != 0; k++)
				;
			if (s->first_change && s->before >= 0 && host->sys[k].saved[s->key] < 0)
				host->sys[k].saved[s->key] = s->phase == LR_PHASE_RAISE ? s->before : s->after;
			host->sys[k].cur[s->key] = s->after;
			break;
		case LR_STEP_ADDR_ADD:
			assert_true(k == host->n_addrs);
			assert_true(host->n_addrs < MAX_ADDRS * 2);
			memset(&host->addrs[k], 0, sizeof(host->addrs[k]));
			snprintf(host->addrs[k].ifname, sizeof(host->addrs[k].ifname), "%s", s->ifname);
			host->addrs[k].ip = s->ip;
			host->addrs[k].prefix = s->prefix;
			host->addrs[k].deprecated = s->ip.family == AF_INET6;
			host->n_addrs++;
			break;
		case LR_STEP_ADDR_DEL:
			assert_true(k < host->n_addrs);
			host->addrs[k] = host->addrs[--host->n_addrs];
			break;
		case LR_STEP_ADDR_UPDATE:
			assert_true(k < host->n_addrs);
			host->addrs[k].deprecated = true;
			break;
		case LR_STEP_ANNOUNCE:
			break;
		case LR_STEP_BACKUP_ONLY:
			host->backup_only = s->after;
			break;
		case LR_STEP_GUARD:
			if (s->inst < 0)
				host->guard.orphans = 0;
			else
				host->guard.seen[s->inst] = s->guard_on ? LR_GUARD_EXACT : LR_GUARD_ABSENT;
			host->guard.table = s->guard_on || !s->guard_drop || host->guard.orphans;
			for (k = 0; k < cfg->n_inst; k++)
				host->guard.table |= host->guard.seen[k] != LR_GUARD_ABSENT;
			break;
		}
	}
}

static void test_plan_case(void **state)
{
	const struct plan_case *c = *state;
	struct lr_config *cfg = parse_conf(c->conf);
	bool announce[4] = { false };
	struct lr_host host;
	struct lr_plan plan, again;
	size_t n_want = 0;

	assert_true(cfg->n_inst <= ARRAY_SIZE(c->roles));
	for (size_t i = 0; c->announce && c->announce[i]; i++)
		announce[i] = c->announce[i] == '1';
	build_host(c, cfg, &host);
	while (n_want < MAX_STEPS && c->steps[n_want].phase)
		n_want++;

	assert_int_equal(lr_plan_compute(cfg, c->roles, c->announce ? announce : NULL, &host, &plan), 0);
	if (plan.n != n_want) {
		print_plan(cfg, &plan);
		fail_msg("%zu steps, want %zu", plan.n, n_want);
	}
	for (size_t i = 0; i < plan.n; i++) {
		/* phases never go backwards: the executor runs them in order */
		if (i > 0)
			assert_true(plan.steps[i].phase >= plan.steps[i - 1].phase);
		/* a step depends only on an earlier step */
		assert_true(plan.steps[i].dep_step < (int)i);
		check_step(cfg, &plan.steps[i], &c->steps[i], i);
	}
	assert_int_equal(lr_plan_changes(&plan), c->changes);

	/* once applied, the host needs nothing more */
	apply_plan(cfg, &plan, &host);
	assert_int_equal(lr_plan_compute(cfg, c->roles, NULL, &host, &again), 0);
	if (again.n) {
		print_plan(cfg, &again);
		fail_msg("%zu more steps after the plan was applied", again.n);
	}
	assert_int_equal(lr_plan_changes(&again), 0);
	lr_plan_free(&again);
	lr_plan_free(&plan);
	assert_null(plan.steps);
	assert_int_equal(plan.n, 0);
	free(host.addrs);
	free(host.sys);
	free(host.guard.seen);
	lr_config_free(cfg);
}

/* Only "all" gates the real-server adds (the kernel takes max(all, interface)); every removal
 * from the real-server device gates the director sysctls. */
static void test_gates(void **state)
{
	struct lr_config *cfg = parse_conf(CONF_ONE);
	struct lr_host_sysctl sys[3] = { { .cur = { 0, 0 }, .saved = { -1, -1 } }, { .cur = { 0, 0 }, .saved = { -1, -1 } },
					 { .cur = { 0, 0 }, .saved = { -1, -1 } } };
	struct lr_host host = { .sys = sys };
	enum lr_role rs = LR_ROLE_REAL_SERVER;
	struct lr_plan plan;
	size_t raises = 0;

	(void)state;
	assert_int_equal(cfg->n_sysctl_ifaces, 3);
	assert_int_equal(lr_plan_compute(cfg, &rs, NULL, &host, &plan), 0);
	for (size_t i = 0; i < plan.n; i++) {
		const struct lr_step *s = &plan.steps[i];

		if (s->phase != LR_PHASE_RAISE)
			continue;
		raises++;
		assert_int_equal(s->gate, strcmp(s->ifname, "all") == 0);
	}
	assert_int_equal(raises, 6);
	lr_plan_free(&plan);
	lr_config_free(cfg);
}

static void test_kind_names(void **state)
{
	assert_string_equal(lr_step_kind_name(LR_STEP_SYSCTL), "sysctl");
	assert_string_equal(lr_step_kind_name(LR_STEP_ADDR_ADD), "addr_add");
	assert_string_equal(lr_step_kind_name(LR_STEP_ADDR_DEL), "addr_del");
	assert_string_equal(lr_step_kind_name(LR_STEP_ADDR_UPDATE), "addr_deprecate");
	assert_string_equal(lr_step_kind_name(LR_STEP_ANNOUNCE), "announce");
	assert_string_equal(lr_step_kind_name(LR_STEP_GUARD), "fwmark");
	assert_string_equal(lr_step_kind_name(LR_STEP_BACKUP_ONLY), "backup_only");
}

/* Many VIPs: the step arrays grow, and every index stays right. */
static void test_many_vips(void **state)
{
	char *text = malloc(64 * 1024), *p;
	struct lr_config *cfg;
	enum lr_role roles[1] = { LR_ROLE_DIRECTOR };
	struct lr_host host = { 0 };
	struct lr_plan plan;
	struct lr_host_sysctl sys[3];

	assert_non_null(text);
	p = text + sprintf(text, "{\"instances\": {\"VI_1\": {\"nic\": \"eth0\", \"vips\": [");
	for (int i = 0; i < 200; i++)
		p += sprintf(p, "%s\"10.1.%d.%d/24\"", i ? ", " : "", i / 100, i % 100 + 1);
	sprintf(p, "]}}}");
	cfg = parse_conf(text);
	free(text);
	for (int i = 0; i < 3; i++)
		sys[i] = (struct lr_host_sysctl){ .cur = { 0, 0 }, .saved = { 0, 0 } };
	host.sys = sys;
	assert_int_equal(lr_plan_compute(cfg, roles, NULL, &host, &plan), 0);
	assert_int_equal(plan.n, 400);
	assert_int_equal(lr_plan_changes(&plan), 200);
	for (int i = 0; i < 200; i++) {
		assert_int_equal(plan.steps[2 * i].kind, LR_STEP_ADDR_ADD);
		assert_int_equal(plan.steps[2 * i].vip, i);
		assert_int_equal(plan.steps[2 * i + 1].kind, LR_STEP_ANNOUNCE);
		assert_int_equal(plan.steps[2 * i + 1].dep_step, 2 * i);
	}
	lr_plan_free(&plan);
	lr_config_free(cfg);
}

int main(void)
{
	static struct CMUnitTest cases[ARRAY_SIZE(plan_cases)];
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gates),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_many_vips),
	};
	int failed;

	for (size_t i = 0; i < ARRAY_SIZE(plan_cases); i++)
		cases[i] = (struct CMUnitTest){ .name = plan_cases[i].name, .test_func = test_plan_case,
						.initial_state = &plan_cases[i] };
	failed = cmocka_run_group_tests_name("plans", cases, NULL, NULL);
	failed += cmocka_run_group_tests_name("plan helpers", tests, NULL, NULL);
	return failed ? 1 : 0;
}
