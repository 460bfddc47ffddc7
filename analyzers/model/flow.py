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

from dataclasses import dataclass, field

from tree_sitter import Node

from . import api
from . import facts as F
from . import types as T
from .contexts import INLINE_CONTEXTS
from .typeexpr import text

_EXIT_CALLS = frozenset({"os.Exit", "log.Fatal", "log.Fatalf", "log.Fatalln", "log.Panic", "log.Panicf", "runtime.Goexit"})


@dataclass
class State:
    running: dict = field(default_factory=dict)  # spawn uid -> None (an ordered set)
    held: dict = field(default_factory=dict)  # mutex key -> lock span
    pending: dict = field(default_factory=dict)  # runtime key -> Interrupt span (not yet cleared)
    armed: dict = field(default_factory=dict)  # runtime key -> (handle, Interrupt span): a watchdog
    globals: dict = field(default_factory=dict)  # runtime key -> ((name, span), ...)
    started: frozenset = frozenset()  # loop keys Start()ed
    ran_armed: frozenset = frozenset()  # runtime keys that ran JS while a watchdog was armed
    cb_calls: dict = field(default_factory=dict)  # k6 callback binding uid -> possible call counts
    defers: tuple = ()  # (call node, region uid) of the current frame, in order
    dead: bool = False

    def copy(self) -> "State":
        return State(dict(self.running), dict(self.held), dict(self.pending), dict(self.armed),
                     dict(self.globals), self.started, self.ran_armed, dict(self.cb_calls), self.defers, self.dead)


def merge(states: list[State]) -> State:
    live = [s for s in states if not s.dead]
    if not live:
        out = states[0].copy() if states else State()
        out.dead = True
        return out
    out = live[0].copy()
    for s in live[1:]:
        for k in s.running:
            out.running.setdefault(k, None)
        out.held = {k: v for k, v in out.held.items() if k in s.held}
        for k, v in s.pending.items():
            out.pending.setdefault(k, v)
        for k, v in s.armed.items():
            out.armed.setdefault(k, v)
        for k, v in s.globals.items():
            mine = dict(out.globals.get(k, ()))
            mine.update(dict(v))
            out.globals[k] = tuple(mine.items())
        out.started = out.started | s.started
        out.ran_armed = out.ran_armed | s.ran_armed
        for k in set(out.cb_calls) | set(s.cb_calls):
            out.cb_calls[k] = out.cb_calls.get(k, frozenset({0})) | s.cb_calls.get(k, frozenset({0}))
        if len(s.defers) > len(out.defers):
            out.defers = s.defers
    return out


def related(a: tuple, b: tuple) -> bool:
    """Whether two runtime identities may be the same runtime (equal, or one a field path of the other)."""
    if a == b:
        return True
    n = min(len(a), len(b))
    return n >= 2 and a[:n] == b[:n]


@dataclass
class FlowResult:
    """What a body walked as a flow of its own brings to whoever starts it."""

    region: int
    footprint: list = field(default_factory=list)  # Touch
    signals: set = field(default_factory=set)
    recvs: set = field(default_factory=set)  # channels it receives from (watchdog cancellation)
    interrupts: list = field(default_factory=list)  # (key, span)
    unjoined: dict = field(default_factory=dict)  # spawn uids still running at some exit
    inlined: set = field(default_factory=set)  # closures called inline in it: their locals are its own
    deferred: list = field(default_factory=list)  # parallel subtests: they start when it returns
    done: bool = False


class _Frame:
    """Where the walk is: the flow (separately walked body) and the inline closure, if any."""

    __slots__ = ("flow", "region", "kind", "inline_exits", "loop_depth", "breaks", "continues", "loop_spawns")

    def __init__(self, flow: FlowResult, region: int, kind: str):
        self.flow = flow
        self.region = region
        self.kind = kind
        self.inline_exits: list[State] | None = None
        self.loop_depth = 0
        self.breaks: list[list[State]] = []
        self.continues: list[list[State]] = []
        self.loop_spawns: list[list[int]] = []


