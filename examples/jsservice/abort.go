package jsservice

import (
	"sync"
	"time"

	"github.com/dop251/goja"
)

// AbortController exposes `new AbortController()` to scripts. Listeners are goja Values; every
// access holds mu. addEventListener and abort run on the runtime's goroutine (JS calls them)...
// but abortAfter lets a timer call abort, and the lock does not make that safe.
func AbortController(vm *goja.Runtime) func(goja.ConstructorCall) *goja.Object {
	return func(call goja.ConstructorCall) *goja.Object {
		var listeners []goja.Value
		var mu sync.Mutex
		signal := vm.NewObject()
		_ = signal.Set("addEventListener", func(call goja.FunctionCall) goja.Value {
			mu.Lock()
			listeners = append(listeners, call.Argument(1))
			mu.Unlock()
			return goja.Undefined()
		})
		abort := func() {
			mu.Lock()
			ls := append([]goja.Value(nil), listeners...)
			mu.Unlock()
			for _, l := range ls {
				if fn, ok := goja.AssertFunction(l); ok {
					_, _ = fn(goja.Undefined())
				}
			}
		}
		_ = call.This.Set("abort", func(goja.FunctionCall) goja.Value { abort(); return goja.Undefined() })
		_ = call.This.Set("abortAfter", func(c goja.FunctionCall) goja.Value {
			time.AfterFunc(time.Duration(c.Argument(0).ToInteger())*time.Millisecond, abort)
			return goja.Undefined()
		})
		_ = call.This.Set("signal", signal)
		return call.This
	}
}
