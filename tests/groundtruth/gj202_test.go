package groundtruth

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/dop251/goja"

	"gojaguard.test/fixtures/rules/gj202"
)

// concurrentRequests serves h over real HTTP (one goroutine per request, as net/http does) and
// sends n requests at once; it returns the bodies.
func concurrentRequests(t *testing.T, h http.Handler, n int) []string {
	srv := httptest.NewServer(h)
	defer srv.Close()
	bodies := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			q := url.QueryEscape(`var o = {n: 0}; for (var i = 0; i < 200; i++) { o["k" + i] = i; o.n += i }; o.n`)
			resp, err := http.Get(srv.URL + "/eval?q=" + q)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			bodies[i] = string(b)
		}(i)
	}
	close(start)
	wg.Wait()
	return bodies
}

//groundtruth:scenario fixture=rules/gj202/positive.go func=Routes,engine,eval expect=race
func TestGJ202_Positive_Routes(t *testing.T) {
	scenario(t)
	mux := http.NewServeMux()
	gj202.Routes(mux)
	concurrentRequests(t, mux, 4)
}

//groundtruth:scenario fixture=rules/gj202/positive.go func=Server.ServeHTTP,Server expect=race
func TestGJ202_Positive_Server(t *testing.T) {
	scenario(t)
	s := &gj202.Server{}
	setField(s, "vm", goja.New()) // one runtime for all requests
	concurrentRequests(t, s, 4)
}

func allEqual(t *testing.T, bodies []string, want string) {
	t.Helper()
	for _, b := range bodies {
		if b != want {
			t.Fatalf("got body %q, want %q", b, want)
		}
	}
}

//groundtruth:scenario fixture=rules/gj202/negative.go func=PerRequest expect=clean
func TestGJ202_Negative_PerRequest(t *testing.T) {
	scenario(t)
	allEqual(t, concurrentRequests(t, http.HandlerFunc(gj202.PerRequest), 4), "3")
	settled(t, "4 concurrent requests, a runtime each, one shared *goja.Program")
}

//groundtruth:scenario fixture=rules/gj202/negative.go func=Pooled,pool expect=clean
func TestGJ202_Negative_Pooled(t *testing.T) {
	scenario(t)
	allEqual(t, concurrentRequests(t, http.HandlerFunc(gj202.Pooled), 4), "3")
	settled(t, "4 concurrent requests, runtimes from a sync.Pool")
}

//groundtruth:scenario fixture=rules/gj202/negative.go func=Locked,lockedVM,lockedMu expect=clean
func TestGJ202_Negative_Locked(t *testing.T) {
	scenario(t)
	allEqual(t, concurrentRequests(t, http.HandlerFunc(gj202.Locked), 4), "19900")
	settled(t, "4 concurrent requests serialised by the lock around the shared runtime")
}

//groundtruth:scenario fixture=rules/gj202/negative.go func=Worker.Submit,Worker,NewWorker,Worker.loop expect=clean
func TestGJ202_Negative_Worker(t *testing.T) {
	scenario(t)
	w := gj202.NewWorker()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				w.Submit(`var o = {n: 0}; for (var i = 0; i < 50; i++) { o["k" + i] = i }`)
			}
		}()
	}
	wg.Wait()
	settled(t, "4 goroutines submitted 20 scripts to the worker that owns the runtime")
}
