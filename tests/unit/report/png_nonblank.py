#!/usr/bin/python3
"""png_nonblank.py FILE -- exit 0 when FILE is a PNG screenshot that is not
blank: decodes it with zlib (8-bit RGB/RGBA, non-interlaced, as Chromium
writes them), undoes the row filters and requires at least 1% of the pixels
to differ from the most common colour and at least 3 distinct colours."""
import struct, sys, zlib
from collections import Counter

data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("not a PNG")
pos, idat, hdr = 8, b"", None
while pos < len(data):
    n, typ = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if typ == b"IHDR":
        hdr = struct.unpack(">IIBBBBB", body)
    elif typ == b"IDAT":
        idat += body
    pos += 12 + n
w, h, depth, ctype, _, _, interlace = hdr
if depth != 8 or ctype not in (2, 6) or interlace:
    sys.exit(f"unsupported PNG (depth {depth}, colour type {ctype})")
bpp = 3 if ctype == 2 else 4
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colours = Counter()
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 2 == 0:  # sample every other row: enough, and fast
        for x in range(0, w, 2):
            colours[bytes(line[x * bpp:x * bpp + 3])] += 1
    prev = line
total = sum(colours.values())
common = colours.most_common(1)[0][1]
other = total - common
print(f"{w}x{h}: {len(colours)} colours, {100.0 * other / total:.1f}% not background")
sys.exit(0 if other >= total * 0.01 and len(colours) >= 3 else 1)
