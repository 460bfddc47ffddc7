"""GJ301 mutex-unneeded."""

from __future__ import annotations

from .base import INFORMATION, Finding, PackageView, Rule
from .mutexes import DEFENSIVE, verdicts

RULE = Rule(
    id="GJ301",
    name="mutex-unneeded",
    severity=INFORMATION,
    family="Mutex necessity",
    summary="Every Lock of this mutex runs on the runtime's own goroutine: it serialises nothing and is defensive only.",
    shown_by=(
        "cannot be shown by a run: a mutex that serialises nothing changes no behaviour; the runs "
        "show only that the flagged code is race-free under -race, alone and with several runtimes "
        "at once."
    ),
    doc="""\
## What it does
Reports a mutex whose every `Lock`/`Unlock`, and every access to the state it guards, runs on the
goroutine that owns the runtime — inside Go functions registered into the runtime
(`vm.Set("f", func…)`, `obj.Set`, constructor calls) or event-loop callbacks. Nothing else can
reach it, so it serialises nothing. This is information, not a warning: the mutex is harmless,
only defensive. Hover on the mutex gives the full reasoning.

## Why is this bad?
It is not wrong. But it suggests a protection that is not there: if one day the guarded Values are
touched from a timer or a goroutine, the lock will not make that safe (see GJ302) — and it
invites calling JS while holding it (see GJ303). Knowing that the code is single-goroutine by
construction is the better documentation.

## Example
```go
var listeners []goja.Value
var mu sync.Mutex
signal.Set("addEventListener", func(call goja.FunctionCall) goja.Value {
    mu.Lock()
    listeners = append(listeners, call.Argument(1))
    mu.Unlock()
    return goja.Undefined()
})
```

## Use instead
Keep it (defensive) or remove it and say why the code is safe:
```go
// listeners is only touched by functions JS calls on this runtime's goroutine.
var listeners []goja.Value
```
""",
    doc_zh="""\
## 规则说明
报告这样的互斥锁：它的每一次 `Lock`/`Unlock`，以及对它所保护状态的每一次访问，都运行在拥有运行时的
goroutine 上——在注册到运行时的 Go 函数中（`vm.Set("f", func…)`、`obj.Set`、构造函数调用）或事件循环回调中。
其他代码无法触及它，所以它什么也没有串行化。这是提示而不是警告：这把锁无害，只是防御性的。
把鼠标悬停在互斥锁上可以看到完整的推理。

## 为什么有问题
它并没有错。但它暗示了一种并不存在的保护：如果将来被保护的 Value 被定时器或 goroutine 访问，
这把锁并不能保证安全（见 GJ302）——而且它会诱使人在持锁时调用 JS（见 GJ303）。
说明代码在构造上就是单 goroutine 的，是更好的文档。

## 示例
```go
var listeners []goja.Value
var mu sync.Mutex
signal.Set("addEventListener", func(call goja.FunctionCall) goja.Value {
    mu.Lock()
    listeners = append(listeners, call.Argument(1))
    mu.Unlock()
    return goja.Undefined()
})
```

## 推荐写法
保留它（防御性），或者删除它并说明代码为何安全：
```go
// listeners 只会被 JS 在本运行时的 goroutine 上调用的函数访问。
var listeners []goja.Value
```
""",
)


def check(pkg: PackageView):
    for v in verdicts(pkg):
        if v.kind != DEFENSIVE:
            continue
        related = [pkg.related(d, lock.span, f"{lock.op} runs on the runtime's goroutine here") for d, lock, _ in v.lock_sites[:4]]
        message = (
            f"mutex `{v.mutex.name}` serialises nothing: all {len(v.lock_sites)} Lock/Unlock calls run on the runtime's own "
            f"goroutine (registered functions, loop callbacks); it is defensive only"
        )
        if v.mutex.span is not None:
            yield pkg.finding(RULE, v.decl, v.mutex.span, message, related, tags=("unnecessary",))
            continue
        canon = v.mutex.canonical
        if canon and canon[0] == "field":
            shape = pkg.index.types.get(canon[1])
            if shape is not None and canon[2] in shape.fields:
                f = shape.fields[canon[2]]
                path, start = pkg.index.location("type", canon[1])
                yield Finding(RULE.id, RULE.name, RULE.severity, path, start + f.span[0],
                              start + f.span[1], message, related, tags=("unnecessary",))
