"""Hover: what gojaguard knows about the thing under the cursor, told from the same facts the
rules used — who owns a runtime, where it was made, checked out and returned, on which goroutine
each use runs; for a mutex, its verdict and why; for a `go` statement, what the goroutine touches
and whether it is joined; and, on a diagnostic, the rule's explanation.
"""

from __future__ import annotations

from dataclasses import dataclass

from .engine import PackageResult
from .model import facts as F
from .rules import RULES
from .rules.base import DeclRef, PackageView
from .rules.mutexes import DEFENSIVE, INSUFFICIENT, NECESSARY, verdicts
from .rules.ownership import quoted

ZH = "zh"


@dataclass
class Hover:
    markdown: str
    start: int  # absolute byte range the hover is about
    end: int


def _t(locale: str, en: str, zh: str) -> str:
    return zh if locale == ZH else en


def normalize_locale(locale: str | None) -> str:
    return ZH if locale and locale.lower().startswith("zh") else "en"


def region_phrase(d: DeclRef, pkg: PackageView, uid: int, locale: str) -> str:
    """On which goroutine the code of a region runs, in words."""
    facts = d.facts
    r = facts.regions.get(uid)
    chain = []
    while r is not None:
        kinds = r.kinds
        site = next((s for k, s in r.contexts), None)
        at = f" ({pkg.at(d, site)})" if site is not None else ""
        if F.CTX_GO in kinds:
            return _t(locale, f"a new goroutine{at}", f"新的 goroutine{at}")
        if F.CTX_MULTI in kinds:
            return _t(locale, f"concurrent handler calls{at}", f"并发的处理函数调用{at}")
        if F.CTX_OFF in kinds:
            return _t(locale, f"a callback on another goroutine{at}", f"另一个 goroutine 上的回调{at}")
        if F.CTX_REGISTERED in kinds:
            return _t(locale, f"the runtime's goroutine (a function JS calls){at}", f"运行时自己的 goroutine（由 JS 调用的函数）{at}")
        if F.CTX_LOOP in kinds or "loop-run" in kinds:
            return _t(locale, f"the event loop's goroutine{at}", f"事件循环的 goroutine{at}")
        if F.CTX_ONOWNER in kinds:
            return _t(locale, f"the owner, handed back{at}", f"交回给所属者执行{at}")
        chain.append(r)
        if r.uid == 0:
            break
        r = facts.regions.get(r.parent)
    return _t(locale, "the caller's goroutine (the owner's code)", "调用者的 goroutine（所属者的代码）")


def _origin(d: DeclRef, pkg: PackageView, info: F.KeyInfo, locale: str) -> str:
    at = f" {pkg.at(d, info.span)}" if info.span is not None else ""
    o = info.origin
    if o == F.ORIGIN_NEW:
        return _t(locale, f"created here{at}: owned by this code", f"在此创建{at}：归这段代码所有")
    if o == F.ORIGIN_CHECKOUT:
        src = f" from `{info.pool}`" if info.pool else ""
        return _t(locale, f"checked out{src}{at}: owned by this code until it goes back", f"从池中取出{at}：归还之前归这段代码所有")
    if o == F.ORIGIN_PARAM:
        return _t(locale, "a parameter: owned by the caller", "参数：归调用者所有")
    if o == F.ORIGIN_FIELD:
        return _t(locale, "a field of a longer-lived struct: shared by every method that reaches it", "长生命周期结构体的字段：所有能访问它的方法共享")
    if o == F.ORIGIN_PKG:
        return _t(locale, "a package variable: shared by all code of the package", "包级变量：整个包的代码共享")
    if o == F.ORIGIN_LOOP:
        return _t(locale, "the event loop's runtime: use it only inside loop callbacks", "事件循环的运行时：只能在循环回调中使用")
    if o == F.ORIGIN_VU:
        return _t(locale, "the VU's runtime, owned by its event loop", "VU 的运行时，归其事件循环所有")
    if o == F.ORIGIN_IMPLICIT:
        return _t(locale, "the runtime whose JS calls this function", "调用这个函数的 JS 所在的运行时")
    if o == F.ORIGIN_GLOBAL_STORE:
        return _t(locale, "read from a package-level store: any runtime may have made it", "从包级存储中读取：可能由任何运行时创建")
    return _t(locale, "unknown", "未知")


