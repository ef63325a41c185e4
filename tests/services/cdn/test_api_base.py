"""The API addresses: the providers' own by default; another (tests) only https or loopback,
so a token never travels in the clear."""

from __future__ import annotations

import pytest

from isr_desk.services.cdn import CdnError, api_base

DEFAULT = "https://api.cloudflare.com/client/v4"


def test_the_default_is_the_provider_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ISR_DESK_CLOUDFLARE_API", raising=False)
    assert api_base(DEFAULT, "ISR_DESK_CLOUDFLARE_API") == DEFAULT


@pytest.mark.parametrize(
    "base", ["http://127.0.0.1:8080/", "http://localhost:1", "https://cf.test/client/v4"]
)
def test_loopback_http_or_any_https_is_taken(base: str) -> None:
    assert api_base(DEFAULT, "X", base) == base.rstrip("/")


@pytest.mark.parametrize("base", ["http://10.0.0.5/x", "http://evil.example", "ftp://x", "nope"])
def test_plain_http_elsewhere_or_a_non_url_is_refused(
    base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISR_DESK_CLOUDFLARE_API", base)
    with pytest.raises(CdnError):
        api_base(DEFAULT, "ISR_DESK_CLOUDFLARE_API")
