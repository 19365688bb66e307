# dm-era helpers for lab tests (sourced after lib.sh).
# lab_dump_bits FILE: the set bits of a .ddmapdump (16 KiB segment numbers), one per line, ascending.
lab_dump_bits() {
  python3 - "$1" <<'P'
import struct, sys
b = open(sys.argv[1], 'rb').read()
assert b[:6] == b'ddmap\0', 'not a ddmap image'
version, name_sum, words = struct.unpack_from('<III', b, 8)
assert version == 1 and len(b) == 20 + 4 * words, 'bad header or length'
for i in range(words):
    (w,) = struct.unpack_from('<I', b, 20 + 4 * i)
    for bit in range(32):
        if w >> bit & 1:
            print(i * 32 + bit)
P
}
# lab_random_writes DEV SIZE_MB N SEED: N writes of 512 B .. 40 KiB at random 512-byte-aligned offsets,
# O_DIRECT; prints the 16 KiB segments they touch (ascending, unique) on stdout.
lab_random_writes() {
  python3 - "$@" <<'P'
import mmap, os, random, sys
dev, size_mb, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)
size = size_mb << 20
buf = mmap.mmap(-1, 40 * 1024)          # page aligned, as O_DIRECT needs
buf.write(os.urandom(40 * 1024))
fd = os.open(dev, os.O_WRONLY | os.O_DIRECT)
segs = set()
for _ in range(n):
    length = rnd.choice([512, 4096, 8192, 16384, 20480, 40960])
    off = rnd.randrange(0, (size - length) // 512) * 512
    assert os.pwritev(fd, [memoryview(buf)[:length]], off) == length
    segs.update(range(off >> 14, (off + length - 1 >> 14) + 1))
os.fsync(fd)
os.close(fd)
print('\n'.join(str(s) for s in sorted(segs)))
P
}
