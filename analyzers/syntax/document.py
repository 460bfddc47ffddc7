"""One Go source file as bytes plus its tree-sitter tree, edited incrementally.

``Document.apply_edit`` tells the old tree what changed (``Tree.edit``) and re-parses with it, so a
keystroke costs a fraction of a millisecond whatever the file's size. ``declarations()`` lists the
top-level declarations; the engine caches its analysis per declaration, keyed by the declaration's
text, so only declarations whose text changed are analysed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import tree_sitter_go
from tree_sitter import Language, Node, Parser, Tree

from .text import LineIndex, point_of

GO = Language(tree_sitter_go.language())

# Node types of top-level declarations the engine analyses as units.
DECL_TYPES = frozenset(
    {
        "function_declaration",
        "method_declaration",
        "type_declaration",
        "var_declaration",
        "const_declaration",
        "import_declaration",
        "package_clause",
    }
)


# Up to this size a text whose incremental parse has errors is parsed again from scratch (~1 s).
FRESH_PARSE_LIMIT = 2 * 1024 * 1024


@lru_cache(maxsize=None)
def _parser() -> Parser:
    return Parser(GO)


def parse(source: bytes, old: Tree | None = None) -> Tree:
    return _parser().parse(source, old) if old is not None else _parser().parse(source)


@dataclass(frozen=True)
class Decl:
    """A top-level declaration of a file, as it stands in the current tree."""

    kind: str
    name: str
    start: int
    end: int
    text: bytes
    node: Node

    @property
    def receiver_type(self) -> str:
        """For a method, the receiver's type name without ``*`` or type arguments."""
        if self.kind != "method_declaration":
            return ""
        recv = self.node.child_by_field_name("receiver")
        if recv is None:
            return ""
        for child in recv.named_children:
            t = child.child_by_field_name("type")
            while t is not None and t.type in ("pointer_type", "generic_type", "parenthesized_type"):
                t = t.named_children[0] if t.type != "generic_type" else t.child_by_field_name("type")
            if t is not None and t.type == "type_identifier":
                return t.text.decode("utf-8", "replace")
        return ""


def _decl_name(node: Node) -> str:
    name = node.child_by_field_name("name")
    if name is not None:
        return name.text.decode("utf-8", "replace")
    if node.type in ("type_declaration", "var_declaration", "const_declaration"):
        names = []
        for spec in node.named_children:
            for sub in (spec,) if spec.type.endswith("_spec") else spec.named_children:
                n = sub.child_by_field_name("name")
                if n is not None:
                    names.append(n.text.decode("utf-8", "replace"))
        return ",".join(names)
    if node.type == "package_clause" and node.named_children:
        return node.named_children[0].text.decode("utf-8", "replace")
    return ""


def sexp(node: Node) -> str:
    """The tree under ``node`` as an S-expression of every node (named, anonymous as ``"{"``,
    ``MISSING`` ones marked) with its field name and byte range: two trees print alike exactly
    when they are the same tree over the same bytes. Written with a cursor, not recursion, so a
    50,000-deep tree cannot overflow the stack (``str(node)`` recurses in C and can crash)."""
    out: list[str] = []
    cursor = node.walk()
    depth = 0
    while True:
        n = cursor.node
        field = cursor.field_name
        name = n.type if n.is_named else '"' + n.type.replace("\\", "\\\\").replace('"', '\\"') + '"'
        out.append(" " if out else "")
        if field:
            out.append(field + ": ")
        out.append(f"({'MISSING ' if n.is_missing else ''}{name} {n.start_byte}-{n.end_byte}")
        if cursor.goto_first_child():
            depth += 1
            continue
        out.append(")")
        while not cursor.goto_next_sibling():
            if depth == 0 or not cursor.goto_parent():
                return "".join(out)
            depth -= 1
            out.append(")")


class Document:
    """Source bytes and their tree; ``version`` counts edits (LSP versions are the server's)."""

    def __init__(self, source: bytes | str, path: str = "<memory>"):
        if isinstance(source, str):
            source = source.encode("utf-8", errors="surrogatepass")
        self.path = path
        self.source: bytes = source
        self._tree: Tree | None = parse(source)
        self.version = 0
        self._line_index: LineIndex | None = None
        self._decls: list[Decl] | None = None
        self._names: dict[bytes, str] = {}

    @property
    def tree(self) -> Tree:
        """The syntax tree (parsed again if it was released)."""
        if self._tree is None:
            self._tree = parse(self.source)
        return self._tree

    @tree.setter
    def tree(self, tree: Tree) -> None:
        self._tree = tree

    def release_tree(self) -> None:
        """Drop the tree and what points into it (a file on disk, analysed and not open: its
        results keep offsets, not nodes); the next use parses the text again (a few ms)."""
        self._tree = None
        self._decls = None

    # -- editing -----------------------------------------------------------------------------
    def apply_edit(self, start: int, old_end: int, new_text: bytes) -> None:
        """Replace ``source[start:old_end]`` with ``new_text`` and re-parse incrementally."""
        old = self.source
        start = max(0, min(start, len(old)))
        old_end = max(start, min(old_end, len(old)))
        new_source = old[:start] + new_text + old[old_end:]
        new_end = start + len(new_text)
        start_point = point_of(old, start)
        old_end_point = point_of(old, old_end)
        if b"\n" in new_text:
            new_end_point = (
                start_point[0] + new_text.count(b"\n"),
                len(new_text) - new_text.rfind(b"\n") - 1,
            )
        else:
            new_end_point = (start_point[0], start_point[1] + len(new_text))
        self.tree.edit(
            start_byte=start,
            old_end_byte=old_end,
            new_end_byte=new_end,
            start_point=start_point,
            old_end_point=old_end_point,
            new_end_point=new_end_point,
        )
        self.source = new_source
        self.tree = parse(new_source, self.tree)
        if self.tree.root_node.has_error and len(new_source) <= FRESH_PARSE_LIMIT:
            # tree-sitter's error recovery can differ between an incremental and a fresh parse of
            # the same text: with errors, parse afresh, so the tree never depends on the edit history
            self.tree = parse(new_source)
        self.version += 1
        self._line_index = None
        self._decls = None

    def replace(self, source: bytes | str) -> None:
        """Replace the whole text (a full-document sync)."""
        if isinstance(source, str):
            source = source.encode("utf-8", errors="surrogatepass")
        self.source = source
        self.tree = parse(source)
        self.version += 1
        self._line_index = None
        self._decls = None

    # -- views ---------------------------------------------------------------------------------
    @property
    def line_index(self) -> LineIndex:
        if self._line_index is None:
            self._line_index = LineIndex(self.source)
        return self._line_index

    def declarations(self) -> list[Decl]:
        if self._decls is None:
            decls = []
            source = self.source
            known = self._names  # names by declaration text, from the last version (most are unchanged)
            names = {}
            for node in self.tree.root_node.named_children:
                if node.type in DECL_TYPES:
                    start, end = node.start_byte, node.end_byte
                    text = source[start:end]
                    name = known.get(text)
                    if name is None:
                        name = _decl_name(node)
                    names[text] = name
                    decls.append(Decl(kind=node.type, name=name, start=start, end=end, text=text, node=node))
            self._decls = decls
            self._names = names
        return self._decls

    def has_errors(self) -> bool:
        return self.tree.root_node.has_error
