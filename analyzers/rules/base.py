"""What a rule is, what it produces, and the package view rules read.

A rule is a small module: ``RULE`` (its metadata and its one explanation, in English and
Simplified Chinese) and ``check(pkg)`` yielding ``Finding``s. Rules never walk syntax trees:
they read the facts in ``PackageView``, which also turns fact spans into absolute positions
and line numbers for messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..model.facts import DeclFacts, Span
from ..model.index import PackageIndex
from ..syntax.text import LineIndex

ERROR = "error"
WARNING = "warning"
INFORMATION = "information"
HINT = "hint"
SEVERITIES = (ERROR, WARNING, INFORMATION, HINT)
SEVERITY_RANK = {HINT: 0, INFORMATION: 1, WARNING: 2, ERROR: 3}

DOCS_URL = "https://github.com/gojaguard/gojaguard/blob/main/docs/rules.md"


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: str
    family: str
    summary: str  # one line: what it reports
    doc: str  # What it does / Why is this bad / Example / Use instead (markdown)
    doc_zh: str  # the same, in Simplified Chinese
    shown_by: str = ""  # how the ground-truth run shows the bug (or why it cannot)

    @property
    def anchor(self) -> str:
        return f"{self.id.lower()}-{self.name}"

    @property
    def url(self) -> str:
        return f"{DOCS_URL}#{self.anchor}"


@dataclass(frozen=True)
class Related:
    path: str
    start: int
    end: int
    message: str


@dataclass(frozen=True)
class Edit:
    path: str
    start: int
    end: int
    new_text: str


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[Edit, ...]


@dataclass
class Finding:
    rule: str
    name: str
    severity: str
    path: str
    start: int  # absolute byte offsets in the file
    end: int
    message: str
    related: list[Related] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    tags: tuple[str, ...] = ()  # "unnecessary"

    def sort_key(self):
        return (self.path, self.start, self.rule, self.end, self.message)


@dataclass
class DeclRef:
    """One analysed declaration, where it stands now."""

    path: str
    start: int
    facts: DeclFacts
    source: bytes  # the file's bytes (for quoting source in fixes)

    def abs(self, span: Span) -> tuple[int, int]:
        return (self.start + span[0], self.start + span[1])

    def text(self, span: Span) -> str:
        s, e = self.abs(span)
        return self.source[s:e].decode("utf-8", "replace")


class PackageView:
    """The facts of all declarations of one package, as rules see them."""

    def __init__(self, decls: list[DeclRef], index: PackageIndex, lines: dict[str, LineIndex], sources: dict[str, bytes]):
        self.decls = decls
        self.index = index
        self.lines = lines
        self.sources = sources
        self._memo: dict = {}

    def line(self, path: str, offset: int) -> int:
        return self.lines[path].line_of(offset) + 1

    def at(self, d: DeclRef, span: Span) -> str:
        """'line N' of a span, or 'line N of file.go' when in another file than ``here``."""
        return f"line {self.line(d.path, d.start + span[0])}"

    def related(self, d: DeclRef, span: Span, message: str) -> Related:
        s, e = d.abs(span)
        return Related(d.path, s, e, message)

    def finding(self, rule: Rule, d: DeclRef, span: Span, message: str, related: Iterable[Related] = (), fixes=(), tags=()) -> Finding:
        s, e = d.abs(span)
        return Finding(rule.id, rule.name, rule.severity, d.path, s, e, message, list(related), list(fixes), tuple(tags))

    def memo(self, key: str, compute: Callable):
        """A package-wide computation shared by several rules (computed once per view)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]