def _key_section(d: DeclRef, pkg: PackageView, key, locale: str, limit: int = 8) -> list[str]:
    info = d.facts.keys.get(key)
    if info is None:
        return []
    lines = [_t(locale, f"**Owner:** {_origin(d, pkg, info, locale)}", f"**所属：**{_origin(d, pkg, info, locale)}")]
    uses = [t for t in d.facts.touches if t.key == key or (len(t.key) > len(key) and t.key[: len(key)] == key)]
    if uses:
        lines.append(_t(locale, "**Uses:**", "**使用：**"))
        for t in uses[:limit]:
            lines.append(f"- {pkg.at(d, t.span)}: `{_short(t.what)}` — {region_phrase(d, pkg, t.region, locale)}")
        if len(uses) > limit:
            lines.append(_t(locale, f"- … {len(uses) - limit} more", f"- … 另有 {len(uses) - limit} 处"))
    for p in d.facts.pool_returns:
        if p.key == key:
            lines.append(_t(locale, f"**Returned to the pool:** {pkg.at(d, p.span)}", f"**归还到池：**{pkg.at(d, p.span)}"))
    for k, span, _r in d.facts.interrupts:
        if k == key:
            lines.append(_t(locale, f"**Interrupted:** {pkg.at(d, span)} (safe from any goroutine)", f"**中断：**{pkg.at(d, span)}（可从任意 goroutine 调用）"))
    conflicts = [c for c in d.facts.conflicts if c.key == key]
    if conflicts:
        spawn = d.facts.spawns.get(conflicts[0].spawn)
        if spawn is not None:
            lines.append(_t(locale, f"⚠️ used concurrently by the goroutine started {pkg.at(d, spawn.span)}",
                            f"⚠️ 被{pkg.at(d, spawn.span)}启动的 goroutine 并发使用"))
    elif uses and all(not d.facts.regions[t.region].off_owner for t in uses if t.region in d.facts.regions):
        lines.append(_t(locale, "✅ every use here runs on its owner's goroutine", "✅ 这里的每次使用都在所属 goroutine 上"))
    elif uses:
        lines.append(_t(locale, "✅ handed to a goroutine, and not used by anyone else while it runs",
                        "✅ 移交给 goroutine，在它运行期间没有其他代码使用"))
    return [_markdown(lines)]


def _markdown(lines: list[str]) -> str:
    """Lines to markdown: consecutive "- " items form one list; every other line is a paragraph
    (a single newline would run fields together in a markdown renderer)."""
    blocks: list[list[str]] = []
    for line in lines:
        if line.startswith("- ") and blocks and blocks[-1][0].startswith("- "):
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return "\n\n".join("\n".join(b) for b in blocks)


def _short(s: str, n: int = 60) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


def _mutex_section(pkg: PackageView, d: DeclRef, key, locale: str) -> list[str]:
    m = d.facts.mutexes.get(key)
    canon = (d.path, d.start, m.canonical) if m is not None and m.local else (m.canonical if m is not None else None)
    for v in verdicts(pkg):
        vcanon = (v.decl.path, v.decl.start, v.mutex.canonical) if v.mutex.local else v.mutex.canonical
        if vcanon != canon:
            continue
        word = {
            DEFENSIVE: _t(locale, "defensive (serialises nothing)", "防御性（没有串行化任何东西）"),
            INSUFFICIENT: _t(locale, "insufficient (guards the container, not the runtime)", "不足（保护了容器，没有保护运行时）"),
            NECESSARY: _t(locale, "necessary", "必要"),
        }.get(v.kind, _t(locale, "undecided", "无法判断"))
        lines = [_t(locale, f"**Verdict:** {word}", f"**结论：**{word}")]  # joined below
        lines += [f"- {r}" for r in v.reasons]
        lines.append(_t(locale, "**Lock sites:**", "**加锁位置：**"))
        sites = []
        for dd, lock, _ctx in v.lock_sites:  # a site reached in two contexts is listed once
            line = f"- {pkg.at(dd, lock.span)}: `{lock.op}` — {region_phrase(dd, pkg, lock.region, locale)}"
            if line not in sites:
                sites.append(line)
        lines += sites[:8]
        if v.mutex.guards:
            lines.append(_t(locale, f"**Guards:** {', '.join(f'`{g}`' for g in sorted(v.mutex.guards))}",
                            f"**保护：**{', '.join(f'`{g}`' for g in sorted(v.mutex.guards))}"))
        for s in v.off_uses[:3]:
            lines.append(_t(locale, f"- off-owner use {pkg.at(s.decl, s.anchor)}: `{_short(s.touch.what)}`",
                            f"- 所属 goroutine 之外的使用 {pkg.at(s.decl, s.anchor)}：`{_short(s.touch.what)}`"))
        if v.kind == DEFENSIVE:
            lines.append(_t(locale, "Removing it is optional; keeping it changes nothing.", "删除它是可选的；保留它也不会改变任何行为。"))
        return [_markdown(lines)]
    return [_t(locale, "**Verdict:** no Lock of it seen in this package", "**结论：**本包中没有看到对它加锁")]


