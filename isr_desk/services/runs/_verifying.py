"""The verify side of a run session: the "before" snapshot and the verdicts after.

Pages are fetched as a visitor would (no secret; the profile's extra headers), on every
instance; a tag's pages come from the caller's ``tag_paths`` or, failing that, from the
site's manifest (loaded only when the run purges tags).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import httpx

from isr_desk.domain import Result, SiteProfile, Target, TargetKind
from isr_desk.services.errors import IsrError
from isr_desk.services.http import Network, route_profile
from isr_desk.services.manifest import load_manifest
from isr_desk.services.revalidation import RunOptions
from isr_desk.services.runs._events import Event, RunWarning, Verified, VerifyStarted
from isr_desk.services.runs._purging import with_cdn_action
from isr_desk.services.sites import is_pattern
from isr_desk.services.verify import (
    PageKey,
    PageState,
    TagPaths,
    Verifier,
    plan,
    snapshot_all,
    tag_paths_of,
    verify_results,
)

if TYPE_CHECKING:
    from isr_desk.services.runs._session import RunPlan


class Check:
    """The verification of one run."""

    def __init__(
        self,
        profile: SiteProfile,
        targets: Sequence[Target],
        options: RunOptions,
        client: httpx.AsyncClient,
        tag_paths: TagPaths | None,
    ) -> None:
        self.profile, self.options, self.tag_paths = profile, options, tag_paths
        route_profile(client, profile)  # its proxy and CA bundle for the page fetches
        self.verifier = Verifier(client, timeout=options.timeout, headers=profile.headers)
        self.checks = plan(profile, targets, tag_paths=tag_paths)
        self.states: dict[PageKey, PageState] = {}

    @classmethod
    async def prepare(
        cls,
        run: RunPlan,
        options: RunOptions,
        client: httpx.AsyncClient,
        emit: Callable[[Event], None],
    ) -> Check:
        tag_paths = run.tag_paths
        if tag_paths is None:
            tag_paths, problem = await asyncio.to_thread(
                _manifest_tag_paths, run.profile, run.targets
            )
            if problem is not None:
                emit(RunWarning(f"Tags are not verified: {problem.describe()}"))
        return cls(run.profile, run.targets, options, client, tag_paths)

    async def before(self, emit: Callable[[Event], None]) -> None:
        if not self.checks:
            return
        emit(VerifyStarted(len(self.checks), after=False))
        self.states = await snapshot_all(
            self.verifier, self.checks, concurrency=self.options.concurrency
        )

    async def after(
        self, results: Sequence[Result], emit: Callable[[Event], None], *, cdn_purged: bool = False
    ) -> None:
        emit(VerifyStarted(len(self.checks), after=True))
        verifications = await verify_results(
            self.verifier,
            self.profile,
            list(results),
            self.states,
            tag_paths=self.tag_paths,
            concurrency=self.options.concurrency,
        )
        said = with_cdn_action(verifications, self.profile, purged=cdn_purged)
        emit(Verified(tuple(results), said))


def _manifest_tag_paths(
    profile: SiteProfile, targets: Sequence[Target]
) -> tuple[dict[str, tuple[str, ...]] | None, IsrError | None]:
    """Tag (or route pattern) → pages from the site's manifest, loaded only when the run
    purges tags or patterns (in a worker thread: a build directory can be big)."""
    if not profile.manifest_source or all(
        t.kind is TargetKind.PATH and not is_pattern(t.value) for t in targets
    ):
        return None, None
    try:
        manifest = load_manifest(
            profile.manifest_source, base_url=profile.base_url, network=Network.of(profile)
        )
    except IsrError as exc:
        return None, exc
    return tag_paths_of(manifest), None
