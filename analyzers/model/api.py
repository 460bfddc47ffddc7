"""What the goja, sobek, goja_nodejs, k6 and Go standard APIs do, as data.

One table, read by the type inference (what a call returns), the goroutine-context classifier
(which callbacks run off the owner, which on it) and the rules (which calls run JS, which are
safe from any goroutine). Configuration extends it with import paths of forks and in-house
helpers; nothing else in the engine names an API.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import types as T

# -- import paths -------------------------------------------------------------------------------

ENGINE_PATHS = ("github.com/dop251/goja", "github.com/grafana/sobek")
EVENTLOOP_PATHS = ("github.com/dop251/goja_nodejs/eventloop",)
K6_MODULES_PATHS = (
    "go.k6.io/k6/js/modules",
    "go.k6.io/k6/v2/js/modules",
    "github.com/loadimpact/k6/js/modules",
)
K6_PROMISES_PATHS = ("go.k6.io/k6/js/promises", "go.k6.io/k6/v2/js/promises")
REQUIRE_PATHS = ("github.com/dop251/goja_nodejs/require",)

# Roles a package can play; ``imports.FileContext`` maps each import alias to one.
ROLE_ENGINE = "engine"
ROLE_EVENTLOOP = "eventloop"
ROLE_K6_MODULES = "k6modules"
ROLE_K6_PROMISES = "k6promises"
ROLE_REQUIRE = "require"
ROLE_K6_TASKQUEUE = "k6taskqueue"
ROLE_MODULE = "module"  # another package of the module being checked: read through its summaries
K6_TASKQUEUE_SUFFIX = "/js/taskqueue"  # go.k6.io/k6[/v2][/internal]/js/taskqueue

STD_ROLES = {
    "sync": "sync",
    "time": "time",
    "context": "context",
    "net/http": "http",
    "golang.org/x/sync/errgroup": "errgroup",
    "testing": "testing",
    "runtime": "goruntime",
    "os/signal": "signal",
}


# -- types by (role, name) ------------------------------------------------------------------------

NAMED_TYPES: dict[tuple[str, str], T.Ty] = {
    (ROLE_ENGINE, "Runtime"): T.T_RUNTIME,
    (ROLE_ENGINE, "Value"): T.T_VALUE,
    (ROLE_ENGINE, "Object"): T.T_VALUE,
    (ROLE_ENGINE, "Promise"): T.T_VALUE,
    (ROLE_ENGINE, "Symbol"): T.T_VALUE,
    (ROLE_ENGINE, "ArrayBuffer"): T.T_VALUE,
    (ROLE_ENGINE, "Proxy"): T.T_VALUE,
    (ROLE_ENGINE, "Exception"): T.T_VALUE,
    (ROLE_ENGINE, "Callable"): T.T_CALLABLE,
    (ROLE_ENGINE, "Constructor"): T.T_CALLABLE,
    (ROLE_ENGINE, "FunctionCall"): T.Ty(T.FCALL),
    (ROLE_ENGINE, "ConstructorCall"): T.Ty(T.FCALL),
    (ROLE_ENGINE, "Program"): T.Ty(T.PROGRAM),
    (ROLE_EVENTLOOP, "EventLoop"): T.T_LOOP,
    (ROLE_K6_MODULES, "VU"): T.Ty(T.VU),
    (ROLE_REQUIRE, "Registry"): T.Ty(T.SHARED),
    (ROLE_K6_TASKQUEUE, "TaskQueue"): T.Ty(T.TASKQUEUE),
    ("sync", "Mutex"): T.Ty(T.MUTEX),
    ("sync", "RWMutex"): T.Ty(T.RWMUTEX),
    ("sync", "WaitGroup"): T.Ty(T.WAITGROUP),
    ("sync", "Pool"): T.Ty(T.SYNCPOOL),
    ("sync", "Map"): T.Ty(T.SYNCMAP),
    ("errgroup", "Group"): T.Ty(T.ERRGROUP),
    ("time", "Timer"): T.Ty(T.TIMER),
}


# -- methods of the runtime ----------------------------------------------------------------------


@dataclass(frozen=True)
class Method:
    """What a call does. ``results`` are the types of its results, in order."""

    results: tuple[T.Ty, ...] = ()
    safe: bool = False  # may be called from any goroutine
    runs_js: bool = False  # may run JavaScript (re-entrancy: GJ303)
    effect: str = ""  # "clear-interrupt", "interrupt", "set-global", "reset-global", ...
    callback_args: tuple[int, ...] = ()  # arguments that are callbacks run on the owner
    value_args: tuple[int, ...] = ()  # arguments handed to this runtime / object (GJ102)


_V = (T.T_VALUE,)
_VE = (T.T_VALUE, T.T_PLAIN)

RUNTIME_METHODS: dict[str, Method] = {
    "Interrupt": Method(safe=True, effect="interrupt"),
    # an atomic store in goja: memory-safe anywhere; what matters is that it runs after the
    # interrupter is stopped or joined
    "ClearInterrupt": Method(safe=True, effect="clear-interrupt"),
    "RunString": Method(_VE, runs_js=True),
    "RunScript": Method(_VE, runs_js=True),
    "RunProgram": Method(_VE, runs_js=True),
    "RunModule": Method(_VE, runs_js=True),
    "Get": Method(_V),
    "Set": Method((T.T_PLAIN,), effect="set-global", callback_args=(1,), value_args=(1,)),
    "ToValue": Method(_V, callback_args=(0,), value_args=(0,)),
    "NewObject": Method(_V),
    "NewArray": Method(_V, value_args=(0, 1, 2, 3, 4, 5, 6, 7)),
    "NewArrayBuffer": Method(_V),
    "NewTypeError": Method(_V),
    "NewGoError": Method(_V),
    "NewProxy": Method(_V),
    "NewDynamicObject": Method(_V),
    "NewDynamicArray": Method(_V),
    "CreateObject": Method(_V),
    "NewPromise": Method((T.T_VALUE, T.Ty(T.PROMISE_FN), T.Ty(T.PROMISE_FN))),
    "GlobalObject": Method(_V),
    "ExportTo": Method((T.T_PLAIN,)),
    "New": Method((T.T_VALUE, T.T_PLAIN), runs_js=True, value_args=(0, 1, 2, 3, 4, 5)),
    "Try": Method(_V, runs_js=True),
    "ForOf": Method(runs_js=True),
    "InstanceOf": Method((T.T_PLAIN,)),
    "CaptureCallStack": Method((T.T_PLAIN,)),
    "SetFieldNameMapper": Method(),
    "SetGlobalObject": Method(),
    "SetMaxCallStackSize": Method(),
    "SetParserOptions": Method(),
    "SetRandSource": Method(),
    "SetTimeSource": Method(),
    "SetPromiseRejectionTracker": Method(),
    "SetAsyncContextTracker": Method(),
    "NewSymbol": Method(_V),
}

# Methods of goja.Value / *goja.Object. Every one touches the runtime's heap (even Export walks
# objects and may run getters), so none is safe off-owner.
VALUE_METHODS: dict[str, Method] = {
    "Export": Method((T.T_PLAIN,)),
    "ExportType": Method((T.T_PLAIN,)),
    "String": Method((T.T_PLAIN,), runs_js=True),
    "ToString": Method(_V, runs_js=True),
    "ToInteger": Method((T.T_PLAIN,), runs_js=True),
    "ToFloat": Method((T.T_PLAIN,), runs_js=True),
    "ToNumber": Method(_V, runs_js=True),
    "ToBoolean": Method((T.T_PLAIN,)),
    "ToObject": Method(_V),
    "Get": Method(_V, runs_js=True),
    "GetSymbol": Method(_V, runs_js=True),
    "Set": Method((T.T_PLAIN,), runs_js=True, callback_args=(1,), value_args=(1,)),
    "SetSymbol": Method((T.T_PLAIN,), runs_js=True, value_args=(1,)),
    "Delete": Method((T.T_PLAIN,), effect="reset-global"),
    "DefineDataProperty": Method((T.T_PLAIN,), callback_args=(1,), value_args=(1,)),
    "DefineAccessorProperty": Method((T.T_PLAIN,), callback_args=(1, 2), value_args=(1, 2)),
    "Keys": Method((T.T_PLAIN,)),
    "Symbols": Method((T.T_PLAIN,)),
    "Prototype": Method(_V),
    "SetPrototype": Method((T.T_PLAIN,), value_args=(0,)),
    "ClassName": Method((T.T_PLAIN,)),
    "SameAs": Method((T.T_PLAIN,)),
    "Equals": Method((T.T_PLAIN,)),
    "StrictEquals": Method((T.T_PLAIN,)),
    "MarshalJSON": Method((T.T_PLAIN,), runs_js=True),
    "Bytes": Method((T.T_PLAIN,)),
    "Detach": Method((T.T_PLAIN,)),
    "Result": Method(_V),
    "State": Method((T.T_PLAIN,)),
    "Value": Method(_V),
    "Error": Method((T.T_PLAIN,)),
}

# Package-level functions of the engine. ``safe`` ones make or read nothing of a runtime.
ENGINE_FUNCS: dict[str, Method] = {
    "New": Method((T.T_RUNTIME,), safe=True, effect="new-runtime"),
    "Undefined": Method((T.T_PLAIN,), safe=True),  # a shared primitive: safe anywhere
    "Null": Method((T.T_PLAIN,), safe=True),
    "NaN": Method((T.T_PLAIN,), safe=True),
    "PositiveInf": Method((T.T_PLAIN,), safe=True),
    "NegativeInf": Method((T.T_PLAIN,), safe=True),
    "AssertFunction": Method((T.T_CALLABLE, T.T_PLAIN)),
    "AssertConstructor": Method((T.T_CALLABLE, T.T_PLAIN)),
    "Compile": Method((T.Ty(T.PROGRAM), T.T_PLAIN), safe=True),
    "MustCompile": Method((T.Ty(T.PROGRAM),), safe=True),
    "CompileAST": Method((T.Ty(T.PROGRAM), T.T_PLAIN), safe=True),
    "Parse": Method((T.T_PLAIN, T.T_PLAIN), safe=True),
    "NewSharedDynamicObject": Method((T.Ty(T.SHARED),), safe=True),
    "NewSharedDynamicArray": Method((T.Ty(T.SHARED),), safe=True),
    "NewSymbol": Method((T.T_PLAIN,), safe=True),
    "IsUndefined": Method((T.T_PLAIN,)),
    "IsNull": Method((T.T_PLAIN,)),
    "IsNaN": Method((T.T_PLAIN,)),
    "IsInfinity": Method((T.T_PLAIN,)),
    "IsString": Method((T.T_PLAIN,)),
    "IsNumber": Method((T.T_PLAIN,)),
    "IsBigInt": Method((T.T_PLAIN,)),
    "TagFieldNameMapper": Method((T.T_PLAIN,), safe=True),
    "UncapFieldNameMapper": Method((T.T_PLAIN,), safe=True),
}

# goja_nodejs event loop. Callbacks of Run/RunOnLoop/SetTimeout/SetInterval run on the loop's
# goroutine and receive its runtime.
EVENTLOOP_FUNCS: dict[str, Method] = {
    "NewEventLoop": Method((T.T_LOOP,), safe=True, effect="new-loop"),
}
LOOP_METHODS: dict[str, Method] = {
    "Run": Method(effect="loop-run", callback_args=(0,)),
    "RunOnLoop": Method((T.T_PLAIN,), safe=True, callback_args=(0,)),
    "SetTimeout": Method((T.T_PLAIN,), safe=True, callback_args=(0,)),
    "SetInterval": Method((T.T_PLAIN,), safe=True, callback_args=(0,)),
    "ClearTimeout": Method(safe=True),
    "ClearInterval": Method(safe=True),
    "Start": Method(effect="loop-start"),
    "StartInForeground": Method(effect="loop-start"),
    "Stop": Method((T.T_PLAIN,), effect="loop-stop"),
    "StopNoWait": Method(safe=True),
    "Terminate": Method(effect="loop-terminate"),
}

# k6: a module's VU. Its runtime belongs to the VU's event loop.
VU_METHODS: dict[str, Method] = {
    "Runtime": Method((T.T_RUNTIME,), effect="vu-runtime"),
    "RegisterCallback": Method((T.Ty(T.K6CB),), effect="register-callback"),
    "Context": Method((T.T_PLAIN,), safe=True),
    "State": Method((T.T_PLAIN,)),
    "InitEnv": Method((T.T_PLAIN,)),
    "Events": Method((T.T_PLAIN,)),
}
K6_PROMISES_FUNCS: dict[str, Method] = {
    "New": Method((T.T_VALUE, T.Ty(T.RESOLVER), T.Ty(T.RESOLVER)), effect="promises-new"),
}

REQUIRE_FUNCS: dict[str, Method] = {
    "NewRegistry": Method((T.Ty(T.SHARED),), safe=True),
    "NewRegistryWithLoader": Method((T.Ty(T.SHARED),), safe=True),
}


SYNC_METHODS: dict[str, frozenset] = {
    T.MUTEX: frozenset({"Lock", "Unlock", "TryLock"}),
    T.RWMUTEX: frozenset({"Lock", "Unlock", "RLock", "RUnlock", "TryLock", "TryRLock"}),
    T.WAITGROUP: frozenset({"Add", "Done", "Wait", "Go"}),
}


def methods_of_kind(kind: str):
    """The API methods a value of this kind has (for methods promoted by embedding)."""
    if kind == T.RUNTIME:
        return RUNTIME_METHODS
    if kind in T.VALUE_KINDS:
        return VALUE_METHODS
    if kind == T.LOOP:
        return LOOP_METHODS
    if kind == T.VU:
        return VU_METHODS
    return SYNC_METHODS.get(kind, ())


# -- callbacks run by the Go standard library -----------------------------------------------------


@dataclass(frozen=True)
class Callback:
    """A function argument the callee runs somewhere else."""

    arg: int
    context: str  # "go" (new goroutine), "off" (another goroutine, later), "multi" (concurrently, many times)
    returns: str = ""  # what the call returns that can cancel the callback: "timer", "stopfn"


# (role, function name) for package functions; ("." + type kind, method) for methods.
STD_CALLBACKS: dict[tuple[str, str], Callback] = {
    ("time", "AfterFunc"): Callback(1, "off", returns="timer"),
    ("context", "AfterFunc"): Callback(1, "off", returns="stopfn"),
    ("http", "HandleFunc"): Callback(1, "multi"),
    ("http", "HandlerFunc"): Callback(0, "multi"),
    ("goruntime", "SetFinalizer"): Callback(1, "off"),
}
METHOD_CALLBACKS: dict[tuple[str, str], Callback] = {
    (T.ERRGROUP, "Go"): Callback(0, "go"),
    (T.ERRGROUP, "TryGo"): Callback(0, "go"),
    (T.WAITGROUP, "Go"): Callback(0, "go"),
    (T.TASKQUEUE, "Queue"): Callback(0, "onowner"),
}
# Method names that register HTTP handlers on any mux-like receiver (ServeMux, chi, gorilla...).
HANDLER_REGISTRARS = frozenset({"HandleFunc", "HandlerFunc"})


@dataclass
class EngineConfig:
    """The parts of the user's configuration that extend this table."""

    engine_paths: tuple[str, ...] = ENGINE_PATHS
    owner_functions: frozenset[str] = field(default_factory=frozenset)  # "pkg.Func" / "Type.Method"
    off_owner_functions: frozenset[str] = field(default_factory=frozenset)

    def all_engine_paths(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(ENGINE_PATHS + tuple(self.engine_paths)))

    def key(self) -> tuple:
        return (self.all_engine_paths(), tuple(sorted(self.owner_functions)), tuple(sorted(self.off_owner_functions)))
