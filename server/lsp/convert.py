"""Translating between the engine (byte offsets, Findings) and LSP (positions, Diagnostics)."""

from __future__ import annotations

import hashlib

from lsprotocol import types as lsp

from ...analyzers.rules import RULES
from ...analyzers.rules.base import Finding
from ...analyzers.syntax.text import LineIndex

SEVERITY = {
    "error": lsp.DiagnosticSeverity.Error,
    "warning": lsp.DiagnosticSeverity.Warning,
    "information": lsp.DiagnosticSeverity.Information,
    "hint": lsp.DiagnosticSeverity.Hint,
}

ENCODINGS = {
    lsp.PositionEncodingKind.Utf8: "utf-8",
    lsp.PositionEncodingKind.Utf16: "utf-16",
    lsp.PositionEncodingKind.Utf32: "utf-32",
    "utf-8": "utf-8",
    "utf-16": "utf-16",
    "utf-32": "utf-32",
}


def encoding_name(kind) -> str:
    return ENCODINGS.get(kind, "utf-16")


def position(lines: LineIndex, offset: int, encoding: str) -> lsp.Position:
    line, col = lines.position(offset, encoding)
    return lsp.Position(line=line, character=col)


def to_range(lines: LineIndex, start: int, end: int, encoding: str) -> lsp.Range:
    return lsp.Range(start=position(lines, start, encoding), end=position(lines, max(start, end), encoding))


def offset(lines: LineIndex, pos: lsp.Position, encoding: str) -> int:
    return lines.offset(pos.line, pos.character, encoding)


class ClientSupport:
    """What the client said it can show; fields it cannot are left out (LSP spec)."""

    def __init__(self, related: bool = True, code_description: bool = True, tags: bool = True):
        self.related, self.code_description, self.tags = related, code_description, tags

    @classmethod
    def from_capabilities(cls, caps: lsp.ClientCapabilities, pull: bool) -> "ClientSupport":
        """Real clients (vscode-languageclient 9, Neovim 0.11) declare what they can show only under
        textDocument.publishDiagnostics, even when they pull: read it from either place."""
        td = caps.text_document
        sources = [s for s in ((td.diagnostic, td.publish_diagnostics) if pull else (td.publish_diagnostics,))
                   if s is not None] if td is not None else []

        def flag(name: str) -> bool:
            return any(bool(getattr(s, name, False)) for s in sources)

        tags = any(getattr(s, "tag_support", None) is not None and lsp.DiagnosticTag.Unnecessary in (s.tag_support.value_set or [])
                   for s in sources)
        return cls(flag("related_information"), flag("code_description_support"), tags)


ALL = ClientSupport()


def diagnostic(f: Finding, lines: LineIndex, encoding: str, uri_of, lines_of, docs_url: str | None = None,
               support: ClientSupport = ALL) -> lsp.Diagnostic:
    """A Finding as an LSP Diagnostic; ``uri_of``/``lines_of`` map other files of its story."""
    related = []
    for r in f.related if support.related else ():
        rl = lines_of(r.path)
        if rl is None:
            continue
        related.append(lsp.DiagnosticRelatedInformation(
            location=lsp.Location(uri=uri_of(r.path), range=to_range(rl, r.start, r.end, encoding)),
            message=r.message,
        ))
    rule = RULES.get(f.rule)
    href = rule.url if rule is not None else None
    if docs_url and rule is not None:
        href = f"{docs_url}#{rule.anchor}"
    tags = [lsp.DiagnosticTag.Unnecessary] if "unnecessary" in f.tags and support.tags else None
    return lsp.Diagnostic(
        range=to_range(lines, f.start, f.end, encoding),
        message=f.message,
        severity=SEVERITY.get(f.severity, lsp.DiagnosticSeverity.Warning),
        code=f.rule,
        code_description=lsp.CodeDescription(href=href) if href and support.code_description else None,
        source="gojaguard",
        related_information=related or None,
        tags=tags,
        data={"rule": f.rule, "start": f.start, "end": f.end},
    )


def result_id(diags: list[lsp.Diagnostic]) -> str:
    """A stable id of a diagnostics list, for pull `unchanged` reports."""
    h = hashlib.blake2b(digest_size=10)
    for d in diags:
        h.update(f"{d.code}|{d.range.start.line}:{d.range.start.character}-{d.range.end.line}:{d.range.end.character}|{d.severity}|{d.message}".encode())
        for r in d.related_information or ():
            h.update(f"|{r.location.uri}:{r.location.range.start.line}:{r.message}".encode())
    return h.hexdigest()
