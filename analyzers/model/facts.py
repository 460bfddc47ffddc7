"""The facts computed once per declaration, read by every rule and by hover.

Facts are plain data: spans are byte offsets relative to the start of their declaration, so a
declaration whose text did not change keeps its facts (and its cache entry) when lines are
inserted above it. Nothing here holds a tree-sitter node.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .types import Ty

Span = tuple[int, int]  # (start, end) byte offsets relative to the declaration start

# Kinds of goroutine context a function body can run in.
CTX_OWNER = "owner"  # straight-line code of whoever calls it
CTX_SYNC = "sync"  # a closure called synchronously (immediately, deferred, by sort.Slice, ...)
CTX_GO = "go"  # the body of a go statement (or errgroup.Go, wg.Go, a helper that does `go f()`)
CTX_OFF = "off"  # run later on another goroutine (time.AfterFunc, context.AfterFunc)
CTX_MULTI = "multi"  # run concurrently many times (HTTP handlers, parallel subtests)
CTX_REGISTERED = "registered"  # a Go function JS calls: runs on the runtime's goroutine
CTX_LOOP = "loop"  # an event-loop callback (Run, RunOnLoop, SetTimeout, ...): runs on the loop
CTX_ONOWNER = "onowner"  # handed back to the owner (k6 RegisterCallback, a drained chan func())
CTX_STORED = "stored"  # stored or returned: runs whenever its holder calls it

OFF_OWNER_CONTEXTS = frozenset({CTX_GO, CTX_OFF, CTX_MULTI})
ON_OWNER_CONTEXTS = frozenset({CTX_REGISTERED, CTX_LOOP, CTX_ONOWNER})

# Origins of a runtime identity (KeyInfo.origin).
ORIGIN_NEW = "new"  # made here: goja.New(), a fresh wrapper
ORIGIN_CHECKOUT = "checkout"  # taken from a pool here
ORIGIN_PARAM = "param"  # handed in by the caller
ORIGIN_FIELD = "field"  # a field of a longer-lived struct
ORIGIN_PKG = "pkg"  # a package-level variable
ORIGIN_LOOP = "loop"  # the runtime an event loop hands to its callback
ORIGIN_VU = "vu"  # k6 vu.Runtime()
ORIGIN_IMPLICIT = "implicit"  # the runtime that calls this registered function
ORIGIN_VALUE = "value"  # the unknown runtime of a Value that came from elsewhere
ORIGIN_GLOBAL_STORE = "global-store"  # a Value read back from a package-level store
ORIGIN_UNKNOWN = "unknown"

LOCAL_ORIGINS = frozenset({ORIGIN_NEW, ORIGIN_CHECKOUT})

Key = tuple  # a runtime identity: ("b", binding uid, *fields) / ("pkg", name, *fields) / ...


@dataclass
class KeyInfo:
    """What the engine knows of one runtime identity within a declaration."""

    key: Key
    origin: str
    label: str  # how to name it in a message: "vm", "w.vm", "the runtime calling abort"
    span: Span | None = None  # where it was made / checked out / declared
    pool: str = ""  # for a checked-out runtime: the pool's expression
    canonical: tuple = ()  # a declaration-independent name: ("field", "Svc", "vm"), ("pkg", "rt")


@dataclass
class BindingFact:
    uid: int
    name: str
    kind: str  # "param", "recv", "local", "result", "func-var"
    span: Span
    ty: Ty
    region: int  # the region (function body) that declares it
    keys: tuple[Key, ...] = ()  # runtime identities it is / belongs to
    origin_note: str = ""  # "checked out from e.runtimePool", "goja.New()", ...
    guarded_by: tuple[int, ...] = ()  # mutex binding uids held at its accesses


@dataclass
class RegionFact:
    """A function body: the declaration itself (uid 0) or a function literal."""

    uid: int
    span: Span  # the func literal (or the declaration)
    parent: int  # enclosing region uid, -1 for the declaration
    contexts: list[tuple[str, Span]] = field(default_factory=list)  # (context kind, site)
    label: str = ""  # "go func at line 12", "abort (registered)", ...
    runtime_key: Key | None = None  # for registered/loop callbacks: whose runtime calls it
    loop_key: Key | None = None

    @property
    def kinds(self) -> set[str]:
        return {k for k, _ in self.contexts}

    @property
    def off_owner(self) -> bool:
        return bool(self.kinds & OFF_OWNER_CONTEXTS)


@dataclass
class Touch:
    """A use of a runtime identity: a call into it, a use of one of its Values, a hand-over."""

    key: Key
    span: Span
    kind: str  # "call", "js", "value", "callable", "pass", "pool-return", "escape", "set-global"
    region: int
    what: str  # the expression, for messages: "runtime.RunProgram(program)", "listener"
    guarded: tuple[Key, ...] = ()  # mutexes held (or copied-under) when it happens
    via_value: bool = False  # the touch is through a Value (GJ101) rather than the runtime


@dataclass
class Spawn:
    """A goroutine (or off-owner callback) started by a declaration."""

    uid: int
    span: Span  # the go statement / AfterFunc call
    kind: str  # CTX_GO, CTX_OFF, CTX_MULTI
    region: int  # the region that starts it
    body: int  # the region that runs (-1 for a named function)
    callee: str = ""  # for `go f(...)`: the function's name
    touches: list[Touch] = field(default_factory=list)  # in the spawner's key space
    multi: bool = False  # runs concurrently with itself (in a loop, per request)
    signals: frozenset = frozenset()  # channels it sends on / closes, wait groups it Done()s
    label: str = ""


@dataclass
class Conflict:
    """A spawn that touches ``key`` while its spawner (or another spawn) may touch it too."""

    spawn: int
    key: Key
    reason: str  # "owner-use", "pool-return", "exit", "other-spawn", "self", "returned"
    other: Span | None  # the concurrent owner use / exit / other spawn
    other_what: str = ""
    other_region: int = -1
    early_exit: Span | None = None  # for pool returns: the path that skipped the join
    other_kind: str = ""  # the kind of the concurrent touch ("pass" = handed to unknown code)


@dataclass
class LockSite:
    mutex: Key
    span: Span
    op: str  # "Lock", "Unlock", "RLock", "RUnlock", "defer-Unlock"
    region: int


@dataclass
class HeldCall:
    """A call that runs JS while a mutex is held (GJ303)."""

    mutex: Key
    span: Span
    what: str
    lock_span: Span
    region: int


@dataclass
class Store:
    """A Value (or runtime) stored where it outlives the code that made it (GJ103)."""

    span: Span
    target: str  # the expression stored into
    target_kind: str  # "pkg", "field", "syncmap"
    value_keys: tuple[Key, ...]
    what: str
    region: int


@dataclass
class Handover:
    """A Value given to a runtime (GJ102)."""

    span: Span
    value_keys: tuple[Key, ...]
    runtime_key: Key
    what: str
    region: int
    arg_span: Span | None = None  # the Value argument itself (for the quick fix)


@dataclass
class PoolReturn:
    span: Span
    key: Key
    what: str
    region: int
    interrupt: Span | None = None  # an Interrupt (or armed watchdog) not cleared on this path
    globals_set: tuple[tuple[str, Span], ...] = ()  # vm.Set names not reset on this path


@dataclass
class ApiMisuse:
    """Misuse of the loop / k6 APIs (GJ402): the call, and what is wrong."""

    span: Span
    what: str
    problem: str  # "stop-in-loop", "run-while-started", "register-off-owner", "cb-never", "cb-twice"
    related: list[tuple[Span, str]] = field(default_factory=list)


@dataclass
class LoopEscape:
    """A loop callback's runtime (or its Value) stored outside the callback (GJ401)."""

    span: Span
    what: str
    target: str
    target_uid: int  # binding uid of the outer variable (-1 for fields)
    target_canonical: tuple = ()
    uses_outside: list[tuple[Span, str]] = field(default_factory=list)
    value: bool = False  # a Value of the loop's runtime (not the runtime itself)
    sent: bool = False  # sent on a channel (``target`` is the channel), not stored


