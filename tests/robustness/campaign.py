"""The robustness campaign: the suite's property tests and hostile inputs at full length.
Run by hand (it takes a while with the defaults; --quick is a smoke run):

    python tests/robustness/campaign.py                # everything
    python tests/robustness/campaign.py --quick        # small numbers
    python tests/robustness/campaign.py --only sync,session --seed 7

Sections:
  sync      random batches of incremental edits over real server sessions (stdio) in the four client
            profiles (push/pull, UTF-8/16/32); after each batch the server's text, tree and
            diagnostics are compared with the client's text, a fresh parse and a fresh open
  engine    random byte and position edits on documents (incremental parse = fresh parse, incremental
            analysis = fresh analysis), in a child process (a crash there is counted, not fatal)
  hostile   every hostile input at full size (10 MB, 100k lines, 50,000-deep nesting, a million `{`,
            invalid UTF-8, NULs, ...) plus random bytes and token soup, through `gojaguard check`
            and through a server session
  protocol  random garbage frames and valid requests interleaved, cancel storms
  session   10,000 open/edit/close cycles with workspace re-indexes, RSS sampled
  tree      `gojaguard check` over 100,000 files

It prints edits tried, inputs tried, crashes, hangs, desyncs and the RSS over the long session,
and exits 1 if any crash, hang or desync was seen.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/: `robustness` as a package

from robustness import editmodel as M  # noqa: E402
from robustness import hostile, procinfo  # noqa: E402
from robustness.rawlsp import RawServer  # noqa: E402
from robustness.session import run_session  # noqa: E402

BUDGET = 2.0  # file time budget for the hostile inputs (seconds)
SKIPPED = "skipped: analysing it took longer than the file time budget"

PROFILES = {  # what the four client profiles of tests/lspclient.py declare, as raw capabilities
    "neovim-0.7": ({"textDocument": {"publishDiagnostics": {"relatedInformation": True, "versionSupport": True}}}, "utf-16", False),
    "neovim-0.11": ({"textDocument": {"diagnostic": {"relatedInformation": True}}, "general": {"positionEncodings": ["utf-8", "utf-16", "utf-32"]}},
                    "utf-8", True),
    "vscode": ({"textDocument": {"diagnostic": {"relatedInformation": True}}, "workspace": {"diagnostics": {"refreshSupport": True}}},
               "utf-16", True),
    "utf-32": ({"textDocument": {"publishDiagnostics": {"relatedInformation": True}}, "general": {"positionEncodings": ["utf-32", "utf-16"]}},
               "utf-32", False),
}


@dataclass
class Tally:
    edits: dict = field(default_factory=dict)  # section -> edits tried
    inputs: dict = field(default_factory=dict)  # section -> inputs tried
    crashes: list = field(default_factory=list)
    hangs: list = field(default_factory=list)
    desyncs: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    session: str = ""

    def add(self, kind: str, section: str, n: int = 1) -> None:
        d = self.edits if kind == "edits" else self.inputs
        d[section] = d.get(section, 0) + n

    def problem(self, kind: str, what: str) -> None:
        getattr(self, kind).append(what)
        print(f"  !! {kind[:-1]}: {what}", flush=True)


T = Tally()


def say(msg: str) -> None:
    print(msg, flush=True)


def server_errors(s: RawServer) -> list[str]:
    """Signs of a crash in a server's stderr or messages: tracebacks that escaped, error popups."""
    out = []
    log = b"".join(s.stderr).decode("utf-8", "replace")
    if "Traceback" in log and "internal error (isolated)" not in log:
        out.append(log[log.index("Traceback"):][:1500])
    for m in s.seen:
        if m.get("method") == "window/showMessage" and m["params"].get("type") == 1:
            out.append(m["params"]["message"])
    return out


# -- sync ---------------------------------------------------------------------------------------------

