"""A bare JSON-RPC client over the server's stdio: raw bytes in, parsed messages out, so that tests
can send what no well-behaved client library would (malformed JSON, broken headers, storms)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

SERVER = [sys.executable, "-m", "gojaguard", "serve"]


class RawServer:
    def __init__(self, cmd: list[str] | None = None, env: dict | None = None, cwd: str | None = None):
        self.proc = subprocess.Popen(cmd or SERVER, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, cwd=cwd)
        self.messages: "queue.Queue[dict]" = queue.Queue()
        self.stderr: list[bytes] = []
        self.seen: list[dict] = []
        self._lock = threading.Lock()
        self._next = 1000
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    # -- writing --------------------------------------------------------------------------------------
    def raw(self, data: bytes) -> None:
        with self._lock:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()

    def frame(self, body: bytes, length: int | None = None) -> None:
        self.raw(b"Content-Length: %d\r\n\r\n" % (len(body) if length is None else length) + body)

    def send(self, message: dict) -> None:
        self.frame(json.dumps(message).encode())

    def request(self, method: str, params=None) -> int:
        self._next += 1
        msg = {"jsonrpc": "2.0", "id": self._next, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return self._next

    def notify(self, method: str, params=None) -> None:
        msg = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)

    # -- reading --------------------------------------------------------------------------------------
    def _read(self) -> None:
        out = self.proc.stdout
        while True:
            headers = {}
            while True:
                line = out.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                k, _, v = line.decode("ascii", "replace").partition(":")
                headers[k.strip().lower()] = v.strip()
            body = out.read(int(headers.get("content-length", "0")))
            try:
                msg = json.loads(body)
            except ValueError:
                msg = {"unparsable": body.decode("utf-8", "replace")}
            if isinstance(msg, dict) and "method" in msg and "id" in msg:  # the server asks: say yes
                try:
                    self.send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
                except OSError:
                    pass
            self.messages.put(msg)

    def _drain_stderr(self) -> None:
        for line in self.proc.stderr:
            self.stderr.append(line)

    def wait_for(self, predicate, timeout: float = 20.0) -> dict:
        """The next message matching ``predicate`` (others are kept aside in ``self.seen``)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no matching message within {timeout}s; stderr tail: {b''.join(self.stderr[-20:])!r}")
            try:
                msg = self.messages.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(msg)
            if predicate(msg):
                return msg

    def response(self, id_, timeout: float = 20.0) -> dict:
        return self.wait_for(lambda m: m.get("id") == id_ and ("result" in m or "error" in m), timeout)

    def call(self, method: str, params=None, timeout: float = 20.0) -> dict:
        return self.response(self.request(method, params), timeout)

    # -- lifecycle --------------------------------------------------------------------------------------
    def initialize(self, root: Path | None = None, capabilities: dict | None = None, options: dict | None = None) -> dict:
        params = {"processId": os.getpid(), "rootUri": root.resolve().as_uri() if root else None,
                  "capabilities": capabilities or {"window": {"workDoneProgress": True}},
                  "initializationOptions": {"diagnosticsDelay": 0, **(options or {})}}
        if root:
            params["workspaceFolders"] = [{"uri": root.resolve().as_uri(), "name": root.name}]
        result = self.call("initialize", params)
        self.notify("initialized", {})
        return result

    def alive(self) -> bool:
        return self.proc.poll() is None

    def shutdown_and_exit(self, timeout: float = 20.0) -> int:
        self.call("shutdown", None, timeout)
        self.notify("exit")
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
