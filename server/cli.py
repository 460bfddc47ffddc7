"""The `gojaguard` command: serve (LSP over stdio), check, rules, explain."""

from __future__ import annotations

import argparse
import os
import sys

from .. import __version__
from ..analyzers import config as C
from ..analyzers.rules import MODULES, RULES, lookup
from ..analyzers.rules.base import SEVERITIES

DESCRIPTION = """\
gojaguard finds goroutine misuse of the goja / sobek JavaScript engines in Go code: runtimes and
Values used off their owner goroutine, Values crossing runtimes, pooled runtimes returned while
still running, mutexes that guard nothing or not enough, event-loop misuse.
"""

EPILOG = """\
commands:
  serve            run the language server over stdio (VS Code, Neovim, any LSP client)
  check [PATH...]  report findings for the Go packages under PATH (default .)
  rules            list the rules
  explain ID       print a rule's explanation (ID or name, e.g. GJ203)

configuration: the nearest .gojaguard.toml above the first PATH (see README).
exit status of check: 0 = nothing at or above --fail-on, 1 = findings, 2 = usage or config error.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # exit 2 with a clear line, as for config errors
        self.print_usage(sys.stderr)
        print(f"gojaguard: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="gojaguard", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"gojaguard {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    serve = sub.add_parser("serve", help="run the language server (LSP) over stdio",
                           description="Run the gojaguard language server. Speaks LSP over stdio unless --tcp is given.")
    serve.add_argument("--stdio", action="store_true", help="use stdio (the default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio (for debugging)")
    serve.add_argument("--log-file", metavar="FILE", help="write the server log to FILE")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"], help="log verbosity (default info)")

    check = sub.add_parser("check", help="check Go packages and print findings",
                           description="Check the Go packages under each PATH (files or directories; default .).")
    check.add_argument("paths", nargs="*", metavar="PATH", default=["."])
    check.add_argument("--format", default="text", choices=["text", "json", "sarif", "github"], help="output format (default text)")
    check.add_argument("--fail-on", default="warning", choices=list(SEVERITIES) + ["never"],
                       help="exit 1 when a finding at or above this severity is reported (default warning)")
    check.add_argument("--jobs", "-j", type=int, default=0, metavar="N", help="worker processes (default: all cores)")
    check.add_argument("--config", metavar="FILE", help="use this config file instead of the nearest .gojaguard.toml")
    check.add_argument("--no-config", action="store_true", help="ignore .gojaguard.toml files")
    check.add_argument("--select", metavar="IDS", help="report only these rules (comma-separated IDs)")
    check.add_argument("--follow-links", action="store_true", help="follow directory symlinks")
    check.add_argument("--file-time-budget", type=float, metavar="SECONDS",
                       help="analysis time per file before it is reported as skipped (default: the config's "
                            "file-time-budget, else 10; 0 = no limit)")
    check.add_argument("--no-related", action="store_true", help="text format: omit the related locations")
    check.add_argument("--quiet", "-q", action="store_true", help="text format: omit the summary line")
    check.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")

    rules = sub.add_parser("rules", help="list the rules", description="List gojaguard's rules.")
    rules.add_argument("--format", default="text", choices=["text", "markdown", "json"], help="text (default), markdown (the docs page) or json")

    explain = sub.add_parser("explain", help="print a rule's explanation", description="Print the explanation of a rule.")
    explain.add_argument("rule", metavar="ID", help="a rule ID (GJ203) or name (runtime-returned-while-running)")
    explain.add_argument("--lang", default="en", choices=["en", "zh"], help="language of the explanation")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.command == "serve":
            return cmd_serve(args)
        if args.command == "check":
            return cmd_check(args)
        if args.command == "rules":
            return cmd_rules(args)
        if args.command == "explain":
            return cmd_explain(args)
    except C.ConfigError as exc:
        print(f"gojaguard: config error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    return 2


def cmd_serve(args) -> int:
    from .lsp.server import run

    return run(tcp=args.tcp, log_file=args.log_file, log_level=args.log_level)


def load_config(args) -> C.Config | None:
    """The explicit configuration, or None: each package then uses its nearest .gojaguard.toml."""
    if args.no_config:
        return C.Config()
    if args.config:
        return C.load(args.config)
    return None


def cmd_check(args) -> int:
    from ..analyzers.engine import at_or_above
    from .check import check_paths
    from .formats import FORMATTERS

    config = load_config(args)
    if args.select and config is None:
        config = C.discover(args.paths[0] if args.paths else ".")
    if args.select:
        wanted = set()
        for part in args.select.split(","):
            rule = lookup(part)
            if rule is None:
                print(f"gojaguard: error: --select: unknown rule {part.strip()!r}", file=sys.stderr)
                return 2
            wanted.add(rule.id)
        for rid in RULES:
            if rid not in wanted:
                config.rules[rid] = "off"
    if args.jobs < 0:
        print("gojaguard: error: --jobs must be 0 (all cores) or more", file=sys.stderr)
        return 2
    # go-tool patterns: `./...` and `dir/...` mean the directory tree
    args.paths = [p[:-4] or "." if p.endswith("/...") else ("." if p == "..." else p) for p in args.paths]
    for p in args.paths:
        if not os.path.exists(p):
            print(f"gojaguard: error: {p}: no such file or directory", file=sys.stderr)
            return 2
    if args.file_time_budget is not None:
        try:
            C.time_budget(args.file_time_budget, key="--file-time-budget")
        except C.ConfigError as exc:
            print(f"gojaguard: error: {exc}", file=sys.stderr)
            return 2
    report = check_paths(args.paths, config, jobs=args.jobs, follow_links=args.follow_links,
                         file_time_budget=args.file_time_budget)
    root = os.getcwd()
    fmt = FORMATTERS[args.format]
    if args.format == "text":
        out = fmt(report, root, summary=not args.quiet, related=not args.no_related)
    else:
        out = fmt(report, root)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(out)
    else:
        sys.stdout.write(out)
        sys.stdout.flush()
    if args.fail_on == "never":
        return 0
    return 1 if any(at_or_above(i.severity, args.fail_on) for i in report.items) else 0


def cmd_rules(args) -> int:
    from .docs import rules_json, rules_markdown

    if args.format == "markdown":
        sys.stdout.write(rules_markdown())
    elif args.format == "json":
        sys.stdout.write(rules_json())
    else:
        for m in MODULES:
            r = m.RULE
            print(f"{r.id}  {r.name:<34} {r.severity:<12} {r.summary}")
        r = RULES["GJ900"]
        print(f"{r.id}  {r.name:<34} {r.severity:<12} {r.summary}")
    return 0


def cmd_explain(args) -> int:
    rule = lookup(args.rule)
    if rule is None:
        print(f"gojaguard: error: unknown rule {args.rule!r}; `gojaguard rules` lists them", file=sys.stderr)
        return 2
    doc = rule.doc_zh if args.lang == "zh" else rule.doc
    print(f"# {rule.id} {rule.name} ({rule.severity}, {rule.family})\n")
    print(rule.summary + "\n")
    print(doc.rstrip())
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
