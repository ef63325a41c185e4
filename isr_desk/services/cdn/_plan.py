"""What a CDN purge sends: batches of items, each covering some targets of the run.

A provider (:mod:`._vercel`, :mod:`._cloudflare`) turns a run's targets into a
:class:`PurgePlan`: the batches, cut to its API's per-call limit, and the targets its API
cannot purge, each with the reason (reported as a row, never silently dropped).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from isr_desk.domain import SiteProfile, Target
from isr_desk.services.errors import IsrError


class CdnError(IsrError):
    """A CDN purge cannot start: settings missing or wrong, no token, a bad API address."""


@dataclass(frozen=True, slots=True)
class Batch:
    """One API call: ``items`` of one ``kind`` (``tags``, ``files``, ``prefixes``,
    ``hosts``), covering ``targets``."""

    kind: str
    items: tuple[str, ...]
    targets: tuple[Target, ...]


@dataclass(frozen=True, slots=True)
class PurgePlan:
    """Every call of a purge, and the targets it cannot purge (target, why)."""

    step: str
    batches: tuple[Batch, ...] = ()
    unsupported: tuple[tuple[Target, str], ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def targets(self) -> int:
        return sum(len(b.targets) for b in self.batches) + len(self.unsupported)


class Provider(Protocol):
    """One CDN's API: what to send, and what its answers mean."""

    name: str

    def plan(self, profile: SiteProfile, targets: Sequence[Target]) -> PurgePlan: ...

    def endpoint(self, profile: SiteProfile) -> str: ...

    def body(self, profile: SiteProfile, batch: Batch) -> dict[str, Any]: ...

    def errors(self, body: Any) -> list[str]: ...

    def succeeded(self, status: int, body: Any) -> bool: ...

    def body_wait(self, body: Any) -> float | None: ...

    def token_hint(self, profile: SiteProfile) -> str: ...


def chunks(items: Sequence[tuple[str, Target]], size: int, kind: str) -> Iterable[Batch]:
    """``items`` (item, the target it purges) in batches of at most ``size`` distinct items."""
    batch: dict[str, list[Target]] = {}
    for item, target in items:
        if item not in batch and len(batch) == size:
            yield _batch(kind, batch)
            batch = {}
        batch.setdefault(item, []).append(target)
    if batch:
        yield _batch(kind, batch)


def _batch(kind: str, batch: dict[str, list[Target]]) -> Batch:
    targets = tuple(dict.fromkeys(t for group in batch.values() for t in group))
    return Batch(kind, tuple(batch), targets)


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def api_base(default: str, env_var: str, given: str | None = None) -> str:
    """The API's base URL: ``default``, or (tests only) ``given`` / ``$env_var``.

    Anything but the default must be https, or http on a loopback address: the token goes
    there, so it is never sent in the clear over a network.
    """
    base = given or os.environ.get(env_var, "").strip() or default
    try:
        parts = urlsplit(base)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    if parts is None or not host or parts.scheme not in ("http", "https"):
        raise CdnError(f"{base!r} is not an API address", hint=f"Unset {env_var}")
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise CdnError(
            f"Refusing to send a CDN token over plain http to {host}",
            hint=f"Unset {env_var} (only https, or http on 127.0.0.1 for tests)",
        )
    return base.rstrip("/")
