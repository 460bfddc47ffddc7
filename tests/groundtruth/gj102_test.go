package groundtruth

import (
	"testing"

	"github.com/dop251/goja"

	"gojaguard.test/fixtures/rules/gj102"
)

// GJ102 is shown by goja itself: handing an *Object (or Promise, ArrayBuffer, Proxy) of one
// runtime to another runtime's ToValue — which Set, and every Go-to-JS conversion, goes
// through — panics with a TypeError "Illegal runtime transition of an Object" (Set turns it into
// the returned error). goja checks nothing when such an object is passed as a call argument.

//groundtruth:scenario fixture=rules/gj102/positive.go func=CopyBetween expect=shown
func TestGJ102_Positive_CopyBetween(t *testing.T) {
	scenario(t)
	err := gj102.CopyBetween()
	msg, ok := crossRuntimeError(err)
	if !ok {
		t.Fatalf("want goja's cross-runtime TypeError from vmB.Set, got %v", err)
	}
	shown(t, "vmB.Set(\"data\", v) returned %q", msg)
}

//groundtruth:scenario fixture=rules/gj102/negative.go func=CopyExported expect=clean
func TestGJ102_Negative_CopyExported(t *testing.T) {
	scenario(t)
	if err := gj102.CopyExported(); err != nil {
		t.Fatalf("CopyExported: %v", err)
	}
	settled(t, "vmB.Set(\"data\", v.Export()) succeeded")
}

//groundtruth:scenario fixture=rules/gj102/positive.go func=CallAcross expect=clean unshown="goja does not check the runtime of call arguments: vmB's sum(a) read a.length of vmA's array and returned 3 without error. The object is still foreign in vmB (its prototype chain is vmA's: a instanceof Array is false there), but this fixture's sum observes nothing of it"
func TestGJ102_Positive_CallAcross(t *testing.T) {
	scenario(t)
	v, err := gj102.CallAcross()
	if err != nil {
		if msg, ok := crossRuntimeError(err); ok {
			shown(t, "sum(undefined, v) failed: %s", msg)
			return
		}
		t.Fatalf("CallAcross: %v", err)
	}
	settled(t, "sum(undefined, v) returned %v without error: goja accepted vmA's array as an argument of vmB's function", v)
}

//groundtruth:scenario fixture=rules/gj102/negative.go func=CallAcrossExported expect=clean
func TestGJ102_Negative_CallAcrossExported(t *testing.T) {
	scenario(t)
	v, err := gj102.CallAcrossExported()
	if err != nil || v.ToInteger() != 3 {
		t.Fatalf("CallAcrossExported = %v, %v; want 3", v, err)
	}
	settled(t, "sum(undefined, vmB.ToValue(v.Export())) = %v", v)
}

//groundtruth:scenario fixture=rules/gj102/positive.go func=WrapAcross expect=shown
func TestGJ102_Positive_WrapAcross(t *testing.T) {
	scenario(t)
	vmB := goja.New()
	p := catch(func() { gj102.WrapAcross(vmB) })
	msg, ok := crossRuntimeError(p)
	if !ok {
		t.Fatalf("want vmB.ToValue(v) to panic with goja's cross-runtime TypeError, got %v", p)
	}
	shown(t, "vmB.ToValue(v) panicked with %q", msg)
}

//groundtruth:scenario fixture=rules/gj102/positive.go func=FromGlobalCache expect=shown
func TestGJ102_Positive_FromGlobalCache(t *testing.T) {
	scenario(t)
	// An earlier request left an object of its own runtime in the cache.
	earlier := goja.New()
	v, err := earlier.RunString(`({user: "alice"})`)
	if err != nil {
		t.Fatal(err)
	}
	gj102Cache["k"] = v
	// The vm.Set error is dropped by the fixture; what the script sees shows it.
	got, err := gj102.FromGlobalCache("k")
	if err == nil {
		t.Fatalf("want the script to fail: vm.Set must have refused the foreign Value, got %v", got)
	}
	direct := goja.New().Set("cached", v)
	msg, ok := crossRuntimeError(direct)
	if !ok {
		t.Fatalf("want goja's cross-runtime TypeError from Set, got %v", direct)
	}
	shown(t, "vm.Set(\"cached\", cache[key]) refused the Value (%q), so the script failed: %v", msg, err)
}

//groundtruth:scenario fixture=rules/gj102/negative.go func=SameRuntime expect=clean
func TestGJ102_Negative_SameRuntime(t *testing.T) {
	scenario(t)
	vm := goja.New()
	gj102.SameRuntime(vm)
	if v := vm.Get("again"); v == nil || v.Export() == nil {
		t.Fatalf("vm.Set(\"again\", v) did not take: %v", v)
	}
	settled(t, "the Value went back into the runtime that made it")
}

//groundtruth:scenario fixture=rules/gj102/negative.go func=UnknownOrigin expect=clean
func TestGJ102_Negative_UnknownOrigin(t *testing.T) {
	scenario(t)
	vm := goja.New()
	v, _ := vm.RunString(`({n: 1})`)
	gj102.UnknownOrigin(vm, v) // a caller that keeps to one runtime
	if got := vm.Get("arg"); got == nil || got.Export() == nil {
		t.Fatalf("vm.Set(\"arg\", v) did not take: %v", got)
	}
	settled(t, "a Value of the same runtime was set")
}

//groundtruth:scenario fixture=rules/gj102/negative.go func=FromGlobalData expect=clean
func TestGJ102_Negative_FromGlobalData(t *testing.T) {
	scenario(t)
	// dataCache holds exported Go data; FromGlobalData re-imports it into a fresh runtime.
	if p := catch(func() { gj102.FromGlobalData("k") }); p != nil {
		t.Fatalf("FromGlobalData panicked: %v", p)
	}
	settled(t, "exported data re-imported")
}
