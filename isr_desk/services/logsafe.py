"""Logging that cannot leak a secret, for the CLI and the GUI alike.

Libraries log what they send: with debug logging on, httpx writes
``HTTP Request: POST https://site/api/revalidate?secret=S`` at INFO, and a traceback can
quote a URL or a header. Every secret the app handles is registered here with
:func:`remember` (the keyring store, the CLI's stdin reader and the engine do it), and
:class:`RedactingFormatter` replaces each of them — raw, URL-encoded, JSON-escaped — by
``•••`` in every formatted line, traceback included. Query parameters and headers that
look like credentials are blanked too, so a secret not (yet) registered is still caught in
the usual places. :func:`scrub` does the same for text written outside logging (crash logs).
"""

from __future__ import annotations

import datetime
import faulthandler
import logging
import os
import re
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, quote_plus

from isr_desk.domain import REDACTED, redact_text

__all__ = [
    "RedactingFormatter",
    "append_crash",
    "enable_faulthandler",
    "forget_all",
    "install",
    "remember",
    "scrub",
    "terminal_safe",
]

_lock = threading.Lock()
_secrets: tuple[str, ...] = ()
_short: re.Pattern[str] | None = None  # short secrets, matched as whole query values
_QUERY = re.compile(
    r"(?i)([?&;](?:[\w.-]*(?:secret|token|key|sig|signature|password|passwd|auth)[\w.-]*)=)"
    r"[^&#\s'\"<>]+"
)
_HEADER = re.compile(r"(?i)((?:(?:proxy-)?authorization|cookie|x-[\w-]*(?:token|secret|key|auth"
                     r"|session|password|bypass|signature))[\"']?\s*[:=,]\s*[\"']?"
                     r"(?:bearer\s+|basic\s+|token\s+)?)[^\s\"',)\]]+")  # fmt: skip
_PREVIEW = re.compile(r"(?i)(\"?preview(?:ModeId|ModeSigningKey|ModeEncryptionKey)\"?\s*[:=]\s*\"?)"
                      r"[^\"\s,}]+")  # fmt: skip
# What a terminal obeys or reorders: C0 controls but tab and newline (ESC starts sequences
# that clear the screen or set the title; CR overwrites a line), DEL, C1 controls (8-bit
# CSI), and the bidi controls that make "/x" read as something else.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029"
                     "\u202a-\u202e\u2066-\u2069]")  # fmt: skip
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"
# Shorter strings turn up in ordinary words ("s" would blank every "s" of every log line);
# such a secret is still caught where secrets travel: ?secret=, ?token=, Authorization.
MIN_LENGTH = 6


def remember(secret: str | None) -> None:
    """Register ``secret`` so no log line or crash log written later can show it.

    Secrets under :data:`MIN_LENGTH` characters are not matched as free text (see there).
    """
    global _secrets
    if not secret:
        return
    if len(secret) < MIN_LENGTH:
        _remember_short(secret)
        return
    with _lock:
        if secret not in _secrets:
            # Longest first: a secret containing another is replaced whole.
            _secrets = tuple(sorted({*_secrets, secret}, key=len, reverse=True))


def _remember_short(secret: str) -> None:
    """A short secret is blanked where it is a whole query value (``?s=ab1``, any parameter
    name: a custom preset names its own), not as free text (it would hit ordinary words)."""
    global _short
    forms = {secret, quote(secret, safe=""), quote_plus(secret)}
    values = "|".join(sorted(map(re.escape, forms), key=len, reverse=True))
    with _lock:
        known = [_short.pattern] if _short is not None else []
        _short = re.compile(
            "|".join([*known, rf"(?<=[?&;])([^=&#\s]*=)(?:{values})(?=[&#;\s'\"]|$)"])
        )


def forget_all() -> None:
    """Drop every registered secret (tests)."""
    global _secrets, _short
    with _lock:
        _secrets = ()
        _short = None


