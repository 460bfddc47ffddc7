"""GJ402 loop-api-misuse."""

from __future__ import annotations

from .base import WARNING, PackageView, Rule
from .fixes import stop_nowait_fix

RULE = Rule(
    id="GJ402",
    name="loop-api-misuse",
    severity=WARNING,
    family="Event loop",
    summary="Misuse of the event-loop / k6 owner APIs: Stop() inside the loop, Run() on a started loop, RegisterCallback off the VU goroutine, a callback not called exactly once.",
    shown_by=(
        "a run shows loop.Stop() inside a loop callback hanging in (*EventLoop).Stop and loop.Run "
        "on a started loop panicking (\"Loop is already started\"); against the local k6 stand-in, "
        "a RegisterCallback never called on an error path hangs the VU's iteration, and one called "
        "from a goroutine runs off the loop (its work dropped if the iteration already ended)."
    ),
    doc="""\
## What it does
Reports misuse of the APIs that hand work back to a runtime's owner:
- `loop.Stop()` called inside a loop callback (or a JS function the loop runs): use `StopNoWait()`;
- `loop.Run(…)` on a loop that was `Start()`ed: use `RunOnLoop`;
- k6 `vu.RegisterCallback()` or `promises.New(vu)` called off the VU's goroutine;
- the function returned by `vu.RegisterCallback()` never called on some path (the VU waits
  forever) or called twice (k6 panics).

## Why is this bad?
`Stop` waits for the loop to finish — from inside the loop, that is forever. `Run` panics on a
running loop. k6 registers callbacks on the VU's event loop, which only its own goroutine may
touch, and counts them: each must be called exactly once.

## Example
```go
loop.RunOnLoop(func(vm *goja.Runtime) {
    if done(vm) {
        loop.Stop() // deadlock
    }
})
```

## Use instead
```go
loop.RunOnLoop(func(vm *goja.Runtime) {
    if done(vm) {
        loop.StopNoWait()
    }
})
```
""",
    doc_zh="""\
## 规则说明
报告对“把工作交回运行时所属者”的 API 的误用：
- 在循环回调（或循环运行的 JS 函数）中调用 `loop.Stop()`：应使用 `StopNoWait()`；
- 对已经 `Start()` 的循环调用 `loop.Run(…)`：应使用 `RunOnLoop`；
- 在 VU 的 goroutine 之外调用 k6 的 `vu.RegisterCallback()` 或 `promises.New(vu)`；
- `vu.RegisterCallback()` 返回的函数在某条路径上从未被调用（VU 永远等待）或被调用两次（k6 会 panic）。

## 为什么有问题
`Stop` 会等待循环结束——在循环内部调用就会永远等待。对正在运行的循环调用 `Run` 会 panic。
k6 把回调注册在 VU 的事件循环上，只有它自己的 goroutine 可以访问，并且会计数：每个回调必须恰好调用一次。

## 示例
```go
loop.RunOnLoop(func(vm *goja.Runtime) {
    if done(vm) {
        loop.Stop() // 死锁
    }
})
```

## 推荐写法
```go
loop.RunOnLoop(func(vm *goja.Runtime) {
    if done(vm) {
        loop.StopNoWait()
    }
})
```
""",
)

_WHY = {
    "stop-in-loop": "Stop() waits for the loop to finish, so inside the loop it never returns; use StopNoWait()",
    "run-while-started": "Run() panics on a loop that is already running; use RunOnLoop()",
    "register-off-owner": "only the VU's own goroutine may register callbacks or create promises",
    "cb-never": "the VU waits for every registered callback: an uncalled one hangs it",
    "cb-twice": "a registered callback may be called only once; k6 panics on the second call",
}


def check(pkg: PackageView):
    for d in pkg.decls:
        for m in d.facts.api_misuse:
            message = f"{m.what}: {_WHY.get(m.problem, m.problem)}"  # m.what names the call
            related = [pkg.related(d, span, msg) for span, msg in m.related[:4]]
            fixes = stop_nowait_fix(d, m) if m.problem == "stop-in-loop" else []
            yield pkg.finding(RULE, d, m.span, message, related, fixes)
