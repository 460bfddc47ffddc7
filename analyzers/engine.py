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

import hashlib
import logging
import os
import re
import time
from dataclasses import dataclass, field, replace

from tree_sitter import Node

from . import rules as R
from .budget import BudgetExceeded
from .budget import call as within_budget
from .config import Config
from .model.declaration import analyze_declaration
from .model.facts import DeclFacts, FuncSummary, RegionFact
from .model import types as T
from .model.imports import NO_FORKS, FileContext, ModuleForks, file_context
from .model.index import DeclShape, ExternalPackage, PackageIndex, shape_of
from .model import api as API
from .module import find_module
from .rules.base import SEVERITY_RANK, DeclRef, Finding, PackageView
from .rules.suppression import apply as apply_suppressions
from .rules.suppression import parse as parse_suppressions
from .syntax.document import Decl, Document

log = logging.getLogger("gojaguard.engine")

ANALYSED = ("function_declaration", "method_declaration", "var_declaration")
MAX_ROUNDS = 6
MAX_VARIANTS = 8
INCREMENTAL_LIMIT = 8  # changed declarations the fast path handles
# Cache bounds (a long editing session makes a new declaration text at every keystroke): entries
# beyond these are dropped least recently used first, never those the current analysis used.
MAX_CACHED_DECLS = 4000
MAX_CACHED_PACKAGES = 200


@dataclass
class _LastRun:
    shape_fp: str
    summaries: dict
    facts: dict  # (path, declaration text) -> DeclFacts
    computed: dict  # function key -> the summary its declaration produced (before joining)
    package_names: frozenset | None = None  # relevant_names' package part (same shapes, same summaries)

_IDENT = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
# words that make any declaration worth analysing: goroutines, locks, joins, channels
_KEYWORDS = frozenset({b"go", b"Lock", b"RLock", b"Unlock", b"Wait", b"Done", b"chan", b"Go", b"AfterFunc", b"HandleFunc", b"Parallel"})


def relevant_names(fctx: FileContext, index: PackageIndex) -> frozenset:
    """Identifiers whose mention makes a declaration worth analysing: the engine packages'
    names, and every field, variable, type and function of the package that involves a runtime,
    a Value, a loop, a mutex or a goroutine."""
    cache = index.__dict__.setdefault("_relevant", {})
    round_ = index.__dict__.get("round", 0)
    key = (fctx.key(), round_)
    hit = cache.get(key)
    if hit is not None:
        return hit
    package = cache.get(("package", round_))
    if package is None:
        package = cache[("package", round_)] = _package_names(index)
    result = package | frozenset(n.encode() for n, role in fctx.roles.items() if role)
    cache[key] = result
    return result


def _package_names(index: PackageIndex) -> frozenset:
    names = set(_KEYWORDS)
    for t in index.types.values():
        if index.holds_runtime(t.name) or T.interesting(index.resolve(t.ty)):
            names.add(t.name.encode())
        for f in t.fields.values():
            if T.interesting(index.resolve(f.ty)):
                names.add(f.name.encode())
    for v in index.vars.values():
        if T.interesting(index.resolve(v.ty)):
            names.add(v.name.encode())
    for fkey, summ in index.summaries.items():
        if summ.fingerprint() != _EMPTY_FP:
            names.add(fkey.rsplit(".", 1)[-1].encode())
    for f in index.funcs.values():
        if any(T.interesting(index.resolve(t)) for _, t in f.params) or any(T.interesting(index.resolve(t)) for t in f.results):
            names.add(f.name.encode())
    return frozenset(names)


def relevant(decl: Decl, fctx: FileContext, index: PackageIndex) -> bool:
    """Whether a declaration can contribute anything (cheap: a set of identifiers of its text)."""
    names = relevant_names(fctx, index)
    return any(tok in names for tok in _IDENT.findall(decl.text))


