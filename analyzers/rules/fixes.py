"""Quick fixes that are mechanical: byte edits computed from the facts and the source.

A fix is offered only where the edit is certain to be right (it type-checks and keeps the
meaning); everything else is left to the explanation.
"""

from __future__ import annotations

import re

from .base import DeclRef, Edit, Fix, PackageView

_GO_EXPR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def export_fix(d: DeclRef, h) -> list[Fix]:
    """GJ102: hand over ``v.Export()`` (plain Go data) instead of the foreign Value."""
    if h.arg_span is None:
        return []
    call = d.text(h.span)
    if not re.search(r"\.(Set|ToValue|NewArray)\(", call):
        return []
    arg = d.text(h.arg_span)
    s, e = d.abs(h.arg_span)
    return [Fix(f"Hand over {arg}.Export() (plain Go data) instead of the Value", (Edit(d.path, s, e, f"{arg}.Export()"),))]


def stop_nowait_fix(d: DeclRef, m) -> list[Fix]:
    """GJ402: loop.Stop() inside the loop -> loop.StopNoWait()."""
    text = d.text(m.span)  # the callee: loop.Stop
    if not text.endswith(".Stop"):
        return []
    s, e = d.abs(m.span)
    return [Fix("Use StopNoWait() inside the loop", (Edit(d.path, e - len("Stop"), e, "StopNoWait"),))]


def _line_start_and_indent(source: bytes, offset: int) -> tuple[int, str]:
    start = source.rfind(b"\n", 0, offset) + 1
    indent = re.match(rb"[ \t]*", source[start:offset]).group(0).decode()
    return start, indent


def clear_interrupt_fix(pkg: PackageView, d: DeclRef, p) -> list[Fix]:
    """GJ204: call ClearInterrupt() right before the runtime goes back to the pool."""
    info = d.facts.keys.get(p.key)
    if info is None or not _GO_EXPR.match(info.label):
        return []
    s, _ = d.abs(p.span)
    line_start, indent = _line_start_and_indent(d.source, s)
    if d.source[line_start:s].strip():
        return []  # the return shares its line with other code: no safe place to insert
    return [Fix(f"Call {info.label}.ClearInterrupt() before returning it to the pool",
                (Edit(d.path, line_start, line_start, f"{indent}{info.label}.ClearInterrupt()\n"),))]


def run_on_loop_fix(pkg: PackageView, story) -> list[Fix]:
    """GJ201: wrap the off-owner statement in loop.RunOnLoop when an event loop is in scope."""
    d = story.decl
    loops = [b for b in d.facts.bindings.values() if b.ty.kind == "loop" and b.region == 0]
    if not loops or story.touch is None or story.spawn.body < 0:
        return []
    loop = loops[0].name
    s, e = d.abs(story.touch.span)
    line_start, indent = _line_start_and_indent(d.source, s)
    line_end = d.source.find(b"\n", e)
    line_end = len(d.source) if line_end < 0 else line_end
    stmt = d.source[line_start:line_end].decode("utf-8", "replace").strip()
    if d.source[line_start:s].strip() or not stmt or stmt.endswith(("{", ",", "(")) or stmt.startswith("}"):
        return []  # only a whole single-line statement is moved
    new = f"{indent}{loop}.RunOnLoop(func(*goja.Runtime) {{\n{indent}\t{stmt}\n{indent}}})"
    return [Fix(f"Run it on the event loop with {loop}.RunOnLoop", (Edit(d.path, line_start, line_end, new),))]
