"""What an expression is (``ei``) and which runtime identity a runtime expression denotes.

``ei`` is pure: it reads bindings, the package index and the API table and returns an ``EI``.
Pass 1 calls it while bindings are still being filled in; pass 2 calls it (memoised) after
``settle`` closed the key flows, and emits events based on what it returns.
"""

from __future__ import annotations

from tree_sitter import Node

from . import api
from . import facts as F
from . import types as T
from .bindings import CONST, EI, EMPTY, PLAIN
from .typeexpr import result_types, text, type_of

_BUILTIN_PLAIN_CALLS = frozenset({"len", "cap", "copy", "delete", "close", "panic", "print", "println", "recover", "min", "max", "clear", "complex", "real", "imag"})
_LITERALS = frozenset(
    {
        "interpreted_string_literal", "raw_string_literal", "int_literal", "float_literal",
        "imaginary_literal", "rune_literal", "true", "false", "nil", "iota",
    }
)
_TABLES = {
    api.ROLE_ENGINE: api.ENGINE_FUNCS,
    api.ROLE_EVENTLOOP: api.EVENTLOOP_FUNCS,
    api.ROLE_K6_PROMISES: api.K6_PROMISES_FUNCS,
    api.ROLE_REQUIRE: api.REQUIRE_FUNCS,
}


