"""The server's view of the code: open documents (kept incrementally), files on disk, Go packages,
and the latest analysis of each package.

Open documents are the truth for their files; other files of a package are read from disk and
cached by (mtime, size). A package is the ``.go`` files of one directory sharing a package
clause. The engine's caches make re-analysing a package after one keystroke cost about one
declaration's analysis.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from lsprotocol import types as lsp
from pygls.uris import from_fs_path, to_fs_path

from ...analyzers import config as C
from ...analyzers.engine import Engine, PackageResult
from ...analyzers.syntax.document import Document, sexp
from ...analyzers.syntax.text import LineIndex
from ...analyzers.module import find_module
from ...analyzers.workspace import discover, import_paths, package_name, read_source, waves
from . import convert
from .settings import Settings, merge

log = logging.getLogger("gojaguard.server")


@dataclass
class OpenDoc:
    uri: str
    path: str
    version: int
    doc: Document


class Workspace:
    def __init__(self, roots: list[str], settings: Settings):
        self.roots = roots
        self.settings = settings
        self.open: dict[str, OpenDoc] = {}
        self._disk: dict[str, tuple[int, int, Document]] = {}
        self._engines: dict[tuple, Engine] = {}
        self._configs: dict[str, C.Config] = {}
        self.results: dict[str, PackageResult] = {}  # package id -> latest result
        self.exports: dict = {}  # import path -> what that package exports to the module
        self.imports_of: dict[str, set] = {}  # package id -> import paths it names
        self.stale_importers: set = set()  # packages to re-analyse because an import changed
        self.dirty: set[str] = set()
        self.indexed: set[str] = set()  # package ids found by the workspace index
        self.report = None  # called with each new isolated error or skipped file (the server tells the client)
        self._errors: dict[str, set[str]] = {}  # package id -> errors of its last analysis

    # -- paths, packages, configuration ---------------------------------------------------------
    @staticmethod
    def path_of(uri: str) -> str:
        path = to_fs_path(uri) if uri.startswith("file:") else None
        return path if path else uri

    def uri_of(self, path: str) -> str:
        for od in self.open.values():
            if od.path == path:
                return od.uri
        return from_fs_path(path) or path

    def config_for(self, directory: str) -> C.Config:
        cfg = self._configs.get(directory)
        if cfg is None:
            try:
                base = C.discover(directory) if os.path.isdir(directory) else C.Config()
            except C.ConfigError as exc:
                log.warning("config error, using defaults: %s", exc)
                base = C.Config()
            cfg = merge(base, self.settings)
            self._configs[directory] = cfg
        return cfg

    def engine_for(self, cfg: C.Config) -> Engine:
        engine = self._engines.get(cfg.key())
        if engine is None:
            engine = self._engines[cfg.key()] = Engine(cfg)
        return engine

    def set_settings(self, settings: Settings) -> None:
        self.settings = settings
        self._configs.clear()
        self.dirty.update(self.results)

    def config_changed(self) -> None:
        """A .gojaguard.toml changed: every package's configuration may have."""
        self._configs.clear()
        self.dirty.update(self.results)

    def package_id_of(self, path: str) -> str:
        doc = self.document(path)
        name = ""
        if doc is not None:
            name = package_name(doc.source)
        return f"{os.path.dirname(path)}#{name}"

    # -- documents -----------------------------------------------------------------------------
    def open_doc(self, uri: str, text: str, version: int) -> OpenDoc:
        od = OpenDoc(uri, self.path_of(uri), version, Document(text, self.path_of(uri)))
        self.open[uri] = od
        self.dirty.add(self.package_id_of(od.path))
        return od

    def change_doc(self, uri: str, version: int, changes, encoding: str) -> OpenDoc | None:
        od = self.open.get(uri)
        if od is None:
            return None
        before = self.package_id_of(od.path)
        for change in changes:
            if isinstance(change, lsp.TextDocumentContentChangePartial):
                lines = od.doc.line_index
                start = convert.offset(lines, change.range.start, encoding)
                end = convert.offset(lines, change.range.end, encoding)
                od.doc.apply_edit(start, max(start, end), change.text.encode("utf-8", "surrogatepass"))
            else:
                od.doc.replace(change.text)
        od.version = version
        after = self.package_id_of(od.path)
        self.dirty.add(after)
        if after != before:  # the package clause changed
            self.dirty.add(before)
            self._forget_if_unused(before)
        return od

    def close_doc(self, uri: str) -> OpenDoc | None:
        od = self.open.get(uri)
        if od is None:
            return None
        was = self.package_id_of(od.path)
        del self.open[uri]
        self._disk.pop(od.path, None)
        self.dirty.add(self.package_id_of(od.path))
        self._forget_if_unused(was)
        return od

    def _forget_if_unused(self, package_id: str) -> None:
        """Drop the last result of a package nobody can see any more (no open file, not found by the
        workspace index): a package typed into a clause, or a file opened from outside the workspace,
        would otherwise keep its whole analysis for the rest of the session."""
        if package_id in self.indexed or any(self.package_id_of(od.path) == package_id for od in self.open.values()):
            return
        self.results.pop(package_id, None)
        self._errors.pop(package_id, None)
        self.dirty.discard(package_id)

    def open_doc_for(self, path: str) -> OpenDoc | None:
        for od in self.open.values():
            if od.path == path:
                return od
        return None

    def document(self, path: str) -> Document | None:
        """The current text of a file: the open document, else the file on disk (cached)."""
        od = self.open_doc_for(path)
        if od is not None:
            return od.doc
        try:
            st = os.stat(path)
        except OSError:
            self._disk.pop(path, None)
            return None
        cached = self._disk.get(path)
        if cached is not None and cached[0] == st.st_mtime_ns and cached[1] == st.st_size:
            return cached[2]
        try:
            doc = Document(read_source(path), path)
        except OSError as exc:
            log.warning("cannot read %s: %s", path, exc)
            return None
        self._disk[path] = (st.st_mtime_ns, st.st_size, doc)
        return doc

    def debug_document(self, uri: str, tree: bool = True) -> dict | None:
        """What the server holds for an open document (for tests): its text, tree and version."""
        od = self.open.get(uri)
        if od is None:
            return None
        try:  # the text came from the client's strings: lone surrogates included
            text = od.doc.source.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            text = od.doc.source.decode("utf-8", "replace")
        return {"text": text, "sexp": sexp(od.doc.tree.root_node) if tree else None, "version": od.version}

    def forget(self, path: str) -> None:
        self._disk.pop(path, None)

    def lines(self, path: str) -> LineIndex | None:
        doc = self.document(path)
        return doc.line_index if doc is not None else None

    # -- analysis ------------------------------------------------------------------------------
    def package_docs(self, package_id: str) -> dict[str, Document]:
        directory, _, name = package_id.rpartition("#")
        docs: dict[str, Document] = {}
        paths = set()
        try:
            for entry in os.listdir(directory) if directory and os.path.isdir(directory) else ():
                if entry.endswith(".go") and not entry.startswith((".", "_")):
                    paths.add(os.path.join(directory, entry))
        except OSError:
            pass
        for od in self.open.values():
            if os.path.dirname(od.path) == directory:
                paths.add(od.path)
        for path in sorted(paths):
            doc = self.document(path)
            if doc is not None and package_name(doc.source) == name:
                docs[path] = doc
        return docs

    def analyze(self, package_id: str) -> PackageResult:
        directory = package_id.rpartition("#")[0]
        cfg = self.config_for(directory or ".")
        docs = self.package_docs(package_id)
        docs = {p: d for p, d in docs.items() if not cfg.excluded(p, self.roots[0] if self.roots else "")}
        imports = set()
        for doc in docs.values():
            imports |= import_paths(doc.source)
        external = {p: self.exports[p] for p in imports if p in self.exports}
        result = self.engine_for(cfg).analyze_package(docs, package_id, external or None)
        for path, doc in docs.items():  # files on disk keep their text, not their trees (memory)
            if self.open_doc_for(path) is None:
                doc.release_tree()
        self._update_exports(package_id, result)
        before = self._errors.get(package_id, set())
        for err in result.errors:  # each once while it lasts (the engine logged internal ones already)
            if err not in before and self.report is not None:
                self.report(err)
        self._errors[package_id] = set(result.errors)
        self.results[package_id] = result
        self.dirty.discard(package_id)
        return result

    def _update_exports(self, package_id: str, result: PackageResult) -> None:
        """Keep what each package exports to the rest of its module; when that changes, the
        packages that import it must be analysed again (they are marked dirty)."""
        self.imports_of[package_id] = set(result.module_imports)
        imp = result.import_path
        if not imp:
            return
        importers = [pid for pid, imports in self.imports_of.items() if imp in imports and pid != package_id]
        if not importers and imp not in self.exports:
            return  # nobody imports it (yet): no need to compute its exports
        new = result.exports
        old = self.exports.get(imp)
        self.exports[imp] = new
        if new is not None and (old is None or old.fingerprint() != new.fingerprint()):
            for pid in importers:
                if pid in self.results:  # analysed without (or with older) knowledge of it
                    self.dirty.add(pid)
                    self.stale_importers.add(pid)

    def result_for(self, path: str) -> PackageResult:
        pid = self.package_id_of(path)
        if pid in self.dirty or pid not in self.results:
            return self.analyze(pid)
        return self.results[pid]

    def diagnostics(self, path: str, encoding: str, support: convert.ClientSupport = convert.ALL) -> list[lsp.Diagnostic]:
        result = self.result_for(path)
        fr = result.files.get(path)
        lines = self.lines(path)
        if fr is None or lines is None:
            return []
        return [convert.diagnostic(f, lines, encoding, self.uri_of, self.lines, support=support) for f in fr.findings]

    def workspace_packages(self) -> list[str]:
        """The engine-importing packages under the workspace roots (the go tool's walk)."""
        ids = []
        for root in self.roots:
            if not os.path.isdir(root):
                continue
            cfg = self.config_for(root)
            disc = discover([root], cfg)

            def import_path_of(pkg, _cache={}):
                module = find_module(pkg.dir)
                return module.import_path(pkg.dir) if module is not None else pkg.id

            for wave in waves(disc.packages, import_path_of):  # dependencies first
                for pkg in wave:
                    ids.append(pkg.id)
                    self.imports_of.setdefault(pkg.id, set()).update(pkg.order_imports)
        self.indexed = set(ids)
        return ids
