"""HTTP for every request ISR Desk sends: the shared client, its transport, capped bodies.

- :func:`make_client` builds the app's one ``httpx.AsyncClient`` (composition roots only),
  a :class:`CookielessClient`: it keeps and sends no cookies.
- :class:`H11Transport` is the HTTP/1.1 transport under it (docs/architecture.md says why).
- :func:`read_capped` reads a body with a hard cap on kept *and* inflated bytes.
"""

from __future__ import annotations

from isr_desk.services.http._bodies import read_capped
from isr_desk.services.http._client import CookielessClient, make_client
from isr_desk.services.http._transport import H11Transport, make_transport

__all__ = ["CookielessClient", "H11Transport", "make_client", "make_transport", "read_capped"]