def scrub(text: str) -> str:
    """``text`` with every registered secret and every credential-looking value blanked."""
    text = redact_text(text, *_secrets)
    short = _short
    if short is not None:
        text = short.sub(lambda m: next(g for g in m.groups() if g) + REDACTED, text)
    text = _QUERY.sub(lambda m: m.group(1) + REDACTED, text)
    text = _HEADER.sub(lambda m: m.group(1) + REDACTED, text)
    return _PREVIEW.sub(lambda m: m.group(1) + REDACTED, text)


def terminal_safe(text: str) -> str:
    """``text`` with every control character a terminal would act on shown as ``\\xNN`` /
    ``\\uNNNN``. Newlines stay: a value cannot hold one (profiles, targets and manifest
    entries refuse control characters; h11 refuses them in headers)."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _scrubbed_record(factory: Any) -> Any:
    """A LogRecord factory whose records hold scrubbed text, for every handler there is
    (a GUI log panel, a test's capture, a handler a library adds), not only ours."""

    def make(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is logging's to report
            return record
        record.msg, record.args = scrub(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = scrub(_EXC_FORMATTER.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return record

    make.isr_desk_scrubbing = True  # type: ignore[attr-defined]
    return make


_EXC_FORMATTER = logging.Formatter()


class RedactingFormatter(logging.Formatter):
    """A formatter whose every output line (message, arguments, traceback) is scrubbed."""

    def format(self, record: logging.LogRecord) -> str:
        return terminal_safe(scrub(super().format(record)))


def install(*, debug: bool = False, stream: TextIO | None = None) -> logging.Handler:
    """Configure logging: level, one redacting stderr handler, scrubbed records for all.

    httpcore's per-request trace lines stay at INFO even with ``debug``: they add nothing a
    user needs and would bury the output of a bulk run.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter(LOG_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h.formatter, RedactingFormatter)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.WARNING)
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "isr_desk_scrubbing", False):
        logging.setLogRecordFactory(_scrubbed_record(factory))
    logging.getLogger("httpcore").setLevel(logging.INFO)
    return handler


# --- the crash log ----------------------------------------------------------------------------

CRASH_LOG = "crash.log"
MAX_CRASH_LOG = 1024 * 1024  # bytes; beyond this the log is moved to crash.log.1
_fault_file: Any = None  # kept open: faulthandler writes to its descriptor when Python dies


def append_crash(text: str, directory: Callable[[], Path]) -> str:
    """Append a scrubbed, dated report to the crash log; the log's path, or why it could not
    be written. Never raises: it runs when something already went wrong (a read-only data
    dir, a full disk, a broken ``directory``)."""
    try:
        path = directory() / CRASH_LOG
        _rotate(path)
        stamp = datetime.datetime.now().isoformat(timespec="seconds")
        with path.open("a", encoding="utf-8", errors="replace") as fh:
            fh.write(f"--- {stamp}\n" + scrub(text))
        return str(path)
    except Exception as exc:  # noqa: BLE001 - a crash reporter must not crash
        return f"(no crash log could be written: {type(exc).__name__})"


def _rotate(path: Path) -> None:
    """Keep the crash log under :data:`MAX_CRASH_LOG` (one older file beside it)."""
    try:
        if path.stat().st_size > MAX_CRASH_LOG:
            os.replace(path, path.with_name(CRASH_LOG + ".1"))
    except FileNotFoundError:
        pass


def enable_faulthandler(directory: Callable[[], Path]) -> bool:
    """Native crashes (a segfault in Qt, ``std::bad_alloc``) write Python's stacks to the crash
    log: there is no exception to catch then. False when the log cannot be opened."""
    global _fault_file
    try:
        path = directory() / CRASH_LOG
        _rotate(path)
        fh = path.open("a", encoding="utf-8")
    except Exception:  # noqa: BLE001 - see append_crash
        return False
    if _fault_file is not None:
        _fault_file.close()
    _fault_file = fh
    faulthandler.enable(file=fh, all_threads=True)
    return True
