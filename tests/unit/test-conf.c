/* Tests for lib/conf.c: every rejected lvsrole.conf with its line, path and reason, and the
 * values a good configuration resolves to (defaults, default sysctl interfaces, the dump). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof(*(a)))
#define NAME "t.conf"

/* One instance; body starts on line 4. */
#define INST(body) "{\n\"instances\": {\n\"VI_1\": {\n" body "}\n}\n}\n"
#define NICL "\"nic\": \"eth0\",\n"
#define VIPL "\"vips\": [\"10.0.0.50/24\"],\n"
#define VIPE "\"vips\": [\"10.0.0.50/24\"]\n"
/* One VIP on line 5. */
#define V(vip) INST(NICL "\"vips\": [\"" vip "\"]\n")
/* A NIC on line 4. */
#define N(nic) INST("\"nic\": " nic ",\n" VIPE)
/* Global settings starting on line 2, a good instance after them. */
#define TOP(body) \
	"{\n" body "\"instances\": {\"VI_1\": {\"nic\": \"eth0\", \"vips\": [\"10.0.0.50/24\"]}}\n}\n"
#define SYSCTL(body) TOP("\"arp_sysctl\": {\n" body "\n},\n")
#define ANNOUNCE(body) TOP("\"announce\": {\n" body "\n},\n")
#define ROLES(body) INST(NICL VIPL "\"roles\": {\n" body "\n}\n")

#define P0 "instances.VI_1.vips[0]"
#define D10 "0123456789"
#define D60 D10 D10 D10 D10 D10 D10
#define UNICAST "not a unicast address usable as a VIP"
#define IFNAME "not a valid interface name (1 to 15 characters, no '/', ':' or spaces)"
#define KNOWN_TOP "unknown key (known: state_dir, arp_sysctl, announce, instances, groups, webhooks, metrics_file, plugin)"
/* Webhook settings starting on line 3; one endpoint "x" whose settings start on line 4. */
#define WH(body) TOP("\"webhooks\": {\n" body "\n},\n")
#define EP(body) WH("\"endpoints\": {\"x\": {\n" body "\n}}")
#define URL "\"url\": \"https://hooks.example.com/lvsrole\",\n"
#define SECRET "\"secret_file\": \"/etc/lvsrole/x.secret\""
#define EPX "webhooks.endpoints.x"
#define KNOWN_INST "unknown key (known: nic, real_server_device, nic_vip_owner, vips, roles, ipvs)"
/* An "ipvs" section on line 6. */
#define IPVS(body) INST(NICL VIPL "\"ipvs\": " body "\n")
#define PORT_RULE "must be PROTOCOL/PORT: tcp, udp or sctp, and a port 1..65535"
#define KNOWN_SYSCTL "unknown key (known: interfaces, real_server, director)"
#define KNOWN_VALUES "unknown key (known: arp_ignore, arp_announce)"
#define KNOWN_ANNOUNCE "unknown key (known: count, interval_ms, op)"
#define KNOWN_ROLES "unknown key (known: MASTER, BACKUP, FAULT, STOP, DELETED)"
#define STATE_DIR "must be a normalised absolute path"

struct conf_case {
	const char *name;
	const char *text;
	size_t len;       /* 0: strlen(text) */
	int line;         /* 0: the text must parse */
	const char *path; /* the error names this path ("(top)" for the document) */
	const char *what; /* and contains this */
};

static struct conf_case conf_cases[] = {
	/* ---- JSON syntax ---- */
	{ "missing comma: the line of the next key",
	  INST("\"nic\": \"eth0\"\n" VIPE), 0, 5, "(top)",
	  "invalid JSON: object value separator ',' expected" },
	{ "unquoted value", INST("\"nic\": eth0,\n" VIPE), 0, 4, "(top)", "invalid JSON: unexpected character" },
	{ "two commas in an array",
	  INST(NICL "\"vips\": [\n\"10.0.0.50/24\",\n,\"10.0.0.60/24\"]\n"), 0, 7, "(top)",
	  "invalid JSON: unexpected character" },
	{ "unexpected end of file", "{\n\"instances\": {\n\"VI_1\": {\n", 0, 4, "(top)",
	  "invalid JSON: unexpected end of file" },
	{ "empty file", "", 0, 1, "(top)", "invalid JSON: unexpected end of file" },
	{ "unterminated string", "{\n\"state_dir\": \"/run\n", 0, 3, "(top)",
	  "invalid JSON: unexpected end of file" },
	{ "unterminated comment after the object", INST(VIPE) "/* no end\n", 0, 9, "(top)",
	  "invalid JSON: unexpected end of file" },
	{ "text after the object", V("10.0.0.50/24") "}\n", 0, 9, "(top)",
	  "invalid JSON: text after the top-level object" },
	{ "text after a trailing comment", V("10.0.0.50/24") "// done\n\n x\n", 0, 11, "(top)",
	  "invalid JSON: text after the top-level object" },
	{ "second object", "{}\n{}\n", 0, 2, "(top)", "invalid JSON: text after the top-level object" },
	{ "nesting too deep",
	  "{\n\"state_dir\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n}\n",
	  0, 2, "(top)", "invalid JSON: nesting too deep" },
	{ "NUL byte", "{\n\"instances\": {}\n\0}\n", 21, 3, "(top)", "NUL byte in file" },
	{ "NUL byte inside a string", "{\"state_dir\": \"/run\0/x\"}", 24, 1, "(top)", "NUL byte in file" },

	/* ---- duplicate keys: json-c would keep the last one silently ---- */
	{ "duplicate nic", INST(NICL "\"nic\": \"eth1\",\n" VIPE), 0, 5, "instances.VI_1.nic",
	  "key given twice" },
	{ "duplicate nic, escaped", INST(NICL "\"\\u006eic\": \"eth1\",\n" VIPE), 0, 5,
	  "instances.VI_1.nic", "key given twice" },
	{ "duplicate top-level key",
	  "{\n\"announce\": {},\n\"instances\": {\"VI_1\": {\"nic\": \"eth0\", \"vips\": [\"10.0.0.50/24\"]}},\n"
	  "\"announce\": {\"count\": 1}\n}\n",
	  0, 4, "announce", "key given twice" },
	{ "duplicate instance", "{\"instances\": {\n\"VI_1\": {},\n\"VI_1\": {}\n}}", 0, 3,
	  "instances.VI_1", "key given twice" },
	{ "duplicate role", ROLES("\"MASTER\": \"director\",\n\"MASTER\": \"none\""), 0, 8,
	  "instances.VI_1.roles.MASTER", "key given twice" },
	{ "duplicate sysctl value", SYSCTL("\"real_server\": {\"arp_ignore\": 1,\n\"arp_ignore\": 2}"),
	  0, 4, "arp_sysctl.real_server.arp_ignore", "key given twice" },

	/* ---- unknown keys, at every level ---- */
	{ "unknown top-level key", TOP("\"colour\": \"blue\",\n"), 0, 2, "colour",
	  KNOWN_TOP ": \"colour\"" },
	{ "unknown arp_sysctl key", SYSCTL("\"iface\": [\"eth0\"]"), 0, 3, "arp_sysctl.iface",
	  KNOWN_SYSCTL ": \"iface\"" },
	{ "unknown real_server key", SYSCTL("\"real_server\": {\n\"rp_filter\": 0}"), 0, 4,
	  "arp_sysctl.real_server.rp_filter", KNOWN_VALUES ": \"rp_filter\"" },
	{ "unknown director key", SYSCTL("\"director\": {\n\"arp_filter\": 0}"), 0, 4,
	  "arp_sysctl.director.arp_filter", KNOWN_VALUES ": \"arp_filter\"" },
	{ "unknown announce key", ANNOUNCE("\"repeat\": 3"), 0, 3, "announce.repeat",
	  KNOWN_ANNOUNCE ": \"repeat\"" },
	{ "unknown instance key", INST(NICL VIPL "\"vip\": \"10.0.0.50/24\"\n"), 0, 6,
	  "instances.VI_1.vip", KNOWN_INST ": \"vip\"" },
	{ "unknown group key",
	  "{\"groups\": {\"G1\": {\"nic\": \"eth0\", \"vips\": [\"10.0.0.50/24\"],\n\"priority\": 100}}}",
	  0, 2, "groups.G1.priority", KNOWN_INST ": \"priority\"" },
	{ "unknown state in roles", ROLES("\"INIT\": \"none\""), 0, 7, "instances.VI_1.roles.INIT",
	  KNOWN_ROLES ": \"INIT\"" },
	{ "lower-case state in roles", ROLES("\"master\": \"director\""), 0, 7,
	  "instances.VI_1.roles.master", KNOWN_ROLES },
	{ "key that needs quoting", TOP("\"state.dir\": \"/run\",\n"), 0, 2, "[\"state.dir\"]",
	  KNOWN_TOP ": \"state.dir\"" },

