"""GJ205 pooled-state-leak."""

from __future__ import annotations

from .base import WARNING, PackageView, Rule

RULE = Rule(
    id="GJ205",
    name="pooled-state-leak",
    severity=WARNING,
    family="Runtime ownership",
    summary="Global state set on a pooled runtime for one request is not reset before the runtime goes back to the pool.",
    shown_by=(
        "a run shows the next request on the pooled runtime reading the previous request's global, "
        "and the previous request's respond() writing the next request's data into the previous "
        "response; resetting or deleting the global before the return fixes it."
    ),
    doc="""\
## What it does
Finds `vm.Set("name", …)` or `vm.GlobalObject().Set(…)` on a runtime checked out of a pool, when
the runtime is returned to the pool without resetting that global (`vm.Set("name",
goja.Undefined())`, `GlobalObject().Delete("name")`, or a cleanup helper that does it).

## Why is this bad?
The next request that checks out the same runtime sees the previous request's data: a
cross-request (often cross-tenant) leak, and scripts that behave differently depending on which
runtime they happened to get.

## Example
```go
vm := <-pool
defer func() { pool <- vm }()
vm.Set("request", req) // still there for the next user
vm.RunProgram(prog)
```

## Use instead
```go
vm := <-pool
defer func() {
    vm.Set("request", goja.Undefined())
    pool <- vm
}()
vm.Set("request", req)
vm.RunProgram(prog)
```
""",
    doc_zh="""\
## 规则说明
发现对从池中取出的运行时调用 `vm.Set("name", …)` 或 `vm.GlobalObject().Set(…)`，而在运行时归还到池之前
没有重置该全局变量（`vm.Set("name", goja.Undefined())`、`GlobalObject().Delete("name")`，或执行这些操作的清理函数）。

## 为什么有问题
下一个取到同一运行时的请求会看到上一个请求的数据：这是跨请求（常常是跨租户）的数据泄漏，
而且脚本的行为会取决于它恰好拿到哪个运行时。

## 示例
```go
vm := <-pool
defer func() { pool <- vm }()
vm.Set("request", req) // 下一个使用者仍能看到
vm.RunProgram(prog)
```

## 推荐写法
```go
vm := <-pool
defer func() {
    vm.Set("request", goja.Undefined())
    pool <- vm
}()
vm.Set("request", req)
vm.RunProgram(prog)
```
""",
)


def check(pkg: PackageView):
    seen = set()
    for d in pkg.decls:
        for p in d.facts.pool_returns:
            for name, span in p.globals_set:
                if (d.path, d.start, span) in seen:
                    continue
                seen.add((d.path, d.start, span))
                shown = name[1:] if name.startswith("*") else f'"{name}"'
                message = (
                    f"global {shown} is set on a pooled runtime for this request and not reset before it goes back "
                    f"to the pool at {pkg.at(d, p.span)}: the next user of the runtime sees it"
                )
                yield pkg.finding(RULE, d, span, message, [pkg.related(d, p.span, "returned to the pool here with the global still set")])
