#!/usr/bin/env python3
"""Writes lines to a FIFO the way keepalived does: opened O_RDWR|O_NONBLOCK, one write per
line, a line dropped (and counted) when the pipe is full. Lines come from stdin, or
--burst N generates N lines. Prints "written W dropped D seconds S".
--hold SECONDS keeps the FIFO open afterwards (keepalived never closes it on stop)."""
import argparse, errno, os, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("fifo")
ap.add_argument("--burst", type=int, default=0)
ap.add_argument("--hold", type=float, default=0)
a = ap.parse_args()

if a.burst:
    lines = []
    for i in range(a.burst):
        k = i % 10
        if k == 7:
            lines.append('VS [10.9.0.50]:tcp:80 UP\n')
        elif k == 8:
            lines.append('INSTANCE "VI_1" MASTER_PRIORITY 100\n')
        else:
            lines.append('INSTANCE "%s" %s %d\n' % ("VI_1" if i % 2 else "VI_2",
                                                   "MASTER" if (i // 2) % 2 else "BACKUP", 100))
    # the last word: VI_1 MASTER, VI_2 BACKUP
    lines[-2] = 'INSTANCE "VI_2" BACKUP 100\n'
    lines[-1] = 'INSTANCE "VI_1" MASTER 100\n'
else:
    lines = [l if l.endswith("\n") else l + "\n" for l in sys.stdin.read().splitlines()]

fd = os.open(a.fifo, os.O_RDWR | os.O_NONBLOCK)
dropped = 0
t0 = time.monotonic()
for l in lines:
    try:
        os.write(fd, l.encode())
    except OSError as e:
        if e.errno != errno.EAGAIN:
            raise
        dropped += 1
t = time.monotonic() - t0
print("written %d dropped %d seconds %.4f" % (len(lines) - dropped, dropped, t), flush=True)
if a.hold:
    time.sleep(a.hold)
os.close(fd)
