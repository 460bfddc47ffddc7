package groundtruth

import (
	"sync"
	"testing"
	"time"

	"github.com/dop251/goja"

	"gojaguard.test/fixtures/seed/abortcontroller"
	"gojaguard.test/fixtures/seed/abortids"
	"gojaguard.test/fixtures/seed/abortlocked"
	"gojaguard.test/fixtures/seed/aborttimer"
	"gojaguard.test/fixtures/seed/eventloopmode"
	"gojaguard.test/fixtures/seed/poolexecutor"
	"gojaguard.test/fixtures/seed/practices"
	"gojaguard.test/fixtures/seed/savedvalue"
	"gojaguard.test/fixtures/seed/sharedruntime"
	"gojaguard.test/fixtures/seed/valueacross"
)

// The seed review's cases (tests/fixtures/seed), each run for the rule the review (or where it
// stops short) is about.

// withAbortController installs an AbortController constructor into a fresh runtime.
func withAbortController(t *testing.T, ctor func(*goja.Runtime) func(goja.ConstructorCall) *goja.Object) *goja.Runtime {
	vm := goja.New()
	if err := vm.Set("AbortController", ctor(vm)); err != nil {
		t.Fatal(err)
	}
	return vm
}

// A listener that adds another listener when the signal aborts: the re-entrant case.
const reentrantAbort = `
var c = new AbortController(), calls = 0;
c.signal.addEventListener("abort", function() { calls++; c.signal.addEventListener("abort", function() {}) });
c.abort();
calls`

// A page's ordinary use of AbortController.
const ordinaryAbort = `
var results = [];
for (var i = 0; i < 20; i++) {
  var c = new AbortController();
  c.signal.addEventListener("abort", function(e) { results.push(e ? e.type : "abort") });
  c.signal.addEventListener("abort", function() { results.push("second") });
  c.abort(); c.abort();
}
results.length`

// abortControllerRuns runs ordinaryAbort alone (want: how many listener calls) and on 4
// runtimes at once.
func abortControllerRuns(t *testing.T, ctor func(*goja.Runtime) func(goja.ConstructorCall) *goja.Object, want int64) {
	t.Helper()
	vm := withAbortController(t, ctor)
	if v := run(t, vm, ordinaryAbort); v == nil || v.ToInteger() != want {
		t.Fatalf("listeners called %v times, want %d", v, want)
	}
	manyRuntimes(4, func(vm *goja.Runtime) {
		_ = vm.Set("AbortController", ctor(vm))
		run(t, vm, ordinaryAbort)
	})
}

//groundtruth:scenario fixture=seed/abortcontroller/abortcontroller.go func=FetchEnhancer.CreateAbortControllerConstructor,FetchEnhancer.Install expect=unshowable
func TestGJ301_Positive_SeedAbortController(t *testing.T) {
	scenario(t)
	fe := &abortcontroller.FetchEnhancer{}
	abortControllerRuns(t, fe.CreateAbortControllerConstructor, 40) // abort() is idempotent
	vm := goja.New()
	if err := fe.Install(vm); err != nil {
		t.Fatal(err)
	}
	run(t, vm, ordinaryAbort)
	settled(t, "every listenersMutex Lock ran on the goroutine running JS: race-free, alone and with 4 runtimes at once (the review's verdict: safe, the mutex defensive)")
}

//groundtruth:scenario fixture=seed/abortcontroller/abortcontroller.go func=FetchEnhancer.CreateAbortControllerConstructor expect=clean
func TestGJ303_Negative_SeedAbortController(t *testing.T) {
	scenario(t)
	fe := &abortcontroller.FetchEnhancer{}
	vm := withAbortController(t, fe.CreateAbortControllerConstructor)
	mustFinish(t, "abort() with a listener that adds a listener", func() {
		if v := run(t, vm, reentrantAbort); v == nil || v.ToInteger() != 1 {
			t.Errorf("calls = %v", v)
		}
	})
	settled(t, "copy under the lock, call after unlocking: the re-entrant listener's addEventListener went through")
}

//groundtruth:scenario fixture=seed/abortids/abortids.go func=NewAbortControllerConstructor expect=unshowable
func TestGJ301_Positive_SeedAbortIDs(t *testing.T) {
	scenario(t)
	abortControllerRuns(t, abortids.NewAbortControllerConstructor, 80) // no aborted flag: abort() twice calls twice
	settled(t, "the []string-ID rewrite behaves as the original: race-free, the mutex still defensive")
}

//groundtruth:scenario fixture=seed/abortids/abortids.go func=NewAbortControllerConstructor expect=clean
func TestGJ303_Negative_SeedAbortIDs(t *testing.T) {
	scenario(t)
	vm := withAbortController(t, abortids.NewAbortControllerConstructor)
	mustFinish(t, "abort() with a listener that adds a listener", func() { run(t, vm, reentrantAbort) })
	settled(t, "the lock is released before each listener runs: no deadlock")
}

