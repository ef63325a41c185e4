"""Secret headers: a site's extra headers whose values live only in the OS keyring.

A site behind Vercel Deployment Protection needs ``x-vercel-protection-bypass: <secret>`` on
every request beside the revalidation secret; some sites need a ``Cookie`` or an API
gateway's key. A credential in a plain ``--header`` is refused (:mod:`._headers`), so these
are kept apart (docs/reliability.md, "Credential headers"):

- the profile stores their **names** (``SiteProfile.secret_headers``);
- the keyring stores their **values**: one entry per site under the service
  :data:`~._secrets.HEADERS_SERVICE` (username = the site's name), a JSON object
  ``{"x-vercel-protection-bypass": "…"}``. One entry per site means a rename, a duplicate
  or a removal of the site moves, copies or deletes them all at once, as the CDN token;
- :func:`with_secret_headers` fills the values into a run's profile, in memory only
  (``SiteProfile.secret_values``, never written, compared or shown). The network layer
  (services/http/_network.py) adds them to a request only when it goes to one of the site's
  own origins (its base URL and instances): never to a CDN API, a manifest on another host,
  or a redirect to another origin. Everything shown says ``•••``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING

from isr_desk.domain import REDACTED, SiteProfile
from isr_desk.services import logsafe
from isr_desk.services.errors import InvalidProfileError, SecretError, SecretMissingError

if TYPE_CHECKING:
    from isr_desk.services.sites._secrets import SecretStore

MAX_SECRET_HEADERS = 16
MAX_VALUE = 8 * 1024  # characters; servers refuse request heads over 8-16 KB
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP header name (RFC 9110 token)
_FIXED = frozenset({"host", "content-length", "content-type", "transfer-encoding", "user-agent"})


def check_names(profile: SiteProfile) -> tuple[str, ...]:
    """``profile``'s secret header names, trimmed; raises InvalidProfileError with what to fix."""
    names = tuple(n.strip() for n in profile.secret_headers)
    if len(names) > MAX_SECRET_HEADERS:
        raise InvalidProfileError(f"A site can have at most {MAX_SECRET_HEADERS} secret headers")
    seen: set[str] = set()
    plain = {k.lower() for k, _ in profile.headers}
    for name in names:
        check_secret_header_name(name)
        lower = name.lower()
        if lower in seen:
            raise InvalidProfileError(f"The secret header {name!r} is listed twice")
        if lower in plain:
            raise InvalidProfileError(
                f"{name!r} is both an extra header and a secret header",
                hint="Keep one: `site edit NAME --header ''` removes the extra headers",
            )
        seen.add(lower)
    return names


def check_secret_header_name(name: str) -> str:
    name = name.strip()
    if not _TOKEN.match(name):
        raise InvalidProfileError(
            f"{name[:60]!r} is not an HTTP header name",
            hint="For example x-vercel-protection-bypass (letters, digits and -)",
        )
    if name.lower() in _FIXED:
        raise InvalidProfileError(f"ISR Desk sets the header {name!r} itself")
    return name


def check_secret_header_value(name: str, value: str) -> str:
    """A secret header's value, trimmed; printable ASCII (what a header can carry)."""
    value = value.strip()
    if not value:
        raise SecretError(f"The value of the secret header {name!r} is empty")
    if len(value) > MAX_VALUE:
        raise SecretError(
            f"The value of the secret header {name!r} is {len(value)} characters long "
            f"(at most {MAX_VALUE})"
        )
    if not value.isascii() or any(not ch.isprintable() for ch in value):
        raise SecretError(
            f"The value of the secret header {name!r} has characters a header cannot carry",
            hint="Copy it again (only printable ASCII)",
        )
    return value


class SecretHeaders:
    """The values of each site's secret headers in the keyring (``entries``: the
    :data:`~._secrets.HEADERS_SERVICE` entries of a :class:`SecretStore`)."""

    def __init__(self, entries: SecretStore) -> None:
        self.entries = entries

    def values(self, site: str) -> dict[str, str]:
        """``{name: value}`` stored for ``site`` (empty when none)."""
        raw = self.entries.get(site)
        if raw is None:
            return {}
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in data.items()
            ):
                raise ValueError("not an object of texts")
        except ValueError:
            raise SecretError(
                f"The secret headers stored for site {site!r} cannot be read",
                hint=f"Set them again: `isr-desk site edit {site} --secret-header NAME`",
            ) from None
        for value in data.values():
            logsafe.remember(value)  # from now on no log line can show it
        return data

    def names(self, site: str) -> list[str]:
        """The names that have a value stored (never the values)."""
        return list(self.values(site))

    def set(self, site: str, name: str, value: str) -> None:
        name, value = check_secret_header_name(name), check_secret_header_value(name, value)
        logsafe.remember(value)
        data = {k: v for k, v in self.values(site).items() if k.lower() != name.lower()}
        data[name] = value
        self.entries.set(site, json.dumps(data))

    def remove(self, site: str, name: str) -> bool:
        """Delete the value of ``name``; False when none was stored."""
        data = self.values(site)
        kept = {k: v for k, v in data.items() if k.lower() != name.strip().lower()}
        if len(kept) == len(data):
            return False
        if kept:
            self.entries.set(site, json.dumps(kept))
        else:
            self.entries.delete(site)
        return True


def with_secret_headers(profile: SiteProfile, store: SecretHeaders) -> SiteProfile:
    """``profile`` with its secret headers' values from the keyring (in memory only).

    Raises :class:`SecretMissingError` when a name has no value stored."""
    if not profile.secret_headers:
        return profile
    stored = {k.lower(): v for k, v in store.values(profile.name).items()}
    missing = [n for n in profile.secret_headers if n.lower() not in stored]
    if missing:
        raise SecretMissingError(
            f"No value is stored for the secret header {missing[0]!r} of site {profile.name!r}",
            hint=f"Set it with `isr-desk site edit {profile.name} --secret-header {missing[0]}` "
            "or Set value… under Secret headers in the site's settings",
        )
    values = tuple((n, stored[n.lower()]) for n in profile.secret_headers)
    return replace(profile, secret_values=values)


def with_placeholders(profile: SiteProfile) -> SiteProfile:
    """``profile`` with ``•••`` for each secret header: what a preview or a dry run shows."""
    if not profile.secret_headers or profile.secret_values:
        return profile
    return replace(profile, secret_values=tuple((n, REDACTED) for n in profile.secret_headers))


def without_secret_header_names(profile: SiteProfile, names: Iterable[str]) -> SiteProfile:
    """``profile`` without the secret headers ``names`` (case-insensitive)."""
    gone = {n.strip().lower() for n in names}
    kept = tuple(n for n in profile.secret_headers if n.lower() not in gone)
    return replace(profile, secret_headers=kept, secret_values=())


def with_secret_header_names(profile: SiteProfile, names: Iterable[str]) -> SiteProfile:
    """``profile`` with the secret headers ``names`` added (a name already there stays once)."""
    have = {n.lower() for n in profile.secret_headers}
    added = [n.strip() for n in names if n.strip().lower() not in have]
    return replace(profile, secret_headers=(*profile.secret_headers, *dict.fromkeys(added)))
