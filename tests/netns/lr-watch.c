/* Test helper: samples, as fast as it can, whether a VIP sits on the real-server device while
 * the ARP sysctls would let the host answer or announce it (effective arp_ignore < 1 or
 * arp_announce < 2 on the NIC, the kernel taking max(all, NIC)). Runs until SIGTERM/SIGINT,
 * then prints "samples N unsafe M slow K" and exits 0 (1 on errors); the first unsafe sample
 * is also printed at once, as "unsafe after N samples" (a test can wait for it). A sample whose reads
 * took longer than 200 us (the watcher was descheduled) is discarded and counted as slow:
 * two whole switches could have passed inside it and made it look unsafe.
 * usage: lr-watch RSDEV NIC VIP... (run inside the namespace under test) */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int read_int(const char *iface, const char *key)
{
	char path[128];
	FILE *f;
	int v = -1;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/%s", iface, key);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int max(int a, int b)
{
	return a > b ? a : b;
}

struct vip {
	int family;
	unsigned char addr[16];
};

/* 1 when any VIP is on rsdev, 0 when none, -1 on error. */
static int vip_on_dev(const char *rsdev, const struct vip *vips, int n)
{
	struct ifaddrs *ifa, *p;
	int found = 0;

	if (getifaddrs(&ifa) < 0)
		return -1;
	for (p = ifa; p && !found; p = p->ifa_next) {
		if (!p->ifa_addr || strcmp(p->ifa_name, rsdev))
			continue;
		for (int i = 0; i < n && !found; i++) {
			if (p->ifa_addr->sa_family != vips[i].family)
				continue;
			if (vips[i].family == AF_INET)
				found = !memcmp(&((struct sockaddr_in *)p->ifa_addr)->sin_addr, vips[i].addr, 4);
			else
				found = !memcmp(&((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr, vips[i].addr, 16);
		}
	}
	freeifaddrs(ifa);
	return found;
}

int main(int argc, char **argv)
{
	struct vip vips[64];
	unsigned long samples = 0, unsafe = 0, slow = 0;
	int n = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: lr-watch RSDEV NIC VIP...\n");
		return 1;
	}
	for (int i = 3; i < argc && n < 64; i++, n++) {
		vips[n].family = strchr(argv[i], ':') ? AF_INET6 : AF_INET;
		if (inet_pton(vips[n].family, argv[i], vips[n].addr) != 1) {
			fprintf(stderr, "lr-watch: bad address %s\n", argv[i]);
			return 1;
		}
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	while (!stop) {
		/* addresses, sysctls, addresses again: a VIP seen on the device both times while
		 * the sysctls in between were relaxed is an unsafe moment (the switch orders its
		 * steps so that this never happens) */
		struct timespec t0, t1;
		int a1, ig, an, a2;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		a1 = vip_on_dev(argv[1], vips, n);
		ig = max(read_int("all", "arp_ignore"), read_int(argv[2], "arp_ignore"));
		an = max(read_int("all", "arp_announce"), read_int(argv[2], "arp_announce"));
		a2 = vip_on_dev(argv[1], vips, n);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (a1 < 0 || a2 < 0) {
			perror("lr-watch: getifaddrs");
			return 1;
		}
		if ((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) > 200000L) {
			slow++;
			continue;
		}
		samples++;
		if (a1 == 1 && a2 == 1 && (ig < 1 || an < 2) && unsafe++ == 0) {
			printf("unsafe after %lu samples\n", samples);
			fflush(stdout);
		}
	}
	printf("samples %lu unsafe %lu slow %lu\n", samples, unsafe, slow);
	return 0;
}
