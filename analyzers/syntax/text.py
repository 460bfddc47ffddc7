"""Byte offsets <-> (line, column) in the three position encodings LSP knows.

The engine works in UTF-8 byte offsets only. Front ends convert at the edge: the CLI prints
1-based lines and byte columns (as the go tool does), the language server speaks whatever encoding
it negotiated. Lines end at ``\\r\\n``, ``\\r`` or ``\\n`` (the LSP definition).
"""

from __future__ import annotations

import bisect
from itertools import accumulate
import re

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"

_EOL = re.compile(rb"\r\n|\r|\n")


def _chars(chunk: bytes):
    """(code point, its size in bytes) of each character of a UTF-8 chunk.

    Lone surrogates (which a client can send, kept as surrogatepass bytes) are one character; an
    invalid sequence is one U+FFFD of its length, as decoders (and editors) replace it.
    """
    i, n = 0, len(chunk)
    while i < n:
        window = chunk[i:i + 4096]
        bad = 0
        try:
            text = window.decode("utf-8", "surrogatepass")
            size = len(window)
        except UnicodeDecodeError as exc:
            text = window[:exc.start].decode("utf-8", "surrogatepass")
            if exc.end >= len(window) and i + len(window) < n and exc.start > 0:
                size = exc.start  # a character cut by the window: read it with the next one
            else:
                size, bad = exc.end, exc.end - exc.start
        for ch in text:
            o = ord(ch)
            yield o, 1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4
        if bad:
            yield 0xFFFD, bad
        i += size


def _units(chunk: bytes, encoding: str) -> int:
    """Length of a UTF-8 byte chunk in the code units of ``encoding``."""
    if encoding == UTF8:
        return len(chunk)
    try:
        text = chunk.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:  # invalid bytes: count them as decoders show them
        return sum(2 if encoding == UTF16 and o > 0xFFFF else 1 for o, _ in _chars(chunk))
    if encoding == UTF32:
        return len(text)
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


class LineIndex:
    """Line starts of one text, for converting positions both ways."""

    __slots__ = ("data", "starts")

    def __init__(self, data: bytes):
        self.data = data
        if b"\r" in data:
            self.starts = [0] + [m.end() for m in _EOL.finditer(data)]
        else:  # the common case, ten times faster: line lengths from a split, summed up
            self.starts = [0, *accumulate(map((1).__add__, map(len, data.split(b"\n")[:-1])))]

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def line_end(self, line: int) -> int:
        """Offset of the end of ``line``'s content (before its line break)."""
        if line + 1 < len(self.starts):
            end = self.starts[line + 1]
            while end > self.starts[line] and self.data[end - 1 : end] in (b"\n", b"\r"):
                end -= 1
            return end
        return len(self.data)

    def position(self, offset: int, encoding: str = UTF8) -> tuple[int, int]:
        """0-based (line, column) of a byte offset; column in ``encoding`` code units."""
        offset = max(0, min(offset, len(self.data)))
        line = self.line_of(offset)
        start = self.starts[line]
        return line, _units(self.data[start:offset], encoding)

    def offset(self, line: int, character: int, encoding: str = UTF8) -> int:
        """Byte offset of a 0-based (line, column); out-of-range positions are clamped.

        A column that points inside a character (half a surrogate pair, a UTF-8 continuation
        byte) is moved to the start of that character.
        """
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(self.data)
        start, end = self.starts[line], self.line_end(line)
        if character <= 0:
            return start
        if encoding == UTF8:
            pos = min(start + character, end)
            if pos < end and (self.data[pos] & 0xC0) == 0x80:  # maybe inside a character: move to its start
                at = start
                for _o, size in _chars(self.data[start:end]):
                    if at + size > pos:
                        return at
                    at += size
            return pos
        units = 0
        consumed = 0
        for o, size in _chars(self.data[start:end]):
            width = 2 if encoding == UTF16 and o > 0xFFFF else 1
            if units + width > character:
                break
            units += width
            consumed += size
        return min(start + consumed, end)


def point_of(data: bytes, offset: int) -> tuple[int, int]:
    """tree-sitter point (row, byte column) of an offset; tree-sitter counts rows at ``\\n``."""
    row = data.count(b"\n", 0, offset)
    line_start = data.rfind(b"\n", 0, offset) + 1
    return row, offset - line_start
