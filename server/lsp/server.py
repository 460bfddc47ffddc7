"""The gojaguard language server (pygls 2): thin handlers over the engine.

Diagnostics are pushed (``textDocument/publishDiagnostics``, after ``diagnosticsDelay`` ms) to
clients without pull support, and pulled (``textDocument/diagnostic``, ``workspace/diagnostic``)
by clients that declare it — never both. Positions use the encoding negotiated at initialize
(UTF-8 / UTF-16 / UTF-32). Hover and code actions are views of the same facts the rules used.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import time

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from ... import __version__
from ...analyzers.hover import hover_at, normalize_locale
from ...analyzers.rules import RULES, lookup
from ...analyzers.rules.base import Finding
from . import convert
from .settings import Settings, parse
from .workspace import Workspace

log = logging.getLogger("gojaguard.server")

CMD_EXPLAIN = "gojaguard.explain"
CMD_REINDEX = "gojaguard.reindex"
CLIENT_TIMEOUT = 10  # seconds to wait for the client's answer to our requests (then go on without it)
DEBUG_DOCUMENT = "gojaguard/debugDocument"  # {uri, tree?} -> {text, sexp, version} or null (for tests)


class _Unreadable:
    """A request whose params (or shape) the server cannot read: it still gets an answer."""

    jsonrpc = "2.0"

    def __init__(self, id_, code: int, message: str):
        self.id, self.code, self.message = id_, code, message


class GojaguardProtocol(LanguageServerProtocol):
    """pygls without its own copies of the open documents: the server keeps its own (``Workspace``).

    pygls applies each change to its copy before calling our handler, and converting a character
    past the end of a line it clamps it *in place*, in the params our handler then reads, to one
    before the end: an insertion at the end of a line landed before its last character and the
    server's text silently diverged from the client's (found by tests/test_robustness_sync.py).

    Every request gets an answer (found by tests/test_robustness_protocol.py): pygls dropped
    requests with params it could not read (a negative position, a string for params) and requests
    after shutdown, leaving the client waiting forever; those get InvalidParams / InvalidRequest.
    Before initialize, requests get ServerNotInitialized and notifications are dropped (the spec).
    """

    def _execute_handler(self, msg_id, handler, callback, args=None, kwargs=None):
        # pygls files the future of each generator or async handler under its message id, and only
        # a request's answer takes it out again: every notification (each didChange) leaked one
        # (found by the long-session test: RSS grew ~1 MB per 100 edits)
        def done(future, _callback=callback):
            if self._request_futures.get(msg_id) is future:
                self._request_futures.pop(msg_id, None)  # may run on a worker thread
            _callback(future)

        return super()._execute_handler(msg_id, handler, done, args, kwargs)

    def send_error(self, id_, code: int, message: str) -> None:
        self._send_data({"jsonrpc": "2.0", "id": id_, "error": {"code": int(code), "message": message}})

    def structure_message(self, data):
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if isinstance(data, dict) and "method" in data and "id" in data:
                id_ = data["id"]
                if isinstance(id_, (int, str)) and not isinstance(id_, bool):
                    return _Unreadable(id_, lsp.ErrorCodes.InvalidParams, f"invalid params for {data['method']}: {exc}")
                return _Unreadable(None, lsp.ErrorCodes.InvalidRequest, f"invalid request id {id_!r}")
            if isinstance(data, dict) and "method" not in data and "id" not in data:
                return _Unreadable(None, lsp.ErrorCodes.InvalidRequest, "a message with neither method nor id")
            if isinstance(data, dict) and "method" not in data and isinstance(data.get("id"), (int, str)):
                # an unreadable answer to one of our requests: fail that request, do not leave it waiting
                return lsp.ResponseErrorMessage(id=data["id"], error=lsp.ResponseError(
                    code=lsp.ErrorCodes.InvalidParams, message=f"unreadable response: {exc}"))
            if isinstance(data, dict):  # a notification or a response: never answered, only logged
                return _Unreadable(None, 0, f"ignored an unreadable {'notification' if 'method' in data else 'response'}: "
                                            f"{data.get('method', data.get('id'))!r}: {exc}")
            raise

    def handle_message(self, message):
        if isinstance(message, _Unreadable):
            log.warning("unreadable message: %s", message.message)
            if message.code:
                self.send_error(message.id, message.code, message.message)
            return
        if not hasattr(message, "jsonrpc"):  # a JSON array, number, string... (LSP has no batches)
            self.send_error(None, lsp.ErrorCodes.InvalidRequest, "not a JSON-RPC message object")
            return
        method = getattr(message, "method", None)
        if method is not None and method not in (lsp.INITIALIZE, lsp.EXIT) and getattr(self._server, "ws", 0) is None:
            if getattr(message, "id", None) is not None:  # before initialize: requests error, notifications drop
                self.send_error(message.id, lsp.ErrorCodes.ServerNotInitialized, f"{method}: the server is not initialized")
            return
        if self._shutdown and method is not None and method != lsp.EXIT and getattr(message, "id", None) is not None:
            self.send_error(message.id, lsp.ErrorCodes.InvalidRequest, f"{method}: the server is shutting down")
            return
        super().handle_message(message)

    @lsp_method(lsp.SHUTDOWN)
    def lsp_shutdown(self, *args):
        """pygls' own shutdown, iterating over a snapshot of the pending futures: a handler that
        finished on a worker thread meanwhile takes its future out of the dict (``done`` above),
        and pygls' loop over the live dict failed with "dictionary changed size during iteration"
        (seen in CI as an internal error answering shutdown)."""
        if (user_handler := self.fm.features.get(lsp.SHUTDOWN)) is not None:
            yield user_handler, args, None
        current_id = self.msg_id
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current_id and not future.done():
                future.cancel()
        self._shutdown = True
        return None

    def _ours(self, method: str, params):
        if (handler := self.fm.features.get(method)) is not None:
            yield handler, (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: lsp.DidOpenTextDocumentParams):
        yield from self._ours(lsp.TEXT_DOCUMENT_DID_OPEN, params)

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: lsp.DidChangeTextDocumentParams):
        yield from self._ours(lsp.TEXT_DOCUMENT_DID_CHANGE, params)

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: lsp.DidCloseTextDocumentParams):
        yield from self._ours(lsp.TEXT_DOCUMENT_DID_CLOSE, params)


class GojaguardServer(LanguageServer):
    def report_server_error(self, error: Exception, source) -> None:
        if source is JsonRpcException:  # the message could not even be parsed: JSON-RPC's Parse error
            log.warning("unparsable message from the client: %r", error)
            self.protocol.send_error(None, lsp.ErrorCodes.ParseError, f"parse error: {error}")
            return
        super().report_server_error(error, source)

    def __init__(self):
        super().__init__("gojaguard", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
                         protocol_cls=GojaguardProtocol)
        self.ws: Workspace | None = None
        self.pull = False
        self.workspace_pull = False
        self.refresh_support = False
        self.locale = "en"
        self.settings = Settings()
        self.encoding = "utf-16"
        self.support = convert.ALL
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._pulled: dict[str, str] = {}  # uri -> last result id sent
        self._published: set[str] = set()  # uris with pushed diagnostics
        self._index_task: asyncio.Task | None = None
        self.stats = {"analyses": 0, "last_ms": 0.0}

    # -- logging to the client --------------------------------------------------------------
    def log(self, message: str, kind: lsp.MessageType = lsp.MessageType.Log) -> None:
        log.info(message)
        try:
            self.window_log_message(lsp.LogMessageParams(type=kind, message=message))
        except Exception:  # no client yet / closed: the file log has it
            pass

    # -- analysis and diagnostics --------------------------------------------------------------
    def analyze_now(self, package_id: str):
        started = time.perf_counter()
        try:
            result = self.ws.analyze(package_id)
        except Exception as exc:  # never lose the session over one package
            log.exception("analysing %s", package_id)
            self.log(f"gojaguard: internal error analysing {package_id}: {exc!r}", lsp.MessageType.Error)
            return None
        self.stats["analyses"] += 1
        self.stats["last_ms"] = (time.perf_counter() - started) * 1000
        stale, self.ws.stale_importers = self.ws.stale_importers, set()
        for pid in stale:  # what this package offers its importers changed: they go again
            if pid != package_id and (pid in self.ws.indexed or any(self.ws.package_id_of(od.path) == pid for od in self.ws.open.values())):
                self.schedule(pid)
        return result

    def schedule(self, package_id: str) -> None:
        """Re-analyse a package after the configured delay; push, or ask pull clients to re-pull."""
        timer = self._timers.pop(package_id, None)
        if timer is not None:
            timer.cancel()
        delay = self.settings.diagnostics_delay_ms / 1000
        loop = asyncio.get_event_loop()
        if delay <= 0:
            self._run_scheduled(package_id)
        else:
            self._timers[package_id] = loop.call_later(delay, self._run_scheduled, package_id)

    def _run_scheduled(self, package_id: str) -> None:
        self._timers.pop(package_id, None)
        if not self.pull:
            self.publish_package(package_id)
            return
        # pull clients ask for each document they show; when a package has several open files,
        # an edit in one may change the others' diagnostics: ask the client to pull again
        if self.ws is not None and package_id in self.ws.dirty:
            self.analyze_now(package_id)
        open_in_package = [od for od in self.ws.open.values() if self.ws.package_id_of(od.path) == package_id]
        if self.refresh_support and len(open_in_package) > 1:
            try:
                self.workspace_diagnostic_refresh(None)
            except Exception:
                pass

    def publish_package(self, package_id: str) -> None:
        result = self.analyze_now(package_id)
        if result is None:
            return
        for path in result.files:
            od = self.ws.open_doc_for(path)
            if od is None and package_id not in self.ws.indexed:
                continue
            self.publish(path, od.version if od is not None else None)

    def publish(self, path: str, version: int | None) -> None:
        uri = self.ws.uri_of(path)
        try:
            diags = self.ws.diagnostics(path, self.encoding, self.support)
        except Exception as exc:
            log.exception("diagnostics for %s", path)
            self.log(f"gojaguard: internal error for {path}: {exc!r}", lsp.MessageType.Error)
            diags = []
        if not diags and uri not in self._published:
            return
        if diags:
            self._published.add(uri)
        else:
            self._published.discard(uri)
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diags, version=version))

    def findings_at(self, path: str, start: int, end: int) -> list[Finding]:
        result = self.ws.result_for(path)
        fr = result.files.get(path)
        if fr is None:
            return []
        return [f for f in fr.findings if f.start <= end and start <= max(f.end, f.start + 1)]


server = GojaguardServer()


# -- lifecycle ---------------------------------------------------------------------------------
@server.feature(lsp.INITIALIZE)
def initialize(ls: GojaguardServer, params: lsp.InitializeParams):
    caps = params.capabilities
    ls.pull = caps.text_document is not None and caps.text_document.diagnostic is not None
    ls.workspace_pull = ls.pull and caps.workspace is not None and caps.workspace.diagnostics is not None
    ls.refresh_support = bool(ls.workspace_pull and caps.workspace.diagnostics.refresh_support)
    ls.encoding = convert.encoding_name(ls.workspace.position_encoding)
    ls.support = convert.ClientSupport.from_capabilities(caps, ls.pull)
    ls.settings = parse(params.initialization_options or {})
    ls.locale = normalize_locale(ls.settings.locale or params.locale)
    roots = []
    for folder in params.workspace_folders or []:
        roots.append(Workspace.path_of(folder.uri))
    if not roots and params.root_uri:
        roots.append(Workspace.path_of(params.root_uri))
    elif not roots and params.root_path:
        roots.append(params.root_path)
    ls.ws = Workspace(roots, ls.settings)
    ls.ws.report = lambda err: ls.log(f"gojaguard: {err}", lsp.MessageType.Warning)  # each once, on any path
    if ls.pull:
        ls.feature(lsp.TEXT_DOCUMENT_DIAGNOSTIC, lsp.DiagnosticOptions(
            identifier="gojaguard", inter_file_dependencies=True, workspace_diagnostics=ls.workspace_pull))(pull_document)
        if ls.workspace_pull:
            ls.feature(lsp.WORKSPACE_DIAGNOSTIC)(pull_workspace)
    for p in ls.settings.problems:
        log.warning(p)
    log.info("initialize: encoding=%s pull=%s workspace_pull=%s locale=%s roots=%s", ls.encoding, ls.pull, ls.workspace_pull, ls.locale, roots)


@server.feature(lsp.INITIALIZED)
async def initialized(ls: GojaguardServer, params: lsp.InitializedParams):
    caps = ls.client_capabilities
    if caps.workspace is not None and caps.workspace.configuration:
        await refresh_configuration(ls)
    watch = caps.workspace is not None and caps.workspace.did_change_watched_files is not None and \
        caps.workspace.did_change_watched_files.dynamic_registration
    if watch:
        try:
            await asyncio.wait_for(ls.client_register_capability_async(lsp.RegistrationParams(registrations=[lsp.Registration(
                id="gojaguard-watch", method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=[
                    lsp.FileSystemWatcher(glob_pattern="**/*.go"),
                    lsp.FileSystemWatcher(glob_pattern="**/.gojaguard.toml"),
                ]))])), CLIENT_TIMEOUT)
        except Exception as exc:
            log.warning("could not register file watchers: %s", exc)
    ls._index_task = asyncio.ensure_future(index_workspace(ls))


async def refresh_configuration(ls: GojaguardServer) -> None:
    try:
        items = await asyncio.wait_for(ls.workspace_configuration_async(lsp.ConfigurationParams(
            items=[lsp.ConfigurationItem(section="gojaguard")])), CLIENT_TIMEOUT)
    except Exception as exc:
        log.warning("workspace/configuration failed: %s", exc)
        return
    if items and isinstance(items[0], dict):
        apply_settings(ls, parse(items[0], ls.settings))


def apply_settings(ls: GojaguardServer, settings: Settings) -> None:
    for p in settings.problems:
        ls.log(f"gojaguard: {p}", lsp.MessageType.Warning)
    ls.settings = settings
    if settings.locale:
        ls.locale = normalize_locale(settings.locale)
    ls.ws.set_settings(settings)
    for pid in {ls.ws.package_id_of(od.path) for od in ls.ws.open.values()}:
        ls.schedule(pid)


async def index_workspace(ls: GojaguardServer) -> None:
    """Find and analyse the workspace's goja packages in the background, with progress."""
    if not ls.ws.roots:
        return
    token = f"gojaguard-index-{time.time_ns()}"
    progress = False
    caps = ls.client_capabilities
    if caps.window is not None and caps.window.work_done_progress:
        try:
            await asyncio.wait_for(ls.work_done_progress.create_async(token), CLIENT_TIMEOUT)
            ls.work_done_progress.begin(token, lsp.WorkDoneProgressBegin(title="gojaguard: indexing", percentage=0, cancellable=False))
            progress = True
        except Exception as exc:
            log.warning("progress unavailable: %s", exc)
    started = time.perf_counter()
    try:
        packages = await asyncio.get_event_loop().run_in_executor(None, ls.ws.workspace_packages)
        for i, pid in enumerate(packages):
            await asyncio.sleep(0)  # let requests and edits through between packages
            if pid not in ls.ws.results or pid in ls.ws.dirty:
                if ls.pull:
                    ls.analyze_now(pid)
                else:
                    ls.publish_package(pid)
            if progress and (i % 5 == 0 or i == len(packages) - 1):
                ls.work_done_progress.report(token, lsp.WorkDoneProgressReport(
                    message=f"{i + 1}/{len(packages)} packages", percentage=int(100 * (i + 1) / max(1, len(packages)))))
        if ls.refresh_support and packages:
            ls.workspace_diagnostic_refresh(None)
        ls.log(f"gojaguard: indexed {len(packages)} goja packages in {time.perf_counter() - started:.2f}s")
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.exception("indexing")
        ls.log(f"gojaguard: indexing failed: {exc!r}", lsp.MessageType.Error)
    finally:
        if progress:
            ls.work_done_progress.end(token, lsp.WorkDoneProgressEnd(message="done"))


