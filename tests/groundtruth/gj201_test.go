package groundtruth

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja_nodejs/eventloop"

	"github.com/grafana/sobek"
	"go.k6.io/k6/js/modulestest"
	"go.k6.io/k6/js/taskqueue"

	"gojaguard.test/fixtures/cases/aliased"
	forkcase "gojaguard.test/fixtures/cases/fork"
	"gojaguard.test/fixtures/cases/helpers"
	"gojaguard.test/fixtures/cases/k6"
	"gojaguard.test/fixtures/cases/ownerloop"
	"gojaguard.test/fixtures/cases/ownerqueue"
	"gojaguard.test/fixtures/cases/requestloop"
	"gojaguard.test/fixtures/cases/scheduler"
	sobekcase "gojaguard.test/fixtures/cases/sobek"
	"gojaguard.test/fixtures/cases/unicode"
	"gojaguard.test/fixtures/rules/gj201"
)

//groundtruth:scenario fixture=rules/gj201/positive.go func=RunInBackground expect=race
func TestGJ201_Positive_RunInBackground(t *testing.T) {
	scenario(t)
	vm, ran := withDone(t)
	gj201.RunInBackground(vm, `var x = {n: 1}; x.n++; done()`)
	keepBusy(t, vm, ran)
}

//groundtruth:scenario fixture=rules/gj201/negative.go func=RunAndWait expect=clean
func TestGJ201_Negative_RunAndWait(t *testing.T) {
	scenario(t)
	vm, ran := withDone(t)
	for i := 0; i < 5; i++ {
		if err := gj201.RunAndWait(vm, `var x = {n: 1}; x.n++; done()`); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the script", ran)
	settled(t, "the owner waited for the goroutine before vm.Set")
}

//groundtruth:scenario fixture=rules/gj201/positive.go func=CallLater expect=race
func TestGJ201_Positive_CallLater(t *testing.T) {
	scenario(t)
	vm, ran := withDone(t)
	if _, err := vm.RunString(`function onTick() { done() }`); err != nil {
		t.Fatal(err)
	}
	gj201.CallLater(vm) // onTick runs from a timer goroutine after 1s
	keepBusy(t, vm, ran)
}

//groundtruth:scenario fixture=rules/gj201/negative.go func=Watchdog expect=clean
func TestGJ201_Negative_Watchdog(t *testing.T) {
	scenario(t)
	vm := goja.New()
	err := gj201.Watchdog(vm, `for (;;) {}`) // the timer's Interrupt stops it after 1s
	if !interrupted(err) {
		t.Fatalf("want the watchdog's InterruptedError, got %v", err)
	}
	settled(t, "vm.Interrupt from the timer goroutine stopped the script: %v", err)
}

//groundtruth:scenario fixture=rules/gj201/positive.go func=InstallLater expect=race
func TestGJ201_Positive_InstallLater(t *testing.T) {
	scenario(t)
	vm, ran := withDone(t)
	gj201.InstallLater(vm)
	for r := 0; r < rounds; r++ {
		if _, err := vm.RunString(`later(function() { done() })`); err != nil {
			t.Fatal(err)
		}
		keepBusy(t, vm, ran) // JS moves on; cb runs 10ms later on the goroutine
	}
}

//groundtruth:scenario fixture=rules/gj201/negative.go func=ScheduleOnLoop expect=clean
func TestGJ201_Negative_ScheduleOnLoop(t *testing.T) {
	scenario(t)
	loop := eventloop.NewEventLoop()
	loop.Start()
	defer loop.Stop()
	ticked, ch := signal()
	loop.RunOnLoop(func(vm *goja.Runtime) {
		_ = vm.Set("ticked", ticked)
		_, _ = vm.RunString(`var n = 0; function tick() { n++; ticked() }`)
	})
	gj201.ScheduleOnLoop(loop)
	// Meanwhile the owner keeps using the runtime, through the loop.
	for i := 0; i < 20; i++ {
		loop.RunOnLoop(func(vm *goja.Runtime) { _, _ = vm.RunString(`n++`) })
		time.Sleep(time.Millisecond)
	}
	waitFor(t, "tick() on the loop", ch)
	settled(t, "tick() ran on the loop's goroutine")
}

//groundtruth:scenario fixture=rules/gj201/positive.go func=StartWorker,evalLoop expect=race
func TestGJ201_Positive_StartWorker(t *testing.T) {
	scenario(t)
	vm, ran := withDone(t)
	jobs := make(chan string, 1)
	jobs <- `var x = {n: 1}; x.n++; done()` // already queued: the worker runs it at once
	close(jobs)
	gj201.StartWorker(vm, jobs) // ... while StartWorker goes on with vm.Set
	waitFor(t, "the worker's job", ran)
}

//groundtruth:scenario fixture=rules/gj201/negative.go func=HandOffWorker expect=clean
func TestGJ201_Negative_HandOffWorker(t *testing.T) {
	scenario(t)
	jobs := make(chan string)
	gj201.HandOffWorker(jobs)
	for i := 0; i < 3; i++ {
		jobs <- `var x = {n: 1}; x.n++`
	}
	close(jobs)
	time.Sleep(20 * time.Millisecond)
	settled(t, "the worker alone used the runtime")
}

//groundtruth:scenario fixture=rules/gj201/positive.go func=TwoGoroutines expect=race
func TestGJ201_Positive_TwoGoroutines(t *testing.T) {
	scenario(t)
	gj201.TwoGoroutines() // a() and b() are undefined: both goroutines throw ReferenceErrors on one vm
}

//groundtruth:scenario fixture=rules/gj201/negative.go func=FreshPerGoroutine expect=clean
func TestGJ201_Negative_FreshPerGoroutine(t *testing.T) {
	scenario(t)
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gj201.FreshPerGoroutine([]string{"a", "b", "c", "d"})
		}()
	}
	wg.Wait()
	settled(t, "one compiled program shared by runtimes on many goroutines")
}

