"""GJ103 value-outlives-checkout."""

from __future__ import annotations

from ..model import facts as F
from .base import WARNING, PackageView, Rule

RULE = Rule(
    id="GJ103",
    name="value-outlives-checkout",
    severity=WARNING,
    family="Value lifetime",
    summary="A Value is stored where it outlives its runtime's check-out or request (a package variable, a global map, a long-lived struct).",
    shown_by=(
        "a run shows the stored Value misused later: read while its pooled runtime serves the next "
        "request, go test -race reports a data race inside goja; handed to the next request's "
        "runtime, goja refuses it with its cross-runtime TypeError. Stored exported data is clean; "
        "a stored primitive Value (vm.ToValue(\"hello\")) shows neither."
    ),
    doc="""\
## What it does
Finds a Value (or a container of Values) stored where it outlives the code that owns its runtime:
a package-level variable, a global map or `sync.Map`, a field of a long-lived struct (a service,
a cache) that does not own that runtime — while the runtime was checked out of a pool or made for
this call only.

## Why is this bad?
When the request ends, the runtime goes back to the pool (or away). The stored Value still points
into it: the next request that reads the store uses a Value of a runtime that another goroutine
now owns — a data race, and a cross-runtime Value (GJ102) when it is handed to the new runtime.

## Example
```go
var last goja.Value

func handle() {
    vm := <-pool
    defer func() { pool <- vm }()
    last, _ = vm.RunString("result()")
}
```

## Use instead
Store plain Go data:
```go
var last interface{}

func handle() {
    vm := <-pool
    defer func() { pool <- vm }()
    v, _ := vm.RunString("result()")
    last = v.Export()
}
```
""",
    doc_zh="""\
## 规则说明
发现 Value（或 Value 的容器）被存放在比拥有其运行时的代码活得更久的地方：包级变量、全局映射或
`sync.Map`、不拥有该运行时的长生命周期结构体（服务、缓存）的字段——而该运行时是从池中取出的，或只为本次调用创建的。

## 为什么有问题
请求结束时，运行时会归还到池中（或被丢弃）。存起来的 Value 仍然指向它：下一个读取该存储的请求，
使用的是一个已被另一个 goroutine 拥有的运行时的 Value——这是数据竞争；当它被交给新的运行时时，
还会成为跨运行时的 Value（GJ102）。

## 示例
```go
var last goja.Value

func handle() {
    vm := <-pool
    defer func() { pool <- vm }()
    last, _ = vm.RunString("result()")
}
```

## 推荐写法
存储普通的 Go 数据：
```go
var last interface{}

func handle() {
    vm := <-pool
    defer func() { pool <- vm }()
    v, _ := vm.RunString("result()")
    last = v.Export()
}
```
""",
)


def check(pkg: PackageView):
    for d in pkg.decls:
        for s in d.facts.stores:
            infos = [d.facts.keys.get(k) for k in s.value_keys]
            origins = {i.origin for i in infos if i is not None}
            if s.target_kind == "pkg":
                if origins <= {F.ORIGIN_GLOBAL_STORE, F.ORIGIN_PKG}:
                    continue  # a global Value of a global runtime, or copied between globals
                where = f"package-level variable {s.target.split('[')[0].split('.')[0]}"
            elif s.target_kind == "field":
                if not origins & (F.LOCAL_ORIGINS | {F.ORIGIN_LOOP}):
                    continue
                where = f"field {s.target} of a longer-lived struct"
            else:
                continue
            label = next((i.label for i in infos if i is not None), "its runtime")
            message = f"Value `{s.what}` of {label} is stored in {where}, where it outlives the runtime's check-out; store `{s.what}.Export()` instead"
            yield pkg.finding(RULE, d, s.span, message)
