"""Copy as cURL: secret redacted by default, inserted only when asked, quoting that survives."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest

from isr_desk.domain import (
    REDACTED,
    Endpoint,
    PreparedRequest,
    Preset,
    SecretPlacement,
    SiteProfile,
    Target,
)
from isr_desk.services.sites import api_path, build_request, to_curl
from tests.helpers.sites import LoopbackSite

SECRET = "s3 cr&t/+=x"  # characters that need URL-encoding and shell quoting


def profile(preset: Preset = Preset.APP_ROUTER, **endpoint: object) -> SiteProfile:
    return SiteProfile(
        "Blog", "http://127.0.0.1:3000", endpoint=Endpoint(preset=preset, **endpoint)
    )  # type: ignore[arg-type]


def argv(command: str) -> list[str]:
    """The words a real shell (bash) makes of ``command``; ``curl`` is not run."""
    assert command.startswith("curl ")
    script = "curl() { printf '%s\\0' curl \"$@\"; }\n" + command
    out = subprocess.run(
        ["bash", "-c", script], capture_output=True, check=True, timeout=30
    ).stdout.decode("utf-8")
    return out.split("\0")[:-1]


def option_values(words: list[str], flag: str) -> list[str]:
    return [words[i + 1] for i, w in enumerate(words) if w == flag]


def test_app_router_secret_redacted_by_default() -> None:
    request = build_request(profile(), Target.path("/blog/a"), SECRET)
    for given in (request, request.redacted()):  # a request still holding its secret too
        command = to_curl(given)
        assert SECRET not in command
        assert shlex.quote(SECRET) not in command
        words = argv(command)
        assert words[:3] == ["curl", "-X", "POST"]
        assert parse_qs(urlsplit(words[3]).query)["secret"] == [REDACTED]
        assert json.loads(option_values(words, "--data-raw")[0]) == {"path": "/blog/a"}
        assert "Content-Type: application/json" in option_values(words, "-H")


def test_explicit_secret_goes_where_the_dots_are() -> None:
    request = build_request(profile(), Target.tag("posts"), SECRET).redacted()
    words = argv(to_curl(request, secret=SECRET))
    assert parse_qs(urlsplit(words[3]).query)["secret"] == [SECRET]
    assert json.loads(option_values(words, "--data-raw")[0]) == {"tag": "posts"}
    assert REDACTED not in " ".join(words)


def test_bearer_header_placement() -> None:
    request = build_request(profile(Preset.BEARER), Target.path("/"), SECRET)
    assert "Authorization: Bearer •••" in option_values(argv(to_curl(request)), "-H")
    shown = option_values(argv(to_curl(request, secret=SECRET)), "-H")
    assert f"Authorization: Bearer {SECRET}" in shown


def test_pages_router_get_has_no_method_or_body() -> None:
    request = build_request(profile(Preset.PAGES_ROUTER), Target.path("/a b"), SECRET)
    words = argv(to_curl(request, secret=SECRET))
    assert "-X" not in words
    assert "--data-raw" not in words
    assert parse_qs(urlsplit(words[1]).query) == {"secret": [SECRET], "path": ["/a b"]}


def test_secret_in_a_json_body_is_json_escaped() -> None:
    secret = 'a"b\\c'
    request = PreparedRequest(
        "POST",
        "http://127.0.0.1:3000/hook",
        (("Content-Type", "application/json"),),
        json.dumps({"path": "/a", "token": REDACTED}, ensure_ascii=False).encode(),
        (Target.path("/a"),),
    )
    body = option_values(argv(to_curl(request, secret=secret)), "--data-raw")[0]
    assert json.loads(body) == {"path": "/a", "token": secret}


def test_custom_header_placement_and_template() -> None:
    custom = profile(
        Preset.CUSTOM,
        url_template="{url}/hooks/revalidate",
        path_body_template='{"slug": "{path}", "key": "{secret}"}',
        secret_placement=SecretPlacement.HEADER,
        secret_name="X-Revalidate-Token",
    )
    request = build_request(custom, Target.path("/a"), "tok-123")
    words = argv(to_curl(request))
    assert "X-Revalidate-Token: •••" in option_values(words, "-H")
    assert json.loads(option_values(words, "--data-raw")[0]) == {"slug": "/a", "key": REDACTED}
    words = argv(to_curl(request, secret="tok-123"))
    assert "X-Revalidate-Token: tok-123" in option_values(words, "-H")
    assert json.loads(option_values(words, "--data-raw")[0])["key"] == "tok-123"


@pytest.mark.parametrize(
    "path", ["/it's here", '/"quoted" $HOME `id` ;rm -rf', "/ünïcode/ä b", "/a\nb"]
)
def test_quoting_survives_the_shell(path: str) -> None:
    request = build_request(profile(), Target.path(path), SECRET)
    words = argv(to_curl(request))
    sent = api_path(path)  # non-ASCII travels percent-encoded (docs/conventions.md)
    assert json.loads(option_values(words, "--data-raw")[0]) == {"path": sent}


def test_multiline_is_the_same_command() -> None:
    request = build_request(profile(Preset.BEARER), Target.path("/x"), SECRET)
    multi = to_curl(request, multiline=True)
    assert multi.count(" \\\n  ") >= 3
    assert argv(multi) == argv(to_curl(request))


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_copied_command_really_revalidates(site: LoopbackSite) -> None:
    site_profile = SiteProfile("Loop", site.url)
    request = build_request(site_profile, Target.path("/blog/it's"), site.secret)

    redacted = subprocess.run(
        to_curl(request) + " -s -o /dev/null -w '%{http_code}'",
        shell=True, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert redacted.stdout == "401"

    real = subprocess.run(
        to_curl(request, secret=site.secret) + " -s",
        shell=True, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert json.loads(real.stdout)["revalidated"] is True
    assert site.revalidated == ["path:/blog/it's"]
