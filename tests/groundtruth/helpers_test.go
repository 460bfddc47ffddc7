package groundtruth

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"
	"github.com/grafana/sobek"
)

// Every test in this package is one scenario. It runs only when GOJAGUARD_SCENARIO names it, so
// that `go test ./...` stays green and a data race in one scenario cannot hide another's verdict.
// The line above each test, `//groundtruth:scenario fixture=... func=... expect=...`, tells the
// pytest driver (tests/test_groundtruth.py) which fixture code the scenario runs (a file under
// tests/fixtures and its declarations: functions, Type.Method, types, package variables) and
// what the run must show:
//
//	expect=race        the race detector reports a data race inside goja/sobek, with a frame in
//	                   the scenario's fixture code (race-in=test: the racing accesses are the
//	                   test's later request, the fixture only kept the Value)
//	expect=shown       the test observed the bug's symptom and logged it as "SHOWN: ..."
//	expect=clean       the test passed, no data race: the safe twin is safe
//	expect=unshowable  as clean, for a rule whose finding no run can show (GJ301)
//
// A positive scenario whose run is clean carries disagree="..." (the run shows the analyzer's
// premise does not hold there) or unshown="..." (the bug is real, but no input makes this fixture
// show it); the driver reports both as known disagreements between the analyzer and the engine.
func scenario(t *testing.T) {
	t.Helper()
	if os.Getenv("GOJAGUARD_SCENARIO") != t.Name() {
		t.Skipf("ground-truth scenario; run it with GOJAGUARD_SCENARIO=%s (tests/test_groundtruth.py does)", t.Name())
	}
}

// shown records the bug's symptom, as the driver expects for expect=shown.
func shown(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf("SHOWN: "+format, args...)
}

// settled reports what the run showed on the safe side (for the log only).
func settled(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf("CLEAN: "+format, args...)
}

const (
	// hangAfter: a call that has not returned after this long is taken to hang (the hangs shown
	// here never return at all, and wantHang checks where they are blocked).
	hangAfter = 1500 * time.Millisecond
	// finishWithin: a call that must not deadlock gets this long (generous: -race, loaded CI).
	finishWithin = 20 * time.Second
)

// outcome of running f on its own goroutine for at most d.
type outcome struct {
	returned bool
	panicked any
}

// within runs f on a new goroutine and waits at most d for it. A call that never returns is left
// behind (its goroutine leaks; the scenario's process ends soon after).
func within(d time.Duration, f func()) outcome {
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		f()
	}()
	select {
	case p := <-done:
		return outcome{returned: true, panicked: p}
	case <-time.After(d):
		return outcome{}
	}
}

// mustFinish fails the test unless f returns (without panicking) within finishWithin.
func mustFinish(t *testing.T, what string, f func()) {
	t.Helper()
	o := within(finishWithin, f)
	if !o.returned {
		t.Fatalf("%s did not return within %v", what, finishWithin)
	}
	if o.panicked != nil {
		t.Fatalf("%s panicked: %v", what, o.panicked)
	}
}

// catch runs f and returns what it panicked with (nil if it returned).
func catch(f func()) (p any) {
	defer func() { p = recover() }()
	f()
	return nil
}

// signal returns a Go function (for JS to call) and a channel that receives a token for each
// call (a receive orders the call before what follows it, as a channel does).
func signal() (func(), <-chan struct{}) {
	ch := make(chan struct{}, 256)
	return func() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}, ch
}

// withDone makes a runtime with done(), a signal for the scripts that run off the owner.
func withDone(t *testing.T) (*goja.Runtime, <-chan struct{}) {
	vm := goja.New()
	done, ch := signal()
	if err := vm.Set("done", done); err != nil {
		t.Fatal(err)
	}
	return vm, ch
}

// rounds repeats a race scenario whose off-owner use comes from a timer: a race needs the owner
// to use the runtime before the callback does, which a loaded machine may delay past a short
// timer once (the process stops at the first race reported).
const rounds = 3

// waitFor fails the test unless ch delivers within finishWithin.
func waitFor(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(finishWithin):
		t.Fatalf("%s did not happen within %v", what, finishWithin)
	}
}

