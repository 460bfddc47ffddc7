"""A client's model of a text document, written from the LSP specification alone (it shares no code
with the server): lines end at ``\\r\\n``, ``\\r`` or ``\\n``; a position's character counts code
units of the negotiated encoding; a character past the end of its line means the end of the line;
a line past the last means the end of the document.

Also the hypothesis strategies for edits: an edit is drawn abstractly (numbers and a fragment) and
made concrete against the current text, so that hypothesis can shrink a failing sequence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hypothesis import strategies as st

ENCODINGS = ("utf-8", "utf-16", "utf-32")
_EOL = re.compile(r"\r\n|\r|\n")


def units(s: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(s.encode("utf-8", "surrogatepass"))
    if encoding == "utf-16":
        return len(s.encode("utf-16-le", "surrogatepass")) // 2
    return len(s)


def lines(text: str) -> list[tuple[int, int]]:
    """(start, end of content) of each line, as str indices."""
    out = []
    start = 0
    for m in _EOL.finditer(text):
        out.append((start, m.start()))
        start = m.end()
    out.append((start, len(text)))
    return out


def to_index(text: str, line: int, character: int, encoding: str) -> int:
    spans = lines(text)
    if line >= len(spans):
        return len(text)
    start, end = spans[line]
    used = 0
    i = start
    while i < end:
        w = units(text[i], encoding)
        if used + w > character:
            break
        used += w
        i += 1
    return i


def position(text: str, index: int, encoding: str) -> tuple[int, int]:
    spans = lines(text)
    for n, (start, end) in enumerate(spans):
        nxt = spans[n + 1][0] if n + 1 < len(spans) else len(text) + 1
        if index < nxt:
            return n, units(text[start:min(index, end)], encoding)
    return len(spans) - 1, units(text[spans[-1][0]:], encoding)


def apply(text: str, start: tuple[int, int], end: tuple[int, int], new: str, encoding: str) -> str:
    a = to_index(text, *start, encoding)
    b = to_index(text, *end, encoding)
    return text[:a] + new + text[max(a, b):]


# -- edits -------------------------------------------------------------------------------------------

FRAGMENTS = [
    "", "x", " ", "\t", "\n", "\r\n", "\r", "\n\n", "\r\r\n",
    "go ", "go func() {", "}", "}()", "{", "(", ")", "\"", "`", "'", "/*", "*/", "// ", ";",
    "vm.Get(\"x\")", "v.String()", "vm.Set(\"y\", 1)", "vm.RunString(src)", "wg.Wait()", "mu.Lock()",
    "pool.Put(vm)", "vm := goja.New()", "func F(vm *goja.Runtime) {\n", "package p\n",
    "中文", "运行时", "🚀", "👍🏽", "👨‍👩‍👧", "🇫🇷", "é", "e\u0301", "a\u0308\u0323", "\u200d", "\ufeff", "\u00a0",
    "𝔘𝔫𝔦", "\U0010ffff", "\x00", "\x7f", "\u2028", "\u0085",
]

_alphabet = st.sampled_from(list("ab{}()\"`/*\n\r\t ;:=.") + ["中", "🚀", "é", "\u0301", "👍", "\x00", "\u2028"])
fragment = st.one_of(st.sampled_from(FRAGMENTS), st.text(_alphabet, max_size=12))


@dataclass(frozen=True)
class AbstractEdit:
    line: int
    col: int
    span_lines: int
    end_col: int
    text: str
    past_end: bool  # let the start character run past the end of its line (the spec clamps it)


edits = st.builds(
    AbstractEdit,
    line=st.integers(0, 1 << 16), col=st.integers(0, 1 << 16), span_lines=st.sampled_from([0, 0, 0, 1, 1, 2, 5]),
    end_col=st.integers(0, 1 << 16), text=fragment, past_end=st.just(False),
)
edits_past_end = st.builds(
    AbstractEdit,
    line=st.integers(0, 1 << 16), col=st.integers(0, 1 << 16), span_lines=st.sampled_from([0, 1, 3]),
    end_col=st.integers(0, 1 << 16), text=fragment, past_end=st.just(True),
)
any_edit = st.one_of(edits, edits, edits, edits_past_end)
batches = st.lists(st.lists(any_edit, min_size=1, max_size=5), min_size=1, max_size=8)


def concrete(text: str, e: AbstractEdit, encoding: str) -> tuple[tuple[int, int], tuple[int, int], str]:
    """The LSP range (start, end positions) and new text of an abstract edit on ``text``."""
    spans = lines(text)
    l1 = e.line % len(spans)
    s1, t1 = spans[l1]
    k1 = s1 + e.col % (t1 - s1 + 1)
    l2 = min(len(spans) - 1, l1 + e.span_lines)
    s2, t2 = spans[l2]
    k2 = s2 + e.end_col % (t2 - s2 + 1)
    if k2 < k1:
        k1, k2 = k2, k1
        l1, l2 = l2, l1
    start = position(text, k1, encoding)
    end = position(text, k2, encoding)
    if e.past_end:  # an insertion at the end of line l1, its character past the end (the spec clamps it)
        line = e.line % len(spans)
        s, t = spans[line]
        start = end = (line, units(text[s:t], encoding) + 1 + e.col % 7)
    return start, end, e.text


def valid_text(text: str) -> str:
    """Text a client can hold (no lone surrogates)."""
    return text.encode("utf-8", "replace").decode("utf-8")
