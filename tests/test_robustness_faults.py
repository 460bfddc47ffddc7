"""Fault isolation: a rule (or the analysis of a declaration) that raises on some input loses only
its own findings for that declaration; the error is logged once with the rule and location; the
CLI reports it and still exits by the findings it has; the server keeps serving."""

from __future__ import annotations

import json
import logging
import sys
import textwrap
from pathlib import Path

import pytest

from gojaguard.analyzers import engine as E
from gojaguard.analyzers.engine import Engine
from gojaguard.analyzers.rules import gj101_value_escapes_goroutine as gj101
from gojaguard.analyzers.rules import gj201_runtime_used_off_owner as gj201
from gojaguard.analyzers.syntax.document import Document
from gojaguard.server.cli import main

from robustness.rawlsp import RawServer

SRC = b'''package p

import "github.com/dop251/goja"

func Good(vm *goja.Runtime) {
	go vm.RunString("1")
	vm.Set("x", 1)
}

func Bad(vm *goja.Runtime) {
	go vm.RunString("2")
	vm.Set("y", 2)
	v := vm.Get("x")
	go func() { _ = v.String() }()
	vm.Set("z", 3)
}
'''
BAD_LINE = 10  # where func Bad starts


def lines_of(result, path="p.go"):
    return sorted((SRC[:f.start].count(b"\n") + 1, f.rule) for f in result.files[path].findings)


def raising_on_bad(check, exc=ValueError("boom on Bad")):
    """A rule check that raises whenever the view holds the declaration Bad."""
    def check_(pkg):
        if any(d.facts.name == "Bad" for d in pkg.decls):
            raise exc
        yield from check(pkg)
    return check_


def test_baseline():
    assert lines_of(Engine().analyze_package({"p.go": Document(SRC, "p.go")}, "p")) == [(6, "GJ201"), (11, "GJ201"), (14, "GJ101")]


@pytest.mark.parametrize("exc", [ValueError("boom on Bad"), RecursionError("maximum recursion depth exceeded"), KeyError("k")])
def test_a_failing_rule_loses_only_its_findings_for_that_declaration(monkeypatch, caplog, exc):
    monkeypatch.setattr(gj201, "check", raising_on_bad(gj201.check, exc))
    engine = Engine()
    with caplog.at_level(logging.ERROR, logger="gojaguard"):
        for _ in range(3):  # re-analyses (a server does one per keystroke) log nothing new
            doc = Document(SRC, "p.go")
            result = engine.analyze_package({"p.go": doc}, "p")
            # GJ201 keeps Good's finding, loses Bad's; GJ101 (another rule) keeps Bad's
            assert lines_of(result) == [(6, "GJ201"), (14, "GJ101")]
            assert result.errors == [f"p.go:{BAD_LINE}: rule GJ201 failed on Bad: {exc!r}"]
    records = [r for r in caplog.records if "GJ201" in r.getMessage()]
    assert len(records) == 1, [r.getMessage() for r in caplog.records]
    assert f"p.go:{BAD_LINE}" in records[0].getMessage() and "rule GJ201" in records[0].getMessage()


def test_a_rule_failing_only_on_the_whole_package_keeps_what_each_declaration_gives(monkeypatch):
    real = gj201.check

    def check_(pkg):
        if len(pkg.decls) > 1:
            raise RuntimeError("only together")
        yield from real(pkg)

    monkeypatch.setattr(gj201, "check", check_)
    result = Engine().analyze_package({"p.go": Document(SRC, "p.go")}, "p")
    assert lines_of(result) == [(6, "GJ201"), (11, "GJ201"), (14, "GJ101")]
    assert result.errors == ["p.go: rule GJ201 failed on the package as a whole: RuntimeError('only together')"]


def test_a_failing_declaration_analysis_loses_only_that_declaration(monkeypatch, caplog):
    real = E.analyze_declaration

    def analyze(node, *args, **kwargs):
        if b"func Bad" in node.text:
            raise ZeroDivisionError("in the walker")
        return real(node, *args, **kwargs)

    monkeypatch.setattr(E, "analyze_declaration", analyze)
    engine = Engine()
    with caplog.at_level(logging.ERROR, logger="gojaguard"):
        for _ in range(2):
            result = engine.analyze_package({"p.go": Document(SRC, "p.go")}, "p")
            assert lines_of(result) == [(6, "GJ201")]
            assert result.errors == [f"p.go:{BAD_LINE}: analysing Bad: ZeroDivisionError('in the walker')"]
    assert len([r for r in caplog.records if "analysing Bad" in r.getMessage()]) == 1


