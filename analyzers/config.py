"""``.gojaguard.toml``: rules on/off and severities, engine import paths, owner functions, excludes.

```toml
engine-paths = ["example.com/internal/jsvm"]             # forks go.mod does not reveal
owner-functions = ["sched.Do", "Loop.Schedule"]          # run their func arguments on the owner
off-owner-functions = ["workers.Submit"]                 # run their func arguments on another goroutine
exclude = ["**/generated/**"]
file-time-budget = 10                                    # seconds per file; then it is skipped (0: no limit)

[rules]
GJ301 = "off"            # or "error" / "warning" / "information" / "hint"
mutex-held-across-js-call = "error"
```

The file is TOML data only; nothing in it is executed. The language server takes the same keys
from its settings (``gojaguard.rules``, ``gojaguard.enginePaths``, …).
"""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .model.api import EngineConfig

CONFIG_NAME = ".gojaguard.toml"
SEVERITY_VALUES = ("off", "error", "warning", "information", "hint")
TOP_KEYS = ("engine-paths", "owner-functions", "off-owner-functions", "exclude", "file-time-budget", "rules")
DEFAULT_FILE_TIME_BUDGET = 10.0  # seconds of analysis per file before it is reported as skipped


class ConfigError(Exception):
    """A configuration problem, with the file, key and line to point the user at."""

    def __init__(self, message: str, path: str = "", line: int = 0, key: str = ""):
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}")
        self.path, self.line, self.key = path, line, key


@dataclass
class Config:
    engine: EngineConfig = field(default_factory=EngineConfig)
    rules: dict[str, str] = field(default_factory=dict)  # rule id -> severity or "off"
    exclude: tuple[str, ...] = ()
    path: str = ""  # the file it came from
    file_time_budget: float = DEFAULT_FILE_TIME_BUDGET  # seconds; 0 = no limit

    def severity(self, rule_id: str, default: str) -> str:
        return self.rules.get(rule_id, default)

    def enabled(self, rule_id: str) -> bool:
        return self.rules.get(rule_id) != "off"

    def excluded(self, path: str, root: str = "") -> bool:
        if not self.exclude:
            return False
        rel = os.path.relpath(path, root) if root else path
        rel = rel.replace(os.sep, "/")
        return any(fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch("/" + rel, pat) for pat in self.exclude)

    def key(self) -> tuple:
        return (self.engine.key(), tuple(sorted(self.rules.items())), self.exclude, self.file_time_budget)


def _line_of(text: str, key: str) -> int:
    m = re.search(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=", text, re.M)
    return text[: m.start()].count("\n") + 1 if m else 0


def _strings(value, key: str, path: str, text: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"`{key}` must be a list of strings", path, _line_of(text, key), key)
    return tuple(value)


def from_mapping(data: dict, path: str = "", text: str = "") -> Config:
    """Build a Config from parsed TOML (or LSP settings mapped to the same keys)."""
    from .rules import lookup

    cfg = Config(path=path)
    for key in data:
        if key not in TOP_KEYS:
            raise ConfigError(f"unknown key `{key}` (known: {', '.join(TOP_KEYS)})", path, _line_of(text, key), key)
    engine_paths = _strings(data.get("engine-paths", []), "engine-paths", path, text)
    owner = _strings(data.get("owner-functions", []), "owner-functions", path, text)
    off = _strings(data.get("off-owner-functions", []), "off-owner-functions", path, text)
    cfg.exclude = _strings(data.get("exclude", []), "exclude", path, text)
    cfg.engine = EngineConfig(engine_paths=engine_paths, owner_functions=frozenset(owner), off_owner_functions=frozenset(off))
    if "file-time-budget" in data:
        cfg.file_time_budget = time_budget(data["file-time-budget"], path, _line_of(text, "file-time-budget"))
    rules = data.get("rules", {})
    if not isinstance(rules, dict):
        raise ConfigError("`rules` must be a table: [rules] GJ301 = \"off\"", path, _line_of(text, "rules"), "rules")
    for rid, value in rules.items():
        rule = lookup(rid)
        if rule is None:
            raise ConfigError(f"unknown rule `{rid}` in [rules]", path, _line_of(text, rid), rid)
        if not isinstance(value, str) or value.lower() not in SEVERITY_VALUES:
            raise ConfigError(f"rule `{rid}` must be one of {', '.join(SEVERITY_VALUES)}", path, _line_of(text, rid), rid)
        cfg.rules[rule.id] = value.lower()
    return cfg


def time_budget(value, path: str = "", line: int = 0, key: str = "file-time-budget") -> float:
    """A time budget in seconds: a number from 0 (no limit) to a day."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 <= value <= 86400):
        raise ConfigError(f"`{key}` must be a number of seconds from 0 (no limit) to 86400", path, line, key)
    return float(value)


def load(path: str | Path) -> Config:
    path = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path) from exc
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ConfigError(f"invalid TOML: {exc}", path, int(m.group(1)) if m else 0) from None
    return from_mapping(data, path, text)


def find(start: str | Path) -> Path | None:
    """The nearest .gojaguard.toml in ``start`` (a file or directory) or its parents."""
    p = Path(start).resolve()
    if p.is_file():
        p = p.parent
    for d in (p, *p.parents):
        candidate = d / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def discover(start: str | Path) -> Config:
    found = find(start)
    return load(found) if found is not None else Config()