	/* ---- wrong types ---- */
	{ "document is an array", "[]", 0, 1, "(top)", "expected object: \"[]\"" },
	{ "document is a string", "\n\"x\"", 0, 2, "(top)", "expected object" },
	{ "state_dir number", TOP("\"state_dir\": 5,\n"), 0, 2, "state_dir", "expected string: \"5\"" },
	{ "arp_sysctl array", TOP("\"arp_sysctl\": [],\n"), 0, 2, "arp_sysctl", "expected object" },
	{ "interfaces string", SYSCTL("\"interfaces\": \"eth0\""), 0, 3, "arp_sysctl.interfaces",
	  "expected array: \"\\x22eth0\\x22\"" },
	{ "interface number", SYSCTL("\"interfaces\": [\"all\",\n5]"), 0, 4,
	  "arp_sysctl.interfaces[1]", "expected string: \"5\"" },
	{ "real_server array", SYSCTL("\"real_server\": [1, 2]"), 0, 3, "arp_sysctl.real_server",
	  "expected object" },
	{ "arp_ignore string", SYSCTL("\"real_server\": {\"arp_ignore\": \"1\"}"), 0, 3,
	  "arp_sysctl.real_server.arp_ignore", "expected int" },
	{ "arp_ignore double", SYSCTL("\"real_server\": {\"arp_ignore\": 1.0}"), 0, 3,
	  "arp_sysctl.real_server.arp_ignore", "expected int: \"1.0\"" },
	{ "arp_announce boolean", SYSCTL("\"director\": {\"arp_ignore\": 0, \"arp_announce\": false}"),
	  0, 3, "arp_sysctl.director.arp_announce", "expected int: \"false\"" },
	{ "announce null", TOP("\"announce\": null,\n"), 0, 2, "announce", "expected object: \"null\"" },
	{ "count string", ANNOUNCE("\"count\": \"5\""), 0, 3, "announce.count", "expected int" },
	{ "op number", ANNOUNCE("\"op\": 1"), 0, 3, "announce.op", "expected string: \"1\"" },
	{ "instances array", "{\n\"instances\": []\n}\n", 0, 2, "instances", "expected object" },
	{ "groups string", "{\n\"groups\": \"G1\"\n}\n", 0, 2, "groups", "expected object" },
	{ "instance array", "{\n\"instances\": {\n\"VI_1\": [\"eth0\"]\n}\n}\n", 0, 3,
	  "instances.VI_1", "expected object" },
	{ "nic number", N("5"), 0, 4, "instances.VI_1.nic", "expected string: \"5\"" },
	{ "real_server_device null", INST(NICL VIPL "\"real_server_device\": null\n"), 0, 6,
	  "instances.VI_1.real_server_device", "expected string: \"null\"" },
	{ "owner boolean", INST(NICL VIPL "\"nic_vip_owner\": true\n"), 0, 6,
	  "instances.VI_1.nic_vip_owner", "expected string: \"true\"" },
	{ "vips string", INST(NICL "\"vips\": \"10.0.0.50/24\"\n"), 0, 5, "instances.VI_1.vips",
	  "expected array" },
	{ "vip number", INST(NICL "\"vips\": [\"10.0.0.50/24\",\n24]\n"), 0, 6,
	  "instances.VI_1.vips[1]", "expected string: \"24\"" },
	{ "vip object", INST(NICL "\"vips\": [{}]\n"), 0, 5, P0, "expected string: \"{}\"" },
	{ "roles string", INST(NICL VIPL "\"roles\": \"director\"\n"), 0, 6, "instances.VI_1.roles",
	  "expected object" },
	{ "role number", ROLES("\"MASTER\": 1"), 0, 7, "instances.VI_1.roles.MASTER",
	  "expected string: \"1\"" },

	/* ---- addresses ---- */
	{ "bad IPv4 address", V("10.0.0.500/24"), 0, 5, P0, "invalid address: \"10.0.0.500/24\"" },
	{ "three-part IPv4 address", V("10.0.50/24"), 0, 5, P0, "invalid address" },
	{ "bad IPv6 address", V("2001:db8::50::1/64"), 0, 5, P0, "invalid address" },
	{ "a name, not an address", V("eth0/24"), 0, 5, P0, "invalid address: \"eth0/24\"" },
	{ "no address", V("/24"), 0, 5, P0, "invalid address: \"/24\"" },
	{ "space before the slash", V("10.0.0.50 /24"), 0, 5, P0, "invalid address" },
	{ "empty string", V(""), 0, 5, P0, "missing prefix length" },
	{ "missing prefix", V("10.0.0.50"), 0, 5, P0, "missing prefix length (write ADDRESS/PREFIX" },
	{ "missing IPv6 prefix", V("2001:db8::50"), 0, 5, P0, "missing prefix length" },
	{ "empty prefix", V("10.0.0.50/"), 0, 5, P0, "invalid prefix length: \"10.0.0.50/\"" },
	{ "prefix 0", V("10.0.0.50/0"), 0, 5, P0, "prefix length must be 1..32: \"10.0.0.50/0\"" },
	{ "prefix 33", V("10.0.0.50/33"), 0, 5, P0, "prefix length must be 1..32: \"10.0.0.50/33\"" },
	{ "IPv6 prefix 0", V("2001:db8::50/0"), 0, 5, P0, "prefix length must be 1..128" },
	{ "IPv6 prefix 129", V("2001:db8::50/129"), 0, 5, P0, "prefix length must be 1..128" },
	{ "prefix with a leading zero", V("10.0.0.50/024"), 0, 5, P0,
	  "invalid prefix length: \"10.0.0.50/024\"" },
	{ "prefix 00", V("10.0.0.50/00"), 0, 5, P0, "invalid prefix length" },
	{ "prefix with a plus sign", V("10.0.0.50/+24"), 0, 5, P0, "invalid prefix length: \"10.0.0.50/+24\"" },
	{ "negative prefix", V("10.0.0.50/-1"), 0, 5, P0, "invalid prefix length" },
	{ "prefix after a space", V("10.0.0.50/ 24"), 0, 5, P0, "invalid prefix length" },
	{ "prefix with junk", V("10.0.0.50/24x"), 0, 5, P0, "prefix length must be 1..32" },
	{ "two prefixes", V("10.0.0.50/24/32"), 0, 5, P0, "prefix length must be 1..32" },
	{ "huge prefix", V("10.0.0.50/99999999999999999999999"), 0, 5, P0, "prefix length must be 1..32" },
	{ "unspecified", V("0.0.0.0/32"), 0, 5, P0, UNICAST ": \"0.0.0.0/32\"" },
	{ "this network", V("0.1.2.3/8"), 0, 5, P0, UNICAST },
	{ "loopback", V("127.0.0.1/32"), 0, 5, P0, UNICAST ": \"127.0.0.1/32\"" },
	{ "multicast", V("224.0.0.1/32"), 0, 5, P0, UNICAST ": \"224.0.0.1/32\"" },
	{ "class E", V("240.0.0.1/32"), 0, 5, P0, UNICAST },
	{ "broadcast", V("255.255.255.255/32"), 0, 5, P0, UNICAST },
	{ "IPv6 unspecified", V("::/128"), 0, 5, P0, UNICAST },
	{ "IPv6 loopback", V("::1/128"), 0, 5, P0, UNICAST ": \"::1/128\"" },
	{ "IPv6 multicast", V("ff02::1/128"), 0, 5, P0, UNICAST ": \"ff02::1/128\"" },
	{ "IPv6 link-local", V("fe80::1/64"), 0, 5, P0, UNICAST ": \"fe80::1/64\"" },
	{ "IPv4-mapped", V("::ffff:10.0.0.1/128"), 0, 5, P0, UNICAST ": \"::ffff:10.0.0.1/128\"" },
	{ "IPv4-compatible", V("::10.0.0.1/128"), 0, 5, P0, UNICAST },
	{ "highest unicast IPv4", V("223.255.255.254/32"), 0, 0, NULL, NULL },
	{ "IPv6 /128", V("2001:db8::50/128"), 0, 0, NULL, NULL },
	{ "IPv4 /1", V("10.0.0.50/1"), 0, 0, NULL, NULL },

