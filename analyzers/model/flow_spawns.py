"""Pass 2, concurrency: goroutines started and joined, closures inlined, watchdogs, locks, pool
returns, and the touches and conflicts they produce."""

from __future__ import annotations

from tree_sitter import Node

from . import api
from . import facts as F
from . import types as T
from .flow_state import State, merge, related
from .typeexpr import text


class SpawnsMixin:
    def start_deferred(self) -> None:
        """Parallel subtests of this flow start together, once it has returned."""
        frame = self.frame
        if not frame.flow.deferred or getattr(frame.flow, "_deferred_done", False):
            return
        frame.flow._deferred_done = True
        state = State()
        for lit, site, in_loop in frame.flow.deferred:
            state = self.spawn_region(self.region_of_node[lit.id], site, state, F.CTX_GO, multi=in_loop)

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
        interrupts = []
        if summary is not None and touches_only is None:  # a watchdog method: time.AfterFunc(d, h.abort)
            for rel in summary.interrupts:
                interrupts += [(key, self.rel(site)) for key in self.map_rel_key(rel, recv, args)]
            self.interrupts += [(key, span, self.region_now) for key, span in interrupts]
        label = shape.key + "()"
        return self.start_spawn(site, ctx, -1, label, touches, state, signals=frozenset(spawn_signals), multi=multi, callee=shape.key,
                                interrupts=interrupts)

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

    def touch(self, key, node: Node, kind: str, what: str, state: State, via_value: bool = False, srcs=(), guards=()) -> None:
        """A use of ``key`` here; ``guards``: mutexes a callee holds around it (its summary says)."""
        span = self.rel(node)
        t = F.Touch(key, span, kind, self.region_now, what, tuple(state.held) + tuple(g for g in guards if g not in state.held), via_value)
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

    def check_k6_callbacks(self, state: State, span) -> None:
        self.cb_exit_counts.append((self.frame.region, dict(state.cb_calls), span))
