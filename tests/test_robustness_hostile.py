"""Hostile input to the engine, the CLI and the server: invalid UTF-8, NUL bytes, random bytes, a
10 MB file, 100k-line files, 50,000-deep nesting, unterminated strings and comments, a million `{`.
Each is answered within the per-file time budget (plus its parse), memory stays bounded, the
process stays alive; a file over its budget is reported as skipped, never silently dropped."""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from gojaguard.analyzers import budget as B
from gojaguard.analyzers.config import Config
from gojaguard.analyzers.engine import Engine
from gojaguard.analyzers.syntax.document import Document

from lspclient import PROFILES, SERVER
from robustness import hostile, procinfo

BUDGET = 1.0  # seconds of analysis per file in these tests
# The budget's exception can land in a gc callback (hypothesis installs one) where Python drops it
# as "unraisable" and warns; the watchdog then posts it again (see test_the_watchdog_fires_again...)
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
SKIPPED = "skipped: analysing it took longer than the file time budget"
SLACK = 3  # the machine may be busy (CI runs things side by side): bounds are for hangs, not speed


def parse_allowance(size: int) -> float:
    """Parsing is not under the budget (tree-sitter runs in C): allow ~1 s per MB, generously."""
    return 2.0 + 1.5 * size / 1e6


def engine_inputs() -> dict[str, bytes]:
    """The catalogue at a fifth of its size (the deep ones at full depth), for in-process runs."""
    inputs = hostile.catalogue(scale=0.2)
    for name, gen in (("deep-blocks-50k", hostile.deep_blocks), ("deep-parens-50k", hostile.deep_parens),
                      ("deep-calls-50k", hostile.deep_calls), ("deep-binary-50k", hostile.deep_binary),
                      ("deep-func-literals-50k", hostile.deep_func_literals), ("deep-ifs-50k", hostile.deep_ifs)):
        inputs[name] = gen(50_000)
    inputs["million-braces"] = hostile.million_braces()
    inputs["deep-types-50k"] = hostile.HEADER + b"var x " + b"[]" * 50_000 + b"*goja.Runtime\n"
    inputs["deep-struct-types"] = hostile.HEADER + b"type T " + b"struct { f " * 5_000 + b"int" + b" }" * 5_000 + b"\n"
    inputs["deep-var-initializer"] = hostile.HEADER + b"var x = " + b"func() int { return " * 3_000 + b"1" + b" }()" * 3_000 + b"\n"
    return inputs


@pytest.mark.parametrize("name", sorted(engine_inputs()))
def test_engine_answers_each_hostile_input_within_its_budget(name, caplog):
    src = engine_inputs()[name]
    engine = Engine(Config(file_time_budget=BUDGET))
    started = time.perf_counter()
    doc = Document(src, "h.go")
    with caplog.at_level(logging.CRITICAL, logger="gojaguard"):
        result = engine.analyze_package({"h.go": doc}, "h")
    elapsed = time.perf_counter() - started
    assert elapsed < SLACK * (BUDGET + parse_allowance(len(src))), f"{name}: {elapsed:.1f}s"
    fr = result.files["h.go"]
    if elapsed > SLACK * (BUDGET + parse_allowance(len(src))) / 2:  # slow: then it must say it skipped the file
        assert fr.skipped.startswith(SKIPPED), (name, fr.skipped)
    for err in result.errors:
        assert isinstance(err, str) and err.startswith("h.go"), err
    # the results are usable: every finding inside the file, every message a string
    for f in fr.findings:
        assert 0 <= f.start <= f.end <= len(src) and f.message


def test_a_slow_file_is_reported_as_skipped_and_the_others_still_analysed():
    slow = hostile.sequential_branches(1_500)
    fine = (hostile.HEADER + b"func Fine(vm *goja.Runtime) {\n\tv := vm.Get(\"x\")\n\tgo func() { _ = v.String() }()\n"
            b"\tvm.Set(\"y\", 1)\n}\n")
    engine = Engine(Config(file_time_budget=0.5))
    started = time.perf_counter()
    result = engine.analyze_package({"slow.go": Document(slow, "slow.go"), "fine.go": Document(fine, "fine.go")}, "p")
    assert time.perf_counter() - started < SLACK * 3
    assert result.files["slow.go"].skipped.startswith(SKIPPED) and "0.5s" in result.files["slow.go"].skipped
    assert any(e.startswith("slow.go: " + SKIPPED) for e in result.errors)
    assert result.files["slow.go"].findings == []
    assert [f.rule for f in result.files["fine.go"].findings] == ["GJ101"]
    # no budget: the same file is analysed to the end
    assert not Engine(Config(file_time_budget=0)).analyze_package({"slow.go": Document(hostile.sequential_branches(150), "s")}, "q").errors