	/* ---- VIP lists ---- */
	{ "empty vips", INST(NICL "\"vips\": []\n"), 0, 5, "instances.VI_1.vips",
	  "must list 1 to 4096 VIPs" },
	{ "VIP twice in one instance",
	  INST(NICL "\"vips\": [\n\"10.0.0.50/24\",\n\"10.0.0.60/24\",\n\"10.0.0.50/24\"\n]\n"), 0, 8,
	  "instances.VI_1.vips[2]", "VIP listed twice (also in VI_1): \"10.0.0.50/24\"" },
	{ "VIP twice with another prefix",
	  INST(NICL "\"vips\": [\n\"10.0.0.50/24\",\n\"10.0.0.50/32\"\n]\n"), 0, 7,
	  "instances.VI_1.vips[1]", "VIP listed twice (also in VI_1): \"10.0.0.50/32\"" },
	{ "IPv6 VIP twice, written differently",
	  INST(NICL "\"vips\": [\n\"2001:db8::50/64\",\n\"2001:DB8:0:0::50/64\"\n]\n"), 0, 7,
	  "instances.VI_1.vips[1]", "VIP listed twice (also in VI_1): \"2001:db8::50/64\"" },
	{ "VIP in two instances",
	  "{\n\"instances\": {\n"
	  "\"VI_1\": {\"nic\": \"eth0\", \"vips\": [\"10.0.0.50/24\"]},\n"
	  "\"VI_2\": {\"nic\": \"eth0\", \"vips\": [\"10.0.0.60/24\",\n\"10.0.0.50/32\"]}\n"
	  "}\n}\n",
	  0, 5, "instances.VI_2.vips[1]", "VIP listed twice (also in VI_1): \"10.0.0.50/32\"" },
	{ "VIP in an instance and a group",
	  "{\n\"instances\": {\"VI_1\": {\"nic\": \"eth0\", \"vips\": [\"2001:db8::50/64\"]}},\n"
	  "\"groups\": {\n\"G1\": {\"nic\": \"eth1\",\n\"vips\": [\"2001:db8::50/128\"]}\n}\n}\n",
	  0, 5, "groups.G1.vips[0]", "VIP listed twice (also in VI_1): \"2001:db8::50/128\"" },
	{ "same address, both families distinct",
	  INST(NICL "\"vips\": [\"10.0.0.50/24\", \"a00:32::/64\"]\n"),
	  0, 0, NULL, NULL },

	/* ---- interface names ---- */
	{ "empty nic", N("\"\""), 0, 4, "instances.VI_1.nic", IFNAME },
	{ "nic of 16 characters", N("\"abcdefghijklmnop\""), 0, 4, "instances.VI_1.nic",
	  IFNAME ": \"abcdefghijklmnop\"" },
	{ "nic with a slash", N("\"a/b\""), 0, 4, "instances.VI_1.nic", IFNAME },
	{ "nic with a colon", N("\"eth0:1\""), 0, 4, "instances.VI_1.nic", IFNAME },
	{ "nic with a space", N("\"a b\""), 0, 4, "instances.VI_1.nic", IFNAME },
	{ "nic with a tab", N("\"a\\tb\""), 0, 4, "instances.VI_1.nic", ": \"a\\x09b\"" },
	{ "nic \".\"", N("\".\""), 0, 4, "instances.VI_1.nic", IFNAME },
	{ "nic \"all\"", N("\"all\""), 0, 4, "instances.VI_1.nic",
	  "not a device (\"all\" and \"default\" only name sysctl sets): \"all\"" },
	{ "nic \"default\"", N("\"default\""), 0, 4, "instances.VI_1.nic", "not a device" },
	{ "real-server device \"all\"", INST(NICL VIPL "\"real_server_device\": \"all\"\n"), 0, 6,
	  "instances.VI_1.real_server_device", "not a device" },
	{ "real-server device too long", INST(NICL VIPL "\"real_server_device\": \"tunl0123456789ab\"\n"),
	  0, 6, "instances.VI_1.real_server_device", IFNAME },
	{ "nic of 15 characters", N("\"abcdefghijklmno\""), 0, 0, NULL, NULL },
	{ "real-server device equal to the nic",
	  INST(NICL VIPL "\"real_server_device\": \"eth0\"\n"), 0, 6,
	  "instances.VI_1.real_server_device",
	  "the real-server device must differ from the NIC: \"eth0\"" },
	{ "nic lo with the default real-server device", N("\"lo\""), 0, 3,
	  "instances.VI_1.real_server_device", "must differ from the NIC: \"lo\"" },
	{ "sysctl interface of 16 characters", SYSCTL("\"interfaces\": [\"abcdefghijklmnop\"]"), 0, 3,
	  "arp_sysctl.interfaces[0]", "not a valid interface name: \"abcdefghijklmnop\"" },
	{ "empty sysctl interface", SYSCTL("\"interfaces\": [\"all\", \"\"]"), 0, 3,
	  "arp_sysctl.interfaces[1]", "not a valid interface name" },
	{ "sysctl interface with a colon", SYSCTL("\"interfaces\": [\"eth0:1\"]"), 0, 3,
	  "arp_sysctl.interfaces[0]", "not a valid interface name" },
	{ "sysctl interfaces without all", SYSCTL("\"interfaces\": [\"lo\", \"eth0\"]"), 0, 3,
	  "arp_sysctl.interfaces", "must include \"all\"" },
	{ "sysctl interface listed twice", SYSCTL("\"interfaces\": [\"all\",\n\"eth0\",\n\"eth0\"]"), 0, 5,
	  "arp_sysctl.interfaces[2]", "listed twice: \"eth0\"" },
	{ "no sysctl interfaces", SYSCTL("\"interfaces\": []"), 0, 3, "arp_sysctl.interfaces",
	  "must list 1 to 64 interfaces" },
	{ "sysctl interfaces all and default", SYSCTL("\"interfaces\": [\"all\", \"default\"]"), 0, 0,
	  NULL, NULL },

	/* ---- instances and groups ---- */
	{ "missing nic", INST(VIPE), 0, 3, "instances.VI_1", "missing \"nic\"" },
	{ "missing vips", INST("\"nic\": \"eth0\"\n"), 0, 3, "instances.VI_1", "missing \"vips\"" },
	{ "empty instance", "{\n\"groups\": {\n\"G1\": {}\n}\n}\n", 0, 3, "groups.G1", "missing \"nic\"" },
	{ "name in instances and groups",
	  "{\n\"instances\": {\"VI_1\": {\"nic\": \"eth0\", \"vips\": [\"10.0.0.50/24\"]}},\n"
	  "\"groups\": {\n\"VI_1\": {\"nic\": \"eth0\", \"vips\": [\"10.0.0.60/24\"]}\n}\n}\n",
	  0, 4, "groups.VI_1", "name used twice (instance and group names share one namespace): \"VI_1\"" },
	{ "no instances", "{\n\"instances\": {}\n}\n", 0, 1, "(top)",
	  "no \"instances\" or \"groups\" configured" },
	{ "empty object", "{}", 0, 1, "(top)", "no \"instances\" or \"groups\" configured" },
	{ "name with a leading space", "{\"instances\": {\n\" VI_1\": {}}}", 0, 2,
	  "instances[\" VI_1\"]", "invalid name" },
	{ "name with a quote", "{\"instances\": {\n\"VI\\\"1\": {}}}", 0, 2, "instances[\"VI\"1\"]",
	  "invalid name (1 to 64 printable characters" },
	{ "empty name", "{\"instances\": {\n\"\": {}}}", 0, 2, "instances[\"\"]", "invalid name" },
	{ "name of 65 characters", "{\"instances\": {\n\"" D60 "12345\": {}}}", 0, 2,
	  "instances." D60 "12345", "invalid name" },
	{ "name of 64 characters",
	  "{\"instances\": {\"" D60 "1234\": {\"nic\": \"eth0\", \"vips\": [\"10.0.0.1/8\"]}}}", 0, 0,
	  NULL, NULL },
	{ "name that needs quoting in paths",
	  "{\n\"instances\": {\n\"web.vip 1\": {\n\"nic\": \"eth0\",\n"
	  "\"vips\": [\"10.0.0.50/24\",\n\"10.0.0.256/24\"]}}}",
	  0, 6, "instances[\"web.vip 1\"].vips[1]", "invalid address" },
	{ "group only", "{\"groups\": {\"G1\": {\"nic\": \"eth0\", \"vips\": [\"10.0.0.50/24\"]}}}", 0, 0,
	  NULL, NULL },

	/* ---- roles and owner ---- */
	{ "role in capitals", ROLES("\"MASTER\": \"DIRECTOR\""), 0, 7, "instances.VI_1.roles.MASTER",
	  "must be \"director\", \"real-server\" or \"none\": \"DIRECTOR\"" },
	{ "role \"unknown\"", ROLES("\"BACKUP\": \"unknown\""), 0, 7, "instances.VI_1.roles.BACKUP",
	  "must be \"director\"" },
	{ "role real_server", ROLES("\"FAULT\": \"real_server\""), 0, 7, "instances.VI_1.roles.FAULT",
	  "must be \"director\"" },
	{ "empty role", ROLES("\"DELETED\": \"\""), 0, 7, "instances.VI_1.roles.DELETED",
	  "must be \"director\"" },
	{ "bad owner", INST(NICL VIPL "\"nic_vip_owner\": \"root\"\n"), 0, 6,
	  "instances.VI_1.nic_vip_owner", "must be \"lvsrole\" or \"keepalived\": \"root\"" },
	{ "owner in capitals", INST(NICL VIPL "\"nic_vip_owner\": \"Keepalived\"\n"), 0, 6,
	  "instances.VI_1.nic_vip_owner", "must be \"lvsrole\" or \"keepalived\"" },

