package groundtruth

import (
	"sync"
	"testing"

	"github.com/dop251/goja"

	"gojaguard.test/fixtures/rules/gj103"
)

// A pooled runtime whose compute() returns an object it keeps changing, as runtimes that keep
// state between requests do.
func gj103Pool(t *testing.T) chan *goja.Runtime {
	vm := goja.New()
	if _, err := vm.RunString(`var state = {n: 0}; function compute() { state.n++; state["k" + state.n % 4] = state.n; return state }`); err != nil {
		t.Fatal(err)
	}
	pool := make(chan *goja.Runtime, 1)
	pool <- vm
	return pool
}

// nextRequest serves another request on the pool's runtime, on its own goroutine.
func nextRequest(t *testing.T, pool chan *goja.Runtime, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		vm := <-pool
		defer func() { pool <- vm }()
		for i := 0; i < 5; i++ {
			if _, err := vm.RunString(`compute()`); err != nil {
				t.Error(err)
			}
		}
	}()
}

// readStored reads a stored Value the way a later request (a status page, a report) does.
func readStored(v goja.Value) {
	for i := 0; i < 5; i++ {
		_ = v.Export()
	}
}

//groundtruth:scenario fixture=rules/gj103/positive.go func=Handle expect=race race-in=test
func TestGJ103_Positive_Handle(t *testing.T) {
	scenario(t)
	pool := gj103Pool(t)
	gj103.Handle(pool) // request 1 keeps its result in lastResult
	var wg sync.WaitGroup
	nextRequest(t, pool, &wg) // request 2 checks the same runtime out
	readStored(gj103LastResult)
	wg.Wait()
}

//groundtruth:scenario fixture=rules/gj103/negative.go func=HandleExported expect=clean
func TestGJ103_Negative_HandleExported(t *testing.T) {
	scenario(t)
	pool := gj103Pool(t)
	gj103.HandleExported(pool)
	var wg sync.WaitGroup
	nextRequest(t, pool, &wg)
	m, ok := gj103LastData.(map[string]interface{})
	if !ok {
		t.Fatalf("lastData = %#v, want the exported map", gj103LastData)
	}
	for i := 0; i < 5; i++ {
		_ = m["n"]
	}
	wg.Wait()
	settled(t, "the stored data is a Go map: reading it while the runtime serves the next request races with nothing")
}

//groundtruth:scenario fixture=rules/gj103/positive.go func=Service.Handle expect=race race-in=test
func TestGJ103_Positive_ServiceHandle(t *testing.T) {
	scenario(t)
	pool := gj103Pool(t)
	s := &gj103.Service{}
	setField(s, "pool", pool)
	s.Handle()
	var wg sync.WaitGroup
	nextRequest(t, pool, &wg)
	readStored(getField(s, "last").(goja.Value))
	wg.Wait()
}

// handOn gives a stored Value to the next request's own runtime, as the seed's handler2 does.
func handOn(t *testing.T, v goja.Value) {
	t.Helper()
	err := goja.New().Set("previous", v)
	msg, ok := crossRuntimeError(err)
	if !ok {
		t.Fatalf("want goja's cross-runtime TypeError when the stored Value reaches the next runtime, got %v", err)
	}
	shown(t, "the next request's runtime refused the stored Value: %q", msg)
}

//groundtruth:scenario fixture=rules/gj103/positive.go func=Remember expect=shown
func TestGJ103_Positive_Remember(t *testing.T) {
	scenario(t)
	gj103.Remember("k")
	v, _ := gj103Results.Load("k")
	handOn(t, v.(goja.Value))
}

//groundtruth:scenario fixture=rules/gj103/negative.go func=RememberExported expect=clean
func TestGJ103_Negative_RememberExported(t *testing.T) {
	scenario(t)
	gj103.RememberExported("k")
	v, _ := gj103DataResults.Load("k")
	if err := goja.New().Set("previous", v); err != nil {
		t.Fatalf("Set of the stored data: %v", err)
	}
	settled(t, "the stored data went into the next runtime")
}

//groundtruth:scenario fixture=rules/gj103/positive.go func=Memoize expect=shown
func TestGJ103_Positive_Memoize(t *testing.T) {
	scenario(t)
	gj103.Memoize("k", `({n: 1})`)
	handOn(t, gj103Memo["k"])
}

//groundtruth:scenario fixture=rules/gj103/negative.go func=NewSession,Session.Rebind expect=clean
func TestGJ103_Negative_Session(t *testing.T) {
	scenario(t)
	s := gj103.NewSession()
	vm := getField(s, "vm").(*goja.Runtime)
	if _, err := vm.RunString(`function makeHandler() { return function() { return 1 } }`); err != nil {
		t.Fatal(err)
	}
	s.Rebind()
	h, ok := goja.AssertFunction(getField(s, "handler").(goja.Value))
	if !ok {
		t.Fatal("handler is not a function")
	}
	if _, err := h(goja.Undefined()); err != nil {
		t.Fatal(err)
	}
	settled(t, "the session's handler lives with the session's own runtime and is called there")
}

//groundtruth:scenario fixture=rules/gj103/negative.go func=LocalOnly expect=clean
func TestGJ103_Negative_LocalOnly(t *testing.T) {
	scenario(t)
	if n := gj103.LocalOnly(goja.New()); n != 1 {
		t.Fatalf("LocalOnly = %d", n)
	}
	settled(t, "Values kept in locals only")
}
