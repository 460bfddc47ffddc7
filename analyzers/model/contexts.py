"""On which goroutine does each function literal run? (goroutine contexts)

A func literal's context comes from where it appears: the body of a ``go`` statement, a
``time.AfterFunc`` callback (another goroutine, later), an HTTP handler (concurrently, many
times), a function registered into a runtime (``vm.Set("f", func…)``: JS calls it on the
runtime's goroutine), an event-loop callback, a k6 ``RegisterCallback`` hand-back, or a plain
synchronous call. Helpers in the package are read through their summaries ("runs its parameter in
a new goroutine"); the configuration adds in-house ones by name.
"""

from __future__ import annotations

from tree_sitter import Node

from . import api
from . import facts as F
from . import types as T
from .typeexpr import text

# Region contexts that mean "runs right here, on this goroutine, now or at exit".
INLINE_CONTEXTS = frozenset({F.CTX_SYNC, "defer", "loop-run"})


class ContextMixin:
    """Classifies callbacks at call sites, before their bodies are read (see ResolveMixin)."""

    def add_context(self, region, ctx: str, site, rt_key=None, loop_key=None) -> None:
        region.contexts.append((ctx, site))
        if rt_key is not None and region.runtime_key is None:
            region.runtime_key = rt_key
        if loop_key is not None:
            region.loop_key = loop_key
            for p in region.params:
                if p.ty.kind == T.RUNTIME:
                    p.origin = F.ORIGIN_LOOP
                    p.origin_note = f"the runtime {text_of_key(loop_key)} hands to its callback"

    def classify_literal(self, node: Node, ctx: str, site, rt_key=None, loop_key=None) -> None:
        """Give a callback argument a context: a literal (pending until its region exists) or a
        variable holding literals (their regions exist already)."""
        if node.type == "func_literal":
            self.pending_ctx.setdefault(node.id, []).append((ctx, site, rt_key, loop_key))
        elif node.type == "identifier":
            uid = self.refs.get(self.rel(node))
            b = self.bindings.get(uid) if uid else None
            if b is not None:
                for r in b.funcs:
                    self.add_context(self.regions[r], ctx, site, rt_key, loop_key)
        elif node.type == "parenthesized_expression" and node.named_children:
            self.classify_literal(node.named_children[0], ctx, site, rt_key, loop_key)

    def callback_contexts(self, call: Node, fn: Node, args: list[Node]) -> list[tuple[int, str, object, object]]:
        """(argument index, context, runtime key, loop key) for the callbacks a call receives."""
        out: list[tuple[int, str, object, object]] = []
        if fn.type == "selector_expression":
            operand = fn.child_by_field_name("operand")
            name = text(fn.child_by_field_name("field"))
            role = self.fctx.role(text(operand)) if operand is not None and operand.type == "identifier" and self.refs.get(self.rel(operand)) is None else ""
            if role == api.ROLE_MODULE:
                summary = self.index.summary(f"{self.fctx.path(text(operand))}#{name}")
                if summary is not None:
                    out += [(i, ctx, None, None) for i, ctx in summary.spawn_params.items()]
                return out
            if role:
                cb = api.STD_CALLBACKS.get((role, name))
                if cb is not None:
                    out.append((cb.arg, cb.context, None, None))
                qualified = f"{text(operand)}.{name}"
                path = next((i.path for i in self.fctx.imports if i.name == text(operand)), "")
                out += self.configured(qualified, f"{path}.{name}", len(args))
                return out
            recv = self.ei(operand) if operand is not None else None
            rty = recv.ty if recv is not None else T.T_UNKNOWN
            if rty.kind == T.RUNTIME:
                m = api.RUNTIME_METHODS.get(name)
                if m is not None:
                    out += [(i, F.CTX_REGISTERED, self.key_of(recv), None) for i in m.callback_args]
            elif rty.kind in T.VALUE_KINDS:
                m = api.VALUE_METHODS.get(name)
                if m is not None:
                    rk = next(iter(recv.keys)) if len(recv.keys) == 1 else None
                    out += [(i, F.CTX_REGISTERED, rk, None) for i in m.callback_args]
            elif rty.kind == T.LOOP:
                m = api.LOOP_METHODS.get(name)
                if m is not None:
                    ctx = "loop-run" if name == "Run" else F.CTX_LOOP
                    out += [(i, ctx, None, self.key_of(recv)) for i in m.callback_args]
            elif (rty.kind, name) in api.METHOD_CALLBACKS:
                cb = api.METHOD_CALLBACKS[(rty.kind, name)]
                out.append((cb.arg, cb.context, None, None))
            elif rty.kind == T.STRUCT and rty.name:
                summary = self.index.summary(f"{rty.name}.{name}")
                if summary is not None:
                    out += [(i, ctx, None, None) for i, ctx in summary.spawn_params.items()]
                out += self.configured(f"{rty.name}.{name}", "", len(args))
            if name in api.HANDLER_REGISTRARS and rty.kind not in (T.RUNTIME, T.LOOP) and not rty.is_value and len(args) >= 2:
                out.append((1, F.CTX_MULTI, None, None))
        elif fn.type == "identifier":
            uid = self.refs.get(self.rel(fn))
            b = self.bindings.get(uid) if uid else None
            if b is not None:
                if b.ty.kind == T.K6CB:
                    out.append((0, F.CTX_ONOWNER, None, None))
            else:
                summary = self.index.summary(text(fn))
                if summary is not None:
                    out += [(i, ctx, None, None) for i, ctx in summary.spawn_params.items()]
                out += self.configured(text(fn), f"{self.fctx.package}.{text(fn)}", len(args))
        return out

    def configured(self, name: str, qualified: str, nargs: int) -> list[tuple[int, str, object, object]]:
        """Callbacks of functions the configuration declares as running on / off the owner."""
        cfg = self.config
        out = []
        for names, ctx in ((cfg.owner_functions, F.CTX_ONOWNER), (cfg.off_owner_functions, F.CTX_GO)):
            if name in names or (qualified and qualified in names):
                out += [(i, ctx, None, None) for i in range(nargs)]
        return out

    def classify_call_callbacks(self, call: Node, fn: Node, args_node: Node, spawn: str) -> None:
        args = list(args_node.named_children)
        site = self.rel(call)
        classified = set()
        for i, ctx, rt_key, loop_key in self.callback_contexts(call, fn, args):
            if 0 <= i < len(args):
                self.classify_literal(args[i], ctx, site, rt_key, loop_key)
                classified.add(i)
        if fn.type == "func_literal":
            self.classify_literal(fn, F.CTX_GO if spawn == "go" else ("defer" if spawn == "defer" else F.CTX_SYNC), site)
        elif fn.type == "identifier" and spawn in ("go", "defer"):
            self.classify_literal(fn, F.CTX_GO if spawn == "go" else "defer", site)
        elif fn.type == "identifier":
            self.classify_literal(fn, F.CTX_SYNC, site)
        unknown = not self.callee_is_known(fn)
        for i, a in enumerate(args):
            if i in classified:
                continue
            # a callback passed to `go helper(cb)` runs in the new goroutine; to an unknown
            # function, synchronously (sort.Slice, sync.Once.Do, t.Run) — unless it takes the
            # runtime as a parameter: then whoever calls it hands in its own runtime, i.e. it is
            # a scheduler running it on the owner (owner.Call(ctx, func(ctx, vm *goja.Runtime)…))
            ctx = F.CTX_GO if spawn == "go" else F.CTX_SYNC
            if unknown and a.type == "func_literal" and self.takes_runtime(a):
                ctx = F.CTX_ONOWNER
            if a.type == "func_literal" or (a.type == "identifier" and self.refs.get(self.rel(a))):
                self.classify_literal(a, ctx, site)

    def takes_runtime(self, node: Node) -> bool:
        """A callback that takes a *goja.Runtime: a literal, or a func variable / parameter."""
        from .typeexpr import param_list

        if node.type == "func_literal":
            return any(t.kind == T.RUNTIME for _, t, _ in param_list(node.child_by_field_name("parameters"), self.fctx))
        if node.type == "identifier":
            uid = self.refs.get(self.rel(node))
            b = self.bindings.get(uid) if uid else None
            return b is not None and b.ty.kind == T.FUNC and any(p.kind == T.RUNTIME for p in b.ty.params)
        return False

    def callee_is_known(self, fn: Node) -> bool:
        """Whether gojaguard knows what a called function does with its callbacks."""
        if fn.type == "identifier":
            if self.refs.get(self.rel(fn)):
                return True  # a local func variable
            return text(fn) in self.index.funcs or text(fn) in ("append", "panic", "len", "make")
        if fn.type == "selector_expression":
            operand = fn.child_by_field_name("operand")
            if operand is not None and operand.type == "identifier" and self.refs.get(self.rel(operand)) is None:
                role = self.fctx.role(text(operand))
                if role == api.ROLE_MODULE:
                    return self.index.func_shape(f"{self.fctx.path(text(operand))}#{text(fn.child_by_field_name('field'))}") is not None
                return bool(role) and role not in ("", "testing")
            info = self.ei(operand) if operand is not None else None
            if info is None:
                return False
            if info.ty.kind in (T.RUNTIME, T.LOOP, T.VU, T.WAITGROUP, T.ERRGROUP, T.K6CB, T.TASKQUEUE) or info.ty.is_value:
                return True
            if info.ty.kind == T.STRUCT and info.ty.name:
                return self.index.method(info.ty.name, text(fn.child_by_field_name("field"))) is not None
        return fn.type == "func_literal"


def text_of_key(key) -> str:
    if not key:
        return "the loop"
    if key[0] == "b":
        return "the loop"
    return ".".join(str(k) for k in key[1:])
