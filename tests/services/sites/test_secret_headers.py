"""Secret headers in the sites package: names checked and stored in the profile, values in
one keyring entry per site, previews with ``•••``, requests that carry and redact them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from isr_desk.domain import REDACTED, SiteProfile, Target
from isr_desk.services.errors import InvalidProfileError, SecretError, SecretMissingError
from isr_desk.services.sites import (
    HEADERS_SERVICE,
    ProfileStore,
    SecretHeaders,
    SecretStore,
    build_request,
    preview_request,
    profile_from_dict,
    profile_to_dict,
    to_curl,
    validate_profile,
    with_secret_headers,
)
from tests.helpers.keyrings import MemoryKeyring

HEADER = "x-vercel-protection-bypass"
VALUE = "bypass-unit-1a2b3c4d"


def test_names_are_checked() -> None:
    site = SiteProfile("Blog", "https://blog.example.com")
    for names, words in (
        ((HEADER, HEADER.upper()), "listed twice"),
        (("x bypass",), "not an HTTP header name"),
        (("Content-Type",), "sets the header"),
    ):
        with pytest.raises(InvalidProfileError, match=words):
            validate_profile(SiteProfile("Blog", site.base_url, secret_headers=names))
    both = SiteProfile(
        "Blog", site.base_url, headers=(("X-Team", "web"),), secret_headers=("x-team",)
    )
    with pytest.raises(InvalidProfileError, match="both an extra header and a secret header"):
        validate_profile(both)


def test_the_profile_file_holds_the_names_only() -> None:
    profile = SiteProfile("Blog", "https://blog.example.com", secret_headers=(HEADER,))
    data = profile_to_dict(with_values(profile))
    assert data["secret_headers"] == [HEADER]
    assert VALUE not in json.dumps(data)
    assert profile_from_dict(data).secret_headers == (HEADER,)
    assert "secret_headers" not in profile_to_dict(SiteProfile("Plain", "https://x.example"))


def with_values(profile: SiteProfile) -> SiteProfile:
    from dataclasses import replace

    return replace(profile, secret_values=((HEADER, VALUE),))


def test_one_keyring_entry_per_site(memory_keyring: MemoryKeyring) -> None:
    store = SecretHeaders(SecretStore(memory_keyring).header_entries())
    store.set("Blog", HEADER, VALUE)
    store.set("Blog", "Cookie", "a=b")
    assert json.loads(memory_keyring.get_password(HEADERS_SERVICE, "Blog") or "") == {
        HEADER: VALUE, "Cookie": "a=b"
    }  # fmt: skip
    assert store.remove("Blog", "cookie")
    assert not store.remove("Blog", "cookie")
    assert store.remove("Blog", HEADER)
    assert memory_keyring.get_password(HEADERS_SERVICE, "Blog") is None
    with pytest.raises(SecretError, match="characters a header cannot carry"):
        store.set("Blog", HEADER, "ünïcode")


def test_a_run_profile_gets_the_values_or_says_what_is_missing(
    memory_keyring: MemoryKeyring, tmp_path: Path
) -> None:
    secrets = SecretStore(memory_keyring)
    store = ProfileStore(tmp_path / "p.json", secrets=secrets)
    profile = store.add(SiteProfile("Blog", "https://blog.example.com", secret_headers=(HEADER,)))
    with pytest.raises(SecretMissingError, match=f"secret header '{HEADER}'") as missing:
        with_secret_headers(profile, store.secret_headers)
    assert f"--secret-header {HEADER}" in (missing.value.hint or "")
    store.secret_headers.set("Blog", HEADER, VALUE)
    loaded = with_secret_headers(profile, store.secret_headers)
    assert loaded.secret_values == ((HEADER, VALUE),)
    assert loaded == profile  # the values are not part of what a profile is
    assert VALUE not in repr(loaded)


def test_requests_carry_the_value_and_every_shown_form_says_dots() -> None:
    profile = with_values(SiteProfile("Blog", "https://blog.example.com", secret_headers=(HEADER,)))
    request = build_request(profile, Target.path("/a"), "s3cret")
    assert (HEADER, VALUE) in request.headers
    shown = request.redacted()
    assert (HEADER, REDACTED) in shown.headers
    assert VALUE not in to_curl(request)
    stored = SiteProfile("Blog", "https://blog.example.com", secret_headers=(HEADER,))
    assert (HEADER, REDACTED) in preview_request(stored).headers
    assert all(k != HEADER for k, _ in build_request(stored, Target.path("/a"), "s").headers)
