#!/usr/bin/env python3
"""gojaguard benchmarks: one runner that prints figures (never pass/fail).

    python3 benchmarks/run.py                      # everything (about 10 minutes on 2 cores)
    python3 benchmarks/run.py --quick              # small numbers, a smoke run
    python3 benchmarks/run.py --only keystroke,cold --json figures.json
    python3 benchmarks/run.py --repo PATH          # the real repository for headless and memory

Sections:
  keystroke  a real LSP client over stdio types single-character edits into generated goja-heavy
             files of 1k, 5k and 20k lines (diagnosticsDelay 0) and times didChange -> diagnostics,
             for a pull client (textDocument/diagnostic answered) and a push client
             (publishDiagnostics of the new version); p50/p95 per size, the 20k/1k p95 ratio
  cold       process start -> first diagnostics of an opened file (median of several starts)
  headless   `gojaguard check` on a real repository and on a generated tree, 1 worker and all
             cores, beside ast-grep and semgrep scanning the same files with a shallow rule
             (`go func` literals); MB/s, files/s and ratios
  memory     server RSS after indexing the repository; RSS every 100 of 1,000 open/edit/close cycles
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))

import gen  # noqa: E402
from robustness.procinfo import peak_rss_mb, rss_mb  # noqa: E402
from robustness.rawlsp import RawServer  # noqa: E402

DEFAULT_REPO = Path("/work/corpus/grafana+k6")
PULL_CAPS = {"textDocument": {"diagnostic": {"dynamicRegistration": False}}, "general": {"positionEncodings": ["utf-16"]}}
PUSH_CAPS = {"textDocument": {"publishDiagnostics": {"versionSupport": True}}, "general": {"positionEncodings": ["utf-16"]}}
SKIP_DIRS = ("vendor", "testdata", "node_modules")

figures: dict = {}


def say(text: str = "") -> None:
    print(text, flush=True)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


# -- an LSP session on one generated file ----------------------------------------------------------
class Session:
    """A server over stdio with one open document, and single-character edits timed to diagnostics."""

    def __init__(self, path: Path, pull: bool, root: Path | None = None):
        self.path, self.pull = path, pull
        self.uri = path.resolve().as_uri()
        self.text = path.read_bytes()
        self.version = 1
        self.server = RawServer()
        self.server.initialize(root=root or path.parent, capabilities=PULL_CAPS if pull else PUSH_CAPS,
                               options={"diagnosticsDelay": 0})

    def open(self) -> float:
        started = time.perf_counter()
        self.server.notify("textDocument/didOpen", {"textDocument": {
            "uri": self.uri, "languageId": "go", "version": self.version, "text": self.text.decode()}})
        self.diagnostics()
        return time.perf_counter() - started

    def diagnostics(self, timeout: float = 120) -> int:
        """Wait for the diagnostics of the current version; returns how many there are."""
        if self.pull:
            answer = self.server.call("textDocument/diagnostic", {"textDocument": {"uri": self.uri}}, timeout)
            return len((answer.get("result") or {}).get("items", []))
        version = self.version
        msg = self.server.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                                   and m["params"]["uri"] == self.uri and m["params"].get("version") in (version, None), timeout)
        return len(msg["params"]["diagnostics"])

    def edit(self, offset: int, delete: bool) -> float:
        """Insert a space at ``offset`` (or delete the byte there); seconds until its diagnostics."""
        line = self.text.count(b"\n", 0, offset)
        col = offset - (self.text.rfind(b"\n", 0, offset) + 1)  # edit sites are ASCII lines: bytes = UTF-16 units
        end = {"line": line, "character": col + 1} if delete else {"line": line, "character": col}
        self.text = self.text[:offset] + self.text[offset + 1:] if delete else self.text[:offset] + b" " + self.text[offset:]
        self.version += 1
        started = time.perf_counter()
        self.server.notify("textDocument/didChange", {
            "textDocument": {"uri": self.uri, "version": self.version},
            "contentChanges": [{"range": {"start": {"line": line, "character": col}, "end": end}, "text": "" if delete else " "}]})
        self.diagnostics()
        return time.perf_counter() - started

    def close(self) -> None:
        try:
            self.server.shutdown_and_exit(30)
        except Exception:  # noqa: BLE001 - a benchmark reports, it does not fail
            self.server.kill()


def edit_sites(text: bytes, count: int) -> list[int]:
    """Offsets at the end of lines where typing is realistic, spread over the whole file."""
    sites, pos = [], 0
    for line in text.split(b"\n"):
        if line.strip().startswith(gen.EDIT_LINES):
            sites.append(pos + len(line))
        pos += len(line) + 1
    step = max(1, len(sites) // count)
    return sites[::step][:count]


# -- sections ----------------------------------------------------------------------------------------
def keystroke(tmp: Path, sizes: list[int], edits: int) -> None:
    say("== keystroke: didChange -> diagnostics (diagnosticsDelay 0) ==")
    out = figures.setdefault("keystroke", {})
    for pull in (True, False):
        kind = "pull" if pull else "push"
        for size in sizes:
            path = tmp / f"keystroke-{size}" / "bench.go"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(gen.source(size), encoding="utf-8")
            session = Session(path, pull)
            try:
                first = session.open()
                sites = edit_sites(session.text, edits // 2 + 5)
                for offset in sites[:5]:  # warm-up: the workspace index, the caches
                    session.edit(offset, False)
                    session.edit(offset, True)
                times = []
                for offset in sites[5:]:
                    times.append(session.edit(offset, False) * 1000)
                    times.append(session.edit(offset, True) * 1000)
                rss = rss_mb(session.server.pid)
            finally:
                session.close()
            lines = path.read_bytes().count(b"\n")
            out[f"{kind}-{size}"] = {"lines": lines, "open_ms": first * 1000, "p50_ms": pct(times, 0.5),
                                     "p95_ms": pct(times, 0.95), "max_ms": max(times), "edits": len(times), "rss_mb": rss}
            say(f"  {kind:4} {lines:6d} lines: open {first * 1000:7.1f} ms | {len(times)} edits: "
                f"p50 {pct(times, 0.5):6.1f} ms  p95 {pct(times, 0.95):6.1f} ms  max {max(times):6.1f} ms | RSS {rss:.0f} MB")
        small, large = out.get(f"{kind}-{sizes[0]}"), out.get(f"{kind}-{sizes[-1]}")
        if small and large:
            ratio = large["p95_ms"] / small["p95_ms"]
            out[f"{kind}-ratio"] = ratio
            say(f"  {kind}: p95 {sizes[-1]}/{sizes[0]} lines = {ratio:.1f}x   (target: p95 <= 10 ms at 20k, ratio <= 1.5)")


def cold(tmp: Path, runs: int) -> None:
    say("== cold start: process start -> first diagnostics of an opened 1k-line file ==")
    path = tmp / "cold" / "bench.go"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(gen.source(1000), encoding="utf-8")
    totals, inits = [], []
    for _ in range(runs):
        started = time.perf_counter()
        session = Session(path, pull=False)
        inits.append(time.perf_counter() - started)
        session.open()
        totals.append(time.perf_counter() - started)
        session.close()
    import_only = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import gojaguard.server.lsp.server"], check=True)
        import_only.append(time.perf_counter() - started)
    figures["cold"] = {"first_diagnostics_ms": statistics.median(totals) * 1000, "initialized_ms": statistics.median(inits) * 1000,
                       "import_ms": statistics.median(import_only) * 1000, "runs": runs}
    say(f"  median of {runs}: first diagnostics {statistics.median(totals) * 1000:.0f} ms "
        f"(initialize answered {statistics.median(inits) * 1000:.0f} ms; importing the server alone "
        f"{statistics.median(import_only) * 1000:.0f} ms)   (target: <= 300 ms)")


def go_files(root: Path) -> list[str]:
    """The .go files gojaguard walks (like the go tool: no vendor/testdata, dot or _ dirs); the
    peers are given exactly these files, so that every tool reads the same bytes."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not (d.startswith((".", "_")) or d in SKIP_DIRS))
        out += [os.path.join(dirpath, name) for name in sorted(filenames) if name.endswith(".go")]
    return out


