"""The `gojaguard` command: check's formats and exit codes, config errors, rules, explain, docs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gojaguard.analyzers.rules import MODULES, RULES
from gojaguard.server.cli import main
from gojaguard.server.docs import rules_markdown

ROOT = Path(__file__).parent.parent
FIX = ROOT / "tests" / "fixtures"


def run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_text_format_and_exit_code(capsys):
    code, out, _ = run(["check", str(FIX / "seed" / "poolexecutor"), "--no-related"], capsys)
    assert code == 1
    lines = out.strip().splitlines()
    assert any(":" in l and " error GJ203 " in l for l in lines)
    assert any(" warning GJ204 " in l for l in lines)
    assert "in 1 file of 1 package" in lines[-1]


def test_clean_package_exits_zero(capsys):
    code, out, _ = run(["check", str(FIX / "seed" / "practices")], capsys)
    assert code == 0
    assert out.strip().startswith("no findings")


def test_fail_on(capsys):
    path = str(FIX / "seed" / "abortcontroller")  # one information finding (GJ301)
    assert run(["check", path], capsys)[0] == 0
    assert run(["check", path, "--fail-on", "information"], capsys)[0] == 1
    assert run(["check", str(FIX / "seed" / "poolexecutor"), "--fail-on", "never"], capsys)[0] == 0


def test_json_format(capsys):
    code, out, _ = run(["check", str(FIX / "seed" / "aborttimer"), "--format", "json"], capsys)
    doc = json.loads(out)
    assert doc["version"] == 1
    (f,) = doc["findings"]
    assert set(f) >= {"path", "line", "column", "end_line", "end_column", "rule", "name", "severity", "message", "related"}
    assert f["rule"] == "GJ302" and f["name"] == "mutex-insufficient" and f["line"] == 35
    assert all(set(r) == {"path", "line", "column", "message"} for r in f["related"])


def test_sarif_format(capsys):
    code, out, _ = run(["check", str(FIX / "seed" / "poolexecutor"), "--format", "sarif"], capsys)
    doc = json.loads(out)
    assert doc["version"] == "2.1.0" and "$schema" in doc
    run0 = doc["runs"][0]
    rule_ids = [r["id"] for r in run0["tool"]["driver"]["rules"]]
    assert set(rule_ids) == set(RULES)
    for r in run0["tool"]["driver"]["rules"]:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"] and r["help"]["text"]
    results = run0["results"]
    assert {r["ruleId"] for r in results} == {"GJ203", "GJ204"}
    for r in results:
        assert "primaryLocationLineHash" in r["partialFingerprints"]
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/") and uri.endswith("executor.go")
        assert rule_ids[r["ruleIndex"]] == r["ruleId"]


def test_github_format(capsys):
    code, out, _ = run(["check", str(FIX / "seed" / "sharedruntime"), "--format", "github"], capsys)
    assert out.startswith("::error file=") and "title=GJ202 shared-global-runtime::" in out


def test_bad_config_names_key_and_line(tmp_path, capsys):
    (tmp_path / ".gojaguard.toml").write_text('engine-paths = ["x"]\n\n[rules]\nGJ999 = "off"\n')
    (tmp_path / "a.go").write_text("package a\n")
    code, _, err = run(["check", str(tmp_path)], capsys)
    assert code == 2
    assert "GJ999" in err and ".gojaguard.toml:4" in err


def test_bad_config_value(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[rules]\nGJ301 = "loud"\n')
    code, _, err = run(["check", "--config", str(cfg), str(FIX / "seed" / "practices")], capsys)
    assert code == 2 and "GJ301" in err and ":2:" in err


def test_unknown_config_key(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('engine_paths = []\n')
    code, _, err = run(["check", "--config", str(cfg), "."], capsys)
    assert code == 2 and "engine_paths" in err and ":1:" in err


def test_config_turns_rule_off_and_changes_severity(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[rules]\nGJ203 = "off"\nGJ204 = "error"\n')
    code, out, _ = run(["check", "--config", str(cfg), "--format", "json", str(FIX / "seed" / "poolexecutor")], capsys)
    found = {(f["rule"], f["severity"]) for f in json.loads(out)["findings"]}
    assert found == {("GJ204", "error")}


def test_bad_flag_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["check", "--format", "xml"])
    assert exc.value.code == 2


def test_missing_path_exits_2(capsys):
    code, _, err = run(["check", "/no/such/dir"], capsys)
    assert code == 2 and "no such file" in err


def test_select(capsys):
    code, out, _ = run(["check", str(FIX / "seed" / "poolexecutor"), "--select", "GJ204", "--format", "json"], capsys)
    assert {f["rule"] for f in json.loads(out)["findings"]} == {"GJ204"}


def test_rules_lists_catalogue(capsys):
    code, out, _ = run(["rules"], capsys)
    assert code == 0
    for rid in RULES:
        assert rid in out


@pytest.mark.parametrize("rid", list(RULES))
def test_explain_has_all_sections_in_both_languages(rid, capsys):
    code, out, _ = run(["explain", rid], capsys)
    assert code == 0
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
        assert heading in out
    code, out, _ = run(["explain", rid, "--lang", "zh"], capsys)
    for heading in ("## 规则说明", "## 为什么有问题", "## 示例", "## 推荐写法"):
        assert heading in out


def test_explain_by_name_and_unknown(capsys):
    assert run(["explain", "runtime-returned-while-running"], capsys)[0] == 0
    assert run(["explain", "GJ999"], capsys)[0] == 2


def test_docs_are_in_sync():
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == rules_markdown(), \
        "docs/rules.md is stale: run `gojaguard rules --format markdown > docs/rules.md`"


def test_readme_lists_every_rule():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for m in MODULES:
        assert f"| {m.RULE.id} | {m.RULE.name} | {m.RULE.severity} |" in readme


def test_console_script_and_module_entry():
    out = subprocess.run([sys.executable, "-m", "gojaguard", "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("serve", "check", "rules", "explain"):
        assert command in out


def test_parallel_and_serial_agree(capsys):
    code, out1, _ = run(["check", str(FIX), "--format", "json", "--jobs", "1"], capsys)
    code, out2, _ = run(["check", str(FIX), "--format", "json", "--jobs", "2"], capsys)
    a, b = json.loads(out1), json.loads(out2)
    assert a["findings"] == b["findings"] and len(a["findings"]) > 40


def test_skips_packages_without_engine_and_go_tool_dirs(tmp_path, capsys):
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "p.go").write_text("package plain\nfunc F() {}\n")
    for skipped in ("vendor", "testdata", ".hidden", "_build"):
        (tmp_path / skipped).mkdir()
        (tmp_path / skipped / "x.go").write_text(
            'package x\nimport "github.com/dop251/goja"\nvar vm = goja.New()\nfunc F() { go vm.RunString("1"); go vm.RunString("2") }\n')
    code, out, _ = run(["check", str(tmp_path), "--format", "json"], capsys)
    doc = json.loads(out)
    assert doc["findings"] == []
    assert doc["stats"]["files_scanned"] == 1 and doc["stats"]["packages_skipped"] == 1


def test_syntax_errors_are_reported_not_fatal(tmp_path, capsys):
    (tmp_path / "a.go").write_text(
        'package a\nimport "github.com/dop251/goja"\nfunc broken( {\n'
        'func Ok(vm *goja.Runtime) { go func() { vm.RunString("x") }(); vm.Set("y", 1) }\n')
    code, out, _ = run(["check", str(tmp_path)], capsys)
    assert "syntax error" in out
    assert code in (0, 1)
