"""Mutations for the fuzz campaign (benchmarks/fuzz.py) and the tests' lying files.

Generic byte-level mutations (flips, truncations, zeroed and duplicated ranges, swapped
ISO BMFF boxes) and targeted lies: an H.264 or HEVC sequence parameter set rewritten to
claim another frame size, a y4m header claiming another size, an stts claiming 2^31-1
samples.
"""
from __future__ import annotations

import random
import re
import struct

# ---------------------------------------------------------------- generic mutations


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        i = rng.randrange(len(out))
        out[i] ^= 1 << rng.randrange(8) if rng.random() < 0.7 else rng.randrange(1, 256)
    return bytes(out)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, len(data))]


def zero_range(data: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(data))
    length = min(rng.choice((1, 4, 16, 64, 512, 4096)), len(data) - start)
    return data[:start] + bytes(length) + data[start + length:]


def duplicate_range(data: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(data))
    length = min(rng.choice((4, 16, 64, 512, 4096)), len(data) - start)
    at = rng.randrange(len(data))
    return data[:at] + data[start:start + length] + data[at:]


def boxes(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[int, int, bytes]]:
    """Top-level ISO BMFF boxes in ``data[start:end]``: (offset, size, type); [] if it does not parse."""
    end = len(data) if end is None else end
    out, pos = [], start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        if size == 1 and pos + 16 <= end:
            size = struct.unpack_from(">Q", data, pos + 8)[0]
        elif size == 0:
            size = end - pos
        if size < 8 or pos + size > end or not re.fullmatch(rb"[a-zA-Z0-9 ]{4}", kind):
            return []
        out.append((pos, size, kind))
        pos += size
    return out if pos == end else []


CONTAINER_BOXES = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf", b"udta", b"moof", b"traf"}


def box_tree(data: bytes) -> list[list[tuple[int, int, bytes]]]:
    """Every list of sibling boxes (the top level and inside each container box)."""
    levels, todo = [], [(0, len(data))]
    while todo:
        start, end = todo.pop()
        found = boxes(data, start, end)
        if found:
            levels.append(found)
            todo += [(o + 8, o + s) for o, s, k in found if k in CONTAINER_BOXES]
    return levels


def swap_boxes(data: bytes, rng: random.Random) -> bytes:
    """Two sibling boxes swapped (mp4/mov); two equal chunks swapped for other formats."""
    groups = [g for g in box_tree(data) if len(g) >= 2]
    if groups:
        group = rng.choice(groups)
        a, b = sorted(rng.sample(range(len(group)), 2))
        (oa, sa, _), (ob, sb, _) = group[a], group[b]
        return data[:oa] + data[ob:ob + sb] + data[oa + sa:ob] + data[oa:oa + sa] + data[ob + sb:]
    length = max(1, min(len(data) // 4, rng.choice((8, 64, 512))))
    if len(data) < 2 * length:
        return flip_bytes(data, rng)
    a = rng.randrange(0, len(data) - 2 * length + 1)
    b = rng.randrange(a + length, len(data) - length + 1)
    return data[:a] + data[b:b + length] + data[a + length:b] + data[a:a + length] + data[b + length:]


GENERIC = {"flip": flip_bytes, "truncate": truncate, "zero": zero_range, "duplicate": duplicate_range,
           "swap": swap_boxes}

# ---------------------------------------------------------------- bit-level parameter sets


class _Bits:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def u(self, n: int) -> int:
        v = 0
        for _ in range(n):
            byte = self.data[self.pos >> 3]
            v = (v << 1) | ((byte >> (7 - (self.pos & 7))) & 1)
            self.pos += 1
        return v

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("bad exp-Golomb code")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k & 1 else -(k // 2)

    def bits(self, start: int, stop: int) -> str:
        return "".join(str((self.data[i >> 3] >> (7 - (i & 7))) & 1) for i in range(start, stop))


def _ue_bits(v: int) -> str:
    code = bin(v + 1)[2:]
    return "0" * (len(code) - 1) + code


def _unescape(nal: bytes) -> bytes:
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


def _escape(rbsp: bytes) -> bytes:
    out, zeros = bytearray(), 0
    for b in rbsp:
        if zeros >= 2 and b <= 3:
            out.append(3)
            zeros = 0
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out)


def _payload_bits(r: _Bits) -> str:
    """All bits of the RBSP up to (not including) its stop bit."""
    total = len(r.data) * 8
    while total > 0 and not (r.data[(total - 1) >> 3] >> (7 - ((total - 1) & 7))) & 1:
        total -= 1
    return r.bits(0, total - 1)


def _pack(bits: str) -> bytes:
    bits += "1"
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))


