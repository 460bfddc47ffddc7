package groundtruth

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dop251/goja"

	"gojaguard.test/fixtures/rules/gj203"
)

// slowScript runs for about 40ms; the callers give up after 2ms.
const slowScript = `var t0 = Date.now(), o = {n: 0}; while (Date.now() - t0 < 40) { o.n++ }`

func timeoutCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 2*time.Millisecond)
}

//groundtruth:scenario fixture=rules/gj203/positive.go func=Eval,runtimes expect=race
func TestGJ203_Positive_Eval(t *testing.T) {
	scenario(t)
	// A request times out and its runtime goes back to the sync.Pool while its script still
	// runs; the next request takes the runtime from the pool. (Under -race sync.Pool drops some
	// Puts on purpose, so a few rounds make sure the runtime is reused.)
	for i := 0; i < 20; i++ {
		ctx, cancel := timeoutCtx()
		_, _ = gj203.Eval(ctx, slowScript) // (on a loaded machine the script may win a round)
		cancel()
		if _, err := gj203.Eval(context.Background(), `1 + 1`); err != nil {
			t.Fatal(err)
		}
	}
}

//groundtruth:scenario fixture=rules/gj203/negative.go func=EvalSafe expect=clean
func TestGJ203_Negative_EvalSafe(t *testing.T) {
	scenario(t)
	for i := 0; i < 20; i++ {
		ctx, cancel := timeoutCtx()
		_, _ = gj203.EvalSafe(ctx, slowScript)
		cancel()
		v, err := gj203.EvalSafe(context.Background(), `1 + 1`)
		if err != nil || v != int64(2) {
			t.Fatalf("next request = %v, %v; want 2", v, err)
		}
	}
	settled(t, "interrupted, waited for and cleared before the runtime went back: the next request ran normally")
}

// newGJ203Pool makes a Pool of n Workers (its fields are unexported).
func newGJ203Pool(n int) *gj203.Pool {
	ch := make(chan *gj203.Worker, n)
	for i := 0; i < n; i++ {
		w := &gj203.Worker{}
		setField(w, "vm", goja.New())
		ch <- w
	}
	p := &gj203.Pool{}
	setField(p, "ch", ch)
	return p
}

//groundtruth:scenario fixture=rules/gj203/positive.go func=Pool.Run,Pool.Acquire,Pool.Release expect=race
func TestGJ203_Positive_PoolRun(t *testing.T) {
	scenario(t)
	p := newGJ203Pool(1)
	ctx, cancel := timeoutCtx()
	defer cancel()
	if err := p.Run(ctx, `for (;;) {}`); err == nil { // abandoned, it runs to the end of the process
		t.Fatal("the endless script finished")
	}
	// The worker is back in the pool; the next request gets it while the first script runs.
	if err := p.Run(context.Background(), `1 + 1`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
}

//groundtruth:scenario fixture=rules/gj203/negative.go func=Pool.RunSync expect=clean
func TestGJ203_Negative_PoolRunSync(t *testing.T) {
	scenario(t)
	p := newGJ203Pool(2)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				if err := p.RunSync(`var o = {n: 0}; for (var i = 0; i < 50; i++) { o.n += i }`); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	settled(t, "4 goroutines, 2 pooled workers, every script run on the caller's goroutine")
}
