"""GJ401 loop-runtime-escapes."""

from __future__ import annotations

from .base import ERROR, PackageView, Rule

RULE = Rule(
    id="GJ401",
    name="loop-runtime-escapes",
    severity=ERROR,
    family="Event loop",
    summary="The runtime an event loop hands to its callback (or a Value of it) leaves the callback and is used outside the loop.",
    shown_by=(
        "go test -race reports a data race inside goja: the escaped runtime runs a script, and an "
        "escaped object is exported, outside the loop while the loop runs the script's JS timer "
        "(setInterval) on the same runtime; exporting on the loop and sending only the copy out is "
        "race-free. An escape the loop never races with (nothing else scheduled on it) is still "
        "flagged: the next timer or callback makes it a race."
    ),
    doc="""\
## What it does
Finds the `*goja.Runtime` given to a goja_nodejs event-loop callback (`loop.Run`, `RunOnLoop`,
`SetTimeout`, `SetInterval`), or a Value made from it, stored in a variable or field outside the
callback or sent on a channel — and then used outside the loop.

## Why is this bad?
The event loop owns its runtime; its documentation says the runtime "must not be used outside the
function". Outside the callback, the loop's goroutine may be running JS at any moment.

## Example
```go
var rt *goja.Runtime
loop.Start()
loop.RunOnLoop(func(vm *goja.Runtime) { rt = vm })
rt.RunString("x()") // off the loop
```

## Use instead
Keep every use inside a callback:
```go
loop.RunOnLoop(func(vm *goja.Runtime) { vm.RunString("x()") })
```
""",
    doc_zh="""\
## 规则说明
发现 goja_nodejs 事件循环交给回调（`loop.Run`、`RunOnLoop`、`SetTimeout`、`SetInterval`）的
`*goja.Runtime`，或由它创建的 Value，被保存到回调外部的变量或字段中、或通过通道发送出去——随后在循环之外被使用。

## 为什么有问题
事件循环拥有自己的运行时；其文档说明该运行时“不得在该函数之外使用”。在回调之外，循环的 goroutine
随时可能正在运行 JS。

## 示例
```go
var rt *goja.Runtime
loop.Start()
loop.RunOnLoop(func(vm *goja.Runtime) { rt = vm })
rt.RunString("x()") // 在循环之外
```

## 推荐写法
所有使用都留在回调之内：
```go
loop.RunOnLoop(func(vm *goja.Runtime) { vm.RunString("x()") })
```
""",
)


def check(pkg: PackageView):
    for d in pkg.decls:
        for e in d.facts.loop_escapes:
            what = "a Value of the event loop's runtime" if e.value else "the event loop's runtime"
            message = f"{what} leaves its callback here (`{e.what}`)"
            if e.uses_outside:
                where = pkg.at(d, e.uses_outside[0][0])
                message += (f" and is received from {e.target} outside the loop at {where}" if e.sent
                            else f" and {e.target} is used outside the loop at {where}")
            related = [pkg.related(d, span, msg) for span, msg in e.uses_outside[:4]]
            yield pkg.finding(RULE, d, e.span, message, related)
