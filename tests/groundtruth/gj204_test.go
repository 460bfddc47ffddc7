package groundtruth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dop251/goja"

	"gojaguard.test/fixtures/rules/gj204"
)

// GJ204 is shown by goja itself. vm.Interrupt sets a flag; when the interrupt stops a running
// script goja clears it on the way out, but an interrupt that lands after the script's last
// check (the script has just finished) stays set until ClearInterrupt, and the runtime's next
// Run* call fails at once with *goja.InterruptedError.
//
// The scenarios land the interrupt there on purpose: the script's last piece of work is a Go
// function run as a promise job (a native call after the last JS instruction, so goja checks the
// flag no more), and that function waits until the watchdog has fired — a script that finishes
// just as its deadline passes.

// finishLate installs finish(): it runs before(), then waits until an interrupt is pending.
func finishLate(t *testing.T, vm *goja.Runtime, before func()) {
	t.Helper()
	err := vm.Set("finish", func() {
		if before != nil {
			before()
		}
		deadline := time.Now().Add(finishWithin)
		for !interruptPending(vm) {
			if time.Now().After(deadline) {
				panic("the watchdog never fired")
			}
			time.Sleep(time.Millisecond)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// lateScript ends with finish() as a promise job.
const lateScript = `var o = {n: 1}; Promise.resolve().then(finish); o.n`

// nextUse runs a trivial script on a reused runtime, as its next user, and measures it.
func nextUse(vm *goja.Runtime) (goja.Value, error, time.Duration) {
	start := time.Now()
	v, err := vm.RunString(`1 + 1`)
	return v, err, time.Since(start)
}

func wantStillInterrupted(t *testing.T, vm *goja.Runtime, first error) {
	t.Helper()
	if first != nil {
		t.Fatalf("want the script itself to finish normally, got %v", first)
	}
	v, err, took := nextUse(vm)
	if !interrupted(err) {
		t.Fatalf("want the next user's script to fail with the stale interrupt, got %v, %v", v, err)
	}
	shown(t, "the script finished, the interrupt stayed set: the next script on the reused runtime failed after %v with %T: %v", took.Round(time.Microsecond), err, err)
}

func wantUsable(t *testing.T, vm *goja.Runtime) {
	t.Helper()
	v, err, _ := nextUse(vm)
	if err != nil || v.ToInteger() != 2 {
		t.Fatalf("the next user's script = %v, %v; want 2", v, err)
	}
}

//groundtruth:scenario fixture=rules/gj204/positive.go func=RunWithWatchdog expect=shown
func TestGJ204_Positive_RunWithWatchdog(t *testing.T) {
	scenario(t)
	vm := goja.New()
	finishLate(t, vm, nil) // the script's last job runs past the 1s watchdog
	pool := make(chan *goja.Runtime, 1)
	pool <- vm
	err := gj204.RunWithWatchdog(pool, lateScript)
	wantStillInterrupted(t, <-pool, err)
}

//groundtruth:scenario fixture=rules/gj204/negative.go func=RunWithWatchdogCleared expect=clean
func TestGJ204_Negative_RunWithWatchdogCleared(t *testing.T) {
	scenario(t)
	vm := goja.New()
	finishLate(t, vm, nil)
	pool := make(chan *goja.Runtime, 1)
	pool <- vm
	if err := gj204.RunWithWatchdogCleared(pool, lateScript); err != nil {
		t.Fatalf("want the script to finish normally, got %v", err)
	}
	wantUsable(t, <-pool)
	// And when the watchdog stops a running script.
	pool <- vm
	if err := gj204.RunWithWatchdogCleared(pool, `for (;;) {}`); !interrupted(err) {
		t.Fatalf("want the watchdog to stop the script, got %v", err)
	}
	wantUsable(t, <-pool)
	settled(t, "the watchdog fired after the script's end (and, again, during a script): cleared, the next user's script ran")
}

//groundtruth:scenario fixture=rules/gj204/positive.go func=ClearTooEarly expect=clean unshown="the stray interrupt must land between vm.ClearInterrupt() and t.Stop(), two adjacent statements of the fixture: an interrupt that lands while the script runs or as it finishes is cleared (this run), one that never fires is stopped, and no input can place the timer in between"
func TestGJ204_Positive_ClearTooEarly(t *testing.T) {
	scenario(t)
	vm := goja.New()
	finishLate(t, vm, nil)
	pool := make(chan *goja.Runtime, 1)
	pool <- vm
	if err := gj204.ClearTooEarly(pool, lateScript); err != nil {
		t.Fatalf("want the script to finish normally, got %v", err)
	}
	wantUsable(t, <-pool)
	settled(t, "the watchdog fired as the script finished, before ClearInterrupt: cleared, the next script ran")
}

//groundtruth:scenario fixture=rules/gj204/negative.go func=OneShot expect=clean
func TestGJ204_Negative_OneShot(t *testing.T) {
	scenario(t)
	if err := gj204.OneShot(`var o = {n: 1}; o.n++`); err != nil {
		t.Fatal(err)
	}
	settled(t, "a fresh runtime, used once, never reused")
}

func newGJ204Session() (*gj204.Session, *goja.Runtime) {
	vm := goja.New()
	s := &gj204.Session{}
	setField(s, "vm", vm)
	return s, vm
}

//groundtruth:scenario fixture=rules/gj204/positive.go func=Session.Eval expect=shown
func TestGJ204_Positive_SessionEval(t *testing.T) {
	scenario(t)
	s, vm := newGJ204Session()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	finishLate(t, vm, cancel) // the caller gives up as the script finishes: context.AfterFunc interrupts
	if err := s.Eval(ctx, lateScript); err != nil {
		t.Fatalf("want the script itself to finish normally, got %v", err)
	}
	// The session's next call, with a context nobody cancels.
	start := time.Now()
	err := s.Eval(context.Background(), `1 + 1`)
	if !interrupted(err) {
		t.Fatalf("want the session's next call to fail with the stale interrupt, got %v", err)
	}
	shown(t, "the script finished, the interrupt stayed set: the session's next call failed after %v with %T: %v", time.Since(start).Round(time.Microsecond), err, err)
}

//groundtruth:scenario fixture=rules/gj204/negative.go func=Session.EvalCleared expect=clean
func TestGJ204_Negative_SessionEvalCleared(t *testing.T) {
	scenario(t)
	s, vm := newGJ204Session()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	finishLate(t, vm, cancel)
	if err := s.EvalCleared(ctx, lateScript); err != nil {
		t.Fatalf("want the script to finish normally, got %v", err)
	}
	if err := s.EvalCleared(context.Background(), `1 + 1`); err != nil {
		t.Fatalf("next call: %v", err)
	}
	wantUsable(t, vm)
	settled(t, "cancelled, cleared: the session's next call ran")
}

//groundtruth:scenario fixture=rules/gj204/negative.go func=Session.Stop expect=clean
func TestGJ204_Negative_SessionStop(t *testing.T) {
	scenario(t)
	s, _ := newGJ204Session()
	errc := make(chan error, 1)
	go func() { errc <- s.EvalCleared(context.Background(), `for (;;) {}`) }()
	time.Sleep(20 * time.Millisecond)
	s.Stop(errors.New("shutting down")) // from another goroutine: Interrupt is safe anywhere
	if err := <-errc; !interrupted(err) {
		t.Fatalf("want Stop to interrupt the running script, got %v", err)
	}
	settled(t, "Stop interrupted the session's script from another goroutine; nothing runs on it afterwards")
}