BASES = [
    (HERE.parent / "fixtures" / "seed" / "poolexecutor" / "executor.go").read_text(encoding="utf-8"),
    (HERE.parent / "fixtures" / "cases" / "unicode" / "unicode.go").read_text(encoding="utf-8"),
    "package demo\r\n\r\nimport \"github.com/dop251/goja\"\r\n\r\n// 运行 🚀 e\u0301\rfunc Run(vm *goja.Runtime) {\n\tv := vm.Get(\"x\")\n"
    "\tgo func() { _ = v.String() }()\r\tvm.Set(\"y\", 1)\n}\n",
    "",
]


def random_edit(rng: random.Random) -> M.AbstractEdit:
    text = rng.choice(M.FRAGMENTS) if rng.random() < 0.7 else "".join(
        rng.choice(list("ab{}()\"`/*\n\r\t ;:=.") + ["中", "🚀", "é", "\u0301", "👍", "\x00", "\u2028"]) for _ in range(rng.randrange(12)))
    return M.AbstractEdit(rng.randrange(1 << 16), rng.randrange(1 << 16), rng.choice([0, 0, 0, 1, 1, 2, 5]), rng.randrange(1 << 16),
                          text, rng.random() < 0.15)


def normalised(diags: list, uri: str) -> list:
    def rng_(r):
        return (r["start"]["line"], r["start"]["character"], r["end"]["line"], r["end"]["character"])

    return sorted((rng_(d["range"]), d.get("code"), d.get("severity"), d["message"],
                   tuple((r["location"]["uri"] == uri, rng_(r["location"]["range"]), r["message"]) for r in d.get("relatedInformation") or ()))
                  for d in diags)


def diagnostics_of(s: RawServer, uri: str, pull: bool) -> list:
    if pull:
        return s.call("textDocument/diagnostic", {"textDocument": {"uri": uri}}, timeout=60)["result"]["items"]
    s.call("gojaguard/debugDocument", {"uri": uri, "tree": False}, timeout=60)  # a barrier
    pushed = [m for m in s.seen if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri]
    return pushed[-1]["params"]["diagnostics"] if pushed else []


def sync_section(edits_per_profile: int, seed: int, root: Path) -> None:
    from gojaguard.analyzers.syntax.document import Document, sexp

    for name, (caps, enc, pull) in PROFILES.items():
        rng = random.Random(f"{seed}-{name}")
        s = RawServer(cwd=str(root))
        started = time.monotonic()
        done = 0
        doc_n = 0
        try:
            s.initialize(root, capabilities=caps)
            while done < edits_per_profile:
                doc_n += 1
                uri = (root / name / f"doc{doc_n}" / "x.go").as_uri()
                text = rng.choice(BASES)
                version = 1
                s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "go", "version": 1, "text": text}})
                for _batch in range(rng.randrange(1, 12)):
                    changes = []
                    for _ in range(rng.randrange(1, 6)):
                        start, end, new = M.concrete(text, random_edit(rng), enc)
                        changes.append({"range": {"start": {"line": start[0], "character": start[1]},
                                                  "end": {"line": end[0], "character": end[1]}}, "text": new})
                        text = M.apply(text, start, end, new, enc)
                        done += 1
                    if rng.random() < 0.05:
                        changes = [{"text": text}]
                    version += 1
                    s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": changes})
                    view = s.call("gojaguard/debugDocument", {"uri": uri}, timeout=60)["result"]
                    if view is None or view["text"] != text or view["version"] != version:
                        T.problem("desyncs", f"{name}: text or version differs after {done} edits")
                        break
                    if view["sexp"] != sexp(Document(text).tree.root_node):
                        T.problem("desyncs", f"{name}: tree differs from a fresh parse ({text[:80]!r}...)")
                    mine = normalised(diagnostics_of(s, uri, pull), uri)
                    fresh = (root / name / f"fresh{doc_n}-{version}" / "x.go").as_uri()
                    s.notify("textDocument/didOpen", {"textDocument": {"uri": fresh, "languageId": "go", "version": 1, "text": text}})
                    theirs = normalised(diagnostics_of(s, fresh, pull), fresh)
                    s.notify("textDocument/didClose", {"textDocument": {"uri": fresh}})
                    if mine != theirs:
                        T.problem("desyncs", f"{name}: diagnostics differ from a fresh open: {json.dumps(text)[:300]}")
                    s.seen.clear()
                s.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
                if not s.alive():
                    break
            for e in server_errors(s):
                T.problem("crashes", f"sync {name}: {e[:300]}")
            if s.shutdown_and_exit() != 0:
                T.problem("crashes", f"sync {name}: bad exit")
        except TimeoutError as exc:
            T.problem("hangs", f"sync {name}: {exc}"[:300])
        except Exception:
            T.problem("crashes", f"sync {name}: {traceback.format_exc()[-800:]}")
        finally:
            s.kill()
        T.add("edits", "sync over LSP", done)
        say(f"  sync {name}: {done} edits in {doc_n} documents, {time.monotonic() - started:.0f}s")


