package groundtruth

import (
	"sync"
	"testing"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja_nodejs/eventloop"

	"gojaguard.test/fixtures/rules/gj302"
)

//groundtruth:scenario fixture=rules/gj302/positive.go func=Emitter.EmitAsync,Emitter,Emitter.On expect=race
func TestGJ302_Positive_EmitAsync(t *testing.T) {
	scenario(t)
	vm, ran := withDone(t)
	e := &gj302.Emitter{}
	_ = vm.Set("on", e.On)
	if _, err := vm.RunString(`var seen = {n: 0}; on(function() { seen.n++; done() })`); err != nil {
		t.Fatal(err)
	}
	e.EmitAsync() // the handler runs on a new goroutine, its slice copied under the lock
	keepBusyWith(t, vm, `seen.n++`, ran)
}

//groundtruth:scenario fixture=rules/gj302/negative.go func=LoopEmitter.EmitAsync,LoopEmitter,LoopEmitter.Add expect=clean
func TestGJ302_Negative_LoopEmitterEmitAsync(t *testing.T) {
	scenario(t)
	loop := eventloop.NewEventLoop()
	loop.Start()
	defer loop.Stop()
	e := &gj302.LoopEmitter{}
	setField(e, "loop", loop)
	ran, ch := signal()
	added := make(chan struct{})
	loop.RunOnLoop(func(vm *goja.Runtime) {
		_ = vm.Set("done", ran)
		v, _ := vm.RunString(`var seen = {n: 0}; (function() { seen.n++; done() })`)
		fn, _ := goja.AssertFunction(v)
		e.Add(fn)
		close(added)
	})
	<-added
	e.EmitAsync()
	for i := 0; i < 20; i++ { // the owner keeps using the runtime, through the loop
		loop.RunOnLoop(func(vm *goja.Runtime) { _, _ = vm.RunString(`seen.n++`) })
		time.Sleep(time.Millisecond)
	}
	waitFor(t, "the handler on the loop", ch)
	settled(t, "the handlers ran on the loop that owns the runtime")
}

//groundtruth:scenario fixture=rules/gj302/negative.go func=Counts.Bump,Counts expect=clean
func TestGJ302_Negative_CountsBump(t *testing.T) {
	scenario(t)
	c := &gj302.Counts{}
	setField(c, "n", map[string]int{})
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); c.Bump("k") }()
	}
	wg.Wait()
	time.Sleep(20 * time.Millisecond) // Bump's own goroutines
	settled(t, "plain Go data under the lock from many goroutines: race-free")
}