def test_the_watchdog_interrupts_a_single_slow_declaration_and_nothing_leaks():
    before = B.interruptions()
    src = hostile.sequential_branches(3_000)  # one declaration that alone takes a minute
    engine = Engine(Config(file_time_budget=0.3))
    started = time.perf_counter()
    result = engine.analyze_package({"one.go": Document(src, "one.go")}, "p")
    assert time.perf_counter() - started < SLACK * 2  # (alone it would take a minute)
    assert result.files["one.go"].skipped.startswith(SKIPPED)
    assert B.interruptions() > before
    time.sleep(0.1)  # no late BudgetExceeded escapes into unrelated code
    assert sum(range(100_000)) == 4999950000


# -- the CLI ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hostile_tree(tmp_path_factory) -> Path:
    """Every hostile input at full size, each in a package directory of its own."""
    root = tmp_path_factory.mktemp("hostile")
    for name, src in hostile.catalogue(scale=1.0).items():
        d = root / name
        d.mkdir()
        (d / "h.go").write_bytes(src)
    return root


def test_check_on_every_hostile_input_at_full_size(hostile_tree: Path):
    started = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "gojaguard", "check", "--format", "json", "--jobs", "2",
                        "--file-time-budget", str(BUDGET), str(hostile_tree)], capture_output=True, text=True, timeout=240)
    elapsed = time.perf_counter() - started
    assert p.returncode in (0, 1), p.stderr[-3000:]
    report = json.loads(p.stdout)
    assert "Traceback" not in p.stderr, p.stderr[-3000:]
    skipped = [x for x in report["problems"] if SKIPPED in x]
    assert any("sequential-branches" in x for x in skipped), report["problems"]
    assert any("10MB-file" in x for x in skipped), report["problems"]
    for x in report["problems"]:  # each problem names its file
        assert x.startswith(str(hostile_tree)), x
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"check on {len(list(hostile_tree.iterdir()))} hostile inputs: {elapsed:.1f}s, peak worker RSS {peak_mb:.0f} MB")
    assert peak_mb < 3000
    assert elapsed < 60 * SLACK


# -- the server -----------------------------------------------------------------------------------------

@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), params=["neovim-0.7"], scope="module")
async def server(lsp_client: LanguageClient, request, tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-server")
    lsp_client.pull = PROFILES[request.param]["pull"]
    lsp_client.root = root
    lsp_client.feature(lsp.CLIENT_REGISTER_CAPABILITY)(lambda params: None)
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=PROFILES[request.param]["caps"], root_uri=root.as_uri(),
        initialization_options={"diagnosticsDelay": 0, "fileTimeBudget": BUDGET}))
    yield
    await lsp_client.shutdown_session()


async def _diagnostics(client: LanguageClient, uri: str):
    if client.pull:
        report = await client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri)))
        return list(report.items)
    await client.protocol.send_request_async("gojaguard/debugDocument", {"uri": uri, "tree": False})  # a barrier
    return list(client.diagnostics.get(uri, []))


@pytest.mark.asyncio(loop_scope="module")
async def test_server_answers_every_hostile_document_and_stays_alive(server: LanguageClient):
    client = server
    pid = client._server.pid
    timings = {}
    for name, src in hostile.catalogue(scale=1.0).items():
        uri = (client.root / name / "h.go").as_uri()
        text = src.decode("utf-8", "surrogateescape")  # invalid bytes travel as lone surrogates
        started = time.perf_counter()
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
            uri=uri, language_id="go", version=1, text=text)))
        diags = await asyncio.wait_for(_diagnostics(client, uri), timeout=60)
        elapsed = time.perf_counter() - started
        timings[name] = elapsed
        assert elapsed < SLACK * (BUDGET + parse_allowance(len(src)) + 3), f"{name}: {elapsed:.1f}s"
        lines = text.count("\n")
        for line, char in ((0, 0), (lines // 2, 3), (lines, 10**6), (10**6, 10**6)):
            await client.text_document_hover_async(lsp.HoverParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=line, character=char)))
        await client.text_document_code_action_async(lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=lines + 1, character=0)),
            context=lsp.CodeActionContext(diagnostics=diags[:5])))
        view = await client.protocol.send_request_async("gojaguard/debugDocument", {"uri": uri, "tree": False})
        assert view.text == text  # even invalid UTF-8 round-trips
        client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri)))
    assert client._server.returncode is None  # alive
    assert any(SKIPPED in m.message and "sequential-branches" in m.message for m in client.log_messages)
    peak = procinfo.peak_rss_mb(pid)
    slowest = max(timings, key=timings.get)
    print(f"server: {len(timings)} hostile documents, slowest {slowest} {timings[slowest]:.1f}s, peak RSS {peak:.0f} MB")
    assert peak < 3000


