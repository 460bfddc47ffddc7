"""Security: the engine never executes, imports or builds the code it reads; the configuration is
TOML data only; nothing is sent over the network. Proven by running the CLI and the server under a
Python audit hook (tests/robustness/audited.py) on a tree planted with everything a build would
run (go:generate, cgo, init, a go.mod asking for a toolchain, Python files, a conftest), by
watching the server's sockets in /proc, and by monkeypatching socket for in-process runs."""

from __future__ import annotations

import json
import os
import re
import socket
import sys
import time
from pathlib import Path

import pytest

from gojaguard.analyzers import config as C
from gojaguard.server.check import check_paths

from robustness import procinfo
from robustness.rawlsp import RawServer

ROOT = Path(__file__).parent.parent
AUDITED = Path(__file__).parent / "robustness" / "audited.py"
MARKER = "GOJAGUARD-AUDIT-MARKER"
UNROUTABLE = {"http_proxy": "http://10.255.255.1:9", "https_proxy": "http://10.255.255.1:9", "all_proxy": "socks5://10.255.255.1:9",
              "HTTP_PROXY": "http://10.255.255.1:9", "HTTPS_PROXY": "http://10.255.255.1:9", "no_proxy": "", "GOPROXY": "http://10.255.255.1:9",
              "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "go1.99.0+auto"}


def planted_tree(root: Path) -> Path:
    """A Go module holding everything that would run if someone built, generated or tested it."""
    root.mkdir(parents=True)
    (root / "go.mod").write_text("module example.com/evil\n\ngo 1.22\n\ntoolchain go1.99.0\n\n"
                                 "require github.com/dop251/goja v0.0.0\n\nreplace github.com/dop251/goja => ../../etc\n")
    (root / "tools.go").write_text(
        f'//go:build tools\n\n//go:generate sh -c "touch {root}/generated-{MARKER}"\npackage evil\n\n'
        'import "github.com/dop251/goja"\n\n'
        f'func init() {{ panic("{MARKER} init must never run") }}\n\n'
        'func F(vm *goja.Runtime) {\n\tgo vm.RunString("1")\n\tvm.Set("x", 1)\n}\n')
    (root / "cgo.go").write_text(
        f'package evil\n\n/*\n#cgo LDFLAGS: -Wl,--version-script=/dev/null\n#include <stdio.h>\n'
        f'static void f() {{ system("touch {root}/cgo-{MARKER}"); }}\n*/\nimport "C"\n\n'
        'import "github.com/dop251/goja"\n\nfunc G(vm *goja.Runtime) { C.f(); vm.Set("y", 2) }\n')
    (root / "evil_test.go").write_text(f'package evil\n\nimport "testing"\n\nfunc TestX(t *testing.T) {{ t.Log("{MARKER}") }}\n')
    (root / "conftest.py").write_text(f"open('{root}/conftest-{MARKER}', 'w').write('ran')\n")
    (root / "gojaguard.py").write_text(f"open('{root}/shadow-{MARKER}', 'w').write('ran')\n")
    (root / "json.py").write_text(f"open('{root}/json-{MARKER}', 'w').write('ran')\n")
    sub = root / "sub"
    sub.mkdir()
    (sub / "x.go").write_text(f'package sub\n\n// {MARKER}: eval(open("/etc/passwd").read())\n'
                              'import "github.com/dop251/goja"\n\nvar vm = goja.New()\n\nfunc H() { go vm.RunString("1") }\n')
    (root / "Makefile").write_text(f"all:\n\ttouch {root}/make-{MARKER}\n")
    return root


def audit(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def no_marker_files(root: Path) -> None:
    assert not [p for p in root.rglob(f"*{MARKER}*")], "something the tree asked for has run"


def test_check_never_runs_imports_or_builds_the_code_and_never_touches_the_network(tmp_path: Path):
    tree = planted_tree(tmp_path / "tree")
    log = tmp_path / "audit.jsonl"
    import subprocess

    env = {**os.environ, **UNROUTABLE, "GOJAGUARD_AUDIT_MARKER": MARKER}
    for jobs in ("1", "2"):
        p = subprocess.run([sys.executable, str(AUDITED), str(log), str(tree), "--", "check", "--format", "json", "--jobs", jobs, str(tree)],
                           capture_output=True, text=True, timeout=120, cwd=str(tree), env=env)
        assert p.returncode == 1, p.stderr
        report = json.loads(p.stdout)
        assert {f["rule"] for f in report["findings"]} >= {"GJ201"} and report["stats"]["files_analysed"] == 4  # it read them all
    events = audit(log)
    assert events == [], events
    no_marker_files(tree)


def test_the_server_never_runs_the_code_and_opens_no_network_socket(tmp_path: Path):
    tree = planted_tree(tmp_path / "tree")
    log = tmp_path / "audit.jsonl"
    env = {**os.environ, **UNROUTABLE, "GOJAGUARD_AUDIT_MARKER": MARKER}
    s = RawServer([sys.executable, str(AUDITED), str(log), str(tree), "--", "serve"], env=env, cwd=str(tree))
    try:
        s.initialize(tree, capabilities={"window": {"workDoneProgress": True}, "workspace": {"configuration": True},
                                         "textDocument": {"diagnostic": {}}})
        s.wait_for(lambda m: m.get("method") == "$/progress" and m["params"]["value"].get("kind") == "end", timeout=60)
        uri = (tree / "tools.go").as_uri()
        s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "go", "version": 1, "text": (tree / "tools.go").read_text()}})
        report = s.call("textDocument/diagnostic", {"textDocument": {"uri": uri}})["result"]
        assert [d["code"] for d in report["items"]] == ["GJ201"]
        for line in range(12):
            s.call("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": line, "character": 8}})
        s.call("workspace/executeCommand", {"command": "gojaguard.explain", "arguments": ["GJ201"]})
        s.call("workspace/executeCommand", {"command": "gojaguard.reindex", "arguments": []})
        s.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": (tree / "cgo.go").as_uri(), "type": 2}]})
        s.call("workspace/diagnostic", {"previousResultIds": []})
        time.sleep(0.5)
        # the process' own sockets: only AF_UNIX ones (asyncio's self-pipe), no TCP/UDP at all
        assert procinfo.inet_sockets(s.pid) == []
        for child in procinfo.children(s.pid):
            assert procinfo.inet_sockets(child) == []
        assert s.shutdown_and_exit() == 0
    finally:
        s.kill()
    events = audit(log)
    assert events == [], events
    no_marker_files(tree)


