"""Hostile Go sources, shared by the robustness tests and the campaign script.

Every generator returns bytes that start with a package clause and a goja import (when the input
has any structure at all), so the engine does not skip the file as "no engine import" but has to
read, index and analyse it.
"""

from __future__ import annotations

import random

HEADER = b'package hostile\n\nimport "github.com/dop251/goja"\n\n'

FUNC = (
    b"func F%d(vm *goja.Runtime) {\n"
    b"\tv := vm.Get(\"x\")\n"
    b"\tgo func() { _ = v.String() }()\n"
    b"\tvm.Set(\"y\", 1)\n"
    b"}\n\n"
)


def big_file(size: int = 10 * 1024 * 1024) -> bytes:
    """A valid Go file of about ``size`` bytes: many small functions, each with a finding."""
    out = [HEADER]
    n = len(HEADER)
    i = 0
    while n < size:
        chunk = FUNC % i
        out.append(chunk)
        n += len(chunk)
        i += 1
    return b"".join(out)


def many_lines(lines: int = 100_000) -> bytes:
    """One function of ``lines`` statements (a single huge declaration)."""
    body = b"".join(b"\tvm.Set(\"k%d\", %d)\n" % (i, i) for i in range(lines))
    return HEADER + b"func Long(vm *goja.Runtime) {\n" + body + b"}\n"


