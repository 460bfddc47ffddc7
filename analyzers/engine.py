"""The engine: a package's files in, findings out, with per-declaration caching.

``Engine`` keeps its caches between calls, which is what makes the language server incremental:

- a declaration's *shape* (types, fields, signatures it declares) is cached by its text;
- a declaration's *facts* are cached by its text, its file's imports, the package's shape
  fingerprint and the configuration, and stay valid while the summaries of the functions it
  consulted are unchanged (recorded per entry);
- function summaries are iterated to a fixpoint per package, starting from the previous run's.

A keystroke inside one function body therefore re-analyses that one declaration (and, only if
its summary changed, the declarations that call it). Rules then run over the package's facts.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field, replace

from tree_sitter import Node

from . import rules as R
from .budget import BudgetExceeded
from .budget import call as within_budget
from .config import Config
from .model.declaration import analyze_declaration
from .model.facts import DeclFacts
from .model.imports import FileContext, file_context
from .model.index import DeclShape, ExternalPackage, PackageIndex, shape_of
from .model import api as API
from .module import find_module
from .rules.base import SEVERITY_RANK, DeclRef, Finding, PackageView
from .rules.suppression import apply as apply_suppressions
from .rules.suppression import parse as parse_suppressions
from .syntax.document import Decl, Document

log = logging.getLogger("gojaguard.engine")

ANALYSED = ("function_declaration", "method_declaration", "var_declaration")
MAX_ROUNDS = 4


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    syntax_errors: list[tuple[int, int]] = field(default_factory=list)  # byte spans of ERROR / MISSING nodes
    skipped: str = ""  # why the file was not analysed at all
    decls: list[DeclRef] = field(default_factory=list)


@dataclass
class PackageResult:
    files: dict[str, FileResult] = field(default_factory=dict)
    index: PackageIndex | None = None
    view: PackageView | None = None
    errors: list[str] = field(default_factory=list)  # internal errors, isolated
    stats: dict = field(default_factory=dict)
    import_path: str = ""  # the package's import path in its module ("" outside a module)
    exports: ExternalPackage | None = None  # what it offers the other packages of the module
    module_imports: frozenset = frozenset()  # import paths of the module's packages it imports


class _RecordingIndex:
    """The package index as one declaration sees it: records which summaries it read."""

    def __init__(self, index: PackageIndex):
        self._index = index
        self.deps: dict[str, tuple | None] = {}

    def __getattr__(self, name):
        return getattr(self._index, name)

    def summary(self, key: str):
        s = self._index.summary(key)
        self.deps[key] = s.fingerprint() if s is not None else None
        return s

    @property
    def owner_chans(self):
        chans = self._index.owner_chans
        self.deps["#owner_chans"] = chans
        return chans


def _dep_value(index: PackageIndex, key: str):
    if key == "#owner_chans":
        return index.owner_chans
    s = index.summary(key)
    return s.fingerprint() if s is not None else None


class _Clock:
    """Per-file time spent analysing, against the file time budget (None: no budget)."""

    def __init__(self, budget: float | None):
        self.budget = budget
        self.spent: dict[str, float] = {}
        self.over: set[str] = set()  # files whose budget is spent

    def remaining(self, path: str) -> float | None:
        return None if self.budget is None else self.budget - self.spent.get(path, 0.0)


def over_budget_message(budget: float) -> str:
    return (f"skipped: analysing it took longer than the file time budget of {budget:g}s (raise `file-time-budget` "
            f"in .gojaguard.toml, --file-time-budget, or the fileTimeBudget setting; 0 means no limit)")


def syntax_errors(node: Node, limit: int = 50) -> list[tuple[int, int]]:
    """Spans of ERROR and MISSING nodes (only descends into subtrees that contain errors)."""
    out: list[tuple[int, int]] = []
    stack = [node]
    while stack and len(out) < limit:
        n = stack.pop()
        if n.is_error or n.is_missing:
            out.append((n.start_byte, max(n.end_byte, n.start_byte + 1) if n.is_missing else n.end_byte))
            continue
        if n.has_error:
            stack.extend(reversed(n.children))
    return out


class Engine:
    def __init__(self, config: Config | None = None):
        self.config = config or Config()
        self._fctx_cache: dict = {}
        self._shape_cache: dict = {}
        self._facts_cache: dict = {}
        self._summaries: dict = {}  # package id -> {func key: FuncSummary}
        self.stats = {"facts_hits": 0, "facts_misses": 0}
        self._logged: set = set()  # internal errors already logged (each is logged once)

    def set_config(self, config: Config) -> None:
        if config.engine.key() != self.config.engine.key():
            self._fctx_cache.clear()
            self._shape_cache.clear()
            self._facts_cache.clear()
            self._summaries.clear()
        self.config = config

    # -- per file ---------------------------------------------------------------------------------
    def file_context(self, doc: Document, module: str = "") -> FileContext:
        root = doc.tree.root_node
        header = []
        for node in root.named_children:
            if node.type in ("package_clause", "import_declaration"):
                header.append(doc.source[node.start_byte : node.end_byte])
            elif node.type not in ("comment",):
                break
        key = (b"\0".join(header), module)
        fctx = self._fctx_cache.get(key)
        if fctx is None:
            fctx = file_context(root, self.config.engine, module)
            if len(self._fctx_cache) > 10000:
                self._fctx_cache.clear()
            self._fctx_cache[key] = fctx
        return fctx

    def shape(self, decl: Decl, fctx: FileContext) -> DeclShape:
        key = (decl.text, fctx.key())
        shape = self._shape_cache.get(key)
        if shape is None:
            shape = shape_of(decl.node, fctx)
            self._shape_cache[key] = shape
        # the index stamps each shape with its file and position: hand out copies of the cached one
        return DeclShape(
            types=[replace(t) for t in shape.types],
            funcs=[replace(f) for f in shape.funcs],
            vars=[replace(v) for v in shape.vars],
        )

    def facts(self, decl: Decl, fctx: FileContext, index: PackageIndex, shape_fp: str) -> DeclFacts:
        key = (decl.text, fctx.key(), shape_fp, self.config.engine.key())
        entry = self._facts_cache.get(key)
        if entry is not None:
            facts, deps = entry
            if all(_dep_value(index, k) == fp for k, fp in deps.items()):
                self.stats["facts_hits"] += 1
                return facts
        self.stats["facts_misses"] += 1
        recording = _RecordingIndex(index)
        facts = analyze_declaration(decl.node, fctx, recording, self.config.engine)
        self._facts_cache[key] = (facts, recording.deps)
        return facts

    # -- per package ------------------------------------------------------------------------------
    def analyze_package(self, docs: dict[str, Document], package_id: str = "",
                        external: dict[str, ExternalPackage] | None = None) -> PackageResult:
        """Analyse the files of one Go package (same directory, same package clause).

        ``external`` holds what other packages of the same module export (their shapes and
        summaries, by import path); calls into them are then read through their summaries.
        """
        result = PackageResult()
        started = time.perf_counter()
        fctxs: dict[str, FileContext] = {}
        decls: dict[str, list[Decl]] = {}
        index = PackageIndex(external=dict(external or {}))
        directory = os.path.dirname(next(iter(docs), "")) if docs else ""
        module = find_module(directory) if directory and not directory.startswith("<") else None
        if module is not None:
            result.import_path = module.import_path(directory)
        module_imports = set()
        clock = _Clock(self.config.file_time_budget or None)
        for path, doc in docs.items():
            fr = FileResult(path)
            result.files[path] = fr
            try:
                fctx = self.file_context(doc, module.path if module is not None else "")
                module_imports.update(i.path for i in fctx.imports if i.role == API.ROLE_MODULE)
                fctxs[path] = fctx
                fr.syntax_errors = syntax_errors(doc.tree.root_node) if doc.tree.root_node.has_error else []
                ds = doc.declarations()
                decls[path] = ds
                for d in ds:
                    if d.node.has_error:
                        continue
                    shape = self._guarded(result, clock, docs, path, d, "reading", lambda: self.shape(d, fctx))
                    if shape is not None:
                        index.add(shape, path, d.start)
            except Exception as exc:  # isolate: one bad file must not sink the package
                fr.skipped = f"internal error while reading declarations: {exc!r}"
                result.errors.append(f"{path}: {exc!r}")
                log.exception("reading %s", path)
        if not any(f.uses_engine for f in fctxs.values()):
            for fr in result.files.values():
                fr.skipped = fr.skipped or "no engine import in this package"
            result.index = index
            return result
        shape_fp = index.shape_fingerprint()
        index.summaries = dict(self._summaries.get(package_id, {}))
        facts_by_decl: dict[tuple[str, int], DeclFacts] = {}
        for _round in range(MAX_ROUNDS):
            new_summaries = {}
            for path, ds in decls.items():
                fctx = fctxs[path]
                for d in ds:
                    if d.kind not in ANALYSED or d.node.has_error:
                        continue
                    if d.kind == "var_declaration" and b"func" not in d.text:
                        continue
                    facts = self._guarded(result, clock, docs, path, d, "analysing",
                                          lambda: self.facts(d, fctx, index, shape_fp))
                    if facts is None:
                        continue
                    facts_by_decl[(path, d.start)] = facts
                    if facts.summary is not None:
                        new_summaries[facts.summary.name] = facts.summary
            if _fingerprints(new_summaries) == _fingerprints(index.summaries):
                break
            index.summaries = new_summaries
        self._summaries[package_id] = index.summaries
        for path in sorted(clock.over):  # reported as skipped, never silently dropped
            result.files[path].skipped = over_budget_message(clock.budget)
            result.errors.append(f"{path}: {result.files[path].skipped}")
            for key in [k for k in facts_by_decl if k[0] == path]:
                del facts_by_decl[key]
        # rules over the package view
        refs = []
        for path, ds in decls.items():
            source = docs[path].source
            for d in ds:
                facts = facts_by_decl.get((path, d.start))
                if facts is not None:
                    ref = DeclRef(path, d.start, facts, source)
                    refs.append(ref)
                    result.files[path].decls.append(ref)
        view = PackageView(refs, index, {p: doc.line_index for p, doc in docs.items()}, {p: doc.source for p, doc in docs.items()})
        findings = self.run_rules(view, result, clock.budget)
        by_path: dict[str, list[Finding]] = {p: [] for p in docs}
        for f in findings:
            by_path.setdefault(f.path, []).append(f)
        for path, fs in by_path.items():
            doc = docs.get(path)
            if doc is None:
                continue
            sups = parse_suppressions(doc.source, doc.line_index)
            for s in sups:
                if any(not self.config.enabled(r) for r in s.rules):
                    s.used = True
            fs = apply_suppressions(fs, sups, doc.line_index, path, set(R.RULES), enabled=self.config.enabled("GJ900"))
            fs.sort(key=Finding.sort_key)
            result.files[path].findings = fs
        result.index = index
        result.view = view
        result.module_imports = frozenset(module_imports)
        if result.import_path:
            result.exports = index.export(result.import_path)
        result.stats = {"seconds": time.perf_counter() - started}
        return result

    def _guarded(self, result: PackageResult, clock: _Clock, docs: dict, path: str, d: Decl, doing: str, fn):
        """``fn()`` for one declaration of ``path``, its time charged to the file's budget.

        An exception loses only this declaration (reported, and logged once); a spent budget marks
        the file as over it and skips the rest of its declarations. Returns None when it did not
        complete.
        """
        if path in clock.over:
            return None
        started = time.perf_counter()
        try:
            return within_budget(fn, clock.remaining(path))
        except BudgetExceeded:
            clock.over.add(path)
        except RecursionError as exc:
            self._error(result, self._where(docs, path, d.start), f"declaration {d.name or d.kind} is nested too deeply to analyse", exc)
        except Exception as exc:
            self._error(result, self._where(docs, path, d.start), f"{doing} {d.name or d.kind}: {exc!r}", exc)
        finally:
            clock.spent[path] = clock.spent.get(path, 0.0) + time.perf_counter() - started
        return None

    @staticmethod
    def _where(docs: dict, path: str, offset: int) -> str:
        doc = docs.get(path)
        return f"{path}:{doc.line_index.line_of(offset) + 1}" if doc is not None else path

    def _error(self, result: PackageResult, where: str, message: str, exc: BaseException) -> None:
        """An isolated internal error: reported in the result each time, logged once per engine."""
        text = f"{where}: {message}"
        result.errors.append(text)
        if text not in self._logged:
            if len(self._logged) > 10000:
                self._logged.clear()
            self._logged.add(text)
            log.error("internal error (isolated): %s", text, exc_info=(type(exc), exc, exc.__traceback__)
                      if not isinstance(exc, RecursionError) else None)

    def _run_rule(self, module, view: PackageView, result: PackageResult, budget: float | None) -> list[Finding]:
        """One rule over the package; if it raises, it loses only the findings of the declarations
        it raises on (found by running it on each declaration alone, then without those)."""
        rule = module.RULE
        try:
            return within_budget(lambda: list(module.check(view)), budget)
        except BudgetExceeded:
            result.errors.append(f"rule {rule.id} took longer than the time budget of {budget:g}s on this package: "
                                 f"its findings here are skipped")
            return []
        except Exception as whole:  # isolate: find the declarations it fails on
            failing = []
            for ref in view.decls:
                alone = PackageView([ref], view.index, view.lines, view.sources)
                try:
                    within_budget(lambda: list(module.check(alone)), budget)
                except BudgetExceeded:
                    break
                except Exception as exc:
                    failing.append((ref, exc))
            for ref, exc in failing:
                where = f"{ref.path}:{view.line(ref.path, ref.start)}" if ref.path in view.lines else ref.path
                name = getattr(ref.facts, "name", "") or "this declaration"
                self._error(result, where, f"rule {rule.id} failed on {name}: {exc!r}", exc)
            bad = {id(ref) for ref, _ in failing}
            rest = PackageView([r for r in view.decls if id(r) not in bad], view.index, view.lines, view.sources)
            try:
                if not failing:
                    raise whole
                return within_budget(lambda: list(module.check(rest)), budget)
            except BudgetExceeded:
                return []
            except Exception as exc:  # the declarations only fail together: keep what each gives alone
                where = sorted(view.lines)[0] if view.lines else "package"
                self._error(result, where, f"rule {rule.id} failed on the package as a whole: {exc!r}", exc)
                found = []
                for ref in rest.decls:
                    try:
                        found += within_budget(lambda: list(module.check(PackageView([ref], view.index, view.lines, view.sources))), budget)
                    except BudgetExceeded:
                        break
                    except Exception:
                        continue
                return found

    def run_rules(self, view: PackageView, result: PackageResult, budget: float | None = None) -> list[Finding]:
        out = []
        for module in R.MODULES:
            rule = module.RULE
            if not self.config.enabled(rule.id):
                continue
            severity = self.config.severity(rule.id, rule.severity)
            found = self._run_rule(module, view, result, budget)
            seen = set()
            for f in found:
                k = (f.path, f.start, f.end, f.rule)
                if k in seen:
                    continue
                seen.add(k)
                f.severity = severity
                out.append(f)
        return out


def _fingerprints(summaries: dict) -> dict:
    return {k: v.fingerprint() for k, v in summaries.items()}


def at_or_above(severity: str, threshold: str) -> bool:
    return SEVERITY_RANK.get(severity, 0) >= SEVERITY_RANK.get(threshold, 0)