def h264_sps_with_size(nal: bytes, width: int, height: int) -> bytes:
    """An H.264 SPS NAL (header byte first) rewritten to claim ``width`` x ``height``."""
    r = _Bits(_unescape(nal[1:]))
    profile = r.u(8)
    r.u(16)
    r.ue()
    if profile in (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135):
        if r.ue() == 3:
            r.u(1)
        r.ue()
        r.ue()
        r.u(1)
        if r.u(1):
            raise ValueError("scaling matrices are not supported")
    r.ue()
    poc = r.ue()
    if poc == 0:
        r.ue()
    elif poc == 1:
        r.u(1)
        r.se()
        r.se()
        for _ in range(r.ue()):
            r.se()
    r.ue()
    r.u(1)
    at = r.pos
    r.ue()
    r.ue()
    rest = r.pos
    payload = _payload_bits(r)
    bits = payload[:at] + _ue_bits((width + 15) // 16 - 1) + _ue_bits((height + 15) // 16 - 1) + payload[rest:]
    return nal[:1] + _escape(_pack(bits))


def hevc_sps_with_size(nal: bytes, width: int, height: int) -> bytes:
    """An HEVC SPS NAL (2 header bytes first) rewritten to claim ``width`` x ``height``."""
    r = _Bits(_unescape(nal[2:]))
    r.u(4)
    sub_layers = r.u(3)
    r.u(1)
    r.u(96)  # general profile, tier and level
    present = [(r.u(1), r.u(1)) for _ in range(sub_layers)]
    if sub_layers:
        r.u(2 * (8 - sub_layers))
    for profile, level in present:
        r.u(88 * profile + 8 * level)
    r.ue()
    if r.ue() == 3:
        r.u(1)
    at = r.pos
    r.ue()
    r.ue()
    rest = r.pos
    payload = _payload_bits(r)
    bits = payload[:at] + _ue_bits(width) + _ue_bits(height) + payload[rest:]
    return nal[:2] + _escape(_pack(bits))


_START = re.compile(b"\x00\x00\x01")


def annexb_with_size(data: bytes, codec: str, width: int, height: int) -> bytes:
    """An Annex B elementary stream (.h264/.265) whose every SPS claims another size."""
    starts = [m.end() for m in _START.finditer(data)]
    out, prev = bytearray(), 0
    for i, s in enumerate(starts):
        end = starts[i + 1] - 3 if i + 1 < len(starts) else len(data)
        while end > s and data[end - 1] == 0 and i + 1 < len(starts):
            end -= 1
        nal = data[s:end]
        is_sps = (nal[0] & 0x1F) == 7 if codec == "h264" else ((nal[0] >> 1) & 0x3F) == 33
        if is_sps:
            new = h264_sps_with_size(nal, width, height) if codec == "h264" else hevc_sps_with_size(nal, width, height)
            out += data[prev:s] + new
            prev = end
    out += data[prev:]
    return bytes(out)


def y4m_with_size(data: bytes, width: int, height: int) -> bytes:
    """A y4m whose header claims another size (the frames stay as they are)."""
    head, _, rest = data.partition(b"\n")
    head = re.sub(rb" W\d+", b" W%d" % width, head)
    head = re.sub(rb" H\d+", b" H%d" % height, head)
    return head + b"\n" + rest


def stts_lie(data: bytes, count: int = 2**31 - 1) -> bytes:
    """An mp4 whose first stts entry claims ``count`` samples."""
    at = data.find(b"stts")
    if at < 0:
        return data
    out = bytearray(data)
    struct.pack_into(">I", out, at + 12, count)  # after type, version/flags and entry count
    return bytes(out)