@server.feature(lsp.SHUTDOWN)
def shutdown(ls: GojaguardServer, params):
    if ls._index_task is not None:
        ls._index_task.cancel()
    for timer in ls._timers.values():
        timer.cancel()
    ls._timers.clear()


# -- documents ---------------------------------------------------------------------------------
@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: GojaguardServer, params: lsp.DidOpenTextDocumentParams):
    td = params.text_document
    od = ls.ws.open_doc(td.uri, td.text, td.version)
    pid = ls.ws.package_id_of(od.path)
    if ls.pull:
        return
    ls.publish_package(pid)  # the first diagnostics come without delay


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: GojaguardServer, params: lsp.DidChangeTextDocumentParams):
    td = params.text_document
    od = ls.ws.change_doc(td.uri, td.version, params.content_changes, ls.encoding)
    if od is None:
        ls.log(f"gojaguard: didChange for a document that is not open: {td.uri}", lsp.MessageType.Warning)
        return
    ls.schedule(ls.ws.package_id_of(od.path))


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: GojaguardServer, params: lsp.DidCloseTextDocumentParams):
    od = ls.ws.close_doc(params.text_document.uri)
    if od is None:
        return
    ls._pulled.pop(params.text_document.uri, None)
    pid = ls.ws.package_id_of(od.path)
    if ls.pull:
        return
    if pid in ls.ws.indexed:
        ls.publish_package(pid)  # keep the workspace diagnostics, from the file on disk
    elif params.text_document.uri in ls._published:
        ls._published.discard(params.text_document.uri)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: GojaguardServer, params: lsp.DidSaveTextDocumentParams):
    od = ls.ws.open.get(params.text_document.uri)
    if od is not None:
        ls.ws.forget(od.path)