	/* ---- announce ---- */
	{ "count -1", ANNOUNCE("\"count\": -1"), 0, 3, "announce.count", "out of range 0..100: \"-1\"" },
	{ "count 101", ANNOUNCE("\"count\": 101"), 0, 3, "announce.count", "out of range 0..100: \"101\"" },
	{ "count beyond int64", ANNOUNCE("\"count\": 99999999999999999999"), 0, 3, "announce.count",
	  "out of range 0..100" },
	{ "interval 9", ANNOUNCE("\"interval_ms\": 9"), 0, 3, "announce.interval_ms",
	  "out of range 10..60000: \"9\"" },
	{ "interval 60001", ANNOUNCE("\"interval_ms\": 60001"), 0, 3, "announce.interval_ms",
	  "out of range 10..60000" },
	{ "interval 2^32 + 10", ANNOUNCE("\"interval_ms\": 4294967306"), 0, 3, "announce.interval_ms",
	  "out of range 10..60000" },
	{ "op gratuitous", ANNOUNCE("\"count\": 1,\n\"op\": \"gratuitous\""), 0, 4, "announce.op",
	  "must be \"request\", \"reply\" or \"both\": \"gratuitous\"" },
	{ "op in capitals", ANNOUNCE("\"op\": \"REPLY\""), 0, 3, "announce.op", "must be \"request\"" },
	{ "announce limits", ANNOUNCE("\"count\": 100, \"interval_ms\": 10, \"op\": \"reply\""), 0, 0,
	  NULL, NULL },
	{ "announce count 0", ANNOUNCE("\"count\": 0, \"interval_ms\": 60000"), 0, 0, NULL, NULL },

	/* ---- arp_sysctl values ---- */
	{ "real-server arp_ignore 0", SYSCTL("\"real_server\": {\n\"arp_ignore\": 0}"), 0, 4,
	  "arp_sysctl.real_server.arp_ignore",
	  "a real server must not answer ARP for the VIP yet must answer for its own addresses: use 1 or 2" },
	{ "real-server arp_ignore 3", SYSCTL("\"real_server\": {\"arp_ignore\": 3}"), 0, 3,
	  "arp_sysctl.real_server.arp_ignore", "written to \"all\"): \"3\"" },
	/* 8 answers nothing: written to "all", it would take the host off the network */
	{ "real-server arp_ignore 8", SYSCTL("\"real_server\": {\"arp_ignore\": 8}"), 0, 3,
	  "arp_sysctl.real_server.arp_ignore", "use 1 or 2 (8 answers nothing" },
	{ "real-server arp_ignore 2", SYSCTL("\"real_server\": {\"arp_ignore\": 2}"), 0, 0, NULL, NULL },
	{ "real-server arp_ignore 9", SYSCTL("\"real_server\": {\"arp_ignore\": 9}"), 0, 3,
	  "arp_sysctl.real_server.arp_ignore", "out of range 0..8: \"9\"" },
	{ "real-server arp_ignore -1", SYSCTL("\"real_server\": {\"arp_ignore\": -1}"), 0, 3,
	  "arp_sysctl.real_server.arp_ignore", "out of range 0..8" },
	{ "real-server arp_announce 0", SYSCTL("\"real_server\": {\n\"arp_announce\": 0}"), 0, 4,
	  "arp_sysctl.real_server.arp_announce", "a real server must never use the VIP as ARP sender: use 2: \"0\"" },
	{ "real-server arp_announce 3", SYSCTL("\"real_server\": {\"arp_announce\": 3}"), 0, 3,
	  "arp_sysctl.real_server.arp_announce", "out of range 0..2: \"3\"" },
	{ "director arp_ignore only", SYSCTL("\"director\": {\"arp_ignore\": 0}"), 0, 3,
	  "arp_sysctl.director", "give both arp_ignore and arp_announce, or neither" },
	{ "director arp_announce only", SYSCTL("\"real_server\": {},\n\"director\": {\"arp_announce\": 0}"),
	  0, 4, "arp_sysctl.director", "give both arp_ignore and arp_announce, or neither" },
	{ "director arp_ignore 9", SYSCTL("\"director\": {\"arp_ignore\": 9, \"arp_announce\": 0}"), 0, 3,
	  "arp_sysctl.director.arp_ignore", "out of range 0..8" },
	{ "director empty", SYSCTL("\"director\": {}"), 0, 0, NULL, NULL },
	{ "real-server 2 and 2", SYSCTL("\"real_server\": {\"arp_ignore\": 2, \"arp_announce\": 2}"), 0,
	  0, NULL, NULL },
	{ "real-server arp_announce 1", SYSCTL("\"real_server\": {\"arp_announce\": 1}"), 0, 3,
	  "arp_sysctl.real_server.arp_announce", "must never use the VIP as ARP sender: use 2: \"1\"" },
	{ "director arp_ignore 8", SYSCTL("\"director\": {\"arp_ignore\": 8, \"arp_announce\": 0}"), 0, 3,
	  "arp_sysctl.director.arp_ignore", "a director must answer ARP for its VIP: use 0 to 3: \"8\"" },

	/* ---- state_dir ---- */
	{ "relative state_dir", TOP("\"state_dir\": \"run/lvsrole\",\n"), 0, 2, "state_dir",
	  STATE_DIR " of at most 200 printable characters: \"run/lvsrole\"" },
	{ "empty state_dir", TOP("\"state_dir\": \"\",\n"), 0, 2, "state_dir", STATE_DIR },
	{ "state_dir with ..", TOP("\"state_dir\": \"/run/../etc\",\n"), 0, 2, "state_dir", STATE_DIR },
	{ "state_dir ending in ..", TOP("\"state_dir\": \"/run/lvsrole/..\",\n"), 0, 2, "state_dir",
	  STATE_DIR },
	{ "state_dir ending in .", TOP("\"state_dir\": \"/run/lvsrole/.\",\n"), 0, 2, "state_dir",
	  STATE_DIR },
	{ "state_dir with .", TOP("\"state_dir\": \"/run/./lvsrole\",\n"), 0, 2, "state_dir", STATE_DIR },
	{ "state_dir with //", TOP("\"state_dir\": \"/run//lvsrole\",\n"), 0, 2, "state_dir", STATE_DIR },
	{ "state_dir with a newline", TOP("\"state_dir\": \"/run/lvs\\nrole\",\n"), 0, 2, "state_dir",
	  STATE_DIR " of at most 200 printable characters: \"/run/lvs\\x0arole\"" },
	{ "state_dir of 201 characters", TOP("\"state_dir\": \"/" D60 D60 D60 D10 D10 "\",\n"), 0, 2,
	  "state_dir", "characters: \"/" D60 D10 D10 "01...\"" },
	{ "state_dir of 200 characters", TOP("\"state_dir\": \"/" D60 D60 D60 D10 "012345678\",\n"), 0, 0,
	  NULL, NULL },
	{ "state_dir with dots in names", TOP("\"state_dir\": \"/run/..lvsrole./.x\",\n"), 0, 0, NULL, NULL },

