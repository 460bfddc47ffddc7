"""GJ204 interrupt-not-cleared."""

from __future__ import annotations

from .ownership import quoted
from .base import WARNING, PackageView, Rule
from .fixes import clear_interrupt_fix

RULE = Rule(
    id="GJ204",
    name="interrupt-not-cleared",
    severity=WARNING,
    family="Runtime ownership",
    summary="A reused runtime is interrupted but not ClearInterrupt()ed before its next use or its return to the pool.",
    shown_by=(
        "a run shows the next script on the reused runtime failing at once with "
        "*goja.InterruptedError when the watchdog's interrupt lands as the script finishes (an "
        "interrupt that stops a running script is cleared by goja itself); stopping the watchdog, "
        "then ClearInterrupt, fixes it. A clear placed before stopping the watchdog leaves a "
        "window too narrow for any run."
    ),
    doc="""\
## What it does
Finds `vm.Interrupt(…)` — called directly or by a watchdog (`time.AfterFunc`,
`context.AfterFunc`, a goroutine) — on a runtime that is reused (checked out of a pool, or kept
in a field or package variable), with no `vm.ClearInterrupt()` after the watchdog is stopped and
before the runtime goes back to the pool or is used again.

## Why is this bad?
If the interrupt lands when no script runs (the script finished just before the timer fired),
goja keeps the flag, and the next `RunString` on that runtime fails at once with an
`InterruptedError` — for the next, unrelated user. Calling `ClearInterrupt()` while the watchdog
may still fire does not help: stop the timer (or join the goroutine) first.

## Example
```go
vm := <-pool
defer func() { pool <- vm }()
t := time.AfterFunc(time.Second, func() { vm.Interrupt("timeout") })
defer t.Stop()
vm.RunString(code)
```

## Use instead
```go
vm := <-pool
t := time.AfterFunc(time.Second, func() { vm.Interrupt("timeout") })
_, err := vm.RunString(code)
t.Stop()
vm.ClearInterrupt()
pool <- vm
```
""",
    doc_zh="""\
## 规则说明
发现对可复用运行时（从池中取出，或保存在字段、包级变量中）调用 `vm.Interrupt(…)`——直接调用或由看门狗
（`time.AfterFunc`、`context.AfterFunc`、goroutine）调用——而在停止看门狗之后、运行时归还到池或再次
使用之前，没有调用 `vm.ClearInterrupt()`。

## 为什么有问题
如果中断在没有脚本运行时到达（脚本刚好在定时器触发前结束），goja 会保留中断标志，该运行时上的下一次
`RunString` 会立刻以 `InterruptedError` 失败——失败的是下一个毫不相关的使用者。在看门狗仍可能触发时调用
`ClearInterrupt()` 也没有用：必须先停止定时器（或等待 goroutine 结束）。

## 示例
```go
vm := <-pool
defer func() { pool <- vm }()
t := time.AfterFunc(time.Second, func() { vm.Interrupt("timeout") })
defer t.Stop()
vm.RunString(code)
```

## 推荐写法
```go
vm := <-pool
t := time.AfterFunc(time.Second, func() { vm.Interrupt("timeout") })
_, err := vm.RunString(code)
t.Stop()
vm.ClearInterrupt()
pool <- vm
```
""",
)


def check(pkg: PackageView):
    seen = set()
    for d in pkg.decls:
        for p in d.facts.pool_returns:
            if p.interrupt is None or (d.path, d.start, p.interrupt) in seen:
                continue
            seen.add((d.path, d.start, p.interrupt))
            info = d.facts.keys.get(p.key)
            label = quoted(info.label) if info is not None else "the runtime"
            message = (
                f"{label} may be interrupted here and goes back to the pool at {pkg.at(d, p.span)} without "
                f"ClearInterrupt() after the interrupter stopped: the next user's script fails at once"
            )
            related = [pkg.related(d, p.span, "returned to the pool here with the interrupt flag possibly set")]
            yield pkg.finding(RULE, d, p.interrupt, message, related, clear_interrupt_fix(pkg, d, p))
        for key, ispan, where, how in d.facts.interrupt_leaks:
            if (d.path, d.start, ispan) in seen:
                continue
            seen.add((d.path, d.start, ispan))
            info = d.facts.keys.get(key)
            label = quoted(info.label) if info is not None else "the runtime"
            if how == "use":
                message = f"{label} is interrupted here and used again at {pkg.at(d, where)} without ClearInterrupt(): that run fails at once"
                rel = "used again here"
            elif how == "armed":
                message = (f"{label} is long-lived and the watchdog armed here is still armed when the function returns at "
                           f"{pkg.at(d, where)}: it may fire during the runtime's next use and abort that script "
                           f"(stop it on every path, then ClearInterrupt())")
                rel = "returns here with the watchdog still armed"
            else:
                message = f"{label} is long-lived and may be interrupted here, but is never ClearInterrupt()ed afterwards: its next use fails at once"
                rel = "the function ends here with the interrupt possibly pending"
            yield pkg.finding(RULE, d, ispan, message, [pkg.related(d, where, rel)])
