"""Mutex verdicts, shared by GJ301/GJ302/GJ303 and hover: necessary, defensive or insufficient.

A mutex serialises goroutines. Whether it is needed depends on where its Lock calls run: if every
one runs on the runtime's own goroutine (inside functions registered into the runtime, event-loop
callbacks), there is nothing to serialise — JS is single-threaded per runtime — and the mutex is
defensive only. If it guards Values that some goroutine uses off the owner, it is insufficient:
it makes the slice safe, not the runtime.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import facts as F
from .base import DeclRef, PackageView
from .ownership import stories

NECESSARY = "necessary"
DEFENSIVE = "defensive"
INSUFFICIENT = "insufficient"
UNKNOWN = "unknown"


def effective_context(facts: F.DeclFacts, region_uid: int) -> str:
    """'on' (runs on the runtime's goroutine), 'off' (another goroutine), 'caller' (whoever
    calls the declaration) or 'unknown' (stored and run later)."""
    r = facts.regions.get(region_uid)
    while r is not None:
        kinds = r.kinds
        if kinds & F.OFF_OWNER_CONTEXTS:
            return "off"
        if kinds & F.ON_OWNER_CONTEXTS or "loop-run" in kinds:
            return "on"
        if F.CTX_STORED in kinds and not kinds & {F.CTX_SYNC, "defer"}:
            return "unknown"
        if r.uid == 0:
            return "caller"
        r = facts.regions.get(r.parent)
    return "caller"


@dataclass
class Verdict:
    kind: str
    decl: DeclRef
    mutex: F.MutexFact
    reasons: list[str] = field(default_factory=list)
    lock_sites: list = field(default_factory=list)  # (DeclRef, LockSite, context)
    off_uses: list = field(default_factory=list)  # stories (GJ302) that show it insufficient


def verdicts(pkg: PackageView) -> list[Verdict]:
    return pkg.memo("mutex_verdicts", lambda: _verdicts(pkg))


def _verdicts(pkg: PackageView) -> list[Verdict]:
    # all lock sites by canonical mutex
    sites: dict = {}
    owners: dict = {}
    for d in pkg.decls:
        for lock in d.facts.locks:
            m = d.facts.mutexes.get(lock.mutex)
            if m is None:
                continue
            canon = (d.path, d.start, m.canonical) if m.local else m.canonical
            sites.setdefault(canon, []).append((d, lock, effective_context(d.facts, lock.region)))
            if canon not in owners or m.local:
                owners[canon] = (d, m)
    insufficient: dict = {}
    for s in stories(pkg):
        if s.rule != "GJ302":
            continue
        for g in s.touch.guarded:
            m = s.decl.facts.mutexes.get(g)
            if m is None:
                continue
            canon = (s.decl.path, s.decl.start, m.canonical) if m.local else m.canonical
            insufficient.setdefault(canon, []).append(s)
    out = []
    for canon, locks in sites.items():
        d, m = owners[canon]
        v = Verdict(UNKNOWN, d, m, lock_sites=locks)
        contexts = {ctx for _, _, ctx in locks}
        if canon in insufficient:
            v.kind = INSUFFICIENT
            v.off_uses = insufficient[canon]
            v.reasons.append("it guards Values that are used off the runtime's goroutine; the lock protects the container, not the runtime")
        elif contexts == {"on"} and (m.local or m.canonical[0] == "field") and not m.escapes:
            v.kind = DEFENSIVE
            v.reasons.append("every Lock runs on the runtime's own goroutine (functions registered into the runtime or loop callbacks), where JS calls are already serial")
        elif "off" in contexts:
            v.kind = NECESSARY
            v.reasons.append("some Lock runs on another goroutine, so it does serialise concurrent access")
        else:
            v.reasons.append("some Lock runs in code whose caller gojaguard cannot see")
        out.append(v)
    return out


def registered_lockers(pkg: PackageView) -> dict:
    """canonical mutex -> lock sites inside functions JS calls (re-entrancy hazards)."""

    def compute():
        out: dict = {}
        for d in pkg.decls:
            for lock in d.facts.locks:
                if lock.op not in ("Lock", "RLock"):
                    continue
                if effective_context(d.facts, lock.region) != "on":
                    continue
                m = d.facts.mutexes.get(lock.mutex)
                if m is None:
                    continue
                canon = (d.path, d.start, m.canonical) if m.local else m.canonical
                out.setdefault(canon, []).append((d, lock))
        return out

    return pkg.memo("registered_lockers", compute)
