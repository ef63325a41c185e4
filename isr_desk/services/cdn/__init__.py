"""CDN: purge the cache in front of a site for a run's targets (docs/cdn.md).

- :class:`CdnPurger` purges one site's CDN (Vercel by tag; Cloudflare by URL, tag, prefix or
  host) over the app's shared client: batches cut to each API's limit, rate limits honoured
  (``Retry-After``, bounded retries, a deadline), one row per target with the step
  ``cdn: <provider>``.
- :class:`Policy` bounds a purge; :class:`Timer` is where it reads the time and waits.
- :class:`PurgePlan` / :class:`Batch`: what a purge would send (:meth:`CdnPurger.plan`).
- :data:`VERCEL_PATHS_NOTE`: why Vercel takes no paths, for the window to say so.
"""

from __future__ import annotations

from isr_desk.services.cdn._call import Policy, RealTimer, Timer
from isr_desk.services.cdn._plan import Batch, CdnError, PurgePlan, api_base
from isr_desk.services.cdn._purge import CdnPurger, provider_for
from isr_desk.services.cdn._vercel import NO_PATHS as VERCEL_PATHS_NOTE

__all__ = [
    "VERCEL_PATHS_NOTE",
    "Batch",
    "CdnError",
    "CdnPurger",
    "Policy",
    "PurgePlan",
    "RealTimer",
    "Timer",
    "api_base",
    "provider_for",
]