@server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched(ls: GojaguardServer, params: lsp.DidChangeWatchedFilesParams):
    packages = set()
    for change in params.changes:
        path = Workspace.path_of(change.uri)
        if path.endswith(".gojaguard.toml"):
            ls.ws.config_changed()
            packages.update(ls.ws.package_id_of(od.path) for od in ls.ws.open.values())
            continue
        ls.ws.forget(path)
        import os

        directory = os.path.dirname(path)
        for pid in list(ls.ws.results) + list(ls.ws.indexed):
            if pid.rpartition("#")[0] == directory:
                ls.ws.dirty.add(pid)
                packages.add(pid)
        if change.type != lsp.FileChangeType.Deleted:
            pid = ls.ws.package_id_of(path)
            ls.ws.dirty.add(pid)
            packages.add(pid)
    for pid in packages:
        ls.schedule(pid)


@server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(ls: GojaguardServer, params: lsp.DidChangeConfigurationParams):
    if isinstance(params.settings, dict) and params.settings:
        apply_settings(ls, parse(params.settings, ls.settings))
    elif ls.client_capabilities.workspace is not None and ls.client_capabilities.workspace.configuration:
        await refresh_configuration(ls)


# -- pull diagnostics --------------------------------------------------------------------------
def pull_document(ls: GojaguardServer, params: lsp.DocumentDiagnosticParams):
    uri = params.text_document.uri
    path = Workspace.path_of(uri)
    diags = ls.ws.diagnostics(path, ls.encoding, ls.support)
    rid = convert.result_id(diags)
    ls._pulled[uri] = rid
    if params.previous_result_id == rid:
        return lsp.RelatedUnchangedDocumentDiagnosticReport(result_id=rid)
    return lsp.RelatedFullDocumentDiagnosticReport(items=diags, result_id=rid)


