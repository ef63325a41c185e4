"""Runs: ONE run session used by the command line and the window alike.

:class:`RunSession` takes a :class:`RunPlan` (site, targets, options, verify, an optional
secret given by the caller) and yields plain events (:mod:`._events`): it resolves the
secret, takes the verify snapshot, starts the engine, streams the results in batches,
records every target and result in the history, optionally purges the site's CDN for the
same targets (rows of their own, step ``cdn: <provider>``), and gives verdicts after. Cancel, retry
failed, send the rest, resuming a recorded run (:func:`recorded_rest`) and running one
again (:func:`recorded_targets`) are its operations; ``stream(threaded=True)`` runs it on
a loop of its own in a worker thread.
"""

from __future__ import annotations

from isr_desk.services.runs._events import (
    CdnFinished,
    CdnProgress,
    CdnStarted,
    Event,
    Failed,
    Finished,
    Progress,
    ResultsBatch,
    RunWarning,
    Started,
    Stopped,
    Verified,
    VerifyStarted,
)
from isr_desk.services.runs._purging import TokenSource
from isr_desk.services.runs._record import HistoryOpener
from isr_desk.services.runs._resume import RecordedRest, recorded_rest, recorded_targets
from isr_desk.services.runs._session import RunPlan, RunSession, SecretSource

__all__ = [
    "CdnFinished",
    "CdnProgress",
    "CdnStarted",
    "Event",
    "Failed",
    "Finished",
    "HistoryOpener",
    "Progress",
    "RecordedRest",
    "ResultsBatch",
    "RunPlan",
    "RunSession",
    "RunWarning",
    "SecretSource",
    "Started",
    "Stopped",
    "TokenSource",
    "Verified",
    "VerifyStarted",
    "recorded_rest",
    "recorded_targets",
]
