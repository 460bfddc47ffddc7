"""Go modules: which module a directory belongs to, and the import path of a package directory.

Used to resolve calls across the packages of the module being checked (``k6ext.Promise(…)``
runs its argument in a goroutine; ``gojautil.Scheduler.ScheduleAsync`` queues it on the owner):
the engine keeps the summaries of each analysed package under its import path.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

_MODULE = re.compile(r"^\s*module\s+(\S+)", re.M)


@dataclass(frozen=True)
class ModuleInfo:
    root: str  # the directory holding go.mod
    path: str  # its module path

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
                    m = _MODULE.search(fh.read(4096))
            except OSError:
                m = None
            return ModuleInfo(d, m.group(1).strip('"')) if m else None
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent
