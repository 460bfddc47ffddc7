"""Shared objects: struct types whose methods their callers run concurrently.

No goroutine in the package has to show it: a type whose methods lock a mutex of its own is one
its author expects concurrent callers for (the way Infer's RacerD decides which classes to check).
Every exported method of such a type may run at the same time as itself and the others, so a
long-lived runtime it reaches — a field of the type, or of an object it keeps (``d.colls[name].vm``)
— and runs JS on without holding one common lock is used concurrently (GJ202). A runtime checked
out, made or handed in per call is not shared; a lock held around every use (also inside the
callee that runs the JS) makes the callers take turns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import facts as F
from .base import DeclRef, PackageView
from .ownership import canonical, exported

RUNTIME_USES = frozenset({"call", "js", "callable"})


@dataclass
class SharedType:
    name: str
    locks: list = field(default_factory=list)  # (decl, span, mutex name): its methods lock a mutex of its own


@dataclass
class SharedUse:
    decl: DeclRef
    touch: F.Touch
    owner: SharedType  # the type whose exported method uses the runtime


def shared_types(pkg: PackageView) -> dict[str, SharedType]:
    def compute():
        out: dict[str, SharedType] = {}
        for d in pkg.decls:
            recv = _receiver_type(d)
            if not recv:
                continue
            for lock in d.facts.locks:
                if lock.op not in ("Lock", "RLock") or not _on_receiver(d, lock.mutex):
                    continue
                m = d.facts.mutexes.get(lock.mutex)
                out.setdefault(recv, SharedType(recv)).locks.append((d, lock.span, m.name if m is not None else "a mutex"))
        return out

    return pkg.memo("shared_types", compute)


def concurrent_uses(pkg: PackageView) -> dict[tuple, list[SharedUse]]:
    """canonical runtime -> its uses in exported methods of shared types, when those uses do not
    all hold one lock."""

    def compute():
        types = shared_types(pkg)
        groups: dict[tuple, list[SharedUse]] = {}
        for d in pkg.decls:
            recv = _receiver_type(d)
            owner = types.get(recv)
            if owner is None or not exported(d.facts.name):
                continue
            for t in d.facts.touches:
                if t.kind not in RUNTIME_USES or _under_callback(d, t.region):
                    continue
                info = d.facts.keys.get(t.key)
                canon = canonical(d, t.key)
                if info is None or info.origin not in (F.ORIGIN_FIELD, F.ORIGIN_PKG) or not canon or canon[0] != "field":
                    continue
                if t.key[0] == "b" and (b := d.facts.bindings.get(t.key[1])) is not None and b.kind == "param":
                    continue  # the caller's object: whether it is shared is the caller's business
                groups.setdefault(canon, []).append(SharedUse(d, t, owner))
        return {c: uses for c, uses in groups.items() if not _common_guard(uses)}

    return pkg.memo("concurrent_uses", compute)


def _receiver_type(d: DeclRef) -> str:
    if d.facts.kind != "method_declaration" or "." not in d.facts.name:
        return ""
    return d.facts.name.rsplit(".", 1)[0]


def _on_receiver(d: DeclRef, key) -> bool:
    if not key or key[0] != "b" or len(key) < 3:
        return False
    b = d.facts.bindings.get(key[1])
    return b is not None and b.kind == "recv"


def _under_callback(d: DeclRef, region_uid: int) -> bool:
    r = d.facts.regions.get(region_uid)
    while r is not None and r.uid != 0:
        if r.kinds - {F.CTX_SYNC, "defer"}:
            return True
        r = d.facts.regions.get(r.parent)
    return False


def _common_guard(uses: list[SharedUse]) -> bool:
    """Whether one mutex (by its declaration-independent name) is held at every use."""
    common = None
    for u in uses:
        g = {_mutex_name(u.decl, k) for k in u.touch.guarded}
        common = g if common is None else common & g
        if not common:
            return False
    return bool(common)


def _mutex_name(d: DeclRef, key) -> tuple:
    m = d.facts.mutexes.get(key)
    if m is not None and m.canonical:
        return tuple(m.canonical)
    return canonical(d, key) or (id(d), key)
