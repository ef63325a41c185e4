"""Fake sites for tests: one server, one lifecycle, one way to script answers.

Every fake site is a :class:`FakeSite` (``_core.py``): a threaded HTTP/1.1 server on
127.0.0.1 that records each request and answers it. Start and stop it with ``with``
(or ``start()``/``stop()``); script answers with ``site.on(match, *answers)``, where
``match`` is a request path or the target a request revalidates and an answer is a
:class:`Reply`, a function of the :class:`Recorded` request, or a fault from ``_faults.py``.
What a site does when nothing is scripted is its kind:

- :class:`FakeSite`: 404 for everything (a base for a test's own site);
- :class:`LoopbackSite`: the seed tutorials' revalidation route (``_revalidation.py``);
- :class:`CaseSite`: pages that react to a revalidation as each :class:`Behaviour` says, and
  :class:`CachingProxy`, a CDN in front of one (``_cases.py``);
- :class:`NextLikeSite`: Next's conventions (basePath, trailingSlash, cache keys, STALE
  windows, patterns) that turn a revalidation into a silent no-op (``_next_like.py``).

The misbehaving answers (``reset_mid_response``, ``never_answer``, ``drip``, ``huge_body``,
``gzip_bomb``, ...) and the test certificates (``make_certs``) come from here too.
"""

from __future__ import annotations

from tests.helpers.sites._cases import Behaviour, CachingProxy, CaseSite
from tests.helpers.sites._certs import Certs, client_context, make_certs, server_context
from tests.helpers.sites._core import (
    REVALIDATE_PATH,
    Answer,
    Conn,
    FakeSite,
    Recorded,
    Reply,
    free_port,
)
from tests.helpers.sites._faults import (
    ONE_MB,
    Fault,
    drip,
    gzip_bomb,
    html_page,
    huge_body,
    invalid_utf8,
    never_answer,
    ok,
    redirect,
    reset_mid_response,
    respond,
    retry_after_date,
    retry_after_seconds,
)
from tests.helpers.sites._next_like import NextLikeSite, Page
from tests.helpers.sites._revalidation import LoopbackSite, items_of

__all__ = [
    "ONE_MB",
    "REVALIDATE_PATH",
    "Answer",
    "Behaviour",
    "CachingProxy",
    "CaseSite",
    "Certs",
    "Conn",
    "FakeSite",
    "Fault",
    "LoopbackSite",
    "NextLikeSite",
    "Page",
    "Recorded",
    "Reply",
    "client_context",
    "drip",
    "free_port",
    "gzip_bomb",
    "html_page",
    "huge_body",
    "invalid_utf8",
    "items_of",
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
