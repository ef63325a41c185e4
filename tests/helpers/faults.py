"""Old names of the fault server and its faults; use :mod:`tests.helpers.sites`
(``LoopbackSite(any_secret=True)`` and ``site.on(target, *faults, repeat=True)``) and
:mod:`tests.helpers.keyrings` for the failing keyring backends."""

from __future__ import annotations

import ssl

from tests.helpers import sites
from tests.helpers.keyrings import (
    DbusGoneKeyring,
    DismissedKeyring,
    LockedKeyring,
    NoBackendKeyring,
)
from tests.helpers.sites import (
    ONE_MB,
    Certs,
    Conn,
    Fault,
    Recorded,
    client_context,
    drip,
    gzip_bomb,
    html_page,
    huge_body,
    invalid_utf8,
    make_certs,
    never_answer,
    ok,
    redirect,
    reset_mid_response,
    respond,
    retry_after_date,
    retry_after_seconds,
    server_context,
)

Seen = Recorded


class FaultServer(sites.LoopbackSite):
    """A route that answers any secret; ``on`` repeats the last fault, as it used to."""

    def __init__(self, *, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(any_secret=True, tls=tls)

    def on(self, match: str, *answers: sites.Answer, repeat: bool = True) -> None:
        super().on(match, *answers, repeat=repeat)

    @property
    def seen(self) -> list[Recorded]:
        return self.requests


__all__ = [
    "ONE_MB",
    "Certs",
    "Conn",
    "DbusGoneKeyring",
    "DismissedKeyring",
    "Fault",
    "FaultServer",
    "LockedKeyring",
    "NoBackendKeyring",
    "Seen",
    "client_context",
    "drip",
    "gzip_bomb",
    "html_page",
    "huge_body",
    "invalid_utf8",
    "make_certs",
    "never_answer",
    "ok",
    "redirect",
    "reset_mid_response",
    "respond",
    "retry_after_date",
    "retry_after_seconds",
    "server_context",
]
