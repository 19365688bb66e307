#!/usr/bin/env python3
"""Portal probe (runs inside the lab's network namespace): tries a TCP connect to HOST:PORT every 100 ms
(300 ms connect timeout) and prints "up <t>" / "down <t>" (CLOCK_REALTIME) on every change, until killed.
Every probe is a connection LIO logs as a failed login ("iSCSI Login negotiation failed"): the nodes boot with
loglevel=3 so those lines stay in dmesg and off the emulated serial console, which costs a TCG guest dearly.
Each probe is also a login thread in LIO, hence 100 ms and not less."""
import socket, sys, time

host, port = sys.argv[1], int(sys.argv[2])
state = None
while True:
    t = time.time()
    try:
        s = socket.create_connection((host, port), timeout=0.3)
        s.close()
        now = "up"
    except OSError:
        now = "down"
    if now != state:
        print("%s %.6f" % (now, t), flush=True)
        state = now
    time.sleep(0.1)
