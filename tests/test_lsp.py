"""The language server end to end over stdio, with Neovim 0.7 / 0.11 and VS Code client profiles."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from gojaguard.analyzers.rules import RULES
from gojaguard.server.cli import main as cli_main

from lspclient import PROFILES, ROOT, SERVER, diagnostics, open_doc, position_of, uri

FIX = ROOT / "tests" / "fixtures"


def init_params(profile: str, root: Path, options: dict | None = None, locale: str | None = None) -> lsp.InitializeParams:
    return lsp.InitializeParams(
        capabilities=PROFILES[profile]["caps"], root_uri=uri(root),
        workspace_folders=[lsp.WorkspaceFolder(uri=uri(root), name=root.name)],
        initialization_options={"diagnosticsDelay": 0, **(options or {})}, locale=locale,
    )


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), params=list(PROFILES))
async def client(lsp_client: LanguageClient, request):
    lsp_client.profile = request.param
    lsp_client.pull = PROFILES[request.param]["pull"]
    lsp_client.encoding = PROFILES[request.param]["encoding"]
    lsp_client.registrations = []
    lsp_client.feature(lsp.CLIENT_REGISTER_CAPABILITY)(lambda params: lsp_client.registrations.append(params))
    await lsp_client.initialize_session(init_params(request.param, FIX))
    yield
    await lsp_client.shutdown_session()


def cli_findings(path: Path) -> set[tuple[int, str]]:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        cli_main(["check", "--format", "json", str(path)])
    return {(f["line"], f["rule"]) for f in json.loads(buf.getvalue())["findings"] if f["path"].endswith(path.name)}


@pytest.mark.parametrize("fixture", [
    "seed/poolexecutor/executor.go", "seed/aborttimer/aborttimer.go", "rules/gj201/positive.go",
    "rules/gj202/positive.go", "cases/unicode/unicode.go", "rules/gj301/positive.go",
    "cases/crosspkg/use/use.go",  # needs the summaries of another package of the module
])
async def test_same_findings_as_check(client: LanguageClient, fixture: str):
    path = FIX / fixture
    u = await open_doc(client, path)
    diags = await diagnostics(client, u, client.pull, predicate=lambda d: len(d) > 0)
    got = {(d.range.start.line + 1, d.code) for d in diags}
    assert got == cli_findings(path)
    for d in diags:
        assert d.source == "gojaguard"
        assert d.code_description is not None and d.code_description.href.endswith("#" + RULES[d.code].anchor)
        assert d.related_information, d


async def test_typing_a_goroutine_makes_the_diagnostic_appear_and_undo_clears_it(client: LanguageClient, tmp_path: Path):
    src = (
        "package demo\n\nimport \"github.com/dop251/goja\"\n\n"
        "// Run 运行 🚀\nfunc Run(vm *goja.Runtime) {\n\tv := vm.Get(\"x\")\n\t_ = v\n\tvm.Set(\"y\", 1)\n}\n"
    )
    path = tmp_path / "demo.go"
    path.write_text(src, encoding="utf-8")
    u = await open_doc(client, path, src)
    assert await diagnostics(client, u, client.pull) == []
    # type `go func() { println(v.String()) }()` before vm.Set, one character at a time
    typed = "go func() { println(v.String()) }()\n\t"
    text = src
    anchor = text.index("vm.Set(")
    version = 1
    for i, ch in enumerate(typed):
        pos = position_of(text, "vm.Set(", client.encoding)
        pos = lsp.Position(line=pos.line, character=pos.character)
        version += 1
        client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=u, version=version),
            content_changes=[lsp.TextDocumentContentChangePartial(range=lsp.Range(start=pos, end=pos), text=ch)]))
        text = text[:anchor] + ch + text[anchor:]
        anchor += 1
        if ch == "\n":  # after a newline the insertion point moves to the next line
            pass
    diags = await diagnostics(client, u, client.pull, predicate=lambda d: any(x.code == "GJ101" for x in d))
    gj101 = [d for d in diags if d.code == "GJ101"]
    assert len(gj101) == 1
    assert gj101[0].range.start == position_of(text, "v.String()", client.encoding)
    # undo: delete what was typed (one edit, spanning a line break)
    start = position_of(text, "go func()", client.encoding)
    end = position_of(text, "vm.Set(", client.encoding)
    version += 1
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=u, version=version),
        content_changes=[lsp.TextDocumentContentChangePartial(range=lsp.Range(start=start, end=end), text="")]))
    assert await diagnostics(client, u, client.pull, predicate=lambda d: d == []) == []


async def test_hover_on_a_runtime_names_its_owner(client: LanguageClient):
    path = FIX / "seed" / "poolexecutor" / "executor.go"
    text = path.read_text(encoding="utf-8")
    u = await open_doc(client, path)
    await diagnostics(client, u, client.pull, predicate=lambda d: len(d) > 0)
    pos = position_of(text, "runtime := <-e.runtimePool", client.encoding, occurrence=1)
    h = await client.text_document_hover_async(lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=u), position=pos))
    assert h is not None
    value = h.contents.value
    assert "checked out" in value and "e.runtimePool" in value
    assert "new goroutine" in value and "Returned to the pool" in value


async def test_hover_on_a_mutex_gives_the_verdict(client: LanguageClient):
    path = FIX / "seed" / "abortcontroller" / "abortcontroller.go"
    text = path.read_text(encoding="utf-8")
    u = await open_doc(client, path)
    await diagnostics(client, u, client.pull, predicate=lambda d: len(d) > 0)
    pos = position_of(text, "listenersMutex sync.Mutex", client.encoding)
    h = await client.text_document_hover_async(lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=u), position=pos))
    value = h.contents.value
    assert "defensive" in value and "registered" in value.lower() or "JS calls" in value
    assert "GJ301" in value  # on the diagnostic's range: the rule's explanation too


@pytest.mark.parametrize("fixture,needle,rule,expect", [
    ("rules/gj402/positive.go", "loop.Stop() // want", "GJ402", "loop.StopNoWait()"),
    ("rules/gj102/positive.go", "vmB.Set(\"data\", v)", "GJ102", "v.Export()"),
])
async def test_quick_fix_applies_and_the_diagnostic_goes(client: LanguageClient, tmp_path: Path, fixture, needle, rule, expect):
    src = (FIX / fixture).read_text(encoding="utf-8")
    path = tmp_path / "fix.go"
    path.write_text(src, encoding="utf-8")
    u = await open_doc(client, path, src)
    diags = await diagnostics(client, u, client.pull, predicate=lambda d: len(d) > 0)
    line = position_of(src, needle, client.encoding).line
    target = [d for d in diags if d.code == rule and d.range.start.line == line]
    assert target, diags
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=u), range=target[0].range,
        context=lsp.CodeActionContext(diagnostics=target)))
    titles = [a.title for a in actions]
    assert any(t.startswith("Suppress") for t in titles) and any(t.startswith("Explain") for t in titles)
    fix = next(a for a in actions if a.edit is not None and not a.title.startswith("Suppress"))
    edits = fix.edit.changes[u]
    # apply the edits as a client would, then send them as one change
    new_text = apply_edits(src, edits, client.encoding)
    assert expect in new_text.splitlines()[line]
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=u, version=2),
        content_changes=[lsp.TextDocumentContentChangePartial(range=e.range, text=e.new_text) for e in edits]))
    after = await diagnostics(client, u, client.pull, predicate=lambda d: not any(x.code == rule and x.range.start.line == line for x in d))
    assert not any(d.code == rule and d.range.start.line == line for d in after)


def apply_edits(text: str, edits, encoding: str) -> str:
    from gojaguard.analyzers.syntax.text import LineIndex

    data = text.encode("utf-8")
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        li = LineIndex(data)
        s = li.offset(e.range.start.line, e.range.start.character, encoding)
        t = li.offset(e.range.end.line, e.range.end.character, encoding)
        data = data[:s] + e.new_text.encode("utf-8") + data[t:]
    return data.decode("utf-8")


async def test_suppress_action_silences_and_is_valid(client: LanguageClient, tmp_path: Path):
    src = (FIX / "rules" / "gj201" / "positive.go").read_text(encoding="utf-8")
    path = tmp_path / "s.go"
    path.write_text(src, encoding="utf-8")
    u = await open_doc(client, path, src)
    diags = await diagnostics(client, u, client.pull, predicate=lambda d: len(d) > 0)
    target = [d for d in diags if d.code == "GJ201"][:1]
    actions = await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=u), range=target[0].range, context=lsp.CodeActionContext(diagnostics=target)))
    sup = next(a for a in actions if a.title.startswith("Suppress"))
    edits = sup.edit.changes[u]
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=u, version=2),
        content_changes=[lsp.TextDocumentContentChangePartial(range=e.range, text=e.new_text) for e in edits]))
    after = await diagnostics(client, u, client.pull, predicate=lambda d: len([x for x in d if x.code == "GJ201"]) < len([x for x in diags if x.code == "GJ201"]))
    assert len([d for d in after if d.code == "GJ201"]) == len([d for d in diags if d.code == "GJ201"]) - 1


async def test_unicode_ranges_are_exact_in_each_encoding(client: LanguageClient):
    path = FIX / "cases" / "unicode" / "unicode.go"
    text = path.read_text(encoding="utf-8")
    u = await open_doc(client, path)
    diags = await diagnostics(client, u, client.pull, predicate=lambda d: len(d) >= 2)
    starts = sorted((d.range.start.line, d.range.start.character, d.range.end.character) for d in diags)
    run_string = position_of(text, "vm.RunString(脚本)", client.encoding)
    run_end = position_of(text, "vm.RunString(脚本)", client.encoding, offset_in_needle=len("vm.RunString(脚本)"))
    fn_call = position_of(text, "fn(goja.Undefined())", client.encoding)
    assert (run_string.line, run_string.character, run_end.character) in starts
    assert (fn_call.line, fn_call.character) in {(s[0], s[1]) for s in starts}


async def test_settings_turn_a_rule_off_live(client: LanguageClient):
    path = FIX / "seed" / "poolexecutor" / "executor.go"
    u = await open_doc(client, path)
    before = await diagnostics(client, u, client.pull, predicate=lambda d: len(d) == 2)
    assert {d.code for d in before} == {"GJ203", "GJ204"}
    client.workspace_did_change_configuration(lsp.DidChangeConfigurationParams(
        settings={"gojaguard": {"rules": {"GJ204": "off", "GJ203": "warning"}, "diagnosticsDelay": 0}}))
    after = await diagnostics(client, u, client.pull, predicate=lambda d: len(d) == 1)
    assert [(d.code, d.severity) for d in after] == [("GJ203", lsp.DiagnosticSeverity.Warning)]


async def test_unknown_method_gets_an_error_and_the_session_goes_on(client: LanguageClient):
    with pytest.raises(Exception):
        await client.protocol.send_request_async("gojaguard/noSuchMethod", {})
    path = FIX / "seed" / "sharedruntime" / "shared.go"
    u = await open_doc(client, path)
    assert await diagnostics(client, u, client.pull, predicate=lambda d: len(d) == 1)


async def test_push_or_pull_never_both(client: LanguageClient):
    path = FIX / "seed" / "sharedruntime" / "shared.go"
    u = await open_doc(client, path)
    await diagnostics(client, u, client.pull, predicate=lambda d: len(d) == 1)
    await asyncio.sleep(0.3)
    if client.pull:
        assert u not in client.diagnostics  # nothing pushed to a pull client
    else:
        assert len(client.diagnostics[u]) == 1


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER))
async def vscode_zh(lsp_client: LanguageClient):
    lsp_client.feature(lsp.CLIENT_REGISTER_CAPABILITY)(lambda params: None)
    await lsp_client.initialize_session(init_params("vscode", FIX / "seed", locale="zh-cn"))
    yield
    await lsp_client.shutdown_session()


async def test_workspace_diagnostics_progress_and_chinese_hover(vscode_zh: LanguageClient):
    client = vscode_zh
    # the background index reports progress and then serves workspace diagnostics for unopened files
    for _ in range(200):
        if any(any(isinstance(v, lsp.WorkDoneProgressEnd) for v in reports) for reports in client.progress_reports.values()):
            break
        await asyncio.sleep(0.05)
    kinds = [type(v).__name__ for reports in client.progress_reports.values() for v in reports]
    assert kinds[0] == "WorkDoneProgressBegin" and kinds[-1] == "WorkDoneProgressEnd"
    report = await client.workspace_diagnostic_async(lsp.WorkspaceDiagnosticParams(previous_result_ids=[]))
    by_file = {Path(item.uri).name: {d.code for d in item.items} for item in report.items if item.items}
    assert by_file["executor.go"] == {"GJ203", "GJ204"} and by_file["shared.go"] == {"GJ202"}
    # unchanged results are reported as unchanged
    again = await client.workspace_diagnostic_async(lsp.WorkspaceDiagnosticParams(previous_result_ids=[
        lsp.PreviousResultId(uri=i.uri, value=i.result_id) for i in report.items]))
    assert all(isinstance(i, lsp.WorkspaceUnchangedDocumentDiagnosticReport) for i in again.items)
    # hover in Simplified Chinese, chosen from the client's locale
    path = FIX / "seed" / "abortcontroller" / "abortcontroller.go"
    text = path.read_text(encoding="utf-8")
    u = await open_doc(client, path)
    pos = position_of(text, "listenersMutex sync.Mutex", "utf-16")
    h = await client.text_document_hover_async(lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=u), position=pos))
    assert "防御性" in h.contents.value and "规则说明" not in h.contents.value


async def test_close_and_watched_file_changes(tmp_path: Path):
    """A change on disk to another file of the package refreshes the open file's diagnostics."""
    src_a = 'package p\n\nimport "github.com/dop251/goja"\n\nfunc Use(vm *goja.Runtime) {\n\tstart(vm)\n\tvm.Set("x", 1)\n}\n'
    src_b_sync = 'package p\n\nimport "github.com/dop251/goja"\n\nfunc start(vm *goja.Runtime) {\n\tvm.RunString("1")\n}\n'
    src_b_go = 'package p\n\nimport "github.com/dop251/goja"\n\nfunc start(vm *goja.Runtime) {\n\tgo vm.RunString("1")\n}\n'
    (tmp_path / "a.go").write_text(src_a)
    (tmp_path / "b.go").write_text(src_b_sync)
    config = ClientServerConfig(server_command=SERVER)
    client = await config.start()
    client.feature(lsp.CLIENT_REGISTER_CAPABILITY)(lambda params: None)
    try:
        await client.initialize_session(init_params("neovim-0.7", tmp_path))
        u = await open_doc(client, tmp_path / "a.go")
        assert await diagnostics(client, u, False) == []
        (tmp_path / "b.go").write_text(src_b_go)  # start() now runs vm in a goroutine it never joins
        client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(changes=[
            lsp.FileEvent(uri=uri(tmp_path / "b.go"), type=lsp.FileChangeType.Changed)]))
        diags = await diagnostics(client, u, False, predicate=lambda d: len(d) == 1)
        assert [d.code for d in diags] == ["GJ201"]
        assert diags[0].range.start.line == 5  # start(vm) hands vm to a goroutine, then vm.Set runs
        client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=u)))
        await asyncio.sleep(0.3)
        assert len(client.diagnostics[u]) == 1  # workspace diagnostics stay, from the file on disk
    finally:
        await client.shutdown_session()
        await client.stop()
