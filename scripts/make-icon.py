"""Draws images/icon.png (128x128 RGBA) with the standard library only: an event-loop
ring with three task dots, inside a magnifier (the "scope"), supersampled 4x for
smooth edges. Run: python3 scripts/make-icon.py
"""
from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

__all__ = ["render", "write_png"]

SIZE = 128
SS = 4  # supersampling factor per axis

BG = (30, 34, 48)
RING = (64, 196, 200)
HANDLE = (222, 226, 236)
DOTS = [((255, 196, 64), -90.0), ((236, 96, 112), 30.0), ((132, 220, 120), 150.0)]

CX, CY, R_RING, RING_W = 54.0, 54.0, 34.0, 7.0


def _rounded_square(x: float, y: float, r: float = 24.0) -> bool:
    dx = max(r - x, 0.0, x - (SIZE - r))
    dy = max(r - y, 0.0, y - (SIZE - r))
    return dx * dx + dy * dy <= r * r


def _sample(x: float, y: float) -> tuple[int, int, int, int]:
    if not _rounded_square(x, y):
        return (0, 0, 0, 0)
    color = BG
    # Magnifier handle: a thick segment from the ring towards the bottom-right corner.
    hx0, hy0, hx1, hy1 = CX + 26, CY + 26, 112.0, 112.0
    t = max(0.0, min(1.0, ((x - hx0) * (hx1 - hx0) + (y - hy0) * (hy1 - hy0)) / ((hx1 - hx0) ** 2 + (hy1 - hy0) ** 2)))
    px, py = hx0 + t * (hx1 - hx0), hy0 + t * (hy1 - hy0)
    if math.hypot(x - px, y - py) <= 8.0:
        color = HANDLE
    d = math.hypot(x - CX, y - CY)
    if abs(d - R_RING) <= RING_W / 2 + 3:
        color = BG  # a gap around the ring so the handle does not touch it
    if abs(d - R_RING) <= RING_W / 2:
        color = RING
    for dot, angle in DOTS:
        a = math.radians(angle)
        if math.hypot(x - (CX + R_RING * math.cos(a)), y - (CY + R_RING * math.sin(a))) <= 9.0:
            color = dot
    # The hub: the loop itself, which the task dots circle around.
    if math.hypot(x - CX, y - CY) <= 6.0:
        color = HANDLE
    return (*color, 255)


def render() -> bytes:
    rows = bytearray()
    for j in range(SIZE):
        rows.append(0)  # PNG filter type: none
        for i in range(SIZE):
            acc = [0, 0, 0, 0]
            for sj in range(SS):
                for si in range(SS):
                    r, g, b, a = _sample(i + (si + 0.5) / SS, j + (sj + 0.5) / SS)
                    acc[0] += r * a
                    acc[1] += g * a
                    acc[2] += b * a
                    acc[3] += a
            alpha = acc[3] / (SS * SS)
            if acc[3]:
                rows.extend((round(acc[0] / acc[3]), round(acc[1] / acc[3]), round(acc[2] / acc[3]), round(alpha)))
            else:
                rows.extend((0, 0, 0, 0))
    return bytes(rows)


def write_png(path: Path, raw: bytes) -> None:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)  # 8-bit RGBA
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    path.write_bytes(png)


if __name__ == "__main__":
    out = Path(__file__).resolve().parent.parent / "images" / "icon.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_png(out, render())
    print(f"wrote {out}")