# -- engine ---------------------------------------------------------------------------------------------

def _engine_worker(edits: int, seed: int, out) -> None:
    from gojaguard.analyzers.engine import Engine
    from gojaguard.analyzers.syntax.document import Document, sexp
    from gojaguard.analyzers.syntax.text import LineIndex

    rng = random.Random(seed)
    done = 0
    problems = []
    while done < edits:
        base = rng.choice(BASES).encode()
        doc = Document(base, "e.go")
        data = base
        engine = Engine()
        for _ in range(rng.randrange(5, 40)):
            if rng.random() < 0.5:  # a raw byte edit anywhere (invalid UTF-8 included)
                a = rng.randrange(len(data) + 1)
                b = min(len(data), a + rng.randrange(6))
                new = bytes(rng.randrange(256) for _ in range(rng.randrange(5))) if rng.random() < 0.3 else \
                    rng.choice(M.FRAGMENTS).encode("utf-8", "surrogatepass")
            else:  # through positions in an encoding, as the server does
                enc = rng.choice(M.ENCODINGS)
                li = LineIndex(data)
                line = rng.randrange(li.line_count + 1)
                a = li.offset(line, rng.randrange(200), enc)
                b = li.offset(line + rng.choice([0, 0, 1, 3]), rng.randrange(200), enc)
                a, b = min(a, b), max(a, b)
                new = rng.choice(M.FRAGMENTS).encode()
            doc.apply_edit(a, b, new)
            data = data[:a] + new + data[b:]
            done += 1
            if rng.random() < 0.3:
                if doc.source != data or sexp(doc.tree.root_node) != sexp(Document(data).tree.root_node):
                    problems.append(f"engine: tree after edits differs from a fresh parse: {data[:200]!r}")
                inc = engine.analyze_package({"e.go": doc}, "p")
                fresh = Engine().analyze_package({"e.go": Document(data, "e.go")}, "p")
                key = lambda r: sorted((f.rule, f.start, f.end, f.message) for f in r.files["e.go"].findings)  # noqa: E731
                if key(inc) != key(fresh):
                    problems.append(f"engine: incremental findings differ from a fresh analysis: {data[:300]!r}")
    out.put((done, problems))


def engine_section(edits: int, seed: int) -> None:
    started = time.monotonic()
    q = multiprocessing.get_context("fork").Queue()
    p = multiprocessing.get_context("fork").Process(target=_engine_worker, args=(edits, seed, q))
    p.start()
    p.join(timeout=max(600, edits / 20))
    if p.is_alive():
        p.kill()
        T.problem("hangs", "engine fuzz did not finish")
        return
    if p.exitcode != 0:
        T.problem("crashes", f"engine fuzz process died with exit code {p.exitcode}")
        return
    done, problems = q.get()
    for pr in problems:
        T.problem("desyncs", pr[:400])
    T.add("edits", "engine", done)
    say(f"  engine: {done} edits, {time.monotonic() - started:.0f}s")


# -- hostile ----------------------------------------------------------------------------------------------