	/* ---- comments ---- */
	{ "line comments",
	  "// lvsrole.conf\n{\n\"instances\": { // one instance\n\"VI_1\": {\"nic\": \"eth0\", // the NIC\n"
	  "\"vips\": [\"10.0.0.50/24\" // the VIP\n]}}\n}\n// end\n",
	  0, 0, NULL, NULL },
	{ "block comments",
	  "/* lvsrole.conf */ {\n/* a \"quote\" and { a brace\n */ \"instances\" /* x */ : /* y */ {\n"
	  "\"VI_1\": {\"nic\": \"eth0\", \"vips\": [/* first */ \"10.0.0.50/24\"]}}}/* end */\n",
	  0, 0, NULL, NULL },
	{ "line after block comments",
	  "{\n/* one\n * \"two\" {\n * [three\n */\n\"instances\": {\"VI_1\": {\"nic\": \"eth0\",\n"
	  "// \"vips\": [\"10.0.0.50/24\"]\n\"vips\": [\"10.0.0.50/33\"]}}}\n",
	  0, 8, P0, "prefix length must be 1..32" },
	/* ---- webhooks ---- */
	{ "webhooks: a good endpoint", EP(URL SECRET), 0, 0, NULL, NULL },
	{ "webhooks: every endpoint setting",
	  EP(URL SECRET ",\n\"format\": \"cloudevents\", \"previous_secret_file\": \"/etc/lvsrole/x.old\",\n"
	     "\"bearer_token_file\": \"/etc/lvsrole/x.token\", \"headers\": {\"X-Team\": \"net ops\"},\n"
	     "\"connect_timeout_ms\": 1000, \"timeout_ms\": 3000, \"ca_file\": \"/etc/ssl/ca.pem\",\n"
	     "\"client_cert\": \"/etc/lvsrole/c.pem\", \"client_key\": \"/etc/lvsrole/c.key\",\n"
	     "\"proxy\": \"http://proxy.example.com:3128\", \"filter\": {\"instances\": [\"VI_1\"], \"results\": [\"failed\", \"partial\"]},\n"
	     "\"max_events\": 100, \"max_bytes\": 1048576, \"max_age_s\": 3600"), 0, 0, NULL, NULL },
	{ "webhooks: unknown key", WH("\"endpoint\": {}"), 0, 3, "webhooks.endpoint",
	  "unknown key (known: spool_dir, delivery_deadline_ms, retry_base_ms, retry_max_ms, endpoints)" },
	{ "webhooks: unknown endpoint key", EP(URL SECRET ",\n\"retries\": 3"), 0, 6, EPX ".retries",
	  "unknown key (known: url, format," },
	{ "webhooks: missing url", EP(SECRET), 0, 3, EPX, "missing \"url\"" },
	{ "webhooks: missing secret", EP("\"url\": \"https://h.example.com/\""), 0, 3, EPX,
	  "missing \"secret_file\" (every report is signed)" },
	{ "webhooks: plain http refused", EP("\"url\": \"http://h.example.com/\",\n" SECRET), 0, 4,
	  EPX ".url", "plain http sends reports unencrypted: use https, or set \"allow_http\": true" },
	{ "webhooks: plain http allowed", EP("\"url\": \"http://h.example.com/\", \"allow_http\": true,\n" SECRET),
	  0, 0, NULL, NULL },
	{ "webhooks: other scheme", EP("\"url\": \"ftp://h.example.com/\",\n" SECRET), 0, 4, EPX ".url",
	  "scheme must be one of https,http" },
	{ "webhooks: not a URL", EP("\"url\": \"hooks\",\n" SECRET), 0, 4, EPX ".url", "not a valid URL" },
	{ "webhooks: credentials in the URL", EP("\"url\": \"https://u:p@h.example.com/\",\n" SECRET), 0, 4,
	  EPX ".url", "credentials in a URL end up in logs" },
	{ "webhooks: relative secret path", EP(URL "\"secret_file\": \"x.secret\""), 0, 5, EPX ".secret_file",
	  "must be a normalised absolute path" },
	{ "webhooks: bad format", EP(URL SECRET ",\n\"format\": \"teams\""), 0, 6, EPX ".format",
	  "must be \"standard\", \"cloudevents\" or \"slack\": \"teams\"" },
	{ "webhooks: reserved header", EP(URL SECRET ",\n\"headers\": {\"Authorization\": \"x\"}"), 0, 6,
	  EPX ".headers.Authorization", "set by lvsrole itself (use bearer_token_file)" },
	{ "webhooks: signature header", EP(URL SECRET ",\n\"headers\": {\"webhook-signature\": \"x\"}"), 0, 6,
	  EPX ".headers.webhook-signature", "set by lvsrole itself" },
	{ "webhooks: bad header name", EP(URL SECRET ",\n\"headers\": {\"X Team\": \"x\"}"), 0, 6,
	  EPX ".headers[\"X Team\"]", "not a header name" },
	{ "webhooks: header value with a newline", EP(URL SECRET ",\n\"headers\": {\"X-A\": \"a\\r\\nB: c\"}"), 0, 6,
	  EPX ".headers.X-A", "1 to 1024 printable characters" },
	{ "webhooks: timeout too short", EP(URL SECRET ",\n\"timeout_ms\": 10"), 0, 6, EPX ".timeout_ms",
	  "out of range 100..300000" },
	{ "webhooks: connect timeout over the total", EP(URL SECRET ",\n\"connect_timeout_ms\": 9000"), 0, 6,
	  EPX ".connect_timeout_ms", "longer than timeout_ms (5000)" },
	{ "webhooks: cert without key", EP(URL SECRET ",\n\"client_cert\": \"/etc/c.pem\""), 0, 3, EPX,
	  "give both \"client_cert\" and \"client_key\", or neither" },
	{ "webhooks: proxy and env proxy", EP(URL SECRET ",\n\"proxy\": \"http://p.example.com:3128\", \"use_env_proxy\": true"),
	  0, 3, EPX, "give \"proxy\" or \"use_env_proxy\", not both" },
	{ "webhooks: filter on an unknown instance", EP(URL SECRET ",\n\"filter\": {\"instances\": [\"VI_9\"]}"), 0, 6,
	  EPX ".filter.instances[0]", "no such instance or group in this file: \"VI_9\"" },
	{ "webhooks: filter on an unknown result", EP(URL SECRET ",\n\"filter\": {\"results\": [\"error\"]}"), 0, 6,
	  EPX ".filter.results[0]", "must be \"ok\", \"partial\", \"failed\", \"noop\", \"superseded\" or \"detected\"" },
	{ "webhooks: bad endpoint name", WH("\"endpoints\": {\"ops/1\": {}}"), 0, 3,
	  "webhooks.endpoints[\"ops/1\"]", "invalid endpoint name" },
	{ "webhooks: max_bytes too small", EP(URL SECRET ",\n\"max_bytes\": 1000"), 0, 6, EPX ".max_bytes",
	  "out of range 65536.." },
	{ "webhooks: deadline too long", WH("\"delivery_deadline_ms\": 600000"), 0, 3,
	  "webhooks.delivery_deadline_ms", "out of range 0..60000" },
	{ "webhooks: retry base over max", WH("\"retry_base_ms\": 5000, \"retry_max_ms\": 1000"), 0, 3,
	  "webhooks.retry_base_ms", "larger than retry_max_ms (1000)" },
	/* ---- plugin ---- */
	{ "plugin: every key", TOP("\"plugin\": {\"drift\": \"report\", \"drift_check_ms\": 100,\n"
	  "\"announce_refresh_s\": 30, \"conflict_detection\": false, \"conflict_probe_ms\": 2000,\n"
	  "\"metrics_file\": \"/var/lib/node_exporter/lvsrole.prom\"},\n"), 0, 0, NULL, NULL },
	{ "plugin: unknown drift mode", TOP("\"plugin\": {\"drift\": \"fix\"},\n"), 0, 2, "plugin.drift",
	  "must be \"repair\", \"report\" or \"off\": \"fix\"" },
	{ "plugin: drift check too often", TOP("\"plugin\": {\"drift_check_ms\": 99},\n"), 0, 2,
	  "plugin.drift_check_ms", "out of range 100..60000" },
	{ "plugin: probe too long", TOP("\"plugin\": {\"conflict_probe_ms\": 2001},\n"), 0, 2,
	  "plugin.conflict_probe_ms", "out of range 50..2000" },
	{ "plugin: refresh negative", TOP("\"plugin\": {\"announce_refresh_s\": -1},\n"), 0, 2,
	  "plugin.announce_refresh_s", "out of range 0..86400" },
	{ "plugin: relative metrics file", TOP("\"plugin\": {\"metrics_file\": \"m.prom\"},\n"), 0, 2,
	  "plugin.metrics_file", "normalised absolute path" },
	{ "plugin: unknown key", TOP("\"plugin\": {\"fifo\": \"/run/x\"},\n"), 0, 2, "plugin.fifo",
	  "unknown key" },
	{ "metrics_file at the top", TOP("\"metrics_file\": \"/var/lib/node_exporter/lvsrole.prom\",\n"), 0, 0, NULL,
	  NULL },
	{ "metrics_file relative", TOP("\"metrics_file\": \"lvsrole.prom\",\n"), 0, 2, "metrics_file",
	  "normalised absolute path" },
	{ "metrics_file and plugin.metrics_file", TOP("\"metrics_file\": \"/a.prom\",\n"
	  "\"plugin\": {\"metrics_file\": \"/a.prom\"},\n"), 0, 3, "plugin.metrics_file", "are one setting" },
	{ "comment-like text in a string",
	  "{\n\"state_dir\": \"/run/x/*\",\n"
	  "\"instances\": {\"VI_1\": {\"nic\": \"eth0\",\n\"vips\": [\"10.0.0.50\"]}}}",
	  0, 4, P0, "missing prefix length" },
	/* ---- the "ipvs" section (loop guards) ---- */
	{ "ipvs: fwmark guard with its mark and ports", IPVS("{\"fwmark\": 7, \"ports\": [\"tcp/80\", \"udp/53\", \"sctp/3868\"]}"), 0, 0, NULL, NULL },
	{ "ipvs: backup_only", IPVS("{\"loop_guard\": \"backup_only\"}"), 0, 0, NULL, NULL },
	{ "ipvs: none", IPVS("{\"loop_guard\": \"none\"}"), 0, 0, NULL, NULL },
	{ "ipvs: fwmark guard without its mark", IPVS("{}"), 0, 6, "instances.VI_1.ipvs",
	  "missing \"fwmark\": the loop guard \"fwmark\" marks" },
	{ "ipvs: unknown guard", IPVS("{\"loop_guard\": \"nat\"}"), 0, 6, "instances.VI_1.ipvs.loop_guard",
	  "must be \"none\", \"fwmark\" or \"backup_only\": \"nat\"" },
	{ "ipvs: mark 0", IPVS("{\"fwmark\": 0}"), 0, 6, "instances.VI_1.ipvs.fwmark", "out of range 1..4294967295" },
	{ "ipvs: mark over 32 bits", IPVS("{\"fwmark\": 4294967296}"), 0, 6, "instances.VI_1.ipvs.fwmark",
	  "out of range 1..4294967295" },
	{ "ipvs: mark a string", IPVS("{\"fwmark\": \"1\"}"), 0, 6, "instances.VI_1.ipvs.fwmark", "expected" },
	{ "ipvs: port 0", IPVS("{\"fwmark\": 1, \"ports\": [\"tcp/0\"]}"), 0, 6, "instances.VI_1.ipvs.ports[0]", PORT_RULE },
	{ "ipvs: port 65536", IPVS("{\"fwmark\": 1, \"ports\": [\"tcp/80\", \"tcp/65536\"]}"), 0, 6,
	  "instances.VI_1.ipvs.ports[1]", PORT_RULE },
	{ "ipvs: port with a leading zero", IPVS("{\"fwmark\": 1, \"ports\": [\"tcp/080\"]}"), 0, 6,
	  "instances.VI_1.ipvs.ports[0]", PORT_RULE },
	{ "ipvs: unknown protocol", IPVS("{\"fwmark\": 1, \"ports\": [\"icmp/1\"]}"), 0, 6,
	  "instances.VI_1.ipvs.ports[0]", PORT_RULE },
	{ "ipvs: no protocol", IPVS("{\"fwmark\": 1, \"ports\": [\"80\"]}"), 0, 6, "instances.VI_1.ipvs.ports[0]", PORT_RULE },
	{ "ipvs: port twice", IPVS("{\"fwmark\": 1, \"ports\": [\"udp/53\", \"udp/53\"]}"), 0, 6,
	  "instances.VI_1.ipvs.ports[1]", "listed twice" },
	{ "ipvs: no ports", IPVS("{\"fwmark\": 1, \"ports\": []}"), 0, 6, "instances.VI_1.ipvs.ports", "must list 1 to 64" },
	{ "ipvs: a mark for backup_only", IPVS("{\"loop_guard\": \"backup_only\", \"fwmark\": 1}"), 0, 6,
	  "instances.VI_1.ipvs.fwmark", "only for the loop guard \"fwmark\"" },
	{ "ipvs: ports without a guard", IPVS("{\"loop_guard\": \"none\", \"ports\": [\"tcp/80\"]}"), 0, 6,
	  "instances.VI_1.ipvs.ports", "only for the loop guard \"fwmark\"" },
	{ "ipvs: unknown key", IPVS("{\"fwmark\": 1, \"mark\": 2}"), 0, 6, "instances.VI_1.ipvs.mark",
	  "unknown key (known: loop_guard, fwmark, ports)" },
};

