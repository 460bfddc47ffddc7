"""Headless checking: discover packages, analyse them on all cores, collect printable results.

Each package is analysed in a worker process (tree-sitter parsing holds the GIL, so threads would
not help); a worker keeps one ``Engine`` for all the packages it is given. What comes back is
plain data with 1-based lines and columns (columns count characters), ready for the formatters.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace

from ..analyzers import config as C
from ..analyzers.config import Config
from ..analyzers.engine import Engine
from ..analyzers.syntax.document import Document
from ..analyzers.syntax.text import UTF32
from ..analyzers.module import find_module
from ..analyzers.workspace import Package, discover, package_imports_engine, read_source, waves


@dataclass
class Loc:
    path: str
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass
class Item:
    """One finding as the CLI prints it."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    rule: str
    name: str
    severity: str
    message: str
    related: list[dict] = field(default_factory=list)
    fixes: list[dict] = field(default_factory=list)


@dataclass
class Report:
    items: list[Item] = field(default_factory=list)
    syntax_errors: list[Loc] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # unreadable files, internal errors
    files_seen: int = 0
    bytes_seen: int = 0
    files_analysed: int = 0
    packages_analysed: int = 0
    packages_skipped: int = 0
    seconds: float = 0.0
    jobs: int = 1


def _loc(doc: Document, path: str, start: int, end: int) -> Loc:
    li = doc.line_index
    l1, c1 = li.position(start, UTF32)
    l2, c2 = li.position(end, UTF32)
    return Loc(path, l1 + 1, c1 + 1, l2 + 1, c2 + 1)


_ENGINES: dict = {}


def check_package(files: list[str], package_id: str, config: Config, external=None) -> tuple:
    """Analyse one package (runs in a worker); returns items, syntax errors, problems, files read,
    and what the package exports to the rest of its module (import path, exports, imports)."""
    engine = _ENGINES.get(config.key())
    if engine is None:
        engine = _ENGINES[config.key()] = Engine(config)
    docs: dict[str, Document] = {}
    problems: list[str] = []
    for path in files:
        try:
            docs[path] = Document(read_source(path), path)
        except OSError as exc:
            problems.append(f"{path}: cannot read: {exc.strerror}")
    result = engine.analyze_package(docs, package_id, external)
    items: list[Item] = []
    errors: list[Loc] = []
    for path, fr in result.files.items():
        doc = docs[path]
        for s, e in fr.syntax_errors[:1]:
            errors.append(_loc(doc, path, s, e))
        for f in fr.findings:
            loc = _loc(doc, path, f.start, f.end)
            related = []
            for r in f.related:
                rdoc = docs.get(r.path)
                if rdoc is None:
                    continue
                rl = _loc(rdoc, r.path, r.start, r.end)
                related.append({"path": r.path, "line": rl.line, "column": rl.column, "message": r.message})
            fixes = []
            for fx in f.fixes:
                edits = []
                for ed in fx.edits:
                    edoc = docs.get(ed.path)
                    if edoc is None:
                        continue
                    el = _loc(edoc, ed.path, ed.start, ed.end)
                    edits.append({"path": ed.path, "line": el.line, "column": el.column, "end_line": el.end_line,
                                  "end_column": el.end_column, "new_text": ed.new_text})
                fixes.append({"title": fx.title, "edits": edits})
            items.append(Item(path, loc.line, loc.column, loc.end_line, loc.end_column, f.rule, f.name, f.severity,
                              f.message, related, fixes))
    problems += result.errors
    return items, errors, problems, len(docs), (result.import_path, result.exports, result.module_imports)


def _run(args) -> tuple:
    files, package_id, config, external = args
    return check_package(files, package_id, config, external)


def check_paths(paths: list[str], config: Config | None, jobs: int = 0, follow_links: bool = False,
                file_time_budget: float | None = None) -> Report:
    """Check the packages under ``paths``. With ``config`` None, each package uses the nearest
    .gojaguard.toml above its directory (a ConfigError propagates). ``file_time_budget`` (seconds)
    overrides the configurations' budget."""
    started = time.perf_counter()
    walk_config = config if config is not None else C.discover(paths[0] if paths else ".")
    disc = discover(paths, walk_config, follow_links)
    report = Report(problems=list(disc.problems), files_seen=disc.files_seen, bytes_seen=disc.bytes_seen,
                    packages_skipped=disc.skipped_packages, packages_analysed=len(disc.packages))
    configs: dict = {}

    def config_for(pkg: Package) -> Config:
        if config is not None:
            return config if file_time_budget is None else replace(config, file_time_budget=file_time_budget)
        found = C.find(pkg.dir)
        key = str(found) if found is not None else ""
        if key not in configs:
            configs[key] = C.load(found) if found is not None else C.Config()
            if file_time_budget is not None:
                configs[key] = replace(configs[key], file_time_budget=file_time_budget)
        return configs[key]

    if config is None:  # a package's own config may name engine paths (forks) the walk did not know
        extra = [pkg for pkg in disc.unmatched
                 if set(config_for(pkg).engine.all_engine_paths()) - set(walk_config.engine.all_engine_paths())
                 and package_imports_engine(pkg, config_for(pkg))]
        disc.packages += extra
        report.packages_skipped -= len(extra)
        report.packages_analysed += len(extra)
    # packages in dependency order, in waves: each package is analysed once, with the summaries
    # of the packages of its module it imports (what their helpers do with callbacks and runtimes)
    def import_path_of(pkg: Package) -> str:
        module = find_module(pkg.dir)
        return module.import_path(pkg.dir) if module is not None else pkg.id

    plan = waves(disc.packages, import_path_of)
    jobs = jobs or os.cpu_count() or 1
    jobs = max(1, min(jobs, max((len(w) for w in plan), default=1)))
    report.jobs = jobs
    pool = ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else None
    exports: dict = {}
    results = []
    try:
        for wave in plan:
            work = []
            for pkg in _largest_first(wave):
                external = {p: exports[p] for p in pkg.imports if p in exports}
                work.append((pkg.files, pkg.id, config_for(pkg), external or None))
            done = list(pool.map(_run, work, chunksize=1)) if pool is not None and len(work) > 1 else [_run(w) for w in work]
            for r in done:
                imp, exp, _imports = r[4]
                if imp and exp is not None:
                    exports[imp] = exp
            results += done
    finally:
        if pool is not None:
            pool.shutdown()
    for items, errors, problems, nfiles, _exports in results:
        report.items.extend(items)
        report.syntax_errors.extend(errors)
        report.problems.extend(problems)
        report.files_analysed += nfiles
    report.items.sort(key=lambda i: (i.path, i.line, i.column, i.rule))
    report.seconds = time.perf_counter() - started
    return report


def _largest_first(packages: list[Package]) -> list[Package]:
    def size(p: Package) -> int:
        total = 0
        for f in p.files:
            try:
                total += os.path.getsize(f)
            except OSError:
                pass
        return total

    return sorted(packages, key=size, reverse=True)


def item_dict(item: Item) -> dict:
    d = asdict(item)
    d.pop("fixes", None)
    return d
