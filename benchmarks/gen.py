"""Generated goja-heavy Go code for the benchmarks: varied declarations (pools, goroutines, timers,
event loops, mutex-guarded listeners, plain helpers), some buggy and some safe, with CJK and emoji
in comments, as one file of N lines or as a tree of packages."""

from __future__ import annotations

from pathlib import Path

HEADER = """package {pkg}

import (
	"sync"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja_nodejs/eventloop"
)

var _ = time.Second
var _ sync.Mutex
var _ = eventloop.NewEventLoop

"""

# Each template is one or more top-level declarations; {n} makes the names unique.
TEMPLATES = [
    """// Handle{n} runs one request on a pooled runtime (安全: the runtime stays on this goroutine).
func Handle{n}(pool chan *goja.Runtime, code string) (interface{{}}, error) {{
	vm := <-pool
	defer func() {{ pool <- vm }}()
	v, err := vm.RunString(code)
	if err != nil {{
		return nil, err
	}}
	return v.Export(), nil
}}
""",
    """// Leak{n} reads an object on another goroutine while the owner keeps running scripts. 🐛
func Leak{n}(vm *goja.Runtime) {{
	obj := vm.NewObject()
	_ = obj.Set("n", {n})
	go func() {{
		_ = obj.Get("n")
	}}()
	_, _ = vm.RunString("tick{n}()")
}}
""",
    """// Svc{n} keeps listeners of its runtime behind a mutex (防御性的锁).
type Svc{n} struct {{
	mu  sync.Mutex
	vm  *goja.Runtime
	cbs []goja.Value
}}

func (s *Svc{n}) Add(v goja.Value) {{
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cbs = append(s.cbs, v)
}}

func (s *Svc{n}) Fire() {{
	s.mu.Lock()
	cbs := append([]goja.Value(nil), s.cbs...)
	s.mu.Unlock()
	for _, cb := range cbs {{
		if fn, ok := goja.AssertFunction(cb); ok {{
			_, _ = fn(goja.Undefined())
		}}
	}}
}}
""",
    """// Loop{n} evaluates on an event loop and lets only exported data out.
func Loop{n}(code string) interface{{}} {{
	loop := eventloop.NewEventLoop()
	loop.Start()
	defer loop.Stop()
	out := make(chan interface{{}}, 1)
	loop.RunOnLoop(func(vm *goja.Runtime) {{
		v, _ := vm.RunString(code)
		out <- v.Export()
	}})
	return <-out
}}
""",
    """// Timer{n}: 计时器 🕐 a watchdog that interrupts a slow script.
func Timer{n}(vm *goja.Runtime, d time.Duration) error {{
	t := time.AfterFunc(d, func() {{ vm.Interrupt("timeout") }})
	defer t.Stop()
	_, err := vm.RunString("work{n}()")
	vm.ClearInterrupt()
	return err
}}
""",
    """// Plain{n} is ordinary Go: nothing for gojaguard here.
func Plain{n}(xs []int) int {{
	total := 0
	for i, x := range xs {{
		if i%2 == 0 {{
			total += x * {n}
		}} else {{
			total -= x
		}}
	}}
	return total
}}
""",
    """// Batch{n} fans a script out to runtimes it makes, one goroutine each.
func Batch{n}(code string, k int) {{
	var wg sync.WaitGroup
	for i := 0; i < k; i++ {{
		wg.Add(1)
		go func() {{
			defer wg.Done()
			vm := goja.New()
			_, _ = vm.RunString(code)
		}}()
	}}
	wg.Wait()
}}
""",
]

# Edit sites: (a line that starts with this text after its indentation, the declaration kind).
EDIT_LINES = (b"total := 0", b"_ = obj.Set(")


def source(lines: int, pkg: str = "bench", first: int = 0) -> str:
    """One Go file of at least ``lines`` lines."""
    out = [HEADER.format(pkg=pkg)]
    total = out[0].count("\n")
    n = first
    while total < lines:
        t = TEMPLATES[n % len(TEMPLATES)].format(n=n) + "\n"
        out.append(t)
        total += t.count("\n")
        n += 1
    return "".join(out)


def tree(root: Path, files: int, lines_per_file: int = 200, files_per_package: int = 20) -> int:
    """A module of ``files`` Go files in packages of ``files_per_package``; returns the bytes written."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "go.mod").write_text("module example.com/benchtree\n\ngo 1.22\n")
    written = 0
    for i in range(files):
        pkg = f"p{i // files_per_package}"
        d = root / pkg
        d.mkdir(exist_ok=True)
        data = source(lines_per_file, pkg=pkg, first=i * 1000).encode()
        (d / f"f{i}.go").write_bytes(data)
        written += len(data)
    return written
