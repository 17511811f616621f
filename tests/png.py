"""A small PNG reader (8-bit RGB / RGBA, not interlaced: what Chromium's screenshots are), so a test can
look at a screenshot's pixels without an imaging library."""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from pathlib import Path


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def _unfilter(kind: int, line: bytes, previous: bytes, bpp: int) -> bytes:
    if kind == 0:
        return line
    if kind == 2:
        return bytes((a + b) & 0xFF for a, b in zip(line, previous))
    out = bytearray(line)
    n = len(out)
    if kind == 1:
        for i in range(bpp, n):
            out[i] = (out[i] + out[i - bpp]) & 0xFF
    elif kind == 3:
        for i in range(n):
            out[i] = (out[i] + ((out[i - bpp] if i >= bpp else 0) + previous[i]) // 2) & 0xFF
    elif kind == 4:
        for i in range(n):
            a, c = (out[i - bpp], previous[i - bpp]) if i >= bpp else (0, 0)
            out[i] = (out[i] + _paeth(a, previous[i], c)) & 0xFF
    else:
        raise ValueError(f"unknown PNG filter type {kind}")
    return bytes(out)


def read_png(path: Path, max_rows: int | None = None) -> tuple[int, int, list[bytes], int]:
    """(width, height, the first ``max_rows`` unfiltered rows (all by default), bytes per pixel)."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError(f"{path}: only 8-bit RGB/RGBA, non-interlaced PNGs are read here")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, previous = [], bytes(stride)
    for y in range(min(height, max_rows or height)):
        start = y * (stride + 1)
        previous = _unfilter(raw[start], raw[start + 1:start + 1 + stride], previous, bpp)
        rows.append(previous)
    return width, height, rows, bpp


def colour_counts(path: Path, max_rows: int | None = None) -> tuple[int, int, Counter]:
    """(width, height, how many pixels of each RGB colour in the first ``max_rows`` rows)."""
    width, height, rows, bpp = read_png(path, max_rows)
    counts: Counter = Counter()
    for row in rows:
        counts.update(row[x:x + 3] for x in range(0, len(row), bpp))
    return width, height, counts
