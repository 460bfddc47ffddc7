"""The VS Code extension for real: the packaged .vsix in code-server, driven by headless Chromium
(vscode-extension/e2e/run_code_server.js), against the real `gojaguard serve`.

One scenario, like a person would use it: open a Go file, see the findings underlined and in the
Problems panel, hover the runtime, type a fix and see the diagnostic go (and come back when the
line is deleted, and move when a line is inserted above), then apply a quick fix from Ctrl+. and
see its diagnostic go. Screenshots land in tmp_path and in tests/.artifacts/vscode/.
A second test checks, on the same run, that the Problems panel shows the rule link
(codeDescription) and the relatedInformation rows.

Needs node, code-server, chromium and playwright-core (.ci/install-editors.sh); without them the
test is skipped, or fails under GOJAGUARD_REQUIRE_TOOLS=1.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "editors"))
import editor_tools as et  # noqa: E402

EXT = et.ROOT / "vscode-extension"
DRIVER = EXT / "e2e" / "run_code_server.js"
# build output: the ignored dist/ (vscode-extension/.gitignore), never committed
VSIX = EXT / "dist" / "gojaguard.vsix"
WANT = re.compile(r'[ \t]*// want "[^"\n]*"[ \t]*$', re.M)
# GOJAGUARD_UPDATE_SCREENSHOTS=1 copies these into vscode-extension/images/ (README's Screenshots)
README_SCREENSHOTS = {"readme-editor-hover.png": "editor-hover.png", "problems-panel.png": "problems-panel.png"}
# what goes into the .vsix (see .vscodeignore) and what builds it
VSIX_INPUTS = ["src", "package.json", "package-lock.json", "package.nls.json", "package.nls.zh-cn.json",
               "README.md", "CHANGELOG.md", "LICENSE", "images", "esbuild.mjs", "tsconfig.json", ".vscodeignore"]


def _newest_input() -> float:
    newest = 0.0
    for name in VSIX_INPUTS:
        p = EXT / name
        files = [p] if p.is_file() else [f for f in p.rglob("*") if f.is_file()] if p.is_dir() else []
        for f in files:
            newest = max(newest, f.stat().st_mtime)
    return newest


def _run(cmd: list[str], what: str, timeout: int) -> None:
    r = subprocess.run(cmd, cwd=EXT, capture_output=True, text=True, timeout=timeout, env=et.tool_env())
    if r.returncode != 0:
        et.missing(f"{what} failed (exit {r.returncode}): {(r.stdout + r.stderr)[-2000:]}")


@pytest.fixture(scope="session")
def vsix() -> Path:
    """The packaged extension: $GOJAGUARD_VSIX, or dist/gojaguard.vsix rebuilt when older than its sources."""
    if os.environ.get("GOJAGUARD_VSIX"):
        return Path(os.environ["GOJAGUARD_VSIX"])
    npm = shutil.which("npm")
    if npm is None:
        et.missing("npm is not installed: cannot build the .vsix")
    VSIX.parent.mkdir(parents=True, exist_ok=True)
    with open(VSIX.parent / ".build.lock", "w") as lock:  # one build at a time (pytest -n)
        fcntl.flock(lock, fcntl.LOCK_EX)
        if VSIX.exists() and VSIX.stat().st_mtime >= _newest_input():
            return VSIX
        installed = EXT / "node_modules" / ".package-lock.json"
        if not installed.exists() or installed.stat().st_mtime < (EXT / "package-lock.json").stat().st_mtime:
            _run([npm, "ci", "--no-audit", "--no-fund"], "npm ci", timeout=600)
        # `npm run package` = vsce package (vscode:prepublish: tsc + esbuild); --out overrides its default
        _run([npm, "run", "package", "--", "--out", str(VSIX.relative_to(EXT))], "npm run package", timeout=600)
    if not VSIX.exists():
        et.missing(f"npm run package did not produce {VSIX}")
    return VSIX


@pytest.fixture(scope="session")
def editors_env() -> dict[str, str]:
    env = et.tool_env()
    if shutil.which("node") is None:
        et.missing("node is not installed")
    for name in ("CODE_SERVER", "CHROMIUM"):
        path = et.tool(name)
        if path is None:
            et.missing(f"{name} not found (environment or {et.EDITORS_ENV})")
        env[name] = path
    pw = env.get("PLAYWRIGHT_CORE_DIR")
    if not pw or not Path(pw).is_dir():
        et.missing("playwright-core not found (PLAYWRIGHT_CORE_DIR)")
    return env


def _workspace(root: Path) -> dict:
    """Copies of two fixtures (never the fixtures themselves) and the lines the scenario needs."""
    pool_src = (et.FIXTURES / "seed" / "poolexecutor" / "executor.go").read_text(encoding="utf-8")
    loop_src = (et.FIXTURES / "rules" / "gj402" / "positive.go").read_text(encoding="utf-8")
    (root / "poolexecutor").mkdir(parents=True)
    (root / "gj402").mkdir()
    # as a user's code would be: without the fixtures' `// want "GJxxx"` markers (lines stay put)
    (root / "poolexecutor" / "executor.go").write_text(WANT.sub("", pool_src), encoding="utf-8")
    (root / "gj402" / "positive.go").write_text(WANT.sub("", loop_src), encoding="utf-8")
    gj203 = et.line_of(pool_src, 'e.runtimePool <- runtime // want "GJ203"')
    gj204 = et.line_of(pool_src, 'runtime.Interrupt("timeout") // want "GJ204"')
    done = gj204 + 1  # the ClearInterrupt() that GJ204 asks for goes after this wait
    assert pool_src.splitlines()[done - 1].strip() == "<-done", "executor.go changed: `<-done` no longer follows GJ204"
    gj203_text = pool_src.splitlines()[gj203 - 1]
    stop = et.line_of(loop_src, 'loop.Stop() // want "GJ402"')
    stop_text = loop_src.splitlines()[stop - 1]
    return {
        "gj203": gj203, "gj203_col": gj203_text.index("e.runtimePool") + 1,
        "runtime_col": gj203_text.index("<- runtime") + len("<- ") + 1,
        "gj204": gj204, "gj204_col": pool_src.splitlines()[gj204 - 1].index("runtime.Interrupt") + 1, "done": done,
        "stop": stop, "stop_col": stop_text.index("loop.Stop()") + 1,
        "loop_markers": loop_src.count('// want "GJ402"'),
    }


def _scenario(w: dict) -> dict:
    pos = lambda line, col: f"[Ln {line}, Col {col}]"  # noqa: E731 - as the Problems panel shows it
    return {"timeoutMs": 45000, "steps": [
        # 1. open: the findings are underlined and listed with rule code and source
        {"action": "open", "file": "poolexecutor/executor.go"},
        {"action": "status", "expect": "running"},
        {"action": "diagnostics", "severity": "error", "minCount": 1, "line": w["gj203"]},
        {"action": "diagnostics", "severity": "warning", "minCount": 1, "line": w["gj204"]},
        {"action": "problems", "file": "executor.go", "count": 2,
         "expect": ["GJ203", "GJ204", "gojaguard", pos(w["gj203"], w["gj203_col"]), "goes back to the pool"]},
        {"action": "screenshot", "name": "problems-panel.png"},
        # 2. hover the runtime on the flagged line: the finding and who owns the runtime
        {"action": "hover", "line": w["gj203"], "column": w["runtime_col"], "expect": "Returned to the pool",
         "screenshot": ["editor-hover.png", {"name": "readme-editor-hover.png", "selector": ".part.editor"}]},
        # 3. type the fix for GJ204 (ClearInterrupt after the wait): its diagnostic goes
        {"action": "goto", "line": w["done"], "column": 1},
        {"action": "press", "key": "End"},
        {"action": "press", "key": "Enter"},
        {"action": "type", "text": "runtime.ClearInterrupt()"},
        {"action": "line", "line": w["done"] + 1, "expect": "runtime.ClearInterrupt()"},
        {"action": "problems", "file": "executor.go", "count": 1, "expect": ["GJ203"], "absent": ["GJ204"]},
        {"action": "diagnostics", "severity": "warning", "count": 0, "line": w["gj204"]},
        {"action": "screenshot", "name": "after-typing-the-fix.png"},
        #    delete that line again: the diagnostic comes back
        {"action": "goto", "line": w["done"] + 1, "column": 1},
        {"action": "command", "title": "Delete Line"},
        {"action": "problems", "file": "executor.go", "count": 2, "expect": ["GJ203", "GJ204", pos(w["gj204"], w["gj204_col"])]},
        #    a line inserted at the top: both diagnostics move down one line
        {"action": "goto", "line": 1, "column": 1},
        {"action": "type", "text": "// edited by the e2e test\n"},
        {"action": "problems", "file": "executor.go", "count": 2,
         "expect": [pos(w["gj203"] + 1, w["gj203_col"]), pos(w["gj204"] + 1, w["gj204_col"])]},
        # 4. quick fix from Ctrl+.: loop.Stop() -> loop.StopNoWait(), and its diagnostic goes
        {"action": "open", "file": "gj402/positive.go"},
        {"action": "problems", "file": "positive.go", "count": w["loop_markers"], "expect": ["GJ402"]},
        {"action": "quickfix", "line": w["stop"], "column": w["stop_col"], "title": "Use StopNoWait()",
         "expect": ["Suppress GJ402 on this line", "Explain GJ402"], "screenshot": ["quickfix-menu.png", {"name": "readme-quickfix-menu.png", "selector": ".part.editor"}]},
        {"action": "line", "line": w["stop"], "expect": "loop.StopNoWait()"},
        {"action": "problems", "file": "positive.go", "count": w["loop_markers"] - 1, "absent": [pos(w["stop"], w["stop_col"])]},
        {"action": "screenshot", "name": "after-quickfix.png"},
        {"action": "output", "expect": "server running"},
    ]}


def server_command() -> list[str]:
    """The server the extension starts (it appends `serve`): this checkout's, or $GOJAGUARD_E2E_SERVER (a JSON list)."""
    return json.loads(os.environ["GOJAGUARD_E2E_SERVER"]) if os.environ.get("GOJAGUARD_E2E_SERVER") else \
        [sys.executable, "-m", "gojaguard"]


