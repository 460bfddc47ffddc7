package jsservice

import (
	"fmt"
	"net/http"

	"github.com/dop251/goja"
)

// adminVM evaluates admin expressions. Every request runs on its own goroutine.
var adminVM = goja.New()

// AdminEval is an HTTP handler.
func AdminEval(w http.ResponseWriter, r *http.Request) {
	v, err := adminVM.RunString(r.FormValue("expr"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprintln(w, v.Export())
}
