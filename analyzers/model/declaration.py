"""Analyse one top-level declaration into ``DeclFacts`` (and a ``FuncSummary``).

``analyze_declaration`` is the engine's unit of work and of caching: its inputs are the
declaration's text, the file's imports, the package index and the configuration; its output is
plain data. Pass 1 (``resolve``) builds scopes, bindings and the goroutine context of every func
literal; ``settle`` closes the flow of runtime identities between bindings; pass 2 (``flow``)
walks the bodies in order and records touches, goroutines, joins, locks and pool returns.
"""

from __future__ import annotations

from tree_sitter import Node

from . import facts as F
from . import types as T
from .api import EngineConfig
from .bindings import settle
from .contexts import ContextMixin
from .evaluate import EvaluateMixin
from .flow import FlowMixin
from .flow_calls import CallsMixin
from .flow_spawns import SpawnsMixin
from .imports import FileContext
from .index import PackageIndex
from .resolve import ResolveMixin
from .typeexpr import text


class DeclAnalyzer(ResolveMixin, ContextMixin, EvaluateMixin, FlowMixin, CallsMixin, SpawnsMixin):
    def __init__(self, node: Node, fctx: FileContext, index: PackageIndex, config: EngineConfig):
        self.node = node
        self.base = node.start_byte
        self.fctx = fctx
        self.index = index
        self.config = config
        # pass 1
        self.bindings: dict = {}
        self.refs: dict = {}
        self.regions: dict = {}
        self.region_of_node: dict = {}
        self.region_stack = [0]
        self.scopes: list = []
        self.pending_ctx: dict = {}
        self.ei_cache = None
        self.site_origins: dict = {}
        # pass 2
        self.flows: dict = {}
        self.frames: list = []
        self.spawns: dict = {}
        self.spawn_recvs: dict = {}
        self.spawn_iter_keys: dict = {}
        self.conflicts: list = []
        self.conflict_seen: set = set()
        self.touches: list = []
        self.touch_srcs: dict = {}
        self.locks: list = []
        self.held_calls: list = []
        self.stores: list = []
        self.handovers: list = []
        self.pool_returns: list = []
        self.returned_to_pool: set = set()
        self.interrupts: list = []
        self.interrupt_leaks: list = []
        self.clears: set = set()
        self.entry_clears: set = set()  # runtime keys cleared before any JS ran on them here
        self.js_ran: set = set()  # runtime keys JS ran on so far (in walk order)
        self.resets: set = set()
        self.global_sets: list = []
        self.api_misuse: list = []
        self.loop_escapes: list = []
        self.handles: dict = {}
        self.cb_sites: dict = {}
        self.cb_exit_counts: list = []
        self.register_sites: list = []
        self.async_marks: list = []  # (span, region, what): where it starts async work for JS on the owner
        self.param_calls: dict = {}
        self.joins_done: set = set()
        self.drains: set = set()
        self.callees: set = set()
        self.exit_span = None
        self.inline_stack: list = []
        self.last_spawn = None
        self.returns_checkout = False
        self.returns_new_runtime = False
        self.mutex_facts: dict = {}
        self.key_infos: dict = {}
        self.is_handler = False

    # -- driver ----------------------------------------------------------------------------------
    def run(self) -> F.DeclFacts:
        self.resolve_declaration()
        root = self.regions[0]
        if self.node.type in ("function_declaration", "method_declaration"):
            name = text(self.node.child_by_field_name("name"))
            shape = self.index.funcs.get(self.decl_key())
            self.is_handler = bool(shape is not None and shape.is_handler) or name == "ServeHTTP"
            if root.is_goja_callback:
                self.add_context(root, F.CTX_REGISTERED, self.rel(self.node.child_by_field_name("name")))
        settle(self.bindings)
        self.ei_cache = {}
        if self.node.type in ("function_declaration", "method_declaration"):
            self.walk_flow(0)
            for uid in list(self.regions):
                if uid not in self.flows and not (self.regions[uid].kinds() <= {F.CTX_SYNC, "defer", "loop-run"} and self.regions[uid].contexts):
                    self.walk_flow(uid)
            self.finish_spawns()
            settle(self.bindings)  # carry guarded-by (set while walking) along the value flows
        return self.build_facts()

    def decl_key(self) -> str:
        name = text(self.node.child_by_field_name("name"))
        if self.node.type == "method_declaration":
            recv = self.regions[0].params[0].ty if self.regions[0].params and self.regions[0].params[0].kind == "recv" else None
            rname = recv.name if recv is not None and recv.kind == T.STRUCT else ""
            if not rname:  # a method of a non-struct type
                recv_node = self.node.child_by_field_name("receiver")
                t = recv_node.named_children[0].child_by_field_name("type") if recv_node is not None and recv_node.named_children else None
                while t is not None and t.type in ("pointer_type", "generic_type", "parenthesized_type"):
                    t = t.child_by_field_name("type") if t.type == "generic_type" else (t.named_children[0] if t.named_children else None)
                rname = text(t)
            return f"{rname}.{name}"
        return name

    def finish_spawns(self) -> None:
        """Goroutines concurrent with themselves (started in a loop, per request) race with
        themselves on what they did not make; an HTTP handler declaration races with its other
        invocations."""
        for spawn in list(self.spawns.values()):
            if spawn.multi:
                by_key: dict = {}
                for t in spawn.touches:
                    if t.kind != "escape":
                        by_key.setdefault(t.key, []).append(t)
                for key, ts in by_key.items():
                    if self.is_local(key, spawn.body) if spawn.body >= 0 else False:
                        continue
                    if key in self.spawn_iter_keys.get(spawn.uid, ()):
                        continue  # each instance has its own (a per-iteration loop variable)
                    if _common_guard(ts):
                        continue  # every use holds the same lock: the instances take turns
                    self.add_conflict(spawn.uid, key, "self", None, "", spawn.region)
        if self.is_handler:
            touches = [t for t in self.flows[0].footprint if not self.is_local(t.key, 0)]
            if touches:
                self.spawns[0] = F.Spawn(uid=0, span=self.rel(self.node.child_by_field_name("name")), kind=F.CTX_MULTI, region=-1,
                                         body=0, callee=self.decl_key(), touches=touches, multi=True, label=f"HTTP handler {self.decl_key()}")
                by_key = {}
                for t in touches:
                    by_key.setdefault(t.key, []).append(t)
                for key, ts in by_key.items():
                    if not _common_guard(ts):
                        self.add_conflict(0, key, "self", None, "", -1)

    # -- keys ----------------------------------------------------------------------------------
    def key_info(self, key) -> F.KeyInfo:
        info = self.key_infos.get(key)
        if info is None:
            info = self._key_info(key)
            self.key_infos[key] = info
        return info

    def _key_info(self, key) -> F.KeyInfo:
        head = key[0] if key else ""
        if head == "b":
            b = self.bindings.get(key[1])
            if b is None:
                return F.KeyInfo(key, F.ORIGIN_UNKNOWN, "?")
            fields = [str(k) for k in key[2:]]
            label = ".".join([b.name] + self.visible_fields(b.ty, fields))
            origin = b.origin or (F.ORIGIN_PARAM if b.kind in ("param", "recv") else F.ORIGIN_UNKNOWN)
            if fields:
                if fields[-1] == "Runtime()":
                    origin = F.ORIGIN_VU
                elif fields[0] in b.fields and b.fields[fields[0]].origin:
                    origin = b.fields[fields[0]].origin
                elif origin in (F.ORIGIN_PARAM, F.ORIGIN_UNKNOWN):
                    origin = F.ORIGIN_FIELD
            canonical = self.field_canonical(b.ty, fields)
            return F.KeyInfo(key, origin, label, b.origin_span or b.span, b.pool, canonical)
        if head == "pkg":
            return F.KeyInfo(key, F.ORIGIN_PKG, ".".join(str(k) for k in key[1:]), None, "", tuple(key))
        if head == "pkgval":
            return F.KeyInfo(key, F.ORIGIN_GLOBAL_STORE, f"the runtime that made package variable {key[1]}", None, "", tuple(key))
        if head == "implicit":
            region = self.regions.get(key[1])
            label = region.label if region is not None and region.label else "this callback"
            return F.KeyInfo(key, F.ORIGIN_IMPLICIT, f"the runtime that calls {label}", None)
        if head == "valof":
            if len(key) > 2 and key[1] == "pkg":
                return F.KeyInfo(key, F.ORIGIN_GLOBAL_STORE, f"the runtime that made {key[2]}", None)
            inner = key[1:]
            if inner and inner[0] == "b":
                return F.KeyInfo(key, F.ORIGIN_VALUE, "the runtime of " + self.key_info(tuple(inner)).label, None)
            return F.KeyInfo(key, F.ORIGIN_VALUE, "the runtime of this value", None)
        if head == "site":
            origin_ei = self.site_origins.get(key)
            origin = origin_ei.origin if origin_ei is not None and origin_ei.origin else F.ORIGIN_UNKNOWN
            return F.KeyInfo(key, origin, origin_ei.callee or "this runtime" if origin_ei is not None else "this runtime", key[1], origin_ei.pool if origin_ei else "")
        if head == "vu-runtime":
            return F.KeyInfo(key, F.ORIGIN_VU, "the VU's runtime", None)
        return F.KeyInfo(key, F.ORIGIN_UNKNOWN, "a runtime", None)

    def visible_fields(self, ty: T.Ty, fields: list) -> list:
        """A field path as the code writes it: embedded fields whose members are promoted are left
        out (``vu.Runtime()`` for the path vu.VU.Runtime())."""
        out, current = [], ty
        for f in fields:
            found = self.index.field(current.name, f) if current.kind == T.STRUCT and current.name else None
            if found is not None and found[0].embedded:
                current = self.index.resolve(found[0].ty)
                continue
            out.append(f)
            current = self.index.resolve(found[0].ty) if found is not None else T.T_UNKNOWN
        return out

    def field_canonical(self, ty: T.Ty, fields: list) -> tuple:
        """("field", Struct, name) for a field path, named after the struct that declares the last
        field (``t.loop.tasks`` -> ("field", "EventLoop", "tasks")), so that every declaration
        names the same field the same way."""
        if ty.kind != T.STRUCT or not ty.name or not fields:
            return ()
        owner, name, rest = ty.name, None, []
        current = ty
        for i, f in enumerate(fields):
            if f == "[]" and current.kind in T.CONTAINERS and current.elem is not None:
                current = self.index.resolve(current.elem)  # colls[name].vm: the vm of a Collection
                continue
            if current.kind != T.STRUCT or not current.name:
                rest = list(fields[i:])
                break
            found = self.index.field(current.name, f)
            if found is None:
                rest = list(fields[i:])
                break
            shape, owner = found
            name = f
            current = self.index.resolve(shape.ty)
        if name is None:
            return ("field", ty.name) + tuple(fields)
        return ("field", owner, name) + tuple(rest)

    # -- mutexes -------------------------------------------------------------------------------
    def note_mutex(self, key, operand: Node) -> None:
        if key in self.mutex_facts:
            return
        info = self.key_info(key)
        local = key[0] == "b" and len(key) == 2 and self.bindings.get(key[1]) is not None and self.bindings[key[1]].kind == "local"
        span = self.bindings[key[1]].span if local else None
        canonical = info.canonical or (("local", key[1]) if local else tuple(key))
        self.mutex_facts[key] = F.MutexFact(key, text(operand), span, canonical, local)

    def note_guard(self, mkey, b) -> None:
        m = self.mutex_facts.get(mkey)
        if m is None:
            return
        m.guards.add(b.name)
        if b.ty.holds_values or b.keys:
            m.guards_values = True

    # -- output ----------------------------------------------------------------------------------
    def build_facts(self) -> F.DeclFacts:
        facts = F.DeclFacts(name=self.decl_name(), kind=self.node.type)
        # guarded-ness of touches: held mutexes, plus bindings that were state under a lock
        touches = []
        for t in self.touches:
            guards = set(t.guarded)
            for uid in self.touch_srcs.get(id(t), ()):
                b = self.bindings.get(uid)
                if b is not None:
                    guards |= b.guarded_by
            touches.append(F.Touch(t.key, t.span, t.kind, t.region, t.what, tuple(sorted(guards, key=repr)), t.via_value))
        facts.touches = _dedupe(touches, lambda t: (t.key, t.span, t.kind, t.region))
        for spawn in self.spawns.values():
            fixed = []
            for t in spawn.touches:
                guards = set(t.guarded)
                for uid in self.touch_srcs.get(id(t), ()):
                    b = self.bindings.get(uid)
                    if b is not None:
                        guards |= b.guarded_by
                fixed.append(F.Touch(t.key, t.span, t.kind, t.region, t.what, tuple(sorted(guards, key=repr)), t.via_value))
            spawn.touches = _dedupe(fixed, lambda t: (t.key, t.span, t.kind))
        facts.spawns = self.spawns
        facts.conflicts = self.conflicts
        for b in self.bindings.values():
            if T.interesting(b.ty) or b.keys or b.funcs:
                facts.bindings[b.uid] = F.BindingFact(b.uid, b.name, b.kind, b.span, b.ty, b.region, tuple(sorted(b.keys, key=repr)) or ((b.own_key,) if b.ty.kind in (T.RUNTIME, T.LOOP) else ()),
                                                      b.origin_note, tuple(sorted(b.guarded_by, key=repr)))
        facts.refs = {span: uid for span, uid in self.refs.items() if uid in facts.bindings}
        for r in self.regions.values():
            rf = F.RegionFact(r.uid, self.rel(r.node), r.parent, list(r.contexts), r.label, r.runtime_key, r.loop_key)
            facts.regions[r.uid] = rf
        facts.locks = self.locks
        facts.mutexes = self.mutex_facts
        for key, m in self.mutex_facts.items():
            if key[0] == "b" and key[1] in self.bindings and self.bindings[key[1]].guarded_by:
                pass
        facts.held_calls = _dedupe(self.held_calls, lambda h: (h.mutex, h.span))
        facts.stores = _dedupe(self.stores, lambda s: s.span)
        facts.handovers = _dedupe(self.handovers, lambda h: (h.span, h.what, h.runtime_key))
        facts.pool_returns = _dedupe(self.pool_returns, lambda p: (p.span, p.key, p.interrupt, p.globals_set))
        facts.interrupts = self.interrupts
        facts.api_misuse = _dedupe(self.api_misuse + self.k6_callback_misuse(), lambda m: (m.span, m.problem))
        facts.loop_escapes = self.build_loop_escapes()
        facts.interrupt_leaks = self.interrupt_leaks
        facts.global_sets = self.global_sets
        facts.async_marks = self.async_marks
        # every key mentioned gets its KeyInfo
        mentioned = set()
        for t in facts.touches:
            mentioned.add(t.key)
            mentioned.update(t.guarded)
        for c in self.conflicts:
            mentioned.add(c.key)
        for s in self.spawns.values():
            mentioned.update(t.key for t in s.touches)
        for h in facts.handovers:
            mentioned.add(h.runtime_key)
            mentioned.update(h.value_keys)
        for s in facts.stores:
            mentioned.update(s.value_keys)
        for p in facts.pool_returns:
            mentioned.add(p.key)
        for k, _s, _r in self.interrupts:
            mentioned.add(k)
        for b in facts.bindings.values():
            mentioned.update(b.keys)
        for k in mentioned:
            facts.keys[k] = self.key_info(k)
        facts.summary = self.build_summary() if self.node.type in ("function_declaration", "method_declaration") else None
        return facts

    def decl_name(self) -> str:
        if self.node.type in ("function_declaration", "method_declaration"):
            return self.decl_key()
        return text(self.node)[:40]

    def k6_callback_misuse(self) -> list:
        out = []
        for b in self.bindings.values():
            if b.ty.kind != T.K6CB:
                continue
            sites = self.cb_sites.get(b.uid, [])
            refs = [span for span, uid in self.refs.items() if uid == b.uid and span != b.span]
            call_spans = set(sites)
            passed = [r for r in refs if not any(s[0] == r[0] for s in call_spans)]
            anchor = b.origin_span or b.span
            if passed:
                continue  # handed to other code: it is that code's job to call it
            if not sites:
                out.append(F.ApiMisuse(anchor, f"callback `{b.name}` from RegisterCallback() is never called", "cb-never"))
                continue
            # per path, in the flows that call it
            calling_regions = set()
            for s in sites:
                calling_regions.add(self.flow_region_of(s[0]))
            for region, counts, span in self.cb_exit_counts:
                if region not in calling_regions:
                    continue
                possible = counts.get(b.uid, frozenset({0}))
                if 0 in possible:
                    out.append(F.ApiMisuse(anchor, f"callback `{b.name}` from RegisterCallback() is not called on every path", "cb-never", [(span, "this path ends without calling it")]))
                if any(c >= 2 for c in possible):
                    out.append(F.ApiMisuse(anchor, f"callback `{b.name}` from RegisterCallback() may be called twice", "cb-twice", [(s, "called here") for s in sites]))
        return out

    def flow_region_of(self, offset: int) -> int:
        """The separately walked body (flow) whose code contains an offset."""
        best = 0
        best_len = None
        for uid in self.flows:
            s, e = self.rel(self.regions[uid].node)
            if s <= offset < e and (best_len is None or e - s < best_len):
                best, best_len = uid, e - s
        return best

    def build_loop_escapes(self) -> list:
        out = []
        for span, what, target, target_uid, keys, region, value, sent in self.loop_escapes:
            uses = []
            if target_uid > 0:
                name = self.bindings[target_uid].name
                for ref_span, uid in self.refs.items():
                    if uid != target_uid or ref_span == self.bindings[target_uid].span:
                        continue
                    r = self.innermost_region(ref_span[0])
                    if not self.region_in_loop(r) and not (span[0] <= ref_span[0] < span[1]):
                        uses.append((ref_span, f"received from {name} outside the loop" if sent else f"{name} used outside the loop"))
                if not uses:
                    continue
            out.append(F.LoopEscape(span, what, target, target_uid, (), uses, value, sent))
        return out

    def innermost_region_at(self, offset: int) -> int:
        return self.innermost_region(offset)

    def innermost_region(self, offset: int) -> int:
        best, best_len = 0, None
        for r in self.regions.values():
            s, e = self.rel(r.node)
            if s <= offset < e and (best_len is None or e - s < best_len):
                best, best_len = r.uid, e - s
        return best

    def region_in_loop(self, uid: int) -> bool:
        while uid is not None and uid >= 0:
            if self.regions[uid].kinds() & {F.CTX_LOOP, "loop-run"}:
                return True
            uid = self.regions[uid].parent
        return False

    # -- summary ---------------------------------------------------------------------------------
    def to_rel(self, key):
        """A key in this function's terms -> relative to its parameters / receiver / package."""
        if not key:
            return None
        head = key[0]
        if head in ("pkg", "pkgval"):
            return tuple(key)
        if head == "b":
            b = self.bindings.get(key[1])
            if b is None or b.region != 0 or b.kind not in ("param", "recv"):
                return None
            if b.kind == "recv":
                return ("recv",) + tuple(key[2:])
            if b.ty.kind in (T.RUNTIME, T.STRUCT, T.CHAN, T.LOOP, T.VU, T.WAITGROUP, T.ERRGROUP) or b.ty.holds_runtime:
                return ("param", b.param_index) + tuple(key[2:])
            return ("keysof", b.param_index)
        if head == "valof" and len(key) > 1 and key[1] == "b":
            inner = self.to_rel(tuple(key[1:]))
            if inner is not None and inner[0] == "param" and len(key) == 3:
                return ("keysof", inner[1])
            return inner
        return None

    def build_summary(self) -> F.FuncSummary:
        s = F.FuncSummary(self.decl_key())
        flow = self.flows.get(0)
        if flow is None:
            return s
        guards: dict = {}
        for t in flow.footprint:
            rel = self.to_rel(t.key)
            if rel is not None and rel not in s.touches:
                s.touches[rel] = t.kind
            if rel is not None:
                held = frozenset(g for g in (self.to_rel(m) for m in t.guarded) if g is not None)
                guards[rel] = held if rel not in guards else guards[rel] & held
            if t.kind in ("js", "callable"):
                s.runs_js = True
        s.touch_guards = {k: g for k, g in guards.items() if g}
        for uid in flow.unjoined:
            for t in self.spawns[uid].touches:
                rel = self.to_rel(t.key)
                if rel is not None and rel not in s.spawns_touching:
                    s.spawns_touching[rel] = t.kind
        for i, calls in self.param_calls.items():
            ctxs = {c for c, _ in calls}
            s.spawn_params[i] = ("go" if "go" in ctxs else "onowner" if "onowner" in ctxs else
                                 "sync" if "sync" in ctxs else "stored")
            sigs = set()
            for c, region in calls:
                if c == "go" and region in self.flows:
                    for kind, key in self.flows[region].signals:
                        rel = self.to_rel(key) if isinstance(key, tuple) else None
                        if rel is not None:
                            sigs.add((kind, rel))
            if sigs:
                s.param_signals[i] = frozenset(sigs)
        # func parameters never called but kept (appended to a job list, stored in a field): they
        # run later, somewhere else — not inline in the caller
        for p in self.regions[0].params:
            if p.kind == "param" and p.ty.kind == T.FUNC and p.param_index not in s.spawn_params:
                if any(uid == p.uid and span != p.span for span, uid in self.refs.items()):
                    s.spawn_params[p.param_index] = "stored"
        joins = set()
        for kind, key in self.joins_done:
            rel = self.to_rel(key) if isinstance(key, tuple) else None
            if rel is not None:
                joins.add((kind, rel))
        s.joins = frozenset(joins)
        s.drains = frozenset(self.drains)
        s.pool_returns = frozenset(r for r in (self.to_rel(k) for k in self.returned_to_pool) if r is not None)
        s.returns_checkout = self.returns_checkout
        s.returns_new_runtime = self.returns_new_runtime
        s.clears_interrupt = frozenset(r for r in (self.to_rel(k) for k in self.clears) if r is not None)
        s.interrupts = frozenset(r for r in (self.to_rel(k) for k, _span in flow.interrupts) if r is not None)
        s.resets_globals = frozenset(r for r in (self.to_rel(k) for k in self.resets) if r is not None)
        sigs = set()
        # what the function signals, and what the goroutines it leaves running signal when done
        # (a caller joins them by receiving from those channels)
        for uid in flow.unjoined:
            for kind, key in self.spawns[uid].signals:
                rel = self.to_rel(key) if isinstance(key, tuple) else None
                if rel is not None:
                    sigs.add((kind, rel))
        for kind, key in flow.signals:
            rel = self.to_rel(key) if isinstance(key, tuple) else None
            if rel is not None:
                sigs.add((kind, rel))
        s.signals = frozenset(sigs)
        s.locks = frozenset(self.mutex_facts[l.mutex].canonical for l in self.locks if l.mutex in self.mutex_facts)
        return s


def _common_guard(touches: list) -> bool:
    """Whether one mutex is held at every one of these touches."""
    common = None
    for t in touches:
        g = set(t.guarded)
        common = g if common is None else common & g
        if not common:
            return False
    return bool(common)


def _dedupe(items: list, key) -> list:
    seen = set()
    out = []
    for item in items:
        k = key(item)
        if k in seen:
            continue
        seen.add(k)
        out.append(item)
    return out


def analyze_declaration(node: Node, fctx: FileContext, index: PackageIndex, config: EngineConfig) -> F.DeclFacts:
    return DeclAnalyzer(node, fctx, index, config).run()
