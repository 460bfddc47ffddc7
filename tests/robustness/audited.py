"""Run the `gojaguard` command under a Python audit hook (PEP 578) that records, as JSON lines in a
log file, everything the engine must never do with the code it reads:

- start a process (subprocess, os.system, exec*, spawn*, posix_spawn);
- open a network socket, resolve a name, connect or bind (any socket but a local AF_UNIX pair,
  which asyncio uses for its self-pipe);
- compile or exec source that contains the marker planted in the scanned tree, or code whose file
  lies in it; import a module from it;
- write into the scanned tree.

    python audited.py LOG TREE -- check ...     # or: -- serve

Forked workers (check --jobs N) inherit the hook and append to the same log.
"""

from __future__ import annotations

import json
import os
import socket
import sys

FORBIDDEN = {
    "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.startfile", "pty.spawn",
    "socket.connect", "socket.bind", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
    "socket.gethostbyaddr", "socket.sendto", "socket.sendmsg", "urllib.Request", "http.client.connect",
    "ftplib.connect", "smtplib.connect", "webbrowser.open",
}
MARKER = os.environ.get("GOJAGUARD_AUDIT_MARKER", "GOJAGUARD-AUDIT-MARKER")
_WRITE = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def install(log_path: str, tree: str) -> None:
    tree = os.path.realpath(tree)
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    busy = [False]

    def under(path, relative: bool = False) -> bool:
        try:
            p = os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike)) else ""
            if not p or (not relative and not os.path.isabs(p)):  # "<string>", "<cattrs generated ...>": not files
                return False
            p = os.path.realpath(p)
        except Exception:
            return False
        return p == tree or p.startswith(tree + os.sep)

    def record(event: str, detail) -> None:
        os.write(fd, (json.dumps({"pid": os.getpid(), "event": event, "detail": repr(detail)[:300]}) + "\n").encode())

    def hook(event: str, args) -> None:
        if busy[0]:
            return
        busy[0] = True
        try:
            if event in FORBIDDEN:
                record(event, args)
            elif event == "socket.__new__":
                if len(args) > 1 and args[1] not in (socket.AF_UNIX, -1):
                    record(event, args[1:])
            elif event == "compile":
                src = args[0]
                if isinstance(src, (bytes, str)) and (MARKER in (src.decode("utf-8", "replace") if isinstance(src, bytes) else src)):
                    record(event, args[1])
                elif len(args) > 1 and under(args[1]):
                    record(event, args[1])
            elif event == "exec":
                code = args[0]
                if hasattr(code, "co_filename") and under(code.co_filename):
                    record(event, code.co_filename)
            elif event == "import":
                if len(args) > 1 and args[1] and under(args[1]):
                    record(event, args[:2])
            elif event == "open":
                path, mode, flags = (list(args) + [None, None, None])[:3]
                writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (isinstance(flags, int) and flags & _WRITE)
                if writing and under(path, relative=True):
                    record(event, args)
        finally:
            busy[0] = False

    sys.addaudithook(hook)


def main() -> int:
    log_path, tree, sep, *args = sys.argv[1:]
    assert sep == "--", "usage: audited.py LOG TREE -- gojaguard-args..."
    install(log_path, tree)
    from gojaguard.server.cli import main as gojaguard

    code = gojaguard(args)
    for name, module in list(sys.modules.items()):  # nothing imported from the scanned tree
        f = getattr(module, "__file__", None)
        if f and os.path.realpath(f).startswith(os.path.realpath(tree) + os.sep):
            with open(log_path, "a") as fh:
                fh.write(json.dumps({"pid": os.getpid(), "event": "module-from-tree", "detail": f}) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