static void test_conf_case(void **state)
{
	const struct conf_case *c = *state;
	size_t len = c->len ? c->len : strlen(c->text);
	struct lr_config *cfg = NULL;
	char err[512] = "", head[256];
	int r;

	r = lr_config_parse(NAME, c->text, len, &cfg, err, sizeof(err));
	if (!c->line) {
		if (r != 0)
			fail_msg("expected success, got %d: %s", r, err);
		assert_non_null(cfg);
		assert_string_equal(cfg->path, NAME);
		lr_config_free(cfg);
		return;
	}
	if (r != -EINVAL) {
		lr_config_free(cfg);
		fail_msg("expected -EINVAL, got %d (%s)", r, err);
	}
	assert_null(cfg);
	snprintf(head, sizeof(head), NAME ":%d: %s: ", c->line, c->path);
	if (strncmp(err, head, strlen(head)) != 0)
		fail_msg("message \"%s\" does not start with \"%s\"", err, head);
	if (!strstr(err + strlen(head), c->what))
		fail_msg("message \"%s\" does not contain \"%s\"", err, c->what);
}

/* ---- resolved values ---- */

static struct lr_config *parse_ok(const char *text)
{
	struct lr_config *cfg = NULL;
	char err[512] = "";
	int r = lr_config_parse(NAME, text, strlen(text), &cfg, err, sizeof(err));

	if (r != 0)
		fail_msg("parse failed (%d): %s", r, err);
	assert_non_null(cfg);
	return cfg;
}

static void assert_vip(const struct lr_vip *vip, const char *want)
{
	char s[64];

	lr_vip_str(vip, s, sizeof(s));
	assert_string_equal(s, want);
}

static void test_defaults(void **state)
{
	struct lr_config *cfg = parse_ok(V("10.0.0.50/24"));
	const struct lr_instance *in = &cfg->inst[0];

	assert_string_equal(cfg->path, NAME);
	assert_string_equal(cfg->state_dir, "/run/lvsrole");
	assert_int_equal(cfg->rs_values[LR_ARP_IGNORE], 1);
	assert_int_equal(cfg->rs_values[LR_ARP_ANNOUNCE], 2);
	assert_int_equal(cfg->dir_values[LR_ARP_IGNORE], -1);
	assert_int_equal(cfg->dir_values[LR_ARP_ANNOUNCE], -1);
	assert_int_equal(cfg->announce_count, 5);
	assert_int_equal(cfg->announce_interval_ms, 1000);
	assert_int_equal(cfg->announce_op, LR_ARP_REQUEST);
	assert_true(cfg->sysctl_ifaces_default);
	assert_int_equal(cfg->n_sysctl_ifaces, 3);
	assert_string_equal(cfg->sysctl_ifaces[0], "all");
	assert_string_equal(cfg->sysctl_ifaces[1], "lo");
	assert_string_equal(cfg->sysctl_ifaces[2], "eth0");
	assert_int_equal(cfg->n_inst, 1);
	assert_string_equal(in->name, "VI_1");
	assert_int_equal(in->scope, LR_SCOPE_INSTANCE);
	assert_string_equal(in->nic, "eth0");
	assert_string_equal(in->rs_dev, "lo");
	assert_int_equal(in->owner, LR_OWNER_LVSROLE);
	assert_int_equal(in->roles[LR_KSTATE_MASTER], LR_ROLE_DIRECTOR);
	assert_int_equal(in->roles[LR_KSTATE_BACKUP], LR_ROLE_REAL_SERVER);
	assert_int_equal(in->roles[LR_KSTATE_FAULT], LR_ROLE_REAL_SERVER);
	assert_int_equal(in->roles[LR_KSTATE_STOP], LR_ROLE_REAL_SERVER);
	assert_int_equal(in->roles[LR_KSTATE_DELETED], LR_ROLE_NONE);
	assert_int_equal(in->n_vips, 1);
	assert_int_equal(in->vips[0].ip.family, AF_INET);
	assert_int_equal(in->vips[0].prefix, 24);
	assert_vip(&in->vips[0], "10.0.0.50/24");
	assert_ptr_equal(lr_config_find(cfg, "VI_1", NULL), in);
	assert_null(lr_config_find(cfg, "VI_2", NULL));
	assert_null(lr_config_find(cfg, "vi_1", NULL));
	lr_config_free(cfg);
}

static const char full_conf[] =
	"{\n"
	"  \"state_dir\": \"/var/lib/lvsrole\",\n"
	"  \"arp_sysctl\": {\n"
	"    \"interfaces\": [\"all\", \"bond0\", \"default\"],\n"
	"    \"real_server\": {\"arp_ignore\": 2, \"arp_announce\": 2},\n"
	"    \"director\": {\"arp_ignore\": 0, \"arp_announce\": 2}\n"
	"  },\n"
	"  \"announce\": {\"count\": 3, \"interval_ms\": 200, \"op\": \"both\"},\n"
	"  \"instances\": {\n"
	"    \"VI_1\": {\"nic\": \"bond0\", \"vips\": [\"192.0.2.10/24\", \"2001:DB8::10/64\"],\n"
	"               \"roles\": {\"FAULT\": \"none\", \"STOP\": \"director\"},\n"
	"               \"ipvs\": {\"fwmark\": 80, \"ports\": [\"tcp/80\", \"udp/80\"]}},\n"
	"    \"VI_2\": {\"nic\": \"bond0\", \"real_server_device\": \"tunl0\",\n"
	"               \"nic_vip_owner\": \"keepalived\", \"vips\": [\"192.0.2.20/32\"],\n"
	"               \"roles\": {\"MASTER\": \"real-server\", \"BACKUP\": \"none\", \"DELETED\": \"director\"}}\n"
	"  },\n"
	"  \"groups\": {\"web\": {\"nic\": \"eth1\", \"vips\": [\"198.51.100.1/28\"],\n"
	"                        \"nic_vip_owner\": \"lvsrole\"}}\n"
	"}\n";

