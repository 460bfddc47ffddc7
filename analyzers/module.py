"""Go modules: which module a directory belongs to, and the import path of a package directory.

Used to resolve calls across the packages of the module being checked (``k6ext.Promise(…)``
runs its argument in a goroutine; ``gojautil.Scheduler.ScheduleAsync`` queues it on the owner):
the engine keeps the summaries of each analysed package under its import path.

A module's ``go.mod`` also says which goja forks it builds with (``engine_forks``): a required
or replacing module whose path ends in ``/goja`` or ``/sobek`` (``github.com/Mzack9999/goja``),
or any module that a ``replace`` points at goja, sobek or such a fork; and forks of goja_nodejs
(a path ending in ``/goja_nodejs``), whose ``eventloop`` and ``require`` packages play the
originals' roles. Code importing a fork needs no ``.gojaguard.toml`` then.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

_MODULE = re.compile(r"^\s*module\s+(\S+)", re.M)
_ORIGINAL_ENGINES = ("github.com/dop251/goja", "github.com/grafana/sobek")
_ORIGINAL_NODEJS = "github.com/dop251/goja_nodejs"
_VERSION_SUFFIX = re.compile(r"/v\d+$")


@dataclass(frozen=True)
class ModuleInfo:
    root: str  # the directory holding go.mod
    path: str  # its module path
    engine_forks: tuple[str, ...] = ()  # import paths of goja/sobek forks the module builds with
    nodejs_forks: tuple[str, ...] = ()  # module paths of goja_nodejs forks

    @property
    def forks(self):
        from .model.imports import ModuleForks

        return ModuleForks(self.engine_forks, self.nodejs_forks)

    def import_path(self, directory: str) -> str:
        rel = os.path.relpath(os.path.abspath(directory), self.root)
        if rel == ".":
            return self.path
        return self.path + "/" + rel.replace(os.sep, "/")


@lru_cache(maxsize=4096)
def find_module(directory: str) -> ModuleInfo | None:
    """The nearest go.mod at or above ``directory``."""
    d = os.path.abspath(directory)
    while True:
        gomod = os.path.join(d, "go.mod")
        if os.path.isfile(gomod):
            try:
                with open(gomod, encoding="utf-8", errors="replace") as fh:
                    text = fh.read(1 << 20)
            except OSError:
                text = ""
            m = _MODULE.search(text)
            if not m:
                return None
            engines, nodejs = forks_of(text)
            return ModuleInfo(d, m.group(1).strip('"'), engines, nodejs)
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def _last_element(path: str) -> str:
    return _VERSION_SUFFIX.sub("", path).rsplit("/", 1)[-1]


def _directives(text: str, verb: str) -> list[str]:
    """The lines of ``verb`` directives (``require x v1`` and ``require ( … )`` blocks), comments cut."""
    out = []
    block = False
    for raw in text.splitlines():
        line = raw.split("//", 1)[0].strip()
        if block:
            if line.startswith(")"):
                block = False
            elif line:
                out.append(line)
            continue
        if line.startswith(verb):
            rest = line[len(verb):].strip()
            if rest.startswith("("):
                block = True
                rest = rest[1:].strip()
            if rest:
                out.append(rest)
    return out


def forks_of(gomod: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(engine forks, goja_nodejs forks) named by a go.mod's require and replace directives."""
    modules = set()
    replaced: dict[str, str] = {}
    for line in _directives(gomod, "require"):
        parts = line.split()
        if parts:
            modules.add(parts[0].strip('"'))
    for line in _directives(gomod, "replace"):
        if "=>" not in line:
            continue
        left, right = line.split("=>", 1)
        lp, rp = left.split(), right.split()
        if lp and rp:
            replaced[lp[0].strip('"')] = rp[0].strip('"')
            modules.add(lp[0].strip('"'))
            if not rp[0].startswith((".", "/")):
                modules.add(rp[0].strip('"'))

    def engine_like(p: str) -> bool:
        return p in _ORIGINAL_ENGINES or _last_element(p) in ("goja", "sobek")

    engines = {p for p in modules if engine_like(p) and p not in _ORIGINAL_ENGINES}
    engines |= {left for left, right in replaced.items() if engine_like(right) and left not in _ORIGINAL_ENGINES}
    nodejs = {p for p in modules if _last_element(p) == "goja_nodejs" and p != _ORIGINAL_NODEJS}
    nodejs |= {left for left, right in replaced.items() if _last_element(right) == "goja_nodejs" and left != _ORIGINAL_NODEJS}
    return tuple(sorted(engines)), tuple(sorted(nodejs))
