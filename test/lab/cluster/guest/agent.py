#!/usr/bin/env python3
"""Command server of a cluster-lab VM: reads JSON requests, one per line, from the lab.ctl virtio-serial
port and answers each on the same port. {"id", "script", "timeout"} runs the bash script (concurrently with
other requests); {"id", "settime": ns} sets the clock to the host's (so guest timestamps compare with the
host's); {"id", "ping": 1} answers at once."""
import json, os, subprocess, sys, threading, time

port = sys.argv[1]
fd = os.open(port, os.O_RDWR)
lock = threading.Lock()


def send(obj):
    data = (json.dumps(obj) + "\n").encode()
    with lock:
        while data:
            n = os.write(fd, data)
            data = data[n:]


def run(req):
    rid = req["id"]
    try:
        p = subprocess.run(["bash", "-c", req["script"]], stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=req.get("timeout", 600))
        send({"id": rid, "rc": p.returncode, "out": p.stdout.decode(errors="replace"),
              "err": p.stderr.decode(errors="replace")[-20000:]})
    except subprocess.TimeoutExpired as e:
        send({"id": rid, "rc": 124, "out": (e.stdout or b"").decode(errors="replace"),
              "err": "timeout after %ss" % req.get("timeout", 600)})
    except Exception as e:  # noqa: BLE001 - report anything to the host
        send({"id": rid, "rc": 125, "out": "", "err": repr(e)})


buf = b""
while True:
    chunk = os.read(fd, 65536)
    if not chunk:  # host side not connected
        time.sleep(0.05)
        continue
    buf += chunk
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        if not line.strip():
            continue
        req = json.loads(line)
        if "settime" in req:
            time.clock_settime_ns(time.CLOCK_REALTIME, int(req["settime"]))
            send({"id": req["id"], "rc": 0, "out": "", "err": ""})
        elif "ping" in req:
            send({"id": req["id"], "rc": 0, "out": str(time.time_ns()), "err": ""})
        else:
            threading.Thread(target=run, args=(req,), daemon=True).start()
