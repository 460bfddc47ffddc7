"""Long sessions: open/edit/close cycles and workspace re-indexes against a real server with RSS
flat (the campaign runs 10,000 cycles; the suite a few hundred), the engine's caches bounded, no
per-message leak in the protocol layer."""

from __future__ import annotations

from gojaguard.analyzers import engine as E
from gojaguard.analyzers.engine import Engine
from gojaguard.analyzers.syntax.document import Document

from robustness.session import PACKAGE, run_session

CYCLES = 300


def test_a_long_session_keeps_rss_flat(tmp_path):
    stats, s = run_session(tmp_path, CYCLES, reindex_every=50, sample_every=25)
    try:
        print(stats.summary())
        assert stats.cycles == CYCLES and stats.reindexes == CYCLES // 50
        # the caches fill up to their bounds during these first cycles: allow that, not more
        assert stats.growth_after(50) < 40, stats.rss_mb
        assert max(mb for _, mb in stats.rss_mb) < 300
        assert s.shutdown_and_exit() == 0
    finally:
        s.kill()


def test_the_engine_caches_are_bounded(monkeypatch):
    monkeypatch.setattr(E, "MAX_CACHED_DECLS", 40)
    monkeypatch.setattr(E, "MAX_CACHED_PACKAGES", 5)
    engine = Engine()
    src = PACKAGE.format(pkg="p", n=1).encode()
    at = src.index(b"mu.Lock()")
    for i in range(300):  # 300 keystrokes, each a new text of Run1, in 30 packages
        doc = Document(src[:at] + b"_ = %d\n\t" % i + src[at:], "p.go")
        result = engine.analyze_package({f"/p{i % 30}/p.go": doc}, f"/p{i % 30}#p")
        assert {f.rule for f in result.files[f"/p{i % 30}/p.go"].findings} == {"GJ101"}
        assert len(engine._facts_cache) <= 40 and len(engine._shape_cache) <= 40
        assert len(engine._last) <= 5 and len(engine._summaries) <= 5


LEAK_PROBE = """
import asyncio, json, sys
from gojaguard.server.lsp.server import server as ls
proto = ls.protocol
def feed(message):
    proto.handle_message(proto.structure_message({"jsonrpc": "2.0", **message}))
asyncio.set_event_loop(asyncio.new_event_loop())
feed({"id": 1, "method": "initialize", "params": {"capabilities": {}, "processId": None, "rootUri": None,
                                                   "initializationOptions": {"diagnosticsDelay": 0}}})
assert ls.ws is not None
uri = "file:///tmp/leak/a.go"
for i in range(200):
    feed({"method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "go", "version": 1, "text": "package a"}}})
    feed({"method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
        {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "// x"}]}})
    feed({"method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}})
print(json.dumps({"futures": len(proto._request_futures)}))
"""


def test_notifications_leave_no_futures_behind():
    """pygls filed a Future per notification handled by a generator (didOpen/didChange/didClose)
    and never took it out (in a process of its own: the server module is a singleton)."""
    import json
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-c", LEAK_PROBE], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr[-2000:]
    assert json.loads(p.stdout.strip().splitlines()[-1])["futures"] <= 1  # initialize's own, at most
