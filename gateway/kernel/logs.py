"""Structured logs: one JSON object per line on stderr, for a log collector to read.

Each record carries the time (UTC), level, logger and message, plus the fields passed as
``extra`` (request id, outcome, status, ...). Configured once by the server process's entry
point (``kakehashi serve``, each uvicorn worker's factory); never by an app instance, which
tests build many times. Never put prompt or answer text in a log line.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

# The attributes every LogRecord has; anything else on a record came from ``extra``.
_INIT = tuple(vars(logging.LogRecord("", 0, "", 0, "", None, None)))
_STANDARD = set(_INIT) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's copy of the message with terminal colours
}


def _extra(attrs: dict[str, Any]) -> list[str]:
    """The names that may be extras: those after the ones ``LogRecord.__init__`` sets (in its
    order), so a request's line does not test every standard attribute (issue 18); all of
    them when a record factory put others first."""
    names = list(attrs)
    if tuple(names[: len(_INIT)]) == _INIT:
        return names[len(_INIT) :]
    return names


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        attrs = vars(record)
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({k: attrs[k] for k in _extra(attrs) if k not in _STANDARD})
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def configure(level: int = logging.INFO) -> None:
    """Send every logger's records to stderr as JSON lines (replaces earlier handlers)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The formatter drops the record's standard attributes (``_STANDARD``): caller, thread,
    # process and task names are never printed, so they are not gathered either. Finding the
    # caller walks the stack (``logging._srcfile`` = None is logging's own switch for that);
    # with the rest it was a third of the chat request's log line (issue 18, py-spy at c=1).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []  # through the root handler, as JSON
        logging.getLogger(name).propagate = True
    # No access log: the pipeline writes one line per chat request. uvicorn logs access when
    # its logger ``hasHandlers()``, the root's included, so it must not propagate; it did, and
    # cost ~5 % of a worker's CPU under load (issue 18, py-spy on bench/overhead).
    access = logging.getLogger("uvicorn.access")
    access.handlers[:] = []
    access.propagate = False
