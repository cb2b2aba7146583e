/* The exit codes of both programs (documented in the README and the man pages). */
#pragma once

enum lr_exit {
	LR_EXIT_OK = 0,
	LR_EXIT_FAILED = 1,     /* the switch failed or was partial */
	LR_EXIT_USAGE = 2,      /* bad arguments */
	LR_EXIT_CONFIG = 3,     /* configuration unreadable or invalid */
	LR_EXIT_UNKNOWN = 4,    /* instance or group not in the configuration */
	LR_EXIT_STATE = 5,      /* state directory or lock unusable */
	LR_EXIT_PRIVILEGE = 6,  /* not permitted: needs root or CAP_NET_ADMIN (+CAP_NET_RAW) */
	LR_EXIT_DRIFT = 7,      /* status: the host differs from the recorded roles */
	LR_EXIT_REPORT = 8,     /* webhook test, flush: not delivered; spool, replay: spool unusable */
};

