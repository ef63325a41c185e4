"""A pasted webhook address or cURL command split into address, route and secret."""

from __future__ import annotations

from isr_desk.domain import Preset
from isr_desk.services import logsafe
from isr_desk.services.sites import split_pasted

SECRET = "s3cret-from-the-paste"


def test_a_webhook_url_is_split_and_its_secret_is_never_printed() -> None:
    pasted = split_pasted(f"  https://blog.example.com/api/revalidate?secret={SECRET}  ")
    assert pasted is not None
    assert (pasted.base_url, pasted.route, pasted.secret, pasted.preset) == (
        "https://blog.example.com",
        "/api/revalidate",
        SECRET,
        Preset.APP_ROUTER,
    )
    assert SECRET not in repr(pasted)
    assert SECRET not in logsafe.scrub(f"GET /api/revalidate?secret={SECRET}")


def test_a_curl_command_with_a_bearer_token_or_a_get() -> None:
    bearer = split_pasted(
        f"curl -X POST 'https://shop.example.org/api/refresh' -H 'Authorization: Bearer {SECRET}' "
        "-H 'Content-Type: application/json' --data-raw '{\"path\": \"/\"}'"
    )
    assert bearer is not None
    assert (bearer.base_url, bearer.route, bearer.secret, bearer.preset) == (
        "https://shop.example.org",
        "/api/refresh",
        SECRET,
        Preset.BEARER,
    )
    get = split_pasted(f"curl 'https://old.example.org/api/revalidate?secret={SECRET}&path=/'")
    assert get is not None
    assert get.preset is Preset.PAGES_ROUTER
    assert get.secret == SECRET


def test_a_plain_address_or_something_else_is_left_alone() -> None:
    assert split_pasted("https://blog.example.com") is None
    assert split_pasted("https://blog.example.com/") is None
    assert split_pasted("blog.example.com") is None
    assert split_pasted("curl 'unterminated") is None
    assert split_pasted("curl -X POST") is None
