"""A CDN purge of a run's targets: its plan, its calls one after the other, one row per target.

Calls go one at a time: every CDN here limits purges per account (Cloudflare's free plan
takes 5 a minute), so parallel calls would only buy 429s. Each batch gives one
:class:`~isr_desk.domain.Result` per target it covers, with the step ``cdn: <provider>``;
a failed batch fails only its own targets (a partial failure is reported per batch), and
the targets the API cannot purge get a row saying why.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import httpx

from isr_desk.domain import (
    CdnProvider,
    Outcome,
    PreparedRequest,
    Result,
    SiteProfile,
    Target,
    redact_text,
)
from isr_desk.services import logsafe
from isr_desk.services.cdn._call import Budget, Policy, RealTimer, Reply, Timer, call
from isr_desk.services.cdn._cloudflare import Cloudflare
from isr_desk.services.cdn._plan import Batch, CdnError, Provider, PurgePlan
from isr_desk.services.cdn._vercel import Vercel
from isr_desk.services.http import Network

# Told where a purge is: (batch, batches, wait, why): a call about to be sent (``wait``
# None), or a wait of ``wait`` seconds before it is tried again (``why``: "rate limit"…).
Notify = Callable[[int, int, float | None, str], None]


def provider_for(profile: SiteProfile, *, bases: dict[CdnProvider, str] | None = None) -> Provider:
    """The provider of ``profile``'s CDN; ``bases`` points an API elsewhere (tests only)."""
    given = (bases or {}).get(profile.cdn.provider)
    if profile.cdn.provider is CdnProvider.VERCEL:
        return Vercel(given)
    if profile.cdn.provider is CdnProvider.CLOUDFLARE:
        return Cloudflare(given)
    raise CdnError(
        f"Site {profile.name!r} has no CDN set",
        hint=f"isr-desk site edit {profile.name} --cdn vercel|cloudflare …",
    )


