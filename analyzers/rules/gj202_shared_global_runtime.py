"""GJ202 shared-global-runtime."""

from __future__ import annotations

from .base import ERROR, PackageView, Rule
from .concurrent_types import concurrent_uses
from .ownership import canonical, label_of, stories

RULE = Rule(
    id="GJ202",
    name="shared-global-runtime",
    severity=ERROR,
    family="Runtime ownership",
    summary="One runtime in a package variable or long-lived struct field is used by code that runs concurrently.",
    shown_by=(
        "go test -race reports a data race inside the runtime when two concurrent HTTP requests "
        "(or two goroutines) run scripts on the shared runtime; a runtime per request, a "
        "sync.Pool, a lock around every use and an owner goroutine are race-free."
    ),
    doc="""\
## What it does
Finds a runtime kept in a package-level variable, or in a field of a long-lived struct (a service,
a handler), that is used from code running concurrently — goroutines, HTTP handlers (each request
runs on its own goroutine), exported functions called while a background goroutine uses it — with
no pool, no event loop and no lock around every use. The diagnostic sits on the declaration; each
concurrent use is a related location.

No goroutine has to be in sight: a type whose methods lock a mutex of its own is one whose author
expects concurrent callers, so its exported methods may run at the same time. A runtime such a
method reaches — a field of the type or of an object it keeps (`db.tables[name].vm`) — and runs
JS on without one lock held at every use is reported too, naming the lock that shows it.

## Why is this bad?
A runtime serves one goroutine at a time. A single shared runtime behind an HTTP handler is the
classic way to get random `nil` dereferences and corrupted JS state under load.

## Example
```go
var vm = goja.New()

func handler(w http.ResponseWriter, r *http.Request) {
    v, _ := vm.RunString(r.URL.Query().Get("expr")) // every request, concurrently
    fmt.Fprint(w, v)
}
```

## Use instead
A runtime per request (compile once into a shared `*goja.Program`, which is safe), a pool of
runtimes (`chan *goja.Runtime` / `sync.Pool`) that checks one out per request, or one owner
goroutine (an event loop) that runs all JS while others hand it work.
""",
    doc_zh="""\
## 规则说明
发现保存在包级变量或长生命周期结构体字段（服务、处理器）中的运行时，被并发运行的代码使用——goroutine、
HTTP 处理函数（每个请求运行在各自的 goroutine 上）、在后台 goroutine 使用它时被调用的导出函数——
而没有池、没有事件循环、也没有在每次使用时加锁。诊断位于声明处；每个并发使用点作为相关位置列出。

不需要看到 goroutine：一个类型的方法会锁住它自己的互斥锁，说明作者预期它会被并发调用，因此它的导出方法
可能同时运行。这样的方法所触及的运行时——该类型的字段，或它保存的对象的字段（`db.tables[name].vm`）——
若在其上运行 JS 而并非每次使用都持有同一把锁，也会被报告，并指出作为证据的那把锁。

## 为什么有问题
一个运行时同一时间只服务一个 goroutine。在 HTTP 处理函数后面共享单个运行时，是在负载下出现随机
`nil` 解引用和 JS 状态损坏的典型原因。

## 示例
```go
var vm = goja.New()

func handler(w http.ResponseWriter, r *http.Request) {
    v, _ := vm.RunString(r.URL.Query().Get("expr")) // 每个请求都会并发执行
    fmt.Fprint(w, v)
}
```

## 推荐写法
每个请求一个运行时（编译一次得到可安全共享的 `*goja.Program`）、运行时池（`chan *goja.Runtime` /
`sync.Pool`，每个请求取出一个），或由一个所属 goroutine（事件循环）运行全部 JS，其他 goroutine 只向它提交工作。
""",
)


def _declaration(pkg: PackageView, canon: tuple):
    """(path, start, end, label) of the variable or field declaration of a shared runtime."""
    if canon and canon[0] == "pkg":
        var = pkg.index.vars.get(canon[1])
        if var is not None:
            path, start = pkg.index.location("var", canon[1])
            return path, start + var.span[0], start + var.span[1], f"package variable `{canon[1]}`"
    if canon and canon[0] == "field":
        shape = pkg.index.types.get(canon[1])
        if shape is not None and canon[2] in shape.fields:
            f = shape.fields[canon[2]]
            path, start = pkg.index.location("type", canon[1])
            return path, start + f.span[0], start + f.span[1], f"field `{canon[1]}.{canon[2]}`"
    return None


def check(pkg: PackageView):
    groups: dict = {}
    for s in stories(pkg):
        if s.rule != RULE.id:
            continue
        canon = canonical(s.decl, s.key) or (("pkg",) + tuple(s.key[1:]) if s.key[0] == "pkg" else ())
        groups.setdefault(canon, []).append(s)
    for canon, uses in concurrent_uses(pkg).items():
        if canon in groups:
            continue  # told with the goroutines' story below
        decl = _declaration(pkg, canon)
        if decl is None:
            continue
        path, start, end, what = decl
        names = sorted({u.decl.facts.name for u in uses})
        owner = uses[0].owner
        ld, lspan, lname = owner.locks[0]
        message = (
            f"{what} holds one runtime that {_and(names)} {'runs' if len(names) == 1 else 'run'} JS on without "
            f"a lock, and {owner.name}'s methods are called concurrently ({ld.facts.name} locks {lname}): give each caller its "
            f"own runtime (a pool), one owner loop, or hold one lock around every use"
        )
        related = [pkg.related(u.decl, u.touch.span, f"{u.decl.facts.name} uses it without a lock: {u.touch.what}") for u in uses[:6]]
        related.append(pkg.related(ld, lspan, f"{owner.name} guards its other state with {lname}: its methods expect concurrent callers"))
        from .base import Finding

        yield Finding(RULE.id, RULE.name, RULE.severity, path, start, end, message, related)
    for canon, group in groups.items():
        decl = _declaration(pkg, canon)
        first = group[0]
        uses = []
        for s in group:
            kind = {"go": "a goroutine", "off": "an off-owner callback", "multi": "concurrent requests"}.get(s.spawn.kind, "concurrent code")
            uses.append(pkg.related(s.decl, s.anchor, f"used by {kind} (started at {pkg.at(s.decl, s.spawn.span)}): {s.touch.what}"))
            uses += s.others[:2]
        label = label_of(first.decl, first.key)
        if decl is None:
            message = f"runtime {label} is shared by code that runs concurrently ({len(group)} place{'s' if len(group) > 1 else ''}) without a pool, a loop or a lock"
            yield pkg.finding(RULE, first.decl, first.anchor, message, uses[:8])
            continue
        path, start, end, what = decl
        message = (
            f"{what} holds one runtime that is used by code running concurrently "
            f"({len(group)} place{'s' if len(group) > 1 else ''}); give each goroutine its own runtime (a pool) or one owner loop"
        )
        from .base import Finding

        yield Finding(RULE.id, RULE.name, RULE.severity, path, start, end, message, uses[:8])


def _and(names: list[str]) -> str:
    if len(names) > 3:
        return ", ".join(names[:3]) + " and others"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