def test_in_process_engine_and_check_make_no_connection(tmp_path: Path, monkeypatch):
    tree = planted_tree(tmp_path / "tree")
    attempts = []

    def refuse(name):
        def f(*args, **kwargs):
            attempts.append((name, args[1:] if args else ()))
            raise OSError(f"network access by the engine: {name}")
        return f

    for name in ("connect", "connect_ex", "bind", "sendto"):
        monkeypatch.setattr(socket.socket, name, refuse(f"socket.{name}"))
    for name in ("create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex"):
        monkeypatch.setattr(socket, name, refuse(name))
    report = check_paths([str(tree)], None, jobs=1)
    assert {i.rule for i in report.items} >= {"GJ201"}
    assert attempts == []
    no_marker_files(tree)


CODE_IN_CONFIG = [
    'engine-paths = ["__import__(\'os\').system(\'touch {marker}\')"]\n',
    'exclude = ["$(touch {marker})", "`touch {marker}`", "; touch {marker}"]\n',
    'owner-functions = ["os.system(\'touch {marker}\')"]\nfile-time-budget = 1\n',
]
NOT_DATA = [
    ('[rules]\nGJ201 = "__import__(\'os\').system(\'touch {marker}\')"\n', "rule `GJ201` must be one of"),
    ('python = "import os; os.system(\'touch {marker}\')"\n', "unknown key `python`"),
    ('file-time-budget = "__import__(\'os\')"\n', "`file-time-budget` must be a number"),
    ('!!python/object/apply:os.system ["touch {marker}"]\n', "invalid TOML"),
    ('engine-paths = [{{ eval = "touch {marker}" }}]\n', "`engine-paths` must be a list of strings"),
]


@pytest.mark.parametrize("text", CODE_IN_CONFIG)
def test_a_config_is_data_strings_of_code_stay_strings(tmp_path: Path, text: str):
    marker = tmp_path / f"config-{MARKER}"
    cfg = tmp_path / ".gojaguard.toml"
    cfg.write_text(text.format(marker=marker))
    config = C.load(cfg)
    values = [*config.engine.engine_paths, *config.exclude, *config.engine.owner_functions]
    assert any(str(marker) in v for v in values)  # kept as the strings they are
    assert not marker.exists()


@pytest.mark.parametrize("text,error", NOT_DATA)
def test_a_config_that_is_not_data_is_an_error(tmp_path: Path, text: str, error: str, capsys):
    marker = tmp_path / f"config-{MARKER}"
    cfg = tmp_path / ".gojaguard.toml"
    cfg.write_text(text.format(marker=marker))
    with pytest.raises(C.ConfigError, match=re.escape(error)):
        C.load(cfg)
    from gojaguard.server.cli import main

    (tmp_path / "a.go").write_text('package a\n\nimport "github.com/dop251/goja"\n\nvar vm = goja.New()\n')
    assert main(["check", str(tmp_path)]) == 2
    assert "config error" in capsys.readouterr().err
    assert not marker.exists()


def test_the_sources_use_no_code_execution_or_network_facility():
    """A static backstop for the audits above: the engine and front ends do not even import the
    modules that would run code or reach the network (the budget's ctypes call is the one use of
    ctypes: it raises an exception in a thread, nothing else)."""
    pattern = re.compile(r"^\s*(import|from)\s+(subprocess|socket|urllib|http|ftplib|smtplib|pickle|marshal|shelve|"
                         r"importlib|runpy|code|webbrowser|requests|yaml)\b|(?<![\w.])(eval|exec|compile|__import__)\(|os\.(system|popen|exec\w*|spawn\w*)\(",
                         re.M)
    offenders = []
    for base in ("analyzers", "server", "gojaguard"):
        for path in (ROOT / base).rglob("*.py"):
            for m in pattern.finditer(path.read_text(encoding="utf-8")):
                offenders.append(f"{path.relative_to(ROOT)}: {m.group(0).strip()}")
    assert offenders == []
