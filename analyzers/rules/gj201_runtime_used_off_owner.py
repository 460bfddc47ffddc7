"""GJ201 runtime-used-off-owner."""

from __future__ import annotations

from .base import ERROR, PackageView, Rule
from .fixes import run_on_loop_fix
from .ownership import label_of, origin_phrase, stories

RULE = Rule(
    id="GJ201",
    name="runtime-used-off-owner",
    severity=ERROR,
    family="Runtime ownership",
    summary="A goja runtime (or a JS function of it) is used on a goroutine other than its owner's while the owner may still use it.",
    shown_by=(
        "go test -race reports a data race inside the runtime between the off-owner goroutine (go "
        "statement, timer callback, helper goroutine, HTTP or k6 goroutine) and the owner, with "
        "goja, sobek and a fork; hand-offs, owner loops and loop scheduling are race-free. An "
        "off-owner call that touches no runtime state (ToValue of an int) shows no race."
    ),
    doc="""\
## What it does
Finds runtime methods (`RunString`, `RunProgram`, `Set`, `Get`, `ToValue`, `NewObject`, …) and
calls of JS functions (`goja.Callable`) that run on a goroutine other than the runtime's owner —
the body of a `go` statement, a `time.AfterFunc` / `context.AfterFunc` callback, an HTTP handler —
while the owner may still use the runtime: it uses it after starting the goroutine without
waiting, returns it to its caller, or starts another goroutine on it. `vm.Interrupt` is safe
from anywhere and never reported.

## Why is this bad?
"An instance of goja.Runtime can only be used by a single goroutine at a time." Two goroutines in
one runtime race on its stack, its object heap and its caches; the failures are random and rare
under test, frequent in production.

## Example
```go
go func() {
    vm.RunString(script) // runs while the owner also uses vm below
}()
vm.Set("ready", true)
```

## Use instead
Hand the runtime off completely (start the goroutine and only wait for it), or schedule the work
onto the runtime's owner: `loop.RunOnLoop(func(vm *goja.Runtime) { … })` with goja_nodejs'
event loop, `vu.RegisterCallback()` in k6, or a channel of closures the owner drains.
""",
    doc_zh="""\
## 规则说明
发现运行时方法（`RunString`、`RunProgram`、`Set`、`Get`、`ToValue`、`NewObject` 等）以及 JS 函数
（`goja.Callable`）的调用运行在运行时所属 goroutine 之外——`go` 语句体、`time.AfterFunc` /
`context.AfterFunc` 回调、HTTP 处理函数——而所属 goroutine 可能仍在使用该运行时：启动 goroutine 后
不等待就继续使用、把它返回给调用者，或在其上再启动另一个 goroutine。`vm.Interrupt`
可以从任何 goroutine 调用，从不报告。

## 为什么有问题
“一个 goja.Runtime 实例同一时间只能被一个 goroutine 使用。”两个 goroutine 同时使用一个运行时，
会在其栈、对象堆和缓存上产生竞争；这类故障在测试中随机且罕见，在生产中却很常见。

## 示例
```go
go func() {
    vm.RunString(script) // 与下面所属 goroutine 对 vm 的使用同时进行
}()
vm.Set("ready", true)
```

## 推荐写法
完整地移交运行时（启动 goroutine 后只等待它），或把工作调度回所属 goroutine：goja_nodejs 事件循环的
`loop.RunOnLoop(func(vm *goja.Runtime) { … })`、k6 的 `vu.RegisterCallback()`，
或由所属 goroutine 消费的闭包通道。
""",
)


def check(pkg: PackageView):
    for s in stories(pkg):
        if s.rule != RULE.id:
            continue
        label = label_of(s.decl, s.key)
        phrase, origin_rel = origin_phrase(pkg, s.decl, s.key)
        where = {"go": "the goroutine", "off": "the callback", "multi": "concurrently running code"}.get(s.spawn.kind, "another goroutine")
        verb = "called" if s.touch.kind == "callable" else "used"
        message = (
            f"runtime {label}{phrase} is {verb} in {where} started at {pkg.at(s.decl, s.spawn.span)} "
            f"(`{s.touch.what}`) while its owner may still use it"
        )
        if s.more:
            message += f"; {s.more} more use{'s' if s.more > 1 else ''} there"
        related = [pkg.related(s.decl, s.spawn.span, f"{where} starts here")]
        if origin_rel is not None:
            related.insert(0, origin_rel)
        related += s.others[:3]
        fixes = run_on_loop_fix(pkg, s)
        yield pkg.finding(RULE, s.decl, s.anchor, message, related, fixes)
