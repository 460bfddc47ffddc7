"""Ground truth from the real engine: each rule's bug happens in the positive fixtures and not in
their negative twins, and the analyzer agrees with what the runs show.

The Go module tests/groundtruth calls the fixture packages (tests/fixtures) with the real goja,
sobek and goja_nodejs (k6 through its local stand-in). Each Go test is one scenario; the comment
line above it says which fixture code it runs and what the run must show:

    //groundtruth:scenario fixture=rules/gj201/positive.go func=RunInBackground expect=race

expect: race (the race detector reports a data race inside the engine; a positive gets up to
three runs, as the detector can miss a race), shown (the scenario saw the bug's symptom and
logged "SHOWN: ..."), clean (it passed, race-free) or unshowable (as clean, for a finding no run
can show). A positive scenario whose run contradicts its fixture carries
disagree="..." (the run shows the analyzer's premise does not hold there) or unshown="..." (the
bug is real but no input can make this fixture show it); those are reported as expected failures
of the agreement check, and turn into failures when they stop holding.

The test binary is built once with -race; every scenario runs in its own process (a data race
fails the whole process), several at a time. Without Go the tests are skipped, unless
GOJAGUARD_REQUIRE_TOOLS=1.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from fixturelib import FIXTURES, analyse_dir, wants

GROUNDTRUTH = Path(__file__).parent / "groundtruth"

_DIRECTIVE = re.compile(r"^//groundtruth:scenario (.*)\n(?:^//.*\n)*^func (Test(GJ\d{3})_(Positive|Negative)_\w+)\(", re.M)
_EXPECT = ("race", "shown", "clean", "unshowable")
_ENGINES = ("github.com/dop251/goja", "github.com/grafana/sobek")
_FRAME = re.compile(r"/tests/fixtures/(\S+?):(\d+) ")


@dataclass(frozen=True)
class Scenario:
    test: str  # the Go test's name
    rule: str
    positive: bool
    fixture: Path
    funcs: tuple[str, ...]
    expect: str
    disagree: str = ""
    unshown: str = ""
    race_in: str = "fixture"  # where the racing accesses are: the fixture's code, or the test's

    @property
    def id(self) -> str:
        where = self.fixture.parent.relative_to(FIXTURES)
        return f"{self.rule}-{'positive' if self.positive else 'negative'}-{where}:{self.funcs[0]}"


def scenarios() -> list[Scenario]:
    out = []
    for path in sorted(GROUNDTRUTH.glob("*_test.go")):
        for m in _DIRECTIVE.finditer(path.read_text(encoding="utf-8")):
            kv = dict(token.split("=", 1) for token in shlex.split(m.group(1)))
            unknown = set(kv) - {"fixture", "func", "expect", "disagree", "unshown", "race-in"}
            assert not unknown, f"{path.name}: {m.group(2)}: unknown keys {sorted(unknown)}"
            assert kv.get("expect") in _EXPECT, f"{path.name}: {m.group(2)}: expect= one of {_EXPECT}"
            fixture = FIXTURES / kv["fixture"]
            assert fixture.is_file(), f"{path.name}: {m.group(2)}: no fixture {kv['fixture']}"
            out.append(Scenario(
                test=m.group(2), rule=m.group(3), positive=m.group(4) == "Positive", fixture=fixture,
                funcs=tuple(kv["func"].split(",")), expect=kv["expect"], disagree=kv.get("disagree", ""),
                unshown=kv.get("unshown", ""), race_in=kv.get("race-in", "fixture"),
            ))
    return out


SCENARIOS = scenarios()


def test_scenarios_are_well_formed():
    names = [s.test for s in SCENARIOS]
    assert len(names) == len(set(names))
    ids = [s.id for s in SCENARIOS]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    # Every Go test in the module is a scenario (a test without its directive would never run).
    tests = set()
    for path in GROUNDTRUTH.glob("*_test.go"):
        tests |= set(re.findall(r"^func (Test\w+)\(t \*testing\.T\)", path.read_text(encoding="utf-8"), re.M))
    assert tests == set(names), f"tests without a //groundtruth:scenario line: {sorted(tests - set(names))}"
    for s in SCENARIOS:
        known = s.disagree or s.unshown
        assert not known or (s.positive and s.expect == "clean"), f"{s.test}: only a clean positive can disagree"
        assert s.expect != "unshowable" or s.positive, s.test
        assert s.positive or s.expect == "clean", f"{s.test}: a negative scenario must expect clean"


# --- running the Go module --------------------------------------------------------------------


RACE_ATTEMPTS = 3


@dataclass
class Run:
    rc: int
    output: str
    seconds: float
    attempts: int = 1
    verdict: str = field(init=False)

    def __post_init__(self):
        race = "WARNING: DATA RACE" in self.output
        passed = self.rc == 0 and "--- PASS:" in self.output
        if race:
            self.verdict = "race"
        elif passed and "SHOWN: " in self.output:
            self.verdict = "shown"
        elif passed:
            self.verdict = "clean"
        else:
            self.verdict = "failed"

    def race_frames(self) -> list[tuple[str, int]]:
        """(fixture path relative to tests/fixtures, line) of the frames in the race reports."""
        frames = []
        for report in self.output.split("WARNING: DATA RACE")[1:]:
            report = report.split("==================")[0]
            frames += [(m.group(1), int(m.group(2))) for m in _FRAME.finditer(report)]
        return frames


def _require_tools() -> bool:
    return os.environ.get("GOJAGUARD_REQUIRE_TOOLS", "") not in ("", "0")


def _go_env() -> dict[str, str]:
    env = dict(os.environ)
    flags = env.get("GOFLAGS", "").split()
    if not any(f.startswith("-mod=") for f in flags):
        flags.append("-mod=mod")
    env["GOFLAGS"] = " ".join(flags)
    return env


@pytest.fixture(scope="session")
def runs(tmp_path_factory) -> dict[str, Run]:
    go = shutil.which("go")
    if go is None:
        reason = "the Go toolchain (go) is not on PATH: the ground-truth runs need it"
        if _require_tools():
            pytest.fail(f"{reason} (GOJAGUARD_REQUIRE_TOOLS=1: nothing may be skipped)")
        pytest.skip(f"{reason} (set GOJAGUARD_REQUIRE_TOOLS=1 to make this a failure)")
    binary = tmp_path_factory.mktemp("groundtruth") / "groundtruth.test"
    started = time.monotonic()
    build = subprocess.run(
        [go, "test", "-c", "-race", "-o", str(binary), "."],
        cwd=GROUNDTRUTH, env=_go_env(), capture_output=True, text=True, timeout=900,
    )
    if build.returncode != 0:
        pytest.fail(f"building the ground-truth test binary failed:\n{build.stdout}\n{build.stderr}")
    built = time.monotonic()

    env = dict(os.environ,
               # Stop at the first race; keep a long history (a race whose earlier access has
               # left the history is not reported); wait 0.2s, not 1s, at exit for late reports
               # (the scenarios join their goroutines).
               GORACE="halt_on_error=1 exitcode=66 history_size=7 atexit_sleep_ms=200",
               # More Ps than a small CI machine's cores: the detector misses fewer races
               # with timer callbacks when they do not share the owner's P.
               GOMAXPROCS=str(max(4, os.cpu_count() or 1)))

    def attempt(s: Scenario) -> Run:
        t0 = time.monotonic()
        try:
            p = subprocess.run(
                [str(binary), "-test.run", f"^{s.test}$", "-test.count=1", "-test.v", "-test.timeout=90s"],
                cwd=GROUNDTRUTH, env=dict(env, GOJAGUARD_SCENARIO=s.test),
                capture_output=True, text=True, timeout=120,
            )
            rc, output = p.returncode, p.stdout + p.stderr
        except subprocess.TimeoutExpired as e:
            rc, output = -1, f"timed out after 120s\n{e.stdout or ''}{e.stderr or ''}"
        return Run(rc, output, time.monotonic() - t0)

    def run(s: Scenario) -> Run:
        # The race detector reports only races it sees, and it misses some (in our runs, about
        # one run in ten of a race with a timer callback): a positive gets up to RACE_ATTEMPTS
        # runs, and one report is proof. A negative runs once.
        r = attempt(s)
        for _ in range(RACE_ATTEMPTS - 1):
            if s.expect != "race" or r.verdict == "race":
                break
            again = attempt(s)
            again.attempts, again.seconds = r.attempts + 1, r.seconds + again.seconds
            r = again
        return r

    with ThreadPoolExecutor(max_workers=max(2, min(6, os.cpu_count() or 2))) as pool:
        results = dict(zip((s.test for s in SCENARIOS), pool.map(run, SCENARIOS)))
    finished = time.monotonic()
    retried = sorted(t for t, r in results.items() if r.attempts > 1)
    print(f"\nground truth: built in {built - started:.1f}s, {len(SCENARIOS)} scenarios run in "
          f"{finished - built:.1f}s (slowest: {max(r.seconds for r in results.values()):.1f}s; "
          f"run again for a race: {', '.join(retried) or 'none'})")
    return results


def _expected(s: Scenario) -> str:
    return "clean" if s.expect == "unshowable" else s.expect


@pytest.mark.parametrize("s", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_run_shows(s: Scenario, runs):
    """The run shows what the scenario says: a race, the bug's symptom, or a clean pass."""
    r = runs[s.test]
    runs_ = f"{r.attempts} runs" if r.attempts > 1 else "the run"
    assert r.verdict == _expected(s), f"{s.test}: {runs_} showed {r.verdict}, expected {_expected(s)}\n{r.output[-6000:]}"
    if r.verdict == "race":
        report = r.output.split("WARNING: DATA RACE", 1)[1]
        assert any(e in report for e in _ENGINES), f"{s.test}: the race is not inside the engine\n{report[:4000]}"
        if s.race_in == "fixture":
            lines = _lines(s)
            rel = str(s.fixture.relative_to(FIXTURES))
            hits = [ln for path, ln in r.race_frames() if path == rel and ln in lines]
            assert hits, f"{s.test}: no frame of the race report is in {rel}:{','.join(s.funcs)}\n{report[:4000]}"