@pytest.fixture(scope="module")
def vscode_run(editors_env: dict, vsix: Path, tmp_path_factory) -> dict:  # tools first: no build to skip
    """Run the scenario once: {ok, steps, out, artifacts, seconds, stderr, returncode}."""
    tmp = tmp_path_factory.mktemp("vscode")
    ws = tmp / "workspace"
    w = _workspace(ws)
    out = tmp / "out"
    scenario = tmp / "scenario.json"
    scenario.write_text(json.dumps(_scenario(w), indent=1), encoding="utf-8")
    settings = {
        "gojaguard.path": server_command(),
        # keystrokes go to the document only: no completion popups, no auto-closed brackets
        "editor.quickSuggestions": {"other": "off", "comments": "off", "strings": "off"},
        "editor.suggestOnTriggerCharacters": False,
        "editor.wordBasedSuggestions": "off",
        "editor.autoClosingBrackets": "never",
        "editor.autoClosingQuotes": "never",
        "editor.acceptSuggestionOnEnter": "off",
    }
    t0 = time.monotonic()
    try:
        r = subprocess.run(
            ["node", str(DRIVER), "--vsix", str(vsix), "--workspace", str(ws), "--settings", json.dumps(settings),
             "--scenario", str(scenario), "--out", str(out)],
            capture_output=True, text=True, timeout=300, env=editors_env)
    finally:
        out.mkdir(exist_ok=True)
        kept = et.keep(out, "vscode", "*.png")
    seconds = time.monotonic() - t0
    for d in (out, kept):
        (d / "driver.log").write_text(r.stderr, encoding="utf-8")
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("E2E_RESULT ")]
    res = json.loads(lines[-1][len("E2E_RESULT "):]) if lines else {"ok": False, "steps": []}
    (kept / "result.json").write_text(json.dumps(res, indent=1), encoding="utf-8")
    print(f"\nVS Code e2e: {seconds:.1f}s, {len(res['steps'])} steps; screenshots in {kept}")
    return {**res, "out": out, "artifacts": kept, "seconds": seconds, "stderr": r.stderr, "returncode": r.returncode}