def _spawn_section(pkg: PackageView, d: DeclRef, spawn: F.Spawn, locale: str) -> list[str]:
    lines = [_t(locale, f"**Starts:** {spawn.label or 'a goroutine'} ({spawn.kind})", f"**启动：**{spawn.label or 'goroutine'}（{spawn.kind}）")]
    seen = set()
    for t in spawn.touches[:8]:
        info = d.facts.keys.get(t.key)
        label = quoted(info.label) if info is not None else "?"
        if (label, t.span) in seen:
            continue
        seen.add((label, t.span))
        lines.append(_t(locale, f"- uses {label} {pkg.at(d, t.span)}: `{_short(t.what)}`", f"- 使用 {label} {pkg.at(d, t.span)}：`{_short(t.what)}`"))
    conflicts = [c for c in d.facts.conflicts if c.spawn == spawn.uid]
    if conflicts:
        lines.append(_t(locale, "⚠️ runs concurrently with other uses of the same runtime", "⚠️ 与同一运行时的其他使用并发运行"))
    elif spawn.touches:
        lines.append(_t(locale, "✅ a complete hand-off: nothing else uses what it uses while it runs", "✅ 完整的移交：它运行期间没有其他代码使用同一运行时"))
    else:
        lines.append(_t(locale, "✅ touches no runtime or Value", "✅ 不访问任何运行时或 Value"))
    return [_markdown(lines)]


def explanation(rule_id: str, locale: str) -> str:
    rule = RULES.get(rule_id)
    if rule is None:
        return ""
    doc = rule.doc_zh if locale == ZH else rule.doc
    # the first section ("What it does") is enough in a hover; the link has the rest
    parts = doc.split("\n## ")
    first = parts[1] if len(parts) > 1 else doc
    body = first.split("\n", 1)[1].strip() if "\n" in first else first
    more = _t(locale, "more", "详情")
    return f"**{rule.id} {rule.name}** ({rule.severity}) — {rule.summary}\n\n{body}\n\n[{more}]({rule.url})"


def hover_at(result: PackageResult, path: str, offset: int, locale: str = "en") -> Hover | None:
    """The hover for a byte offset of a file, or None when there is nothing to say."""
    locale = normalize_locale(locale)
    fr = result.files.get(path)
    pkg = result.view
    if fr is None or pkg is None:
        return None
    sections: list[str] = []
    start = end = offset
    d = next((d for d in fr.decls if d.start <= offset < d.start + _decl_len(d)), None)
    if d is not None:
        rel = offset - d.start
        facts = d.facts
        ref = next(((s, uid) for s, uid in facts.refs.items() if s[0] <= rel < s[1]), None)
        if ref is not None:
            (s, e), uid = ref
            b = facts.bindings.get(uid)
            if b is not None:
                start, end = d.abs((s, e))
                sections.append(_binding_header(b, locale))
                if b.ty.is_mutex:
                    sections += _mutex_section(pkg, d, ("b", uid), locale)
                elif b.ty.kind in ("runtime", "loop"):
                    sections += _key_section(d, pkg, b.keys[0] if b.keys else ("b", uid), locale)
                elif b.keys:
                    for k in b.keys[:2]:
                        info = facts.keys.get(k)
                        if info is not None:
                            sections.append(_t(locale, f"**Belongs to:** {quoted(info.label)}", f"**属于：**{quoted(info.label)}"))
                            sections += _key_section(d, pkg, k, locale)
        if not sections:
            spawn = next((sp for sp in facts.spawns.values() if sp.span[0] <= rel < sp.span[0] + 2 and sp.uid != 0), None)
            if spawn is not None:
                start, end = d.abs((spawn.span[0], spawn.span[0] + 2))
                sections += _spawn_section(pkg, d, spawn, locale)
        if not sections:
            touch = min((t for t in facts.touches if t.span[0] <= rel < t.span[1]), key=lambda t: t.span[1] - t.span[0], default=None)
            if touch is not None:
                start, end = d.abs(touch.span)
                info = facts.keys.get(touch.key)
                sections.append(f"`{_short(touch.what)}` — {region_phrase(d, pkg, touch.region, locale)}")
                if info is not None:
                    sections.append(_t(locale, f"**Runtime:** {quoted(info.label)}", f"**运行时：**{quoted(info.label)}"))
                    sections += _key_section(d, pkg, touch.key, locale)
        if not sections:
            for key, m in facts.mutexes.items():
                for lock in facts.locks:
                    if lock.mutex == key and lock.span[0] <= rel < lock.span[1]:
                        start, end = d.abs(lock.span)
                        sections.append(f"**`{m.name}`** — `sync.Mutex`")
                        sections += _mutex_section(pkg, d, key, locale)
                        break
                if sections:
                    break
    for f in fr.findings:
        if f.start <= offset <= max(f.end, f.start + 1):
            sections.append("---")
            sections.append(f"**{f.rule}**: {f.message}")
            sections.append(explanation(f.rule, locale))
            if start == end:
                start, end = f.start, f.end
    if not sections:
        return None
    return Hover("\n\n".join(s for s in sections if s), start, end)


def _decl_len(d: DeclRef) -> int:
    spans = [r.span[1] for r in d.facts.regions.values()]
    return max(spans) if spans else 0


def _binding_header(b: F.BindingFact, locale: str) -> str:
    kind = {"param": _t(locale, "parameter", "参数"), "recv": _t(locale, "receiver", "接收者"),
            "local": _t(locale, "variable", "变量"), "result": _t(locale, "result", "返回值")}.get(b.kind, b.kind)
    return f"**`{b.name}`** — {kind} `{b.ty.describe()}`"
