"""The state the flow walker carries along each path of a function body, and its merge."""

from __future__ import annotations

from dataclasses import dataclass, field

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
