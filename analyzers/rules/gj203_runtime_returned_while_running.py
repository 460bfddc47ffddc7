"""GJ203 runtime-returned-while-running."""

from __future__ import annotations

from .base import ERROR, PackageView, Rule
from .ownership import label_of, origin_phrase, stories

RULE = Rule(
    id="GJ203",
    name="runtime-returned-while-running",
    severity=ERROR,
    family="Runtime ownership",
    summary="A pooled runtime is returned to its pool on a path where a goroutine may still run JS on it.",
    shown_by=(
        "go test -race reports a data race inside the runtime between the abandoned goroutine "
        "still running JS and the deferred cleanup or the next user of the pooled runtime; "
        "interrupting and waiting before the return is race-free."
    ),
    doc="""\
## What it does
Finds a return of a pooled runtime (`pool <- vm`, `sync.Pool.Put`, a `Put`/`Release` helper) on a
path where a goroutine that runs JS on it may still be running — typically a `select` whose
timeout or `ctx.Done()` case returns early, with the return to the pool in a `defer`.

## Why is this bad?
The next request checks the same runtime out and starts running its own script while the
abandoned goroutine is still inside the previous one: two goroutines in one runtime. The first
request's data can also leak into the second.

## Example
```go
vm := <-pool
defer func() { pool <- vm }()
done := make(chan goja.Value, 1)
go func() { v, _ := vm.RunString(code); done <- v }()
select {
case v := <-done:
    return v.Export(), nil
case <-time.After(time.Second):
    return nil, errTimeout // vm goes back to the pool while the script still runs
}
```

## Use instead
On the early exit, stop the script and wait for the goroutine before returning the runtime, then
clear the interrupt flag:
```go
case <-time.After(time.Second):
    vm.Interrupt("timeout")
    <-done
    vm.ClearInterrupt()
    return nil, errTimeout
```
""",
    doc_zh="""\
## 规则说明
发现池化运行时在某条路径上被归还（`pool <- vm`、`sync.Pool.Put`、`Put`/`Release` 辅助函数），
而在该路径上一个在其上运行 JS 的 goroutine 可能仍在运行——典型情况是 `select` 的超时或
`ctx.Done()` 分支提前返回，而归还操作写在 `defer` 中。

## 为什么有问题
下一个请求会取出同一个运行时并开始运行自己的脚本，而被放弃的 goroutine 仍在运行上一个脚本：
两个 goroutine 同时使用一个运行时。第一个请求的数据也可能泄漏到第二个请求。

## 示例
```go
vm := <-pool
defer func() { pool <- vm }()
done := make(chan goja.Value, 1)
go func() { v, _ := vm.RunString(code); done <- v }()
select {
case v := <-done:
    return v.Export(), nil
case <-time.After(time.Second):
    return nil, errTimeout // 脚本仍在运行时 vm 就被归还到池中
}
```

## 推荐写法
在提前退出的路径上先中断脚本并等待 goroutine 结束，再清除中断标志，然后才归还运行时：
```go
case <-time.After(time.Second):
    vm.Interrupt("timeout")
    <-done
    vm.ClearInterrupt()
    return nil, errTimeout
```
""",
)


def check(pkg: PackageView):
    for s in stories(pkg):
        if s.rule != RULE.id:
            continue
        label = label_of(s.decl, s.key)
        phrase, origin_rel = origin_phrase(pkg, s.decl, s.key)
        conflict = next(c for c in s.conflicts if c.reason == "pool-return")
        message = (
            f"runtime {label}{phrase} goes back to the pool here while the goroutine started at "
            f"{pkg.at(s.decl, s.spawn.span)} may still run JS on it"
        )
        related = []
        if origin_rel is not None:
            related.append(origin_rel)
        related.append(pkg.related(s.decl, s.touch.span, f"the goroutine runs on it: {s.touch.what}"))
        if conflict.early_exit is not None:
            related.append(pkg.related(s.decl, conflict.early_exit, "this path returns without interrupting and waiting for the goroutine"))
        for c in s.conflicts:
            if c.reason == "owner-use" and c.other is not None:
                related.append(pkg.related(s.decl, c.other, f"and uses it meanwhile: {c.other_what}"))
        yield pkg.finding(RULE, s.decl, s.anchor, message, related)
