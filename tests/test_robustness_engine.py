"""Robustness of the engine, property-tested with hypothesis: incremental edits give the tree and the
findings of a fresh parse and a fresh analysis; positions convert both ways in every encoding as
the LSP specification says (checked against tests/robustness/editmodel.py, which shares no code
with the engine)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gojaguard.analyzers.engine import Engine
from gojaguard.analyzers.syntax.document import Document, sexp
from gojaguard.analyzers.syntax.text import LineIndex, _chars

from fixturelib import FIXTURES
from robustness import editmodel as M

SEED = (FIXTURES / "seed" / "poolexecutor" / "executor.go").read_text(encoding="utf-8")
SMALL = (
    "package demo\n\nimport \"github.com/dop251/goja\"\n\n"
    "// Run 运行 🚀\r\nfunc Run(vm *goja.Runtime) {\n\tv := vm.Get(\"x\")\n\tgo func() { _ = v.String() }()\r\tvm.Set(\"y\", 1)\n}\n"
)
SCALE = float(os.environ.get("GOJAGUARD_FUZZ_SCALE", "1"))  # the campaign runs these with more examples


def examples(n: int) -> int:
    return max(1, int(n * SCALE))


FAST = settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

unicode_text = st.lists(st.one_of(
    st.sampled_from(list("ab {}()\t\"`/*;\n\r") + ["\r\n", "中", "🚀", "👍🏽", "e\u0301", "\u200d", "\x00", "\u2028", "\U0010ffff", "\ufffd"]),
    st.characters(blacklist_categories=("Cs",)),
), max_size=40).map("".join)


def findings(result, path):
    return sorted((f.rule, f.start, f.end, f.message) for f in result.files[path].findings)


@FAST
@given(base=st.sampled_from([SEED, SMALL, ""]), batches=M.batches, encoding=st.sampled_from(M.ENCODINGS))
def test_edits_through_positions_equal_a_fresh_parse_and_analysis(base, batches, encoding):
    """What the server does with each didChange, without the server: positions -> offsets -> apply_edit."""
    doc = Document(base, "e.go")
    engine = Engine()
    engine.analyze_package({"e.go": doc}, "p")
    text = base
    for batch in batches:
        for e in batch:
            start, end, new = M.concrete(text, e, encoding)
            li = doc.line_index
            a = li.offset(*start, encoding)
            b = li.offset(*end, encoding)
            doc.apply_edit(a, max(a, b), new.encode("utf-8"))
            text = M.apply(text, start, end, new, encoding)
            assert doc.source == text.encode("utf-8")
        assert sexp(doc.tree.root_node) == sexp(Document(text).tree.root_node)
        incremental = engine.analyze_package({"e.go": doc}, "p")
        fresh = Engine().analyze_package({"e.go": Document(text, "e.go")}, "p")
        assert findings(incremental, "e.go") == findings(fresh, "e.go")
        assert not incremental.errors, incremental.errors


@FAST
@given(base=st.binary(max_size=300), edits=st.lists(st.tuples(st.integers(0, 400), st.integers(0, 8), st.binary(max_size=8)), max_size=30))
def test_byte_edits_anywhere_equal_a_fresh_parse(base, edits):
    """apply_edit on raw bytes (invalid UTF-8, NULs, edits inside multi-byte characters)."""
    base = b'package p\nimport "github.com/dop251/goja"\n' + base
    doc = Document(base)
    data = base
    for at, length, new in edits:
        a = at % (len(data) + 1)
        b = min(len(data), a + length)
        doc.apply_edit(a, b, new)
        data = data[:a] + new + data[b:]
    assert doc.source == data
    assert sexp(doc.tree.root_node) == sexp(Document(data).tree.root_node)
    Engine().analyze_package({"h.go": doc}, "h")  # never raises


@settings(max_examples=examples(150), deadline=None)
@given(text=unicode_text, encoding=st.sampled_from(M.ENCODINGS))
def test_line_index_agrees_with_the_specification(text, encoding):
    data = text.encode("utf-8")
    li = LineIndex(data)
    for i in range(len(text) + 1):
        if text[i - 1:i + 1] == "\r\n" and i > 0:
            continue  # between \r and \n: not a position
        off = len(text[:i].encode("utf-8"))
        expected = M.position(text, i, encoding)
        assert li.position(off, encoding) == expected
        assert li.offset(*expected, encoding) == off  # round trip
    nlines = len(M.lines(text))
    for line in range(nlines + 2):
        for col in range(0, 12):
            assert li.offset(line, col, encoding) == len(text[:M.to_index(text, line, col, encoding)].encode("utf-8"))
    assert li.offset(10**9, 10**9, encoding) == len(data)
    assert li.offset(-1, -5, encoding) == 0


@settings(max_examples=examples(100), deadline=None)
@given(data=st.binary(max_size=200), offsets=st.lists(st.integers(-5, 250), max_size=20),
       encoding=st.sampled_from(M.ENCODINGS))
def test_line_index_on_invalid_utf8_never_raises_and_stays_in_range(data, offsets, encoding):
    li = LineIndex(data)
    boundary = 0
    for _cp, size in _chars(data):  # every character boundary round-trips (an invalid sequence is one character)
        if data[boundary - 1:boundary + 1] != b"\r\n" or boundary == 0:
            assert li.offset(*li.position(boundary, encoding), encoding) == boundary
        boundary += size
    assert boundary == len(data)
    for off in offsets:
        line, col = li.position(off, encoding)
        assert 0 <= line < li.line_count and col >= 0
        back = li.offset(line, col, encoding)
        assert 0 <= back <= len(data)
        assert li.offset(line, col + 10**6, encoding) <= len(data)


def test_error_recovery_does_not_depend_on_the_edit_history():
    """Found by the property test above: tree-sitter's error recovery gave an incremental parse of this
    text another tree than a fresh parse (an ERROR around `make(...).` instead of a selector); the
    document now parses afresh when the incremental result has errors."""
    lines = SEED.encode().split(b"\n")[5:]
    lines[66] = b"=\r" + lines[66]
    text = b"\n".join(lines)
    doc = Document(text)
    at = doc.line_index.line_end(78)
    assert text[:at].endswith(b"errorChan := make(chan error, 1)")
    doc.apply_edit(at, at, b".")
    assert sexp(doc.tree.root_node) == sexp(Document(doc.source).tree.root_node)


def test_an_edit_to_the_imports_reanalyses_the_declarations_that_read_them():
    """Found by the sync property test: typing after `"time"` in the import block broke the import,
    but the incremental path kept the facts that still saw time.AfterFunc (stale GJ201)."""
    src = (FIXTURES / "cases" / "unicode" / "unicode.go").read_bytes()
    engine = Engine()
    doc = Document(src, "u.go")
    assert len(engine.analyze_package({"u.go": doc}, "u").files["u.go"].findings) == 2
    at = src.index(b'"time"') + len(b'"time"')
    doc.apply_edit(at, at, b"go ")
    incremental = engine.analyze_package({"u.go": doc}, "u")
    fresh = Engine().analyze_package({"u.go": Document(doc.source, "u.go")}, "u")
    assert findings(incremental, "u.go") == findings(fresh, "u.go")
    doc.apply_edit(at, at + 3, b"")  # and back
    assert len(engine.analyze_package({"u.go": doc}, "u").files["u.go"].findings) == 2


def test_comments_before_the_package_clause_move_the_imports():
    """The file context (imports, with their offsets) is cached by every byte before the first
    function or type, not only by the import declarations' text."""
    body = b'package p\n\nimport "github.com/dop251/goja"\n\nfunc F(vm *goja.Runtime) {\n\tgo vm.RunString("1")\n\tvm.Set("x", 1)\n}\n'
    engine = Engine()
    for prefix in (b"", b"// one\n", b"/* \xe4\xb8\xad */ // two\n\n"):
        doc = Document(prefix + body, "p.go")
        got = engine.analyze_package({"p.go": doc}, "p")
        fresh = Engine().analyze_package({"p.go": Document(prefix + body, "p.go")}, "p")
        assert findings(got, "p.go") == findings(fresh, "p.go")
        fctx = engine.file_context(doc)
        assert all(prefix + body[:0] == (prefix + body)[:len(prefix)] and (prefix + body)[i.start:i.end] == b'"github.com/dop251/goja"'
                   for i in fctx.imports)
