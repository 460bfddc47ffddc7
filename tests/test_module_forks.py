"""Forks of goja / sobek / goja_nodejs named by a module's go.mod, and when a file's import of one
makes it an engine."""

from __future__ import annotations

from pathlib import Path

from gojaguard.analyzers import config as C
from gojaguard.analyzers.engine import Engine
from gojaguard.analyzers.module import find_module, forks_of
from gojaguard.analyzers.syntax.document import Document

GOMOD = """module example.com/scanner

go 1.22

require (
	github.com/Mzack9999/goja v0.0.0-20250507184235-e46100e9c697 // the engine
	github.com/Mzack9999/goja_nodejs v0.0.0-20250507184139-66bcbf65c883
	github.com/acme/goja-helpers v1.2.0
	github.com/dop251/goja v0.0.0-20260917113740-793a2a65c13b
)

require github.com/corp/sobek/v2 v2.0.1

replace github.com/corp/jsvm => github.com/dop251/goja v0.0.0-20260917113740-793a2a65c13b

replace (
	github.com/dop251/goja => github.com/other/goja v0.1.0
	github.com/local/goja => ../goja
)
"""


def test_forks_of_require_and_replace():
    engines, nodejs = forks_of(GOMOD)
    assert engines == ("github.com/Mzack9999/goja", "github.com/corp/jsvm", "github.com/corp/sobek/v2",
                       "github.com/local/goja", "github.com/other/goja")
    assert nodejs == ("github.com/Mzack9999/goja_nodejs",)
    # a helper library whose name merely contains goja is not a fork
    assert "github.com/acme/goja-helpers" not in engines


def test_forks_of_nothing():
    assert forks_of("module example.com/x\n\ngo 1.22\n") == ((), ())


def _check(tmp_path: Path, gomod: str, files: dict[str, str]) -> list:
    (tmp_path / "go.mod").write_text(gomod)
    docs = {}
    for name, src in files.items():
        p = tmp_path / name
        p.write_text(src)
        docs[str(p)] = Document(src.encode(), str(p))
    find_module.cache_clear()
    result = Engine(C.Config()).analyze_package(docs, f"{tmp_path}#x")
    return [f.rule for fr in result.files.values() for f in fr.findings]


_RACE = """package x

import js "%s"

func Scan(vm *js.Runtime, src string) {
	go func() { _, _ = vm.RunString(src) }()
	_ = vm.Set("target", 1)
}
"""


def test_fork_from_gomod_is_an_engine(tmp_path):
    assert _check(tmp_path, GOMOD, {"x.go": _RACE % "github.com/Mzack9999/goja"}) == ["GJ201"]


def test_fork_path_through_a_replace_is_an_engine(tmp_path):
    assert _check(tmp_path, GOMOD, {"x.go": _RACE % "github.com/corp/jsvm"}) == ["GJ201"]


def test_fork_candidate_without_gojas_api_is_not_an_engine(tmp_path):
    """A module named .../goja that the file uses as something else (a wrapper with its own API)."""
    src = """package x

import g "github.com/Mzack9999/goja"

func Scan(pool *g.Pool, src string) {
	go func() { _ = pool.Exec(src) }()
	_ = pool.Exec("x")
}
"""
    assert _check(tmp_path, GOMOD, {"x.go": src}) == []


def test_eventloop_of_a_nodejs_fork(tmp_path):
    src = """package x

import (
	"github.com/Mzack9999/goja"
	"github.com/Mzack9999/goja_nodejs/eventloop"
)

func Serve() {
	loop := eventloop.NewEventLoop()
	loop.Start()
	loop.RunOnLoop(func(vm *goja.Runtime) {
		loop.Stop()
	})
}
"""
    assert _check(tmp_path, GOMOD, {"x.go": src}) == ["GJ402"]
