"""Editor settings (initializationOptions, workspace/configuration) -> the engine's Config.

The client sends ``{rules, diagnosticsDelay, enginePaths, ownerFunctions, offOwnerFunctions,
exclude, fileTimeBudget, locale}`` (the VS Code extension's shape; other clients may send a subset). They apply
on top of the nearest ``.gojaguard.toml``: rule severities override it, lists extend it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...analyzers import config as C
from ...analyzers.model.api import EngineConfig
from ...analyzers.rules import lookup

DEFAULT_DELAY_MS = 150


@dataclass
class Settings:
    rules: dict[str, str] = field(default_factory=dict)
    diagnostics_delay_ms: int = DEFAULT_DELAY_MS
    engine_paths: tuple[str, ...] = ()
    owner_functions: tuple[str, ...] = ()
    off_owner_functions: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    locale: str = ""
    file_time_budget: float | None = None  # seconds; None: the .gojaguard.toml's (or the default)
    problems: list[str] = field(default_factory=list)  # what was ignored, for the log


def _strings(value) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)):
        return tuple(v for v in value if isinstance(v, str))
    return ()


def parse(raw, base: Settings | None = None) -> Settings:
    """Settings from a client's JSON object; bad values are dropped and noted, never fatal."""
    s = Settings() if base is None else Settings(**{**base.__dict__, "problems": []})
    if not isinstance(raw, dict):
        return s
    if "gojaguard" in raw and isinstance(raw["gojaguard"], dict):
        raw = raw["gojaguard"]
    rules = raw.get("rules")
    if isinstance(rules, dict):
        s.rules = {}
        for rid, sev in rules.items():
            rule = lookup(str(rid))
            sev = str(sev).lower()
            sev = {"info": "information", "warn": "warning"}.get(sev, sev)
            if rule is None or sev not in C.SEVERITY_VALUES:
                s.problems.append(f"ignored setting rules.{rid} = {sev!r}")
                continue
            s.rules[rule.id] = sev
    delay = raw.get("diagnosticsDelay")
    if delay is not None:
        try:
            s.diagnostics_delay_ms = max(0, min(int(delay), 10_000))
        except (TypeError, ValueError):
            s.problems.append(f"ignored setting diagnosticsDelay = {delay!r}")
    for key, attr in (("enginePaths", "engine_paths"), ("ownerFunctions", "owner_functions"),
                      ("offOwnerFunctions", "off_owner_functions"), ("exclude", "exclude")):
        if key in raw:
            setattr(s, attr, _strings(raw[key]))
    budget = raw.get("fileTimeBudget")
    if budget is not None:
        try:
            s.file_time_budget = C.time_budget(budget, key="fileTimeBudget")
        except C.ConfigError as exc:
            s.problems.append(f"ignored setting fileTimeBudget = {budget!r}: {exc}")
    locale = raw.get("locale")
    if isinstance(locale, str):
        s.locale = "" if locale == "auto" else locale
    return s


def merge(file_config: C.Config, settings: Settings) -> C.Config:
    """The .gojaguard.toml configuration with the editor's settings applied on top."""
    e = file_config.engine
    engine = EngineConfig(
        engine_paths=tuple(dict.fromkeys(tuple(e.engine_paths) + settings.engine_paths)),
        owner_functions=frozenset(e.owner_functions) | frozenset(settings.owner_functions),
        off_owner_functions=frozenset(e.off_owner_functions) | frozenset(settings.off_owner_functions),
    )
    rules = dict(file_config.rules)
    rules.update(settings.rules)
    budget = file_config.file_time_budget if settings.file_time_budget is None else settings.file_time_budget
    return C.Config(engine=engine, rules=rules, exclude=tuple(file_config.exclude) + settings.exclude, path=file_config.path,
                    file_time_budget=budget)
