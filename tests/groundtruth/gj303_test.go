package groundtruth

import (
	"sync"
	"testing"

	"github.com/dop251/goja"

	"gojaguard.test/fixtures/rules/gj303"
)

// GJ303 is shown as a deadlock: a JS callback that re-enters a function that takes the same
// mutex blocks forever (Go mutexes are not re-entrant). The call runs on its own goroutine (which
// becomes the runtime's owner) and the scenario reports it hung when it has not returned after
// hangAfter; the safe twins return at once.

// busWithReentrantSubscriber: a subscriber that subscribes another one when called.
func busWithReentrantSubscriber(t *testing.T) (*gj303.Bus, *goja.Runtime) {
	vm := goja.New()
	b := &gj303.Bus{}
	_ = vm.Set("subscribe", b.Subscribe)
	if _, err := vm.RunString(`subscribe(function(msg) { subscribe(function() {}) })`); err != nil {
		t.Fatal(err)
	}
	return b, vm
}

//groundtruth:scenario fixture=rules/gj303/positive.go func=Bus.Publish,Bus,Bus.Subscribe expect=shown
func TestGJ303_Positive_Publish(t *testing.T) {
	scenario(t)
	b, vm := busWithReentrantSubscriber(t)
	msg := vm.ToValue("hello")
	wantHang(t, "Publish with a subscriber that subscribes", "sync.(*Mutex).Lock", func() { b.Publish(msg) })
}

//groundtruth:scenario fixture=rules/gj303/negative.go func=Bus.PublishCopy expect=clean
func TestGJ303_Negative_PublishCopy(t *testing.T) {
	scenario(t)
	b, vm := busWithReentrantSubscriber(t)
	msg := vm.ToValue("hello")
	mustFinish(t, "PublishCopy", func() { b.PublishCopy(msg) })
	mustFinish(t, "PublishCopy again", func() { b.PublishCopy(msg) })
	settled(t, "copied under the lock, called after unlocking: the subscriber's subscribe() went through")
}

//groundtruth:scenario fixture=rules/gj303/positive.go func=InstallTicker expect=shown
func TestGJ303_Positive_InstallTicker(t *testing.T) {
	scenario(t)
	vm := goja.New()
	gj303.InstallTicker(vm)
	if _, err := vm.RunString(`tick()`); err != nil { // tick alone is fine
		t.Fatal(err)
	}
	wantHang(t, "runTicks()", "sync.(*Mutex).Lock", func() { _, _ = vm.RunString(`runTicks()`) })
}

//groundtruth:scenario fixture=rules/gj303/negative.go func=Script.Run,Script expect=clean
func TestGJ303_Negative_ScriptRun(t *testing.T) {
	scenario(t)
	s := &gj303.Script{}
	setField(s, "vm", goja.New())
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mustFinish(t, "Run", func() {
				if _, err := s.Run(`var o = {n: 0}; for (var i = 0; i < 50; i++) o.n += i`); err != nil {
					t.Error(err)
				}
			})
		}()
	}
	wg.Wait()
	settled(t, "JS cannot take this lock: no deadlock, and the lock serialised 4 goroutines race-free")
}
