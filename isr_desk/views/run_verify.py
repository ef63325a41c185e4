""" "Verify pages after refresh" for one GUI run: snapshots before it, verdicts after it.

The same services as ``isr-desk revalidate --verify`` (:mod:`isr_desk.services.verify._verifier`):
the pages are fetched as a visitor would (no secret; the profile's extra headers), on every
instance, a tag's pages from the site's manifest.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx

from isr_desk.domain import Result, SiteProfile, Target
from isr_desk.services.http import route_profile
from isr_desk.services.verify import (
    PageKey,
    PageState,
    TagPaths,
    Verdict,
    Verification,
    Verifier,
    plan,
    snapshot_all,
    verify_results,
)


class RunCheck:
    """The verification of one run."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        profile: SiteProfile,
        targets: Sequence[Target],
        *,
        tag_pages: TagPaths | None = None,
    ) -> None:
        self.profile = profile
        self.tag_pages = tag_pages
        route_profile(client, profile)  # its proxy and CA bundle for the page fetches
        self.verifier = Verifier(client, timeout=profile.timeout, headers=profile.headers)
        self.checks = plan(profile, targets, tag_paths=tag_pages)
        self.states: dict[PageKey, PageState] = {}
        self.results: list[Result] = []

    @property
    def pages(self) -> int:
        return len(self.checks)

    async def before(self) -> None:
        self.states = await snapshot_all(
            self.verifier, self.checks, concurrency=self.profile.concurrency
        )

    async def after(self) -> list[Verification]:
        return await verify_results(
            self.verifier,
            self.profile,
            self.results,
            self.states,
            tag_paths=self.tag_pages,
            concurrency=self.profile.concurrency,
        )


def verification_message(verifications: Sequence[Verification]) -> tuple[bool, str]:
    """(all fine, the status bar's sentence) after a run's pages were checked."""
    checked = [v for v in verifications if v.verdict is not Verdict.NOT_CHECKED]
    if not checked:
        return True, "Not verified: load the site's manifest to check a tag's pages"
    if len(checked) == 1:
        v = checked[0]
        return v.ok, f"{v.label}: {v.detail}"
    doubtful = [v for v in checked if not v.ok]
    if doubtful:
        return False, (
            f"{len(doubtful):,} of {len(checked):,} pages did not change as expected: "
            "see the Verify column"
        )
    return True, f"Verified: all {len(checked):,} pages serve the new version (or will)"