def many_line_decls(lines: int = 100_000) -> bytes:
    """``lines`` lines of small declarations and comments."""
    out = [HEADER]
    for i in range(lines // 2):
        out.append(b"// c%d\nvar v%d = %d\n" % (i, i, i))
    return b"".join(out)


def deep_blocks(depth: int = 50_000) -> bytes:
    return HEADER + b"func Deep(vm *goja.Runtime) {\n" + b"{" * depth + b"vm.Set(\"x\", 1)" + b"}" * depth + b"\n}\n"


def deep_parens(depth: int = 50_000) -> bytes:
    return HEADER + b"func Deep(vm *goja.Runtime) {\n\t_ = " + b"(" * depth + b"vm" + b")" * depth + b"\n}\n"


def deep_calls(depth: int = 50_000) -> bytes:
    return HEADER + b"func Deep(vm *goja.Runtime) {\n\t_ = " + b"f(" * depth + b"vm" + b")" * depth + b"\n}\n"


def deep_binary(length: int = 50_000) -> bytes:
    """A left-leaning chain of ``length`` binary expressions (as deep as it is long)."""
    return HEADER + b"func Deep(vm *goja.Runtime) int {\n\treturn " + b"1+" * length + b"1\n}\n"


def deep_func_literals(depth: int = 50_000) -> bytes:
    return (HEADER + b"func Deep(vm *goja.Runtime) {\n" + b"go func() {" * depth + b"vm.Set(\"x\", 1)" + b"}()" * depth
            + b"\n}\n")


def deep_ifs(depth: int = 50_000) -> bytes:
    return HEADER + b"func Deep(vm *goja.Runtime, c bool) {\n" + b"if c {" * depth + b"go vm.RunString(\"1\")" + b"}" * depth + b"\n}\n"


def sequential_branches(n: int = 2_000) -> bytes:
    """Many ifs in a row (2**n paths if a walker enumerated them)."""
    body = b"".join(b"\tif c%d { go vm.RunString(\"%d\") } else { vm.Set(\"k\", %d) }\n" % (i % 7, i, i) for i in range(n))
    return HEADER + b"func Branches(vm *goja.Runtime, c0, c1, c2, c3, c4, c5, c6 bool) {\n" + body + b"}\n"


def million_braces(n: int = 1_000_000) -> bytes:
    return HEADER + b"{" * n


def unterminated() -> list[bytes]:
    fn = b"func F(vm *goja.Runtime) {\n\tvm.Set(\"x\", 1)\n"
    return [
        HEADER + fn + b"\ts := \"never closed\n\tgo vm.RunString(s)\n}\n",
        HEADER + fn + b"\ts := `raw never closed\n\tgo vm.RunString(s)\n}\n",
        HEADER + fn + b"\t/* comment never closed\n\tgo vm.RunString(\"1\")\n}\n",
        HEADER + fn + b"\tr := '\n}\n",
        HEADER + b"/*" + b"x" * 100_000,
        HEADER + b"var s = \"" + b"\\" * 100_001,
    ]


def invalid_utf8() -> list[bytes]:
    fn = b"func F(vm *goja.Runtime) {\n\tv := vm.Get(\"\xff\xfe\")\n\tgo func() { _ = v.String() }()\n\tvm.Set(\"\xc3\", 1)\n}\n"
    return [
        HEADER + fn,
        HEADER + b"// \xed\xa0\x80 lone surrogate, \xc0\x80 overlong, \xf8\x88\x80\x80\x80 five bytes\n" + fn,
        HEADER + b"func \xff\xfe(vm *goja.Runtime) {\n\tgo vm.RunString(\"1\")\n}\n",
        b"\xef\xbb\xbf" + HEADER + fn,  # a BOM
        b"\xff\xfe" + "package x".encode("utf-16-le"),  # UTF-16 text
    ]


def nul_bytes() -> list[bytes]:
    return [
        HEADER + b"func F(vm *goja.Runtime) {\n\tgo vm.RunString(\"a\x00b\")\x00\n}\n",
        HEADER + b"\x00" * 100_000,
        b"\x00package x\n",
    ]


def random_bytes(seed: int, size: int = 4096) -> bytes:
    rng = random.Random(seed)
    return HEADER + bytes(rng.randrange(256) for _ in range(size))


def random_tokens(seed: int, count: int = 2000) -> bytes:
    """Go-ish token soup: keywords, braces, goja calls, strings, comments, odd characters."""
    rng = random.Random(seed)
    toks = [b"func", b"go", b"defer", b"select", b"case", b"chan", b"<-", b"{", b"}", b"(", b")", b"[", b"]",
            b"vm", b"v", b"pool", b"mu.Lock()", b"mu.Unlock()", b"vm.RunString(\"1\")", b"vm.Get(\"x\")", b":=", b"=",
            b",", b";", b"\n", b"\t", b"\"", b"`", b"/*", b"*/", b"//", b"goja.New()", b"*goja.Runtime", b"goja.Value",
            b"return", b"if", b"for", b"range", b"switch", b"type", b"struct", b"interface", b"var", b"import",
            "中文".encode(), "🚀".encode(), b"\r", b"\r\n", b"\xff", b"\x00", b"sync.WaitGroup", b"wg.Wait()"]
    return HEADER + b" ".join(rng.choice(toks) for _ in range(count))


def long_line(size: int = 2 * 1024 * 1024) -> bytes:
    return HEADER + b"var s = \"" + b"x" * size + b"\"; func F(vm *goja.Runtime) { go vm.RunString(s) }"


def carriage_returns() -> list[bytes]:
    fn = b"func F(vm *goja.Runtime) {\r\tv := vm.Get(\"x\")\r\tgo func() { _ = v.String() }()\r\tvm.Set(\"y\", 1)\r}\r"
    return [HEADER.replace(b"\n", b"\r") + fn, HEADER.replace(b"\n", b"\r\n") + fn.replace(b"\r", b"\r\n"),
            HEADER + b"\r" * 100_000]


def not_go() -> list[bytes]:
    return [
        b"#!/bin/sh\nrm -rf / # not Go at all\n",
        b"<?xml version=\"1.0\"?><a><b/></a>\n",
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16,
        b'{"json": [1, 2, 3]}\n',
        HEADER + b"print('python pretending')\nimport os\nos.system('echo pwned')\n",
    ]


def catalogue(scale: float = 1.0) -> dict[str, bytes]:
    """Every hostile input by name. ``scale`` < 1 shrinks the big ones (for the fast suite)."""
    s = lambda n: max(1, int(n * scale))  # noqa: E731
    out = {
        "10MB-file": big_file(s(10 * 1024 * 1024)),
        "100k-line-function": many_lines(s(100_000)),
        "100k-lines-of-decls": many_line_decls(s(100_000)),
        "deep-blocks-50k": deep_blocks(s(50_000)),
        "deep-parens-50k": deep_parens(s(50_000)),
        "deep-calls-50k": deep_calls(s(50_000)),
        "deep-binary-50k": deep_binary(s(50_000)),
        "deep-func-literals-50k": deep_func_literals(s(50_000)),
        "deep-ifs-50k": deep_ifs(s(50_000)),
        "sequential-branches": sequential_branches(s(2_000)),
        "million-braces": million_braces(s(1_000_000)),
        "long-line": long_line(s(2 * 1024 * 1024)),
        "empty": b"",
    }
    for name, group in (("unterminated", unterminated()), ("invalid-utf8", invalid_utf8()), ("nul", nul_bytes()),
                        ("cr", carriage_returns()), ("not-go", not_go())):
        for i, src in enumerate(group):
            out[f"{name}-{i}"] = src
    for i in range(4):
        out[f"random-bytes-{i}"] = random_bytes(i)
        out[f"random-tokens-{i}"] = random_tokens(i)
    return out