def facts_name(decl: Decl) -> str:
    """The function key a declaration's summary goes by ("Recv.Name" / "Name")."""
    if decl.kind not in ("function_declaration", "method_declaration"):
        return ""
    recv = decl.receiver_type
    return f"{recv}.{decl.name}" if recv else decl.name


def trivial_facts(decl: Decl) -> DeclFacts:
    """The facts of a declaration that mentions nothing gojaguard reasons about."""
    facts = DeclFacts(name=decl.name, kind=decl.kind)
    if decl.kind in ("function_declaration", "method_declaration"):
        recv = decl.receiver_type
        facts.name = f"{recv}.{decl.name}" if recv else decl.name
        facts.summary = FuncSummary(facts.name)
    start, end = 0, len(decl.text)
    facts.regions[0] = RegionFact(0, (start, end), -1, [], decl.name)
    return facts


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
    module_imports: frozenset = frozenset()  # import paths of the module's packages it imports

    @property
    def exports(self) -> ExternalPackage | None:
        """What the package offers the other packages of its module (computed once, on demand)."""
        if not self.import_path or self.index is None:
            return None
        cached = self.__dict__.get("_exports")
        if cached is None:
            cached = self.__dict__["_exports"] = self.index.export(self.import_path)
        return cached


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


class _Lru(dict):
    """A dict that keeps its entries in order of use (a hit moves an entry last) and can be trimmed
    to a size without dropping what the current analysis used."""

    def __init__(self):
        super().__init__()
        self.used: set = set()

    def get(self, key, default=None):
        if dict.__contains__(self, key):
            value = dict.pop(self, key)
            dict.__setitem__(self, key, value)
            self.used.add(key)
            return value
        return default

    def __setitem__(self, key, value):
        dict.pop(self, key, None)
        dict.__setitem__(self, key, value)
        self.used.add(key)

    def trim(self, size: int) -> None:
        keep = max(size, len(self.used))
        while len(self) > keep:
            dict.__delitem__(self, next(iter(self)))
        self.used = set()


