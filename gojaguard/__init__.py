"""gojaguard: catches goroutine misuse of the goja / sobek JavaScript engines in Go code."""

__version__ = "0.1.0"
