"""Shared helpers for the real-editor end-to-end tests (tests/test_editor_*.py).

- Tool discovery: the environment first, then /opt/gojaguard-editors/env.sh (written by
  .ci/install-editors.sh), so `python3 -m pytest` finds the editors without sourcing it.
- Skip-or-fail: a missing tool skips the test, unless GOJAGUARD_REQUIRE_TOOLS=1 (set by .ci/run),
  where it fails.
- Artifacts: screenshots and logs go to the test's tmp_path and are copied to
  tests/.artifacts/<name>/ (gitignored), a stable place to look at after a run.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
ARTIFACTS = ROOT / "tests" / ".artifacts"
EDITORS_ENV = Path(os.environ.get("GOJAGUARD_EDITORS_DIR", "/opt/gojaguard-editors")) / "env.sh"


def require_tools() -> bool:
    return os.environ.get("GOJAGUARD_REQUIRE_TOOLS", "") not in ("", "0")


def missing(reason: str):
    """Skip with `reason`, or fail when the tools are required (CI)."""
    if require_tools():
        pytest.fail(f"{reason} (GOJAGUARD_REQUIRE_TOOLS=1: nothing may be skipped; run .ci/install-editors.sh)")
    pytest.skip(f"{reason} (run .ci/install-editors.sh, or set GOJAGUARD_REQUIRE_TOOLS=1 to make this a failure)")


def _env_sh() -> dict[str, str]:
    """The `export NAME='value'` lines of install-editors.sh's env.sh (no shell is run)."""
    out: dict[str, str] = {}
    try:
        text = EDITORS_ENV.read_text(encoding="utf-8")
    except OSError:
        return out
    for line in text.splitlines():
        m = re.match(r"\s*export\s+([A-Z_][A-Z0-9_]*)=(.*)$", line)
        if not m or "$" in m.group(2).split("'")[0]:
            continue
        try:
            words = shlex.split(m.group(2))
        except ValueError:
            continue
        if words:
            out[m.group(1)] = words[0]
    return out


def tool(name: str) -> str | None:
    """Path of a tool named by an env.sh variable (CODE_SERVER, CHROMIUM, NVIM07, ...), if it exists."""
    value = os.environ.get(name) or _env_sh().get(name)
    if not value:
        return None
    found = shutil.which(value) if os.sep not in value else (value if os.path.exists(value) else None)
    return found


def tool_env() -> dict[str, str]:
    """os.environ plus what env.sh exports and the environment lacks (NODE_PATH is merged)."""
    env = dict(os.environ)
    for k, v in _env_sh().items():
        if k == "NODE_PATH" and env.get("NODE_PATH"):
            if v not in env["NODE_PATH"].split(os.pathsep):
                env["NODE_PATH"] = v + os.pathsep + env["NODE_PATH"]
        else:
            env.setdefault(k, v)
    return env


def artifacts(name: str) -> Path:
    """A fresh tests/.artifacts/<name>/ directory."""
    d = ARTIFACTS / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True, exist_ok=True)
    return d


def keep(src_dir: Path, name: str, pattern: str = "*") -> Path:
    """Copy the files matching `pattern` from src_dir to tests/.artifacts/<name>/."""
    d = artifacts(name)
    for p in src_dir.glob(pattern):
        if p.is_file():
            shutil.copy2(p, d / p.name)
    return d


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based number of the line holding the `occurrence`-th `needle`."""
    at = -1
    for _ in range(occurrence):
        at = text.index(needle, at + 1)
    return text.count("\n", 0, at) + 1


def columns(line: str, needle: str, end: bool = False) -> dict[str, int]:
    """0-based start (or with `end`, the end) of `needle` in `line` in each position encoding, i.e.
    an LSP `character` in utf-8 (bytes, also Neovim's column), utf-16 and utf-32 (characters)."""
    prefix = line[: line.index(needle) + (len(needle) if end else 0)]
    return {
        "utf-8": len(prefix.encode("utf-8")),
        "utf-16": len(prefix.encode("utf-16-le")) // 2,
        "utf-32": len(prefix),
    }
