/* Announcements after the switch (repeat.c). */
#pragma once
#include <stddef.h>

#include "conf.h"
#include "nl.h"
#include "switch.h"

/* Announces instance i's NIC VIPs that lvsrole owns and the NIC holds (repeats, refresh).
 * Returns how many were sent. */
int lr_repeat_now(const struct lr_config *cfg, size_t i, struct lr_nl *nl, struct lr_announcer *an);
/* Repeats the announcements of the director events in sw (count - 1 more, at the configured
 * interval) in a child process that holds the lock only while it sends, and stops as soon as
 * an instance is no longer recorded as director. With no repeats, the child only closes the
 * packet socket sw->an opened (see there). Returns the child's pid, 0 if none needed. */
int lr_repeat_spawn(const struct lr_config *cfg, const struct lr_switch *sw);
