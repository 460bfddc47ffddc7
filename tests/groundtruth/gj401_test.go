package groundtruth

import (
	"sync"
	"testing"

	"gojaguard.test/fixtures/rules/gj401"
)

// The GJ401 positives let the loop's runtime (or a Value of it) leave a RunOnLoop callback of a
// started loop, and use it outside while the loop goes on running a JS timer (setInterval) on
// that runtime: the outside use and the loop's race.

//groundtruth:scenario fixture=rules/gj401/positive.go func=Escape expect=race
func TestGJ401_Positive_Escape(t *testing.T) {
	scenario(t)
	for i := 0; i < 5; i++ {
		gj401.Escape()
	}
}

//groundtruth:scenario fixture=rules/gj401/positive.go func=Send expect=race
func TestGJ401_Positive_Send(t *testing.T) {
	scenario(t)
	for i := 0; i < 5; i++ {
		if got := gj401.Send(); got == nil {
			t.Fatal("Send returned nil")
		}
	}
}

//groundtruth:scenario fixture=rules/gj401/negative.go func=Inside expect=clean
func TestGJ401_Negative_Inside(t *testing.T) {
	scenario(t)
	if got := gj401.Inside(); got == nil {
		t.Fatal("Inside returned nil")
	}
	settled(t, "only exported data left the loop, copied on the loop while its timer ran")
}

//groundtruth:scenario fixture=rules/gj401/negative.go func=RunSync expect=clean
func TestGJ401_Negative_RunSync(t *testing.T) {
	scenario(t)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := gj401.RunSync(`setTimeout(function() {}, 1); ({n: 1})`); got == nil {
				t.Error("RunSync returned nil")
			}
		}()
	}
	wg.Wait()
	settled(t, "loop.Run on 4 goroutines, a loop each: only data left")
}

//groundtruth:scenario fixture=rules/gj401/negative.go func=RunValue expect=clean
func TestGJ401_Negative_RunValue(t *testing.T) {
	scenario(t)
	if got := gj401.RunValue(`setTimeout(function() {}, 1); ({n: 1})`); got == nil {
		t.Fatal("RunValue returned nil")
	}
	settled(t, "the Value was used after loop.Run returned (the loop idle, on this goroutine)")
}
