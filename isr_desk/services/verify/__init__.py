"""Verify: did a revalidation really change the page? Snapshots before and after, verdicts.

:func:`plan` lists the pages to fetch (every instance; a tag's pages from the manifest),
:func:`snapshot_all` takes the "before" states, :func:`verify_results` (or
:func:`verify_stream`) gives one :class:`Verification` per page after the run.
"""

from __future__ import annotations

from isr_desk.services.verify._judge import PageState, Verdict, Verification
from isr_desk.services.verify._plan import (
    MAX_PAGES_PER_TAG,
    PageKey,
    TagPaths,
    count_verdicts,
    plan,
    stale_instances,
    tag_paths_of,
)
from isr_desk.services.verify._verifier import (
    Verifier,
    snapshot_all,
    verify_results,
    verify_stream,
)

__all__ = [
    "MAX_PAGES_PER_TAG",
    "PageKey",
    "PageState",
    "TagPaths",
    "Verdict",
    "Verification",
    "Verifier",
    "count_verdicts",
    "plan",
    "snapshot_all",
    "stale_instances",
    "tag_paths_of",
    "verify_results",
    "verify_stream",
]
