package groundtruth

import (
	"net/http/httptest"
	"testing"

	"github.com/dop251/goja"

	"gojaguard.test/fixtures/rules/gj205"
)

// GJ205 is shown by the next request on the pooled runtime: one runtime in the pool, request 1
// by alice, then request 2 (a different handler that sets nothing per request) reads what
// request 1 left behind.

func onePool() chan *goja.Runtime {
	pool := make(chan *goja.Runtime, 1)
	pool <- goja.New()
	return pool
}

var noop = goja.MustCompile("handler.js", `1`, false)

// nextRequestSees runs script as the next request on the pooled runtime and returns its result.
func nextRequestSees(t *testing.T, pool chan *goja.Runtime, script string) interface{} {
	t.Helper()
	vm := <-pool
	defer func() { pool <- vm }()
	v, err := vm.RunString(script)
	if err != nil {
		t.Fatal(err)
	}
	return v.Export()
}

//groundtruth:scenario fixture=rules/gj205/positive.go func=Handle expect=shown
func TestGJ205_Positive_Handle(t *testing.T) {
	scenario(t)
	pool := onePool()
	if err := gj205.Handle(pool, &gj205.Request{User: "alice", Body: "alice's secret"}, noop); err != nil {
		t.Fatal(err)
	}
	got := nextRequestSees(t, pool, `typeof request === "undefined" ? null : request.User + ": " + request.Body`)
	if got == nil {
		t.Fatal("the next request saw no request global")
	}
	shown(t, "the next request on the pooled runtime read the previous request's global: %q", got)
}

//groundtruth:scenario fixture=rules/gj205/negative.go func=HandleReset expect=clean
func TestGJ205_Negative_HandleReset(t *testing.T) {
	scenario(t)
	pool := onePool()
	if err := gj205.HandleReset(pool, &gj205.Request{User: "alice", Body: "alice's secret"}, noop); err != nil {
		t.Fatal(err)
	}
	if got := nextRequestSees(t, pool, `typeof request === "undefined" ? null : request`); got != nil {
		t.Fatalf("the next request saw %v", got)
	}
	settled(t, "request was reset to undefined before the runtime went back")
}

//groundtruth:scenario fixture=rules/gj205/positive.go func=HandleGlobalObject expect=shown
func TestGJ205_Positive_HandleGlobalObject(t *testing.T) {
	scenario(t)
	pool := onePool()
	if err := gj205.HandleGlobalObject(pool, "alice", noop); err != nil {
		t.Fatal(err)
	}
	got := nextRequestSees(t, pool, `typeof user === "undefined" ? null : user`)
	if got == nil {
		t.Fatal("the next request saw no user global")
	}
	shown(t, "the next request on the pooled runtime read the previous request's user: %q", got)
}

//groundtruth:scenario fixture=rules/gj205/negative.go func=HandleCleanup,cleanup expect=clean
func TestGJ205_Negative_HandleCleanup(t *testing.T) {
	scenario(t)
	pool := onePool()
	if err := gj205.HandleCleanup(pool, "alice", noop); err != nil {
		t.Fatal(err)
	}
	if got := nextRequestSees(t, pool, `typeof user === "undefined" ? null : user`); got != nil {
		t.Fatalf("the next request saw %v", got)
	}
	settled(t, "user was deleted before the runtime went back")
}

//groundtruth:scenario fixture=rules/gj205/positive.go func=Serve expect=shown
func TestGJ205_Positive_Serve(t *testing.T) {
	scenario(t)
	pool := onePool()
	alice := httptest.NewRecorder()
	if err := gj205.Serve(pool, alice, goja.MustCompile("a.js", `respond("hello alice")`, false)); err != nil {
		t.Fatal(err)
	}
	// The next request's script responds without installing its own respond first.
	nextRequestSees(t, pool, `respond(" | bob's data")`)
	if got := alice.Body.String(); got != "hello alice | bob's data" {
		t.Fatalf("alice's response = %q", got)
	}
	shown(t, "the next request's respond() wrote into the previous request's response: %q", alice.Body.String())
}

//groundtruth:scenario fixture=rules/gj205/negative.go func=Constants expect=clean
func TestGJ205_Negative_Constants(t *testing.T) {
	scenario(t)
	pool := onePool()
	for i := 0; i < 2; i++ {
		if err := gj205.Constants(pool, goja.MustCompile("c.js", `double(2) + version`, false)); err != nil {
			t.Fatal(err)
		}
	}
	if got := nextRequestSees(t, pool, `version`); got != "2.1" {
		t.Fatalf("version = %v", got)
	}
	settled(t, "the globals left behind are the same for every request")
}

//groundtruth:scenario fixture=rules/gj205/negative.go func=Fresh expect=clean
func TestGJ205_Negative_Fresh(t *testing.T) {
	scenario(t)
	if err := gj205.Fresh(&gj205.Request{User: "alice"}, noop); err != nil {
		t.Fatal(err)
	}
	settled(t, "a fresh runtime per request: nothing is reused")
}
