"""Pass 2: walk each function body in order, tracking what runs concurrently with what.

The walker carries a ``State`` along every path of a body: the goroutines started and not yet
joined (``running``), the mutexes held, interrupts not yet cleared and watchdogs still armed,
globals set on a pooled runtime, started event loops and k6 callback counts. Branches fork the
state and merge it (a goroutine may still run if it runs on any path; a mutex is held only if held
on every path). Every use of a runtime identity is a ``Touch``; a touch of an identity that a
running goroutine also touches is a ``Conflict`` — the raw material of the GJ1xx/GJ2xx rules.

Function literals run in one of two ways. Inline (called right here, deferred, ``loop.Run``):
their statements are walked with the current state. Elsewhere (a goroutine, a callback, a
registered function): their body is walked once as a flow of its own, and what it touches (its
footprint) is what a spawn of it brings into the spawner's state.
"""

from __future__ import annotations

from tree_sitter import Node

from . import facts as F
from . import types as T
from .contexts import INLINE_CONTEXTS
from .flow_state import FlowResult, State, _Frame, merge, related
from .typeexpr import text

_EXIT_CALLS = frozenset({"os.Exit", "log.Fatal", "log.Fatalf", "log.Fatalln", "log.Panic", "log.Panicf", "runtime.Goexit"})


