"""Which local names of a file refer to goja, sobek, their forks, the event loop, k6 and stdlib.

Real code imports goja under aliases (``js "github.com/dop251/goja"``) and imports forks by
path, so the role of a name is decided by the import clause, never by the name itself.
"""

from __future__ import annotations

import sys

import re
from dataclasses import dataclass, field

from tree_sitter import Node

from . import api

ROLE_FORK_CANDIDATE = "fork?"  # a go.mod fork path: an engine if the file uses goja's API through it
_LAST_ELEMENT = re.compile(r"(?:^|/)([^/]+?)(?:/v\d+)?$")


def default_name(path: str) -> str:
    """The package name Go assumes for an import path without an alias."""
    m = _LAST_ELEMENT.search(path)
    name = m.group(1) if m else path
    if name.startswith("go-"):
        name = name[3:]
    return name.replace("-", "_").replace(".", "_")


@dataclass(frozen=True)
class ModuleForks:
    """Forks a module's go.mod builds with (see ``module.forks_of``)."""

    engines: tuple[str, ...] = ()
    nodejs: tuple[str, ...] = ()

    def key(self) -> tuple:
        return (self.engines, self.nodejs)


NO_FORKS = ModuleForks()
# what a file does with an engine package: goja's API, as opposed to a wrapper library's
_ENGINE_API = rb"\.(?:Runtime|Value|Object|Callable|FunctionCall|ConstructorCall|Program|Promise|New\(|Compile\(|MustCompile\(|AssertFunction\(|Undefined\(|Null\()"


def role_of(path: str, config: api.EngineConfig, forks: ModuleForks = NO_FORKS) -> str:
    if path in config.all_engine_paths():
        return api.ROLE_ENGINE
    if path in forks.engines:
        return ROLE_FORK_CANDIDATE
    if path in api.EVENTLOOP_PATHS or any(path == f"{n}/eventloop" for n in forks.nodejs):
        return api.ROLE_EVENTLOOP
    if any(path == f"{n}/require" for n in forks.nodejs):
        return api.ROLE_REQUIRE
    if path in api.K6_MODULES_PATHS:
        return api.ROLE_K6_MODULES
    if path in api.K6_PROMISES_PATHS:
        return api.ROLE_K6_PROMISES
    if path in api.REQUIRE_PATHS:
        return api.ROLE_REQUIRE
    if path.startswith("go.k6.io/k6") and path.endswith(api.K6_TASKQUEUE_SUFFIX):
        return api.ROLE_K6_TASKQUEUE
    return api.STD_ROLES.get(path, "")


@dataclass(frozen=True)
class Import:
    name: str  # the local name ("." for dot imports, "_" for blank)
    path: str
    role: str
    start: int
    end: int


@dataclass
class FileContext:
    """The import facts of one file, needed to read every type and call in it."""

    package: str = ""
    imports: list[Import] = field(default_factory=list)
    roles: dict[str, str] = field(default_factory=dict)  # local name -> role
    dot_roles: tuple[str, ...] = ()  # roles imported with "."
    paths: dict[str, str] = field(default_factory=dict)  # local name -> import path
    module: str = ""  # the module path of the file's module

    @property
    def uses_engine(self) -> bool:
        return any(i.role in (api.ROLE_ENGINE, api.ROLE_EVENTLOOP, api.ROLE_K6_MODULES) for i in self.imports)

    def role(self, name: str) -> str:
        return self.roles.get(name, "")

    def path(self, name: str) -> str:
        return self.paths.get(name, "")

    def key(self) -> str:
        """What the facts of this file's declarations depend on besides their own text, as one
        interned string: cache keys hash it once and compare it by identity (a tuple would be
        hashed again at every lookup, thousands of times per keystroke in a large file)."""
        cached = self.__dict__.get("_key")
        if cached is None:
            cached = self.__dict__["_key"] = sys.intern(repr(self._key()))
        return cached

    def _key(self) -> tuple:
        return (self.package, tuple(sorted(self.roles.items())), self.dot_roles, self.module,
                tuple(sorted((k, v) for k, v in self.paths.items() if self.roles.get(k) == api.ROLE_MODULE)))


def _string_content(node: Node) -> str:
    text = node.text.decode("utf-8", "replace")
    return text[1:-1] if len(text) >= 2 else text


def file_context(root: Node, config: api.EngineConfig, module: str = "", forks: ModuleForks = NO_FORKS) -> FileContext:
    ctx = FileContext(module=module)
    for node in root.named_children:
        if node.type == "package_clause":
            if node.named_children:
                ctx.package = node.named_children[0].text.decode("utf-8", "replace")
        elif node.type == "import_declaration":
            specs = []
            for child in node.named_children:
                if child.type == "import_spec":
                    specs.append(child)
                elif child.type == "import_spec_list":
                    specs.extend(c for c in child.named_children if c.type == "import_spec")
            for spec in specs:
                path_node = spec.child_by_field_name("path")
                if path_node is None:
                    continue
                path = _string_content(path_node)
                name_node = spec.child_by_field_name("name")
                name = name_node.text.decode("utf-8", "replace") if name_node is not None else default_name(path)
                role = role_of(path, config, forks)
                if role == ROLE_FORK_CANDIDATE:
                    role = api.ROLE_ENGINE if _uses_engine_api(root, name) else ""
                if not role and module and (path == module or path.startswith(module + "/")):
                    role = api.ROLE_MODULE
                ctx.imports.append(Import(name, path, role, spec.start_byte, spec.end_byte))
                ctx.paths[name] = path
                if name == ".":
                    if role:
                        ctx.dot_roles += (role,)
                elif name != "_" and role:
                    ctx.roles[name] = role
        elif node.type in ("function_declaration", "method_declaration", "type_declaration"):
            # imports come first in a Go file; stop at the first declaration
            break
    return ctx


def _uses_engine_api(root: Node, name: str) -> bool:
    """Whether a file uses goja's API through the package it imports as ``name``."""
    if not name or name in ("_", "."):
        return name == "."
    return re.search(rb"\b" + re.escape(name.encode()) + _ENGINE_API, root.text or b"") is not None


_IMPORT_SCAN = re.compile(rb'"([^"\n]+)"')


def imports_engine_quickly(source: bytes, config: api.EngineConfig, forks: ModuleForks = NO_FORKS) -> bool:
    """A byte-level pre-filter: can this file import an engine path at all?

    Used to skip packages that never touch goja without parsing them. It may say yes wrongly (a
    path in a string literal elsewhere), never no wrongly.
    """
    paths = config.all_engine_paths() + forks.engines + api.EVENTLOOP_PATHS + api.K6_MODULES_PATHS
    return any(p.encode() in source for p in paths)
