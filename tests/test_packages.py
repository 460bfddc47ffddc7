"""The order packages are analysed in, and what they export to the rest of their module.

A directory's external test package (`package foo_test`) shares its import path but nothing
imports it; test files may import packages that import their own package (legal in Go). Neither
may make a cycle of the analysis order, nor publish exports over the real package's: on k6 both
did, and the language server analysed 46 packages 236 times while indexing.
"""

from __future__ import annotations

from pathlib import Path

from gojaguard.analyzers.config import Config
from gojaguard.analyzers.engine import Engine
from gojaguard.analyzers.module import find_module
from gojaguard.analyzers.syntax.document import Document
from gojaguard.analyzers.workspace import discover, waves

GOJA = 'import "github.com/dop251/goja"\n\nvar _ = goja.New\n'


def _module(tmp_path: Path) -> Path:
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    files = {
        # core: its tests import helper, and helper imports core (a cycle only through test files)
        "core/core.go": "package core\n\n" + GOJA,
        "core/core_test.go": 'package core\n\nimport "example.com/m/helper"\n\nvar _ = helper.X\n',
        # core's external test package imports both
        "core/ext_test.go": 'package core_test\n\nimport (\n\t"example.com/m/core"\n\t"example.com/m/helper"\n\t"github.com/dop251/goja"\n)\n\n'
                            "var _ = core.X\nvar _ = helper.X\nvar _ = goja.New\n",
        "helper/helper.go": 'package helper\n\nimport (\n\t"example.com/m/core"\n\t"github.com/dop251/goja"\n)\n\n'
                            "var X = 1\nvar _ = core.X\nvar _ = goja.New\n",
        # user imports core
        "user/user.go": 'package user\n\nimport (\n\t"example.com/m/core"\n\t"github.com/dop251/goja"\n)\n\n'
                        "var _ = core.X\nvar _ = goja.New\n",
    }
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "core" / "core.go").write_text("package core\n\n" + GOJA + "\nvar X = 1\n")
    return tmp_path


def _import_path(pkg) -> str:
    module = find_module(pkg.dir)
    return module.import_path(pkg.dir) if module is not None else pkg.id


def test_waves_follow_build_imports_and_put_external_tests_last(tmp_path):
    root = _module(tmp_path)
    disc = discover([str(root)], Config())
    order = {pkg.id.rsplit("/", 1)[-1]: i for i, wave in enumerate(waves(disc.packages, _import_path)) for pkg in wave}
    # no cycle was broken arbitrarily: each package after what its non-test files import
    assert order["core#core"] < order["helper#helper"]
    assert order["core#core"] < order["user#user"]
    # the external test package after everything it imports, and nothing waits for it
    assert order["core#core_test"] > order["helper#helper"]


def test_external_test_package_exports_nothing(tmp_path):
    root = _module(tmp_path)
    engine = Engine()
    ext = str(root / "core" / "ext_test.go")
    result = engine.analyze_package({ext: Document((root / "core" / "ext_test.go").read_bytes(), ext)}, f"{root}/core#core_test")
    assert result.import_path == ""
    core = str(root / "core" / "core.go")
    result = engine.analyze_package({core: Document((root / "core" / "core.go").read_bytes(), core)}, f"{root}/core#core")
    assert result.import_path == "example.com/m/core"