// Extra cases (tests/fixtures/cases): the same bug behind aliases, forks, helpers, hand-made
// owner loops, schedulers, sobek and k6.

//groundtruth:scenario fixture=cases/aliased/aliased.go func=Engine.Later expect=race
func TestGJ201_Positive_AliasedLater(t *testing.T) {
	scenario(t)
	vm, ran := withDone(t)
	e := &aliased.Engine{}
	_ = vm.Set("later", e.Later)
	for r := 0; r < rounds; r++ {
		if _, err := vm.RunString(`later(function() { done() })`); err != nil {
			t.Fatal(err)
		}
		keepBusy(t, vm, ran)
	}
}

//groundtruth:scenario fixture=cases/aliased/aliased.go func=Engine.Now expect=clean
func TestGJ201_Negative_AliasedNow(t *testing.T) {
	scenario(t)
	vm, ran := withDone(t)
	e := &aliased.Engine{}
	_ = vm.Set("now", e.Now)
	if _, err := vm.RunString(`now(function() { done() })`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the callback", ran)
	settled(t, "the callback ran right away, on the runtime's goroutine")
}

//groundtruth:scenario fixture=cases/fork/fork.go func=Scan expect=race
func TestGJ201_Positive_ForkScan(t *testing.T) {
	scenario(t)
	vm, ran := withDone(t)
	forkcase.Scan(vm, `var x = {n: 1}; x.n++; done()`)
	keepBusy(t, vm, ran)
}

//groundtruth:scenario fixture=cases/fork/fork.go func=ScanFresh expect=clean
func TestGJ201_Negative_ForkScanFresh(t *testing.T) {
	scenario(t)
	for i := 0; i < 4; i++ {
		forkcase.ScanFresh(`var x = {n: 1}; x.n++`)
	}
	time.Sleep(20 * time.Millisecond)
	settled(t, "a fresh runtime per goroutine")
}

//groundtruth:scenario fixture=cases/helpers/helpers.go func=ThroughAsync,async expect=race
func TestGJ201_Positive_HelpersThroughAsync(t *testing.T) {
	scenario(t)
	vm, ran := withDone(t)
	_, _ = vm.RunString(`function tick() { done() }`)
	helpers.ThroughAsync(vm)
	keepBusy(t, vm, ran)
}

//groundtruth:scenario fixture=cases/helpers/helpers.go func=ThroughInline,inline expect=clean
func TestGJ201_Negative_HelpersThroughInline(t *testing.T) {
	scenario(t)
	vm, ran := withDone(t)
	_, _ = vm.RunString(`function tick() { done() }`)
	helpers.ThroughInline(vm)
	waitFor(t, "tick()", ran)
	settled(t, "the helper ran the function on the caller's goroutine")
}

//groundtruth:scenario fixture=cases/helpers/helpers.go func=ThroughGroup,Group,Group.Go,Group.Wait expect=race
func TestGJ201_Positive_HelpersThroughGroup(t *testing.T) {
	scenario(t)
	vm := goja.New()
	_, _ = vm.RunString(`var o = {n: 0}; function a() { o.n++ } function b() { o.n++ }`)
	helpers.ThroughGroup(vm)
}

//groundtruth:scenario fixture=cases/helpers/helpers.go func=GroupOwnRuntimes expect=clean
func TestGJ201_Negative_HelpersGroupOwnRuntimes(t *testing.T) {
	scenario(t)
	helpers.GroupOwnRuntimes([]string{"var o = {n: 1}", "[1, 2].map(function(x) { return x * 2 })", "1 + 1"})
	settled(t, "each goroutine made its own runtime")
}

//groundtruth:scenario fixture=cases/ownerloop/ownerloop.go func=Loop.Eval,Loop,New,Loop.run,Loop.Do,Loop.Close expect=clean
func TestGJ201_Negative_OwnerLoop(t *testing.T) {
	scenario(t)
	l := ownerloop.New()
	defer l.Close()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				if v, err := l.Eval(`var o = {n: 0}; for (var i = 0; i < 20; i++) o.n++; o.n`); err != nil || v != int64(20) {
					t.Errorf("Eval = %v, %v", v, err)
				}
			}
		}()
	}
	wg.Wait()
	settled(t, "4 goroutines handed 20 scripts to the owner goroutine")
}