async def pull_workspace(ls: GojaguardServer, params: lsp.WorkspaceDiagnosticParams):
    previous = {p.uri: p.value for p in params.previous_result_ids or []}
    items = []
    for pid in sorted(ls.ws.indexed):
        await asyncio.sleep(0)
        result = ls.ws.results.get(pid) if pid not in ls.ws.dirty else None
        if result is None:
            result = ls.analyze_now(pid)
        if result is None:
            continue
        for path in result.files:
            uri = ls.ws.uri_of(path)
            if uri in ls.ws.open:
                continue  # open documents are pulled per document
            diags = ls.ws.diagnostics(path, ls.encoding, ls.support)
            rid = convert.result_id(diags)
            if previous.get(uri) == rid:
                items.append(lsp.WorkspaceUnchangedDocumentDiagnosticReport(uri=uri, result_id=rid, version=None))
            else:
                items.append(lsp.WorkspaceFullDocumentDiagnosticReport(uri=uri, items=diags, result_id=rid, version=None))
    return lsp.WorkspaceDiagnosticReport(items=items)


# -- hover ---------------------------------------------------------------------------------------
@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: GojaguardServer, params: lsp.HoverParams):
    path = Workspace.path_of(params.text_document.uri)
    lines = ls.ws.lines(path)
    if lines is None:
        return None
    offset = convert.offset(lines, params.position, ls.encoding)
    result = ls.ws.result_for(path)
    h = hover_at(result, path, offset, ls.locale)
    if h is None:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=h.markdown),
                     range=convert.to_range(lines, h.start, h.end, ls.encoding))


