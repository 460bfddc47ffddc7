"""The package index: what every declaration of a Go package contributes to the others.

Each top-level declaration yields a ``DeclShape`` (struct types and their fields, package
variables, function signatures), computed from its text alone and cached with it. The
``PackageIndex`` assembles the shapes of all files of one package, plus the function summaries
the declarations' facts produce, so that a declaration can resolve ``s.vm`` to a runtime, know
that ``newRuntime()`` returns a fresh one, or that ``Go(fn)`` runs ``fn`` in a new goroutine.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from tree_sitter import Node

from . import api
from . import types as T
from .facts import FuncSummary, Span
from .imports import FileContext
from .typeexpr import param_list, result_types, text, type_of


@dataclass(frozen=True)
class FieldShape:
    name: str
    ty: T.Ty
    span: Span  # relative to the declaration
    embedded: bool = False


@dataclass
class TypeShape:
    name: str
    ty: T.Ty  # STRUCT(name) for struct types, else the underlying type
    fields: dict[str, FieldShape] = field(default_factory=dict)
    path: str = ""
    decl_start: int = 0


@dataclass
class FuncShape:
    name: str
    recv: str  # receiver type name, "" for functions
    params: list[tuple[str, T.Ty]]
    results: tuple[T.Ty, ...]
    name_span: Span
    path: str = ""
    decl_start: int = 0
    is_handler: bool = False  # func(http.ResponseWriter, *http.Request)
    qualifier: str = ""  # the import path, for a function of another package of the module

    @property
    def key(self) -> str:
        base = f"{self.recv}.{self.name}" if self.recv else self.name
        return f"{self.qualifier}#{base}" if self.qualifier else base


@dataclass
class VarShape:
    name: str
    ty: T.Ty
    span: Span
    init: str = ""  # "new-runtime", "new-loop", ...
    path: str = ""
    decl_start: int = 0


@dataclass
class DeclShape:
    types: list[TypeShape] = field(default_factory=list)
    funcs: list[FuncShape] = field(default_factory=list)
    vars: list[VarShape] = field(default_factory=list)


def _rel(node: Node, base: int) -> Span:
    return (node.start_byte - base, node.end_byte - base)


def _is_handler(params: list[tuple[str, T.Ty, Node | None]], ptypes: list[str]) -> bool:
    return len(ptypes) == 2 and ptypes[0].endswith("ResponseWriter") and ptypes[1].endswith("Request")


def shape_of(node: Node, fctx: FileContext) -> DeclShape:
    """The shape of one top-level declaration (node of the current tree)."""
    base = node.start_byte
    shape = DeclShape()
    if node.type == "type_declaration":
        for spec in node.named_children:
            if spec.type not in ("type_spec", "type_alias"):
                continue
            name = text(spec.child_by_field_name("name"))
            tnode = spec.child_by_field_name("type")
            if tnode is not None and tnode.type == "struct_type":
                ts = TypeShape(name, T.Ty(T.STRUCT, name=name))
                for flist in tnode.named_children:
                    for fd in flist.named_children:
                        if fd.type != "field_declaration":
                            continue
                        fty = type_of(fd.child_by_field_name("type"), fctx)
                        names = fd.children_by_field_name("name")
                        if names:
                            for n in names:
                                ts.fields[text(n)] = FieldShape(text(n), fty, _rel(n, base))
                        else:  # embedded field: its name is the type's name
                            tn = fd.child_by_field_name("type")
                            inner = tn
                            while inner is not None and inner.type in ("pointer_type", "generic_type"):
                                inner = inner.named_children[0] if inner.named_children else None
                            if inner is not None and inner.type == "qualified_type":
                                fname = text(inner.child_by_field_name("name"))
                            else:
                                fname = text(inner)
                            if fname:
                                ts.fields[fname] = FieldShape(fname, fty, _rel(fd, base), embedded=True)
                shape.types.append(ts)
            elif tnode is not None:
                shape.types.append(TypeShape(name, type_of(tnode, fctx)))
    elif node.type in ("function_declaration", "method_declaration"):
        name_node = node.child_by_field_name("name")
        recv = ""
        if node.type == "method_declaration":
            for p in node.child_by_field_name("receiver").named_children:
                t = p.child_by_field_name("type")
                while t is not None and t.type in ("pointer_type", "generic_type", "parenthesized_type"):
                    t = t.child_by_field_name("type") if t.type == "generic_type" else (t.named_children[0] if t.named_children else None)
                recv = text(t)
        plist = param_list(node.child_by_field_name("parameters"), fctx)
        pnode = node.child_by_field_name("parameters")
        ptypes = []
        if pnode is not None:
            for d in pnode.named_children:
                tn = d.child_by_field_name("type")
                for _ in d.children_by_field_name("name") or [None]:
                    ptypes.append(text(tn))
        shape.funcs.append(
            FuncShape(
                name=text(name_node),
                recv=recv,
                params=[(n, t) for n, t, _ in plist],
                results=result_types(node.child_by_field_name("result"), fctx),
                name_span=_rel(name_node, base) if name_node is not None else (0, 0),
                is_handler=_is_handler(plist, ptypes),
            )
        )
    elif node.type == "var_declaration":
        specs = []
        for child in node.named_children:
            if child.type == "var_spec":
                specs.append(child)
            elif child.type == "var_spec_list":
                specs.extend(c for c in child.named_children if c.type == "var_spec")
        for spec in specs:
            declared = spec.child_by_field_name("type")
            dty = type_of(declared, fctx) if declared is not None else None
            values = spec.child_by_field_name("value")
            vals = list(values.named_children) if values is not None else []
            for i, n in enumerate(spec.children_by_field_name("name")):
                init_ty, init = (T.T_UNKNOWN, "")
                if i < len(vals):
                    init_ty, init = initializer_type(vals[i], fctx)
                ty = dty if dty is not None and dty.kind != T.UNKNOWN else init_ty
                shape.vars.append(VarShape(text(n), ty, _rel(n, base), init))
    return shape


def initializer_type(expr: Node, fctx: FileContext) -> tuple[T.Ty, str]:
    """Type of a package-level initializer, for the few shapes that matter."""
    while expr.type in ("parenthesized_expression",) and expr.named_children:
        expr = expr.named_children[0]
    if expr.type == "unary_expression" and expr.child_by_field_name("operand") is not None:
        return initializer_type(expr.child_by_field_name("operand"), fctx)
    if expr.type == "composite_literal":
        return type_of(expr.child_by_field_name("type"), fctx), ""
    if expr.type == "call_expression":
        fn = expr.child_by_field_name("function")
        args = expr.child_by_field_name("arguments")
        if fn is not None and fn.type == "identifier" and text(fn) == "make" and args is not None and args.named_children:
            return type_of(args.named_children[0], fctx), ""
        if fn is not None and fn.type == "selector_expression":
            pkg = text(fn.child_by_field_name("operand"))
            name = text(fn.child_by_field_name("field"))
            role = fctx.role(pkg)
            table = {api.ROLE_ENGINE: api.ENGINE_FUNCS, api.ROLE_EVENTLOOP: api.EVENTLOOP_FUNCS,
                     api.ROLE_REQUIRE: api.REQUIRE_FUNCS}.get(role)
            if table and name in table and table[name].results:
                return table[name].results[0], table[name].effect
        return T.T_UNKNOWN, ""
    return T.T_UNKNOWN, ""


@dataclass
class ExternalPackage:
    """What one package of the module exports to the others: shapes and summaries, with its own
    type names qualified by its import path (``path#Name``)."""

    path: str
    types: dict[str, TypeShape] = field(default_factory=dict)
    funcs: dict[str, FuncShape] = field(default_factory=dict)
    summaries: dict[str, FuncSummary] = field(default_factory=dict)

    def fingerprint(self) -> str:
        h = hashlib.blake2b(digest_size=12)
        for k in sorted(self.summaries):
            h.update(repr((k, self.summaries[k].fingerprint())).encode())
        for k in sorted(self.types):
            h.update(repr((k, self.types[k].ty, sorted((n, f.ty) for n, f in self.types[k].fields.items()))).encode())
        for k in sorted(self.funcs):
            h.update(repr((k, self.funcs[k].params, self.funcs[k].results)).encode())
        return h.hexdigest()


def _qualify(ty: T.Ty, path: str, local: set) -> T.Ty:
    if ty.kind == T.STRUCT and ty.name and "#" not in ty.name and ty.name in local:
        return T.Ty(T.STRUCT, name=f"{path}#{ty.name}")
    if ty.elem is not None or ty.params or ty.results:
        return T.Ty(ty.kind, elem=_qualify(ty.elem, path, local) if ty.elem is not None else None, name=ty.name,
                    params=tuple(_qualify(p, path, local) for p in ty.params),
                    results=tuple(_qualify(r, path, local) for r in ty.results))
    return ty


def _fp(shape, compute) -> bytes:
    """A shape's fingerprint, kept on the (cached, shared) shape object."""
    cached = shape.__dict__.get("_fp")
    if cached is None:
        cached = shape.__dict__["_fp"] = compute(shape).encode()
    return cached


def _qualify_key(key: tuple, path: str) -> tuple:
    if key and key[0] in ("pkg", "pkgval") and len(key) > 1 and "#" not in str(key[1]):
        return (key[0], f"{path}#{key[1]}") + tuple(key[2:])
    return key


def _qualify_summary(s: FuncSummary, path: str) -> FuncSummary:
    """A summary as another package reads it: its package variables named by its import path."""
    from dataclasses import replace

    q = lambda k: _qualify_key(k, path)  # noqa: E731
    return replace(
        s,
        touches={q(k): v for k, v in s.touches.items()},
        spawns_touching={q(k): v for k, v in s.spawns_touching.items()},
        pool_returns=frozenset(q(k) for k in s.pool_returns),
        clears_interrupt=frozenset(q(k) for k in s.clears_interrupt),
        resets_globals=frozenset(q(k) for k in s.resets_globals),
        signals=frozenset((kind, q(k)) for kind, k in s.signals),
        param_signals={i: frozenset((kind, q(k)) for kind, k in sig) for i, sig in s.param_signals.items()},
        joins=frozenset((kind, q(k)) for kind, k in s.joins),
        interrupts=frozenset(q(k) for k in s.interrupts),
        touch_guards={q(k): frozenset(q(g) for g in v) for k, v in s.touch_guards.items()},
    )


@dataclass
class PackageIndex:
    """Shapes of all declarations of one package, plus function summaries."""

    types: dict[str, TypeShape] = field(default_factory=dict)
    funcs: dict[str, FuncShape] = field(default_factory=dict)  # key: "Name" or "Recv.Name"
    vars: dict[str, VarShape] = field(default_factory=dict)
    summaries: dict[str, FuncSummary] = field(default_factory=dict)
    external: dict[str, ExternalPackage] = field(default_factory=dict)  # import path -> its exports
    locations: dict = field(default_factory=dict)  # ("type"|"func"|"var", name) -> (path, decl start)

    # -- other packages of the module -------------------------------------------------------------
    def type_shape(self, name: str) -> TypeShape | None:
        if "#" in name:
            path, local = name.rsplit("#", 1)
            ext = self.external.get(path)
            return ext.types.get(local) if ext is not None else None
        return self.types.get(name)

    def func_shape(self, key: str) -> FuncShape | None:
        if "#" in key:
            path, local = key.rsplit("#", 1)
            ext = self.external.get(path)
            return ext.funcs.get(local) if ext is not None else None
        return self.funcs.get(key)

    def export(self, path: str) -> ExternalPackage:
        """This package as other packages of the module see it."""
        local = set(self.types)
        ext = ExternalPackage(path)
        for name, t in self.types.items():
            ext.types[name] = TypeShape(name, _qualify(t.ty, path, local),
                                        {n: FieldShape(n, _qualify(f.ty, path, local), f.span, f.embedded) for n, f in t.fields.items()})
        for key, f in self.funcs.items():
            ext.funcs[key] = FuncShape(f.name, f"{path}#{f.recv}" if f.recv else "", [(n, _qualify(t, path, local)) for n, t in f.params],
                                       tuple(_qualify(r, path, local) for r in f.results), f.name_span, is_handler=f.is_handler, qualifier=path)
            # a method's key in its own package is "Recv.Name"; callers look it up as "path#Recv.Name"
            ext.funcs[key].recv = f.recv
        ext.summaries = {k: _qualify_summary(v, path) for k, v in self.summaries.items()}
        return ext

    def add(self, shape: DeclShape, path: str, decl_start: int) -> None:
        """Add a declaration's (cached, shared) shape; where it stands goes in ``locations``."""
        if shape.types:
            self.__dict__.pop("_holds_runtime_memo", None)  # the answers below depend on the types
        for t in shape.types:
            self.types[t.name] = t
            self.locations[("type", t.name)] = (path, decl_start)
        for f in shape.funcs:
            self.funcs[f.key] = f
            self.locations[("func", f.key)] = (path, decl_start)
        for v in shape.vars:
            self.vars[v.name] = v
            self.locations[("var", v.name)] = (path, decl_start)

    def location(self, kind: str, name: str) -> tuple[str, int]:
        """(file, declaration start) of a type, func or var of this package."""
        return self.locations.get((kind, name), ("", 0))

    # -- type questions ------------------------------------------------------------------------
    def resolve(self, ty: T.Ty, depth: int = 0) -> T.Ty:
        """Follow local named types to their underlying type (``type Listeners []goja.Value``)."""
        if ty.kind == T.STRUCT and ty.name and depth < 8:
            shape = self.type_shape(ty.name)
            if shape is not None and shape.ty.kind != T.STRUCT:
                return self.resolve(shape.ty, depth + 1)
        if ty.kind in T.CONTAINERS and ty.elem is not None and depth < 8:
            elem = self.resolve(ty.elem, depth + 1)
            if elem is not ty.elem:
                return T.Ty(ty.kind, elem=elem)
        return ty

    def field(self, struct: str, name: str, depth: int = 0) -> tuple[FieldShape, str] | None:
        """A field of a struct, following embedded structs; returns (field, owning struct)."""
        shape = self.type_shape(struct)
        if shape is None or depth > 4:
            return None
        if name in shape.fields:
            return shape.fields[name], struct
        for f in shape.fields.values():
            if f.embedded and f.ty.kind == T.STRUCT and f.ty.name:
                found = self.field(f.ty.name, name, depth + 1)
                if found:
                    return found
        return None

    def embedded_runtime(self, struct: str) -> str:
        """Name of an embedded ``*goja.Runtime`` field, whose methods the struct promotes."""
        shape = self.type_shape(struct)
        if shape is None:
            return ""
        for f in shape.fields.values():
            if f.embedded and f.ty.kind == T.RUNTIME:
                return f.name
        return ""

    def sole_runtime_field(self, struct: str) -> str:
        """The name of a struct's one runtime field (declared or embedded), or "" when it has none
        or several. The Values kept beside it (``validator goja.Callable``) belong to that runtime."""
        shape = self.type_shape(struct)
        if shape is None:
            return ""
        names = [f.name for f in shape.fields.values() if self.resolve(f.ty).kind == T.RUNTIME]
        return names[0] if len(names) == 1 else ""

    def promoted(self, struct: str, method: str, depth: int = 0) -> tuple[tuple[str, ...], T.Ty] | None:
        """The embedded field (a path through nested embedded structs) whose API method ``method``
        the struct promotes: ``vu.Runtime()`` on a struct embedding ``modules.VU``, ``c.Lock()`` on
        one embedding ``sync.Mutex``. None when the struct declares the method itself."""
        shape = self.type_shape(struct)
        if shape is None or depth > 4 or (depth == 0 and self.method(struct, method) is not None):
            return None
        for f in shape.fields.values():
            if not f.embedded:
                continue
            ty = self.resolve(f.ty)
            if method in api.methods_of_kind(ty.kind):
                return (f.name,), ty
        for f in shape.fields.values():
            if f.embedded and f.ty.kind == T.STRUCT and f.ty.name and self.method(f.ty.name, method) is None:
                found = self.promoted(f.ty.name, method, depth + 1)
                if found is not None:
                    return (f.name,) + found[0], found[1]
        return None

    def holds_runtime(self, struct: str, depth: int = 0) -> bool:
        """Whether a struct (a wrapper) has a runtime among its fields, directly or nested.
        Memoised per (struct, depth): the flow walk asks it for every expression of a struct type
        (profiling k6 found 1.4 million nested calls, a third of the analysis time)."""
        memo = self.__dict__.setdefault("_holds_runtime_memo", {})
        key = (struct, depth)
        found = memo.get(key)
        if found is None:
            found = memo[key] = self._holds_runtime(struct, depth)
        return found

    def _holds_runtime(self, struct: str, depth: int) -> bool:
        shape = self.type_shape(struct)
        if shape is None or depth > 4:
            return False
        for f in shape.fields.values():
            ty = self.resolve(f.ty)
            if ty.kind == T.RUNTIME:  # (an event loop is made to be shared: it does not count)
                return True
            if ty.kind == T.STRUCT and ty.name and ty.name != struct and self.holds_runtime(ty.name, depth + 1):
                return True
        return False

    def method(self, recv: str, name: str) -> FuncShape | None:
        if "#" in recv:
            path, local = recv.rsplit("#", 1)
            ext = self.external.get(path)
            return ext.funcs.get(f"{local}.{name}") if ext is not None else None
        return self.funcs.get(f"{recv}.{name}")

    def summary(self, key: str) -> FuncSummary | None:
        if "#" in key:
            path, local = key.rsplit("#", 1)
            ext = self.external.get(path)
            return ext.summaries.get(local) if ext is not None else None
        return self.summaries.get(key)

    @property
    def owner_chans(self) -> frozenset:
        """Channels of funcs that some function of the package receives from and calls: the
        queues of hand-made owner loops. Funcs sent on them run on the owner."""
        cached = self.__dict__.get("_owner_chans")
        if cached is None or cached[0] is not self.summaries:
            chans = frozenset(c for s in self.summaries.values() for c in s.drains)
            self.__dict__["_owner_chans"] = (self.summaries, chans)
            return chans
        return cached[1]

    def shape_fingerprint(self) -> str:
        """Changes when a shape that other declarations read changes (not on body edits)."""
        h = hashlib.blake2b(digest_size=12)
        for name in sorted(self.types):
            h.update(_fp(self.types[name], lambda t: repr((t.name, t.ty, sorted((k, f.ty, f.embedded) for k, f in t.fields.items())))))
        for key in sorted(self.funcs):
            h.update(_fp(self.funcs[key], lambda f: repr((f.key, f.params, f.results, f.is_handler))))
        for name in sorted(self.vars):
            h.update(_fp(self.vars[name], lambda v: repr((v.name, v.ty, v.init))))
        for path in sorted(self.external):
            h.update(f"{path}:{self.external[path].fingerprint()}".encode())
        return h.hexdigest()
