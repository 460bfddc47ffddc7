"""GJ101 value-escapes-goroutine."""

from __future__ import annotations

from .base import WARNING, PackageView, Rule
from .ownership import label_of, origin_phrase, stories

RULE = Rule(
    id="GJ101",
    name="value-escapes-goroutine",
    severity=WARNING,
    family="Value lifetime",
    summary="A goja Value is used on another goroutine while its runtime's owner keeps running.",
    shown_by=(
        "go test -race reports a data race inside goja between the goroutine's (or timer "
        "callback's) use of the Value and the owner's use of the runtime; the "
        "exported-data twins are race-free. A primitive Value (vm.ToValue of an int or string) is "
        "tied to no runtime: sending it to another goroutine shows no race."
    ),
    doc="""\
## What it does
Finds a `goja.Value` (or `*goja.Object`, a slice or map of them, a struct field holding one) that
is used off its runtime's goroutine: captured by a `go` function literal, passed to a `go` call,
received from a channel by another goroutine, or used in a `time.AfterFunc` / `context.AfterFunc`
callback, while the goroutine that owns the runtime may still use it.

## Why is this bad?
A Value is a pointer into its runtime's heap. goja has no locks inside: reading a property, calling
`String()` or even `Export()` on an object walks runtime state that the owner goroutine may be
changing at the same moment. The result is a data race: corrupted objects, wrong results, or a
crash far away from the cause. A complete hand-off (the owner starts the goroutine and then only
waits for it) is not reported.

## Example
```go
v, _ := vm.RunString("({n: 1})")
go func() {
    log.Println(v.Export()) // v belongs to vm, which the owner keeps using
}()
vm.RunString("more()")
```

## Use instead
Export the data on the owner and let only plain Go data cross:
```go
v, _ := vm.RunString("({n: 1})")
data := v.Export()
go func() {
    log.Println(data)
}()
```
""",
    doc_zh="""\
## 规则说明
发现一个 `goja.Value`（或 `*goja.Object`、它们的切片或映射、持有它的结构体字段）在其运行时所属的
goroutine 之外被使用：被 `go` 函数字面量捕获、作为参数传给 `go` 调用、经由通道被另一个 goroutine
接收，或在 `time.AfterFunc` / `context.AfterFunc` 回调中使用，而拥有该运行时的 goroutine 可能仍在使用它。

## 为什么有问题
Value 是指向其运行时堆的指针。goja 内部没有锁：读取属性、调用 `String()` 甚至 `Export()`
都会访问运行时状态，而所属 goroutine 可能正在同时修改这些状态。结果是数据竞争：对象损坏、结果错误，
或在远离原因的地方崩溃。完整的移交（所属 goroutine 启动新 goroutine 后只是等待它）不会被报告。

## 示例
```go
v, _ := vm.RunString("({n: 1})")
go func() {
    log.Println(v.Export()) // v 属于 vm，而所属 goroutine 仍在使用 vm
}()
vm.RunString("more()")
```

## 推荐写法
在所属 goroutine 上导出数据，只让普通 Go 数据跨越 goroutine：
```go
v, _ := vm.RunString("({n: 1})")
data := v.Export()
go func() {
    log.Println(data)
}()
```
""",
)


def check(pkg: PackageView):
    for s in stories(pkg):
        if s.rule != RULE.id:
            continue
        label = label_of(s.decl, s.key, "its runtime")
        phrase, origin_rel = origin_phrase(pkg, s.decl, s.key)
        where = "the goroutine" if s.spawn.kind == "go" else "the callback"
        message = (
            f"Value used in {where} started at {pkg.at(s.decl, s.spawn.span)}: `{s.touch.what}` belongs to "
            f"{label}{phrase}, whose owner may still be using it"
        )
        related = [pkg.related(s.decl, s.spawn.span, f"{where} starts here")]
        if origin_rel is not None:
            related.insert(0, origin_rel)
        related += s.others[:3]
        yield pkg.finding(RULE, s.decl, s.anchor, message, related)
