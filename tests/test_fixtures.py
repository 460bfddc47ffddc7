"""Every fixture package: the findings are exactly the `// want` annotations (analysistest style)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from gojaguard.analyzers import config as C
from gojaguard.analyzers.rules import MODULES

from fixturelib import FIXTURES, analyse_dir, module_findings, packages, wants

PACKAGES = packages()


@pytest.mark.parametrize("pkg", PACKAGES, ids=[str(p.relative_to(FIXTURES)) for p in PACKAGES])
def test_fixture_package(pkg: Path):
    got, internal_problems = module_findings()
    assert not internal_problems, internal_problems
    problems = []
    for path in sorted(pkg.glob("*.go")):
        want = wants(path)
        have = got.get(str(path.resolve()), Counter())
        for key in sorted(set(want) | set(have)):
            if want[key] != have[key]:
                problems.append(f"{path.name}:{key[0]}: {key[1]} wanted {want[key]}x, got {have[key]}x")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("module", MODULES, ids=[m.RULE.id for m in MODULES])
def test_every_rule_has_positive_and_negative_fixtures(module):
    rid = module.RULE.id
    d = FIXTURES / "rules" / rid.lower()
    positive, negative = d / "positive.go", d / "negative.go"
    assert positive.is_file() and negative.is_file(), f"{rid} needs positive.go and negative.go"
    assert any(rule == rid for _, rule in wants(positive)), f"{rid}: positive.go flags nothing"
    assert not wants(negative), f"{rid}: negative.go must stay clean"


def test_fork_found_through_gomod():
    """A fork whose path ends in /goja is an engine because the module's go.mod requires it."""
    d = FIXTURES / "cases" / "fork"
    assert not (d / ".gojaguard.toml").exists()
    found, _ = analyse_dir(d, config=C.Config())
    assert sum(sum(c.values()) for c in found.values()) == 1


def test_fork_without_a_hint_needs_its_config():
    """A fork whose path gives no hint is only an engine because .gojaguard.toml says so."""
    d = FIXTURES / "cases" / "forkconfig"
    with_config, _ = analyse_dir(d)
    without, _ = analyse_dir(d, config=C.Config())
    assert sum(sum(c.values()) for c in with_config.values()) == 1
    assert sum(sum(c.values()) for c in without.values()) == 0


def test_seed_verdicts():
    """The seed review's cases, by name: what the review got right and where it stops short."""
    def rules(rel: str) -> Counter:
        got, _ = analyse_dir(FIXTURES / "seed" / rel)
        total = Counter()
        for c in got.values():
            for (_, rule), n in c.items():
                total[rule] += n
        return total

    assert rules("abortcontroller") == Counter({"GJ301": 1})  # safe; the mutex is defensive
    assert rules("abortids") == Counter({"GJ301": 1})  # the []string rewrite changes nothing
    assert rules("aborttimer") == Counter({"GJ302": 1})  # reachable from a timer: insufficient
    assert rules("abortlocked") == Counter({"GJ301": 1, "GJ303": 1})  # calling under the lock deadlocks
    assert rules("poolexecutor") == Counter({"GJ203": 1, "GJ204": 1})  # only the timeout variants
    assert rules("eventloopmode") == Counter()
    assert rules("practices") == Counter()
    assert rules("sharedruntime") == Counter({"GJ202": 1})
    assert rules("valueacross") == Counter({"GJ103": 1, "GJ102": 1})
