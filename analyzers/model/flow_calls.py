"""Pass 2, calls: what each call does to the state — the API table, summaries of the package's
functions, callbacks run inline, spawned or handed to the owner."""

from __future__ import annotations

from tree_sitter import Node

from . import api
from . import facts as F
from . import types as T
from .contexts import INLINE_CONTEXTS
from .flow_state import State, related
from .typeexpr import text

_EXIT_CALLS = frozenset({"os.Exit", "log.Fatal", "log.Fatalf", "log.Fatalln", "log.Panic", "log.Panicf", "runtime.Goexit"})


class CallsMixin:
    def queued_struct(self, value: Node, vinfo, node: Node, state: State) -> State:
        """``queue <- &req{fn, done}``: the funcs it carries run on the owner loop."""
        inner = value
        while inner.type in ("unary_expression", "parenthesized_expression"):
            inner = inner.child_by_field_name("operand") or (inner.named_children[0] if inner.named_children else inner)
            if inner is value:
                break
        if inner.type == "composite_literal":
            body = inner.child_by_field_name("body")
            for el in body.named_children if body is not None else ():
                v = el.named_children[-1] if el.type == "keyed_element" and el.named_children else el
                v = v.named_children[0] if v.type == "literal_element" and v.named_children else v
                if v.type == "func_literal" or self.regions_of(v) or self.ei(v).ty.kind == T.FUNC:
                    state = self.callback(v, F.CTX_ONOWNER, node, state)
            return state
        b = self.binding_at(value) if value.type == "identifier" else None
        if b is not None:
            for fi in b.fields.values():
                for uid in fi.srcs:
                    fb = self.bindings.get(uid)
                    if fb is not None and fb.kind == "param" and fb.region == 0 and fb.ty.kind == T.FUNC:
                        self.param_calls.setdefault(fb.param_index, set()).add(("onowner", self.frame.flow.region))
        return state

    def is_func_param(self, node: Node) -> bool:
        b = self.binding_at(node) if node.type == "identifier" else None
        return b is not None and b.kind == "param" and b.region == 0 and b.ty.kind == T.FUNC

    def chan_canonical_of_path(self, path) -> tuple:
        from .bindings import EI

        return self.chan_canonical(EI(path=path))

    def call(self, node: Node, state: State, deferred: bool = False) -> State:
        fn = node.child_by_field_name("function")
        args_node = node.child_by_field_name("arguments")
        args = list(args_node.named_children) if args_node is not None else []
        for a in args:
            if a.type == "func_literal":
                continue
            state = self.expr(a, state)
        if fn is None:
            return state
        callee = text(fn)
        if callee in _EXIT_CALLS or (fn.type == "identifier" and callee == "panic" and self.binding_at(fn) is None):
            if callee in ("os.Exit", "log.Fatal", "log.Fatalf", "log.Fatalln", "runtime.Goexit"):
                dead = state.copy()
                dead.dead = True
                return dead
            return self.exit(state, node)
        if fn.type == "func_literal":
            uid = self.region_of_node.get(fn.id)
            for a in args:
                if a.type == "func_literal":
                    self.callback(a, F.CTX_SYNC, node, state)
            return self.inline(uid, state) if uid is not None else state
        if fn.type == "selector_expression":
            operand = fn.child_by_field_name("operand")
            name = text(fn.child_by_field_name("field"))
            if operand is not None and operand.type == "identifier" and self.binding_at(operand) is None and self.fctx.role(text(operand)):
                return self.package_call(self.fctx.role(text(operand)), name, node, args, state)
            state = self.expr(operand, state)
            base = self.ei(operand)
            return self.method_call(base, operand, name, node, args, state)
        if fn.type == "identifier":
            return self.ident_call(fn, node, args, state)
        state = self.expr(fn, state)
        return self.unknown_call(node, args, state)

    def callback(self, arg: Node, ctx: str, site: Node, state: State, rt_key=None, multi=False, signals=frozenset()) -> State:
        """A function argument run elsewhere (or inline): spawn it, inline it, or walk it."""
        fb = self.binding_at(arg) if arg.type == "identifier" else None
        if fb is not None and fb.kind == "param" and fb.region == 0 and fb.ty.kind == T.FUNC:
            # this function passes its own func parameter on: summarise where it ends up running
            kind = {F.CTX_GO: "go", F.CTX_OFF: "go", F.CTX_MULTI: "go", F.CTX_ONOWNER: "onowner", F.CTX_LOOP: "onowner"}.get(ctx, "sync")
            self.param_calls.setdefault(fb.param_index, set()).add((kind if self.frame.kind not in ("go", "off", "multi") else "go", self.frame.flow.region))
            return state
        regions = self.regions_of(arg)
        if not regions:
            named = self.named_function(arg)
            if named is not None and ctx in F.OFF_OWNER_CONTEXTS:
                shape, recv = named
                state = self.spawn_named(shape, recv, [], site, state, ctx, multi=multi or ctx == F.CTX_MULTI, signals=signals)
            return state
        for uid in regions:
            if ctx in INLINE_CONTEXTS:
                state = self.inline(uid, state)
            elif ctx in F.OFF_OWNER_CONTEXTS or ctx == F.CTX_LOOP:
                state = self.spawn_region(uid, site, state, ctx, multi=multi or ctx == F.CTX_MULTI, signals=signals)
            else:
                self.walk_flow(uid)
        return state

    def regions_of(self, node: Node) -> list[int]:
        if node.type == "func_literal":
            uid = self.region_of_node.get(node.id)
            return [uid] if uid is not None else []
        if node.type == "identifier":
            b = self.binding_at(node)
            return list(b.funcs) if b is not None else []
        if node.type == "parenthesized_expression" and node.named_children:
            return self.regions_of(node.named_children[0])
        return []

    def named_function(self, node: Node):
        """A package function or method value used as a callback: (shape, receiver node)."""
        if node.type == "identifier" and self.binding_at(node) is None:
            shape = self.index.funcs.get(text(node))
            return (shape, None) if shape is not None else None
        if node.type == "selector_expression":
            operand = node.child_by_field_name("operand")
            if operand is not None and operand.type == "identifier" and self.binding_at(operand) is None \
                    and self.fctx.role(text(operand)) == api.ROLE_MODULE:
                shape = self.index.func_shape(f"{self.fctx.path(text(operand))}#{text(node.child_by_field_name('field'))}")
                return (shape, None) if shape is not None else None
            base = self.ei(operand)
            if base.ty.kind == T.STRUCT and base.ty.name:
                shape = self.index.method(base.ty.name, text(node.child_by_field_name("field")))
                if shape is not None:
                    return shape, operand
        return None

    def package_call(self, role: str, name: str, node: Node, args: list[Node], state: State) -> State:
        if role == api.ROLE_MODULE:
            fn = node.child_by_field_name("function")
            pkg = text(fn.child_by_field_name("operand"))
            shape = self.index.func_shape(f"{self.fctx.path(pkg)}#{name}")
            if shape is not None:
                return self.summary_call(shape, None, node, args, state)
            return self.unknown_call(node, args, state)
        cb = api.STD_CALLBACKS.get((role, name))
        if cb is not None and cb.arg < len(args):
            self.last_spawn = None
            state = self.callback(args[cb.arg], cb.context, node, state, multi=cb.context == F.CTX_MULTI)
            return state
        if role == api.ROLE_K6_PROMISES and name == "New":
            if self.in_off_owner():
                self.misuse(node, "called off the VU's goroutine", "register-off-owner")
            else:
                self.async_marks.append((self.rel(node), self.region_now, "makes a promise"))
            return state
        if role == "testing":
            return state
        table = {api.ROLE_ENGINE: api.ENGINE_FUNCS, api.ROLE_EVENTLOOP: api.EVENTLOOP_FUNCS, api.ROLE_REQUIRE: api.REQUIRE_FUNCS}.get(role)
        if table is not None:
            return state  # goja.AssertFunction, goja.IsUndefined, ...: they read no runtime state
        callbacks = self.callback_contexts(node, node.child_by_field_name("function"), args)
        done = set()
        for i, ctx, rt_key, loop_key in callbacks:
            if i < len(args):
                state = self.callback(args[i], ctx, node, state)
                done.add(i)
        return self.unknown_call(node, args, state, skip=done)

    def unknown_call(self, node: Node, args: list[Node], state: State, skip=frozenset()) -> State:
        """A call of code we cannot see: runtimes and Values passed to it are used by it."""
        for i, a in enumerate(args):
            if i in skip:
                continue
            if self.takes_runtime(a):
                state = self.callback(a, F.CTX_ONOWNER, node, state)  # a scheduler hands it its runtime
                continue
            if self.is_parallel_test(a):
                # t.Run(name, func(t) { t.Parallel(); … }): it runs after the test function returns,
                # concurrently with its parallel siblings (and itself, when started in a loop)
                self.frame.flow.deferred.append((a, node, self.frame.loop_depth > 0))
                self.walk_flow(self.region_of_node[a.id])
                continue
            if a.type == "func_literal" or self.regions_of(a):
                state = self.callback(a, F.CTX_SYNC, node, state)
                continue
            state = self.pass_arg(a, node, state)
        return state

    def pass_arg(self, a: Node, node: Node, state: State) -> State:
        info = self.ei(a)
        if info.ty.kind == T.RUNTIME or (info.ty.kind == T.STRUCT and self.holds_runtime(info.ty)):
            self.touch(self.key_of(info, a), node, "pass", text(node), state, srcs=info.srcs)
        elif info.ty.holds_values or (info.keys and info.ty.kind == T.UNKNOWN):
            for k in self.value_keys(info, a):
                self.touch(k, node, "value", text(node), state, via_value=True, srcs=info.srcs)
        return state

    def is_parallel_test(self, node: Node) -> bool:
        if node.type != "func_literal":
            return False
        body = node.child_by_field_name("body")
        if body is None:
            return False
        stmts = body.named_children[0].named_children if body.named_children and body.named_children[0].type == "statement_list" else body.named_children
        for s in stmts[:3]:
            if s.type == "expression_statement" and text(s).endswith(".Parallel()"):
                return True
        return False

    def ident_call(self, fn: Node, node: Node, args: list[Node], state: State) -> State:
        name = text(fn)
        b = self.binding_at(fn)
        if b is not None:
            kind = b.ty.kind
            if kind == T.CALLABLE:
                return self.call_callable(fn, node, args, state)
            if kind == T.K6CB:
                state = state.copy()
                state.cb_calls[b.uid] = frozenset(min(c + 1, 2) for c in state.cb_calls.get(b.uid, frozenset({0})))
                self.cb_sites.setdefault(b.uid, []).append(self.rel(node))
                for a in args:
                    state = self.callback(a, F.CTX_ONOWNER, node, state)
                return state
            if kind == T.RESOLVER:
                return state
            if kind == T.STOPFN:
                return self.disarm(b.uid, state)
            if kind == T.PROMISE_FN:
                for k in b.keys:
                    self.touch(k, node, "call", text(node), state)
                return state
            if b.recv_chan is not None and kind in (T.FUNC, T.UNKNOWN):
                canon = self.chan_canonical_of_path(b.recv_chan)
                if canon:
                    self.drains.add(canon)  # calls funcs received from a channel: an owner loop
            if b.funcs:
                for uid in b.funcs:
                    state = self.inline(uid, state)
                return state
            if b.kind == "param" and b.ty.kind == T.FUNC and b.region == 0:
                self.param_calls.setdefault(b.param_index, set()).add((self.flow_context_here(), self.frame.flow.region))
            return self.unknown_call(node, args, state)
        if name in ("close",) and args:
            info = self.ei(args[0])
            ckey = ("ch", self.key_of(info, args[0]))
            self.frame.flow.signals.add(ckey)
            return self.cancel_watchdogs(ckey, state)
        if name in ("append", "len", "cap", "copy", "delete", "make", "new", "print", "println", "min", "max", "clear"):
            for a in args:
                if a.type == "func_literal":
                    self.literal_value(self.region_of_node.get(a.id))
            return state
        shape = self.index.funcs.get(name)
        if shape is not None:
            return self.summary_call(shape, None, node, args, state)
        tshape = self.index.types.get(name)
        if tshape is not None:
            return state  # a conversion
        return self.unknown_call(node, args, state)

    def flow_context_here(self) -> str:
        kind = self.frame.kind
        if kind in (F.CTX_GO, F.CTX_OFF, F.CTX_MULTI):
            return "go"
        if kind in (F.CTX_LOOP, F.CTX_ONOWNER):
            return "onowner"
        if kind == F.CTX_STORED:
            return "stored"
        return "sync"

    # -- methods of the API table ----------------------------------------------------------------

    def method_call(self, base, operand: Node, name: str, node: Node, args: list[Node], state: State) -> State:
        bty = base.ty
        if bty.kind == T.RUNTIME:
            return self.runtime_call(self.key_of(base, operand), name, node, args, state)
        if bty.kind in T.VALUE_KINDS:
            keys = self.value_keys(base, operand)
            m = api.VALUE_METHODS.get(name)
            for k in keys:
                self.touch(k, node, "value", text(node), state, via_value=True, srcs=base.srcs)
            if m is not None:
                for i in m.value_args:
                    if i < len(args):
                        for k in keys:
                            self.handover([args[i]], k, node, state)
                for i in m.callback_args:
                    if i < len(args):
                        state = self.callback(args[i], F.CTX_REGISTERED, node, state)
                if base.note == "global-object":
                    state = self.global_set(keys, name, args, node, state)
            return state
        if bty.kind == T.FCALL:
            return state
        if bty.kind == T.LOOP:
            return self.loop_call(self.key_of(base, operand), name, node, args, state)
        if bty.kind == T.VU:
            if name in ("RegisterCallback",) and self.in_off_owner():
                self.misuse(node, "called off the VU's goroutine", "register-off-owner")
            if name == "RegisterCallback":
                self.register_sites.append(self.rel(node))
                if not self.in_off_owner():
                    self.async_marks.append((self.rel(node), self.region_now, "registers a callback on the loop"))
            return state
        if bty.kind in (T.WAITGROUP, T.ERRGROUP):
            key = ("done", self.key_of(base, operand))
            if name == "Wait":
                return self.join(key, state)
            if name == "Done":
                self.frame.flow.signals.add(key)
                return state
            if name in ("Go", "TryGo") and args:
                return self.callback(args[0], F.CTX_GO, node, state, signals=frozenset({key}))
            return state
        if bty.kind in (T.MUTEX, T.RWMUTEX):
            return self.lock_op(self.key_of(base, operand), name, node, state, operand)
        if bty.kind in (T.TIMER, T.STOPFN):
            if name in ("Stop", "Reset"):
                b = self.root_binding(operand)
                if b is not None:
                    return self.disarm(b.uid, state)
            return state
        if bty.kind == T.SYNCPOOL and name == "Put" and args:
            info = self.ei(args[0])
            if info.ty.kind == T.RUNTIME or self.holds_runtime(info.ty):
                return self.pool_return(self.key_of(info, args[0]), node, text(node), state)
            return state
        if bty.kind == T.SYNCMAP and name in ("Store", "LoadOrStore", "Swap") and len(args) >= 2:
            info = self.ei(args[1])
            if info.keys and base.path is not None and base.path[0] == "pkg":
                self.stores.append(F.Store(self.rel(node), text(operand), "pkg", tuple(sorted(info.keys, key=repr)), text(args[1]), self.region_now))
            return state
        if bty.kind == T.STRUCT and bty.name:
            rb = self.binding_at(operand) if operand.type == "identifier" else None
            if rb is not None and rb.recv_chan is not None:
                found = self.index.field(bty.name, name)
                if found is not None and self.index.resolve(found[0].ty).kind == T.FUNC:
                    canon = self.chan_canonical_of_path(rb.recv_chan)
                    if canon:
                        self.drains.add(canon)  # req := <-queue; req.fn(vm): an owner loop
            shape = self.index.method(bty.name, name)
            if shape is not None:
                return self.summary_call(shape, operand, node, args, state)
            promoted = self.index.promoted(bty.name, name)
            if promoted is not None and base.path is not None:
                from .bindings import EI

                fields, fty = promoted
                return self.method_call(EI(fty, path=base.path + fields, srcs=base.srcs), operand, name, node, args, state)
            found = self.index.field(bty.name, name)
            if found is not None and self.index.resolve(found[0].ty).kind == T.FUNC:
                return self.unknown_call(node, args, state)  # s.cfg.onDone(err): calling a func-valued field
            if found is not None and self.index.resolve(found[0].ty).kind == T.CALLABLE:
                return self.call_callable(node.child_by_field_name("function"), node, args, state)  # c.validator(nil, v)
            if self.holds_runtime(bty):
                self.touch(self.key_of(base, operand), node, "call", text(node), state, srcs=base.srcs)
            return self.unknown_call(node, args, state)
        if bty.kind == T.FUNC and base.path is None:
            return self.unknown_call(node, args, state)
        if bty.kind == T.K6CB:
            for a in args:
                state = self.callback(a, F.CTX_ONOWNER, node, state)
            return state
        callbacks = self.callback_contexts(node, node.child_by_field_name("function"), args)
        done = set()
        for i, ctx, rt_key, loop_key in callbacks:
            if i < len(args):
                state = self.callback(args[i], ctx, node, state)
                done.add(i)
        return self.unknown_call(node, args, state, skip=done)

    def call_callable(self, fn: Node, node: Node, args: list[Node], state: State) -> State:
        """A call of a goja.Callable (a variable or a field): JS runs on the runtime that made it."""
        info = self.ei(fn)
        for k in self.value_keys(info, fn):
            state = self.ran_js(k, state)
            self.touch(k, node, "callable", text(node), state, via_value=True, srcs=info.srcs)
            self.handover(args, k, node, state)
        return state

    def ran_js(self, key, state: State) -> State:
        """JS runs on ``key`` here: under an armed watchdog, that run may be interrupted."""
        self.js_ran.add(key)
        armed = [k for k in state.armed if related(k, key)]
        if not armed or all(k in state.ran_armed for k in armed):
            return state
        state = state.copy()
        state.ran_armed = state.ran_armed | set(armed)
        return state

    def runtime_call(self, key, name: str, node: Node, args: list[Node], state: State) -> State:
        m = api.RUNTIME_METHODS.get(name)
        if m is not None and m.effect == "interrupt":
            self.interrupts.append((key, self.rel(node), self.region_now))
            self.frame.flow.interrupts.append((key, self.rel(node)))
            state = state.copy()
            state.pending[key] = self.rel(node)
            return state
        if m is not None and m.effect == "clear-interrupt":
            state = state.copy()
            state.pending.pop(key, None)
            self.clears.add(key)
            if key not in self.js_ran:
                self.entry_clears.add(key)  # cleared before this function runs JS on it: whatever a
                # previous use left pending is gone before this use
            return state
        if name == "NewPromise" and not self.in_off_owner():
            self.async_marks.append((self.rel(node), self.region_now, "makes a promise"))
        kind = "js" if (m is not None and m.runs_js) else "call"
        if key in state.pending and kind == "js" and self.key_info(key).origin not in F.LOCAL_ORIGINS | {F.ORIGIN_PARAM}:
            self.interrupt_leaks.append((key, state.pending[key], self.rel(node), "use"))
        if kind == "js":
            state = self.ran_js(key, state)
        self.touch(key, node, kind, text(node), state)
        if m is None:
            return state
        for i in m.value_args:
            if i < len(args):
                self.handover([args[i]], key, node, state)
        for i in m.callback_args:
            if i < len(args) and self.regions_of(args[i]):
                state = self.callback(args[i], F.CTX_REGISTERED, node, state)
        if name == "Set":
            state = self.global_set({key}, "Set", args, node, state)
        return state

    def global_set(self, keys, name: str, args: list[Node], node: Node, state: State) -> State:
        """vm.Set / vm.GlobalObject().Set|Delete on a pooled runtime: per-request global state."""
        if not args:
            return state
        gname = text(args[0]).strip('"`')
        if args[0].type not in ("interpreted_string_literal", "raw_string_literal"):
            gname = "*" + text(args[0])
        resets = name == "Delete" or (len(args) > 1 and text(args[1]) in ("nil", "goja.Undefined()", "sobek.Undefined()") or (len(args) > 1 and text(args[1]).endswith(".Undefined()")))
        const = len(args) > 1 and (not self.captures_locals(args[1]) if args[1].type == "func_literal" else self.ei(args[1]).const)
        if not resets and const:
            return state  # the same constant (or a function of nothing per-request) for every request
        state = state.copy()
        for key in keys:
            current = dict(state.globals.get(key, ()))
            if resets:
                self.resets.add(key)
                current.pop(gname, None)
                if gname.startswith("*"):
                    current.clear()
            elif name in ("Set",):
                current[gname] = self.rel(node)
            state.globals[key] = tuple(current.items())
        if not resets and name == "Set":
            for key in keys:
                self.global_sets.append((key, gname, self.rel(node)))
        return state

    def loop_call(self, key, name: str, node: Node, args: list[Node], state: State) -> State:
        if name == "Run":
            if key in state.started:
                self.misuse(node, "on a loop that was started with Start()", "run-while-started")
            return self.callback(args[0], "loop-run", node, state) if args else state
        if name in ("RunOnLoop", "SetTimeout", "SetInterval"):
            return self.callback(args[0], F.CTX_LOOP, node, state) if args else state
        if name in ("Start", "StartInForeground"):
            state = state.copy()
            state.started = state.started | {key}
            return state
        if name == "Stop":
            if self.in_loop_callback():
                self.misuse(node, "inside a callback running on the loop", "stop-in-loop")
            state = state.copy()
            state.started = state.started - {key}
            return state
        if name in ("StopNoWait", "Terminate"):
            state = state.copy()
            state.started = state.started - {key}
        return state

    # -- named functions ------------------------------------------------------------------------

    def map_rel_key(self, rel: tuple, recv: Node | None, args: list[Node]):
        """A summary's function-relative key, in the caller's terms (None if it does not map)."""
        head = rel[0]
        if head == "pkg":
            return [tuple(rel)]
        if head == "recv":
            if recv is None:
                return []
            info = self.ei(recv)
            if info.path is not None:
                return [info.path + tuple(rel[1:])]
            return [k for k in info.keys]
        if head in ("param", "keysof"):
            i = rel[1]
            if i >= len(args):
                return []
            info = self.ei(args[i])
            if head == "param" and info.path is not None:
                return [info.path + tuple(rel[2:])]
            if head == "param" and info.ty.kind == T.RUNTIME:
                return [self.key_of(info, args[i])]
            return list(self.value_keys(info, args[i]))
        return []

    def summary_call(self, shape, recv: Node | None, node: Node, args: list[Node], state: State) -> State:
        summary = self.index.summary(shape.key)
        self.callees.add(shape.key)
        # a function of the package whose summary is not known yet (the first fixpoint round) is
        # the bottom of the lattice: it touches nothing and keeps its callbacks for later, so that
        # the summaries only grow from round to round and reach the least fixpoint
        for i, a in enumerate(args):
            if a.type == "func_literal" or self.regions_of(a) or self.is_func_param(a):
                ctx = summary.spawn_params.get(i, F.CTX_SYNC) if summary is not None else F.CTX_STORED
                ctx = {"go": F.CTX_GO, "onowner": F.CTX_ONOWNER, "sync": F.CTX_SYNC, "loop": F.CTX_LOOP,
                       "stored": F.CTX_STORED}.get(ctx, F.CTX_SYNC)
                signals = set()
                if summary is not None:
                    for kind, rel in summary.param_signals.get(i, ()):
                        signals.update((kind, k) for k in self.map_rel_key(rel, recv, args))
                state = self.callback(a, ctx, node, state, signals=frozenset(signals))
        if summary is None:
            return state
        for rel, kind in summary.touches.items():
            guards = tuple(k for g in summary.touch_guards.get(rel, ()) for k in self.map_rel_key(g, recv, args))
            for key in self.map_rel_key(rel, recv, args):
                if kind in ("js", "callable"):
                    state = self.ran_js(key, state)
                self.touch(key, node, kind, text(node), state, via_value=kind in ("value", "callable"), guards=guards)
        for rel in summary.pool_returns:
            for key in self.map_rel_key(rel, recv, args):
                state = self.pool_return(key, node, text(node), state)
        for rel in summary.clears_interrupt:
            for key in self.map_rel_key(rel, recv, args):
                state = state.copy()
                state.pending.pop(key, None)
                self.clears.add(key)
        for rel in summary.resets_globals:
            for key in self.map_rel_key(rel, recv, args):
                state = state.copy()
                state.globals.pop(key, None)
        if summary.spawns_touching:
            state = self.spawn_named(shape, recv, args, node, state, F.CTX_GO, touches_only=summary.spawns_touching)
        for kind, rel in summary.joins:
            for key in self.map_rel_key(rel, recv, args):
                state = self.join((kind, key), state)
        if summary.runs_js and state.held:
            self.held_js(node, state)
        return state

    # -- spawns ----------------------------------------------------------------------------------

    def handover(self, value_args: list[Node], runtime_key, node: Node, state: State) -> None:
        for a in value_args:
            info = self.ei(a)
            keys = self.value_keys(info, a) if (info.ty.holds_values or info.keys) else frozenset()
            if keys:
                self.handovers.append(F.Handover(self.rel(node), tuple(sorted(keys, key=repr)), runtime_key, text(a), self.region_now, self.rel(a)))

    def misuse(self, node: Node, what: str, problem: str, related_spans=()) -> None:
        """A misused call, anchored on its callee (``loop.Run``), never on a multi-line argument."""
        fn = node.child_by_field_name("function") if node.type == "call_expression" else None
        anchor = fn if fn is not None else node
        self.api_misuse.append(F.ApiMisuse(self.rel(anchor), f"`{text(anchor)}(…)` {what}", problem, list(related_spans)))
