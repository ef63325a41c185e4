"""Old names of the fake sites, kept so branches written before ``tests/helpers/sites`` work.

Use :mod:`tests.helpers.sites`: ``site.on(REVALIDATE_PATH, *replies)`` for ``script`` and
``site.on(path, handler, repeat=True)`` for ``route``.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.helpers import sites
from tests.helpers.sites import REVALIDATE_PATH, Recorded, Reply, free_port

Handler = Callable[[Recorded], Reply]


class LoopbackSite(sites.LoopbackSite):
    """:class:`tests.helpers.sites.LoopbackSite` with the old ``route``/``script`` names."""

    def route(self, path: str, handler: Handler) -> None:
        self.on(path, handler, repeat=True)

    def script(self, *replies: Reply) -> None:
        self.on(REVALIDATE_PATH, *replies)


__all__ = ["REVALIDATE_PATH", "Handler", "LoopbackSite", "Recorded", "Reply", "free_port"]
