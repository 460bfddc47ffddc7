// Package jsservice runs user scripts for many concurrent requests.
package jsservice

import (
	"context"
	"errors"
	"time"

	"github.com/dop251/goja"
)

// Executor keeps a pool of runtimes; a script runs on one checked-out runtime.
type Executor struct {
	pool    chan *goja.Runtime
	program *goja.Program // compiled once, shared by all runtimes: safe
}

var errTimeout = errors.New("script timed out")

// Run executes the program for one request. On timeout it returns at once — and the deferred
// return puts the runtime back while the script may still be running on it.
func (e *Executor) Run(ctx context.Context, input map[string]any) (any, error) {
	vm := <-e.pool
	defer func() { e.pool <- vm }()
	_ = vm.Set("input", input)

	done := make(chan goja.Value, 1)
	go func() {
		v, _ := vm.RunProgram(e.program)
		done <- v
	}()
	select {
	case v := <-done:
		return v.Export(), nil
	case <-time.After(2 * time.Second):
		return nil, errTimeout
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// RunSafe interrupts, waits, clears the interrupt and resets the request's global first.
func (e *Executor) RunSafe(ctx context.Context, input map[string]any) (any, error) {
	vm := <-e.pool
	defer func() {
		_ = vm.Set("input", goja.Undefined())
		e.pool <- vm
	}()
	_ = vm.Set("input", input)

	done := make(chan goja.Value, 1)
	go func() {
		v, _ := vm.RunProgram(e.program)
		done <- v
	}()
	select {
	case v := <-done:
		return v.Export(), nil
	case <-ctx.Done():
		vm.Interrupt(ctx.Err())
		<-done
		vm.ClearInterrupt()
		return nil, ctx.Err()
	}
}

// RunWithWatchdog uses a timer to stop long scripts, but never clears the flag.
func (e *Executor) RunWithWatchdog(input map[string]any) (any, error) {
	vm := <-e.pool
	defer func() { e.pool <- vm }()
	t := time.AfterFunc(time.Second, func() { vm.Interrupt("timeout") })
	defer t.Stop()
	v, err := vm.RunProgram(e.program)
	if err != nil {
		return nil, err
	}
	return v.Export(), nil
}
