"""Turn a request into a copy-pasteable ``curl`` command ("Copy as cURL").

The secret is shown as ``•••`` unless the caller passes it explicitly: then it is put back
where the placeholder stands *as a whole value* — a query parameter's value (URL-encoded), a
header's value or its ``Bearer •••`` credentials, a JSON string (escaped) — never where
``•••`` is only part of a target path or tag (docs/reliability.md).
Every argument is quoted with :func:`shlex.quote`, so any path, tag or header survives.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Collection
from urllib.parse import quote

from isr_desk.domain import REDACTED, PreparedRequest

__all__ = ["to_curl"]


def to_curl(
    request: PreparedRequest,
    *,
    secret: str | None = None,
    multiline: bool = False,
    others: Collection[str] = (),
) -> str:
    """A shell command that sends ``request``; the secret only when ``secret`` is given.

    ``others``: names of headers whose ``•••`` is not the site's secret (its secret headers,
    services/sites/_secret_headers.py): they stay ``•••``, never filled with the secret."""
    shown = request.redacted()
    url, headers, body = shown.url, list(shown.headers), shown.body
    if secret:
        url = _QUERY_VALUE.sub(lambda m: m.group(1) + quote(secret, safe=""), url)
        # Only where the secret was: a credential-looking extra header blanked as ••• by
        # redaction is not the site's secret (docs/reliability.md, "Credential headers").
        known = request.secret  # None: redacted already, every ••• may be the secret
        skip = {n.lower() for n in others}
        held = [(known is None or known in v) and k.lower() not in skip for k, v in request.headers]
        headers = [
            (k, _fill_header(v, secret) if had else v)
            for (k, v), had in zip(headers, held, strict=True)
        ]
        if body is not None:
            body = _fill_body(body, secret, _is_json(headers))
    first = ["curl"]
    if shown.method != "GET" or body is not None:
        first += ["-X", shown.method]
    groups = [[*first, url]]
    groups += [["-H", f"{name}: {value}"] for name, value in headers]
    if body is not None:
        # --data-raw: a body starting with '@' must not be read as a file name.
        groups.append(["--data-raw", body.decode("utf-8", errors="replace")])
    lines = [" ".join(shlex.quote(arg) for arg in group) for group in groups]
    return (" \\\n  " if multiline else " ").join(lines)


def _is_json(headers: list[tuple[str, str]]) -> bool:
    return any(k.lower() == "content-type" and "json" in v.lower() for k, v in headers)


_QUERY_VALUE = re.compile("([?&;][^=&#?]*=)" + REDACTED + "(?=[&;#]|$)")
_CREDENTIALS = re.compile(r"^((?:[A-Za-z][\w-]*\s+)?)" + REDACTED + "$")


def _fill_header(value: str, secret: str) -> str:
    return _CREDENTIALS.sub(lambda m: m.group(1) + secret, value)


def _fill_body(body: bytes, secret: str, as_json: bool) -> bytes:
    text = body.decode("utf-8", errors="replace")
    if as_json:  # a JSON string that is the placeholder, not a path that contains it
        value = json.dumps(secret, ensure_ascii=False)
        return text.replace(f'"{REDACTED}"', value).encode("utf-8")
    if text == REDACTED:
        return secret.encode("utf-8")
    return _QUERY_VALUE.sub(lambda m: m.group(1) + secret, "?" + text)[1:].encode("utf-8")
