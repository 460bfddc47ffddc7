"""The small type lattice the engine reasons with.

gojaguard has no Go type checker; it needs to know only which expressions are goja runtimes,
Values (and containers of them), event loops, pools, mutexes, wait groups and the like. ``Ty`` is
that knowledge: a kind plus, for containers, the element type. Pointers are transparent.
"""

from __future__ import annotations

from dataclasses import dataclass

# Kinds of the goja family.
RUNTIME = "runtime"  # *goja.Runtime
VALUE = "value"  # goja.Value, *goja.Object, *goja.Promise, *goja.Symbol, ArrayBuffer
CALLABLE = "callable"  # goja.Callable / goja.Constructor: calling it runs JS
FCALL = "fcall"  # goja.FunctionCall / goja.ConstructorCall: Arguments/This are Values
PROGRAM = "program"  # *goja.Program: safe to share
SHARED = "shared"  # NewSharedDynamicObject, require.Registry: safe to share
LOOP = "loop"  # *eventloop.EventLoop
VU = "vu"  # k6 modules.VU
K6CB = "k6cb"  # the func returned by vu.RegisterCallback()
RESOLVER = "resolver"  # resolve/reject of promises.New(vu): safe anywhere; args are evaluated there
PROMISE_FN = "promise-fn"  # resolve/reject of Runtime.NewPromise: owner-only
TASKQUEUE = "taskqueue"  # k6 taskqueue.TaskQueue: Queue(f) runs f on the VU's loop

# Go concurrency kinds.
MUTEX = "mutex"  # sync.Mutex
RWMUTEX = "rwmutex"  # sync.RWMutex
WAITGROUP = "waitgroup"  # sync.WaitGroup
ERRGROUP = "errgroup"  # errgroup.Group
SYNCPOOL = "syncpool"  # sync.Pool
SYNCMAP = "syncmap"  # sync.Map
TIMER = "timer"  # *time.Timer (AfterFunc's result)
STOPFN = "stopfn"  # context.AfterFunc's stop func

# Containers and the rest.
CHAN = "chan"
SLICE = "slice"
MAP = "map"
STRUCT = "struct"  # a named struct type of the package; ``name`` says which
FUNC = "func"
PLAIN = "plain"  # Go data known to hold nothing of the above (Export() results, strings, ...)
UNKNOWN = "unknown"

VALUE_KINDS = frozenset({VALUE, CALLABLE})
CONTAINERS = frozenset({CHAN, SLICE, MAP})


@dataclass(frozen=True)
class Ty:
    kind: str
    elem: "Ty | None" = None
    name: str = ""
    params: tuple["Ty", ...] = ()
    results: tuple["Ty", ...] = ()

    # -- questions rules ask -------------------------------------------------------------------
    @property
    def is_runtime(self) -> bool:
        return self.kind == RUNTIME

    @property
    def is_value(self) -> bool:
        return self.kind in VALUE_KINDS

    @property
    def is_mutex(self) -> bool:
        return self.kind in (MUTEX, RWMUTEX)

    def base(self) -> "Ty":
        """The innermost element of nested containers (``[]map[string]goja.Value`` -> Value)."""
        t = self
        while t.kind in CONTAINERS and t.elem is not None:
            t = t.elem
        return t

    @property
    def holds_values(self) -> bool:
        """A Value, or a container whose elements are Values."""
        return self.base().kind in VALUE_KINDS

    @property
    def holds_runtime(self) -> bool:
        return self.base().kind == RUNTIME

    def describe(self) -> str:
        if self.kind in CONTAINERS and self.elem is not None:
            prefix = {"chan": "chan ", "slice": "[]", "map": "map[…]"}[self.kind]
            return prefix + self.elem.describe()
        if self.kind == STRUCT:
            return self.name or "struct"
        return _DESCRIBE.get(self.kind, self.kind)


_DESCRIBE = {
    RUNTIME: "*goja.Runtime",
    VALUE: "goja.Value",
    CALLABLE: "goja.Callable",
    FCALL: "goja.FunctionCall",
    PROGRAM: "*goja.Program",
    LOOP: "*eventloop.EventLoop",
    VU: "modules.VU",
    MUTEX: "sync.Mutex",
    RWMUTEX: "sync.RWMutex",
    WAITGROUP: "sync.WaitGroup",
    SYNCPOOL: "sync.Pool",
}

T_UNKNOWN = Ty(UNKNOWN)
T_PLAIN = Ty(PLAIN)
T_RUNTIME = Ty(RUNTIME)
T_VALUE = Ty(VALUE)
T_CALLABLE = Ty(CALLABLE)
T_LOOP = Ty(LOOP)


def chan_of(t: Ty) -> Ty:
    return Ty(CHAN, elem=t)


def slice_of(t: Ty) -> Ty:
    return Ty(SLICE, elem=t)


def interesting(t: Ty) -> bool:
    """Whether values of this type matter to any rule (cheap filter for bindings)."""
    return t.kind not in (UNKNOWN, PLAIN)