def hostile_inputs(seed: int, randoms: int) -> dict[str, bytes]:
    inputs = hostile.catalogue(scale=1.0)
    inputs["deep-types-50k"] = hostile.HEADER + b"var x " + b"[]" * 50_000 + b"*goja.Runtime\n"
    inputs["deep-struct-types"] = hostile.HEADER + b"type T " + b"struct { f " * 5_000 + b"int" + b" }" * 5_000 + b"\n"
    inputs["deep-var-initializer"] = hostile.HEADER + b"var x = " + b"func() int { return " * 3_000 + b"1" + b" }()" * 3_000 + b"\n"
    for i in range(randoms):
        gen = (hostile.random_bytes, hostile.random_tokens)[i % 2]
        inputs[f"random-{i}"] = gen(seed * 100_000 + i, random.Random(i).randrange(100, 20_000))
    return inputs


def hostile_section(seed: int, randoms: int, root: Path) -> None:
    inputs = hostile_inputs(seed, randoms)
    tree = root / "hostile"
    for name, src in inputs.items():
        (tree / name).mkdir(parents=True, exist_ok=True)
        (tree / name / "h.go").write_bytes(src)
    # through the CLI
    started = time.monotonic()
    try:
        p = subprocess.run([sys.executable, "-m", "gojaguard", "check", "--format", "json", "--file-time-budget", str(BUDGET), str(tree)],
                           capture_output=True, text=True, timeout=1800)
        report = json.loads(p.stdout)
        if p.returncode not in (0, 1) or "Traceback" in p.stderr:
            T.problem("crashes", f"check on hostile inputs: exit {p.returncode}: {p.stderr[-800:]}")
        skipped = [x for x in report["problems"] if SKIPPED in x]
        say(f"  hostile via check: {len(inputs)} inputs in {time.monotonic() - started:.0f}s, {len(skipped)} skipped over the "
            f"budget, {len(report['problems'])} problems reported")
    except subprocess.TimeoutExpired:
        T.problem("hangs", "check on hostile inputs did not finish in 30 min")
    T.add("inputs", "hostile via check", len(inputs))
    # through a server session
    s = RawServer(cwd=str(root))
    worst = (0.0, "")
    try:
        s.initialize(root / "empty-root", capabilities=PROFILES["neovim-0.11"][0], options={"fileTimeBudget": BUDGET})
        for name, src in inputs.items():
            uri = (tree / name / "open.go").as_uri()
            text = src.decode("utf-8", "surrogateescape")
            t0 = time.monotonic()
            s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "go", "version": 1, "text": text}})
            s.call("textDocument/diagnostic", {"textDocument": {"uri": uri}}, timeout=BUDGET + 30 + len(src) / 5e5)
            lines = text.count("\n")
            for line, ch in ((0, 0), (lines // 2, 5), (lines, 10**6)):
                s.call("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": line, "character": ch}}, timeout=60)
            s.call("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0},
                   "end": {"line": lines, "character": 0}}, "context": {"diagnostics": []}}, timeout=60)
            s.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
                {"range": {"start": {"line": lines // 2, "character": 0}, "end": {"line": lines // 2, "character": 0}}, "text": "}{\"\n"}]})
            s.call("textDocument/diagnostic", {"textDocument": {"uri": uri}}, timeout=BUDGET + 30 + len(src) / 5e5)
            s.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
            worst = max(worst, (time.monotonic() - t0, name))
            s.seen.clear()
            if not s.alive():
                T.problem("crashes", f"server died on {name}")
                break
        for e in server_errors(s):
            T.problem("crashes", f"hostile server: {e[:300]}")
        peak = procinfo.peak_rss_mb(s.pid)
        s.shutdown_and_exit(timeout=60)
        say(f"  hostile via the server: {len(inputs)} inputs, slowest {worst[1]} {worst[0]:.1f}s, peak RSS {peak:.0f} MB")
    except TimeoutError as exc:
        T.problem("hangs", f"hostile server: {exc}"[:300])
    finally:
        s.kill()
    T.add("inputs", "hostile via the server", len(inputs))


# -- protocol ----------------------------------------------------------------------------------------------

def protocol_section(frames: int, seed: int, root: Path) -> None:
    rng = random.Random(seed)
    s = RawServer(cwd=str(root))
    started = time.monotonic()
    sent = 0
    try:
        s.initialize(root, capabilities=PROFILES["vscode"][0])
        uri = (root / "proto" / "a.go").as_uri()
        s.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "go", "version": 1, "text": BASES[0]}})
        valid = [("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 50, "character": 5}}),
                 ("textDocument/diagnostic", {"textDocument": {"uri": uri}}),
                 ("workspace/diagnostic", {"previousResultIds": []}),
                 ("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0},
                                              "end": {"line": 200, "character": 0}}, "context": {"diagnostics": []}})]
        pending = []
        for i in range(frames):
            r = rng.random()
            if r < 0.3:  # garbage body, framed
                s.frame(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))))
            elif r < 0.45:  # a JSON value of the wrong shape
                s.frame(json.dumps(rng.choice([[], 1, "x", None, {"jsonrpc": "2.0"}, {"id": [1]}, {"jsonrpc": "2.0", "id": rng.randrange(9), "method": "x/y"},
                                               {"jsonrpc": "2.0", "id": 1, "method": "textDocument/hover", "params": {"position": -1}}])).encode())
            elif r < 0.5:  # junk between frames (ending in a line break, so that framing can resume)
                s.raw(bytes(rng.choice(b"abc:\r ") for _ in range(rng.randrange(40))) + b"\r\n")
            elif r < 0.8:
                pending.append(s.request(*rng.choice(valid)))
            else:
                if pending:
                    s.notify("$/cancelRequest", {"id": rng.choice(pending)})
            sent += 1
        deadline = time.monotonic() + 120
        answered = set()
        while len(answered) < len(pending) and time.monotonic() < deadline:
            try:
                m = s.wait_for(lambda m: m.get("id") in pending, timeout=max(0.1, deadline - time.monotonic()))
                answered.add(m["id"])
            except TimeoutError:
                break
        if len(answered) < len(pending):
            T.problem("hangs", f"protocol: {len(pending) - len(answered)} of {len(pending)} requests never answered")
        if not s.alive():
            T.problem("crashes", "protocol: the server died")
        else:
            s.shutdown_and_exit()
    except TimeoutError as exc:
        T.problem("hangs", f"protocol: {exc}"[:300])
    finally:
        s.kill()
    T.add("inputs", "protocol frames", sent)
    say(f"  protocol: {sent} frames ({len(pending)} valid requests, all answered: {len(answered) == len(pending)}), "
        f"{time.monotonic() - started:.0f}s")


