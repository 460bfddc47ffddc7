"""Finding the Go packages under the paths given, the way the go tool does.

Directories named ``vendor`` or ``testdata``, and those starting with ``.`` or ``_``, are
skipped; so are files starting with ``.`` or ``_``. Directory symlinks are not followed unless
asked (a link can leave the tree or loop); neither are file symlinks leading out of the tree (each
is reported). Only regular files are read (a FIFO would block, a device never end). A package is
the ``.go`` files of one directory that share a package clause (``foo`` and its external test
package ``foo_test`` are two).
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .model.imports import NO_FORKS, ModuleForks, imports_engine_quickly
from .module import find_module

_PACKAGE = re.compile(rb"^\s*package\s+([A-Za-z_][A-Za-z0-9_]*)", re.M)
_SKIP_DIRS = frozenset({"vendor", "testdata", "node_modules"})


@dataclass
class Package:
    dir: str
    name: str
    files: list[str] = field(default_factory=list)
    imports: set = field(default_factory=set)  # import paths its files name (read cheaply)
    build_imports: set = field(default_factory=set)  # the same, of its non-test files

    @property
    def external_test(self) -> bool:
        """``package foo_test``: it shares its directory's import path, but nothing imports it."""
        return self.name.endswith("_test") and all(f.endswith("_test.go") for f in self.files)

    @property
    def order_imports(self) -> set:
        """The imports that order the analysis: those of the non-test files (acyclic, as in a Go
        build: test files may import packages that import this one), or of all files for an
        external test package (nothing imports it)."""
        return self.build_imports if any(not f.endswith("_test.go") for f in self.files) else self.imports

    @property
    def id(self) -> str:
        return f"{self.dir}#{self.name}"


@dataclass
class Discovery:
    packages: list[Package] = field(default_factory=list)
    skipped_packages: int = 0  # packages that never import an engine path
    unmatched: list[Package] = field(default_factory=list)  # those packages (a nearer config may add paths)
    files_seen: int = 0
    bytes_seen: int = 0
    problems: list[str] = field(default_factory=list)  # unreadable files, broken links, ...


def read_source(path: str) -> bytes:
    """A Go file's bytes. Only regular files are read: opening a FIFO would block until a writer
    comes, a device (a link to /dev/zero) would never end; both are an OSError instead."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as fh:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory", path)
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file (a FIFO, socket or device)", path)
        return fh.read()


def package_name(source: bytes) -> str:
    """The package clause's name, read cheaply (comments before it are skipped)."""
    stripped = re.sub(rb"//[^\n]*|/\*.*?\*/", b"", source[:4096], flags=re.S)
    m = _PACKAGE.search(stripped)
    return m.group(1).decode() if m else ""


def iter_go_files(paths: list[str], config: Config, follow_links: bool = False, problems: list | None = None):
    problems = problems if problems is not None else []
    seen_dirs: set = set()
    for root in paths:
        p = Path(root)
        if p.is_file() or (p.suffix == ".go" and not p.is_dir()):
            if p.suffix == ".go":
                yield str(p)
            continue
        if not p.is_dir():
            problems.append(f"{root}: no such file or directory")
            continue
        root_real = os.path.realpath(p)
        for dirpath, dirnames, filenames in os.walk(p, followlinks=follow_links, onerror=lambda e: problems.append(f"{e.filename}: {e.strerror}")):
            real = os.path.realpath(dirpath)
            if real in seen_dirs:  # a link loop
                dirnames[:] = []
                continue
            seen_dirs.add(real)
            dirnames[:] = sorted(
                d for d in dirnames
                if d not in _SKIP_DIRS and not d.startswith((".", "_"))
                and not config.excluded(os.path.join(dirpath, d) + "/", str(p))
            )
            if not follow_links:  # say so when a link leading out of the tree is left alone
                for d in dirnames:
                    _outside(os.path.join(dirpath, d), root_real, root, problems)
            for name in sorted(filenames):
                if not name.endswith(".go") or name.startswith((".", "_")):
                    continue
                full = os.path.join(dirpath, name)
                if config.excluded(full, str(p)):
                    continue
                if not follow_links and _outside(full, root_real, root, problems):
                    continue
                yield full


