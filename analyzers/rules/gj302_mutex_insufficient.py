"""GJ302 mutex-insufficient."""

from __future__ import annotations

from .base import WARNING, PackageView, Rule
from .ownership import stories

RULE = Rule(
    id="GJ302",
    name="mutex-insufficient",
    severity=WARNING,
    family="Mutex necessity",
    summary="A mutex guards Values, but a guarded Value is used off the runtime's goroutine: the lock protects the container, not the runtime.",
    shown_by=(
        "go test -race reports a data race inside the runtime between the handlers called on "
        "another goroutine and the owner's scripts, although every access to the guarded slice "
        "holds the mutex; handing the calls to the loop is race-free."
    ),
    doc="""\
## What it does
Finds a Value that is guarded by a mutex — stored in, or copied out of, state that is accessed
under `Lock` — and then used on another goroutine (a timer callback, a `go` statement) while the
runtime's owner keeps running. The diagnostic is on the off-owner use; the mutex is a related
location.

## Why is this bad?
The mutex makes the slice (or map) of Values safe to append to and copy. It does nothing for the
runtime those Values belong to: calling a listener, reading a property or exporting an object
from the timer goroutine races with the JS the owner is running. This is the case a review that
calls such a mutex "defensive" misses.

## Example
```go
time.AfterFunc(timeout, func() {
    mu.Lock()
    ls := append([]goja.Value(nil), listeners...)
    mu.Unlock()
    for _, l := range ls {
        fn, _ := goja.AssertFunction(l)
        fn(goja.Undefined()) // JS on the timer's goroutine
    }
})
```

## Use instead
Schedule the work onto the runtime's owner and keep the lock only if other goroutines touch the
plain Go state:
```go
time.AfterFunc(timeout, func() {
    loop.RunOnLoop(func(*goja.Runtime) { abort() })
})
```
""",
    doc_zh="""\
## 规则说明
发现一个受互斥锁保护的 Value——存放在加锁访问的状态中，或从中复制出来——随后在另一个 goroutine
（定时器回调、`go` 语句）中被使用，而运行时的所属 goroutine 仍在运行。诊断位于这个所属 goroutine 之外的使用点；
互斥锁作为相关位置列出。

## 为什么有问题
互斥锁让 Value 的切片（或映射）可以安全地追加和复制，但对这些 Value 所属的运行时毫无作用：
在定时器 goroutine 中调用监听器、读取属性或导出对象，都会与所属 goroutine 正在运行的 JS 竞争。
这正是把这种锁称为“防御性编程”的评审所遗漏的情况。

## 示例
```go
time.AfterFunc(timeout, func() {
    mu.Lock()
    ls := append([]goja.Value(nil), listeners...)
    mu.Unlock()
    for _, l := range ls {
        fn, _ := goja.AssertFunction(l)
        fn(goja.Undefined()) // 在定时器的 goroutine 上运行 JS
    }
})
```

## 推荐写法
把工作调度回运行时的所属 goroutine；只有当其他 goroutine 会访问普通 Go 状态时才保留这把锁：
```go
time.AfterFunc(timeout, func() {
    loop.RunOnLoop(func(*goja.Runtime) { abort() })
})
```
""",
)


def check(pkg: PackageView):
    for s in stories(pkg):
        if s.rule != RULE.id:
            continue
        facts = s.decl.facts
        mutexes = [facts.mutexes[g] for g in s.touch.guarded if g in facts.mutexes]
        names = ", ".join(f"`{m.name}`" for m in mutexes) or "a mutex"
        where = {"go": "the goroutine", "off": "the callback"}.get(s.spawn.kind, "code")
        message = (
            f"`{s.touch.what}` uses a Value guarded by {names} in {where} started at {pkg.at(s.decl, s.spawn.span)}, "
            f"off the runtime's goroutine: the lock guards the container, not the runtime"
        )
        related = [pkg.related(s.decl, s.spawn.span, f"{where} starts here, off the runtime's goroutine")]
        for m in mutexes:
            if m.span is not None:
                related.append(pkg.related(s.decl, m.span, f"{m.name} guards {', '.join(sorted(m.guards)) or 'state'} but not the runtime"))
        related += s.others[:2]
        yield pkg.finding(RULE, s.decl, s.anchor, message, related)
