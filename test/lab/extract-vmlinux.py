#!/usr/bin/env python3
"""Extracts the uncompressed ELF vmlinux from a bzImage (booting it under TCG skips the decompressor).
Usage: extract-vmlinux.py <bzImage> <out>. Exits 1 when no compressed ELF payload is found."""
import gzip, lzma, subprocess, sys

MAGICS = [
    (b'\x28\xb5\x2f\xfd', 'zstd'),
    (b'\xfd7zXZ\x00', 'xz'),
    (b'\x1f\x8b\x08', 'gzip'),
]

def attempt(kind: str, payload: bytes) -> bytes | None:
    try:
        if kind == 'gzip':
            return gzip.GzipFile(fileobj=__import__('io').BytesIO(payload)).read()
        if kind == 'xz':
            return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(payload)
        if kind == 'zstd':
            r = subprocess.run(['zstd', '-dc'], input=payload, capture_output=True)
            return r.stdout or None
    except Exception:
        return None
    return None

def main() -> int:
    data = open(sys.argv[1], 'rb').read()
    for magic, kind in MAGICS:
        start = 0
        while (pos := data.find(magic, start)) >= 0:
            out = attempt(kind, data[pos:])
            if out and out[:4] == b'\x7fELF':
                open(sys.argv[2], 'wb').write(out)
                print(f'{kind} payload at {pos}, {len(out)} bytes')
                return 0
            start = pos + 1
    return 1

sys.exit(main())