@dataclass
class MutexFact:
    key: Key
    name: str
    span: Span | None  # declaration (for locals); None when declared in another declaration
    canonical: tuple
    local: bool  # declared in this declaration: every use is visible
    escapes: bool = False  # its address is passed on: uses not visible
    guards: set[str] = field(default_factory=set)  # names of the state accessed under it
    guards_values: bool = False


@dataclass
class FuncSummary:
    """What a caller needs to know of a function without reading its body.

    Keys are expressed relative to the function: ("param", i, *fields), ("recv", *fields),
    ("pkg", name, *fields). The package index keeps one per function and method.
    """

    name: str
    touches: dict[tuple, str] = field(default_factory=dict)  # rel key -> kind of first touch
    spawns_touching: dict[tuple, str] = field(default_factory=dict)  # unjoined at exit
    spawn_params: dict[int, str] = field(default_factory=dict)  # func param i run in: "go"/"onowner"/"loop"/"sync"
    pool_returns: frozenset = frozenset()  # rel keys it puts back into a pool
    returns_checkout: bool = False
    returns_new_runtime: bool = False
    clears_interrupt: frozenset = frozenset()
    resets_globals: frozenset = frozenset()
    signals: frozenset = frozenset()  # ("send", rel chan key) / ("done", rel wg key)
    runs_js: bool = False
    locks: frozenset = frozenset()  # canonical mutex keys it locks
    drains_funcs: bool = False  # runs funcs received from a channel: an owner loop
    param_signals: dict[int, frozenset] = field(default_factory=dict)  # signals of the goroutine running param i
    joins: frozenset = frozenset()  # signals it waits for (wg.Wait in a Wait method)
    drains: frozenset = frozenset()  # channels of funcs it receives and calls: an owner loop's queue
    interrupts: frozenset = frozenset()  # rel keys of runtimes it interrupts (a watchdog's body)
    touch_guards: dict = field(default_factory=dict)  # rel key -> rel keys of mutexes held at its every touch

    def join(self, other: "FuncSummary") -> "FuncSummary":
        """The least summary covering both: used to make the package fixpoint monotone (so it
        converges on mutually recursive functions)."""
        rank = {"stored": 0, "sync": 1, "onowner": 2, "go": 3}
        params = dict(self.spawn_params)
        for i, c in other.spawn_params.items():
            if rank.get(c, 0) >= rank.get(params.get(i, "stored"), 0):
                params[i] = c
        psig = {i: self.param_signals.get(i, frozenset()) | other.param_signals.get(i, frozenset())
                for i in set(self.param_signals) | set(other.param_signals)}
        return FuncSummary(
            self.name, {**other.touches, **self.touches}, {**other.spawns_touching, **self.spawns_touching}, params,
            self.pool_returns | other.pool_returns, self.returns_checkout or other.returns_checkout,
            self.returns_new_runtime or other.returns_new_runtime, self.clears_interrupt | other.clears_interrupt,
            self.resets_globals | other.resets_globals, self.signals | other.signals, self.runs_js or other.runs_js,
            self.locks | other.locks, self.drains_funcs or other.drains_funcs, psig, self.joins | other.joins,
            self.drains | other.drains, self.interrupts | other.interrupts,
            _join_guards(self, other),
        )

    def fingerprint(self) -> tuple:
        cached = self.__dict__.get("_fp")
        if cached is None:
            cached = self.__dict__["_fp"] = self._fingerprint()
        return cached

    def _fingerprint(self) -> tuple:
        return (
            tuple(sorted(self.touches.items())),
            tuple(sorted(self.spawns_touching.items())),
            tuple(sorted(self.spawn_params.items())),
            tuple(sorted(self.pool_returns)),
            self.returns_checkout,
            self.returns_new_runtime,
            tuple(sorted(self.clears_interrupt)),
            tuple(sorted(self.resets_globals)),
            tuple(sorted(self.signals)),
            self.runs_js,
            tuple(sorted(self.locks)),
            self.drains_funcs,
            tuple(sorted(self.param_signals.items())),
            tuple(sorted(self.joins)),
            tuple(sorted(self.drains)),
            tuple(sorted(self.interrupts)),
            tuple(sorted((k, tuple(sorted(v))) for k, v in self.touch_guards.items())),
        )


