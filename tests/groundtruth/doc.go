// Package groundtruth runs the fixtures of gojaguard against the real goja, sobek and goja_nodejs
// (and the local k6 stand-in) to show that each rule's bug happens in the positive fixtures and
// not in their negative twins. Each test is one scenario; it only runs when GOJAGUARD_SCENARIO
// names it (tests/test_groundtruth.py builds the test binary with -race once and runs every
// scenario in its own process, since a data race fails the whole process).
package groundtruth