//groundtruth:scenario fixture=seed/abortlocked/abortlocked.go func=NewAbortControllerConstructor expect=shown
func TestGJ303_Positive_SeedAbortLocked(t *testing.T) {
	scenario(t)
	vm := withAbortController(t, abortlocked.NewAbortControllerConstructor)
	run(t, vm, ordinaryAbort) // listeners that do not re-enter are fine
	wantHang(t, "abort() with a listener that adds a listener", "sync.(*Mutex).Lock", func() { run(t, vm, reentrantAbort) })
}

//groundtruth:scenario fixture=seed/aborttimer/aborttimer.go func=NewAbortControllerConstructor expect=race
func TestGJ302_Positive_SeedAbortTimer(t *testing.T) {
	scenario(t)
	vm, fired := withDone(t)
	if err := vm.Set("AbortController", aborttimer.NewAbortControllerConstructor(vm)); err != nil {
		t.Fatal(err)
	}
	// A fetch with a 5ms timeout: abort, and the listeners, run on the timer's goroutine while the
	// page's JS goes on.
	for r := 0; r < rounds; r++ {
		run(t, vm, `var seen = {n: 0}, c = new AbortController();
			c.signal.addEventListener("abort", function() { seen.n++; done() });
			c.abortAfter(5)`)
		keepBusyWith(t, vm, `seen.n++`, fired)
	}
}

//groundtruth:scenario fixture=seed/eventloopmode/eventloop.go func=ExecuteWithEventLoop expect=clean
func TestGJ401_Negative_SeedEventLoopMode(t *testing.T) {
	scenario(t)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			v, err := eventloopmode.ExecuteWithEventLoop(`setTimeout(function() {}, 1); ({n: input.n + 1})`, map[string]interface{}{"n": i})
			if err != nil || v.(map[string]interface{})["n"] != int64(i+1) {
				t.Errorf("ExecuteWithEventLoop = %v, %v", v, err)
			}
		}(i)
	}
	wg.Wait()
	settled(t, "4 goroutines, a loop each; only exported data left the loops")
}

func newExecutor(timeout time.Duration) (*poolexecutor.JSExecutor, *goja.Runtime) {
	e := poolexecutor.NewJSExecutor(1, timeout)
	pool := getField(e, "runtimePool").(chan *goja.Runtime)
	vm := <-pool
	pool <- vm
	return e, vm
}

var slowProgram = goja.MustCompile("slow.js", slowScript, false)

//groundtruth:scenario fixture=seed/poolexecutor/executor.go func=JSExecutor.ExecuteWithRuntimePool,JSExecutor.cleanupRuntime,NewJSExecutor expect=clean
func TestGJ203_Negative_SeedExecuteWithRuntimePool(t *testing.T) {
	scenario(t)
	e := poolexecutor.NewJSExecutor(2, time.Second)
	prg := goja.MustCompile("p.js", `var o = {n: input.n}; for (var i = 0; i < 100; i++) o.n++; o.n`, false)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r, err := e.ExecuteWithRuntimePool(prg, map[string]interface{}{"n": i})
			if err != nil || r.Value != int64(100+i) {
				t.Errorf("= %v, %v", r, err)
			}
		}(i)
	}
	wg.Wait()
	settled(t, "4 concurrent executions on a pool of 2: each runtime went back only after its goroutine finished")
}

//groundtruth:scenario fixture=seed/poolexecutor/executor.go func=JSExecutor.ExecuteWithTimeout,JSExecutor.cleanupRuntime expect=race
func TestGJ203_Positive_SeedExecuteWithTimeout(t *testing.T) {
	scenario(t)
	e, _ := newExecutor(2 * time.Millisecond)
	if _, err := e.ExecuteWithTimeout(slowProgram, nil); err != poolexecutor.ErrTimeout {
		t.Fatalf("want ErrTimeout, got %v", err)
	}
	// The deferred cleanup and the next user touch the runtime while the script still runs.
	_, _ = e.ExecuteWithTimeout(goja.MustCompile("n.js", `1`, false), nil)
	time.Sleep(50 * time.Millisecond)
}

//groundtruth:scenario fixture=seed/poolexecutor/executor.go func=JSExecutor.ExecuteWithInterrupt,JSExecutor.cleanupRuntime expect=clean
func TestGJ203_Negative_SeedExecuteWithInterrupt(t *testing.T) {
	scenario(t)
	e, _ := newExecutor(2 * time.Millisecond)
	for i := 0; i < 5; i++ {
		if _, err := e.ExecuteWithInterrupt(slowProgram, nil); err != poolexecutor.ErrTimeout {
			t.Fatalf("want ErrTimeout, got %v", err)
		}
	}
	settled(t, "on timeout: interrupted, waited for, cleared; no race with the next user")
}

