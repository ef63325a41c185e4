"""HTTP for every request ISR Desk sends: the shared client, its transport, capped bodies.

- :func:`make_client` builds the app's one ``httpx.AsyncClient`` (composition roots only),
  a :class:`CookielessClient`: it keeps and sends no cookies.
- :class:`H11Transport` is the HTTP/1.1 transport under it (docs/architecture.md says why).
- :func:`read_capped` (and :func:`aiter_capped` / :func:`iter_capped`, streaming) read every
  body ISR Desk reads, with a hard cap on kept *and* inflated bytes.
- :class:`Network`, :func:`route_profile`, :func:`trust_context`: proxies (the environment's
  or a profile's) and TLS trust (the system store plus a profile's CA bundle), the same for
  every request (docs/networks.md); :class:`NetworkFailure` (an ``httpx.ConnectError``) is a
  request that failed at one of those settings, with a hint naming it.
"""

from __future__ import annotations

from isr_desk.services.http._bodies import (
    ACCEPT_ENCODING,
    IDENTITY,
    BodyTooLargeError,
    aiter_capped,
    iter_capped,
    read_capped,
)
from isr_desk.services.http._client import CookielessClient, make_client
from isr_desk.services.http._failures import GATEWAY_HINT, Failing, NetworkFailure, is_tls
from isr_desk.services.http._failures import TITLES as NETWORK_FAILURE_TITLES
from isr_desk.services.http._network import (
    DIRECT,
    Network,
    RoutingTransport,
    SyncRoutingTransport,
    route_profile,
    trust_context,
)
from isr_desk.services.http._transport import H11Transport, make_transport

__all__ = [
    "ACCEPT_ENCODING",
    "DIRECT",
    "GATEWAY_HINT",
    "IDENTITY",
    "NETWORK_FAILURE_TITLES",
    "BodyTooLargeError",
    "CookielessClient",
    "Failing",
    "H11Transport",
    "Network",
    "NetworkFailure",
    "RoutingTransport",
    "SyncRoutingTransport",
    "aiter_capped",
    "is_tls",
    "iter_capped",
    "make_client",
    "make_transport",
    "read_capped",
    "route_profile",
    "trust_context",
]