class FlowMixin:
    # -- flows -------------------------------------------------------------------------------
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
        header_states = [state]
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

    def start_deferred(self) -> None:
        """Parallel subtests of this flow start together, once it has returned."""
        frame = self.frame
        if not frame.flow.deferred or getattr(frame.flow, "_deferred_done", False):
            return
        frame.flow._deferred_done = True
        state = State()
        for lit, site, in_loop in frame.flow.deferred:
            state = self.spawn_region(self.region_of_node[lit.id], site, state, F.CTX_GO, multi=in_loop)

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
        for key, (handle, ispan) in list(state.armed.items()) + [(k, (None, v)) for k, v in state.pending.items()]:
            info = self.key_info(key)
            if info.origin in (F.ORIGIN_FIELD, F.ORIGIN_PKG) and frame.kind == "decl" and key in state.ran_armed:
                self.interrupt_leaks.append((key, ispan, span, None))
        self.check_k6_callbacks(state, span)

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
                self.loop_escapes.append((self.rel(node), text(node), text(target), b.uid if b is not None else -1, loop_keys, self.region_now))
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
                self.loop_escapes.append((self.rel(node), text(node), text(ch), cb.uid if cb is not None else -1, keys, self.region_now))
        return state

    # -- calls -------------------------------------------------------------------------------------
    def call(self, node: Node, state: State, deferred: bool = False) -> State:
        fn = node.child_by_field_name("function")
        args_node = node.child_by_field_name("arguments")
        args = list(args_node.named_children) if args_node is not None else []
        callbacks = {}
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
                info = self.ei(fn)
                for k in self.value_keys(info, fn):
                    self.touch(k, node, "callable", text(node), state, via_value=True, srcs=info.srcs)
                    self.handover(args, k, node, state)
                return state
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
            emb = self.index.embedded_runtime(bty.name)
            if emb and name in api.RUNTIME_METHODS and base.path is not None:
                return self.runtime_call(base.path + (emb,), name, node, args, state)
            found = self.index.field(bty.name, name)
            if found is not None and self.index.resolve(found[0].ty).kind == T.FUNC:
                return self.unknown_call(node, args, state)  # s.cfg.onDone(err): calling a func-valued field
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
            return state
        kind = "js" if (m is not None and m.runs_js) else "call"
        if key in state.pending and kind == "js" and self.key_info(key).origin not in F.LOCAL_ORIGINS | {F.ORIGIN_PARAM}:
            self.interrupt_leaks.append((key, state.pending[key], self.rel(node), "use"))
        if kind == "js" and key in state.armed and key not in state.ran_armed:
            state = state.copy()
            state.ran_armed = state.ran_armed | {key}
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
        if not resets and len(args) > 1 and self.ei(args[1]).const:
            return state  # the same constant for every request: nothing leaks
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
        for i, a in enumerate(args):
            if a.type == "func_literal" or self.regions_of(a) or self.is_func_param(a):
                ctx = summary.spawn_params.get(i, F.CTX_SYNC) if summary is not None else F.CTX_SYNC
                ctx = {"go": F.CTX_GO, "onowner": F.CTX_ONOWNER, "sync": F.CTX_SYNC, "loop": F.CTX_LOOP,
                       "stored": F.CTX_STORED}.get(ctx, F.CTX_SYNC)
                signals = set()
                if summary is not None:
                    for kind, rel in summary.param_signals.get(i, ()):
                        signals.update((kind, k) for k in self.map_rel_key(rel, recv, args))
                state = self.callback(a, ctx, node, state, signals=frozenset(signals))
        if summary is None:
            for a in args:
                state = self.pass_arg(a, node, state)
            if recv is not None:
                info = self.ei(recv)
                if self.holds_runtime(info.ty):
                    self.touch(self.key_of(info, recv), node, "call", text(node), state)
            return state
        for rel, kind in summary.touches.items():
            for key in self.map_rel_key(rel, recv, args):
                self.touch(key, node, kind, text(node), state, via_value=kind in ("value", "callable"))
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
    def go(self, call: Node, stmt: Node, state: State) -> State:
        if call.type != "call_expression":
            return self.expr(call, state)
        fn = call.child_by_field_name("function")
        args_node = call.child_by_field_name("arguments")
        args = list(args_node.named_children) if args_node is not None else []
        for a in args:
            if a.type != "func_literal":
                state = self.expr(a, state)
        if fn is not None and (fn.type == "func_literal" or self.regions_of(fn)):
            for uid in self.regions_of(fn):
                state = self.spawn_region(uid, stmt, state, F.CTX_GO, extra_args=args)
            return state
        fb = self.binding_at(fn) if fn is not None and fn.type == "identifier" else None
        if fb is not None and fb.kind == "param" and fb.region == 0 and fb.ty.kind == T.FUNC:
            self.param_calls.setdefault(fb.param_index, set()).add(("go", -1))  # go fn(): runs its parameter in a goroutine
            return state
        named = self.named_function(fn) if fn is not None else None
        if named is not None:
            shape, recv = named
            if recv is not None:
                state = self.expr(recv, state)
            return self.spawn_named(shape, recv, args, stmt, state, F.CTX_GO)
        # go vm.RunString(src) / go obj.Get(k) / go someFunc(args) of another package: it uses its
        # receiver and whatever runtimes and Values it is given
        touches = []
        if fn is not None and fn.type == "selector_expression":
            operand = fn.child_by_field_name("operand")
            mname = text(fn.child_by_field_name("field"))
            recv = self.ei(operand) if operand is not None else None
            if recv is not None and recv.ty.kind == T.RUNTIME:
                m = api.RUNTIME_METHODS.get(mname)
                if m is None or not m.safe:
                    kind = "js" if m is not None and m.runs_js else "call"
                    touches.append(F.Touch(self.key_of(recv, operand), self.rel(call), kind, self.region_now, text(call)))
            elif recv is not None and recv.ty.is_value:
                for k in self.value_keys(recv, operand):
                    touches.append(F.Touch(k, self.rel(call), "value", self.region_now, text(call), via_value=True))
            elif recv is not None and self.holds_runtime(recv.ty):
                touches.append(F.Touch(self.key_of(recv, operand), self.rel(call), "pass", self.region_now, text(call)))
        for a in args:
            info = self.ei(a)
            if a.type == "func_literal" or self.regions_of(a):
                for uid in self.regions_of(a):
                    res = self.walk_flow(uid)
                    touches += res.footprint
                continue
            if info.ty.kind == T.RUNTIME or self.holds_runtime(info.ty):
                touches.append(F.Touch(self.key_of(info, a), self.rel(a), "pass", self.region_now, text(call)))
            elif info.keys:
                for k in self.value_keys(info, a):
                    touches.append(F.Touch(k, self.rel(a), "value", self.region_now, text(call), via_value=True))
        return self.start_spawn(stmt, F.CTX_GO, -1, text(fn) if fn is not None else "", touches, state, signals=frozenset())

    def spawn_region(self, uid: int, site: Node, state: State, ctx: str, multi: bool = False, signals=frozenset(), extra_args=()) -> State:
        result = self.walk_flow(uid)
        loop_region = ctx == F.CTX_LOOP
        touches = []
        for t in result.footprint:
            root = self.key_root_region(t.key)
            if self.region_within(root, uid) or any(self.region_within(root, r) for r in result.inlined):
                continue  # made inside the goroutine (or a closure it calls): its own business
            if loop_region and self.key_info(t.key).origin not in F.LOCAL_ORIGINS:
                continue  # on the loop: the loop's runtime and its Values are used by their owner
            touches.append(t)
        spawn_signals = frozenset(result.signals) | signals
        state = self.start_spawn(site, F.CTX_OFF if loop_region else ctx, uid, self.regions[uid].label, touches, state,
                                 signals=spawn_signals, multi=multi, recvs=frozenset(result.recvs), interrupts=result.interrupts)
        # a per-iteration loop variable (Go 1.22): each goroutine started in the loop gets its own
        self.spawn_iter_keys.setdefault(self.last_spawn, set()).update(t.key for t in touches if self.is_iteration_var(t.key, site))
        return state

    def is_iteration_var(self, key: tuple, site: Node) -> bool:
        """A range/for variable of a loop around ``site``: since Go 1.22 each iteration has its own."""
        if not key or key[0] != "b":
            return False
        b = self.bindings.get(key[1])
        if b is None or b.kind != "local":
            return False
        node = site.parent
        start = b.span[0] + self.base
        while node is not None and node is not self.node:
            if node.type == "for_statement":
                for c in node.named_children:
                    if c.type in ("range_clause", "for_clause") and c.start_byte <= start < c.end_byte:
                        return True
            node = node.parent
        return False

    def key_root_region(self, key: tuple) -> int:
        if key and key[0] == "b":
            b = self.bindings.get(key[1])
            return b.region if b is not None else -1
        if key and key[0] == "valof" and len(key) > 2 and key[1] == "b":
            b = self.bindings.get(key[2])
            return b.region if b is not None else -1
        if key and key[0] == "implicit":
            return key[1]
        if key and key[0] == "valof" and len(key) > 3 and key[1] == "site":
            return self.innermost_region_at(key[2])  # a Value made by this expression, here
        if key and key[0] == "site":
            return self.innermost_region_at(key[1][0])
        return -1

    def spawn_named(self, shape, recv: Node | None, args: list[Node], site: Node, state: State, ctx: str,
                    multi: bool = False, signals=frozenset(), touches_only=None) -> State:
        summary = self.index.summary(shape.key)
        self.callees.add(shape.key)
        touches = []
        spawn_signals = set(signals)
        if summary is not None:
            source = touches_only if touches_only is not None else {**summary.touches, **summary.spawns_touching}
            for rel, kind in source.items():
                for key in self.map_rel_key(rel, recv, args):
                    touches.append(F.Touch(key, self.rel(site), kind, self.region_now, text(site), via_value=kind in ("value", "callable")))
            for sig in summary.signals:
                kind, rel = sig
                for key in self.map_rel_key(rel, recv, args):
                    spawn_signals.add((kind, key))
        else:
            for a in args:
                info = self.ei(a)
                if info.ty.kind == T.RUNTIME or self.holds_runtime(info.ty):
                    touches.append(F.Touch(self.key_of(info, a), self.rel(a), "pass", self.region_now, text(site)))
        label = shape.key + "()"
        return self.start_spawn(site, ctx, -1, label, touches, state, signals=frozenset(spawn_signals), multi=multi, callee=shape.key)

    def start_spawn(self, site: Node, ctx: str, body: int, label: str, touches: list, state: State, signals=frozenset(),
                    multi: bool = False, recvs=frozenset(), interrupts=(), callee: str = "") -> State:
        span = self.rel(site)
        for existing in self.spawns.values():
            if existing.span == span and existing.body == body and existing.region == self.region_now:
                uid = existing.uid
                break
        else:
            uid = len(self.spawns) + 1
            self.spawns[uid] = F.Spawn(uid=uid, span=span, kind=ctx, region=self.region_now, body=body, callee=callee,
                                       touches=touches, multi=multi or ctx == F.CTX_MULTI, signals=signals, label=label)
            self.spawn_recvs[uid] = recvs
        spawn = self.spawns[uid]
        if self.frame.loop_depth > 0 and ctx in (F.CTX_GO, F.CTX_OFF):
            spawn.multi = True
            self.frame.loop_spawns[-1].append(uid)
        # what already runs and touches the same runtime races with the new goroutine
        for other in list(state.running):
            if other == uid:
                continue
            for t in self.spawns[other].touches:
                hits = [n for n in touches if related(t.key, n.key) and not self.same_guard(t, n)]
                if hits:
                    strong = any(n.kind != "pass" for n in hits)
                    self.add_conflict(other, t.key, "other-spawn", span, label, self.region_now, other_kind="call" if strong else "pass")
        # the new goroutine joins the footprint of the flow that starts it
        self.frame.flow.footprint.extend(touches)
        state = state.copy()
        state.running[uid] = None
        for key, ispan in interrupts:
            state.armed[key] = (uid, ispan)
        self.last_spawn = uid
        return state

    def same_guard(self, a: F.Touch, b: F.Touch) -> bool:
        return bool(set(a.guarded) & set(b.guarded))

    def inline(self, uid: int, state: State) -> State:
        """Walk a closure called right here with the current state."""
        if uid in self.inline_stack or uid is None:
            return state
        region = self.regions[uid]
        if region.body is None:
            return state
        self.inline_stack.append(uid)
        frame = self.frame
        frame.flow.inlined.add(uid)
        saved = (frame.region, frame.inline_exits, frame.breaks, frame.continues)
        frame.region = uid
        frame.inline_exits = []
        frame.breaks, frame.continues = [], []
        outer_defers = state.defers
        inner = state.copy()
        inner.defers = ()
        try:
            end = self.block(region.body, inner)
            if not end.dead:
                end = self.run_defers(end, (self.rel(region.body)[1] - 1, self.rel(region.body)[1]))
            exits = frame.inline_exits + ([end] if not end.dead else [])
        finally:
            frame.region, frame.inline_exits, frame.breaks, frame.continues = saved
            self.inline_stack.pop()
        out = merge(exits) if exits else end
        out = out.copy()
        out.defers = outer_defers
        if not exits:
            out.dead = True
        return out

    # -- joins, watchdogs -------------------------------------------------------------------------
    def join(self, signal, state: State) -> State:
        if self.frames and self.frame.flow.region == 0:
            self.joins_done.add(signal)
        joined = [uid for uid in state.running if self.signal_matches(signal, self.spawns[uid].signals)]
        if not joined:
            return state
        state = state.copy()
        for uid in joined:
            del state.running[uid]
            for key, (handle, ispan) in list(state.armed.items()):
                if handle == uid:
                    del state.armed[key]
                    state.pending[key] = ispan
        return state

    @staticmethod
    def signal_matches(signal, signals) -> bool:
        if signal in signals:
            return True
        kind, key = signal
        return any(k == kind and isinstance(other, tuple) and related(key, other) for k, other in signals)

    def cancel_watchdogs(self, ckey, state: State) -> State:
        """A send / close on a channel a watchdog goroutine waits on: it may still fire once."""
        hits = [(key, handle, ispan) for key, (handle, ispan) in state.armed.items()
                if isinstance(handle, int) and ckey in self.spawn_recvs.get(handle, ())]
        if not hits:
            return state
        state = state.copy()
        for key, _handle, ispan in hits:
            del state.armed[key]
            state.pending[key] = ispan
        return state

    def disarm(self, binding_uid: int, state: State) -> State:
        spawn = self.handles.get(binding_uid)
        if spawn is None:
            return state
        hits = [(k, ispan) for k, (handle, ispan) in state.armed.items() if handle == spawn]
        if not hits:
            return state
        state = state.copy()
        for k, ispan in hits:
            del state.armed[k]
            state.pending[k] = ispan  # the timer may have fired already
        return state

    # -- mutexes --------------------------------------------------------------------------------
    def lock_op(self, key, name: str, node: Node, state: State, operand: Node) -> State:
        self.note_mutex(key, operand)
        span = self.rel(node)
        if name in ("Lock", "RLock"):
            self.locks.append(F.LockSite(key, span, name, self.region_now))
            state = state.copy()
            state.held[key] = span
        elif name in ("Unlock", "RUnlock"):
            self.locks.append(F.LockSite(key, span, name, self.region_now))
            state = state.copy()
            state.held.pop(key, None)
        return state

    def held_js(self, node: Node, state: State) -> None:
        for mkey, lspan in state.held.items():
            self.held_calls.append(F.HeldCall(mkey, self.rel(node), text(node), lspan, self.region_now))

    # -- pools ------------------------------------------------------------------------------------
    def pool_return(self, key, node: Node, what: str, state: State) -> State:
        span = self.rel(node)
        for uid in state.running:
            for t in self.spawns[uid].touches:
                if related(t.key, key):
                    self.add_conflict(uid, t.key, "pool-return", span, what, self.region_now, early_exit=self.exit_span)
                    break
        interrupt = None
        for k, (handle, ispan) in state.armed.items():
            if related(k, key):
                interrupt = ispan
        for k, ispan in state.pending.items():
            if related(k, key):
                interrupt = ispan
        globals_set = ()
        for k, entries in state.globals.items():
            if related(k, key) and self.key_info(k).origin == F.ORIGIN_CHECKOUT:
                globals_set += tuple(entries)
        self.pool_returns.append(F.PoolReturn(span, key, what, self.region_now, interrupt, globals_set))
        self.returned_to_pool.add(key)
        return state

    # -- touches and conflicts ------------------------------------------------------------------
    def touch(self, key, node: Node, kind: str, what: str, state: State, via_value: bool = False, srcs=()) -> None:
        span = self.rel(node)
        t = F.Touch(key, span, kind, self.region_now, what, tuple(state.held), via_value)
        self.touch_srcs[id(t)] = tuple(srcs)
        self.touches.append(t)
        self.frame.flow.footprint.append(t)
        if kind in ("js", "callable") and state.held:
            self.held_js(node, state)
        for uid in state.running:
            for st in self.spawns[uid].touches:
                if related(st.key, key) and not self.same_guard(st, t):
                    self.add_conflict(uid, st.key, "owner-use", span, what, self.region_now, early_exit=self.exit_span, other_kind=kind)
                    break

    def add_conflict(self, spawn: int, key, reason: str, other, other_what: str, region: int, early_exit=None, other_kind: str = "") -> None:
        sig = (spawn, key, reason, other)
        if sig in self.conflict_seen:
            return
        self.conflict_seen.add(sig)
        self.conflicts.append(F.Conflict(spawn, key, reason, other, other_what, region, early_exit, other_kind))

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

    def check_k6_callbacks(self, state: State, span) -> None:
        self.cb_exit_counts.append((self.frame.region, dict(state.cb_calls), span))