def timed(cmd: list[str], timeout: float = 1800) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return time.perf_counter() - started, done


SEMGREP_RULE = """rules:
  - id: go-func-literal
    languages: [go]
    severity: INFO
    message: a goroutine running a function literal
    pattern: go func(...) { ... }(...)
"""


def headless_one(label: str, root: Path, tmp: Path) -> dict:
    paths = go_files(root)
    files = len(paths)
    mb = sum(len(Path(p).read_bytes()) for p in paths) / 1e6  # and the page cache is warm for every tool
    say(f"  {label}: {files} .go files, {mb:.1f} MB")
    row: dict = {"files": files, "mb": mb}
    cores = os.cpu_count() or 1
    for jobs in (1, cores):
        secs, done = timed([sys.executable, "-m", "gojaguard", "check", "--format", "json", "--fail-on", "never",
                            "--jobs", str(jobs), str(root)])
        found = len(json.loads(done.stdout)["findings"]) if done.returncode == 0 else f"exit {done.returncode}"
        row[f"gojaguard_j{jobs}_s"] = secs
        say(f"    gojaguard --jobs {jobs}: {secs:6.2f} s  {mb / secs:6.2f} MB/s  {files / secs:7.0f} files/s  ({found} findings)")
    best = min(row[f"gojaguard_j{j}_s"] for j in (1, cores))
    if shutil.which("ast-grep"):
        secs, done = timed(["ast-grep", "run", "--lang", "go", "--pattern", "go func($$$) { $$$ }($$$)", "--json=compact", *paths])
        hits = len(json.loads(done.stdout or "[]")) if done.returncode in (0, 1) else f"exit {done.returncode}"
        row["ast_grep_s"] = secs
        say(f"    ast-grep:           {secs:6.2f} s  {mb / secs:6.2f} MB/s  ({hits} go-func literals)   "
            f"gojaguard/ast-grep = {best / secs:.1f}x   (target: <= 2x)")
    else:
        say("    ast-grep: not installed (pip install ast-grep-cli)")
    if shutil.which("semgrep"):
        rule = tmp / "semgrep-go-func.yml"
        rule.write_text(SEMGREP_RULE)
        # semgrep scans a directory much faster than a list of files; a directory holding nothing
        # but the walked files is the same work (a real repository is given the list: semgrep's
        # default ignores would skip its tests)
        every = [str(p) for p in root.rglob("*.go")]
        targets = [str(root)] if sorted(every) == sorted(paths) else paths
        secs, done = timed(["semgrep", "scan", "--config", str(rule), "--metrics", "off", "--json", "--quiet",
                            "--no-git-ignore", "--disable-version-check", *targets])
        try:
            data = json.loads(done.stdout)
            hits, scanned = len(data.get("results", [])), len(data.get("paths", {}).get("scanned", []))
        except ValueError:
            hits, scanned = f"exit {done.returncode}", "?"
        row["semgrep_s"] = secs
        say(f"    semgrep:            {secs:6.2f} s  {mb / secs:6.2f} MB/s  ({hits} go-func literals, {scanned} files)   "
            f"semgrep/gojaguard = {secs / best:.1f}x   (target: >= 10x)")
    else:
        say("    semgrep: not installed (pip install semgrep)")
    return row


