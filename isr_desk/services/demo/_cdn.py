"""The practice site's CDN: a Cloudflare-like purge API inside the demo server.

So an editor can try "Also purge the CDN" without a Cloudflare account, the demo server also
answers ``POST /cdn-api/client/v4/zones/{zone}/purge_cache`` the way Cloudflare's API does
(docs/cdn.md): ``Authorization: Bearer TOKEN``, one of ``files`` / ``tags`` / ``prefixes`` /
``hosts`` per call (at most 100 items, 30 prefixes), answered in Cloudflare's envelope
``{"success", "errors": [{"code", "message"}], "messages", "result": {"id"}}``; a wrong
token gets Cloudflare's 403, an unknown zone its 404. The token is a fixed practice value,
:data:`DEMO_CDN_TOKEN`, that unlocks nothing but this loopback endpoint.

:meth:`DemoCdn.api_for` is where a purge of the demo site's zone is sent: only a profile
whose address is the demo server's and whose zone is :data:`DEMO_ZONE` goes there; every
other site's purge goes to the real API.
"""

from __future__ import annotations

import hmac
import json
import threading
import uuid
from typing import Any

from isr_desk.domain import CdnProvider, SiteProfile

DEMO_ZONE = "practice-zone"
DEMO_CDN_TOKEN = "practice-cdn-token-not-a-secret"
API_PREFIX = "/cdn-api/client/v4"
_KINDS = ("files", "tags", "prefixes", "hosts")
_LIMITS = {"prefixes": 30}
_BATCH = 100

Reply = tuple[int, dict[str, str], bytes]


def _envelope(status: int, success: bool, *errors: tuple[int, str], result: Any = None) -> Reply:
    body = {
        "success": success,
        "errors": [{"code": code, "message": message} for code, message in errors],
        "messages": [],
        "result": result,
    }
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


class DemoCdn:
    """The purge API of the practice site's zone; ``purged`` keeps (kind, items) calls."""

    def __init__(self) -> None:
        self.purged: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()

    def handles(self, path: str) -> bool:
        return path.startswith(API_PREFIX + "/")

    def api_for(self, profile: SiteProfile, site_url: str) -> str | None:
        """This API's base URL for the practice site's zone; None for any other site."""
        cdn = profile.cdn
        ours = cdn.provider is CdnProvider.CLOUDFLARE and cdn.zone == DEMO_ZONE
        return site_url + API_PREFIX if ours and profile.base_url.rstrip("/") == site_url else None

    def answer(self, path: str, method: str, headers: dict[str, str], body: bytes) -> Reply:
        if method != "POST":
            return _envelope(405, False, (10000, "Method not allowed"))
        if path != f"{API_PREFIX}/zones/{DEMO_ZONE}/purge_cache":
            return _envelope(404, False, (7003, "Could not route to this zone: check the zone id"))
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        if not hmac.compare_digest(token.encode(), DEMO_CDN_TOKEN.encode()):
            return _envelope(403, False, (10000, "Authentication error"))
        try:
            kind, items = _purge_of(json.loads(body or b"null"))
        except ValueError as exc:
            return _envelope(400, False, (1012, str(exc)))
        with self._lock:
            self.purged.append((kind, items))
        return _envelope(200, True, result={"id": uuid.uuid4().hex})


def _purge_of(payload: Any) -> tuple[str, list[str]]:
    if not isinstance(payload, dict):
        raise ValueError("Request body must be a JSON object")
    kinds = [k for k in _KINDS if k in payload]
    if len(kinds) != 1 or len(payload) != 1:
        raise ValueError("Purge one of files, tags, prefixes or hosts per request")
    kind = kinds[0]
    items = payload[kind]
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise ValueError(f"{kind} must be a non-empty list of strings")
    if len(items) > _LIMITS.get(kind, _BATCH):
        raise ValueError(f"At most {_LIMITS.get(kind, _BATCH)} {kind} per request")
    return kind, items
