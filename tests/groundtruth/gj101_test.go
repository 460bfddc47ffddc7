package groundtruth

import (
	"io"
	"log"
	"sync"
	"testing"
	"time"

	"github.com/dop251/goja"

	"gojaguard.test/fixtures/rules/gj101"
)

// logSignal sends the log package's output nowhere and a token on the returned channel for each
// line logged: the timer callbacks of LogLater* log, so the owner knows when they ran.
func logSignal(t *testing.T) <-chan struct{} {
	logged, ch := signal()
	log.SetOutput(writerFunc(func(p []byte) (int, error) {
		logged()
		return len(p), nil
	}))
	t.Cleanup(func() { log.SetOutput(io.Discard) })
	return ch
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// configWithToString sets `config` to an object whose toString (which String() calls, on
// whichever goroutine calls it) signals when it ran.
func configWithToString(t *testing.T, vm *goja.Runtime) <-chan struct{} {
	called, ch := signal()
	if err := vm.Set("called", called); err != nil {
		t.Fatal(err)
	}
	if _, err := vm.RunString(`var config = {name: "c", toString() { called(); return "config" }}`); err != nil {
		t.Fatal(err)
	}
	return ch
}

//groundtruth:scenario fixture=rules/gj101/positive.go func=CaptureInGoroutine expect=race
func TestGJ101_Positive_CaptureInGoroutine(t *testing.T) {
	scenario(t)
	vm := goja.New()
	// The goroutine exports obj while the owner's script writes obj.n.
	gj101.CaptureInGoroutine(vm)
}

//groundtruth:scenario fixture=rules/gj101/negative.go func=CaptureExported expect=clean
func TestGJ101_Negative_CaptureExported(t *testing.T) {
	scenario(t)
	vm := goja.New()
	for i := 0; i < 3; i++ {
		gj101.CaptureExported(vm)
	}
	settled(t, "only the exported map crossed; the owner's writes to obj raced with nothing")
}

//groundtruth:scenario fixture=rules/gj101/positive.go func=PassToGoCall expect=race
func TestGJ101_Positive_PassToGoCall(t *testing.T) {
	scenario(t)
	vm := goja.New()
	ran := configWithToString(t, vm)
	// report(v) calls v.String() on the new goroutine: config's toString runs JS there while the
	// owner goes on running scripts.
	gj101.PassToGoCall(vm)
	keepBusy(t, vm, ran)
}

//groundtruth:scenario fixture=rules/gj101/negative.go func=PassExported expect=clean
func TestGJ101_Negative_PassExported(t *testing.T) {
	scenario(t)
	vm := goja.New()
	configWithToString(t, vm)
	gj101.PassExported(vm)
	stop := make(chan struct{})
	time.AfterFunc(100*time.Millisecond, func() { close(stop) })
	keepBusy(t, vm, stop) // the goroutine prints the exported map meanwhile
	settled(t, "the goroutine printed a Go map exported on the owner")
}

//groundtruth:scenario fixture=rules/gj101/positive.go func=SendToConsumer expect=race
func TestGJ101_Positive_SendToConsumer(t *testing.T) {
	scenario(t)
	vm := goja.New()
	if _, err := vm.RunString(`var ticks = {n: 0}; function tick() { ticks.n++; ticks["k" + ticks.n] = ticks.n }`); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		gj101.SendToConsumer(vm)
	}
	// the consumer's v.String() runs the object's toString on the runtime while the owner runs tick()
}

//groundtruth:scenario fixture=rules/gj101/negative.go func=SendExported expect=clean
func TestGJ101_Negative_SendExported(t *testing.T) {
	scenario(t)
	vm := goja.New()
	if _, err := vm.RunString(`var ticks = {n: 0}; function tick() { ticks.n++ }`); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		gj101.SendExported(vm)
	}
	settled(t, "exported ints crossed; no race")
}

//groundtruth:scenario fixture=rules/gj101/positive.go func=LogLater expect=race
func TestGJ101_Positive_LogLater(t *testing.T) {
	scenario(t)
	logged := logSignal(t)
	vm := goja.New()
	obj := vm.NewObject()
	_ = obj.Set("name", "first")
	_ = vm.Set("obj", obj)
	// The owner keeps using the runtime and the object until the timer callback has logged
	// obj.Get("name").
	for r := 0; r < rounds; r++ {
		gj101.LogLater(obj)
		keepBusyWith(t, vm, `obj.name = "n" + busy.n`, logged)
	}
}

//groundtruth:scenario fixture=rules/gj101/negative.go func=LogLaterExported expect=clean
func TestGJ101_Negative_LogLaterExported(t *testing.T) {
	scenario(t)
	logged := logSignal(t)
	vm := goja.New()
	obj := vm.NewObject()
	_ = obj.Set("name", "first")
	_ = vm.Set("obj", obj)
	gj101.LogLaterExported(obj)
	keepBusyWith(t, vm, `obj.name = "n" + busy.n`, logged)
	settled(t, "the timer logged a Go string read on the owner")
}

//groundtruth:scenario fixture=rules/gj101/negative.go func=HandOff expect=clean
func TestGJ101_Negative_HandOff(t *testing.T) {
	scenario(t)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := gj101.HandOff(`({n: 1, list: [1, 2, 3]})`); got == nil {
				t.Error("HandOff returned nil")
			}
		}()
	}
	wg.Wait()
	settled(t, "each runtime and its Values went to one goroutine; the owner only waited")
}

//groundtruth:scenario fixture=rules/gj101/negative.go func=WaitThenUse expect=clean
func TestGJ101_Negative_WaitThenUse(t *testing.T) {
	scenario(t)
	vm := goja.New()
	ran := configWithToString(t, vm)
	gj101.WaitThenUse(vm)
	waitFor(t, "config.toString on the goroutine", ran)
	settled(t, "the goroutine ran config.toString; the owner waited before its next script")
}
