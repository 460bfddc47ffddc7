"""GJ303 mutex-held-across-js-call."""

from __future__ import annotations

from .base import WARNING, PackageView, Rule
from .mutexes import registered_lockers

RULE = Rule(
    id="GJ303",
    name="mutex-held-across-js-call",
    severity=WARNING,
    family="Mutex necessity",
    summary="JS is called while holding a mutex that functions JS can call also lock: a re-entrant call deadlocks.",
    shown_by=(
        "a run shows a JS callback that re-enters the locking function hanging for good, blocked "
        "in sync.(*Mutex).Lock at the re-entered function (a timeout, then the goroutine's stack); "
        "copy under the lock and call after unlocking does not hang."
    ),
    doc="""\
## What it does
Finds a call that runs JS — calling a `goja.Callable`, `RunString`, `RunProgram`, … — while a
`sync.Mutex`/`RWMutex` is held, when the same mutex is also locked by a Go function that JS can
call (registered into the runtime).

## Why is this bad?
JS may call back into Go: a listener that calls `addEventListener`, or `abort()` again, re-enters
a function that locks the same mutex. Go mutexes are not re-entrant, so the goroutine blocks on
itself forever.

## Example
```go
controller.Set("abort", func(call goja.FunctionCall) goja.Value {
    mu.Lock()
    defer mu.Unlock()
    for _, l := range listeners {
        fn, _ := goja.AssertFunction(l)
        fn(goja.Undefined()) // a listener calling addEventListener deadlocks
    }
    return goja.Undefined()
})
```

## Use instead
Copy what you need under the lock, unlock, then call:
```go
mu.Lock()
ls := append([]goja.Value(nil), listeners...)
mu.Unlock()
for _, l := range ls {
    fn, _ := goja.AssertFunction(l)
    fn(goja.Undefined())
}
```
""",
    doc_zh="""\
## 规则说明
发现在持有 `sync.Mutex`/`RWMutex` 时运行 JS 的调用——调用 `goja.Callable`、`RunString`、`RunProgram` 等——
而同一把锁也会被 JS 可以调用的 Go 函数（注册到运行时的函数）加锁。

## 为什么有问题
JS 可能回调 Go：一个调用 `addEventListener` 或再次调用 `abort()` 的监听器，会重新进入对同一把锁加锁的函数。
Go 的互斥锁不可重入，于是该 goroutine 永远阻塞在自己身上。

## 示例
```go
controller.Set("abort", func(call goja.FunctionCall) goja.Value {
    mu.Lock()
    defer mu.Unlock()
    for _, l := range listeners {
        fn, _ := goja.AssertFunction(l)
        fn(goja.Undefined()) // 调用 addEventListener 的监听器会死锁
    }
    return goja.Undefined()
})
```

## 推荐写法
在锁内复制需要的数据，解锁后再调用：
```go
mu.Lock()
ls := append([]goja.Value(nil), listeners...)
mu.Unlock()
for _, l := range ls {
    fn, _ := goja.AssertFunction(l)
    fn(goja.Undefined())
}
```
""",
)


def check(pkg: PackageView):
    lockers = registered_lockers(pkg)
    seen = set()
    for d in pkg.decls:
        for h in d.facts.held_calls:
            m = d.facts.mutexes.get(h.mutex)
            if m is None:
                continue
            canon = (d.path, d.start, m.canonical) if m.local else m.canonical
            reentrant = lockers.get(canon)
            if not reentrant or (d.path, d.start, h.span) in seen:
                continue
            seen.add((d.path, d.start, h.span))
            message = (
                f"`{h.what}` runs JS while `{m.name}` is held (locked at {pkg.at(d, h.lock_span)}); JS that calls back into a "
                f"function locking `{m.name}` deadlocks"
            )
            related = [pkg.related(d, h.lock_span, f"{m.name} is locked here")]
            for dd, lock in reentrant[:3]:
                if lock.span != h.lock_span:
                    related.append(pkg.related(dd, lock.span, f"a function JS can call locks {m.name} here"))
            yield pkg.finding(RULE, d, h.span, message, related)
