"""The CLI (and the server's workspace index) on hostile trees: symlink loops, links leaving the
root (not followed by default), unreadable files (a FIFO, a directory named x.go, a link to
/dev/zero, a broken link, permission denied), non-Go content in .go files, thousands of files:
clear messages, no hang."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gojaguard.analyzers import workspace as W
from gojaguard.server.cli import main

from robustness import hostile
from robustness.rawlsp import RawServer

GOJA = 'package {name}\n\nimport "github.com/dop251/goja"\n\nfunc F(vm *goja.Runtime) {{\n\tgo vm.RunString("1")\n\tvm.Set("x", 1)\n}}\n'


def check(args: list[str], timeout: float = 60) -> tuple[int, dict, str, float]:
    started = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "gojaguard", "check", "--format", "json", *args],
                       capture_output=True, text=True, timeout=timeout)
    elapsed = time.perf_counter() - started
    assert "Traceback" not in p.stderr, p.stderr
    return p.returncode, json.loads(p.stdout) if p.stdout.strip() else {}, p.stderr, elapsed


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    (root / "a").mkdir(parents=True)
    outside.mkdir()
    (root / "a" / "a.go").write_text(GOJA.format(name="a"))
    (outside / "o.go").write_text(GOJA.format(name="o"))
    os.symlink(root, root / "a" / "loop")  # a loop back to the root
    os.symlink(root / "a", root / "a" / "self")  # a loop onto itself
    os.symlink(outside, root / "out")  # a directory outside
    os.symlink(outside / "o.go", root / "a" / "ext.go")  # a file outside (package o in dir a)
    os.symlink(root / "a" / "a.go", root / "a" / "inside.go")  # a file link staying inside: read
    os.symlink(tmp_path / "nowhere.go", root / "a" / "broken.go")
    os.mkfifo(root / "a" / "fifo.go")
    os.symlink("/dev/zero", root / "a" / "zero.go")
    (root / "a" / "dir.go").mkdir()
    (root / "a" / "dir.go" / "d.go").write_text(GOJA.format(name="d"))
    notgo = root / "notgo"
    notgo.mkdir()
    for i, src in enumerate(hostile.not_go()):
        (notgo / f"n{i}.go").write_bytes(src)
    (notgo / "withgoja.go").write_bytes(hostile.HEADER + b"#!/bin/sh\nrm -rf / \x00\xff{{{\n")
    return root


def test_hostile_tree_default(tree: Path):
    code, report, err, elapsed = check([str(tree)])
    assert elapsed < 30
    problems = "\n".join(report["problems"])
    assert f"{tree / 'out'}: a symbolic link out of {tree}" in problems and "not followed" in problems
    assert f"{tree / 'a' / 'ext.go'}: a symbolic link out of {tree}" in problems
    assert f"{tree / 'a' / 'fifo.go'}: cannot read: not a regular file" in problems
    assert f"{tree / 'a' / 'zero.go'}: a symbolic link out of {tree}" in problems  # /dev/zero is outside too
    assert f"{tree / 'a' / 'broken.go'}: a symbolic link out of {tree}" in problems or \
        f"{tree / 'a' / 'broken.go'}: cannot read" in problems
    found = {(Path(f["path"]).name, f["rule"]) for f in report["findings"]}
    assert ("a.go", "GJ201") in found and ("inside.go", "GJ201") in found and ("d.go", "GJ201") in found
    assert not any("o.go" in f["path"] or "outside" in f["path"] for f in report["findings"])
    assert code == 1


def test_hostile_tree_following_links(tree: Path):
    code, report, err, elapsed = check(["--follow-links", str(tree)])
    assert elapsed < 30
    paths = {f["path"] for f in report["findings"]}
    assert any(p.endswith("out/o.go") for p in paths) and any(p.endswith("ext.go") for p in paths)
    problems = "\n".join(report["problems"])
    assert "zero.go: cannot read: not a regular file" in problems and "fifo.go: cannot read: not a regular file" in problems
    assert "broken.go: cannot read" in problems


def test_paths_given_explicitly(tree: Path):
    code, report, err, _ = check([str(tree / "a" / "fifo.go"), str(tree / "a" / "a.go"), str(tree / "a" / "dir.go")])
    assert code == 1 and "fifo.go: cannot read: not a regular file" in "\n".join(report["problems"])
    code, _report, err, _ = check([str(tree / "missing")])
    assert code == 2 and "no such file or directory" in err


def test_permission_denied_is_a_clear_message(tmp_path: Path, monkeypatch, capsys):
    """Running as root, chmod would not stop the read: simulate EACCES."""
    (tmp_path / "a.go").write_text(GOJA.format(name="a"))
    (tmp_path / "b.go").write_text(GOJA.format(name="a"))
    real = os.open

    def deny(path, *args, **kwargs):
        if str(path).endswith("b.go"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(W.os, "open", deny)
    code = main(["check", "--jobs", "1", "--format", "json", str(tmp_path)])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["problems"] == [f"{tmp_path / 'b.go'}: cannot read: Permission denied"]
    assert {Path(f["path"]).name for f in report["findings"]} == {"a.go"}


def test_non_go_content_in_go_files(tree: Path):
    code, report, err, _ = check(["--no-config", str(tree / "notgo")])
    # files that never import goja are skipped unparsed; the one that does is analysed, its syntax errors noted
    assert sorted(Path(e["path"]).name for e in report["syntax_errors"]) == ["n4.go", "withgoja.go"]
    assert code == 0


def test_five_thousand_files(tmp_path: Path):
    n = 5000
    for i in range(n):
        d = tmp_path / f"d{i // 10:03d}"
        d.mkdir(exist_ok=True)
        if i % 50 == 0:
            (d / f"f{i}.go").write_text(GOJA.format(name=f"p{i // 10}"))
        else:
            (d / f"f{i}.go").write_text(f"package p{i // 10}\n\nimport \"fmt\"\n\nfunc F{i}() {{ fmt.Println({i}) }}\n")
    code, report, err, elapsed = check(["--jobs", "2", str(tmp_path)], timeout=120)
    assert report["stats"]["files_scanned"] == n
    assert len(report["findings"]) == n // 50
    print(f"check over {n} files: {elapsed:.1f}s")
    assert elapsed < 60


def test_the_server_indexes_a_hostile_tree_and_stays_alive(tree: Path):
    s = RawServer(cwd=str(tree))
    try:
        s.initialize(tree, capabilities={"window": {"workDoneProgress": True}})
        s.wait_for(lambda m: m.get("method") == "$/progress" and m["params"]["value"].get("kind") == "end", timeout=60)
        pushed = set()
        for m in s.seen:
            if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["diagnostics"]:
                pushed.add(Path(m["params"]["uri"]).name)
        assert "a.go" in pushed and "fifo.go" not in pushed
        r = s.call("textDocument/hover", {"textDocument": {"uri": (tree / "a" / "fifo.go").as_uri()},
                                          "position": {"line": 0, "character": 0}}, timeout=10)
        assert r["result"] is None
        assert s.shutdown_and_exit() == 0
    finally:
        s.kill()
