"""The seed tutorials' revalidation route, as a fake site.

* ``POST /api/revalidate?secret=S`` with JSON ``{"path": P}`` / ``{"tag": T}`` (App Router),
  or ``{"paths": [...]}`` / ``{"tags": [...]}`` (batch);
* ``GET /api/revalidate?secret=S&path=P`` (Pages Router);
* ``POST /api/revalidate`` with ``Authorization: Bearer S`` (bearer preset).

A wrong or missing secret gets ``401 {"message": "Invalid token"}`` (unless ``any_secret``);
a missing path/tag 400; any other path 404. What was revalidated is kept in ``revalidated``
(``"path:/a"``, ``"tag:posts"``), in arrival order.
"""

from __future__ import annotations

import ssl
import time
from typing import Any

from tests.helpers.sites._core import REVALIDATE_PATH, FakeSite, Recorded, Reply


class LoopbackSite(FakeSite):
    """A revalidation endpoint on 127.0.0.1 (see the module docstring)."""

    def __init__(
        self,
        secret: str = "s3cret-token",
        *,
        latency: float = 0.0,
        any_secret: bool = False,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(tls=tls, latency=latency)
        self.secret = secret
        self.any_secret = any_secret
        self.revalidated: list[str] = []

    def answer(self, rec: Recorded) -> Reply:
        if rec.path != REVALIDATE_PATH:
            return Reply(404, {"message": "Not found"})
        token = (rec.query.get("secret") or [None])[0]
        auth = rec.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:]
        if token != self.secret and not self.any_secret:
            return Reply(401, {"message": "Invalid token"})
        if rec.method == "GET":
            items = [("path", p) for p in rec.query.get("path", [])]
        else:
            try:
                data = rec.json()
            except ValueError:
                return Reply(400, {"message": "Body is not JSON"})
            items = items_of(data)
        if not items:
            return Reply(400, {"message": "Missing path or tag"})
        with self.lock:
            self.revalidated.extend(f"{kind}:{value}" for kind, value in items)
        return Reply(200, {"revalidated": True, "now": int(time.time() * 1000)})


def items_of(data: Any) -> list[tuple[str, str]]:
    """``(kind, value)`` of every path and tag a JSON body names, singular or plural."""
    if not isinstance(data, dict):
        return []
    items: list[tuple[str, str]] = []
    for kind in ("path", "tag"):
        value = data.get(kind)
        if isinstance(value, str) and value:
            items.append((kind, value))
        values = data.get(f"{kind}s")
        if isinstance(values, list):
            items.extend((kind, v) for v in values if isinstance(v, str) and v)
    return items
