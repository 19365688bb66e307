#!/usr/bin/env python3
"""The verifying writer of the cluster lab (runs on the initiator VM).

run DEV DIR: writes 4 KiB blocks round-robin over DEV with O_DIRECT|O_DSYNC, one at a time. Each block
carries a magic, its sequence number, its slot, the run id and a CRC32 over the rest; a write counts as
acknowledged only once pwrite() returned. Every gap between two acknowledged writes longer than 100 ms is
appended to DIR/gaps (start end seconds, CLOCK_REALTIME, which the host keeps in step with its own), and
DIR/status.json is refreshed every second. On SIGTERM it stops writing, reads every slot back with
O_DIRECT and writes DIR/report.json: acknowledged, verified, lost (a slot holding an older block than the
last acknowledged one) and corrupted (bad magic/CRC/slot). A write that failed (EIO) was not acknowledged:
its slot may hold either block."""
import json, mmap, os, signal, struct, sys, time, zlib

BS = 4096
MAGIC = b"LIOHAWR1"
HDR = struct.Struct("<8sQQQI")  # magic, seq, slot, run id, crc32


def block(seq, slot, run):
    pattern = struct.pack("<Q", (seq * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF)
    payload = pattern * ((BS - HDR.size) // 8) + b"\0" * ((BS - HDR.size) % 8)
    head = HDR.pack(MAGIC, seq, slot, run, 0)
    crc = zlib.crc32(head[:-4] + payload)
    return HDR.pack(MAGIC, seq, slot, run, crc) + payload


def parse(buf, run):
    magic, seq, slot, r, crc = HDR.unpack(bytes(buf[:HDR.size]))
    if magic != MAGIC or r != run:
        return None
    if zlib.crc32(bytes(buf[:HDR.size - 4]) + bytes(buf[HDR.size:BS])) != crc:
        return None
    return seq, slot


def atomic_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.replace(tmp, path)


def main():
    dev, out = sys.argv[2], sys.argv[3]
    os.makedirs(out, exist_ok=True)
    fd = os.open(dev, os.O_RDWR | os.O_DIRECT | os.O_DSYNC)
    size = os.lseek(fd, 0, os.SEEK_END)
    nslots = size // BS
    run = int.from_bytes(os.urandom(8), "little") >> 1
    buf = mmap.mmap(-1, BS)  # page aligned, as O_DIRECT needs
    acked = [-1] * nslots
    maybe = {}  # slot -> seqs whose write failed (not acknowledged; may or may not be on disk)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    seq = acked_n = errors = 0
    last_ack = time.time()
    max_gap = 0.0
    last_status = 0.0
    gaps = open(os.path.join(out, "gaps"), "a", buffering=1)
    started = time.time()
    while not stop:
        slot = seq % nslots
        buf[:] = block(seq, slot, run)
        try:
            os.pwrite(fd, buf, slot * BS)
        except OSError as e:
            errors += 1
            maybe.setdefault(slot, set()).add(seq)
            gaps.write("error %.6f %s\n" % (time.time(), e.errno))
            seq += 1
            time.sleep(0.5)
            continue
        now = time.time()
        acked[slot] = seq
        maybe.pop(slot, None)
        acked_n += 1
        gap = now - last_ack
        if gap > 0.1:
            gaps.write("%.6f %.6f\n" % (last_ack, now))
        max_gap = max(max_gap, gap)
        last_ack = now
        seq += 1
        if now - last_status > 1:
            last_status = now
            atomic_json(os.path.join(out, "status.json"), {
                "acked": acked_n, "errors": errors, "seq": seq, "slots": nslots, "last_ack": last_ack,
                "max_gap_s": max_gap, "rate_per_s": acked_n / max(now - started, 1e-6)})
    # read back everything that was ever acknowledged
    verified = lost = corrupted = 0
    problems = []
    for slot in range(nslots):
        if acked[slot] < 0 and slot not in maybe:
            continue
        n = os.preadv(fd, [buf], slot * BS)
        got = parse(buf, run) if n == BS else None
        want = acked[slot]
        if got is None or got[1] != slot:
            if want >= 0:
                corrupted += 1
                problems.append({"slot": slot, "want": want, "got": None})
            continue
        if got[0] == want or got[0] in maybe.get(slot, ()):
            if want >= 0:
                verified += 1
        elif want >= 0:
            lost += 1
            problems.append({"slot": slot, "want": want, "got": got[0]})
    report = {"acked": acked_n, "verified": verified, "lost": lost, "corrupted": corrupted, "errors": errors,
              "slots": nslots, "last_seq": seq - 1, "max_gap_s": max_gap, "problems": problems[:20],
              "duration_s": time.time() - started}
    atomic_json(os.path.join(out, "report.json"), report)
    print(json.dumps(report))


if __name__ == "__main__" and sys.argv[1] == "run":
    main()