def _result(run: dict, action: str, nth: int = 0) -> dict:
    return [s["result"] for s in run["steps"] if s["step"]["action"] == action and s["ok"]][nth]


def test_vscode_extension_against_the_real_server(vscode_run: dict):
    run = vscode_run
    failed = [s for s in run["steps"] if not s["ok"]]
    assert run["ok"] and run["returncode"] == 0, (
        f"driver exit {run['returncode']}; failed: {json.dumps(failed, indent=1)}\n"
        f"screenshots and logs: {run['out']} and {run['artifacts']}\n{run['stderr'][-3000:]}")
    out = run["out"]
    hover = _result(run, "hover")["hover"]
    assert "e.runtimePool" in hover and "GJ203" in hover, hover  # the owner and the finding
    fix = _result(run, "quickfix")
    assert fix["applied"] == "Use StopNoWait() inside the loop (GJ402)", fix
    log = _result(run, "output")["output"]
    assert "encoding=utf-16 pull=True" in log, log  # VS Code: UTF-16, pull diagnostics
    for name in ("problems-panel.png", "editor-hover.png", "quickfix-menu.png", "after-quickfix.png"):
        assert (out / name).stat().st_size > 10_000, name
    if os.environ.get("GOJAGUARD_UPDATE_SCREENSHOTS"):  # refresh the extension README's pictures
        for src, dst in README_SCREENSHOTS.items():
            shutil.copy2(out / src, EXT / "images" / dst)


def test_vscode_problems_show_rule_links_and_related_information(vscode_run: dict):
    markers = _result(vscode_run, "problems")["markers"]
    gj203 = next(m for m in markers if m["code"] == "GJ203")
    assert gj203["codeLink"].startswith("https://"), gj203  # codeDescription: the rule's code is a link
    assert gj203["related"], gj203  # relatedInformation: "checked out here", "the goroutine", ...