func newOwnerQueue(t *testing.T) (*ownerqueue.Loop, *goja.Runtime, <-chan struct{}) {
	vm, ran := withDone(t)
	l := &ownerqueue.Loop{}
	setField(l, "vm", vm)
	setField(l, "tasks", make(chan func(), 16))
	return l, vm, ran
}

//groundtruth:scenario fixture=cases/ownerqueue/loop.go func=Loop.SetTimeout,Trigger.AddTask,Loop.Run expect=clean
func TestGJ201_Negative_OwnerQueueSetTimeout(t *testing.T) {
	scenario(t)
	l, vm, ran := newOwnerQueue(t)
	_ = vm.Set("setTimeout", l.SetTimeout)
	if _, err := vm.RunString(`var o = {n: 0}; setTimeout(function() { o.n++; done() }, 5)`); err != nil {
		t.Fatal(err)
	}
	l.Run(ran) // the owner drains the queue until the callback has run
	settled(t, "the timer only queued the callback; the owner ran it")
}

//groundtruth:scenario fixture=cases/ownerqueue/loop.go func=Loop.SetTimeoutDirect expect=race
func TestGJ201_Positive_OwnerQueueSetTimeoutDirect(t *testing.T) {
	scenario(t)
	l, vm, ran := newOwnerQueue(t)
	_ = vm.Set("setTimeout", l.SetTimeoutDirect)
	_, _ = vm.RunString(`var o = {n: 0}`)
	for r := 0; r < rounds; r++ {
		if _, err := vm.RunString(`setTimeout(function() { o.n++; done() }, 5)`); err != nil {
			t.Fatal(err)
		}
		keepBusyWith(t, vm, `o.n++`, ran)
	}
}

//groundtruth:scenario fixture=cases/ownerqueue/loop.go func=Loop.Post,Loop.Run expect=clean
func TestGJ201_Negative_OwnerQueuePost(t *testing.T) {
	scenario(t)
	l, vm, _ := newOwnerQueue(t)
	v, _ := vm.RunString(`({n: 1})`)
	l.Post(v)
	stop := make(chan struct{})
	time.AfterFunc(50*time.Millisecond, func() { close(stop) })
	l.Run(stop)
	if got := vm.Get("result"); got == nil || got.Export() == nil {
		t.Fatalf("result = %v", got)
	}
	settled(t, "the closure posted from the goroutine ran on the owner")
}

