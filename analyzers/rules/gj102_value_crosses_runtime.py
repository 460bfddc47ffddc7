"""GJ102 value-crosses-runtime."""

from __future__ import annotations

from ..model import facts as F
from .ownership import quoted
from .base import ERROR, PackageView, Rule
from .fixes import export_fix

RULE = Rule(
    id="GJ102",
    name="value-crosses-runtime",
    severity=ERROR,
    family="Value lifetime",
    summary="A Value made by one runtime is handed to another runtime.",
    shown_by=(
        "a run shows goja refusing the hand-over with its own TypeError \"Illegal runtime "
        "transition of an Object\" (a panic from ToValue, the error returned by Set); re-created "
        "data is accepted. goja does not check call arguments (a foreign object passed to the "
        "other runtime's function runs without error), and primitive Values cross runtimes freely."
    ),
    doc="""\
## What it does
Finds a Value made by runtime A handed to runtime B: `B.Set(name, v)`, `B.ToValue(v)`, an argument
or `this` of a function of B, a property of an object of B. It also reports Values read back from
a package-level store (a variable, a global map, a `sync.Map`) — they were made by whichever
runtime stored them — when they are handed to a runtime checked out or created here.

## Why is this bad?
"It's not possible to pass object values between runtimes." goja refuses a foreign object with a
TypeError at best; a Value that slips through points into another runtime's heap, which another
goroutine may be using.

## Example
```go
v, _ := vmA.RunString("({n: 1})")
vmB.Set("data", v)
```

## Use instead
Cross as Go data and re-create the value in the other runtime:
```go
v, _ := vmA.RunString("({n: 1})")
vmB.Set("data", v.Export())
```
""",
    doc_zh="""\
## 规则说明
发现由运行时 A 创建的 Value 被交给运行时 B：`B.Set(name, v)`、`B.ToValue(v)`、作为 B 的函数的参数或
`this`、作为 B 的对象的属性。对于从包级存储（变量、全局映射、`sync.Map`）中读回的 Value——它们由存入时的
某个运行时创建——当它们被交给在此处取出或创建的运行时时，同样会报告。

## 为什么有问题
“不能在运行时之间传递对象值。”goja 最好的情况是以 TypeError 拒绝外来对象；而漏过去的 Value
指向另一个运行时的堆，那个运行时可能正被另一个 goroutine 使用。

## 示例
```go
v, _ := vmA.RunString("({n: 1})")
vmB.Set("data", v)
```

## 推荐写法
以 Go 数据的形式跨越，并在另一个运行时中重新创建值：
```go
v, _ := vmA.RunString("({n: 1})")
vmB.Set("data", v.Export())
```
""",
)

_DEFINITE = frozenset({F.ORIGIN_NEW, F.ORIGIN_CHECKOUT, F.ORIGIN_LOOP})


def crosses(d, value_key, runtime_key) -> str:
    """Why a Value of ``value_key`` is definitely foreign to ``runtime_key`` ('' if it may not be)."""
    vi = d.facts.keys.get(value_key)
    ri = d.facts.keys.get(runtime_key)
    if vi is None or ri is None or value_key == runtime_key:
        return ""
    n = min(len(value_key), len(runtime_key))
    if n >= 2 and value_key[:n] == runtime_key[:n]:
        return ""
    if vi.origin == F.ORIGIN_GLOBAL_STORE and ri.origin in _DEFINITE | {F.ORIGIN_IMPLICIT, F.ORIGIN_PARAM}:
        return f"it was read from {vi.label.replace('the runtime that made ', '')}, where any runtime may have stored it"
    if vi.origin in _DEFINITE and ri.origin in _DEFINITE:
        return f"it was made by {vi.label}, another runtime"
    known = {F.ORIGIN_PARAM, F.ORIGIN_FIELD, F.ORIGIN_PKG, F.ORIGIN_IMPLICIT, F.ORIGIN_VU}
    if vi.origin == F.ORIGIN_NEW and ri.origin in known:
        return f"it was made by {vi.label}, a runtime created here"
    if ri.origin == F.ORIGIN_NEW and vi.origin in known:
        return f"{ri.label} was just created here and it was made by {vi.label}"
    if vi.origin == F.ORIGIN_IMPLICIT and ri.origin in (F.ORIGIN_NEW, F.ORIGIN_CHECKOUT):
        return f"it belongs to {vi.label}"
    return ""


def check(pkg: PackageView):
    for d in pkg.decls:
        for h in d.facts.handovers:
            for vk in h.value_keys:
                why = crosses(d, vk, h.runtime_key)
                if not why:
                    continue
                ri = d.facts.keys.get(h.runtime_key)
                target = quoted(ri.label) if ri is not None else "another runtime"
                message = f"Value `{h.what}` is handed to runtime {target}, but {why}"
                related = []
                vi = d.facts.keys.get(vk)
                if vi is not None and vi.span is not None:
                    related.append(pkg.related(d, vi.span, f"{vi.label} is made here"))
                if ri is not None and ri.span is not None:
                    related.append(pkg.related(d, ri.span, f"{target} is made here"))
                yield pkg.finding(RULE, d, h.arg_span or h.span, message, related, export_fix(d, h))
                break
