"""Structured logs (structlog) to stderr, stamped with the current span's trace and span ids.

JSON lines when the stream is not a terminal (or `log_format="json"`), readable key=value
lines (warnings and errors) on a terminal. Until `configure_logging` runs (the CLI does at
start-up) the logger drops everything, so library use prints nothing and structlog's global
configuration is untouched.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO

import structlog
from opentelemetry import trace
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger

LogFormat = Literal["auto", "json", "console"]

_logger: FilteringBoundLogger = structlog.wrap_logger(
    structlog.ReturnLogger(),  # prints nothing, even at CRITICAL
    wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL),
    processors=[],
)


def log() -> FilteringBoundLogger:
    return _logger


class _Stderr:
    """Writes to whatever `sys.stderr` is at the time (a test's capture may have replaced it)."""

    def msg(self, message: str) -> None:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()

    debug = info = warning = error = critical = exception = msg


def configure_logging(log_format: LogFormat = "auto", stream: TextIO | None = None) -> None:
    """To `stream` (default stderr): JSON lines from INFO off a terminal; on a terminal,
    readable lines from WARNING (the CLI's progress lines already say what INFO would)."""
    global _logger
    terminal = (stream or sys.stderr).isatty()
    as_json = log_format == "json" or (log_format == "auto" and not terminal)
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=terminal)
    )
    _logger = structlog.wrap_logger(
        structlog.PrintLogger(stream) if stream is not None else _Stderr(),
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.INFO if as_json or not terminal else logging.WARNING
        ),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            add_trace_context,
            renderer,
        ],
    )


def add_trace_context(_logger: WrappedLogger, _method: str, event: EventDict) -> EventDict:
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = format(context.trace_id, "032x")
        event["span_id"] = format(context.span_id, "016x")
    return event