# --- agreement with the analyzer -------------------------------------------------------------

_analysed: dict[Path, dict] = {}
_ranges: dict[Path, dict[str, range]] = {}


def _findings(path: Path):
    d = path.parent
    if d not in _analysed:
        _analysed[d] = analyse_dir(d)[0]
    return _analysed[d].get(str(path), {})


def _declarations(path: Path) -> dict[str, range]:
    """Line ranges (1-based, inclusive) of the file's top-level declarations, by name: functions,
    methods as Type.Method, types, package-level vars and consts."""
    if path in _ranges:
        return _ranges[path]
    import tree_sitter
    import tree_sitter_go

    src = path.read_bytes()
    tree = tree_sitter.Parser(tree_sitter.Language(tree_sitter_go.language())).parse(src)
    out: dict[str, range] = {}

    def text(n) -> str:
        return src[n.start_byte:n.end_byte].decode()

    def span(n) -> range:
        return range(n.start_point[0] + 1, n.end_point[0] + 2)

    for decl in tree.root_node.named_children:
        if decl.type == "function_declaration":
            out[text(decl.child_by_field_name("name"))] = span(decl)
        elif decl.type == "method_declaration":
            recv = text(decl.child_by_field_name("receiver"))
            typ = re.findall(r"\w+", recv.replace("*", " "))[-1]
            out[f"{typ}.{text(decl.child_by_field_name('name'))}"] = span(decl)
        elif decl.type in ("type_declaration", "var_declaration", "const_declaration"):
            for spec in _walk(decl):
                if spec.type in ("type_spec", "var_spec", "const_spec"):
                    for name in spec.children_by_field_name("name"):
                        out[text(name)] = span(spec)
    _ranges[path] = out
    return out


