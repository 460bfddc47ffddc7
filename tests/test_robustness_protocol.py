"""Protocol abuse over the server's real stdio, with a bare JSON-RPC client (tests/robustness/
rawlsp.py): malformed JSON and framing, requests the server cannot read, documents never opened,
positions past the end, stale and repeated versions, didChange before didOpen, unknown methods,
requests before initialize and after shutdown, cancel storms, shutdown during indexing. Every
request gets its answer or its JSON-RPC / LSP error, nothing crashes, the session goes on."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from robustness import editmodel as M
from robustness.rawlsp import RawServer

GO = 'package a\n\nimport "github.com/dop251/goja"\n\nfunc F(vm *goja.Runtime) {\n\tgo vm.RunString("1")\n\tvm.Set("x", 1) // 中文 🚀\n}\n'
PULL_CAPS = {"textDocument": {"diagnostic": {}, "hover": {"contentFormat": ["markdown"]}},
             "workspace": {"diagnostics": {"refreshSupport": False}}, "window": {"workDoneProgress": True}}

PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
NOT_INITIALIZED, REQUEST_CANCELLED = -32002, -32800


def error_code(msg: dict) -> int | None:
    return msg["error"]["code"] if "error" in msg else None


def pos(line, character):
    return {"line": line, "character": character}


def hover(uri, line=0, character=0):
    return {"textDocument": {"uri": uri}, "position": pos(line, character)}


def open_doc(s: RawServer, uri: str, text: str, version: int = 1) -> None:
    s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "go", "version": version, "text": text}})


def text_of(s: RawServer, uri: str):
    r = s.call("gojaguard/debugDocument", {"uri": uri, "tree": False})["result"]
    return None if r is None else (r["text"], r["version"])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("protocol")
    s = RawServer(cwd=str(root))
    s.root = root
    s.initialize(root, capabilities=PULL_CAPS)
    yield s
    try:
        assert s.alive(), b"".join(s.stderr[-40:])
        assert s.shutdown_and_exit() == 0
    finally:
        s.kill()


def assert_alive(s: RawServer) -> None:
    assert s.alive()
    assert s.call("textDocument/hover", hover("file:///never/opened.go"))["result"] is None


def test_malformed_messages_get_json_rpc_errors(server: RawServer):
    s = server
    cases = [
        (b"{not json", None, PARSE_ERROR),
        (b"\xff\xfe\x00\x01", None, PARSE_ERROR),  # not UTF-8 at all
        (b'{"jsonrpc": "2.0", "id": 1, "method": "textDocument/hover", "params": {"textDocument": ', None, PARSE_ERROR),
        (b"[]", None, INVALID_REQUEST),  # LSP has no batches
        (b'[{"jsonrpc": "2.0", "id": 2, "method": "shutdown"}]', None, INVALID_REQUEST),
        (b"42", None, INVALID_REQUEST),
        (b'"a string"', None, INVALID_REQUEST),
        (b'{"jsonrpc": "2.0"}', None, INVALID_REQUEST),
        (b'{"jsonrpc": "2.0", "id": {"a": 1}, "method": "textDocument/hover", "params": {}}', None, INVALID_REQUEST),
        (b'{"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover", "params": "x"}', 7, INVALID_PARAMS),
        (b'{"jsonrpc": "2.0", "id": 8, "method": "textDocument/hover"}', 8, INVALID_PARAMS),
        (b'{"jsonrpc": "2.0", "id": "nine", "method": "textDocument/hover", "params": {"textDocument": {"uri": "file:///x.go"},'
         b' "position": {"line": -1, "character": -5}}}', "nine", INVALID_PARAMS),
        (b'{"jsonrpc": "2.0", "id": 10, "method": "textDocument/codeAction", "params": {"textDocument": {"uri": 5}}}', 10, INVALID_PARAMS),
    ]
    for body, id_, code in cases:
        s.frame(body)
        msg = s.wait_for(lambda m: "error" in m and m.get("id") == id_, timeout=10)
        assert error_code(msg) == code, (body, msg)
        assert_alive(s)
    # notifications and responses that cannot be read are never answered, only logged
    s.frame(b'{"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": 3}}}')
    s.frame(b'{"jsonrpc": "2.0", "id": 99999}')  # a response to nothing
    assert_alive(s)
    assert not [m for m in list(s.messages.queue) if m.get("id") in (None, 99999) and "error" in m]


def test_broken_framing_resynchronises(server: RawServer):
    s = server
    s.raw(b"garbage line\r\n\r\nmore garbage\r\nX-Header: 1\r\n")  # junk between messages
    assert_alive(s)
    s.raw(b"Content-Length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}")
    assert_alive(s)
    s.frame(b"{}   trailing\r\n", length=2)  # a body shorter than what follows it: the rest is junk
    assert_alive(s)


def test_requests_for_documents_never_opened(server: RawServer):
    s = server
    fifo = s.root / "pipe.go"
    import os

    os.mkfifo(fifo)  # reading it would block: the server must not
    (s.root / "dir.go").mkdir()
    for uri in ("file:///never/opened.go", "untitled:Untitled-1", "http://example.com/x.go", fifo.as_uri(),
                (s.root / "dir.go").as_uri(), "file:///dev/zero", "not a uri at all"):
        assert s.call("textDocument/hover", hover(uri, 3, 4))["result"] is None
        assert s.call("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": {"start": pos(0, 0), "end": pos(9, 9)},
                                                  "context": {"diagnostics": []}})["result"] is None
        report = s.call("textDocument/diagnostic", {"textDocument": {"uri": uri}})["result"]
        assert report["kind"] == "full" and report["items"] == []
        assert s.call("gojaguard/debugDocument", {"uri": uri})["result"] is None
        s.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        s.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    assert_alive(s)


def test_positions_past_the_end(server: RawServer):
    s = server
    uri = (s.root / "past" / "a.go").as_uri()
    open_doc(s, uri, GO)
    for line, character in ((0, 10**6), (6, 10**9), (10**6, 0), (2**31 - 1, 2**31 - 1)):
        r = s.call("textDocument/hover", hover(uri, line, character))
        assert "result" in r, r
        r = s.call("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": {"start": pos(line, character), "end": pos(0, 0)},
                                               "context": {"diagnostics": []}})
        assert "result" in r, r
    r = s.call("textDocument/hover", hover(uri, 2**40, 0))  # beyond uinteger: the params are invalid
    assert error_code(r) == INVALID_PARAMS or "result" in r
    assert text_of(s, uri) == (GO, 1)


def test_stale_and_repeated_versions_still_apply_in_order(server: RawServer):
    """Versions should increase; when a client sends them stale or repeated, the changes are still
    the truth of what the client did: applied in order, the server's text stays the client's."""
    s = server
    uri = (s.root / "versions" / "a.go").as_uri()
    text = GO
    open_doc(s, uri, text, version=5)
    for version, (start, end, new) in ((5, ((0, 0), (0, 0), "// a\n")), (5, ((1, 0), (1, 0), "x")), (3, ((6, 1), (6, 3), "🚀")),
                                       (0, ((7, 0), (7, 1), "}\n}")), (10, ((0, 0), (2, 0), ""))):
        s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [
            {"range": {"start": pos(*start), "end": pos(*end)}, "text": new}]})
        text = M.apply(text, start, end, new, "utf-16")
        assert text_of(s, uri) == (text, version)
    # reopening an open document replaces it
    open_doc(s, uri, "package b\n", version=1)
    assert text_of(s, uri) == ("package b\n", 1)


def test_did_change_before_did_open(server: RawServer):
    s = server
    uri = (s.root / "early" / "a.go").as_uri()
    s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
        {"range": {"start": pos(0, 0), "end": pos(0, 0)}, "text": "x"}]})
    s.wait_for(lambda m: m.get("method") == "window/logMessage" and "not open" in m["params"]["message"], timeout=10)
    assert text_of(s, uri) is None
    open_doc(s, uri, GO)
    s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "package c\n"}]})
    assert text_of(s, uri) == ("package c\n", 2)
    s.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    s.notify("textDocument/didClose", {"textDocument": {"uri": uri}})  # twice
    assert text_of(s, uri) is None


def test_unknown_methods_and_notifications(server: RawServer):
    s = server
    assert error_code(s.call("gojaguard/noSuchMethod", {})) == METHOD_NOT_FOUND
    assert error_code(s.call("$/noSuchRequest", {})) == METHOD_NOT_FOUND
    assert error_code(s.call("textDocument/semanticTokens/full", {"textDocument": {"uri": "file:///x.go"}})) == METHOD_NOT_FOUND
    for method in ("$/noSuchNotification", "gojaguard/noSuchNotification", "$/setTrace", "$/progress", "workspace/didRenameFiles"):
        s.notify(method, {"value": "x"})
    s.notify("$/cancelRequest", {"id": 123456})  # nothing to cancel
    assert_alive(s)


def test_cancel_storm(server: RawServer, tmp_path: Path):
    s = server
    uri = (s.root / "storm" / "a.go").as_uri()
    open_doc(s, uri, GO)
    requests = [
        ("textDocument/hover", hover(uri, 5, 5)),
        ("textDocument/diagnostic", {"textDocument": {"uri": uri}}),
        ("workspace/diagnostic", {"previousResultIds": []}),
        ("gojaguard/debugDocument", {"uri": uri}),
        ("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": {"start": pos(0, 0), "end": pos(8, 0)},
                                     "context": {"diagnostics": []}}),
        ("workspace/executeCommand", {"command": "gojaguard.reindex", "arguments": []}),
    ]
    ids = [s.request(*requests[i % len(requests)]) for i in range(300)]
    for i in ids:
        s.notify("$/cancelRequest", {"id": i})
    for i in ids[::-1]:
        s.notify("$/cancelRequest", {"id": i})  # and again, in the other order
    answers: dict = {}
    deadline = time.monotonic() + 60
    while len(answers) < len(ids) and time.monotonic() < deadline:
        msg = s.wait_for(lambda m: m.get("id") in ids and ("result" in m or "error" in m), timeout=max(0.1, deadline - time.monotonic()))
        answers.setdefault(msg["id"], []).append(msg)
    assert len(answers) == len(ids), f"{len(ids) - len(answers)} requests never answered"
    kinds = Counter("result" if "result" in v[0] else error_code(v[0]) for v in answers.values())
    assert set(kinds) <= {"result", REQUEST_CANCELLED}, kinds
    assert_alive(s)
    assert text_of(s, uri) == (GO, 1)
    time.sleep(0.5)  # no second answer for any of them
    while not s.messages.empty():
        msg = s.messages.get()
        assert msg.get("id") not in ids or "method" in msg, msg


def _goja_packages(root: Path, n: int) -> None:
    for i in range(n):
        d = root / f"pkg{i:04d}"
        d.mkdir(parents=True)
        body = "".join(f"func F{j}(vm *goja.Runtime) {{\n\tv := vm.Get(\"x\")\n\tgo func() {{ _ = v.String() }}()\n"
                       f"\tvm.Set(\"y\", {j})\n}}\n\n" for j in range(20))
        (d / "p.go").write_text(f'package pkg{i}\n\nimport "github.com/dop251/goja"\n\n{body}')


def test_shutdown_during_indexing(tmp_path: Path):
    _goja_packages(tmp_path, 150)
    s = RawServer(cwd=str(tmp_path))
    try:
        s.initialize(tmp_path, capabilities=PULL_CAPS)
        s.wait_for(lambda m: m.get("method") == "$/progress" and m["params"]["value"].get("kind") == "report", timeout=30)
        started = time.monotonic()
        assert s.call("shutdown", None, timeout=30)["result"] is None
        assert time.monotonic() - started < 10
        assert error_code(s.call("textDocument/hover", hover("file:///x.go"))) == INVALID_REQUEST  # after shutdown
        s.notify("exit")
        assert s.proc.wait(15) == 0
    finally:
        s.kill()


def test_requests_before_initialize_and_exit_without_shutdown():
    s = RawServer()
    try:
        assert error_code(s.call("textDocument/hover", hover("file:///x.go"))) == NOT_INITIALIZED
        open_doc(s, "file:///x.go", GO)  # dropped
        s.initialize()
        assert text_of(s, "file:///x.go") is None
        s.notify("exit")  # without shutdown: exit code 1 (the spec)
        assert s.proc.wait(15) == 1
    finally:
        s.kill()


def test_end_of_input_ends_the_server():
    s = RawServer()
    try:
        s.initialize()
        s.proc.stdin.close()
        s.proc.wait(15)
    finally:
        s.kill()
