package groundtruth

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja_nodejs/eventloop"
	"github.com/grafana/sobek"
	"go.k6.io/k6/js/modulestest"

	"gojaguard.test/fixtures/cases/k6"
	"gojaguard.test/fixtures/rules/gj402"
)

// startedLoopWithDone: a started loop whose runtime has done = true.
func startedLoopWithDone(t *testing.T) *eventloop.EventLoop {
	loop := eventloop.NewEventLoop()
	loop.Start()
	set := make(chan struct{})
	loop.RunOnLoop(func(vm *goja.Runtime) {
		_ = vm.Set("done", true)
		close(set)
	})
	<-set
	return loop
}

//groundtruth:scenario fixture=rules/gj402/positive.go func=StopInside expect=shown
func TestGJ402_Positive_StopInside(t *testing.T) {
	scenario(t)
	loop := startedLoopWithDone(t)
	gj402.StopInside(loop) // the callback calls loop.Stop() on the loop's own goroutine
	wantHang(t, "loop.Stop() after StopInside", "(*EventLoop).Stop", func() { loop.Stop() })
}

//groundtruth:scenario fixture=rules/gj402/negative.go func=StopNoWaitInside expect=clean
func TestGJ402_Negative_StopNoWaitInside(t *testing.T) {
	scenario(t)
	loop := startedLoopWithDone(t)
	gj402.StopNoWaitInside(loop)
	mustFinish(t, "loop.Stop() after StopNoWaitInside", func() { loop.Stop() })
	settled(t, "StopNoWait inside the callback stopped the loop; Stop from outside returned")
}

//groundtruth:scenario fixture=rules/gj402/positive.go func=RunWhileStarted expect=shown
func TestGJ402_Positive_RunWhileStarted(t *testing.T) {
	scenario(t)
	p := catch(gj402.RunWhileStarted)
	if p == nil || !strings.Contains(fmt.Sprint(p), "already started") {
		t.Fatalf("want goja_nodejs to panic on Run of a started loop, got %v", p)
	}
	shown(t, "loop.Run on the started loop panicked: %v", p)
}

//groundtruth:scenario fixture=rules/gj402/negative.go func=StartedThenRunOnLoop expect=clean
func TestGJ402_Negative_StartedThenRunOnLoop(t *testing.T) {
	scenario(t)
	mustFinish(t, "StartedThenRunOnLoop", gj402.StartedThenRunOnLoop)
	settled(t, "RunOnLoop on the started loop, Stop from outside")
}

//groundtruth:scenario fixture=rules/gj402/negative.go func=RunThenStart expect=clean
func TestGJ402_Negative_RunThenStart(t *testing.T) {
	scenario(t)
	mustFinish(t, "RunThenStart", gj402.RunThenStart)
	settled(t, "Run to completion, then Start and Stop")
}

//groundtruth:scenario fixture=rules/gj402/positive.go func=ExitFromJS expect=shown
func TestGJ402_Positive_ExitFromJS(t *testing.T) {
	scenario(t)
	loop := eventloop.NewEventLoop()
	wantHang(t, "ExitFromJS (exit() calls loop.Stop() inside loop.Run)", "(*EventLoop).Stop", func() { gj402.ExitFromJS(loop) })
}

// The k6 cases run against the stand-in VU (tests/fixtures/_stubs/k6/js/modulestest), whose loop
// keeps k6's documented RegisterCallback contract.

func k6Module(t *testing.T) (*k6.Module, *modulestest.VU) {
	vu := modulestest.NewVU(context.Background())
	m := &k6.Module{}
	setField(m, "vu", vu)
	return m, vu
}

// unreachable is a URL whose requests fail at once (connection refused).
func unreachable(t *testing.T) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	u := srv.URL
	srv.Close()
	return u
}

func okServer(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond)
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

//groundtruth:scenario fixture=cases/k6/k6.go func=Module.ForgetOnError expect=shown
func TestGJ402_Positive_K6ForgetOnError(t *testing.T) {
	scenario(t)
	m, vu := k6Module(t)
	url := unreachable(t)
	wantHang(t, "the VU's iteration (ForgetOnError with a failing request)", "(*VU).RunIteration", func() {
		_ = vu.RunIteration(func() error { m.ForgetOnError(url); return nil })
	})
	if n := vu.Reserved(); n != 1 {
		t.Fatalf("want the one reserved callback still open, got %d", n)
	}
}

//groundtruth:scenario fixture=cases/k6/k6.go func=Module.Callback expect=clean
func TestGJ402_Negative_K6Callback(t *testing.T) {
	scenario(t)
	m, vu := k6Module(t)
	// A failing request: the callback is still called, with the error.
	var err error
	mustFinish(t, "the iteration with a failing request", func() {
		err = vu.RunIteration(func() error { m.Callback(unreachable(t)); return nil })
	})
	if err == nil {
		t.Fatal("want the request's error from the iteration")
	}
	failed := err.Error()
	// A working one: the status lands in the runtime, on the loop.
	url := okServer(t)
	mustFinish(t, "the iteration with a working request", func() {
		err = vu.RunIteration(func() error { m.Callback(url); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := vu.Runtime().Get("status"); got == nil || got.ToInteger() != 200 {
		t.Fatalf("status = %v", got)
	}
	settled(t, "the callback was called exactly once on both paths; both iterations ended (the failing one with %q)", failed)
}

//groundtruth:scenario fixture=cases/k6/k6.go func=Module.RegisterInGoroutine expect=shown
func TestGJ402_Positive_K6RegisterInGoroutine(t *testing.T) {
	scenario(t)
	m, vu := k6Module(t)
	url := okServer(t)
	var err error
	mustFinish(t, "the iteration", func() {
		err = vu.RunIteration(func() error { m.RegisterInGoroutine(url); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(finishWithin)
	for vu.OffLoopRegistrations() == 0 || vu.Reserved() > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the goroutine never registered and handed back its callback")
		}
		time.Sleep(time.Millisecond)
	}
	what := "the iteration waited for it"
	if vu.Dropped() > 0 {
		what = "the iteration had already ended, so the work it handed back was dropped"
	}
	shown(t, "RegisterCallback ran off the loop's goroutine (%d call); this time %s", vu.OffLoopRegistrations(), what)
}

//groundtruth:scenario fixture=cases/k6/k6.go func=Module.Fetch expect=clean
func TestGJ402_Negative_K6Fetch(t *testing.T) {
	scenario(t)
	m, vu := k6Module(t)
	url := okServer(t)
	var p any
	mustFinish(t, "the iteration", func() {
		if err := vu.RunIteration(func() error { p = m.Fetch(url); return nil }); err != nil {
			t.Error(err)
		}
	})
	promise := p.(*sobek.Promise)
	if promise.State() != sobek.PromiseStateFulfilled || promise.Result().ToInteger() != 200 {
		t.Fatalf("promise %v: %v", promise.State(), promise.Result())
	}
	if vu.OffLoopRegistrations() != 0 {
		t.Fatal("a registration off the loop")
	}
	settled(t, "promises.New on the loop, plain data resolved from the goroutine: fulfilled with 200, race-free")
}