class EvaluateMixin:
    # -- identities ---------------------------------------------------------------------------
    def key_of(self, info: EI, node: Node | None = None):
        """The runtime identity a runtime-typed expression denotes."""
        if info.path is not None:
            return info.path
        if info.keys and len(info.keys) == 1 and info.ty.kind in (T.RUNTIME, T.LOOP):
            return next(iter(info.keys))
        if node is not None:
            key = ("site", self.rel(node))
            if key not in self.site_origins:
                self.site_origins[key] = info
            return key
        return ("expr",)

    def value_keys(self, info: EI, node: Node | None = None) -> frozenset:
        """The runtime identities of a Value (or container of Values) expression."""
        if info.keys:
            return info.keys
        if node is not None and info.ty.holds_values:
            if info.path is not None:
                return frozenset({("valof",) + tuple(info.path)})
            return frozenset({("valof", "site") + self.rel(node)})
        return frozenset()

    def fcall_key(self, region_uid: int):
        region = self.regions.get(region_uid)
        if region is not None and region.runtime_key is not None:
            return region.runtime_key
        return ("implicit", region_uid)

    def binding_at(self, node: Node):
        uid = self.refs.get(self.rel(node))
        return self.bindings.get(uid) if uid else None

    # -- the typer ----------------------------------------------------------------------------
    def ei(self, node: Node | None) -> EI:
        if node is None:
            return EMPTY
        if self.ei_cache is not None:
            cached = self.ei_cache.get(node.id)
            if cached is not None:
                return cached
            info = self._ei(node)
            self.ei_cache[node.id] = info
            return info
        return self._ei(node)

    def _ei(self, node: Node) -> EI:
        kind = node.type
        if kind == "identifier":
            return self.ei_identifier(node)
        if kind == "selector_expression":
            return self.ei_selector(node)
        if kind == "call_expression":
            return self.ei_call(node)
        if kind in ("parenthesized_expression", "variadic_argument"):
            return self.ei(node.named_children[0]) if node.named_children else EMPTY
        if kind == "type_conversion_expression":
            tnode = node.child_by_field_name("type") or node.named_children[0]
            operand = node.child_by_field_name("operand") or (node.named_children[-1] if len(node.named_children) > 1 else None)
            inner = self.ei(operand)
            ty = self.index.resolve(type_of(tnode, self.fctx))
            return EI(ty, keys=inner.keys, srcs=inner.srcs, path=inner.path, const=inner.const)
        if kind == "unary_expression":
            return self.ei_unary(node)
        if kind in ("index_expression", "slice_expression"):
            base = self.ei(node.child_by_field_name("operand"))
            if kind == "slice_expression":
                return base
            elem = base.ty.elem if base.ty.kind in T.CONTAINERS and base.ty.elem is not None else T.T_UNKNOWN
            path = base.path + ("[]",) if base.path is not None else None
            return EI(elem, keys=base.keys, srcs=base.srcs, path=path if elem.kind in (T.RUNTIME, T.STRUCT) else None)
        if kind == "type_assertion_expression":
            base = self.ei(node.child_by_field_name("operand"))
            ty = self.index.resolve(type_of(node.child_by_field_name("type"), self.fctx))
            if base.note == "pool-get" and self.holds_runtime(ty):
                return EI(ty, origin=F.ORIGIN_CHECKOUT, origin_note=f"taken from {base.pool}", pool=base.pool)
            if ty.kind == T.UNKNOWN:
                ty = base.ty
            keys = base.keys or (base.latent if ty.holds_values else frozenset())
            return EI(ty, keys=keys, srcs=base.srcs, path=base.path)
        if kind == "composite_literal":
            return self.ei_composite(node)
        if kind == "func_literal":
            result = node.child_by_field_name("result")
            return EI(T.Ty(T.FUNC, results=result_types(result, self.fctx)))  # const-ness: see captures_locals
        if kind in _LITERALS:
            return CONST
        if kind == "binary_expression":
            parts = [self.ei(c) for c in node.named_children]
            return EI(T.T_PLAIN, const=all(p.const for p in parts))
        return EMPTY

    def captures_locals(self, lit: Node) -> bool:
        """Whether a func literal refers to variables of the code around it (request data)."""
        s, e = self.rel(lit)
        region = self.region_of_node.get(lit.id)
        for (rs, _re), uid in self.refs.items():
            if s <= rs < e:
                b = self.bindings.get(uid)
                if b is not None and b.region != region and not self.region_within(b.region, region) and b.ty.kind != T.RUNTIME:
                    return True
        return False

    def fresh_container(self, node: Node) -> bool:
        """Whether ``node`` is a slice/map of runtimes that holds only runtimes made in this function
        (``make(...)``, a literal of ``goja.New()``s, or a local variable only ever filled so)."""
        if node.type == "identifier":
            b = self.binding_at(node)
            return b is not None and b.origin == F.ORIGIN_NEW and b.ty.kind in (T.SLICE, T.MAP)
        return self.ei(node).origin == F.ORIGIN_NEW

    def ei_identifier(self, node: Node) -> EI:
        b = self.binding_at(node)
        name = text(node)
        if b is not None:
            ty = b.ty
            if ty.kind in (T.RUNTIME, T.LOOP, T.VU) or ty.holds_runtime or (ty.kind == T.STRUCT and ty.name):
                return EI(ty, keys=frozenset(b.keys), path=b.own_key, srcs=frozenset({b.uid}))
            keys = frozenset(b.keys)
            if ty.kind == T.FCALL:
                keys = frozenset({self.fcall_key(b.region)})
            elif not keys and ty.holds_values and b.kind in ("param", "recv", "result"):
                keys = frozenset({("valof", "b", b.uid)})
            return EI(ty, keys=keys, path=b.own_key, srcs=frozenset({b.uid}), const=b.const)
        var = self.index.vars.get(name)
        if var is not None:
            ty = self.index.resolve(var.ty)
            if ty.holds_values and not ty.holds_runtime:
                return EI(ty, keys=frozenset({("pkgval", name)}), path=("pkg", name))
            return EI(ty, path=("pkg", name))
        return CONST  # a constant, a package function, a builtin: the same for every request

    def ei_selector(self, node: Node) -> EI:
        operand = node.child_by_field_name("operand")
        fname = text(node.child_by_field_name("field"))
        if operand is None:
            return EMPTY
        if operand.type == "identifier" and self.binding_at(operand) is None and self.fctx.role(text(operand)):
            return PLAIN  # a qualified reference such as goja.Undefined (a function value)
        base = self.ei(operand)
        bty = base.ty
        if bty.kind == T.FCALL:
            keys = base.keys
            if fname == "Arguments":
                return EI(T.Ty(T.SLICE, elem=T.T_VALUE), keys=keys, srcs=base.srcs)
            if fname in ("This", "NewTarget"):
                return EI(T.T_VALUE, keys=keys, srcs=base.srcs)
            return PLAIN
        if bty.kind == T.STRUCT and bty.name:
            found = self.index.field(bty.name, fname)
            if found is None:
                return EI(T.Ty(T.FUNC))  # a method value
            fshape, _owner = found
            fty = self.index.resolve(fshape.ty)
            path = base.path + (fname,) if base.path is not None else None
            # a struct literal built here knows where its fields came from
            if operand.type == "identifier":
                b = self.binding_at(operand)
                if b is not None and fname in b.fields:
                    fi = b.fields[fname]
                    if fi.path is not None and not fi.origin:
                        path = fi.path  # &Wrapper{vm: vm}: w.vm is vm
                    return EI(fty, keys=fi.keys, path=path, srcs=fi.srcs, origin="", origin_note=fi.origin_note)
            if fty.holds_values and not fty.holds_runtime:
                keys = base.keys if base.keys and base.path is None else frozenset({("valof",) + tuple(path)}) if path else frozenset()
                # a Value kept beside its struct's one runtime (or an embedded struct's, whose
                # fields are promoted: u.Default and u.Runtime of an embedded Bundle) is that runtime's
                sole = self.index.sole_runtime_field(found[1]) if base.path is not None else ""
                if sole and (found[1] == bty.name or not self.index.sole_runtime_field(bty.name)):
                    keys = frozenset({base.path + (sole,)})
                return EI(fty, keys=keys, path=path, srcs=base.srcs)
            return EI(fty, path=path, srcs=base.srcs)
        return EMPTY

    def ei_unary(self, node: Node) -> EI:
        operand = node.child_by_field_name("operand")
        op = node.children[0].type if node.children else ""
        base = self.ei(operand)
        if op == "<-":
            elem = base.ty.elem if base.ty.kind == T.CHAN and base.ty.elem is not None else T.T_UNKNOWN
            if self.holds_runtime(elem):
                return EI(elem, origin=F.ORIGIN_CHECKOUT, origin_note=f"received from {text(operand)}", pool=text(operand))
            return EI(elem, keys=base.keys, srcs=base.srcs)
        if op in ("&", "*"):
            return base
        return PLAIN

    def ei_composite(self, node: Node) -> EI:
        ty = self.index.resolve(type_of(node.child_by_field_name("type"), self.fctx))
        body = node.child_by_field_name("body")
        keys: set = set()
        srcs: set = set()
        fields = []
        origin = ""
        const = True
        tshape = self.index.type_shape(ty.name) if ty.kind == T.STRUCT and ty.name else None
        positional = list(tshape.fields) if tshape is not None else []
        if body is not None:
            for n, el in enumerate(body.named_children):
                if el.type == "keyed_element":
                    k = el.named_children[0] if el.named_children else None
                    v = el.named_children[-1] if len(el.named_children) > 1 else None
                    kname = text(k.named_children[0]) if k is not None and k.named_children else text(k)
                    vi = self.ei(v.named_children[0] if v is not None and v.type == "literal_element" and v.named_children else v)
                else:
                    kname = positional[n] if n < len(positional) else ""
                    vi = self.ei(el.named_children[0] if el.type == "literal_element" and el.named_children else el)
                keys |= vi.keys
                srcs |= vi.srcs
                const = const and vi.const
                if kname:
                    fields.append((kname, vi))
                if vi.origin == F.ORIGIN_NEW:
                    origin = F.ORIGIN_NEW
        if ty.kind == T.STRUCT:
            origin = F.ORIGIN_NEW  # a struct built here: its fields are what the literal says
        elif ty.kind in (T.SLICE, T.MAP) and self.holds_runtime(ty.base()) and not origin and fields == [] and body is not None \
                and all(self.ei(e.named_children[-1] if e.named_children else e).origin == F.ORIGIN_NEW for e in body.named_children):
            origin = F.ORIGIN_NEW  # []*goja.Runtime{goja.New(), goja.New()}: runtimes made here
        return EI(ty, keys=frozenset(keys), srcs=frozenset(srcs), fields=tuple(fields), origin=origin,
                  origin_note="built here" if origin else "", const=const)

    def ei_call(self, node: Node) -> EI:
        fn = node.child_by_field_name("function")
        args_node = node.child_by_field_name("arguments")
        args = list(args_node.named_children) if args_node is not None else []
        if fn is None:
            return EMPTY
        callee = text(fn)
        if fn.type == "selector_expression":
            operand = fn.child_by_field_name("operand")
            name = text(fn.child_by_field_name("field"))
            if operand is not None and operand.type == "identifier" and self.binding_at(operand) is None:
                role = self.fctx.role(text(operand))
                if role:
                    return self.ei_package_call(role, name, args, node, callee)
                if self.index.vars.get(text(operand)) is None:
                    return EI(T.T_UNKNOWN, callee=callee)  # another package's function
            base = self.ei(operand)
            return self.ei_method_call(base, operand, name, args, node, callee)
        if fn.type == "identifier":
            b = self.binding_at(fn)
            name = text(fn)
            if b is not None:
                if b.ty.kind == T.CALLABLE:
                    keys = self.value_keys(self.ei(fn), fn)
                    return EI(T.T_UNKNOWN, multi=(EI(T.T_VALUE, keys=keys, srcs=frozenset({b.uid})), PLAIN), callee=callee)
                if b.ty.kind == T.FUNC:
                    return self.multi_result(b.ty.results, callee)
                return EI(T.T_UNKNOWN, callee=callee)
            if name == "append" and args:
                first = self.ei(args[0])
                keys, srcs = set(first.keys), set(first.srcs)
                const = first.const
                for a in args[1:]:
                    ai = self.ei(a)
                    keys |= ai.keys
                    srcs |= ai.srcs
                    const = const and ai.const
                fresh = self.fresh_container(args[0]) and all(self.ei(a).origin == F.ORIGIN_NEW for a in args[1:])
                return EI(first.ty, keys=frozenset(keys), srcs=frozenset(srcs), callee=callee, const=const,
                          origin=F.ORIGIN_NEW if fresh else "", origin_note=first.origin_note if fresh else "")
            if name in ("make", "new") and args:
                made = self.index.resolve(type_of(args[0], self.fctx))
                if made.kind in (T.SLICE, T.MAP) and self.holds_runtime(made.base()):
                    # an empty container made here: its runtimes are whatever this function stores
                    # (resolve demotes it when a store is not a fresh runtime)
                    return EI(made, origin=F.ORIGIN_NEW, origin_note="made here", callee=callee)
                return EI(made, callee=callee)
            if name in _BUILTIN_PLAIN_CALLS:
                return PLAIN
            shape = self.index.funcs.get(name)
            if shape is not None:
                return self.shape_result(shape, node, callee)
            tshape = self.index.types.get(name)
            if tshape is not None and args:  # a conversion to a local named type
                inner = self.ei(args[0])
                return EI(self.index.resolve(tshape.ty), keys=inner.keys, srcs=inner.srcs, path=inner.path)
            return EI(T.T_UNKNOWN, callee=callee)
        if fn.type == "func_literal":
            return self.multi_result(self.ei(fn).ty.results, "func literal")
        if fn.type == "parenthesized_expression" and len(args) == 1:  # (*goja.Object)(v): a conversion
            inner_fn = fn.named_children[0] if fn.named_children else None
            while inner_fn is not None and inner_fn.type == "unary_expression":
                inner_fn = inner_fn.child_by_field_name("operand")
            if inner_fn is not None and inner_fn.type == "selector_expression":
                pkg = inner_fn.child_by_field_name("operand")
                converted = api.NAMED_TYPES.get((self.fctx.role(text(pkg)), text(inner_fn.child_by_field_name("field"))))
                if converted is not None:
                    inner = self.ei(args[0])
                    return EI(converted, keys=inner.keys, srcs=inner.srcs, path=inner.path)
        return EI(T.T_UNKNOWN, callee=callee)

    def multi_result(self, results, callee: str, keys=frozenset()) -> EI:
        infos = tuple(EI(t, keys=keys if t.holds_values else frozenset()) for t in results)
        if len(infos) == 1:
            return EI(infos[0].ty, keys=infos[0].keys, callee=callee)
        return EI(T.T_UNKNOWN, multi=infos, callee=callee)

    def shape_result(self, shape, node: Node, callee: str) -> EI:
        summary = self.index.summary(shape.key)
        infos = []
        for t in shape.results:
            t = self.index.resolve(t)
            origin = ""
            note = ""
            if summary is not None and self.holds_runtime(t):
                if summary.returns_checkout:
                    origin, note = F.ORIGIN_CHECKOUT, f"checked out by {callee}()"
                elif summary.returns_new_runtime:
                    origin, note = F.ORIGIN_NEW, f"made by {callee}()"
            infos.append(EI(t, origin=origin, origin_note=note, pool=callee if origin == F.ORIGIN_CHECKOUT else ""))
        if len(infos) == 1:
            i = infos[0]
            return EI(i.ty, origin=i.origin, origin_note=i.origin_note, pool=i.pool, callee=callee)
        return EI(T.T_UNKNOWN, multi=tuple(infos), callee=callee)

    def ei_package_call(self, role: str, name: str, args: list[Node], node: Node, callee: str) -> EI:
        if role == api.ROLE_MODULE:  # a function (or type conversion) of another package of the module
            pkg = callee.rsplit(".", 1)[0]
            qualified = f"{self.fctx.path(pkg)}#{name}"
            shape = self.index.func_shape(qualified)
            if shape is not None:
                return self.shape_result(shape, node, callee)
            tshape = self.index.type_shape(qualified)
            if tshape is not None and len(args) == 1:
                inner = self.ei(args[0])
                return EI(self.index.resolve(tshape.ty), keys=inner.keys, srcs=inner.srcs, path=inner.path)
            return EI(T.T_UNKNOWN, callee=callee)
        converted = api.NAMED_TYPES.get((role, name))
        if converted is not None and len(args) == 1:  # goja.Value(v): a conversion
            inner = self.ei(args[0])
            return EI(converted, keys=inner.keys, srcs=inner.srcs, path=inner.path, const=inner.const)
        table = _TABLES.get(role)
        if table is not None and name in table:
            m = table[name]
            if m.effect == "new-runtime":
                return EI(T.T_RUNTIME, origin=F.ORIGIN_NEW, origin_note=f"{callee}()", callee=callee)
            if m.effect == "new-loop":
                return EI(T.T_LOOP, origin=F.ORIGIN_NEW, origin_note=f"{callee}()", callee=callee)
            if role == api.ROLE_ENGINE and name in ("AssertFunction", "AssertConstructor") and args:
                inner = self.ei(args[0])
                keys = self.value_keys(inner, args[0])
                return EI(T.T_UNKNOWN, multi=(EI(T.T_CALLABLE, keys=keys, srcs=inner.srcs), PLAIN), callee=callee)
            if m.effect == "promises-new" and args:
                vu = self.ei(args[0])
                rt = (vu.path + ("Runtime()",)) if vu.path is not None else ("vu-runtime",)
                return EI(T.T_UNKNOWN, multi=(EI(T.T_VALUE, keys=frozenset({rt})), EI(m.results[1]), EI(m.results[2])), callee=callee)
            if len(m.results) == 1:
                return EI(m.results[0], callee=callee, const=m.safe and m.results[0].kind == T.PLAIN)
            return EI(T.T_UNKNOWN, multi=tuple(EI(t) for t in m.results), callee=callee)
        if role == "time" and name == "AfterFunc":
            return EI(T.Ty(T.TIMER), callee=callee)
        if role == "context" and name == "AfterFunc":
            return EI(T.Ty(T.STOPFN), callee=callee)
        return EI(T.T_UNKNOWN, callee=callee)

    def ei_method_call(self, base: EI, operand: Node, name: str, args: list[Node], node: Node, callee: str) -> EI:
        bty = base.ty
        if bty.kind == T.RUNTIME:
            m = api.RUNTIME_METHODS.get(name)
            if m is None:
                return EI(T.T_UNKNOWN, callee=callee)
            key = self.key_of(base, operand)
            const = name == "ToValue" and bool(args) and self.ei(args[0]).const
            infos = tuple(EI(t, keys=frozenset({key}) if (t.is_value or t.kind == T.PROMISE_FN) else frozenset(), note="global-object" if name == "GlobalObject" else "") for t in m.results)
            if len(infos) == 1:
                return EI(infos[0].ty, keys=infos[0].keys, note=infos[0].note, callee=callee, const=const)
            return EI(T.T_UNKNOWN, multi=infos, callee=callee)
        if bty.kind in T.VALUE_KINDS:
            m = api.VALUE_METHODS.get(name)
            keys = self.value_keys(base, operand)
            if m is None:
                return EI(T.T_UNKNOWN, callee=callee)
            if name == "ToObject" and args:
                rt = self.ei(args[0])
                if rt.ty.kind == T.RUNTIME:
                    keys = keys | {self.key_of(rt, args[0])}
            infos = tuple(EI(t, keys=keys if t.is_value else frozenset(), srcs=base.srcs if t.is_value else frozenset()) for t in m.results)
            if name == "Export":  # exported data can still hold Values of the runtime (asserted back later)
                return EI(T.T_PLAIN, latent=keys, callee=callee)
            if len(infos) == 1:
                return EI(infos[0].ty, keys=infos[0].keys, srcs=infos[0].srcs, callee=callee)
            return EI(T.T_UNKNOWN, multi=infos, callee=callee)
        if bty.kind == T.FCALL:
            if name == "Argument":
                return EI(T.T_VALUE, keys=base.keys, srcs=base.srcs, callee=callee)
            return PLAIN
        if bty.kind == T.LOOP:
            m = api.LOOP_METHODS.get(name)
            return EI(m.results[0] if m and m.results else T.T_PLAIN, callee=callee)
        if bty.kind == T.VU:
            if name == "Runtime":
                path = base.path + ("Runtime()",) if base.path is not None else None
                return EI(T.T_RUNTIME, path=path, origin="" if path else F.ORIGIN_VU, origin_note="vu.Runtime()", callee=callee)
            m = api.VU_METHODS.get(name)
            return EI(m.results[0] if m and m.results else T.T_UNKNOWN, callee=callee)
        if bty.kind == T.SYNCPOOL and name == "Get":
            return EI(T.T_UNKNOWN, note="pool-get", pool=text(operand), callee=callee)
        if bty.kind == T.SYNCMAP and name in ("Load", "LoadOrStore", "LoadAndDelete"):
            keys = base.keys
            if base.path is not None and base.path[0] == "pkg":
                keys = frozenset({("pkgval", base.path[1])})
            return EI(T.T_UNKNOWN, multi=(EI(T.T_UNKNOWN, keys=keys), PLAIN), callee=callee)
        if bty.kind == T.STRUCT and bty.name:
            shape = self.index.method(bty.name, name)
            if shape is not None:
                return self.shape_result(shape, node, callee)
            promoted = self.index.promoted(bty.name, name)
            if promoted is not None:
                fields, fty = promoted
                inner = EI(fty, path=base.path + fields if base.path is not None else None, srcs=base.srcs)
                return self.ei_method_call(inner, operand, name, args, node, callee)
            found = self.index.field(bty.name, name)
            if found is not None and found[0].ty.kind == T.FUNC:
                return self.multi_result(found[0].ty.results, callee)
        if bty.kind == T.FUNC:
            return self.multi_result(bty.results, callee)
        return EI(T.T_UNKNOWN, callee=callee)

