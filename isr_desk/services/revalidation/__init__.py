"""The revalidation engine: sending many requests, retrying, and judging each reply.

- :class:`Revalidator` starts a :class:`Run` on the shared client; a run yields one
  :class:`~isr_desk.domain.Result` per target (or batches of them), can be cancelled, and
  sums up in a :class:`~isr_desk.domain.RunSummary`.
- :class:`RunOptions` are a run's concurrency, timeout, retries and batching.
- :class:`Reply`, :func:`judge` and :func:`hint_for` judge one answer (the doctor uses them
  too); ``parse_retry_after`` reads a 429's ``Retry-After``.
"""

from __future__ import annotations

from isr_desk.services.revalidation._engine import Revalidator, Run, RunOptions
from isr_desk.services.revalidation._replies import (
    EXCERPT_CHARS,
    Reply,
    hint_for,
    judge,
    parse_retry_after,
    results_for,
    same_origin_redirect,
)

__all__ = [
    "EXCERPT_CHARS",
    "Reply",
    "Revalidator",
    "Run",
    "RunOptions",
    "hint_for",
    "judge",
    "parse_retry_after",
    "results_for",
    "same_origin_redirect",
]
