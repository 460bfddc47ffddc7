"""Time budgets: stop analysing a file (or running a rule) once it has taken too long.

The engine checks the clock between declarations (cooperative, exact). A single declaration can
still be slow on its own (a function of 100,000 statements, thousands of goroutines in a row), so
``call(fn, seconds)`` also arms a watchdog thread that raises ``BudgetExceeded`` asynchronously in
the analysing thread once the deadline passes (CPython's ``PyThreadState_SetAsyncExc``, the same
mechanism as ``KeyboardInterrupt``; the exception is delivered between two bytecodes, never inside
tree-sitter's C code). ``BudgetExceeded`` is a ``BaseException``, so the analysis' own
``except Exception`` handlers cannot swallow it; only the engine catches it.

Disarming clears an exception the watchdog posted but the thread has not yet seen, so nothing is
ever raised outside the guarded call. Until then the watchdog posts again every ``REFIRE``
seconds: an exception delivered while the thread runs a finalizer (a ``__del__``, a weakref or
generator cleanup during garbage collection) is swallowed by Python as "unraisable" — once only
would then let the slow call run to its end (found by the robustness tests, after earlier tests
had left garbage to collect).
"""

from __future__ import annotations

import os
import threading
import time

try:  # CPython only; elsewhere the budget is checked between declarations only
    import ctypes

    _SetAsyncExc = ctypes.pythonapi.PyThreadState_SetAsyncExc
except (ImportError, AttributeError):  # pragma: no cover
    _SetAsyncExc = None


def _post(tid: int) -> None:
    _SetAsyncExc(ctypes.c_ulong(tid), ctypes.py_object(BudgetExceeded))


def _clear(tid: int) -> None:
    _SetAsyncExc(ctypes.c_ulong(tid), None)  # NULL: forget a pending asynchronous exception

POLL = 0.02  # seconds between the watchdog's looks at the clock while something is armed
REFIRE = 0.1  # seconds between two posts to a thread that is still over its deadline


class BudgetExceeded(BaseException):
    """A file's (or a rule's) time budget is spent."""


class _Arm:
    __slots__ = ("deadline", "fired")

    def __init__(self, deadline: float):
        self.deadline = deadline  # when to post (again)
        self.fired = False


class _Watchdog:
    def __init__(self):
        self._cond = threading.Condition(threading.Lock())
        self._armed: dict[int, _Arm] = {}  # thread id -> its armed call
        self._thread: threading.Thread | None = None
        self.fired = 0  # how many times it had to interrupt (for tests and the campaign)

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="gojaguard-budget", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        with self._cond:
            while True:
                if not self._armed:
                    self._cond.wait()
                    continue
                now = time.monotonic()
                for tid, arm in self._armed.items():
                    if now >= arm.deadline:
                        arm.fired = True
                        arm.deadline = now + REFIRE
                        self.fired += 1
                        _post(tid)
                self._cond.wait(POLL)

    def arm(self, seconds: float) -> _Arm:
        arm = _Arm(time.monotonic() + seconds)
        with self._cond:
            self._start()
            self._armed[threading.get_ident()] = arm
            self._cond.notify()
        return arm

    def disarm(self, arm: _Arm) -> None:
        tid = threading.get_ident()
        while True:
            try:
                with self._cond:
                    if self._armed.get(tid) is arm:
                        del self._armed[tid]
                    if arm.fired:  # posted but maybe not yet delivered: take it back
                        _clear(tid)
                return
            except BudgetExceeded:  # delivered while disarming: the call is over anyway
                continue


_WATCHDOG = _Watchdog() if _SetAsyncExc is not None else None


def _after_fork() -> None:  # a forked worker has no watchdog thread: start afresh
    global _WATCHDOG
    if _SetAsyncExc is not None:
        _WATCHDOG = _Watchdog()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def call(fn, seconds: float | None):
    """``fn()``, interrupted with ``BudgetExceeded`` if it runs longer than ``seconds``.

    ``seconds`` None means no budget; 0 or less raises at once.
    """
    if seconds is None:
        return fn()
    if seconds <= 0:
        raise BudgetExceeded
    if _WATCHDOG is None:  # pragma: no cover
        return fn()
    watchdog = _WATCHDOG
    arm = watchdog.arm(seconds)
    try:
        return fn()
    finally:
        watchdog.disarm(arm)


def interruptions() -> int:
    """How many calls the watchdog has had to interrupt in this process."""
    return _WATCHDOG.fired if _WATCHDOG is not None else 0
