"""A site's extra headers never hold a credential (docs/reliability.md, "Credential headers").

A profile is a plain file that is exported, shared and shown; a secret lives in the keyring
only. So an extra header whose name looks like a credential (``Authorization``, ``Cookie``,
``X-Api-Key``, ``*token*``, ``*secret*``, ``*auth*`` …: :func:`~isr_desk.domain.
is_credential_header`) is refused wherever one is entered — ``site add/edit --header``, an
inline site's ``--header``, the site dialog, an import — with the way to keep it in the
keyring instead: the ``bearer`` preset, or a custom route's secret in a header. A profile
stored before this rule keeps working; its value is shown as ``•••`` everywhere and left out
of exports (:func:`without_credentials`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from isr_desk.domain import REDACTED, SiteProfile, is_credential_header
from isr_desk.services.errors import InvalidProfileError

KEEP_IN_KEYRING = (
    "Keep it in the keyring as a secret header: `isr-desk site edit NAME --secret-header "
    "HEADER` (its value is asked without echo, or --secret-header-env HEADER=VAR), or "
    "“Secret headers” in the site's settings; it is sent on every request to the site. If it "
    "is the revalidation secret itself: the bearer preset sends "
    "Authorization: Bearer SECRET; a custom route sends it in any header "
    "(--preset custom --secret-in header --secret-name NAME, or “In a header” in the "
    "site's settings) — then `isr-desk secret set NAME`, or --secret-env VAR for a run; a "
    "stored site loses the header with `site edit NAME --header ''`"
)


def check_headers(headers: Iterable[tuple[str, str]], *, site: str = "") -> None:
    """Raise :class:`InvalidProfileError` for the first header that looks like a credential.

    The message names the header, never its value."""
    for name, _ in headers:
        if is_credential_header(name):
            of = f" of site {site!r}" if site else ""
            raise InvalidProfileError(
                f"The header {name!r}{of} looks like a credential: a site's extra headers are "
                "stored in clear (profile file, exports, `site show`)",
                hint=KEEP_IN_KEYRING,
            )


def credential_headers(profile: SiteProfile) -> list[str]:
    """The names of ``profile``'s extra headers that look like credentials."""
    return [name for name, _ in profile.headers if is_credential_header(name)]


def without_credentials(profile: SiteProfile) -> SiteProfile:
    """``profile`` without the extra headers that look like credentials (an export)."""
    if not credential_headers(profile):
        return profile
    kept = tuple((k, v) for k, v in profile.headers if not is_credential_header(k))
    return replace(profile, headers=kept)


def shown_headers(profile: SiteProfile) -> tuple[tuple[str, str], ...]:
    """``profile``'s extra headers as they may be shown: a credential's value as ``•••``."""
    return tuple((k, REDACTED if is_credential_header(k) else v) for k, v in profile.headers)