class FlowMixin:
    def walk_flow(self, region_uid: int) -> FlowResult:
        """Walk a body as a flow of its own (memoised)."""
        result = self.flows.get(region_uid)
        if result is not None:
            return result
        result = FlowResult(region_uid)
        self.flows[region_uid] = result
        region = self.regions[region_uid]
        frame = _Frame(result, region_uid, self.flow_kind(region))
        self.frames.append(frame)
        try:
            state = State()
            if region.body is not None:
                state = self.block(region.body, state)
            if not state.dead:
                self.exit(state, region.body if region.body is not None else region.node, implicit=True)
        finally:
            self.frames.pop()
        result.done = True
        return result

    def flow_kind(self, region) -> str:
        if region.uid == 0:
            return "decl"
        kinds = region.kinds()
        for k in (F.CTX_MULTI, F.CTX_GO, F.CTX_OFF, F.CTX_LOOP, F.CTX_REGISTERED, F.CTX_ONOWNER):
            if k in kinds:
                return k
        return F.CTX_STORED

    @property
    def frame(self) -> _Frame:
        return self.frames[-1]

    @property
    def region_now(self) -> int:
        return self.frame.region

    def in_off_owner(self, region_uid: int | None = None) -> bool:
        """Whether code of this region runs off the owner (in a goroutine / off-owner callback)."""
        uid = self.region_now if region_uid is None else region_uid
        while uid is not None and uid >= 0:
            region = self.regions[uid]
            kinds = region.kinds()
            if kinds & F.OFF_OWNER_CONTEXTS:
                return True
            if uid == 0 and self.is_handler:
                return True
            if kinds & F.ON_OWNER_CONTEXTS:
                return False
            uid = region.parent
        return False

    def in_loop_callback(self, async_only: bool = False) -> bool:
        uid = self.region_now
        kinds = {F.CTX_LOOP} if async_only else {F.CTX_LOOP, "loop-run"}
        while uid is not None and uid >= 0:
            region = self.regions[uid]
            if region.kinds() & kinds:
                return True
            if region.kinds() & F.OFF_OWNER_CONTEXTS:
                return False
            uid = region.parent
        return False

    # -- statements --------------------------------------------------------------------------

    def block(self, node: Node, state: State) -> State:
        for child in node.named_children:
            if state.dead:
                break
            state = self.stmt(child, state)
        return state

    def stmt(self, node: Node, state: State) -> State:
        t = node.type
        if t in ("block", "statement_list"):
            return self.block(node, state)
        if t == "expression_statement":
            inner = node.named_children[0] if node.named_children else None
            return self.expr(inner, state) if inner is not None else state
        if t in ("short_var_declaration", "assignment_statement"):
            return self.assign(node, state)
        if t == "var_declaration":
            for spec in self.iter_specs(node):
                value = spec.child_by_field_name("value")
                if value is not None:
                    state = self.assign_values(spec.children_by_field_name("name"), list(value.named_children), state, node)
            return state
        if t in ("inc_statement", "dec_statement"):
            return self.expr(node.named_children[0], state) if node.named_children else state
        if t == "send_statement":
            return self.send(node, state)
        if t == "go_statement":
            call = node.named_children[0] if node.named_children else None
            return self.go(call, node, state) if call is not None else state
        if t == "defer_statement":
            call = node.named_children[0] if node.named_children else None
            if call is not None:
                state = state.copy()
                state.defers = state.defers + ((call, self.region_now),)
            return state
        if t == "return_statement":
            for child in node.named_children:
                for e in child.named_children if child.type == "expression_list" else [child]:
                    state = self.expr(e, state)
                    self.returned(e, state)
            return self.exit(state, node)
        if t == "if_statement":
            init = node.child_by_field_name("initializer")
            if init is not None:
                state = self.stmt(init, state)
            state = self.expr(node.child_by_field_name("condition"), state)
            then = self.stmt(node.child_by_field_name("consequence"), state.copy())
            alt = node.child_by_field_name("alternative")
            other = self.stmt(alt, state.copy()) if alt is not None else state
            return merge([then, other])
        if t == "for_statement":
            return self.loop(node, state)
        if t in ("expression_switch_statement", "type_switch_statement"):
            return self.switch(node, state)
        if t == "select_statement":
            return self.select(node, state)
        if t == "labeled_statement":
            for child in node.named_children:
                if child.type != "label_name":
                    state = self.stmt(child, state)
            return state
        if t == "break_statement":
            if self.frame.breaks:
                self.frame.breaks[-1].append(state.copy())
            dead = state.copy()
            dead.dead = True
            return dead
        if t == "continue_statement":
            if self.frame.continues:
                self.frame.continues[-1].append(state.copy())
            dead = state.copy()
            dead.dead = True
            return dead
        return state

    @staticmethod
    def iter_specs(node: Node):
        for child in node.named_children:
            if child.type == "var_spec":
                yield child
            elif child.type == "var_spec_list":
                yield from (c for c in child.named_children if c.type == "var_spec")

    def loop(self, node: Node, state: State) -> State:
        frame = self.frame
        body = node.child_by_field_name("body")
        range_join = None
        for child in node.named_children:
            if child.type == "for_clause":
                init = child.child_by_field_name("initializer")
                if init is not None:
                    state = self.stmt(init, state)
                state = self.expr(child.child_by_field_name("condition"), state)
            elif child.type == "range_clause":
                right = child.child_by_field_name("right")
                state = self.expr(right, state)
                info = self.ei(right)
                if info.ty.kind == T.CHAN:
                    range_join = ("ch", self.key_of(info, right))
        has_exit_condition = any(c.type in ("range_clause",) for c in node.named_children) or any(
            c.type == "for_clause" and c.child_by_field_name("condition") is not None for c in node.named_children
        ) or (node.child_by_field_name("condition") is not None if hasattr(node, "child_by_field_name") else False)
        for c in node.named_children:
            if c.type not in ("for_clause", "range_clause", "block") and c is not body:
                has_exit_condition = True  # `for cond {`
        frame.loop_depth += 1
        frame.breaks.append([])
        frame.continues.append([])
        frame.loop_spawns.append([])
        end = state
        for _ in range(2):  # twice: what one iteration leaves running meets the next iteration
            start = merge([state, end]) if end is not state else state
            end = self.stmt(body, start.copy()) if body is not None else start
            end = merge([end] + frame.continues[-1])
        frame.loop_depth -= 1
        breaks = frame.breaks.pop()
        frame.continues.pop()
        spawned = frame.loop_spawns.pop()
        for uid in spawned:  # joined within the iteration: not concurrent with itself
            if uid not in end.running and not end.dead:
                self.spawns[uid].multi = self.spawns[uid].kind == F.CTX_MULTI
        after = merge(([merge([state, end])] if has_exit_condition else []) + breaks) if (has_exit_condition or breaks) else merge([end])
        if not has_exit_condition and not breaks:
            after = after.copy()
            after.dead = True
        if range_join is not None and not after.dead:
            after = self.join(range_join, after)
        return after

    def switch(self, node: Node, state: State) -> State:
        init = node.child_by_field_name("initializer")
        if init is not None:
            state = self.stmt(init, state)
        value = node.child_by_field_name("value")
        if value is not None:
            state = self.expr(value, state)
        outs = []
        has_default = False
        for case in node.named_children:
            if case.type not in ("expression_case", "type_case", "default_case"):
                continue
            has_default = has_default or case.type == "default_case"
            s = state.copy()
            for v in case.children_by_field_name("value"):
                s = self.expr(v, s)
            for child in case.named_children:
                if child.type in ("statement_list",) or child.type.endswith("_statement") or child.type == "block":
                    s = self.stmt(child, s)
            outs.append(s)
        if not has_default:
            outs.append(state)
        self.absorb_breaks(outs)
        return merge(outs) if outs else state

    def absorb_breaks(self, outs: list[State]) -> None:
        """A `break` inside a switch/select ends that statement, not the enclosing loop."""

    def select(self, node: Node, state: State) -> State:
        outs = []
        for case in node.named_children:
            if case.type not in ("communication_case", "default_case"):
                continue
            s = state.copy()
            comm = case.child_by_field_name("communication")
            if comm is not None:
                s = self.comm(comm, s)
            for child in case.named_children:
                if child is comm or (comm is not None and child.id == comm.id):
                    continue
                s = self.stmt(child, s)
            outs.append(s)
        if not outs:
            dead = state.copy()
            dead.dead = True  # select {} blocks forever
            return dead
        return merge(outs)

    def comm(self, node: Node, state: State) -> State:
        if node.type == "send_statement":
            return self.send(node, state)
        if node.type == "receive_statement":
            right = node.child_by_field_name("right")
            return self.expr(right, state) if right is not None else state
        return self.expr(node, state)

    # -- exits ---------------------------------------------------------------------------------

    def exit(self, state: State, node: Node, implicit: bool = False) -> State:
        frame = self.frame
        span = self.rel(node) if not implicit else (self.rel(node)[1] - 1, self.rel(node)[1])
        state = self.run_defers(state, span)
        if frame.inline_exits is not None:
            frame.inline_exits.append(state)
        else:
            self.flow_exit(state, span)
        dead = state.copy()
        dead.dead = True
        return dead

    def run_defers(self, state: State, exit_span) -> State:
        defers = state.defers
        state = state.copy()
        state.defers = ()
        prev = self.exit_span
        self.exit_span = exit_span
        try:
            for call, region in reversed(defers):
                self.frame.region, saved = region, self.frame.region
                try:
                    state = self.expr(call, state, deferred=True)
                finally:
                    self.frame.region = saved
                state.dead = False
        finally:
            self.exit_span = prev
        return state

    def flow_exit(self, state: State, span) -> None:
        """The end of a separately walked body: what is still running outlives it."""
        frame = self.frame
        self.start_deferred()
        for uid in state.running:
            frame.flow.unjoined[uid] = span
        if frame.kind in ("decl", F.CTX_REGISTERED, F.CTX_LOOP, F.CTX_ONOWNER, F.CTX_STORED, F.CTX_MULTI):
            for uid in state.running:
                for touch in self.spawns[uid].touches:
                    if self.is_local(touch.key, frame.region):
                        continue
                    if frame.kind == "decl" and self.is_runtime_param(touch.key) and not touch.via_value:
                        continue  # handing a caller's runtime on: the summary lets each caller judge
                    self.add_conflict(uid, touch.key, "exit", span, "", frame.region)
        # a long-lived runtime whose script ran under a watchdog here, and may be left interrupted:
        # the next user fails at once. (An Interrupt that aborts for good — a Stop method, an error
        # thrown from Go — runs no script under it and is not reported.)
        # Still armed (a timer not stopped, a watchdog not joined on this path), it may fire during
        # the next use; only pending (it may have fired after the run ended), a clear at the start
        # of each use deals with it — so that is fine when this function clears before it runs JS.
        for key, (handle, ispan) in list(state.armed.items()) + [(k, (None, v)) for k, v in state.pending.items()]:
            info = self.key_info(key)
            if info.origin in (F.ORIGIN_FIELD, F.ORIGIN_PKG) and frame.kind == "decl" and key in state.ran_armed:
                if handle is None and any(related(c, key) for c in self.entry_clears):
                    continue
                self.interrupt_leaks.append((key, ispan, span, "armed" if handle is not None else None))
        self.check_k6_callbacks(state, span)

    def is_runtime_param(self, key: tuple) -> bool:
        """A runtime (not a Value) the declaration received as a parameter."""
        if len(key) != 2 or key[0] != "b":
            return False
        b = self.bindings.get(key[1])
        return b is not None and b.kind == "param" and b.region == 0 and b.ty.kind == T.RUNTIME

    def is_local(self, key: tuple, region_uid: int) -> bool:
        """Whether a runtime identity belongs to this body alone (made or checked out in it)."""
        info = self.key_info(key)
        if info.origin not in F.LOCAL_ORIGINS:
            return False
        if key[0] == "b":
            b = self.bindings.get(key[1])
            return b is not None and self.region_within(b.region, region_uid)
        if key[0] == "site":
            return True
        return False

    def region_within(self, inner: int, outer: int) -> bool:
        while inner is not None and inner >= 0:
            if inner == outer:
                return True
            inner = self.regions[inner].parent
        return False

    # -- expressions -----------------------------------------------------------------------------

    def expr(self, node: Node | None, state: State, deferred: bool = False) -> State:
        if node is None:
            return state
        t = node.type
        if t == "call_expression":
            return self.call(node, state, deferred=deferred)
        if t == "unary_expression":
            operand = node.child_by_field_name("operand")
            state = self.expr(operand, state)
            if node.children and node.children[0].type == "<-":
                info = self.ei(operand)
                state = self.join(("ch", self.key_of(info, operand)), state)
                self.frame.flow.recvs.add(("ch", self.key_of(info, operand)))
            return state
        if t == "func_literal":
            uid = self.region_of_node.get(node.id)
            if uid is not None:
                self.literal_value(uid)
            return state
        if t == "identifier":
            self.read(node, state)
            return state
        if t == "selector_expression":
            return self.expr(node.child_by_field_name("operand"), state)
        for child in node.named_children:
            state = self.expr(child, state)
        return state

    def read(self, node: Node, state: State) -> None:
        """A plain read of a binding: under a lock, it becomes state the lock guards."""
        if not state.held:
            return
        b = self.binding_at(node)
        if b is not None and (b.ty.holds_values or b.keys) and b.kind != "param":
            b.guarded_by |= set(state.held)
            for m in state.held:
                self.note_guard(m, b)

    def literal_value(self, uid: int) -> None:
        """A literal used as a value (stored, returned, registered): walk it as its own flow."""
        region = self.regions[uid]
        if not (region.kinds() <= INLINE_CONTEXTS) or not region.contexts:
            self.walk_flow(uid)

    def returned(self, node: Node, state: State) -> None:
        info = self.ei(node)
        if info.ty.kind == T.RUNTIME or self.holds_runtime(info.ty):
            key = self.key_of(info, node)
            kinfo = self.key_info(key)
            if kinfo.origin == F.ORIGIN_CHECKOUT:
                self.returns_checkout = True
            elif kinfo.origin == F.ORIGIN_NEW:
                self.returns_new_runtime = True
            # handing the runtime to the caller while a goroutine runs on it: like leaving the
            # function with the goroutine running (an owner loop's constructor does just that)
            for uid in state.running:
                for t in self.spawns[uid].touches:
                    if related(t.key, key):
                        self.add_conflict(uid, t.key, "exit", self.rel(node), f"return {text(node)}", self.region_now)
                        break

    # -- assignments -----------------------------------------------------------------------------

    def assign(self, node: Node, state: State) -> State:
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        lhs = list(left.named_children) if left is not None else []
        rhs = list(right.named_children) if right is not None else []
        return self.assign_values(lhs, rhs, state, node)

    def assign_values(self, lhs: list[Node], rhs: list[Node], state: State, node: Node) -> State:
        self.last_spawn = None
        for r in rhs:
            state = self.expr(r, state)
        spawn = self.last_spawn
        self.last_spawn = None
        for target in lhs:
            if target.type not in ("identifier",):
                state = self.expr(target.child_by_field_name("operand") if target.type in ("selector_expression", "index_expression") else target, state)
        if len(rhs) == 1 and len(lhs) > 1:
            whole = self.ei(rhs[0])
            infos = [whole.result(i) for i in range(len(lhs))]
            sources = [rhs[0]] * len(lhs)
        else:
            infos = [self.ei(r) for r in rhs]
            sources = list(rhs)
        for i, target in enumerate(lhs):
            if i >= len(infos):
                break
            info, source = infos[i], sources[i]
            b = self.binding_at(target) if target.type == "identifier" else None
            if spawn is not None and b is not None and i == 0:
                self.handles[b.uid] = spawn
            if state.held and b is not None and (info.ty.holds_values or info.keys):
                b.guarded_by |= set(state.held)
                for m in state.held:
                    self.note_guard(m, b)
            self.store(target, info, source, node, state)
        return state

    def store(self, target: Node, info, source: Node, node: Node, state: State) -> None:
        """An assignment's target: a package variable, a field of a longer-lived struct, or an
        outer variable of an event-loop callback."""
        holds_values = bool(info.keys) and (info.ty.holds_values or info.ty.kind == T.UNKNOWN)
        is_runtime = info.ty.kind == T.RUNTIME
        root = target
        path = []
        while root is not None and root.type in ("selector_expression", "index_expression", "parenthesized_expression", "unary_expression"):
            if root.type == "selector_expression":
                path.append(text(root.child_by_field_name("field")))
            root = root.child_by_field_name("operand") or (root.named_children[0] if root.named_children else None)
        if root is None or root.type != "identifier" or text(root) == "_":
            return
        b = self.binding_at(root)
        loop_keys = {k for k in info.keys if self.key_info(k).origin == F.ORIGIN_LOOP}
        if is_runtime:
            k = self.key_of(info, source)
            if self.key_info(k).origin == F.ORIGIN_LOOP:
                loop_keys.add(k)
        if loop_keys and self.in_loop_callback(async_only=True):
            if b is None or not self.region_within(b.region, self.region_now):
                self.loop_escapes.append((self.rel(node), text(node), text(target), b.uid if b is not None else -1, loop_keys, self.region_now,
                                          not is_runtime, False))
        if b is None:
            if text(root) in self.index.vars and holds_values:
                self.stores.append(F.Store(self.rel(node), text(target), "pkg", tuple(sorted(info.keys, key=repr)), text(source), self.region_now))
            return
        if path and b.kind in ("param", "recv") and holds_values:
            sname = b.ty.name if b.ty.kind == T.STRUCT else ""
            if sname and not self.index.holds_runtime(sname):
                self.stores.append(F.Store(self.rel(node), text(target), "field", tuple(sorted(info.keys, key=repr)), text(source), self.region_now))
        if path and is_runtime and state.running:
            self.touch(self.key_of(info, source), source, "escape", f"{text(target)} = {text(source)}", state)

    def send(self, node: Node, state: State) -> State:
        ch = node.child_by_field_name("channel")
        value = node.child_by_field_name("value")
        state = self.expr(ch, state)
        state = self.expr(value, state)
        cinfo = self.ei(ch)
        vinfo = self.ei(value)
        elem = cinfo.ty.elem if cinfo.ty.kind == T.CHAN and cinfo.ty.elem is not None else T.T_UNKNOWN
        if self.holds_runtime(elem) and (vinfo.ty.kind == T.RUNTIME or self.holds_runtime(vinfo.ty)):
            return self.pool_return(self.key_of(vinfo, value), node, f"{text(ch)} <- {text(value)}", state)
        if self.chan_canonical(cinfo) in self.index.owner_chans:
            if value.type == "func_literal" or self.regions_of(value) or vinfo.ty.kind == T.FUNC:
                return self.callback(value, F.CTX_ONOWNER, node, state)  # queued for the owner loop
            return self.queued_struct(value, vinfo, node, state)
        ckey = ("ch", self.key_of(cinfo, ch))
        self.frame.flow.signals.add(ckey)
        state = self.cancel_watchdogs(ckey, state)
        if self.in_loop_callback(async_only=True) and (vinfo.ty.kind == T.RUNTIME or vinfo.keys):
            keys = {k for k in vinfo.keys if self.key_info(k).origin == F.ORIGIN_LOOP}
            if vinfo.ty.kind == T.RUNTIME and self.key_info(self.key_of(vinfo, value)).origin == F.ORIGIN_LOOP:
                keys.add(self.key_of(vinfo, value))
            if keys:
                cb = self.root_binding(ch)
                self.loop_escapes.append((self.rel(node), text(node), text(ch), cb.uid if cb is not None else -1, keys, self.region_now,
                                          vinfo.ty.kind != T.RUNTIME, True))
        return state

    # -- calls -------------------------------------------------------------------------------------