//groundtruth:scenario fixture=cases/requestloop/jsre.go func=New,JSRE.runEventLoop,MakeCallback,JSRE.Set,JSRE.Do expect=clean unshown="the two goroutines do use the runtime at the same time, but touch disjoint state: the loop's SetRandSource writes the runtime's random source, New's MakeCallback (vm.ToValue of a Go func) only builds a new function object, and everything after goes through the loop. With no memory shared the race detector has nothing to report (20 rounds here)"
func TestGJ201_Positive_RequestLoopNew(t *testing.T) {
	scenario(t)
	for i := 0; i < 20; i++ {
		requestloop.New()
	}
	settled(t, "20 rounds of New: no race")
}

//groundtruth:scenario fixture=cases/requestloop/jsre.go func=NewQueued,JSRE.runEventLoop,MakeCallback,JSRE.Do expect=clean
func TestGJ201_Negative_RequestLoopNewQueued(t *testing.T) {
	scenario(t)
	for i := 0; i < 20; i++ {
		re := requestloop.NewQueued()
		re.Do(func(vm *goja.Runtime) { _, _ = vm.RunString(`loadScript()`) })
	}
	settled(t, "the callback was made on the loop's goroutine")
}

// owner is a scheduler.Owner: the goroutine that calls serve runs what is posted.
type owner chan func(*goja.Runtime)

func (o owner) Post(ctx context.Context, fn func(context.Context, *goja.Runtime)) error {
	o <- func(vm *goja.Runtime) { fn(ctx, vm) }
	return nil
}

//groundtruth:scenario fixture=cases/scheduler/scheduler.go func=ReadFile expect=clean
func TestGJ201_Negative_SchedulerReadFile(t *testing.T) {
	scenario(t)
	vm := goja.New()
	posts := make(owner, 4)
	settledCh := make(chan struct{})
	var once sync.Once
	_ = vm.Set("settled", func() { once.Do(func() { close(settledCh) }) })
	for _, path := range []string{"go.mod", "/no/such/file"} {
		p := scheduler.ReadFile(vm, posts, path)
		_ = vm.Set("p", p)
		_, _ = vm.RunString(`p.then(settled, settled)`)
	}
	deadline := time.After(finishWithin)
	for n := 0; n < 2; n++ { // the owner runs the two posted settlements, keeping busy meanwhile
		select {
		case fn := <-posts:
			fn(vm)
		case <-deadline:
			t.Fatal("nothing was posted")
		}
		_, _ = vm.RunString(`var o = {n: 0}; o.n++`)
	}
	waitFor(t, "a promise reaction", settledCh)
	settled(t, "read and error both settled on the owner")
}

//groundtruth:scenario fixture=cases/scheduler/scheduler.go func=ReadFileRejectHere expect=race
func TestGJ201_Positive_SchedulerReadFileRejectHere(t *testing.T) {
	scenario(t)
	vm := goja.New()
	p := scheduler.ReadFileRejectHere(vm, make(owner, 4), "/no/such/file") // the error path
	_ = vm.Set("p", p)
	rejected := make(chan struct{})
	for i := 0; i < 200; i++ { // the owner keeps using the runtime
		_, _ = vm.RunString(`var o = {n: 0}; o.n++`)
		if p.(*goja.Object).Export().(*goja.Promise).State() == goja.PromiseStateRejected {
			close(rejected)
			break
		}
		time.Sleep(time.Millisecond)
	}
	waitFor(t, "the rejection", rejected)
}

//groundtruth:scenario fixture=cases/sobek/sobek.go func=Background expect=race
func TestGJ201_Positive_SobekBackground(t *testing.T) {
	scenario(t)
	rt := sobek.New()
	done, ran := signal()
	_ = rt.Set("work", done)
	sobekcase.Background(rt)
	keepBusySobek(t, rt, ran)
}

//groundtruth:scenario fixture=cases/sobek/sobek.go func=Waited expect=clean
func TestGJ201_Negative_SobekWaited(t *testing.T) {
	scenario(t)
	rt := sobek.New()
	done, ran := signal()
	_ = rt.Set("work", done)
	sobekcase.Waited(rt)
	waitFor(t, "work()", ran)
	settled(t, "handed off and waited for")
}

//groundtruth:scenario fixture=cases/unicode/unicode.go func=后台运行 expect=race
func TestGJ201_Positive_Unicode后台运行(t *testing.T) {
	scenario(t)
	vm, ran := withDone(t)
	unicode后台运行(vm, `var x = {n: 1}; x.n++; done()`)
	keepBusy(t, vm, ran)
}

