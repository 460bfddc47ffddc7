// Package k6ext is a k6 extension module: the VU's runtime belongs to its event loop.
package k6ext

import (
	"os"

	"go.k6.io/k6/js/modules"
	"go.k6.io/k6/js/promises"
)

// Files reads files without blocking the VU.
type Files struct {
	vu modules.VU
}

// Read settles its promise with plain data: resolve hands it back to the loop. Safe.
func (f *Files) Read(path string) any {
	promise, resolve, reject := promises.New(f.vu)
	go func() {
		data, err := os.ReadFile(path)
		if err != nil {
			reject(err)
			return
		}
		resolve(string(data))
	}()
	return promise
}

// ReadBuffer builds an ArrayBuffer on the goroutine: resolve is safe, its argument is not.
func (f *Files) ReadBuffer(path string) any {
	promise, resolve, reject := promises.New(f.vu)
	rt := f.vu.Runtime()
	go func() {
		data, err := os.ReadFile(path)
		if err != nil {
			reject(err)
			return
		}
		resolve(rt.NewArrayBuffer(data))
	}()
	return promise
}