def _outside(path: str, root_real: str, root: str, problems: list) -> bool:
    """Is ``path`` a symbolic link leading out of the tree being walked? (Then it is noted.)"""
    if not os.path.islink(path):
        return False
    real = os.path.realpath(path)
    if real == root_real or real.startswith(root_real.rstrip(os.sep) + os.sep):
        return False
    problems.append(f"{path}: a symbolic link out of {root} (to {real}): not followed (--follow-links follows links)")
    return True


def discover(paths: list[str], config: Config, follow_links: bool = False) -> Discovery:
    """Group Go files into packages and drop, without parsing, those that never import goja."""
    disc = Discovery()
    by_key: dict[tuple[str, str], Package] = {}
    engine_hit: dict[tuple[str, str], bool] = {}
    for path in iter_go_files(paths, config, follow_links, disc.problems):
        try:
            source = read_source(path)
        except OSError as exc:
            disc.problems.append(f"{path}: cannot read: {exc.strerror}")
            continue
        disc.files_seen += 1
        disc.bytes_seen += len(source)
        key = (os.path.dirname(path), package_name(source))
        pkg = by_key.get(key)
        if pkg is None:
            pkg = by_key[key] = Package(key[0], key[1])
        pkg.files.append(path)
        paths = import_paths(source)
        pkg.imports.update(paths)
        if not path.endswith("_test.go"):
            pkg.build_imports.update(paths)
        if not engine_hit.get(key):
            engine_hit[key] = imports_engine_quickly(source, config.engine, _forks(key[0]))
    for key, pkg in by_key.items():
        if engine_hit.get(key):
            disc.packages.append(pkg)
        else:
            disc.skipped_packages += 1
            disc.unmatched.append(pkg)
    return disc


_IMPORT_BLOCK = re.compile(rb"^import\s*(\((?:[^()]*)\)|[^\n]*)", re.M)
_QUOTED = re.compile(rb'"([^"\n]+)"')


def import_paths(source: bytes) -> set[str]:
    """The import paths of a Go file, read without parsing (for ordering packages)."""
    out = set()
    for block in _IMPORT_BLOCK.findall(source[:65536]):
        out.update(m.decode("utf-8", "replace") for m in _QUOTED.findall(block))
    return out


def waves(packages: list[Package], import_path_of) -> list[list[Package]]:
    """Packages in dependency order, in waves that can run in parallel: every package comes
    after the packages of its module it imports (Go has no import cycles outside test files; any
    cycle left by a mistaken reading is broken arbitrarily)."""
    by_path: dict[str, list[Package]] = {}
    for p in packages:  # (a directory's external test package shares its path; nothing imports it)
        if not p.external_test:
            by_path.setdefault(import_path_of(p), []).append(p)
    deps = {id(p): {id(d) for i in p.order_imports for d in by_path.get(i, ()) if d is not p} for p in packages}
    done: set = set()
    out: list[list[Package]] = []
    remaining = list(packages)
    while remaining:
        wave = [p for p in remaining if deps[id(p)] <= done]
        if not wave:  # a cycle: take the rest as one wave
            wave = remaining
        out.append(wave)
        done.update(id(p) for p in wave)
        remaining = [p for p in remaining if id(p) not in done]
    return out


def _forks(directory: str) -> ModuleForks:
    module = find_module(directory)
    return module.forks if module is not None else NO_FORKS


def package_imports_engine(pkg: Package, config: Config) -> bool:
    """Re-check a package the walk skipped, against the engine paths of its own configuration."""
    for path in pkg.files:
        try:
            if imports_engine_quickly(read_source(path), config.engine, _forks(pkg.dir)):
                return True
        except OSError:
            continue
    return False
