"""Reading Go type expressions (``*goja.Runtime``, ``[]js.Value``, ``chan *Wrapper``) into ``Ty``."""

from __future__ import annotations

from tree_sitter import Node

from . import api
from . import types as T
from .imports import FileContext

_TRANSPARENT = ("pointer_type", "parenthesized_type")


def text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None else ""


def type_of(node: Node | None, fctx: FileContext) -> T.Ty:
    """The ``Ty`` a type expression denotes; local named types stay symbolic (STRUCT + name)."""
    while node is not None and node.type in _TRANSPARENT:
        node = node.named_children[0] if node.named_children else None
    if node is None:
        return T.T_UNKNOWN
    kind = node.type
    if kind == "qualified_type":
        pkg = text(node.child_by_field_name("package"))
        name = text(node.child_by_field_name("name"))
        role = fctx.role(pkg)
        if role == api.ROLE_MODULE:  # a type of another package of this module: named by its path
            return T.Ty(T.STRUCT, name=f"{fctx.path(pkg)}#{name}")
        return api.NAMED_TYPES.get((role, name), T.T_PLAIN if role else T.T_UNKNOWN)
    if kind == "type_identifier":
        name = text(node)
        for role in fctx.dot_roles:
            if (role, name) in api.NAMED_TYPES:
                return api.NAMED_TYPES[(role, name)]
        if name in _BUILTIN_PLAIN:
            return T.T_PLAIN
        return T.Ty(T.STRUCT, name=name)
    if kind == "generic_type":
        return type_of(node.child_by_field_name("type"), fctx)
    if kind in ("slice_type", "array_type", "implicit_length_array_type"):
        return T.Ty(T.SLICE, elem=type_of(node.child_by_field_name("element"), fctx))
    if kind == "map_type":
        return T.Ty(T.MAP, elem=type_of(node.child_by_field_name("value"), fctx))
    if kind == "channel_type":
        return T.Ty(T.CHAN, elem=type_of(node.child_by_field_name("value"), fctx))
    if kind == "function_type":
        return func_type(node, fctx)
    if kind == "struct_type":
        return T.Ty(T.STRUCT, name="")
    if kind == "interface_type":
        return T.T_UNKNOWN
    return T.T_UNKNOWN


def func_type(node: Node, fctx: FileContext) -> T.Ty:
    params = tuple(t for _, t, _ in param_list(node.child_by_field_name("parameters"), fctx))
    results = result_types(node.child_by_field_name("result"), fctx)
    return T.Ty(T.FUNC, params=params, results=results)


def param_list(node: Node | None, fctx: FileContext) -> list[tuple[str, T.Ty, Node | None]]:
    """(name, type, name node) for each parameter; unnamed parameters get name ''."""
    out: list[tuple[str, T.Ty, Node | None]] = []
    if node is None:
        return out
    for decl in node.named_children:
        if decl.type not in ("parameter_declaration", "variadic_parameter_declaration"):
            continue
        ty = type_of(decl.child_by_field_name("type"), fctx)
        if decl.type == "variadic_parameter_declaration":
            ty = T.Ty(T.SLICE, elem=ty)
        names = [c for c in decl.children_by_field_name("name")]
        if not names:
            out.append(("", ty, None))
        for n in names:
            out.append((text(n), ty, n))
    return out


def result_types(node: Node | None, fctx: FileContext) -> tuple[T.Ty, ...]:
    if node is None:
        return ()
    if node.type == "parameter_list":
        return tuple(t for _, t, _ in param_list(node, fctx))
    return (type_of(node, fctx),)


_BUILTIN_PLAIN = frozenset(
    {
        "string", "bool", "byte", "rune", "int", "int8", "int16", "int32", "int64", "uint", "uint8",
        "uint16", "uint32", "uint64", "uintptr", "float32", "float64", "complex64", "complex128",
        "error",
    }
)