def test_a_failing_shape_loses_only_that_declaration(monkeypatch):
    real = E.shape_of

    def shape(node, *args, **kwargs):
        if b"func Bad" in node.text:
            raise IndexError("in the shapes")
        return real(node, *args, **kwargs)

    monkeypatch.setattr(E, "shape_of", shape)
    result = Engine().analyze_package({"p.go": Document(SRC, "p.go")}, "p")
    assert (6, "GJ201") in lines_of(result)
    assert f"p.go:{BAD_LINE}: reading Bad: IndexError('in the shapes')" in result.errors


def _check_json(path: Path, capsys, *extra) -> tuple[int, dict, str]:
    code = main(["check", "--jobs", "1", "--format", "json", *extra, str(path)])
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err


def test_the_cli_reports_the_failure_and_exits_by_the_findings_it_has(monkeypatch, capsys, tmp_path: Path):
    (tmp_path / "p.go").write_bytes(SRC)
    monkeypatch.setattr(gj201, "check", raising_on_bad(gj201.check))
    code, report, _ = _check_json(tmp_path, capsys)
    assert code == 1  # Good's GJ201 and Bad's GJ101 are still errors / warnings
    assert sorted((f["line"], f["rule"]) for f in report["findings"]) == [(6, "GJ201"), (14, "GJ101")]
    assert report["problems"] == [f"{tmp_path / 'p.go'}:{BAD_LINE}: rule GJ201 failed on Bad: ValueError('boom on Bad')"]
    # only Bad's findings exist and both its rules fail: nothing left at or above warning, exit 0
    (tmp_path / "p.go").write_bytes(SRC.replace(b"func Good(vm *goja.Runtime) {\n\tgo vm.RunString(\"1\")\n", b"func Good(vm *goja.Runtime) {\n"))
    monkeypatch.setattr(gj101, "check", raising_on_bad(gj101.check))
    code, report, _ = _check_json(tmp_path, capsys)
    assert code == 0 and report["findings"] == []
    assert len(report["problems"]) == 2 and all("failed on Bad" in p for p in report["problems"])
    main(["check", "--jobs", "1", str(tmp_path)])
    text = capsys.readouterr().out
    assert f"gojaguard: {tmp_path / 'p.go'}:{BAD_LINE - 1}: rule GJ101 failed on Bad" in text  # a line less above it


DRIVER = textwrap.dedent('''
    import sys
    from gojaguard.analyzers.rules import gj201_runtime_used_off_owner as gj201
    real = gj201.check
    def check(pkg):
        if any(d.facts.name == "Bad" for d in pkg.decls):
            raise ValueError("boom on Bad")
        yield from real(pkg)
    gj201.check = check
    from gojaguard.server.cli import main
    sys.exit(main(["serve"]))
''')


def test_the_server_keeps_serving_and_tells_the_failure_once(tmp_path: Path):
    s = RawServer([sys.executable, "-c", DRIVER])
    try:
        s.initialize(tmp_path)
        uri = (tmp_path / "p.go").as_uri()
        s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "go", "version": 1, "text": SRC.decode()}})
        diags = s.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri)
        assert sorted((d["range"]["start"]["line"] + 1, d["code"]) for d in diags["params"]["diagnostics"]) == [(6, "GJ201"), (14, "GJ101")]
        for v in range(2, 6):  # keystrokes: the same failure is not told again
            s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": v}, "contentChanges": [
                {"range": {"start": {"line": 16, "character": 0}, "end": {"line": 16, "character": 0}}, "text": "\n"}]})
        assert s.call("gojaguard/debugDocument", {"uri": uri, "tree": False})["result"]["version"] == 5
        told = [m for m in s.seen + list(s.messages.queue)
                if m.get("method") == "window/logMessage" and "rule GJ201 failed on Bad" in m["params"]["message"]]
        assert len(told) == 1 and f"p.go:{BAD_LINE}:" in told[0]["params"]["message"]
        assert s.shutdown_and_exit() == 0
        log = b"".join(s.stderr).decode()
        assert log.count("rule GJ201 failed on Bad") == 2  # the engine's error (with its traceback) and the client log
    finally:
        s.kill()
