package groundtruth

import (
	"testing"
	"time"

	"github.com/dop251/goja"

	"gojaguard.test/fixtures/cases/fanout"
)

// The fan-out fixtures hand each runtime of a batch to its own goroutine and give up waiting
// after a second. The scripts here outlast that second (the spinning goroutines are left behind;
// each scenario is its own process).

const spin = `for (var i = 0; i < 1e12; i++) {}`

//groundtruth:scenario fixture=cases/fanout/positive.go func=WithCallers expect=race
func TestGJ201_Positive_FanoutWithCallers(t *testing.T) {
	scenario(t)
	vm := goja.New()
	if fanout.WithCallers(vm, spin) {
		t.Fatal("the spinning scripts finished")
	}
	// the caller's runtime came back while its goroutine still runs the script on it
	_, _ = vm.RunString(`var after = 1`)
	time.Sleep(200 * time.Millisecond) // the goroutine's next steps meet the caller's writes
	vm.Interrupt("done")
}

//groundtruth:scenario fixture=cases/fanout/negative.go func=Made expect=clean
func TestGJ201_Negative_FanoutMade(t *testing.T) {
	scenario(t)
	if fanout.Made(spin, 2) {
		t.Fatal("the spinning scripts finished")
	}
	other := goja.New() // the caller goes on with runtimes of its own
	for i := 0; i < 50; i++ {
		_, _ = other.RunString(`var after = {n: 1}; after.n++`)
	}
	time.Sleep(50 * time.Millisecond)
	settled(t, "gave up on a batch of runtimes made by Made: nobody else can reach them")
}