def headless(tmp: Path, repo: Path | None, tree_files: int) -> None:
    say("== headless: gojaguard check beside ast-grep and semgrep (a shallow rule: go func literals) ==")
    out = figures.setdefault("headless", {})
    if repo is not None and repo.is_dir():
        out[repo.name] = headless_one(repo.name, repo, tmp)
    else:
        say(f"  (no repository at {repo}: pass --repo)")
    tree = tmp / "tree"
    gen.tree(tree, tree_files)
    out["generated"] = headless_one(f"generated tree ({tree_files} files)", tree, tmp)


def memory(tmp: Path, repo: Path | None, cycles: int) -> None:
    say("== memory: server RSS ==")
    out = figures.setdefault("memory", {})
    root = repo if repo is not None and repo.is_dir() else tmp
    server = RawServer()
    caps = {"window": {"workDoneProgress": True}, **PULL_CAPS}
    started = time.perf_counter()
    server.initialize(root=root, capabilities=caps, options={"diagnosticsDelay": 0})
    try:
        server.wait_for(lambda m: m.get("method") == "$/progress" and (m["params"].get("value") or {}).get("kind") == "end", 1800)
        indexed = time.perf_counter() - started
        out["indexed_s"], out["after_index_mb"], out["peak_mb"] = indexed, rss_mb(server.pid), peak_rss_mb(server.pid)
        say(f"  {root.name} indexed in {indexed:.1f} s: RSS {out['after_index_mb']:.0f} MB (peak {out['peak_mb']:.0f} MB)   (target: <= 250 MB)")
        path = tmp / "cycles" / "bench.go"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(gen.source(1000), encoding="utf-8")
        text = path.read_bytes()
        uri = path.resolve().as_uri()
        sites = edit_sites(text, 50)
        samples = []
        for i in range(cycles):
            server.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "go", "version": 1, "text": text.decode()}})
            offset = sites[i % len(sites)]
            line = text.count(b"\n", 0, offset)
            col = offset - (text.rfind(b"\n", 0, offset) + 1)
            server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
                {"range": {"start": {"line": line, "character": col}, "end": {"line": line, "character": col}}, "text": "x"}]})
            server.call("textDocument/diagnostic", {"textDocument": {"uri": uri}}, 120)
            server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            if i % 100 == 0 or i == cycles - 1:
                samples.append((i + 1, rss_mb(server.pid)))
            server.seen.clear()
        out["cycles"] = samples
        say("  open/edit/close cycles: " + "  ".join(f"{n}: {mb:.0f} MB" for n, mb in samples))
        if len(samples) > 2:
            say(f"  after the first 100 cycles: {samples[1][1]:.0f} -> {samples[-1][1]:.0f} MB over {samples[-1][0] - samples[1][0]} cycles")
    finally:
        try:
            server.shutdown_and_exit(60)
        except Exception:  # noqa: BLE001
            server.kill()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small numbers (a smoke run)")
    ap.add_argument("--only", default="keystroke,cold,headless,memory", help="comma-separated sections")
    ap.add_argument("--repo", type=Path, default=DEFAULT_REPO, help=f"the real repository (default {DEFAULT_REPO})")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    only = set(args.only.split(","))
    repo = args.repo if args.repo and args.repo.is_dir() else None
    say(f"gojaguard benchmarks, {time.strftime('%Y-%m-%d %H:%M')}: Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="gojaguard-bench-") as t:
        tmp = Path(t)
        if "keystroke" in only:
            keystroke(tmp, [1000, 5000] if args.quick else [1000, 5000, 20000], 20 if args.quick else 60)
        if "cold" in only:
            cold(tmp, 3 if args.quick else 7)
        if "headless" in only:
            headless(tmp, repo, 200 if args.quick else 2000)
        if "memory" in only:
            memory(tmp, repo, 100 if args.quick else 1000)
    say(f"(load at the end {os.getloadavg()[0]:.2f})")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