# -- long session ------------------------------------------------------------------------------------------

def session_section(cycles: int, seed: int, root: Path) -> None:
    def progress(st):
        if st.cycles % 1000 == 1:
            say(f"    cycle {st.cycles}: RSS {st.rss_mb[-1][1]:.0f} MB")

    s = None
    try:
        stats, s = run_session(root / "session", cycles, seed=seed, reindex_every=50, sample_every=100, progress=progress)
        for e in server_errors(s):
            T.problem("crashes", f"session: {e[:300]}")
        if s.shutdown_and_exit(timeout=60) != 0:
            T.problem("crashes", "session: bad exit")
        warm = min(1500, cycles // 2)
        after = [mb for c, mb in stats.rss_mb if c >= warm]
        T.session = (f"{stats.summary()}; after the caches fill (cycle {warm}): {after[0]:.0f} -> {after[-1]:.0f} MB "
                     f"({after[-1] - after[0]:+.0f} MB over {cycles - warm} cycles)" if after else stats.summary())
        T.add("edits", "session", stats.edits)
        say("  session: " + T.session)
    except TimeoutError as exc:
        T.problem("hangs", f"session: {exc}"[:300])
    finally:
        if s is not None:
            s.kill()


# -- big tree ------------------------------------------------------------------------------------------------

def tree_section(files: int, root: Path) -> None:
    tree = root / "bigtree"
    for i in range(files):
        d = tree / f"d{i // 100:04d}" / f"s{i // 10 % 10}"
        if i % 10 == 0:
            d.mkdir(parents=True, exist_ok=True)
        if i % 500 == 0:
            (d / f"f{i}.go").write_text(f'package p{i}\n\nimport "github.com/dop251/goja"\n\nfunc F(vm *goja.Runtime) {{\n\tgo vm.RunString("1")\n\tvm.Set("x", 1)\n}}\n')
        else:
            (d / f"f{i}.go").write_text(f"package p{i // 10}\n\nimport \"fmt\"\n\nfunc F{i}() {{ fmt.Println({i}) }}\n")
    os.symlink(tree, tree / "d0000" / "loop")
    started = time.monotonic()
    try:
        p = subprocess.run([sys.executable, "-m", "gojaguard", "check", "--format", "json", str(tree)], capture_output=True, text=True,
                           timeout=1800)
        report = json.loads(p.stdout)
        if "Traceback" in p.stderr:
            T.problem("crashes", f"tree: {p.stderr[-800:]}")
        say(f"  tree: {report['stats']['files_scanned']} files scanned, {len(report['findings'])} findings, "
            f"{time.monotonic() - started:.1f}s")
    except subprocess.TimeoutExpired:
        T.problem("hangs", "tree: check did not finish in 30 min")
    T.add("inputs", "tree files", files)


# -- main --------------------------------------------------------------------------------------------------

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small numbers (a smoke run of a few minutes)")
    ap.add_argument("--only", default="sync,engine,hostile,protocol,session,tree")
    ap.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    ap.add_argument("--sync-edits", type=int, help="edits per client profile (default 5000; quick 300)")
    ap.add_argument("--engine-edits", type=int, help="default 50000; quick 2000")
    ap.add_argument("--random-inputs", type=int, help="random hostile inputs besides the catalogue (default 400; quick 20)")
    ap.add_argument("--frames", type=int, help="protocol frames (default 20000; quick 1000)")
    ap.add_argument("--cycles", type=int, help="long-session cycles (default 10000; quick 500)")
    ap.add_argument("--files", type=int, help="files in the big tree (default 100000; quick 5000)")
    args = ap.parse_args(argv)
    q = args.quick
    n = {
        "sync": args.sync_edits or (300 if q else 5000), "engine": args.engine_edits or (2000 if q else 50000),
        "random": args.random_inputs if args.random_inputs is not None else (20 if q else 400),
        "frames": args.frames or (1000 if q else 20000), "cycles": args.cycles or (500 if q else 10000),
        "files": args.files or (5000 if q else 100000),
    }
    only = set(args.only.split(","))
    say(f"gojaguard robustness campaign, seed {args.seed}: {n}")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gojaguard-campaign-") as tmp:
        root = Path(tmp)
        (root / "empty-root").mkdir()
        for name, fn in (("sync", lambda: sync_section(n["sync"], args.seed, root / "empty-root")),
                         ("engine", lambda: engine_section(n["engine"], args.seed)),
                         ("hostile", lambda: hostile_section(args.seed, n["random"], root)),
                         ("protocol", lambda: protocol_section(n["frames"], args.seed, root / "empty-root")),
                         ("session", lambda: session_section(n["cycles"], args.seed, root)),
                         ("tree", lambda: tree_section(n["files"], root))):
            if name not in only:
                continue
            say(f"[{name}]")
            t0 = time.monotonic()
            try:
                fn()
            except Exception:
                T.problem("crashes", f"{name}: the campaign itself failed: {traceback.format_exc()[-1200:]}")
            say(f"  ({time.monotonic() - t0:.0f}s)")
        shutil.rmtree(root, ignore_errors=True)
    say("")
    say(f"== gojaguard robustness campaign (seed {args.seed}, {time.monotonic() - started:.0f}s) ==")
    say(f"edits tried:  {sum(T.edits.values())}  " + ", ".join(f"{k} {v}" for k, v in T.edits.items()))
    say(f"inputs tried: {sum(T.inputs.values())}  " + ", ".join(f"{k} {v}" for k, v in T.inputs.items()))
    say(f"crashes: {len(T.crashes)}   hangs: {len(T.hangs)}   desyncs: {len(T.desyncs)}")
    if T.session:
        say(f"long session: {T.session}")
    return 1 if (T.crashes or T.hangs or T.desyncs) else 0


if __name__ == "__main__":
    sys.exit(main())
