package groundtruth

import (
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/dop251/goja"
)

// Some fixtures keep what a scenario must reach in unexported package variables or struct
// fields. Rather than change the fixtures (the analyzer's spec), the scenarios reach them here:
// package variables by //go:linkname, struct fields by reflect.

//go:linkname gj102Cache gojaguard.test/fixtures/rules/gj102.cache
var gj102Cache map[string]goja.Value

// setField sets the unexported field name of the struct *ptr points to.
func setField(ptr any, name string, value any) {
	f := reflect.ValueOf(ptr).Elem().FieldByName(name)
	if !f.IsValid() {
		panic("no field " + name)
	}
	reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Set(reflect.ValueOf(value))
}

// getField reads the unexported field name of the struct *ptr points to.
func getField(ptr any, name string) any {
	f := reflect.ValueOf(ptr).Elem().FieldByName(name)
	if !f.IsValid() {
		panic("no field " + name)
	}
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface()
}

//go:linkname gj103LastResult gojaguard.test/fixtures/rules/gj103.lastResult
var gj103LastResult goja.Value

//go:linkname gj103Results gojaguard.test/fixtures/rules/gj103.results
var gj103Results sync.Map

//go:linkname gj103Memo gojaguard.test/fixtures/rules/gj103.memo
var gj103Memo map[string]goja.Value

//go:linkname gj103LastData gojaguard.test/fixtures/rules/gj103.lastData
var gj103LastData interface{}

//go:linkname gj103DataResults gojaguard.test/fixtures/rules/gj103.dataResults
var gj103DataResults sync.Map

// interruptPending reads goja's interrupt flag (vm.interrupted, set by Interrupt, reset by
// ClearInterrupt or when an interrupt stops a script) without touching anything else.
func interruptPending(r *goja.Runtime) bool {
	vm := reflect.ValueOf(r).Elem().FieldByName("vm")
	if !vm.IsValid() || vm.Kind() != reflect.Pointer {
		panic("goja.Runtime has no vm field: update interruptPending for this goja")
	}
	f := vm.Elem().FieldByName("interrupted")
	if !f.IsValid() || f.Kind() != reflect.Uint32 {
		panic("goja's vm has no interrupted flag: update interruptPending for this goja")
	}
	return atomic.LoadUint32((*uint32)(unsafe.Pointer(f.UnsafeAddr()))) != 0
}

//go:linkname savedvaluePool gojaguard.test/fixtures/seed/savedvalue.pool
var savedvaluePool chan *goja.Runtime

//go:linkname valueacrossValue gojaguard.test/fixtures/seed/valueacross.value
var valueacrossValue goja.Value

func getValueacrossValue() goja.Value { return valueacrossValue }

//go:linkname savedvalueSaved gojaguard.test/fixtures/seed/savedvalue.savedValue
var savedvalueSaved goja.Value

// cases/unicode's functions are named in Chinese: no uppercase letter, so unexported.

//go:linkname unicode后台运行 gojaguard.test/fixtures/cases/unicode.后台运行
func unicode后台运行(vm *goja.Runtime, 脚本 string)

//go:linkname unicode安全 gojaguard.test/fixtures/cases/unicode.安全
func unicode安全(脚本 string)
