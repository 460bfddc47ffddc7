"""Client profiles and helpers for the end-to-end language-server tests (pytest-lsp, over stdio).

The profiles reproduce what real clients declare at initialize:
- Neovim 0.7: push diagnostics, UTF-16, no pull;
- Neovim 0.11: pull diagnostics, offers UTF-8 first (so positions are UTF-8 byte columns);
- VS Code: pull diagnostics with workspace diagnostics and refresh, UTF-16.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from lsprotocol import types as lsp

ROOT = Path(__file__).parent.parent
SERVER = [sys.executable, "-m", "gojaguard", "serve"]

_PUSH = lsp.PublishDiagnosticsClientCapabilities(
    related_information=True, code_description_support=True,
    tag_support=lsp.ClientDiagnosticsTagOptions(value_set=[lsp.DiagnosticTag.Unnecessary, lsp.DiagnosticTag.Deprecated]),
    version_support=True,
)


def _caps(pull: bool, encodings: list[str] | None, workspace_pull: bool = False) -> lsp.ClientCapabilities:
    td = lsp.TextDocumentClientCapabilities(
        synchronization=lsp.TextDocumentSyncClientCapabilities(did_save=True),
        hover=lsp.HoverClientCapabilities(content_format=[lsp.MarkupKind.Markdown, lsp.MarkupKind.PlainText]),
        code_action=lsp.CodeActionClientCapabilities(code_action_literal_support=lsp.ClientCodeActionLiteralOptions(
            code_action_kind=lsp.ClientCodeActionKindOptions(value_set=[lsp.CodeActionKind.QuickFix]))),
        publish_diagnostics=_PUSH,
        diagnostic=lsp.DiagnosticClientCapabilities(dynamic_registration=False, related_document_support=True,
                                                    related_information=True, code_description_support=True,
                                                    tag_support=lsp.ClientDiagnosticsTagOptions(value_set=[lsp.DiagnosticTag.Unnecessary]))
        if pull else None,
    )
    ws = lsp.WorkspaceClientCapabilities(
        configuration=True,
        did_change_configuration=lsp.DidChangeConfigurationClientCapabilities(dynamic_registration=False),
        did_change_watched_files=lsp.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True),
        diagnostics=lsp.DiagnosticWorkspaceClientCapabilities(refresh_support=True) if workspace_pull else None,
        workspace_folders=True,
    )
    general = lsp.GeneralClientCapabilities(position_encodings=encodings) if encodings else None
    return lsp.ClientCapabilities(text_document=td, workspace=ws, general=general,
                                  window=lsp.WindowClientCapabilities(work_done_progress=True))


PROFILES = {
    "neovim-0.7": dict(caps=_caps(pull=False, encodings=None), encoding="utf-16", pull=False),
    "neovim-0.11": dict(caps=_caps(pull=True, encodings=[lsp.PositionEncodingKind.Utf8, lsp.PositionEncodingKind.Utf16,
                                                         lsp.PositionEncodingKind.Utf32]), encoding="utf-8", pull=True),
    "vscode": dict(caps=_caps(pull=True, encodings=None, workspace_pull=True), encoding="utf-16", pull=True),
    "utf-32": dict(caps=_caps(pull=False, encodings=[lsp.PositionEncodingKind.Utf32, lsp.PositionEncodingKind.Utf16]),
                   encoding="utf-32", pull=False),
}


def uri(path: Path) -> str:
    return path.resolve().as_uri()


async def open_doc(client, path: Path, text: str | None = None, version: int = 1) -> str:
    u = uri(path)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri=u, language_id="go", version=version, text=text if text is not None else path.read_text(encoding="utf-8"))))
    return u


async def diagnostics(client, u: str, pull: bool, timeout: float = 10.0, predicate=None) -> list[lsp.Diagnostic]:
    """The current diagnostics of a document: pulled, or waited for until pushed (and matching)."""
    if pull:
        deadline = asyncio.get_event_loop().time() + timeout
        while True:
            report = await client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(
                text_document=lsp.TextDocumentIdentifier(uri=u)))
            items = list(report.items)
            if predicate is None or predicate(items) or asyncio.get_event_loop().time() > deadline:
                return items
            await asyncio.sleep(0.05)
    deadline = asyncio.get_event_loop().time() + timeout
    while asyncio.get_event_loop().time() < deadline:
        if u in client.diagnostics and (predicate is None or predicate(list(client.diagnostics[u]))):
            return list(client.diagnostics[u])
        await asyncio.sleep(0.02)
    return list(client.diagnostics.get(u, []))


def position_of(text: str, needle: str, encoding: str, occurrence: int = 0, offset_in_needle: int = 0) -> lsp.Position:
    """The LSP position of ``needle`` in ``text`` computed independently of the server."""
    idx = -1
    for _ in range(occurrence + 1):
        idx = text.index(needle, idx + 1)
    idx += offset_in_needle
    line = text.count("\n", 0, idx)
    line_text = text[text.rfind("\n", 0, idx) + 1: idx]
    if encoding == "utf-8":
        col = len(line_text.encode("utf-8"))
    elif encoding == "utf-16":
        col = len(line_text.encode("utf-16-le")) // 2
    else:
        col = len(line_text)
    return lsp.Position(line=line, character=col)
