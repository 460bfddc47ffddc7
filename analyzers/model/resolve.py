"""Pass 1 over a declaration: scopes, bindings, identifier references, func-literal regions.

Go's scoping is followed closely enough for real code: parameters and named results, blocks,
the implicit scopes of if/for/switch/select clauses, ``:=`` re-declarations, range variables,
type-switch aliases. Every identifier in expression position that resolves to a local binding is
recorded in ``refs`` (span -> binding uid), which pass 2 and hover use instead of scopes.
"""

from __future__ import annotations

from tree_sitter import Node

from . import facts as F
from . import types as T
from .bindings import Binding
from .typeexpr import param_list, text, type_of


class Region:
    """A function body under analysis: the declaration (uid 0) or a func literal."""

    __slots__ = ("uid", "node", "parent", "contexts", "runtime_key", "loop_key", "label", "params", "body", "is_goja_callback")

    def __init__(self, uid: int, node: Node, parent: int):
        self.uid = uid
        self.node = node
        self.parent = parent
        self.contexts: list[tuple[str, F.Span]] = []
        self.runtime_key = None
        self.loop_key = None
        self.label = ""
        self.params: list[Binding] = []
        self.body: Node | None = node.child_by_field_name("body")
        self.is_goja_callback = False

    def kinds(self) -> set[str]:
        return {k for k, _ in self.contexts}