// lateProgram finishes normally just after the executor's timeout fired and interrupted it.
var lateProgram = goja.MustCompile("late.js", `Promise.resolve().then(input.finish); 1`, false)

func lateInput(t *testing.T, vm *goja.Runtime) map[string]interface{} {
	return map[string]interface{}{"finish": func() {
		deadline := time.Now().Add(finishWithin)
		for !interruptPending(vm) {
			if time.Now().After(deadline) {
				panic("the timeout never interrupted")
			}
			time.Sleep(time.Millisecond)
		}
	}}
}

//groundtruth:scenario fixture=seed/poolexecutor/executor.go func=JSExecutor.ExecuteInterruptNoClear expect=shown
func TestGJ204_Positive_SeedExecuteInterruptNoClear(t *testing.T) {
	scenario(t)
	e, vm := newExecutor(20 * time.Millisecond)
	if _, err := e.ExecuteInterruptNoClear(lateProgram, lateInput(t, vm)); err != poolexecutor.ErrTimeout {
		t.Fatalf("want ErrTimeout, got %v", err)
	}
	start := time.Now()
	_, err := e.ExecuteInterruptNoClear(goja.MustCompile("n.js", `1`, false), nil)
	if !interrupted(err) {
		t.Fatalf("want the next execution to fail with the stale interrupt, got %v", err)
	}
	shown(t, "the script had just finished when the timeout's interrupt landed; the next execution on that runtime failed after %v with %T: %v", time.Since(start).Round(time.Microsecond), err, err)
}

//groundtruth:scenario fixture=seed/poolexecutor/executor.go func=JSExecutor.ExecuteWithInterrupt expect=clean
func TestGJ204_Negative_SeedExecuteWithInterrupt(t *testing.T) {
	scenario(t)
	e, vm := newExecutor(20 * time.Millisecond)
	if _, err := e.ExecuteWithInterrupt(lateProgram, lateInput(t, vm)); err != poolexecutor.ErrTimeout {
		t.Fatalf("want ErrTimeout, got %v", err)
	}
	r, err := e.ExecuteWithInterrupt(goja.MustCompile("n.js", `1 + 1`, false), nil)
	if err != nil || r.Value != int64(2) {
		t.Fatalf("next execution = %v, %v", r, err)
	}
	settled(t, "the same late interrupt, cleared: the next execution ran")
}

//groundtruth:scenario fixture=seed/practices/practices.go func=Handler expect=clean
func TestGJ201_Negative_SeedPracticesHandler(t *testing.T) {
	scenario(t)
	pool := make(chan *goja.Runtime, 2)
	pool <- goja.New()
	pool <- goja.New()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); practices.Handler(pool) }()
	}
	wg.Wait()
	settled(t, "4 goroutines, each runtime used by one at a time")
}

//groundtruth:scenario fixture=seed/practices/practices.go func=SameGoroutineValues expect=clean
func TestGJ101_Negative_SeedPracticesSameGoroutineValues(t *testing.T) {
	scenario(t)
	pool := make(chan *goja.Runtime, 1)
	pool <- goja.New()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); practices.SameGoroutineValues(pool) }()
	}
	wg.Wait()
	settled(t, "Values used on the goroutine that checked their runtime out")
}

//groundtruth:scenario fixture=seed/practices/practices.go func=ExportToShare expect=clean
func TestGJ102_Negative_SeedPracticesExportToShare(t *testing.T) {
	scenario(t)
	vm2 := goja.New()
	practices.ExportToShare(goja.New(), vm2)
	if v := vm2.Get("imported"); v == nil || v.String() != "hello" {
		t.Fatalf("imported = %v", v)
	}
	settled(t, "exported data re-created in the second runtime")
}

//groundtruth:scenario fixture=seed/practices/practices.go func=OneGoroutinePerRuntime,worker expect=clean
func TestGJ201_Negative_SeedPracticesOneGoroutinePerRuntime(t *testing.T) {
	scenario(t)
	practices.OneGoroutinePerRuntime()
	settled(t, "two runtimes, a goroutine each")
}

//groundtruth:scenario fixture=seed/practices/practices.go func=RuntimePool.Execute,RuntimePool expect=clean
func TestGJ203_Negative_SeedPracticesRuntimePool(t *testing.T) {
	scenario(t)
	rp := &practices.RuntimePool{}
	pool := make(chan *goja.Runtime, 2)
	pool <- goja.New()
	pool <- goja.New()
	setField(rp, "pool", pool)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); rp.Execute(`var o = {n: 0}; for (var i = 0; i < 50; i++) o.n++`) }()
	}
	wg.Wait()
	settled(t, "checked out, used on one goroutine, returned after the script ended")
}