// keepBusy runs JS on vm (on the calling goroutine, the runtime's owner) until stop is closed:
// the owner "keeps using the runtime". A tight loop on purpose: pausing in between made the race
// detector miss races with timer callbacks (time.Sleep arms a timer, and the detector orders
// what a goroutine did before arming a timer before every later timer callback of that P; with
// runtime.Gosched pauses it missed them too, in our runs). The driver gives the detector its
// longest history (GORACE history_size=7) so that the loop does not flood it.
func keepBusy(t *testing.T, vm *goja.Runtime, stop <-chan struct{}) {
	t.Helper()
	keepBusyWith(t, vm, "", stop)
}

// keepBusyWith is keepBusy that also runs script each round (busy.n counts the rounds).
func keepBusyWith(t *testing.T, vm *goja.Runtime, script string, stop <-chan struct{}) {
	t.Helper()
	if _, err := vm.RunString(`var busy = {n: 0}`); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(finishWithin)
	for {
		select {
		case <-stop:
			return
		case <-deadline:
			t.Fatalf("gave up keeping the runtime busy after %v", finishWithin)
		default:
		}
		if _, err := vm.RunString(`busy.n++; busy["k" + (busy.n % 8)] = busy.n;` + script); err != nil {
			t.Fatal(err)
		}
	}
}

// interrupted tells whether err is goja's *InterruptedError.
func interrupted(err error) bool {
	var ie *goja.InterruptedError
	return errors.As(err, &ie)
}

// crossRuntimeError tells whether x (an error or a panic value) is goja's cross-runtime
// TypeError, and gives its text.
func crossRuntimeError(x any) (string, bool) {
	var s string
	switch e := x.(type) {
	case nil:
		return "", false
	case *goja.Exception:
		s = e.Value().String()
	case *goja.Object:
		s = e.String()
	case error:
		s = e.Error()
	default:
		s = fmt.Sprint(e)
	}
	return s, strings.Contains(s, "TypeError") && strings.Contains(s, "Illegal runtime transition")
}

// blockedAt describes where the goroutines whose stacks mention waitingIn (e.g.
// "sync.(*Mutex).Lock") are blocked: their frames in the fixture module, innermost first.
func blockedAt(waitingIn string) string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if !strings.Contains(g, waitingIn) {
			continue
		}
		var frames []string
		for _, m := range fixtureFrame.FindAllStringSubmatch(g, -1) {
			frames = append(frames, m[1])
		}
		head, _, _ := strings.Cut(g, "\n")
		where := fmt.Sprintf("%s in %s", strings.TrimSuffix(head, ":"), waitingIn)
		if len(frames) > 0 {
			where += " at " + strings.Join(frames, " <- ")
		}
		out = append(out, where)
	}
	return strings.Join(out, "; ")
}

var fixtureFrame = regexp.MustCompile(`/tests/fixtures/([^\s:]+:\d+)`)

// wantHang shows that f hangs (deadlocks, or waits for what never comes): it has not returned
// after hangAfter, and a goroutine is blocked in waitingIn (e.g. "sync.(*Mutex).Lock"); the log
// names the fixture lines it waits at.
func wantHang(t *testing.T, what, waitingIn string, f func()) {
	t.Helper()
	o := within(hangAfter, f)
	if o.returned {
		t.Fatalf("%s returned (panic: %v); want it to hang", what, o.panicked)
	}
	where := blockedAt(waitingIn)
	if where == "" {
		t.Fatalf("%s has not returned after %v, but no goroutine is blocked in %s", what, hangAfter, waitingIn)
	}
	shown(t, "%s hangs: no return after %v; blocked: %s", what, hangAfter, where)
}

// keepBusySobek is keepBusy for a sobek runtime.
func keepBusySobek(t *testing.T, rt *sobek.Runtime, stop <-chan struct{}) {
	t.Helper()
	if _, err := rt.RunString(`var busy = {n: 0}`); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(finishWithin)
	for {
		select {
		case <-stop:
			return
		case <-deadline:
			t.Fatalf("gave up keeping the runtime busy after %v", finishWithin)
		default:
		}
		if _, err := rt.RunString(`busy.n++; busy["k" + (busy.n % 8)] = busy.n`); err != nil {
			t.Fatal(err)
		}
	}
}
