package groundtruth

import (
	"sync"
	"testing"

	"github.com/dop251/goja"

	"gojaguard.test/fixtures/rules/gj301"
)

// GJ301 (information) says a mutex serialises nothing: every Lock runs on the runtime's own
// goroutine. A mutex that serialises nothing changes no behaviour, so no run can show the
// finding: the scenarios show only that the positives are race-free under -race — used by one
// goroutine, and with many runtimes (each with its own instance) on many goroutines at once —
// which is what "the lock is defensive only" predicts. Whether removing it is safe is not
// something a run can show either way.

// manyRuntimes runs body on n goroutines, each with its own runtime, all at once.
func manyRuntimes(n int, body func(vm *goja.Runtime)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vm := goja.New()
			<-start
			body(vm)
		}()
	}
	close(start)
	wg.Wait()
}

func run(t *testing.T, vm *goja.Runtime, script string) goja.Value {
	t.Helper()
	v, err := vm.RunString(script)
	if err != nil {
		t.Error(err)
	}
	return v
}

//groundtruth:scenario fixture=rules/gj301/positive.go func=InstallCounter,Counter expect=unshowable
func TestGJ301_Positive_InstallCounter(t *testing.T) {
	scenario(t)
	vm := goja.New()
	gj301.InstallCounter(vm)
	if v := run(t, vm, `for (var i = 0; i < 9; i++) inc(); inc()`); v.ToInteger() != 10 {
		t.Fatalf("inc() = %v", v)
	}
	manyRuntimes(4, func(vm *goja.Runtime) {
		gj301.InstallCounter(vm)
		run(t, vm, `for (var i = 0; i < 100; i++) inc()`)
	})
	settled(t, "every Lock ran on the goroutine running JS: race-free, alone and with 4 runtimes at once")
}

//groundtruth:scenario fixture=rules/gj301/positive.go func=InstallRegistry expect=unshowable
func TestGJ301_Positive_InstallRegistry(t *testing.T) {
	scenario(t)
	body := func(vm *goja.Runtime) {
		gj301.InstallRegistry(vm)
		if v := run(t, vm, `register("a", {n: 1}); register("b", [2]); lookup("a").n + lookup("b")[0]`); v.ToInteger() != 3 {
			t.Errorf("lookup = %v", v)
		}
	}
	body(goja.New())
	manyRuntimes(4, body)
	settled(t, "every Lock ran on the goroutine running JS: race-free, alone and with 4 runtimes at once")
}

//groundtruth:scenario fixture=rules/gj301/negative.go func=InstallStats,Stats expect=clean
func TestGJ301_Negative_InstallStats(t *testing.T) {
	scenario(t)
	vm := goja.New()
	report := make(chan int, 1)
	gj301.InstallStats(vm, report)
	run(t, vm, `for (var i = 0; i < 100; i++) hit()`) // while the reporting goroutine reads calls
	n := <-report
	settled(t, "hit() on the JS goroutine and the reporter goroutine both took the lock (reported %d): race-free", n)
}

//groundtruth:scenario fixture=rules/gj301/negative.go func=Locked.Put,Locked expect=clean
func TestGJ301_Negative_LockedPut(t *testing.T) {
	scenario(t)
	l := &gj301.Locked{}
	setField(l, "data", map[string]string{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				l.Put("k", "v")
			}
		}()
	}
	wg.Wait()
	settled(t, "Put from 4 goroutines at once: the lock is needed and works")
}
