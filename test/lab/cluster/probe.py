#!/usr/bin/env python3
"""Portal probe (runs inside the lab's network namespace): tries a TCP connect to HOST:PORT every 100 ms
(300 ms connect timeout) and prints "up <t>" / "down <t>" (CLOCK_REALTIME) on every change, until killed.
Every probe is a connection LIO logs as a failed login ("iSCSI Login negotiation failed"): the nodes boot with
loglevel=3 so those lines stay in dmesg and off the emulated serial console, which costs a TCG guest dearly.
Each probe is also a login thread in LIO, hence 100 ms and not less."""
import socket, sys, time

host, port = sys.argv[1], int(sys.argv[2])
# A starved TCG guest can miss one 300 ms connect while its portal is fine: "down" needs 3 failures in a
# row, and is stamped with the first of them.
DOWN_AFTER = 3
state = None
failed_since, failures = None, 0
while True:
    t = time.time()
    try:
        s = socket.create_connection((host, port), timeout=0.3)
        s.close()
        failures, failed_since = 0, None
        if state != "up":
            print("up %.6f" % t, flush=True)
            state = "up"
    except OSError:
        failures += 1
        if failed_since is None:
            failed_since = t
        if failures >= DOWN_AFTER and state != "down":
            print("down %.6f" % failed_since, flush=True)
            state = "down"
    time.sleep(0.1)