class CdnPurger:
    """Purges a site's CDN for a run's targets, over the app's shared client."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        policy: Policy | None = None,
        timer: Timer | None = None,
        bases: dict[CdnProvider, str] | None = None,
        base_for: Callable[[SiteProfile], str | None] | None = None,
    ) -> None:
        """``bases`` points an API elsewhere for every site (tests); ``base_for`` for one
        site (the practice site's own purge API: services/demo), None meaning the real one."""
        self.client = client
        self.policy = policy or Policy()
        self.timer = timer or RealTimer()
        self._bases = bases
        self._base_for = base_for

    def _provider(self, profile: SiteProfile) -> Provider:
        given = self._base_for(profile) if self._base_for is not None else None
        bases = self._bases if given is None else {profile.cdn.provider: given}
        return provider_for(profile, bases=bases)

    def plan(self, profile: SiteProfile, targets: Sequence[Target]) -> PurgePlan:
        return self._provider(profile).plan(profile, targets)

    @staticmethod
    def plan_of(profile: SiteProfile, targets: Sequence[Target]) -> PurgePlan:
        """What a purge would send, without a client (``--dry-run``, the window's count)."""
        return provider_for(profile).plan(profile, targets)

    async def purge(
        self,
        profile: SiteProfile,
        token: str,
        targets: Sequence[Target],
        *,
        notify: Notify | None = None,
    ) -> AsyncIterator[tuple[Result, ...]]:
        """The rows of each batch as it is answered (the unsupported targets' first);
        ``notify`` is told of each call and of each wait before it (the progress line)."""
        provider = self._provider(profile)
        plan = provider.plan(profile, targets)
        token = token.strip()
        if not token:
            raise CdnError(f"No CDN API token for site {profile.name!r}")
        logsafe.remember(token)
        url = provider.endpoint(profile)
        self._route(url, profile)
        if plan.unsupported:
            yield tuple(_unsupported(plan.step, t, why) for t, why in plan.unsupported)
        budget = Budget(self.timer, self.policy)
        count = len(plan.batches)
        for number, batch in enumerate(plan.batches, 1):
            on_wait = None
            if notify is not None:
                notify(number, count, None, "")
                on_wait = _waits(notify, number, count)
            yield await self._send(provider, profile, token, url, batch, budget, plan.step,
                                   on_wait)  # fmt: skip

    async def _send(
        self,
        provider: Provider,
        profile: SiteProfile,
        token: str,
        url: str,
        batch: Batch,
        budget: Budget,
        step: str,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> tuple[Result, ...]:
        body = json.dumps(provider.body(profile, batch)).encode("utf-8")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        started = time.time()
        if budget.left() <= 0:
            reply = Reply(None, None, 0, 0.0, "not sent: this purge's deadline passed")
        else:
            reply = await call(
                self.client,
                url,
                headers=headers,
                body=body,
                budget=budget,
                body_wait=provider.body_wait,
                on_wait=on_wait,
            )
        request = PreparedRequest(
            "POST", url, tuple(headers.items()), body, batch.targets, secret=token
        ).redacted()
        outcome, error, hint = _judge(provider, profile, reply)
        response = _safe(reply.body, token)
        return tuple(
            Result(
                target=target,
                ok=outcome is Outcome.PURGED,
                outcome=outcome,
                status=reply.status,
                duration_ms=reply.duration_ms,
                attempts=reply.attempts,
                response=response,
                error=None if error is None else redact_text(error, token),
                hint=hint,
                started_at=started,
                request=request,
                step=step,
            )
            for target in batch.targets
        )

    def _route(self, url: str, profile: SiteProfile) -> None:
        """The API goes through the site's proxy and trusts its CA bundle, as the site does
        (a company network has one way out); a test's own client is left as it is."""
        routes = getattr(self.client, "routes", None)
        use = getattr(routes, "use", None)
        if use is not None:
            use([url], Network.of(profile))


def _waits(notify: Notify, number: int, count: int) -> Callable[[float, str], None]:
    def on_wait(seconds: float, why: str) -> None:
        notify(number, count, seconds, why)

    return on_wait


def _judge(
    provider: Provider, profile: SiteProfile, reply: Reply
) -> tuple[Outcome, str | None, str | None]:
    """(outcome, error, hint) of one call."""
    status, body = reply.status, reply.body
    name = provider.name
    if status is None:
        outcome = Outcome.TIMED_OUT if reply.timed_out else Outcome.UNREACHABLE
        return outcome, reply.error, f"{name}'s API did not answer: check the network or proxy"
    said = "; ".join(provider.errors(body)) or None
    if provider.succeeded(status, body):
        return Outcome.PURGED, None, None
    if status in (401, 403):
        return (
            Outcome.WRONG_SECRET,
            said or f"{name} answered {status}",
            provider.token_hint(profile),
        )
    if status == 429:
        waited = f" after waiting {sum(reply.waits):.0f} s" if reply.waits else ""
        return (
            Outcome.RATE_LIMITED,
            reply.error or said or f"{name} rate-limited the purge{waited}",
            f"{name} limits purges per account: send the rest later (retry failed)",
        )
    if status == 404:
        return Outcome.NOT_FOUND, said, f"Check the site's {name} settings (project or zone id)"
    if status >= 500:
        return Outcome.SERVER_ERROR, said, f"{name}'s API failed; try again later"
    why = said or f"{name} answered {status} without success"
    return Outcome.BAD_REQUEST, why, f"{name} refused this batch; the other batches are apart"


_DEPTH = 32  # an API's answer nests a few levels; anything deeper is cut, not recursed into


def _safe(body: Any, token: str, depth: int = 0) -> Any:
    """The API's answer with the token blanked in every string (keys and values), should it
    ever echo it. Each string is redacted on its own, so a short token can never break the
    JSON's syntax (redacting the serialised text could)."""
    if isinstance(body, str):
        return redact_text(body, token)
    if depth >= _DEPTH and isinstance(body, dict | list):
        return "…"
    if isinstance(body, dict):
        return {redact_text(str(k), token): _safe(v, token, depth + 1) for k, v in body.items()}
    if isinstance(body, list):
        return [_safe(v, token, depth + 1) for v in body]
    return body  # None, numbers, booleans


def _unsupported(step: str, target: Target, why: str) -> Result:
    return Result(
        target=target,
        ok=False,
        outcome=Outcome.UNSUPPORTED,
        status=None,
        duration_ms=0.0,
        attempts=0,
        error=why,
        hint=why,
        started_at=time.time(),
        step=step,
    )
