"""Printing a check report: text, json, sarif (2.1.0, as GitHub code scanning takes it), github."""

from __future__ import annotations

import hashlib
import json
import os

from .. import __version__
from ..analyzers.rules import RULES
from .check import Report, item_dict

SARIF_LEVEL = {"error": "error", "warning": "warning", "information": "note", "hint": "note"}


def _rel(path: str, root: str) -> str:
    try:
        rel = os.path.relpath(path, root)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def text(report: Report, root: str, summary: bool = True, related: bool = True) -> str:
    lines = []
    for i in report.items:
        lines.append(f"{_rel(i.path, root)}:{i.line}:{i.column}: {i.severity} {i.rule} {i.message}")
        if related:
            for r in i.related:
                lines.append(f"    {_rel(r['path'], root)}:{r['line']}:{r['column']}: {r['message']}")
    for e in report.syntax_errors:
        lines.append(f"{_rel(e.path, root)}:{e.line}:{e.column}: syntax error: declarations with errors were skipped")
    for p in report.problems:
        lines.append(f"gojaguard: {p}")
    if summary:
        counts = {}
        for i in report.items:
            counts[i.severity] = counts.get(i.severity, 0) + 1
        parts = [f"{n} {sev}{'s' if n != 1 and sev != 'information' else ''}" for sev, n in sorted(counts.items(), key=lambda kv: ["error", "warning", "information", "hint"].index(kv[0]))]
        found = ", ".join(parts) if parts else "no findings"
        lines.append(
            f"{found} in {report.files_analysed} file{'s' if report.files_analysed != 1 else ''} of "
            f"{report.packages_analysed} package{'s' if report.packages_analysed != 1 else ''} using goja "
            f"({report.files_seen} .go files scanned, {report.seconds:.2f}s)"
        )
    return "\n".join(lines) + ("\n" if lines else "")


def as_json(report: Report, root: str) -> str:
    findings = []
    for i in report.items:
        d = item_dict(i)
        d["path"] = _rel(i.path, root)
        for r in d["related"]:
            r["path"] = _rel(r["path"], root)
        findings.append(d)
    out = {
        "version": 1,
        "findings": findings,
        "syntax_errors": [{"path": _rel(e.path, root), "line": e.line, "column": e.column} for e in report.syntax_errors],
        "problems": report.problems,
        "stats": {"files_scanned": report.files_seen, "files_analysed": report.files_analysed,
                  "packages_analysed": report.packages_analysed, "packages_skipped": report.packages_skipped,
                  "seconds": round(report.seconds, 3)},
    }
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


def sarif(report: Report, root: str) -> str:
    rule_ids = sorted(RULES)
    rules = []
    for rid in rule_ids:
        r = RULES[rid]
        rules.append({
            "id": r.id,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.summary},
            "help": {"text": r.doc, "markdown": r.doc},
            "helpUri": r.url,
            "defaultConfiguration": {"level": SARIF_LEVEL[r.severity]},
            "properties": {"tags": ["concurrency", "goja", r.family], "precision": "high"},
        })
    results = []
    for i in report.items:
        uri = _rel(i.path, root).replace(os.sep, "/")
        fingerprint = hashlib.sha256(f"{i.rule}:{uri}:{i.message}".encode()).hexdigest()[:32]
        res = {
            "ruleId": i.rule,
            "ruleIndex": rule_ids.index(i.rule),
            "level": SARIF_LEVEL.get(i.severity, "note"),
            "message": {"text": i.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": i.line, "startColumn": i.column, "endLine": i.end_line, "endColumn": i.end_column},
                }
            }],
            "partialFingerprints": {"primaryLocationLineHash": fingerprint},
        }
        if i.related:
            res["relatedLocations"] = [{
                "id": n,
                "physicalLocation": {
                    "artifactLocation": {"uri": _rel(r["path"], root).replace(os.sep, "/"), "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": r["line"], "startColumn": r["column"]},
                },
                "message": {"text": r["message"]},
            } for n, r in enumerate(i.related)]
        results.append(res)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "gojaguard", "version": __version__, "informationUri": "https://github.com/gojaguard/gojaguard", "rules": rules}},
            "columnKind": "unicodeCodePoints",
            "originalUriBaseIds": {"%SRCROOT%": {"uri": _file_uri(root)}},
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _file_uri(root: str) -> str:
    path = os.path.abspath(root).replace(os.sep, "/")
    return "file://" + (path if path.startswith("/") else "/" + path) + "/"


def _gh_escape(s: str, prop: bool = False) -> str:
    s = s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        s = s.replace(":", "%3A").replace(",", "%2C")
    return s


def github(report: Report, root: str) -> str:
    level = {"error": "error", "warning": "warning", "information": "notice", "hint": "notice"}
    lines = []
    for i in report.items:
        title = _gh_escape(f"{i.rule} {i.name}", prop=True)
        lines.append(
            f"::{level.get(i.severity, 'notice')} file={_gh_escape(_rel(i.path, root), True)},line={i.line},col={i.column},"
            f"endLine={i.end_line},endColumn={i.end_column},title={title}::{_gh_escape(i.message)}"
        )
    return "\n".join(lines) + ("\n" if lines else "")


FORMATTERS = {"text": text, "json": as_json, "sarif": sarif, "github": github}
