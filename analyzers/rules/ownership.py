"""Shared by GJ101, GJ201, GJ202, GJ203 and GJ302: which rule tells each conflict's story.

A conflict says "goroutine S touches runtime identity K while something else may touch it too".
Which rule reports it depends on what K is and how S touches it:

- K is a package variable or a field of a long-lived struct           -> GJ202 (at its declaration)
- the other side returns K to a pool while S may still run             -> GJ203 (at the return)
- S's touch reads state a mutex guards                                 -> GJ302 (the lock is not enough)
- S calls into the runtime (methods, JS calls, hand-over)              -> GJ201
- S uses a Value of K                                                  -> GJ101

One conflict group (goroutine, identity) yields one finding per rule, at the first touch of that
kind, with the rest of the story as related locations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..model import facts as F
from .base import DeclRef, PackageView, Related

RUNTIME_TOUCHES = frozenset({"call", "js", "callable", "pass", "escape", "set-global"})


@dataclass
class Story:
    """One finding to be: its anchor, its verdict, and the related locations."""

    rule: str
    decl: DeclRef
    anchor: F.Span
    key: tuple
    spawn: F.Spawn
    touch: F.Touch | None
    conflicts: list = field(default_factory=list)
    others: list = field(default_factory=list)  # Related (the concurrent side)
    more: int = 0  # further touches of the same kind in the goroutine


def canonical(d: DeclRef, key) -> tuple:
    info = d.facts.keys.get(key)
    if info is not None and info.canonical:
        return info.canonical
    if key and key[0] == "valof" and len(key) > 2 and key[1] == "b":
        inner = d.facts.keys.get(tuple(key[1:]))
        if inner is not None and inner.canonical:
            return inner.canonical
    return ()


def is_shared(d: DeclRef, key) -> bool:
    """A runtime kept where it outlives calls: a package variable or a field of a longer-lived
    struct (GJ202's subject). Values of such a runtime carry the same identity."""
    info = d.facts.keys.get(key)
    return info is not None and info.origin in (F.ORIGIN_PKG, F.ORIGIN_FIELD) and key[0] != "valof"


def _root_struct(d: DeclRef, key) -> str:
    inner = key[1:] if key and key[0] == "valof" else key
    if inner and inner[0] == "b" and len(inner) > 2:
        b = d.facts.bindings.get(inner[1])
        if b is not None and b.ty.kind == "struct":
            return b.ty.name
    return ""


def needs_evidence(pkg: PackageView, d: DeclRef, key) -> bool:
    """A goroutine that keeps using a long-lived runtime after its starter returns is the
    owner-loop pattern (``go s.loop()``), not a bug by itself: it is one only if other code that
    can run meanwhile uses the runtime too. Values in a struct that owns a runtime go with it."""
    info = d.facts.keys.get(key)
    if info is None:
        return False
    if info.origin in (F.ORIGIN_PKG, F.ORIGIN_FIELD) and key[0] != "valof":
        return True
    struct = _root_struct(d, key)
    return bool(struct) and pkg.index.holds_runtime(struct)


def exported(name: str) -> bool:
    base = name.split(".")[-1]
    return bool(base) and base[0].isupper()


def shared_touchers(pkg: PackageView) -> dict:
    """canonical identity -> [(decl, touch)] of touches made directly by exported functions
    (code anyone may call at any time), used as evidence that a long-lived runtime is used while
    a background goroutine runs on it."""

    def compute():
        out: dict = {}
        for d in pkg.decls:
            if not exported(d.facts.name) or d.facts.summary is None:
                continue
            for t in d.facts.touches:
                region = d.facts.regions.get(t.region)
                if region is None or region.off_owner or _under_callback(d, t.region) or t.kind == "pass":
                    continue  # (handing it to code we cannot see is no evidence of use)
                info = d.facts.keys.get(t.key)
                c = canonical(d, t.key)
                if c and info is not None and info.origin in (F.ORIGIN_FIELD, F.ORIGIN_PKG, F.ORIGIN_VALUE):
                    out.setdefault(c, []).append((d, t))
                    if c[0] == "field" and len(c) > 2:  # any field of an owner struct counts
                        out.setdefault(("struct", c[1]), []).append((d, t))
        return out

    return pkg.memo("shared_touchers", compute)


def owner_marks(d: DeclRef, spawn: F.Spawn) -> list:
    """Evidence that the code starting ``spawn`` runs on the runtime's owner: before the goroutine,
    in the same body (or one enclosing it), it makes a promise or registers a loop callback — the
    async shape of a JS-facing function, whose owner keeps running JS after it returns."""
    out = []
    for span, region, what in getattr(d.facts, "async_marks", ()):
        if span[0] < spawn.span[0] and _within(d, spawn.region, region):
            out.append((span, what))
    return out


def _under_callback(d: DeclRef, region_uid: int) -> bool:
    r = d.facts.regions.get(region_uid)
    while r is not None and r.uid != 0:
        if r.kinds & (F.ON_OWNER_CONTEXTS | F.OFF_OWNER_CONTEXTS | {F.CTX_STORED}):
            return True
        r = d.facts.regions.get(r.parent)
    return False


def stories(pkg: PackageView) -> list[Story]:
    return pkg.memo("ownership_stories", lambda: _stories(pkg))


def _stories(pkg: PackageView) -> list[Story]:
    out: list[Story] = []
    for d in pkg.decls:
        facts = d.facts
        groups: dict = {}
        for c in facts.conflicts:
            groups.setdefault((c.spawn, c.key), []).append(c)
        for (spawn_uid, key), conflicts in groups.items():
            spawn = facts.spawns.get(spawn_uid)
            if spawn is None:
                continue
            touches = [t for t in spawn.touches if _related(t.key, key)]
            if not touches:
                continue
            if all(t.kind == "pass" for t in touches):
                # the goroutine only hands the runtime to code gojaguard cannot see (a callback, a
                # function of another module): no evidence that it uses it
                continue
            reasons = {c.reason for c in conflicts}
            shared = is_shared(d, key)
            others = []
            for c in conflicts:
                others.extend(_other_side(pkg, d, c, spawn))
            if reasons <= {"exit"} and needs_evidence(pkg, d, key):
                # a long-lived runtime handed to a background goroutine: a bug only if code that
                # can run meanwhile (exported functions) uses it directly
                canon = canonical(d, key)
                struct = _root_struct(d, key)
                pool = shared_touchers(pkg).get(canon, []) + (shared_touchers(pkg).get(("struct", struct), []) if struct else [])
                evidence = [(dd, t) for dd, t in pool
                            if not (dd is d and (spawn.body >= 0 and _within(dd, t.region, spawn.body) or t.span[0] < spawn.span[0]))
                            and not (spawn.callee and dd.facts.name == spawn.callee)]
                evidence = list({(id(dd), t.span): (dd, t) for dd, t in evidence}.values())
                marks = owner_marks(d, spawn)
                if not evidence and not marks:
                    continue
                others = [pkg.related(dd, t.span, f"{t.what} uses it meanwhile ({dd.facts.name})") for dd, t in evidence[:3]]
                others += [pkg.related(d, span, f"{d.facts.name} {what} here, so it runs on the runtime's owner, which goes on "
                                                f"running JavaScript when it returns") for span, what in marks[:1]]
                if marks:
                    shared = False  # the spawner runs on the owner (a JS-facing async method): a runtime used off its owner
            if shared:
                t = touches[0]
                out.append(Story("GJ202", d, t.span, key, spawn, t, conflicts, others, len(touches) - 1))
                continue
            if "pool-return" in reasons:
                c = next(c for c in conflicts if c.reason == "pool-return")
                out.append(Story("GJ203", d, c.other, key, spawn, touches[0], conflicts, others))
                continue
            guarded = [t for t in touches if t.guarded]
            runtime_level = [t for t in touches if not t.guarded and t.kind in RUNTIME_TOUCHES]
            value_level = [t for t in touches if not t.guarded and t.kind not in RUNTIME_TOUCHES]
            if guarded:
                out.append(Story("GJ302", d, guarded[0].span, key, spawn, guarded[0], conflicts, others, len(guarded) - 1))
            if runtime_level:
                out.append(Story("GJ201", d, runtime_level[0].span, key, spawn, runtime_level[0], conflicts, others, len(runtime_level) - 1))
            elif value_level:
                out.append(Story("GJ101", d, value_level[0].span, key, spawn, value_level[0], conflicts, others, len(value_level) - 1))
    return _merge_same_anchor(out)


def _merge_same_anchor(stories_: list[Story]) -> list[Story]:
    """Two identities touched at the same place (``w`` and ``w.vm``) make one finding."""
    seen = {}
    out = []
    for s in stories_:
        k = (s.rule, s.decl.path, s.decl.start, s.anchor)
        if k in seen:
            continue
        seen[k] = s
        out.append(s)
    return out


def _related(a: tuple, b: tuple) -> bool:
    if a == b:
        return True
    n = min(len(a), len(b))
    return n >= 2 and a[:n] == b[:n]


def _within(d: DeclRef, region: int, outer: int) -> bool:
    r = d.facts.regions.get(region)
    while r is not None:
        if r.uid == outer:
            return True
        r = d.facts.regions.get(r.parent) if r.parent >= 0 else None
    return False


def _other_side(pkg: PackageView, d: DeclRef, c: F.Conflict, spawn: F.Spawn) -> list[Related]:
    if c.reason == "owner-use" and c.other is not None:
        return [pkg.related(d, c.other, f"meanwhile the owner uses it: {c.other_what}")]
    if c.reason == "exit" and c.other is not None:
        return [pkg.related(d, c.other, "the function returns here while the goroutine may still run; its caller keeps the runtime")]
    if c.reason == "other-spawn" and c.other is not None:
        return [pkg.related(d, c.other, "another goroutine started here uses it too")]
    if c.reason == "pool-return" and c.other is not None:
        return [pkg.related(d, c.other, "returned to the pool here")]
    if c.reason == "self":
        return [pkg.related(d, spawn.span, "this code runs concurrently with itself (in a loop / per request)")]
    return []


def origin_phrase(pkg: PackageView, d: DeclRef, key) -> tuple[str, Related | None]:
    """'(checked out from e.runtimePool at line 43)' and a related location for it."""
    info = d.facts.keys.get(key)
    if info is None:
        return "", None
    where = f" at {pkg.at(d, info.span)}" if info.span is not None else ""
    rel = None
    if info.origin == F.ORIGIN_CHECKOUT:
        phrase = f" (checked out from {info.pool}{where})" if info.pool else f" (checked out{where})"
        if info.span is not None:
            rel = pkg.related(d, info.span, f"{quoted(info.label)} is checked out here")
    elif info.origin == F.ORIGIN_NEW:
        phrase = f" (created{where})"
        if info.span is not None:
            rel = pkg.related(d, info.span, f"{quoted(info.label)} is created here")
    elif info.origin == F.ORIGIN_LOOP:
        phrase = " (the event loop's runtime)"
    elif info.origin == F.ORIGIN_PARAM:
        phrase = " (a parameter: its caller owns it)"
        if info.span is not None:
            rel = pkg.related(d, info.span, f"{quoted(info.label)} comes from the caller")
    elif info.origin == F.ORIGIN_IMPLICIT:
        phrase = ""
    else:
        phrase = ""
    return phrase, rel


_GO_EXPR = re.compile(r"^[\w.()\[\]]+$")


def quoted(label: str) -> str:
    """A label as a message shows it: code in backticks, phrases as they are."""
    return f"`{label}`" if label and _GO_EXPR.match(label) and not label.startswith("the ") else label


def label_of(d: DeclRef, key, default: str = "the runtime") -> str:
    info = d.facts.keys.get(key)
    return quoted(info.label) if info is not None else default