class Engine:
    def __init__(self, config: Config | None = None):
        self.config = config or Config()
        self._fctx_cache: dict = {}
        self._shape_cache: _Lru = _Lru()
        self._facts_cache: _Lru = _Lru()
        self._summaries: _Lru = _Lru()  # package id -> {func key: FuncSummary}
        self._last: _Lru = _Lru()  # package id -> _LastRun (for the incremental fast path)
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
    def file_context(self, doc: Document, module: str = "", forks: ModuleForks = NO_FORKS) -> FileContext:
        root = doc.tree.root_node
        # the key covers all that file_context reads: every byte before the first function, method
        # or type declaration (imports after an ERROR or a var count; so do their offsets)
        end = len(doc.source)
        for node in root.named_children:
            if node.type in ("function_declaration", "method_declaration", "type_declaration"):
                end = node.start_byte
                break
        head = doc.source[:end]
        key = (hashlib.blake2b(head, digest_size=16).digest(), end, module, forks.key())
        if any(f.encode() in head for f in forks.engines):  # whether a fork is goja depends on the uses
            key += (hashlib.blake2b(doc.source, digest_size=16).digest(),)
        fctx = self._fctx_cache.get(key)
        if fctx is None:
            fctx = file_context(root, self.config.engine, module, forks)
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
        return shape

    def cached_facts(self, decl: Decl, fctx: FileContext, index: PackageIndex, shape_fp: str) -> DeclFacts | None:
        """A declaration's facts from the cache: valid while its text, its file's imports, the
        package's shapes and every summary it consulted are unchanged. Each fixpoint round sees
        other summaries, so a few variants are kept per declaration."""
        key = (decl.text, fctx.key(), shape_fp, self.config.engine.key(), relevant(decl, fctx, index))
        variants = self._facts_cache.get(key)
        if variants is not None:
            for facts, deps in variants:
                if all(_dep_value(index, k) == fp for k, fp in deps.items()):
                    self.stats["facts_hits"] += 1
                    return facts
        return None

    def facts(self, decl: Decl, fctx: FileContext, index: PackageIndex, shape_fp: str) -> DeclFacts:
        cached = self.cached_facts(decl, fctx, index, shape_fp)
        if cached is not None:
            return cached
        is_relevant = relevant(decl, fctx, index)
        key = (decl.text, fctx.key(), shape_fp, self.config.engine.key(), is_relevant)
        variants = self._facts_cache.get(key)
        self.stats["facts_misses"] += 1
        recording = _RecordingIndex(index)
        if not is_relevant:
            facts = trivial_facts(decl)
        else:
            facts = analyze_declaration(decl.node, fctx, recording, self.config.engine)
        self._facts_cache[key] = [(facts, recording.deps)] + (variants or [])[:MAX_VARIANTS - 1]
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
        only_tests = all(p.endswith("_test.go") for p in docs)
        for path, doc in docs.items():
            fr = FileResult(path)
            result.files[path] = fr
            try:
                fctx = self.file_context(doc, module.path if module is not None else "", module.forks if module is not None else NO_FORKS)
                if not path.endswith("_test.go") or only_tests:
                    # what orders (and re-triggers) analyses: as in a Go build, test files do not count
                    module_imports.update(i.path for i in fctx.imports if i.role == API.ROLE_MODULE)
                fctxs[path] = fctx
                fr.syntax_errors = syntax_errors(doc.tree.root_node) if doc.tree.root_node.has_error else []
                ds = doc.declarations()
                decls[path] = ds
                for d in ds:
                    if d.node.has_error:
                        continue
                    shape = self._shape_cache.get((d.text, fctx.key())) or \
                        self._guarded(result, clock, docs, path, d, "reading", lambda: self.shape(d, fctx))
                    if shape is not None:
                        index.add(shape, path, d.start)
            except Exception as exc:  # isolate: one bad file must not sink the package
                fr.skipped = f"internal error while reading declarations: {exc!r}"
                result.errors.append(f"{path}: {exc!r}")
                log.exception("reading %s", path)
        if fctxs and all(f.package.endswith("_test") for f in fctxs.values()):
            # an external test package shares its directory's import path but nobody imports
            # it: it must not publish exports over the real package's (found on k6, where
            # `js` and `js_test` took turns and every importer of `js` was analysed again)
            result.import_path = ""
        if not any(f.uses_engine for f in fctxs.values()):
            for fr in result.files.values():
                fr.skipped = fr.skipped or "no engine import in this package"
            result.index = index
            return result
        shape_fp = index.shape_fingerprint()
        facts_by_decl: dict[tuple[str, int], DeclFacts] = {}
        analysed = [(path, fctxs[path], d) for path, ds in decls.items() for d in ds
                    if d.kind in ANALYSED and not d.node.has_error and not (d.kind == "var_declaration" and b"func" not in d.text)]
        if self._incremental(package_id, shape_fp, analysed, index, facts_by_decl, result, clock, docs):
            rounds = 0  # a keystroke: only the changed declarations were analysed again
        else:
            rounds = self._fixpoint(analysed, index, shape_fp, facts_by_decl, result, clock, docs)
        fkeys = {p: f.key() for p, f in fctxs.items()}
        kept = {(p, d.text, fkeys[p]): facts_by_decl[(p, d.start)] for p, _f, d in analysed if (p, d.start) in facts_by_decl}
        names = index.__dict__.get("_relevant", {}).get(("package", index.__dict__.get("round", 0)))
        self._last[package_id] = _LastRun(shape_fp, dict(index.summaries), kept,
                                          {f.summary.name: f.summary for f in kept.values() if f.summary is not None}, names)
        self._summaries[package_id] = index.summaries
        for cache, size in ((self._facts_cache, MAX_CACHED_DECLS), (self._shape_cache, MAX_CACHED_DECLS),
                            (self._last, MAX_CACHED_PACKAGES), (self._summaries, MAX_CACHED_PACKAGES)):
            cache.trim(size)
        result.stats["rounds"] = rounds
        return self._finish(result, docs, decls, index, facts_by_decl, clock, started, module_imports)

    def _incremental(self, package_id, shape_fp, analysed, index, facts_by_decl, result, clock, docs) -> bool:
        """The fast path for an edit inside a few declarations: when no shape changed, analyse just
        the changed declarations against the last run's summaries; if their summaries come out the
        same, everything else stands as it was."""
        last = self._last.get(package_id)
        if last is None or last.shape_fp != shape_fp:
            return False
        # a declaration is unchanged when its text and its file's imports are (facts read both)
        fkeys = {p: f.key() for p, f, _d in analysed}
        changed = [(p, f, d) for p, f, d in analysed if (p, d.text, fkeys[p]) not in last.facts]
        if len(changed) > INCREMENTAL_LIMIT:
            return False
        current = {(p, d.text, fkeys[p]) for p, _f, d in analysed}
        names = {n for n in (facts_name(d) for _p, _f, d in changed) if n}
        for key, facts in last.facts.items():  # a removed declaration that mattered to others
            if key not in current and facts.summary is not None and facts.summary.name not in names \
                    and facts.summary.fingerprint() != _EMPTY_FP:
                return False
        index.summaries = dict(last.summaries)
        index.__dict__["round"] = -1
        if last.package_names is not None:  # the same shapes and summaries: the same names
            index.__dict__.setdefault("_relevant", {})[("package", -1)] = last.package_names
        for path, fctx, d in changed:
            facts = self._guarded(result, clock, docs, path, d, "analysing", lambda: self.facts(d, fctx, index, shape_fp))
            if facts is None:
                return False
            if facts.summary is not None:
                old = last.computed.get(facts.summary.name)
                if old is None or old.fingerprint() != facts.summary.fingerprint():
                    return False  # what callers see of it changed: they must be analysed again
            facts_by_decl[(path, d.start)] = facts
        for path, f, d in analysed:
            if (path, d.start) not in facts_by_decl:
                facts_by_decl[(path, d.start)] = last.facts[(path, d.text, fkeys[path])]
        return True

    def _fixpoint(self, analysed, index, shape_fp, facts_by_decl, result, clock, docs) -> int:
        """Analyse every declaration, iterating function summaries to a fixpoint. Every run walks
        the same sequence of summary states from scratch (so the facts cache answers it), joining
        each round with the last so that it converges on mutually recursive functions."""
        index.summaries = {}
        for _round in range(MAX_ROUNDS):
            index.__dict__["round"] = _round
            new_summaries = {}
            for path, fctx, d in analysed:
                if path in clock.over:  # over its time budget: the file is skipped, not looked at again
                    continue
                facts = self.cached_facts(d, fctx, index, shape_fp) or self._guarded(
                    result, clock, docs, path, d, "analysing", lambda: self.facts(d, fctx, index, shape_fp))
                if facts is None:
                    continue
                facts_by_decl[(path, d.start)] = facts
                if facts.summary is not None:
                    previous = index.summaries.get(facts.summary.name)
                    new_summaries[facts.summary.name] = facts.summary if previous is None else previous.join(facts.summary)
            if _fingerprints(new_summaries) == _fingerprints(index.summaries):
                return _round + 1
            index.summaries = new_summaries
        return MAX_ROUNDS

    def _finish(self, result, docs, decls, index, facts_by_decl, clock, started, module_imports) -> PackageResult:
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
        # result.exports is computed on demand (the CLI and the server's module registry need it)
        result.stats["seconds"] = time.perf_counter() - started
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
        if text not in result.errors:  # once per result (each fixpoint round retries the declaration)
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


_EMPTY_FP = FuncSummary("").fingerprint()


def _fingerprints(summaries: dict) -> dict:
    return {k: v.fingerprint() for k, v in summaries.items()}


def at_or_above(severity: str, threshold: str) -> bool:
    return SEVERITY_RANK.get(severity, 0) >= SEVERITY_RANK.get(threshold, 0)
