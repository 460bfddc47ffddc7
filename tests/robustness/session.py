"""A long editing session against a real server (over stdio): open a document, type into it,
read its diagnostics and a hover, close it; now and then re-index the workspace. RSS is sampled
from /proc as it goes. Shared by tests/test_robustness_session.py (a few hundred cycles) and the
campaign (10,000)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import procinfo
from .rawlsp import RawServer

PACKAGE = '''package {pkg}

import (
\t"sync"

\t"github.com/dop251/goja"
)

// Run{n} 运行 🚀
func Run{n}(vm *goja.Runtime, mu *sync.Mutex) {{
\tv := vm.Get("x")
\tgo func() {{ _ = v.String() }}()
\tmu.Lock()
\tvm.Set("y", {n})
\tmu.Unlock()
}}

func Safe{n}(src string) {{
\tgo func() {{
\t\tvm := goja.New()
\t\t_, _ = vm.RunString(src)
\t}}()
}}
'''
TYPED = ["go vm.RunString(\"1\")\n\t", "_ = v.Export()\n\t", "// 注释 👍🏽\n\t", "x := 1\n\t_ = x\n\t", "mu.Lock()\n\tmu.Unlock()\n\t"]


def make_workspace(root: Path, packages: int = 20) -> None:
    for i in range(packages):
        d = root / f"pkg{i:03d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / "a.go").write_text(PACKAGE.format(pkg=f"pkg{i}", n=i), encoding="utf-8")


@dataclass
class SessionStats:
    cycles: int = 0
    edits: int = 0
    requests: int = 0
    reindexes: int = 0
    rss_mb: list[tuple[int, float]] = field(default_factory=list)  # (cycle, MB)
    seconds: float = 0.0

    def growth_after(self, warmup: int) -> float:
        after = [mb for c, mb in self.rss_mb if c >= warmup]
        return (after[-1] - after[0]) if len(after) > 1 else 0.0

    def summary(self) -> str:
        first = self.rss_mb[0][1] if self.rss_mb else 0
        last = self.rss_mb[-1][1] if self.rss_mb else 0
        peak = max((mb for _, mb in self.rss_mb), default=0)
        return (f"{self.cycles} open/edit/close cycles, {self.edits} edits, {self.requests} requests, {self.reindexes} re-indexes "
                f"in {self.seconds:.0f}s; RSS {first:.0f} MB -> {last:.0f} MB (peak {peak:.0f} MB)")


def run_session(root: Path, cycles: int, seed: int = 0, reindex_every: int = 50, sample_every: int = 25,
                progress=None) -> tuple[SessionStats, RawServer]:
    rng = random.Random(seed)
    make_workspace(root)
    s = RawServer(cwd=str(root))
    stats = SessionStats()
    started = time.monotonic()
    s.initialize(root, capabilities={"window": {"workDoneProgress": True}, "textDocument": {"diagnostic": {}},
                                     "workspace": {"diagnostics": {"refreshSupport": False}}})
    s.wait_for(lambda m: m.get("method") == "$/progress" and m["params"]["value"].get("kind") == "end", timeout=120)
    for cycle in range(cycles):
        pkg = rng.randrange(40)  # half of them exist on disk, half are new packages
        name = rng.choice(["a.go", "b.go", "c_test.go"])
        uri = (root / f"pkg{pkg:03d}" / name).as_uri()
        text = PACKAGE.format(pkg=f"pkg{pkg}", n=cycle % 97)
        s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "go", "version": 1, "text": text}})
        line = text[:text.index("mu.Lock()")].count("\n")
        for v in range(2, 2 + rng.randrange(1, 6)):
            typed = rng.choice(TYPED)
            s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": v}, "contentChanges": [
                {"range": {"start": {"line": line, "character": 1}, "end": {"line": line, "character": 1}}, "text": typed}]})
            stats.edits += 1
        s.call("textDocument/diagnostic", {"textDocument": {"uri": uri}}, timeout=60)
        s.call("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": line - 2, "character": 2}}, timeout=60)
        stats.requests += 2
        s.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        if reindex_every and cycle % reindex_every == reindex_every - 1:
            s.call("workspace/executeCommand", {"command": "gojaguard.reindex", "arguments": []}, timeout=60)
            s.call("workspace/diagnostic", {"previousResultIds": []}, timeout=120)
            stats.reindexes += 1
            stats.requests += 2
        s.seen.clear()  # the client keeps nothing either
        while not s.messages.empty():
            s.messages.get_nowait()
        stats.cycles = cycle + 1
        if cycle % sample_every == 0 or cycle == cycles - 1:
            stats.rss_mb.append((cycle, procinfo.rss_mb(s.pid)))
            if progress is not None:
                progress(stats)
    stats.seconds = time.monotonic() - started
    return stats, s
