module gojaguard.test/groundtruth

go 1.25.0

// The fixtures under test, read from the working tree.
replace gojaguard.test/fixtures => ../fixtures

// The same stand-ins the fixture module uses: k6 is AGPL (a local stand-in with its API shape),
// and a goja fork imported by its own path.
replace go.k6.io/k6 => ../fixtures/_stubs/k6

replace example.com/forks/goja => ../fixtures/_stubs/forkgoja

require (
	github.com/dop251/goja v0.0.0-20260917113740-793a2a65c13b
	github.com/dop251/goja_nodejs v0.0.0-20260212111938-1f56ff5bcf14
	github.com/grafana/sobek v0.0.0-20260429085637-a66d4790012b
	go.k6.io/k6 v0.0.0-00010101000000-000000000000
	gojaguard.test/fixtures v0.0.0-00010101000000-000000000000
)

require (
	example.com/forks/goja v0.0.0-00010101000000-000000000000 // indirect
	github.com/dlclark/regexp2 v1.12.0 // indirect
	github.com/dlclark/regexp2/v2 v2.5.2 // indirect
	github.com/go-sourcemap/sourcemap v2.1.4+incompatible // indirect
	github.com/google/pprof v0.0.0-20240727154555-813a5fbdbec8 // indirect
	golang.org/x/text v0.16.0 // indirect
)