//groundtruth:scenario fixture=cases/unicode/unicode.go func=Later expect=race
func TestGJ201_Positive_UnicodeLater(t *testing.T) {
	scenario(t)
	vm, ran := withDone(t)
	_, _ = vm.RunString(`function cb() { done() }`)
	for r := 0; r < rounds; r++ {
		unicode.Later(vm)
		keepBusy(t, vm, ran)
	}
}

//groundtruth:scenario fixture=cases/unicode/unicode.go func=安全 expect=clean
func TestGJ201_Negative_Unicode安全(t *testing.T) {
	scenario(t)
	for i := 0; i < 4; i++ {
		unicode安全(`var x = {n: 1}; x.n++`)
	}
	time.Sleep(20 * time.Millisecond)
	settled(t, "a fresh runtime per goroutine")
}

// The k6 cases, against the stand-in VU; the loop is the goroutine that runs the iteration.

func k6Stream(t *testing.T, messages ...string) (*k6.Stream, *modulestest.VU) {
	vu := modulestest.NewVU(context.Background())
	ch := make(chan string, len(messages))
	for _, m := range messages {
		ch <- m
	}
	close(ch)
	s := &k6.Stream{}
	setField(s, "vu", vu)
	setField(s, "messages", ch)
	return s, vu
}

//groundtruth:scenario fixture=cases/k6/k6.go func=Stream.LoopDirect expect=race
func TestGJ201_Positive_K6LoopDirect(t *testing.T) {
	scenario(t)
	s, vu := k6Stream(t, "a", "b", "c")
	_ = vu.RunIteration(func() error {
		s.LoopDirect()
		stop := make(chan struct{})
		time.AfterFunc(50*time.Millisecond, func() { close(stop) })
		keepBusySobek(t, vu.Runtime(), stop) // the loop's own JS meanwhile
		return nil
	})
}

//groundtruth:scenario fixture=cases/k6/k6.go func=Stream.Loop expect=clean
func TestGJ201_Negative_K6Loop(t *testing.T) {
	scenario(t)
	s, vu := k6Stream(t, "a", "b", "c")
	tasks := make(chan taskqueue.Task, 3)
	setField(s, "tq", taskqueue.New(tasks))
	err := vu.RunIteration(func() error {
		s.Loop()
		for i := 0; i < 3; i++ { // the loop runs the queued tasks, keeping busy in between
			if err := (<-tasks)(); err != nil {
				return err
			}
			if _, err := vu.Runtime().RunString(`var o = {n: 0}; o.n++`); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || vu.Runtime().Get("last").String() != "c" {
		t.Fatalf("err %v, last %v", err, vu.Runtime().Get("last"))
	}
	settled(t, "every message queued to the loop and set there")
}

//groundtruth:scenario fixture=cases/k6/k6.go func=Module.FetchValue expect=clean disagree="rt.ToValue(resp.StatusCode) of an int makes a sobek primitive without touching the runtime, and resolve hands it to the loop: the goroutine's one use of the runtime touches no runtime state, so the race detector reports nothing"
func TestGJ201_Positive_K6FetchValue(t *testing.T) {
	scenario(t)
	m, vu := k6Module(t)
	url := okServer(t)
	var p any
	err := vu.RunIteration(func() error {
		p = m.FetchValue(url)
		stop := make(chan struct{})
		time.AfterFunc(50*time.Millisecond, func() { close(stop) })
		keepBusySobek(t, vu.Runtime(), stop)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	promise := p.(*sobek.Promise)
	if promise.State() != sobek.PromiseStateFulfilled {
		t.Fatalf("promise state %v: %v", promise.State(), promise.Result())
	}
	settled(t, "the promise was fulfilled with %v; no race", promise.Result())
}

//groundtruth:scenario fixture=cases/k6/k6.go func=Module.Fetch expect=clean
func TestGJ201_Negative_K6Fetch(t *testing.T) {
	scenario(t)
	m, vu := k6Module(t)
	url := okServer(t)
	err := vu.RunIteration(func() error {
		m.Fetch(url)
		stop := make(chan struct{})
		time.AfterFunc(50*time.Millisecond, func() { close(stop) })
		keepBusySobek(t, vu.Runtime(), stop)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	settled(t, "plain data resolved from the goroutine, settled on the loop; no race")
}