# -- code actions ----------------------------------------------------------------------------------
@server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION, lsp.CodeActionOptions(
    code_action_kinds=[lsp.CodeActionKind.QuickFix], resolve_provider=False))
def code_action(ls: GojaguardServer, params: lsp.CodeActionParams):
    uri = params.text_document.uri
    path = Workspace.path_of(uri)
    lines = ls.ws.lines(path)
    if lines is None:
        return None
    start = convert.offset(lines, params.range.start, ls.encoding)
    end = convert.offset(lines, params.range.end, ls.encoding)
    actions = []
    for f in ls.findings_at(path, start, end):
        if f.rule == "GJ900":
            continue
        diag = convert.diagnostic(f, lines, ls.encoding, ls.ws.uri_of, ls.ws.lines, support=ls.support)
        for fix in f.fixes:
            changes: dict[str, list] = {}
            for ed in fix.edits:
                el = ls.ws.lines(ed.path)
                if el is None:
                    continue
                changes.setdefault(ls.ws.uri_of(ed.path), []).append(
                    lsp.TextEdit(range=convert.to_range(el, ed.start, ed.end, ls.encoding), new_text=ed.new_text))
            actions.append(lsp.CodeAction(title=f"{fix.title} ({f.rule})", kind=lsp.CodeActionKind.QuickFix,
                                          diagnostics=[diag], edit=lsp.WorkspaceEdit(changes=changes), is_preferred=True))
        actions.append(suppress_action(ls, f, lines, uri, diag))
        rule = RULES.get(f.rule)
        if rule is not None:
            actions.append(lsp.CodeAction(title=f"Explain {rule.id} {rule.name}", kind=lsp.CodeActionKind.QuickFix,
                                          diagnostics=[diag], command=lsp.Command(title=f"Explain {rule.id}", command=CMD_EXPLAIN, arguments=[rule.id])))
    return actions or None