def _walk(node):
    for child in node.named_children:
        yield child
        yield from _walk(child)


def _lines(s: Scenario) -> set[int]:
    decls = _declarations(s.fixture)
    missing = [f for f in s.funcs if f not in decls]
    assert not missing, f"{s.test}: {s.fixture.name} declares no {missing}"
    return {ln for f in s.funcs for ln in decls[f]}


@pytest.mark.parametrize("s", SCENARIOS, ids=[s.id for s in SCENARIOS])
def test_analyzer_agrees(s: Scenario, runs):
    """The analyzer flags the rule in the scenario's code exactly when the run shows the bug (and
    the fixture's `// want` annotations say the same)."""
    lines = _lines(s)
    annotated = sorted(ln for (ln, rule) in wants(s.fixture) if rule == s.rule and ln in lines)
    flagged = sorted(ln for (ln, rule) in _findings(s.fixture) if rule == s.rule and ln in lines)
    where = f"{s.fixture.relative_to(FIXTURES)}:{','.join(s.funcs)}"
    assert bool(annotated) == s.positive, f"{where}: `// want \"{s.rule}\"` on {annotated or 'no line'}, but the scenario is {'positive' if s.positive else 'negative'}"
    assert flagged == annotated, f"{where}: the analyzer flags {s.rule} on lines {flagged}, the fixture wants {annotated}"
    r = runs[s.test]
    shows_bug = r.verdict in ("race", "shown")
    if s.expect == "unshowable":  # no run can show it: the analyzer's finding stands alone
        return
    if s.disagree or s.unshown:
        assert s.positive and flagged and not shows_bug, f"{where}: the known disagreement no longer holds (the analyzer flags {flagged}, the run showed {r.verdict}): update the scenario"
        kind = "disagreement" if s.disagree else "not shown by a run"
        pytest.xfail(f"{kind}: {s.rule} flagged at {s.fixture.relative_to(FIXTURES)}:{','.join(map(str, flagged))}, the run is {r.verdict}: {s.disagree or s.unshown}")
    assert shows_bug == s.positive, f"{where}: the analyzer {'flags' if flagged else 'does not flag'} {s.rule}, the run showed {r.verdict}"