static void test_explicit(void **state)
{
	struct lr_config *cfg = parse_ok(full_conf);
	const struct lr_instance *in;
	size_t idx = 99;

	assert_string_equal(cfg->state_dir, "/var/lib/lvsrole");
	assert_false(cfg->sysctl_ifaces_default);
	assert_int_equal(cfg->n_sysctl_ifaces, 3);
	assert_string_equal(cfg->sysctl_ifaces[0], "all");
	assert_string_equal(cfg->sysctl_ifaces[1], "bond0");
	assert_string_equal(cfg->sysctl_ifaces[2], "default");
	assert_int_equal(cfg->rs_values[LR_ARP_IGNORE], 2);
	assert_int_equal(cfg->rs_values[LR_ARP_ANNOUNCE], 2);
	assert_int_equal(cfg->dir_values[LR_ARP_IGNORE], 0);
	assert_int_equal(cfg->dir_values[LR_ARP_ANNOUNCE], 2);
	assert_int_equal(cfg->announce_count, 3);
	assert_int_equal(cfg->announce_interval_ms, 200);
	assert_int_equal(cfg->announce_op, LR_ARP_BOTH);
	assert_int_equal(cfg->n_inst, 3);

	in = lr_config_find(cfg, "VI_1", &idx);
	assert_non_null(in);
	assert_int_equal(idx, 0);
	assert_string_equal(in->nic, "bond0");
	assert_string_equal(in->rs_dev, "lo");
	assert_int_equal(in->n_vips, 2);
	assert_vip(&in->vips[0], "192.0.2.10/24");
	assert_int_equal(in->vips[1].ip.family, AF_INET6);
	assert_vip(&in->vips[1], "2001:db8::10/64");
	assert_int_equal(in->roles[LR_KSTATE_MASTER], LR_ROLE_DIRECTOR);
	assert_int_equal(in->roles[LR_KSTATE_BACKUP], LR_ROLE_REAL_SERVER);
	assert_int_equal(in->roles[LR_KSTATE_FAULT], LR_ROLE_NONE);
	assert_int_equal(in->roles[LR_KSTATE_STOP], LR_ROLE_DIRECTOR);
	assert_int_equal(in->roles[LR_KSTATE_DELETED], LR_ROLE_NONE);

	in = lr_config_find(cfg, "VI_2", &idx);
	assert_non_null(in);
	assert_int_equal(idx, 1);
	assert_int_equal(in->scope, LR_SCOPE_INSTANCE);
	assert_string_equal(in->rs_dev, "tunl0");
	assert_int_equal(in->owner, LR_OWNER_KEEPALIVED);
	assert_vip(&in->vips[0], "192.0.2.20/32");
	assert_int_equal(in->roles[LR_KSTATE_MASTER], LR_ROLE_REAL_SERVER);
	assert_int_equal(in->roles[LR_KSTATE_BACKUP], LR_ROLE_NONE);
	assert_int_equal(in->roles[LR_KSTATE_FAULT], LR_ROLE_REAL_SERVER);
	assert_int_equal(in->roles[LR_KSTATE_DELETED], LR_ROLE_DIRECTOR);

	in = lr_config_find(cfg, "web", &idx);
	assert_non_null(in);
	assert_int_equal(idx, 2);
	assert_int_equal(in->scope, LR_SCOPE_GROUP);
	assert_string_equal(in->nic, "eth1");
	assert_int_equal(in->owner, LR_OWNER_LVSROLE);
	assert_vip(&in->vips[0], "198.51.100.1/28");
	lr_config_free(cfg);
}

/* Default sysctl interfaces: "all", then each instance's real-server device and NIC, once. */
static void test_default_ifaces(void **state)
{
	static const char text[] =
		"{\"groups\": {\"G1\": {\"nic\": \"eth2\", \"vips\": [\"10.0.2.1/24\"]}},\n"
		" \"instances\": {\n"
		"  \"VI_1\": {\"nic\": \"eth0\", \"vips\": [\"10.0.0.1/24\"]},\n"
		"  \"VI_2\": {\"nic\": \"eth1\", \"real_server_device\": \"tunl0\", \"vips\": [\"10.0.1.1/24\"]},\n"
		"  \"VI_3\": {\"nic\": \"eth0\", \"real_server_device\": \"tunl0\", \"vips\": [\"10.0.3.1/24\"]},\n"
		"  \"VI_4\": {\"nic\": \"tunl0\", \"real_server_device\": \"eth2\", \"vips\": [\"10.0.4.1/24\"]}\n"
		" }}\n";
	static const char *const want[] = { "all", "lo", "eth2", "eth0", "tunl0", "eth1" };
	struct lr_config *cfg = parse_ok(text);

	assert_true(cfg->sysctl_ifaces_default);
	assert_int_equal(cfg->n_sysctl_ifaces, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		assert_string_equal(cfg->sysctl_ifaces[i], want[i]);
	/* groups came first in the file, so they come first in the list */
	assert_string_equal(cfg->inst[0].name, "G1");
	assert_string_equal(cfg->inst[4].name, "VI_4");
	lr_config_free(cfg);
}

static const char *jget_str(struct json_object *root, const char *const *keys)
{
	struct json_object *o = root;

	for (; *keys; keys++)
		if (!json_object_object_get_ex(o, *keys, &o))
			fail_msg("dump has no \"%s\"", *keys);
	assert_true(json_object_is_type(o, json_type_string));
	return json_object_get_string(o);
}

static int jget_int(struct json_object *root, const char *const *keys)
{
	struct json_object *o = root;

	for (; *keys; keys++)
		if (!json_object_object_get_ex(o, *keys, &o))
			fail_msg("dump has no \"%s\"", *keys);
	assert_true(json_object_is_type(o, json_type_int));
	return json_object_get_int(o);
}

#define K(...) ((const char *const[]){ __VA_ARGS__, NULL })

static struct json_object *parse_dump(const struct lr_config *cfg)
{
	char *dump = lr_config_dump(cfg);
	struct json_object *root;

	assert_non_null(dump);
	root = json_tokener_parse(dump);
	if (!root)
		fail_msg("dump is not JSON: %s", dump);
	free(dump);
	return root;
}

static void test_dump_defaults(void **state)
{
	struct lr_config *cfg = parse_ok(V("10.0.0.50/24"));
	struct json_object *root = parse_dump(cfg), *a, *o;

	assert_string_equal(jget_str(root, K("state_dir")), "/run/lvsrole");
	assert_true(json_object_object_get_ex(root, "arp_sysctl", &o));
	assert_true(json_object_object_get_ex(o, "interfaces", &a));
	assert_int_equal(json_object_array_length(a), 3);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 0)), "all");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 1)), "lo");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 2)), "eth0");
	assert_int_equal(jget_int(root, K("arp_sysctl", "real_server", "arp_ignore")), 1);
	assert_int_equal(jget_int(root, K("arp_sysctl", "real_server", "arp_announce")), 2);
	assert_string_equal(jget_str(root, K("arp_sysctl", "director", "arp_ignore")),
			    "found-at-first-look");
	assert_string_equal(jget_str(root, K("arp_sysctl", "director", "arp_announce")),
			    "found-at-first-look");
	assert_int_equal(jget_int(root, K("announce", "count")), 5);
	assert_int_equal(jget_int(root, K("announce", "interval_ms")), 1000);
	assert_string_equal(jget_str(root, K("announce", "op")), "request");
	assert_string_equal(jget_str(root, K("instances", "VI_1", "nic")), "eth0");
	assert_string_equal(jget_str(root, K("instances", "VI_1", "real_server_device")), "lo");
	assert_string_equal(jget_str(root, K("instances", "VI_1", "nic_vip_owner")), "lvsrole");
	assert_string_equal(jget_str(root, K("instances", "VI_1", "roles", "MASTER")), "director");
	assert_string_equal(jget_str(root, K("instances", "VI_1", "roles", "BACKUP")), "real-server");
	assert_string_equal(jget_str(root, K("instances", "VI_1", "roles", "FAULT")), "real-server");
	assert_string_equal(jget_str(root, K("instances", "VI_1", "roles", "STOP")), "real-server");
	assert_string_equal(jget_str(root, K("instances", "VI_1", "roles", "DELETED")), "none");
	assert_true(json_object_object_get_ex(root, "instances", &o));
	assert_true(json_object_object_get_ex(o, "VI_1", &o));
	assert_true(json_object_object_get_ex(o, "vips", &a));
	assert_int_equal(json_object_array_length(a), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 0)), "10.0.0.50/24");
	assert_true(json_object_object_get_ex(root, "groups", &o));
	assert_int_equal(json_object_object_length(o), 0);
	json_object_put(root);
	lr_config_free(cfg);
}