def _join_guards(a: "FuncSummary", b: "FuncSummary") -> dict:
    """Mutexes held at every touch of a key, in both summaries (a key one of them does not touch
    keeps the other's guards)."""
    out = {}
    for k in set(a.touches) | set(b.touches):
        ga = a.touch_guards.get(k, frozenset()) if k in a.touches else None
        gb = b.touch_guards.get(k, frozenset()) if k in b.touches else None
        g = ga & gb if ga is not None and gb is not None else (ga if gb is None else gb)
        if g:
            out[k] = g
    return out


@dataclass
class DeclFacts:
    """Everything the engine learned from one top-level declaration."""

    name: str
    kind: str
    keys: dict[Key, KeyInfo] = field(default_factory=dict)
    bindings: dict[int, BindingFact] = field(default_factory=dict)
    refs: dict[Span, int] = field(default_factory=dict)  # identifier span -> binding uid
    regions: dict[int, RegionFact] = field(default_factory=dict)
    touches: list[Touch] = field(default_factory=list)
    spawns: dict[int, Spawn] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    locks: list[LockSite] = field(default_factory=list)
    mutexes: dict[Key, MutexFact] = field(default_factory=dict)
    held_calls: list[HeldCall] = field(default_factory=list)
    stores: list[Store] = field(default_factory=list)
    handovers: list[Handover] = field(default_factory=list)
    pool_returns: list[PoolReturn] = field(default_factory=list)
    interrupts: list[tuple[Key, Span, int]] = field(default_factory=list)
    api_misuse: list[ApiMisuse] = field(default_factory=list)
    loop_escapes: list[LoopEscape] = field(default_factory=list)
    interrupt_leaks: list = field(default_factory=list)  # (key, interrupt span, where it bites, how)
    global_sets: list = field(default_factory=list)  # (key, name, span) of vm.Set on any runtime
    # where the declaration starts async work for JS (promises.New, RegisterCallback, NewPromise):
    # it runs on the runtime's owner, which goes on running JS when it returns. (span, region, what)
    async_marks: list = field(default_factory=list)
    summary: FuncSummary | None = None
    # package-level facts of var declarations: name -> (Ty, span, key origin)
    pkg_vars: dict[str, tuple[Ty, Span]] = field(default_factory=dict)
    # uses of package-level runtime variables, by variable: (span, region, what)
    errors: list[str] = field(default_factory=list)

    def region_of(self, offset: int) -> int:
        """The innermost region containing a relative offset."""
        best, best_len = 0, None
        for r in self.regions.values():
            s, e = r.span
            if s <= offset < e and (best_len is None or e - s < best_len):
                best, best_len = r.uid, e - s
        return best
