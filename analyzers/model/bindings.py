"""Bindings (variables) of a declaration, and the runtime identities they carry.

A ``Binding`` is one declared name: a parameter, a local, a named result. Its ``keys`` say which
runtime identities it is or belongs to: a runtime binding is its own identity (or an alias of a
path such as ``w.vm``); a Value binding belongs to the runtimes that made it; a slice of Values
belongs to the runtimes of its elements. Keys flow along assignments, appends, sends and ranges;
``Binding.srcs`` records those edges and ``settle`` closes them once the whole declaration is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import types as T
from .facts import Key, Span


@dataclass(eq=False)
class Binding:
    uid: int
    name: str
    kind: str  # "param", "recv", "local", "result", "pkgvar"
    span: Span
    ty: T.Ty
    region: int
    origin: str = ""  # facts.ORIGIN_* for runtime / wrapper bindings
    origin_note: str = ""
    origin_span: Span | None = None
    pool: str = ""  # the pool a checked-out runtime came from
    alias: Key | None = None  # the path this binding aliases (rt := w.vm)
    keys: set = field(default_factory=set)  # runtime identities of a Value / container binding
    srcs: set = field(default_factory=set)  # bindings whose keys flow into this one
    funcs: list = field(default_factory=list)  # region uids of func literals assigned to it
    fields: dict = field(default_factory=dict)  # struct literal fields: name -> EI
    guarded_by: set = field(default_factory=set)
    param_index: int = -2  # for params: position (-1 = receiver)
    const: bool = False  # only ever holds constant data (literals, ToValue(literal), ...)
    recv_chan: object = None  # the channel (path key) it was received from, if any

    @property
    def own_key(self) -> Key:
        return self.alias if self.alias is not None else ("b", self.uid)


@dataclass(frozen=True)
class EI:
    """What an expression is: its type, the runtime identities it is / belongs to, and more.

    ``path`` is set when the expression names a place (``vm``, ``w.vm``, ``s.cache``) that a
    runtime identity can be rooted at. ``srcs`` are the bindings whose keys flow into it.
    """

    ty: T.Ty = T.T_UNKNOWN
    keys: frozenset = frozenset()
    path: Key | None = None
    srcs: frozenset = frozenset()
    origin: str = ""  # for fresh runtimes / wrappers: ORIGIN_NEW, ORIGIN_CHECKOUT, ...
    origin_note: str = ""
    pool: str = ""
    note: str = ""  # "global-object", "pool-get", "fcall", ...
    multi: tuple = ()  # for calls with several results: one EI each
    fields: tuple = ()  # for struct literals: (field name, EI) pairs
    callee: str = ""  # for call expressions: what was called, for messages
    const: bool = False  # built only from constants: the same for every request
    latent: frozenset = frozenset()  # keys of Values hidden in exported data (v.Export().([]goja.Value))

    def result(self, i: int) -> "EI":
        if self.multi:
            return self.multi[i] if i < len(self.multi) else EI()
        return self if i == 0 else EI()


EMPTY = EI()
PLAIN = EI(T.T_PLAIN)
CONST = EI(T.T_PLAIN, const=True)


def settle(bindings: dict[int, Binding]) -> None:
    """Close the key-flow edges: each binding gets the keys of every binding flowing into it."""
    changed = True
    rounds = 0
    while changed and rounds < 20:
        changed = False
        rounds += 1
        for b in bindings.values():
            for s in b.srcs:
                src = bindings.get(s)
                if src is None or src is b:
                    continue
                extra = src.keys - b.keys
                if extra:
                    b.keys |= extra
                    changed = True
                if src.guarded_by - b.guarded_by:
                    b.guarded_by |= src.guarded_by
                    changed = True
