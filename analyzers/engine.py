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
import time
from dataclasses import dataclass, field, replace

from tree_sitter import Node

from . import rules as R
from .config import Config
from .model.declaration import analyze_declaration
from .model.facts import DeclFacts
from .model.imports import FileContext, file_context
from .model.index import DeclShape, PackageIndex, shape_of
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


class _RecordingIndex:
    """The package index as one declaration sees it: records which summaries it read."""

    def __init__(self, index: PackageIndex):
        self._index = index
        self.deps: dict[str, tuple | None] = {}

    def __getattr__(self, name):
        return getattr(self._index, name)

    def summary(self, key: str):
        s = self._index.summaries.get(key)
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
    s = index.summaries.get(key)
    return s.fingerprint() if s is not None else None


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

    def set_config(self, config: Config) -> None:
        if config.engine.key() != self.config.engine.key():
            self._fctx_cache.clear()
            self._shape_cache.clear()
            self._facts_cache.clear()
            self._summaries.clear()
        self.config = config

    # -- per file ---------------------------------------------------------------------------------
    def file_context(self, doc: Document) -> FileContext:
        root = doc.tree.root_node
        header = []
        for node in root.named_children:
            if node.type in ("package_clause", "import_declaration"):
                header.append(doc.source[node.start_byte : node.end_byte])
            elif node.type not in ("comment",):
                break
        key = b"\0".join(header)
        fctx = self._fctx_cache.get(key)
        if fctx is None:
            fctx = file_context(root, self.config.engine)
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
    def analyze_package(self, docs: dict[str, Document], package_id: str = "") -> PackageResult:
        """Analyse the files of one Go package (same directory, same package clause)."""
        result = PackageResult()
        started = time.perf_counter()
        fctxs: dict[str, FileContext] = {}
        decls: dict[str, list[Decl]] = {}
        index = PackageIndex()
        for path, doc in docs.items():
            fr = FileResult(path)
            result.files[path] = fr
            try:
                fctx = self.file_context(doc)
                fctxs[path] = fctx
                fr.syntax_errors = syntax_errors(doc.tree.root_node) if doc.tree.root_node.has_error else []
                ds = doc.declarations()
                decls[path] = ds
                for d in ds:
                    if d.node.has_error:
                        continue
                    index.add(self.shape(d, fctx), path, d.start)
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
                    try:
                        facts = self.facts(d, fctx, index, shape_fp)
                    except RecursionError:
                        result.errors.append(f"{path}: declaration {d.name} is nested too deeply to analyse")
                        continue
                    except Exception as exc:
                        result.errors.append(f"{path}: analysing {d.name}: {exc!r}")
                        log.exception("analysing %s in %s", d.name, path)
                        continue
                    facts_by_decl[(path, d.start)] = facts
                    if facts.summary is not None:
                        new_summaries[facts.summary.name] = facts.summary
            if _fingerprints(new_summaries) == _fingerprints(index.summaries):
                break
            index.summaries = new_summaries
        self._summaries[package_id] = index.summaries
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
        findings = self.run_rules(view, result)
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
        result.stats = {"seconds": time.perf_counter() - started}
        return result

    def run_rules(self, view: PackageView, result: PackageResult) -> list[Finding]:
        out = []
        for module in R.MODULES:
            rule = module.RULE
            if not self.config.enabled(rule.id):
                continue
            severity = self.config.severity(rule.id, rule.severity)
            try:
                found = list(module.check(view))
            except Exception as exc:  # isolate: a failing rule loses only its own findings
                result.errors.append(f"rule {rule.id} failed: {exc!r}")
                log.exception("rule %s", rule.id)
                continue
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
