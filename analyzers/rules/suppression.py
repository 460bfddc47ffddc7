"""Suppression comments, and GJ900: suppressions that are malformed, reasonless or unused.

``//gojaguard:ignore GJ301 reason`` on the flagged line or the line above silences that rule
there; ``//gojaguard:file-ignore GJ301 reason`` anywhere in a file silences it in the whole file.
Several IDs may be given separated by commas. A suppression must say why; one without a reason,
or one that suppresses nothing, is itself reported so that stale silences do not pile up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..syntax.text import LineIndex
from .base import INFORMATION, Finding, Rule

RULE = Rule(
    id="GJ900",
    name="suppression-problem",
    severity=INFORMATION,
    family="Suppressions",
    summary="A //gojaguard:ignore comment without a reason, with an unknown rule ID, or that suppresses nothing.",
    shown_by="not a concurrency rule: nothing to run.",
    doc="""\
## What it does
Reports `//gojaguard:ignore` and `//gojaguard:file-ignore` comments that name no rule or an
unknown rule, give no reason, or suppress no finding.

## Why is this bad?
A silenced warning should say why it is safe, so the next reader can check the argument; and a
suppression that no longer suppresses anything hides the next real finding on that line.

## Example
```go
//gojaguard:ignore GJ201
go func() { vm.RunString(src) }()
```

## Use instead
```go
//gojaguard:ignore GJ201 the owner only waits on done after this point
go func() { vm.RunString(src) }()
```
""",
    doc_zh="""\
## 规则说明
报告没有写规则 ID 或写了未知规则 ID、没有给出理由、或者没有抑制任何诊断的 `//gojaguard:ignore` 与
`//gojaguard:file-ignore` 注释。

## 为什么有问题
被屏蔽的警告应当说明为什么是安全的，以便后来的读者核对理由；而一个已经不再抑制任何内容的注释，
会把该行上下一个真正的问题也藏起来。

## 示例
```go
//gojaguard:ignore GJ201
go func() { vm.RunString(src) }()
```

## 推荐写法
```go
//gojaguard:ignore GJ201 此后所属 goroutine 只等待 done
go func() { vm.RunString(src) }()
```
""",
)

_COMMENT = re.compile(rb"//[ \t]*gojaguard:(ignore|file-ignore)\b([^\r\n]*)")
_ID = re.compile(r"^GJ\d{3}$")


@dataclass
class Suppression:
    kind: str  # "ignore" / "file-ignore"
    rules: tuple[str, ...]
    reason: str
    line: int  # 0-based line of the comment
    start: int
    end: int
    used: bool = False


def parse(source: bytes, lines: LineIndex) -> list[Suppression]:
    out = []
    if b"gojaguard:" not in source:
        return out
    for m in _COMMENT.finditer(source):
        line_start = source.rfind(b"\n", 0, m.start()) + 1
        before = source[line_start : m.start()]
        if b"//" in before or b"/*" in before:
            continue  # mentioned inside another comment, not a directive
        rest = m.group(2).decode("utf-8", "replace").split("//")[0].strip()
        ids_part, _, reason = rest.partition(" ")
        rules = tuple(r.strip().upper() for r in ids_part.split(",") if r.strip())
        out.append(Suppression(m.group(1).decode(), rules, reason.strip(), lines.line_of(m.start()), m.start(), m.end()))
    return out


def apply(findings: list[Finding], sups: list[Suppression], lines: LineIndex, path: str, known: set[str],
          enabled: bool = True) -> list[Finding]:
    """Drop suppressed findings; add GJ900 findings for bad or unused suppressions."""
    if not sups:
        return findings
    kept = []
    for f in findings:
        line = lines.line_of(f.start)
        hit = None
        for s in sups:
            if f.rule not in s.rules:
                continue
            if s.kind == "file-ignore" or s.line in (line, line - 1):
                hit = s
                break
        if hit is not None:
            hit.used = True
        else:
            kept.append(f)
    if not enabled:
        return kept
    for s in sups:
        problem = ""
        if not s.rules:
            problem = "names no rule (write //gojaguard:ignore GJ201 <reason>)"
        elif any(not _ID.match(r) or r not in known for r in s.rules):
            bad = [r for r in s.rules if not _ID.match(r) or r not in known]
            problem = f"names unknown rule {', '.join(bad)}"
        elif not s.reason:
            problem = "gives no reason: say why the code is safe"
        elif not s.used:
            problem = f"suppresses nothing: no {', '.join(s.rules)} finding on this line or the next"
        if problem:
            kept.append(Finding(RULE.id, RULE.name, RULE.severity, path, s.start, s.end, f"suppression {problem}"))
    return kept
