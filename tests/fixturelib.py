"""Helpers for fixture tests: discover the fixture packages, read `// want` annotations, analyse."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from gojaguard.analyzers import config as C
from gojaguard.analyzers.engine import Engine
from gojaguard.analyzers.syntax.document import Document

FIXTURES = Path(__file__).parent / "fixtures"
_WANT = re.compile(r'//\s*want\s+((?:"GJ\d{3}"\s*)+)')


def packages() -> list[Path]:
    """Every directory of the fixture module that holds .go files (the stand-ins excluded)."""
    out = []
    for d in sorted({p.parent for p in FIXTURES.rglob("*.go")}):
        rel = d.relative_to(FIXTURES)
        if any(part.startswith(("_", ".")) for part in rel.parts):
            continue
        out.append(d)
    return out


def wants(path: Path) -> Counter:
    """(line, rule) -> count, from `// want "GJ101" "GJ302"` comments."""
    out: Counter = Counter()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = _WANT.search(line)
        if m:
            for rule in re.findall(r'"(GJ\d{3})"', m.group(1)):
                out[(n, rule)] += 1
    return out


_MODULE_RESULT = None


def module_findings() -> dict[str, Counter]:
    """Findings of the whole fixture module, analysed as `gojaguard check` does (per-package
    configs, both rounds of cross-package summaries): path -> Counter((line, rule))."""
    global _MODULE_RESULT
    if _MODULE_RESULT is None:
        from gojaguard.server.check import check_paths

        report = check_paths([str(FIXTURES)], None, jobs=1)
        out: dict[str, Counter] = {}
        for item in report.items:
            out.setdefault(str(Path(item.path).resolve()), Counter())[(item.line, item.rule)] += 1
        _MODULE_RESULT = (out, report.problems)
    return _MODULE_RESULT


def analyse_dir(d: Path, config: C.Config | None = None, engine: Engine | None = None):
    """Findings per file of the package(s) in one directory, as Counter((line, rule))."""
    config = config if config is not None else C.discover(d)
    engine = engine or Engine(config)
    groups: dict[str, dict[str, Document]] = {}
    from gojaguard.analyzers.workspace import package_name

    for p in sorted(d.glob("*.go")):
        src = p.read_bytes()
        groups.setdefault(package_name(src), {})[str(p)] = Document(src, str(p))
    got: dict[str, Counter] = {}
    results = []
    for name, docs in groups.items():
        result = engine.analyze_package(docs, f"{d}#{name}")
        results.append(result)
        for path, fr in result.files.items():
            c = got.setdefault(path, Counter())
            for f in fr.findings:
                c[(docs[path].line_index.line_of(f.start) + 1, f.rule)] += 1
    return got, results