def suppress_action(ls: GojaguardServer, f: Finding, lines, uri: str, diag) -> lsp.CodeAction:
    """Insert `//gojaguard:ignore GJxxx <reason>` on its own line above the finding."""
    line = lines.line_of(f.start)
    line_start = lines.starts[line]
    text = lines.data[line_start:lines.line_end(line)].decode("utf-8", "replace")
    indent = text[: len(text) - len(text.lstrip(" \t"))]
    comment = f"{indent}//gojaguard:ignore {f.rule} TODO: say why this is safe\n"
    pos = lsp.Position(line=line, character=0)
    edit = lsp.TextEdit(range=lsp.Range(start=pos, end=pos), new_text=comment)
    return lsp.CodeAction(title=f"Suppress {f.rule} on this line (//gojaguard:ignore)", kind=lsp.CodeActionKind.QuickFix,
                          diagnostics=[diag], edit=lsp.WorkspaceEdit(changes={uri: [edit]}))


@server.command(CMD_EXPLAIN)
async def explain_command(ls: GojaguardServer, *args):
    rid = args[0] if args and isinstance(args[0], str) else (args[0][0] if args and isinstance(args[0], list) and args[0] else "")
    rule = lookup(str(rid))
    if rule is None:
        ls.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Warning, message=f"gojaguard: unknown rule {rid!r}"))
        return None
    caps = ls.client_capabilities
    if caps.window is not None and caps.window.show_document is not None and caps.window.show_document.support:
        try:
            await ls.window_show_document_async(lsp.ShowDocumentParams(uri=rule.url, external=True))
            return rule.id
        except Exception:
            pass
    ls.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Info, message=f"{rule.id} {rule.name}: {rule.summary} ({rule.url})"))
    return rule.id


@server.command(CMD_REINDEX)
async def reindex_command(ls: GojaguardServer, *args):
    if ls._index_task is not None and not ls._index_task.done():
        ls._index_task.cancel()
    ls._index_task = asyncio.ensure_future(index_workspace(ls))
    return True


@server.feature(DEBUG_DOCUMENT)
def debug_document(ls: GojaguardServer, params):
    get = params.get if isinstance(params, dict) else (lambda k, d=None: getattr(params, k, d))
    uri = get("uri")
    return ls.ws.debug_document(uri, tree=get("tree", True) is not False) if isinstance(uri, str) else None


# -- entry point ------------------------------------------------------------------------------------
def run(tcp: str | None = None, log_file: str | None = None, log_level: str = "info") -> int:
    logging.getLogger("pygls").setLevel(logging.WARNING)  # pygls logs every message at INFO
    handlers = [logging.FileHandler(log_file, encoding="utf-8")] if log_file else [logging.StreamHandler(sys.stderr)]
    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO), handlers=handlers,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The engine's caches are many long-lived objects, and each keystroke allocates thousands of
    # short-lived ones: with CPython's default thresholds the collector kept re-scanning the caches
    # (a keystroke's p95 on a 20,000-line file fell from ~195 ms to ~120 ms with these; see
    # benchmarks/README.md). Memory stays bounded: garbage cycles are still collected.
    gc.set_threshold(50_000, 20, 20)
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    # the LSP exit code: 0 after a shutdown request, 1 when the client left without one (exit, EOF)
    return 0 if getattr(server.protocol, "_shutdown", False) else 1