//groundtruth:scenario fixture=seed/practices/practices.go func=CreateController expect=clean
func TestGJ101_Negative_SeedPracticesCreateController(t *testing.T) {
	scenario(t)
	manyRuntimes(4, func(vm *goja.Runtime) {
		_ = vm.Set("controller", practices.CreateController(vm))
		run(t, vm, `var n = 0; controller.add(function() { n++; controller.add(function() {}) }); controller.fire(); n`)
	})
	settled(t, "closure variables confined to their runtime's goroutine")
}

// fillSavedvaluePool fills the seed's (unexported) pool with two runtimes.
func fillSavedvaluePool() []*goja.Runtime {
	vms := []*goja.Runtime{goja.New(), goja.New()}
	for _, vm := range vms {
		savedvaluePool <- vm
	}
	return vms
}

//groundtruth:scenario fixture=seed/savedvalue/saved.go func=Serve,handler1,handler2 expect=shown
func TestGJ205_Positive_SeedSavedValue(t *testing.T) {
	scenario(t)
	vms := fillSavedvaluePool()
	savedvalue.Serve()
	// handler2 ran on the second runtime and left "imported" set on it.
	for i, vm := range vms {
		if v := vm.Get("imported"); v != nil && !goja.IsUndefined(v) {
			shown(t, "runtime %d went back to the pool with handler2's global imported = %q for the next request", i+1, v)
			return
		}
	}
	t.Fatal("no pooled runtime kept handler2's global")
}

//groundtruth:scenario fixture=seed/savedvalue/saved.go func=Serve,handler1,handler2 expect=clean disagree="the saved Value is runtime.ToValue(\"hello\"): a goja primitive string, bound to no runtime. handler2, on the other pooled runtime, sets it without error and the runtime reads \"hello\": goja raises nothing and nothing races"
func TestGJ102_Positive_SeedSavedValue(t *testing.T) {
	scenario(t)
	vms := fillSavedvaluePool()
	savedvalue.Serve()
	got := vms[1].Get("imported")
	if got == nil || got.String() != "hello" {
		t.Fatalf("handler2's runtime has imported = %v", got)
	}
	settled(t, "handler2 handed runtime 1's Value (a primitive string) to runtime 2: accepted, imported = %q", got)
}

//groundtruth:scenario fixture=seed/savedvalue/saved.go func=Serve,handler1,handler2 expect=clean disagree="the stored Value is runtime.ToValue(\"hello\"): a goja primitive string, immutable and bound to no runtime, so keeping it past the check-out neither races (serving requests on both runtimes while reading it is race-free) nor fails in another runtime"
func TestGJ103_Positive_SeedSavedValue(t *testing.T) {
	scenario(t)
	fillSavedvaluePool()
	savedvalue.Serve()
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ { // both runtimes serve further requests ...
		wg.Add(1)
		go func() {
			defer wg.Done()
			vm := <-savedvaluePool
			defer func() { savedvaluePool <- vm }()
			run(t, vm, `var o = {n: 0}; for (var i = 0; i < 50; i++) o.n++`)
		}()
	}
	for i := 0; i < 5; i++ { // ... while a later request reads the saved Value
		_ = savedvalueSaved.String()
		_ = savedvalueSaved.Export()
	}
	wg.Wait()
	settled(t, "the saved Value outlived its check-out; both runtimes served more requests; nothing raced or failed")
}

//groundtruth:scenario fixture=seed/sharedruntime/shared.go func=RunTwice,sharedRuntime expect=race
func TestGJ202_Positive_SeedSharedRuntime(t *testing.T) {
	scenario(t)
	sharedruntime.RunTwice()
}

//groundtruth:scenario fixture=seed/valueacross/value.go func=Consume,value,Produce expect=shown
func TestGJ102_Positive_SeedValueAcross(t *testing.T) {
	scenario(t)
	valueacross.Produce(goja.New())
	err := valueacross.Consume(goja.New())
	msg, ok := crossRuntimeError(err)
	if !ok {
		t.Fatalf("want goja's cross-runtime TypeError from Consume, got %v", err)
	}
	shown(t, "runtime2.Set(\"imported\", value) returned %q", msg)
}

//groundtruth:scenario fixture=seed/valueacross/value.go func=Produce,value expect=shown
func TestGJ103_Positive_SeedValueAcross(t *testing.T) {
	scenario(t)
	valueacross.Produce(goja.New())
	handOn(t, getValueacrossValue())
}
