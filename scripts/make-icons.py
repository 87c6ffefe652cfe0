#!/usr/bin/env python3
"""Draws Weft's app icon — a small woven square: warp threads over and under weft threads —
and writes it as RGBA PNGs at the sizes the desktop shell needs (src-tauri/icons/).
Standard library only, so anyone can regenerate the icons: python3 scripts/make-icons.py"""
import os
import struct
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src-tauri", "icons")
SIZES = {"32x32.png": 32, "128x128.png": 128, "128x128@2x.png": 256, "icon.png": 512}

BACKGROUND = (31, 77, 74)      # deep teal
WARP = (232, 184, 92)          # ochre, vertical threads
WEFT = (244, 236, 220)         # linen, horizontal threads
THREADS = 4                    # threads each way


def coverage(x, y, size):
    """How much of pixel (x, y) lies inside the rounded square, 0..1 (4x4 supersampling)."""
    radius = size * 0.22
    inside = 0
    for sy in range(4):
        for sx in range(4):
            px, py = x + (sx + 0.5) / 4, y + (sy + 0.5) / 4
            cx = min(max(px, radius), size - radius)
            cy = min(max(py, radius), size - radius)
            if (px - cx) ** 2 + (py - cy) ** 2 <= radius * radius:
                inside += 1
    return inside / 16


def colour(x, y, size):
    """The weave: in cell (i, j) the warp lies on top when i + j is even, the weft otherwise."""
    margin = size * 0.16
    span = size - 2 * margin
    u, v = (x + 0.5 - margin) / span, (y + 0.5 - margin) / span
    if not (0 <= u < 1 and 0 <= v < 1):
        return BACKGROUND
    i, j = int(u * THREADS), int(v * THREADS)
    fu, fv = u * THREADS - i, v * THREADS - j
    on_warp = 0.18 < fu < 0.82
    on_weft = 0.18 < fv < 0.82
    if on_warp and on_weft:
        return WARP if (i + j) % 2 == 0 else WEFT
    if on_warp:
        return WARP
    if on_weft:
        return WEFT
    return BACKGROUND


def png(size):
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            a = coverage(x, y, size)
            row += bytes(colour(x, y, size)) + bytes([round(255 * a)])
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, size in SIZES.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(png(size))


if __name__ == "__main__":
    main()