class ResolveMixin:
    """Builds ``self.bindings``, ``self.refs`` and ``self.regions`` (see DeclAnalyzer)."""

    # -- small helpers ------------------------------------------------------------------------
    def rel(self, node: Node) -> F.Span:
        return (node.start_byte - self.base, node.end_byte - self.base)

    def new_binding(self, name: str, kind: str, node: Node, ty: T.Ty, region: int) -> Binding:
        uid = len(self.bindings) + 1
        b = Binding(uid=uid, name=name, kind=kind, span=self.rel(node), ty=self.index.resolve(ty), region=region)
        self.bindings[uid] = b
        self.refs[b.span] = uid
        if name and name != "_":
            self.scopes[-1][name] = b
        return b

    def lookup(self, name: str) -> Binding | None:
        for scope in reversed(self.scopes):
            b = scope.get(name)
            if b is not None:
                return b
        return None

    # -- entry points -------------------------------------------------------------------------
    def resolve_declaration(self) -> None:
        node = self.node
        root = Region(0, node, -1)
        self.regions[0] = root
        self.scopes.append({})
        if node.type in ("function_declaration", "method_declaration"):
            if node.type == "method_declaration":
                recv = node.child_by_field_name("receiver")
                for name, ty, nnode in param_list(recv, self.fctx):
                    if nnode is not None:
                        b = self.new_binding(name, "recv", nnode, ty, 0)
                        b.param_index = -1
                        b.origin = F.ORIGIN_PARAM
                        root.params.append(b)
            self.declare_params(root, node)
            root.label = text(node.child_by_field_name("name"))
            body = node.child_by_field_name("body")
            if body is not None:
                self.visit(body)
        elif node.type in ("var_declaration", "const_declaration"):
            self.visit_children(node)
        self.scopes.pop()

    def declare_params(self, region: Region, fnode: Node) -> None:
        params = param_list(fnode.child_by_field_name("parameters"), self.fctx)
        for i, (name, ty, nnode) in enumerate(params):
            if ty.kind == T.FCALL:
                region.is_goja_callback = True
            if nnode is None:
                continue
            b = self.new_binding(name, "param", nnode, ty, region.uid)
            b.param_index = i
            b.origin = F.ORIGIN_PARAM
            region.params.append(b)
        result = fnode.child_by_field_name("result")
        if result is not None and result.type == "parameter_list":
            for name, ty, nnode in param_list(result, self.fctx):
                if nnode is not None:
                    self.new_binding(name, "result", nnode, ty, region.uid)

    # -- the walk -------------------------------------------------------------------------------
    def visit_children(self, node: Node) -> None:
        for child in node.named_children:
            self.visit(child)

    def visit(self, node: Node) -> None:
        handler = getattr(self, "r_" + node.type, None)
        if handler is not None:
            handler(node)
        elif node.named_child_count:
            self.visit_children(node)

    def r_identifier(self, node: Node) -> None:
        b = self.lookup(text(node))
        if b is not None:
            self.refs[self.rel(node)] = b.uid

    def r_block(self, node: Node) -> None:
        self.scopes.append({})
        self.visit_children(node)
        self.scopes.pop()

    def _scoped(self, node: Node) -> None:
        self.scopes.append({})
        self.visit_children(node)
        self.scopes.pop()

    r_if_statement = _scoped
    r_expression_switch_statement = _scoped
    r_expression_case = _scoped
    r_default_case = _scoped
    r_type_case = _scoped
    r_communication_case = _scoped

    def r_func_literal(self, node: Node) -> None:
        uid = len(self.regions)
        region = Region(uid, node, self.region_stack[-1])
        self.regions[uid] = region
        self.region_of_node[node.id] = uid
        self.region_stack.append(uid)
        self.scopes.append({})
        self.declare_params(region, node)
        for ctx, site, rt_key, loop_key in self.pending_ctx.pop(node.id, ()):
            self.add_context(region, ctx, site, rt_key, loop_key)
        if region.is_goja_callback and not (region.kinds() & F.ON_OWNER_CONTEXTS or region.kinds() & F.OFF_OWNER_CONTEXTS):
            # a func(goja.FunctionCall) / func(goja.ConstructorCall): JS calls it, wherever it is kept
            region.contexts = [c for c in region.contexts if c[0] != F.CTX_STORED]
            self.add_context(region, F.CTX_REGISTERED, self.rel(node), None, None)
        if region.body is not None:
            self.visit(region.body)
        self.scopes.pop()
        self.region_stack.pop()

    def r_short_var_declaration(self, node: Node) -> None:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if right is not None:
            self.visit(right)
        lhs = list(left.named_children) if left is not None else []
        rhs = list(right.named_children) if right is not None else []
        self.define_from(lhs, rhs, redeclare=True)
        if len(rhs) == 1:
            self.note_received(lhs[:1], rhs[0])

    def note_received(self, lhs: list[Node], rhs: Node | None) -> None:
        """``fn := <-ch``: remember the channel, so that calling fn marks ch as drained by an owner loop."""
        if not lhs or rhs is None or lhs[0].type != "identifier":
            return
        if rhs.type == "unary_expression" and rhs.children and rhs.children[0].type == "<-":
            b = self.lookup(text(lhs[0]))
            chan = self.ei(rhs.child_by_field_name("operand"))
            if b is not None and chan.path is not None:
                b.recv_chan = chan.path

    def define_from(self, lhs: list[Node], rhs: list[Node], redeclare: bool, declared: T.Ty | None = None) -> None:
        """Define names ``lhs`` from expressions ``rhs`` (``a, b := f()`` or ``x := y``)."""
        infos = []
        if len(rhs) == 1 and len(lhs) > 1:
            whole = self.ei(rhs[0])
            infos = [whole.result(i) for i in range(len(lhs))]
        else:
            infos = [self.ei(r) if i < len(rhs) else None for i, r in enumerate(rhs)]
            infos += [None] * (len(lhs) - len(infos))
        region = self.region_stack[-1]
        for i, name_node in enumerate(lhs):
            if name_node.type != "identifier":
                continue
            name = text(name_node)
            info = infos[i] if i < len(infos) else None
            existing = self.scopes[-1].get(name) if redeclare else None
            if existing is not None:
                self.refs[self.rel(name_node)] = existing.uid
                if info is not None:
                    self.flow_into(existing, info)
                continue
            ty = declared if declared is not None and declared.kind != T.UNKNOWN else (info.ty if info else T.T_UNKNOWN)
            b = self.new_binding(name, "local", name_node, ty, region)
            if info is not None:
                self.init_binding(b, info)
            else:
                b.const = True  # `var x T`: the zero value
                if ty.kind in (T.SLICE, T.MAP) and self.holds_runtime(ty.base()):
                    b.origin, b.origin_note = F.ORIGIN_NEW, "declared here"  # empty: filled below, or demoted
            if i < len(rhs) and len(rhs) == len(lhs) and rhs[i].type == "func_literal":
                r = self.region_of_node.get(rhs[i].id)
                if r is not None:
                    b.funcs.append(r)
                    self.regions[r].label = self.regions[r].label or name

    def init_binding(self, b: Binding, info) -> None:
        """A binding's first value: take over its identity (fresh runtime) or alias a path."""
        if b.ty.kind == T.UNKNOWN and info.ty.kind != T.UNKNOWN:
            b.ty = self.index.resolve(info.ty)
        if (b.ty.kind in (T.RUNTIME, T.LOOP, T.STRUCT, T.VU) or b.ty.holds_runtime) and info.path is not None and not info.origin:
            b.alias = info.path
        elif info.origin:
            b.origin = info.origin
            b.origin_note = info.origin_note
            b.pool = info.pool
        if info.fields:
            b.fields = dict(info.fields)
        b.const = info.const
        self.flow_into(b, info)

    def flow_into(self, b: Binding, info) -> None:
        b.keys |= set(info.keys)
        b.srcs |= set(info.srcs) - {b.uid}

    def r_var_declaration(self, node: Node) -> None:
        if self.region_stack[-1] == 0 and self.node.type == "var_declaration":
            # a package-level var declaration: its names are package vars, not locals
            self.visit_children(node)
            return
        self.visit_children(node)

    def r_var_spec(self, node: Node) -> None:
        value = node.child_by_field_name("value")
        if value is not None:
            self.visit(value)
        if self.node.type == "var_declaration":
            return  # package level: the index holds these
        tnode = node.child_by_field_name("type")
        declared = type_of(tnode, self.fctx) if tnode is not None else None
        names = node.children_by_field_name("name")
        rhs = list(value.named_children) if value is not None else []
        self.define_from(names, rhs, redeclare=False, declared=declared)

    def r_const_spec(self, node: Node) -> None:
        value = node.child_by_field_name("value")
        if value is not None:
            self.visit(value)
        if self.node.type == "const_declaration":
            return
        for n in node.children_by_field_name("name"):
            self.new_binding(text(n), "local", n, T.T_PLAIN, self.region_stack[-1])

    def r_for_statement(self, node: Node) -> None:
        self.scopes.append({})
        for child in node.named_children:
            if child.type == "range_clause":
                self.range_clause(child)
            else:
                self.visit(child)
        self.scopes.pop()

    def range_clause(self, node: Node) -> None:
        right = node.child_by_field_name("right")
        left = node.child_by_field_name("left")
        if right is not None:
            self.visit(right)
        if left is None:
            return
        defines = any(c.type == ":=" for c in node.children)
        src = self.ei(right) if right is not None else None
        names = list(left.named_children)
        if not defines:
            for n in names:
                self.visit(n)
                if src is not None and n.type == "identifier":
                    b = self.lookup(text(n))
                    if b is not None:
                        self.flow_into(b, src)
            return
        elem_types = [T.T_PLAIN, T.T_UNKNOWN]
        if src is not None:
            st = src.ty
            if st.kind == T.CHAN:
                elem_types = [st.elem or T.T_UNKNOWN]
            elif st.kind in (T.SLICE, T.MAP):
                elem_types = [T.T_PLAIN, st.elem or T.T_UNKNOWN]
            elif st.kind == T.PLAIN:
                elem_types = [T.T_PLAIN, T.T_PLAIN]
        for i, n in enumerate(names):
            if n.type != "identifier":
                continue
            ty = elem_types[i] if i < len(elem_types) else T.T_UNKNOWN
            b = self.new_binding(text(n), "local", n, ty, self.region_stack[-1])
            if src is not None:
                b.const = src.const
                if src.ty.kind == T.CHAN and src.path is not None:
                    b.recv_chan = src.path  # for fn := range ch
                coll = self.bindings.get(src.path[1]) if src.path is not None and src.path[0] == "b" and len(src.path) == 2 else None
                if coll is not None and coll.origin == F.ORIGIN_NEW and self.holds_runtime(ty):
                    b.origin, b.origin_note = F.ORIGIN_NEW, f"an element of {coll.name}, made here"
            if src is not None and (i == len(names) - 1 or (src.ty.kind == T.CHAN)) and ty.kind != T.PLAIN:
                self.flow_into(b, src)
                if src.ty.kind == T.CHAN and (ty.kind == T.RUNTIME or self.holds_runtime(ty)):
                    b.origin = F.ORIGIN_CHECKOUT
                    b.origin_note = f"received from {text(right)}"
                    b.pool = text(right)
                    b.origin_span = self.rel(node)

    def r_type_switch_statement(self, node: Node) -> None:
        self.scopes.append({})
        init = node.child_by_field_name("initializer")
        if init is not None:
            self.visit(init)
        value = node.child_by_field_name("value")
        if value is not None:
            self.visit(value)
        alias = node.child_by_field_name("alias")
        alias_name = None
        if alias is not None and alias.named_children:
            alias_name = alias.named_children[0]
        src = self.ei(value) if value is not None else None
        for case in node.named_children:
            if case.type not in ("type_case", "default_case"):
                continue
            self.scopes.append({})
            if alias_name is not None:
                types = case.children_by_field_name("type")
                ty = type_of(types[0], self.fctx) if len(types) == 1 else (src.ty if src else T.T_UNKNOWN)
                b = self.new_binding(text(alias_name), "local", alias_name, ty, self.region_stack[-1])
                if src is not None:
                    self.flow_into(b, src)
            for child in case.named_children:
                if child.type != "type_identifier" and child.type not in ("qualified_type", "pointer_type"):
                    self.visit(child)
            self.scopes.pop()
        self.scopes.pop()

    def r_receive_statement(self, node: Node) -> None:
        right = node.child_by_field_name("right")
        left = node.child_by_field_name("left")
        if right is not None:
            self.visit(right)
        if left is None:
            return
        defines = any(c.type == ":=" for c in node.children)
        lhs = list(left.named_children)
        if defines:
            self.define_from(lhs, [right] if right is not None else [], redeclare=True)
            self.note_received(lhs[:1], right)
        else:
            for n in lhs:
                self.visit(n)

    def r_keyed_element(self, node: Node) -> None:
        key = node.child_by_field_name("key") or (node.named_children[0] if node.named_children else None)
        value = node.child_by_field_name("value") or (node.named_children[-1] if len(node.named_children) > 1 else None)
        # a bare identifier key of a struct literal is a field name, not a variable
        if key is not None:
            inner = key.named_children[0] if key.type == "literal_element" and key.named_children else key
            if inner.type != "identifier":
                self.visit(key)
            else:
                parent_lit = node.parent.parent if node.parent is not None else None
                ltype = parent_lit.child_by_field_name("type") if parent_lit is not None and parent_lit.type == "composite_literal" else None
                if ltype is not None and ltype.type == "map_type":
                    self.visit(key)
        if value is not None:
            self.visit(value)

    def r_labeled_statement(self, node: Node) -> None:
        for child in node.named_children:
            if child.type != "label_name":
                self.visit(child)

    def r_assignment_statement(self, node: Node) -> None:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if right is not None:
            self.visit(right)
        if left is not None:
            self.visit(left)
        if left is None or right is None:
            return
        lhs, rhs = list(left.named_children), list(right.named_children)
        if len(rhs) == 1 and len(lhs) > 1:
            whole = self.ei(rhs[0])
            infos = [whole.result(i) for i in range(len(lhs))]
        else:
            infos = [self.ei(r) for r in rhs]
        for i, target in enumerate(lhs):
            if i >= len(infos):
                break
            root = self.root_binding(target)
            if root is not None:
                self.flow_into(root, infos[i])
                root.const = root.const and infos[i].const
                if root.origin == F.ORIGIN_NEW and root.ty.kind in (T.SLICE, T.MAP) and infos[i].origin != F.ORIGIN_NEW \
                        and target.type in ("identifier", "index_expression"):
                    # a container of fresh runtimes no longer holds only runtimes made here
                    root.origin, root.origin_note = "", ""
                if rhs and i < len(rhs) and rhs[i].type == "func_literal" and target.type == "identifier":
                    r = self.region_of_node.get(rhs[i].id)
                    if r is not None:
                        root.funcs.append(r)
                        self.regions[r].label = self.regions[r].label or root.name

    def r_send_statement(self, node: Node) -> None:
        ch = node.child_by_field_name("channel")
        value = node.child_by_field_name("value")
        if ch is not None and value is not None and value.type == "func_literal":
            self.visit(ch)
            if self.chan_canonical(self.ei(ch)) in self.index.owner_chans:
                self.pending_ctx.setdefault(value.id, []).append((F.CTX_ONOWNER, self.rel(node), None, None))
        self.visit_children(node)
        if ch is None or value is None:
            return
        root = self.root_binding(ch)
        if root is not None:
            info = self.ei(value)
            self.flow_into(root, info)
            root.const = root.const and info.const

    def r_call_expression(self, node: Node, spawn: str = "") -> None:
        """Visit a call: its function and plain arguments first, so that the callbacks among
        its arguments can be classified (run on the owner? in a goroutine?) before their
        bodies are read."""
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments")
        if fn is None or args is None:
            self.visit_children(node)
            return
        if fn.type != "func_literal":
            self.visit(fn)
        literals = []
        for a in args.named_children:
            if a.type == "func_literal":
                literals.append(a)
            else:
                self.visit(a)
        self.classify_call_callbacks(node, fn, args, spawn)
        if fn.type == "func_literal":
            self.visit(fn)
        for a in literals:
            self.visit(a)
        if fn.type == "identifier" and text(fn) == "copy" and self.lookup("copy") is None and len(args.named_children) == 2:
            dst = self.root_binding(args.named_children[0])
            if dst is not None:
                self.flow_into(dst, self.ei(args.named_children[1]))

    def r_go_statement(self, node: Node) -> None:
        call = node.named_children[0] if node.named_children else None
        if call is not None and call.type == "call_expression":
            self.r_call_expression(call, spawn="go")
        elif call is not None:
            self.visit(call)

    def r_defer_statement(self, node: Node) -> None:
        call = node.named_children[0] if node.named_children else None
        if call is not None and call.type == "call_expression":
            self.r_call_expression(call, spawn="defer")
        elif call is not None:
            self.visit(call)

    def r_return_statement(self, node: Node) -> None:
        for child in node.named_children:
            for e in (child.named_children if child.type == "expression_list" else [child]):
                if e.type == "func_literal":
                    self.pending_ctx.setdefault(e.id, []).append((F.CTX_STORED, self.rel(node), None, None))
        self.visit_children(node)

    def root_binding(self, node: Node) -> Binding | None:
        """The local binding at the root of an lvalue (``x``, ``x.f``, ``x[i]``, ``*x``)."""
        while node is not None:
            if node.type == "identifier":
                uid = self.refs.get(self.rel(node))
                return self.bindings.get(uid) if uid else None
            if node.type in ("selector_expression",):
                node = node.child_by_field_name("operand")
            elif node.type in ("index_expression", "slice_expression"):
                node = node.child_by_field_name("operand")
            elif node.type in ("unary_expression", "parenthesized_expression"):
                node = node.child_by_field_name("operand") or (node.named_children[0] if node.named_children else None)
            else:
                return None
        return None

    def chan_canonical(self, info) -> tuple:
        """A channel's declaration-independent name (for owner-loop channels)."""
        path = info.path
        if path is None:
            return ()
        if path[0] == "pkg":
            return tuple(path)
        if path[0] == "b":
            b = self.bindings.get(path[1])
            if b is not None and len(path) > 2:
                return self.field_canonical(b.ty, list(path[2:]))
        return ()

    def holds_runtime(self, ty: T.Ty) -> bool:
        ty = self.index.resolve(ty)
        if ty.kind == T.RUNTIME:
            return True
        return ty.kind == T.STRUCT and bool(ty.name) and self.index.holds_runtime(ty.name)