# -- configuring the budget ------------------------------------------------------------------------------

def test_the_budget_from_the_config_file_the_flag_and_the_setting(tmp_path: Path, capsys):
    from gojaguard.server.cli import main
    from gojaguard.server.lsp.settings import merge, parse

    (tmp_path / "slow.go").write_bytes(hostile.sequential_branches(1_500))
    (tmp_path / ".gojaguard.toml").write_text("file-time-budget = 0.25\n")
    assert main(["check", "--jobs", "1", "--format", "json", str(tmp_path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["problems"] == [f"{tmp_path / 'slow.go'}: {SKIPPED} of 0.25s (raise `file-time-budget` in .gojaguard.toml, "
                                  f"--file-time-budget, or the fileTimeBudget setting; 0 means no limit)"]
    # the flag overrides the file
    main(["check", "--jobs", "1", "--format", "json", "--file-time-budget", "0.5", str(tmp_path)])
    assert "budget of 0.5s" in json.loads(capsys.readouterr().out)["problems"][0]
    # bad values: exit 2, naming the key (and its line)
    assert main(["check", "--file-time-budget", "-1", str(tmp_path)]) == 2
    assert "--file-time-budget" in capsys.readouterr().err
    (tmp_path / ".gojaguard.toml").write_text('exclude = []\nfile-time-budget = "ten"\n')
    assert main(["check", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert ".gojaguard.toml:2:" in err and "`file-time-budget` must be a number of seconds" in err
    # the editor setting: applied over the file's, a bad one ignored and said
    s = parse({"fileTimeBudget": 3})
    assert merge(Config(file_time_budget=10), s).file_time_budget == 3
    assert merge(Config(file_time_budget=7), parse({})).file_time_budget == 7
    bad = parse({"fileTimeBudget": "soon"})
    assert bad.file_time_budget is None and any("fileTimeBudget" in p for p in bad.problems)


def test_no_budget_means_no_limit():
    src = hostile.sequential_branches(120)
    result = Engine(Config(file_time_budget=0)).analyze_package({"s.go": Document(src, "s.go")}, "s")
    assert not result.files["s.go"].skipped and len(result.files["s.go"].findings) > 100


@pytest.mark.parametrize("gen", [hostile.deep_blocks, hostile.deep_parens, hostile.deep_calls, hostile.deep_binary,
                                 hostile.deep_func_literals, hostile.deep_ifs])
def test_deep_nesting_loses_only_that_declaration(gen, capsys):
    """RecursionError in the walkers is caught per declaration and reported with its location."""
    fine = b"\nfunc Fine(vm *goja.Runtime) {\n\tv := vm.Get(\"x\")\n\tgo func() { _ = v.String() }()\n\tvm.Set(\"y\", 1)\n}\n"
    src = gen(50_000) + fine
    result = Engine().analyze_package({"d.go": Document(src, "d.go")}, "d")
    assert result.errors == ["d.go:5: declaration Deep is nested too deeply to analyse"]
    assert [f.rule for f in result.files["d.go"].findings] == ["GJ101"]  # Fine is still analysed


def test_the_watchdog_fires_again_when_its_exception_is_swallowed_in_a_finalizer():
    """An asynchronous exception delivered inside a gc callback or __del__ is "unraisable": Python
    prints and drops it (hypothesis installs such a callback; found when the suite ran in one
    process). The watchdog posts again until the call is over."""
    import gc

    swallowed = []

    def callback(phase, info):  # Python work inside the collector: where a posted exception dies
        if phase == "stop":
            swallowed.append(sum(range(3000)))

    def churn():
        while True:
            a = []
            a.append(a)  # cyclic garbage: the collector runs often

    gc.callbacks.append(callback)
    try:
        started = time.perf_counter()
        with pytest.raises(B.BudgetExceeded):
            B.call(churn, 0.2)
        assert time.perf_counter() - started < 5
    finally:
        gc.callbacks.remove(callback)
