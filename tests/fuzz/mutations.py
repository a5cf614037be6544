"""A seeded mutator of real input files: what a damaged download, a wrong export or a hand edit does.

Every mutation is a plain function of a ``random.Random`` and the bytes, so a case is replayed
from its seed alone. Text mutations work on lines and cells (huge numbers, NaN, control
characters, swapped columns, another encoding); byte mutations (truncation, bit flips, inserted
bytes) fit binary formats as well.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

Mutation = Callable[[random.Random, bytes], bytes]

NUMBER = re.compile(rb"-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?")
ODD_NUMBERS = [
    b"NaN", b"nan", b"inf", b"-inf", b"1e308", b"1e400", b"-1e999", b"99999999999999999999999",
    b"0", b"-0", b"99", b"99.0", b"-99", b"", b"1,5", b"0x1F", b"1e-320", b"--1",
]  # fmt: skip
CONTROL = [b"\x00", b"\x1b]52;c;aGk=\x07", b"\x07", b"\r", b"\t", b"\n", b"\x0b", b"\x1b[2J", b'"', b"\x85"]


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def flip_bits(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return data
    mutable = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        mutable[rng.randrange(len(mutable))] ^= 1 << rng.randrange(8)
    return bytes(mutable)


def insert_bytes(rng: random.Random, data: bytes) -> bytes:
    position = rng.randrange(len(data) + 1)
    inserted = rng.choice([rng.randbytes(rng.randint(1, 16)), rng.choice(CONTROL), b"\xff\xfe\xc3("])
    return data[:position] + inserted + data[position:]


def repeat_chunk(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return data
    start = rng.randrange(len(data))
    end = min(len(data), start + rng.randint(1, 256))
    return data[:end] + data[start:end] * rng.randint(1, 4) + data[end:]


def odd_number(rng: random.Random, data: bytes) -> bytes:
    """Replace a few numbers with huge, NaN, sentinel, empty or malformed ones."""
    matches = list(NUMBER.finditer(data))
    if not matches:
        return insert_bytes(rng, data)
    for match in sorted(rng.sample(matches, min(len(matches), rng.randint(1, 5))), key=lambda m: -m.start()):
        data = data[: match.start()] + rng.choice(ODD_NUMBERS) + data[match.end() :]
    return data


def control_in_line(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    index = rng.randrange(len(lines))
    position = rng.randrange(len(lines[index]) + 1)
    lines[index] = lines[index][:position] + rng.choice(CONTROL) + lines[index][position:]
    return b"\n".join(lines)


def _separator(line: bytes) -> bytes | None:
    for candidate in (b",", b"\t", b"|"):
        if candidate in line:
            return candidate
    return b" " if b" " in line.strip() else None


def swap_columns(rng: random.Random, data: bytes) -> bytes:
    """Swap two columns on every line that has them (the header too, or only the data)."""
    lines = data.split(b"\n")
    separator = next((s for s in map(_separator, lines) if s is not None), None)
    if separator is None:
        return control_in_line(rng, data)
    width = max(len(line.split(separator)) for line in lines)
    if width < 2:
        return control_in_line(rng, data)
    first, second = rng.sample(range(width), 2)
    keep_header = rng.random() < 0.5
    swapped = []
    for number, line in enumerate(lines):
        cells = line.split(separator)
        if len(cells) > max(first, second) and not (keep_header and number == 0):
            cells[first], cells[second] = cells[second], cells[first]
        swapped.append(separator.join(cells))
    return b"\n".join(swapped)


def shuffle_lines(rng: random.Random, data: bytes) -> bytes:
    """Delete, duplicate or move one line."""
    lines = data.split(b"\n")
    index = rng.randrange(len(lines))
    action = rng.randrange(3)
    if action == 0:
        del lines[index]
    elif action == 1:
        lines.insert(index, lines[index])
    else:
        lines.insert(rng.randrange(len(lines) + 1), lines.pop(index))
    return b"\n".join(lines)


def reencode(rng: random.Random, data: bytes) -> bytes:
    """The same text in another encoding (UTF-16 with a BOM, Latin-1 with an accent, a lone byte)."""
    text = data.decode("utf-8", errors="replace")
    choice = rng.randrange(3)
    if choice == 0:
        return text.encode("utf-16")
    if choice == 1:
        return ("é" + text).encode("latin-1", errors="replace")
    return b"\xff" + data


TEXT_MUTATIONS: list[Mutation] = [
    truncate, flip_bits, insert_bytes, repeat_chunk, odd_number, odd_number, control_in_line,
    swap_columns, swap_columns, shuffle_lines, reencode,
]  # fmt: skip
BINARY_MUTATIONS: list[Mutation] = [truncate, flip_bits, flip_bits, insert_bytes, repeat_chunk, odd_number]


def mutate(rng: random.Random, data: bytes, mutations: list[Mutation]) -> tuple[bytes, list[str]]:
    """One to three mutations of ``data``, and their names (to replay and report a case)."""
    applied = []
    for _ in range(rng.randint(1, 3)):
        mutation = rng.choice(mutations)
        data = mutation(rng, data)
        applied.append(mutation.__name__)
    return data, applied
