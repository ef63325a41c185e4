"""Splitting a pasted webhook address or cURL command into a site's address, route and secret.

Editors often get the refresh route as one line — ``https://site/api/revalidate?secret=s3cret``
or a ``curl`` command — and paste it into "Site address". As API clients do, the query and
the ``Authorization`` header are read apart: the address and route go to their fields, the
secret to the keyring (the caller stores it). The secret is remembered by the log scrubber at
once, so no log line can show it.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from isr_desk.domain import Preset
from isr_desk.services import logsafe

_SECRET_PARAMS = ("secret", "token")


@dataclass(frozen=True, slots=True)
class Pasted:
    """What a pasted line says. ``secret`` is "" when it carries none."""

    base_url: str
    route: str
    secret: str
    preset: Preset

    def __repr__(self) -> str:  # never print the secret
        return f"Pasted({self.base_url!r}, {self.route!r}, secret=•••, {self.preset.value})"


def split_pasted(text: str) -> Pasted | None:
    """The parts of a pasted webhook URL or cURL command; None when it is just an address."""
    line = text.strip()
    if line.startswith("curl ") or line == "curl":
        return _from_curl(line)
    return _from_url(line, bearer="", method="POST")


def _from_url(url: str, *, bearer: str, method: str) -> Pasted | None:
    if not url.startswith(("http://", "https://")):
        return None
    try:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return None
    secret = next((v for k, v in query if k.lower() in _SECRET_PARAMS and v), "")
    route = parts.path.rstrip("/")
    if not (secret or bearer) and not route:
        return None  # a plain site address: nothing to split
    if bearer:
        secret, preset = bearer, Preset.BEARER
    elif method == "GET":
        preset = Preset.PAGES_ROUTER
    else:
        preset = Preset.APP_ROUTER
    if secret:
        logsafe.remember(secret)
    return Pasted(f"{parts.scheme}://{parts.netloc}", route or "/api/revalidate", secret, preset)


def _from_curl(line: str) -> Pasted | None:
    try:
        words = shlex.split(line)
    except ValueError:
        return None
    url, bearer, method, data = "", "", "", False
    for word, following in zip(words, [*words[1:], ""], strict=True):
        if word in ("-X", "--request"):
            method = following.upper()
        elif word in ("-H", "--header") and following.lower().startswith("authorization:"):
            value = following.split(":", 1)[1].strip()
            if value.lower().startswith("bearer "):
                bearer = value[7:].strip()
        elif word in ("-d", "--data", "--data-raw", "--json"):
            data = True
        elif word.startswith(("http://", "https://")) and not url:
            url = word
    method = method or ("POST" if data else "GET")
    return _from_url(url, bearer=bearer, method=method) if url else None
