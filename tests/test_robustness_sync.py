"""Sync fidelity, property-tested over a real client session (pytest-lsp over stdio) in each client
profile and position encoding: random batches of incremental edits (inserts, deletes, replaces
across lines; CJK, emoji, combining marks, tabs, \\r\\n, lone \\r; characters past the end of a line)
and, after every batch, the server's text equals the client's, its tree equals a fresh parse of
that text, and its diagnostics equal those of a fresh open of that text.

The client's text is kept by tests/robustness/editmodel.py, written from the specification alone.
"""

from __future__ import annotations

import itertools
import os

import pytest
import pytest_lsp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from gojaguard.analyzers.syntax.document import Document, sexp

from fixturelib import FIXTURES
from lspclient import PROFILES, SERVER
from robustness import editmodel as M

EXAMPLES = max(1, int(12 * float(os.environ.get("GOJAGUARD_FUZZ_SCALE", "1"))))  # per client profile
BASES = [
    (FIXTURES / "seed" / "poolexecutor" / "executor.go").read_text(encoding="utf-8"),
    (FIXTURES / "cases" / "unicode" / "unicode.go").read_text(encoding="utf-8"),
    "package demo\r\n\r\nimport \"github.com/dop251/goja\"\r\n\r\n// 运行 🚀 e\u0301\rfunc Run(vm *goja.Runtime) {\n\tv := vm.Get(\"x\")\n"
    "\tgo func() { _ = v.String() }()\r\tvm.Set(\"y\", 1)\n}\n",
    "",
]
_counter = itertools.count()
pytestmark = pytest.mark.asyncio(loop_scope="module")  # one server per profile for the whole module


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER), params=list(PROFILES), scope="module")
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    root = tmp_path_factory.mktemp("sync")
    lsp_client.profile = request.param
    lsp_client.pull = PROFILES[request.param]["pull"]
    lsp_client.encoding = PROFILES[request.param]["encoding"]
    lsp_client.root = root
    lsp_client.feature(lsp.CLIENT_REGISTER_CAPABILITY)(lambda params: None)
    await lsp_client.initialize_session(lsp.InitializeParams(
        capabilities=PROFILES[request.param]["caps"], root_uri=root.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="sync")],
        initialization_options={"diagnosticsDelay": 0}))
    yield
    await lsp_client.shutdown_session()


async def server_view(client: LanguageClient, uri: str, tree: bool = True):
    """The server's text, tree and version of a document (gojaguard/debugDocument). Being a request,
    it is also a barrier: pushed diagnostics of the notifications before it have arrived."""
    return await client.protocol.send_request_async("gojaguard/debugDocument", {"uri": uri, "tree": tree})


async def current_diagnostics(client: LanguageClient, uri: str) -> list[lsp.Diagnostic]:
    if client.pull:
        report = await client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri)))
        return list(report.items)
    await server_view(client, uri, tree=False)
    return list(client.diagnostics.get(uri, []))


def normalised(diags: list[lsp.Diagnostic], uri: str) -> list:
    def rng(r):
        return (r.start.line, r.start.character, r.end.line, r.end.character)

    return sorted(
        (rng(d.range), d.code, d.severity, d.message, tuple(d.tags or ()),
         tuple((r.location.uri == uri, rng(r.location.range), r.message) for r in d.related_information or ()))
        for d in diags
    )


def open_doc(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id="go", version=version, text=text)))


async def check_in_sync(client: LanguageClient, uri: str, text: str, version: int) -> None:
    view = await server_view(client, uri)
    assert view is not None
    assert view.text == text
    assert view.version == version
    assert view.sexp == sexp(Document(text).tree.root_node), "the server's tree is not a fresh parse of its text"
    mine = normalised(await current_diagnostics(client, uri), uri)
    # a fresh open of the same text, in a directory of its own (the same package context)
    n = next(_counter)
    fresh = (client.root / f"fresh{n}" / "x.go").as_uri()
    open_doc(client, fresh, text)
    theirs = normalised(await current_diagnostics(client, fresh), fresh)
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=fresh)))
    assert mine == theirs, "diagnostics after the edits differ from a fresh open of the same text"


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(base=st.sampled_from(BASES), batches=M.batches, full=st.lists(st.booleans(), min_size=8, max_size=8))
async def test_edits_keep_text_tree_and_diagnostics_in_sync(client: LanguageClient, base, batches, full):
    enc = client.encoding
    n = next(_counter)
    uri = (client.root / f"doc{n}" / "x.go").as_uri()
    text = base
    version = 1
    open_doc(client, uri, text, version)
    await check_in_sync(client, uri, text, version)
    for i, batch in enumerate(batches):
        changes = []
        for e in batch:
            start, end, new = M.concrete(text, e, enc)
            changes.append(lsp.TextDocumentContentChangePartial(
                range=lsp.Range(start=lsp.Position(*start), end=lsp.Position(*end)), text=new))
            text = M.apply(text, start, end, new, enc)
        if full[i] and i % 3 == 2:  # now and then a client sends the whole text instead
            changes = [lsp.TextDocumentContentChangeWholeDocument(text=text)]
        version += 1
        client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=changes))
        await check_in_sync(client, uri, text, version)
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri)))


async def test_a_character_past_the_end_of_a_line_means_the_end_of_the_line(client: LanguageClient):
    """Found by the property test: pygls clamped such a character, in place, to one before the end."""
    uri = (client.root / f"past{next(_counter)}" / "x.go").as_uri()
    text = "package p\n\nvar s = \"🚀\"\r\nvar t = 1\rvar u = 2"
    open_doc(client, uri, text)
    version = 1
    for line in range(5):
        for extra in (0, 1, 5, 10**6):
            start, end = M.lines(text)[line]
            pos = lsp.Position(line=line, character=M.units(text[start:end], client.encoding) + extra)
            version += 1
            client.text_document_did_change(lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[lsp.TextDocumentContentChangePartial(range=lsp.Range(start=pos, end=pos), text="x")]))
            text = M.apply(text, (pos.line, pos.character), (pos.line, pos.character), "x", client.encoding)
    await check_in_sync(client, uri, text, version)
    assert text.endswith("var u = 2xxxx") and "var t = 1xxxx\r" in text and "\"🚀\"xxxx\r\n" in text
