"""The engine's contracts: incremental parsing equals a fresh parse; a keystroke re-analyses one
declaration; bad input never raises."""

from __future__ import annotations

import random

from gojaguard.analyzers.engine import Engine
from gojaguard.analyzers.syntax.document import Document
from gojaguard.analyzers.syntax.text import LineIndex

from fixturelib import FIXTURES

SRC = (FIXTURES / "seed" / "poolexecutor" / "executor.go").read_bytes()


def sexp(doc: Document) -> str:
    return str(doc.tree.root_node)


def test_apply_edit_equals_fresh_parse():
    rng = random.Random(7)
    doc = Document(SRC)
    text = SRC
    for _ in range(200):
        a = rng.randrange(len(text) + 1)
        b = min(len(text), a + rng.randrange(6))
        new = rng.choice([b"", b"x", b"\n", b"go ", "é中🚀".encode(), b"}", b"\r\n"])
        doc.apply_edit(a, b, new)
        text = text[:a] + new + text[b:]
        assert doc.source == text
    assert sexp(doc) == sexp(Document(text))


def test_keystroke_reanalyses_one_declaration():
    engine = Engine()
    path = "executor.go"
    doc = Document(SRC, path)
    engine.analyze_package({path: doc}, "p")
    engine.stats.update(facts_hits=0, facts_misses=0)
    at = SRC.index(b"return result, nil")  # inside ExecuteWithRuntimePool only
    doc.apply_edit(at, at, b"_ = 1; ")
    result = engine.analyze_package({path: doc}, "p")
    assert engine.stats["facts_misses"] == 1  # the edited declaration, and nothing else
    assert result.stats["rounds"] == 0  # its summary did not change: no fixpoint round was needed
    assert {f.rule for f in result.files[path].findings} == {"GJ203", "GJ204"}
    # an edit that changes what callers see (cleanupRuntime stops resetting the global) does
    # make the package go round again
    at = SRC.index(b'_ = runtime.Set("input", goja.Undefined())')
    doc.apply_edit(at, at + len(b'_ = runtime.Set("input", goja.Undefined())'), b"_ = 1")
    result = engine.analyze_package({path: doc}, "p")
    assert result.stats["rounds"] >= 1


def test_lines_shifting_keeps_the_cache_and_moves_findings():
    engine = Engine()
    doc = Document(SRC, "x.go")
    before = engine.analyze_package({"x.go": doc}, "p").files["x.go"].findings
    doc.apply_edit(0, 0, "// 🚀 新的一行\n".encode())
    engine.stats.update(facts_hits=0, facts_misses=0)
    after = engine.analyze_package({"x.go": doc}, "p").files["x.go"].findings
    assert engine.stats["facts_misses"] == 0
    shift = len("// 🚀 新的一行\n".encode())
    assert [(f.rule, f.start + shift) for f in before] == [(f.rule, f.start) for f in after]


def test_hostile_inputs_do_not_raise():
    engine = Engine()
    inputs = [
        b"", b"\xff\xfe\x00garbage", b"package x\nimport \"github.com/dop251/goja\"\nfunc f( {",
        b"package x\nimport \"github.com/dop251/goja\"\n" + b"{" * 5000,
        b"package x\nimport \"github.com/dop251/goja\"\nvar s = \"unterminated\n/* open comment",
        bytes(range(256)) * 4,
    ]
    for src in inputs:
        result = engine.analyze_package({"h.go": Document(src, "h.go")}, "h")
        assert result.files["h.go"] is not None


def test_line_index_round_trips_in_every_encoding():
    text = "a🚀b\r\n中文é\rlast 👍🏽".encode()
    li = LineIndex(text)
    for enc in ("utf-8", "utf-16", "utf-32"):
        for off in range(len(text) + 1):
            if off < len(text) and (text[off] & 0xC0) == 0x80:
                continue  # not a character boundary
            if text[off - 1 : off + 1] == b"\r\n":
                continue  # inside a line break
            line, col = li.position(off, enc)
            assert li.offset(line, col, enc) == off, (enc, off)


def test_hover_on_an_insufficient_mutex_lists_each_lock_site_once():
    """The seed's abort reachable from a timer: the mutex guards the slice, not the runtime. Its
    Lock is reached from JS and from the timer; the hover lists the site once."""
    from gojaguard.analyzers.hover import hover_at

    path = FIXTURES / "seed" / "aborttimer" / "aborttimer.go"
    doc = Document(path.read_bytes(), str(path))
    result = Engine().analyze_package({str(path): doc})
    hover = hover_at(result, str(path), doc.source.index(b"listenersMutex.Lock()"))
    assert hover is not None
    text = hover.markdown
    assert "insufficient" in text
    sites = [line for line in text.splitlines() if line.startswith("- line ") and ("`Lock`" in line or "`Unlock`" in line)]
    assert sites and len(sites) == len(set(sites)), sites


def test_loop_escape_messages_say_what_left_and_how():
    path = FIXTURES / "rules" / "gj401" / "positive.go"
    doc = Document(path.read_bytes(), str(path))
    result = Engine().analyze_package({str(path): doc})
    messages = sorted(f.message for f in result.files[str(path)].findings if f.rule == "GJ401")
    assert messages[0].startswith("a Value of the event loop's runtime leaves its callback here (`out <- v`)")
    assert "is received from out outside the loop" in messages[0]
    assert messages[1].startswith("the event loop's runtime leaves its callback here (`rt = vm`) and rt is used outside")