/* A dump with explicit director values is itself a valid configuration with the same values. */
static void test_dump_round_trip(void **state)
{
	struct lr_config *cfg = parse_ok(full_conf), *again;
	struct json_object *root = parse_dump(cfg);
	char *d1 = lr_config_dump(cfg), *d2;

	assert_string_equal(jget_str(root, K("state_dir")), "/var/lib/lvsrole");
	assert_int_equal(jget_int(root, K("arp_sysctl", "real_server", "arp_ignore")), 2);
	assert_int_equal(jget_int(root, K("arp_sysctl", "director", "arp_announce")), 2);
	assert_string_equal(jget_str(root, K("announce", "op")), "both");
	assert_int_equal(jget_int(root, K("announce", "interval_ms")), 200);
	assert_string_equal(jget_str(root, K("instances", "VI_2", "nic_vip_owner")), "keepalived");
	assert_string_equal(jget_str(root, K("instances", "VI_2", "real_server_device")), "tunl0");
	assert_string_equal(jget_str(root, K("instances", "VI_2", "roles", "DELETED")), "director");
	assert_string_equal(jget_str(root, K("instances", "VI_1", "roles", "FAULT")), "none");
	assert_string_equal(jget_str(root, K("groups", "web", "nic")), "eth1");
	assert_string_equal(jget_str(root, K("instances", "VI_1", "ipvs", "loop_guard")), "fwmark");
	assert_int_equal(jget_int(root, K("instances", "VI_1", "ipvs", "fwmark")), 80);
	assert_string_equal(jget_str(root, K("instances", "VI_2", "ipvs", "loop_guard")), "none");
	json_object_put(root);

	again = parse_ok(d1);
	d2 = lr_config_dump(again);
	assert_string_equal(d1, d2);
	assert_int_equal(again->n_inst, 3);
	assert_int_equal(again->inst[2].scope, LR_SCOPE_GROUP);
	free(d1);
	free(d2);
	lr_config_free(again);
	lr_config_free(cfg);
}

/* A short error buffer truncates the message and nothing else. */
static void test_short_err(void **state)
{
	static const char text[] = V("10.0.0.500/24");
	struct lr_config *cfg = NULL;
	char err[24];

	memset(err, 'x', sizeof(err));
	assert_int_equal(lr_config_parse(NAME, text, strlen(text), &cfg, err, 16), -EINVAL);
	assert_null(cfg);
	assert_string_equal(err, "t.conf:5: insta");
	assert_int_equal(err[20], 'x');
}

static void test_load(void **state)
{
	char path[] = "/tmp/test-conf-XXXXXX", err[512] = "";
	struct lr_config *cfg = NULL;
	static const char text[] = V("10.0.0.50/24");
	FILE *f;
	int fd;

	assert_int_equal(lr_config_load("/nonexistent/lvsrole.conf", &cfg, err, sizeof(err)), -ENOENT);
	assert_null(cfg);
	assert_string_equal(err, "/nonexistent/lvsrole.conf: cannot read: No such file or directory");

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(lr_config_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg->path, path);
	assert_string_equal(cfg->inst[0].nic, "eth0");
	lr_config_free(cfg);
	cfg = NULL;

	f = fopen(path, "a");
	assert_non_null(f);
	fputs("x\n", f);
	fclose(f);
	assert_int_equal(lr_config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_null(cfg);
	assert_non_null(strstr(err, ":9: (top): invalid JSON: text after the top-level object"));
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	unlink(path);
}

/* ---- names of roles and states ---- */

struct name_case {
	const char *s;
	int role;   /* -1: not a role */
	int kstate; /* -1: not a state */
};

static const struct name_case name_cases[] = {
	{ "director", LR_ROLE_DIRECTOR, -1 },
	{ "real-server", LR_ROLE_REAL_SERVER, -1 },
	{ "none", LR_ROLE_NONE, -1 },
	{ "unknown", -1, -1 },
	{ "Director", -1, -1 },
	{ "", -1, -1 },
	{ "MASTER", -1, LR_KSTATE_MASTER },
	{ "BACKUP", -1, LR_KSTATE_BACKUP },
	{ "FAULT", -1, LR_KSTATE_FAULT },
	{ "STOP", -1, LR_KSTATE_STOP },
	{ "DELETED", -1, LR_KSTATE_DELETED },
	{ "master", -1, -1 },
	{ "INIT", -1, -1 },
	{ "MASTER ", -1, -1 },
};

static void test_names(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(name_cases); i++) {
		const struct name_case *c = &name_cases[i];
		enum lr_role role = (enum lr_role)77;
		enum lr_kstate st = (enum lr_kstate)77;

		assert_int_equal(lr_role_parse(c->s, &role), c->role < 0 ? -EINVAL : 0);
		assert_int_equal(role, c->role < 0 ? 77 : c->role);
		if (c->role >= 0)
			assert_string_equal(lr_role_name(role), c->s);
		assert_int_equal(lr_kstate_parse(c->s, &st), c->kstate < 0 ? -EINVAL : 0);
		assert_int_equal(st, c->kstate < 0 ? 77 : c->kstate);
		if (c->kstate >= 0)
			assert_string_equal(lr_kstate_name(st), c->s);
	}
	assert_string_equal(lr_role_name(LR_ROLE_UNKNOWN), "unknown");
	assert_string_equal(lr_role_name((enum lr_role)9), "?");
	assert_string_equal(lr_kstate_name(LR_KSTATE_NONE), "-");
	assert_string_equal(lr_kstate_name(LR_KSTATE__COUNT), "-");
	assert_string_equal(lr_scope_name(LR_SCOPE_GROUP), "group");
	assert_string_equal(lr_scope_name(LR_SCOPE_INSTANCE), "instance");
	assert_string_equal(lr_sysctl_key_name(LR_ARP_IGNORE), "arp_ignore");
	assert_string_equal(lr_sysctl_key_name(LR_ARP_ANNOUNCE), "arp_announce");
}

/* LR_MAX_INSTANCES instances and groups together are taken; one more is refused, named */
static void test_instance_limit(void **state)
{
	for (int n = LR_MAX_INSTANCES; n <= LR_MAX_INSTANCES + 1; n++) {
		size_t cap = (size_t)n * 96 + 64, len = 0;
		char *text = malloc(cap), err[512] = "";
		struct lr_config *cfg = NULL;
		int r;

		assert_non_null(text);
		len += (size_t)snprintf(text + len, cap - len, "{ \"instances\": {");
		for (int i = 0; i < n; i++)
			len += (size_t)snprintf(text + len, cap - len,
						"%s \"VI_%d\": { \"nic\": \"eth0\", \"vips\": [\"10.1.%d.%d/24\"] }",
						i ? "," : "", i, i / 200, i % 200 + 1);
		snprintf(text + len, cap - len, " } }");
		r = lr_config_parse(NAME, text, strlen(text), &cfg, err, sizeof(err));
		if (n == LR_MAX_INSTANCES) {
			assert_int_equal(r, 0);
			assert_int_equal(cfg->n_inst, LR_MAX_INSTANCES);
			lr_config_free(cfg);
		} else {
			assert_int_equal(r, -EINVAL);
			assert_non_null(strstr(err, "more than 256 instances and groups"));
			assert_non_null(strstr(err, "instances.VI_256"));
		}
		free(text);
	}
	(void)state;
}

int main(void)
{
	static struct CMUnitTest cases[ARRAY_SIZE(conf_cases)];
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_explicit),
		cmocka_unit_test(test_default_ifaces),
		cmocka_unit_test(test_dump_defaults),
		cmocka_unit_test(test_dump_round_trip),
		cmocka_unit_test(test_short_err),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_instance_limit),
	};
	int failed;

	for (size_t i = 0; i < ARRAY_SIZE(conf_cases); i++)
		cases[i] = (struct CMUnitTest){ .name = conf_cases[i].name, .test_func = test_conf_case,
						.initial_state = &conf_cases[i] };
	failed = cmocka_run_group_tests_name("config cases", cases, NULL, NULL);
	failed += cmocka_run_group_tests_name("resolved config", tests, NULL, NULL);
	return failed ? 1 : 0;
}
