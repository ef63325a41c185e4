"""Issue 14 (route shapes, send what works) and issue 15 item 9 (one-pass templates).

Request shaping is checked through ``httpx.MockTransport`` and the real engine, so what is
asserted is what goes on the wire.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from isr_desk.domain import Endpoint, Outcome, Preset, SecretPlacement, SiteProfile, Target
from isr_desk.services.errors import EndpointError, InvalidProfileError
from isr_desk.services.revalidation import Revalidator, RunOptions
from isr_desk.services.sites import (
    ProfileStore,
    TargetError,
    api_path,
    build_request,
    build_requests,
    describe,
    parse_target,
    parse_targets,
    preview_request,
    public_path,
    validate_profile,
)

SECRET = "s3cret-token"


def custom(**fields: object) -> SiteProfile:
    return SiteProfile("s", "https://site.example", Endpoint(Preset.CUSTOM, **fields))  # type: ignore[arg-type]


def sent(profile: SiteProfile, *targets: Target, reply: int = 200) -> list[httpx.Request]:
    """Run the real engine over a MockTransport; the requests it put on the wire."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(reply, json={"revalidated": True} if reply == 200 else {})

    async def main() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            run = Revalidator(client).start(profile, SECRET, list(targets), RunOptions(retries=0))
            async for _ in run:
                pass

    asyncio.run(main())
    return seen


# --- the form each API needs ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ("/shop/blog/x", {"base_path": "/shop"}, "/blog/x"),  # App Router: never the base path
        ("/shop", {"base_path": "/shop"}, "/"),
        ("/shopping", {"base_path": "/shop"}, "/shopping"),  # only a whole segment
        ("/en/blog/x", {"trailing_slash": True}, "/en/blog/x/"),
        ("/feed.xml", {"trailing_slash": True}, "/feed.xml"),  # a file keeps no slash
        ("/blog/x/", {}, "/blog/x"),
        ("/blog/über-café", {}, "/blog/%C3%BCber-caf%C3%A9"),  # as the .meta implicit tag
        ("/blog/%C3%BCber", {}, "/blog/%C3%BCber"),  # already encoded: not twice
        ("/blog/über", {"encode": False}, "/blog/über"),
        ("/[lang]/blog/[slug]", {"trailing_slash": True}, "/[lang]/blog/[slug]"),
        ("/blog/x?utm_source=a", {}, "/blog/x"),
    ],
)
def test_api_path(value: str, kwargs: dict[str, object], expected: str) -> None:
    assert api_path(value, **kwargs) == expected  # type: ignore[arg-type]


def test_public_path_has_the_base_path_once_and_the_slash() -> None:
    assert public_path("/shop/blog/x", base_path="/shop") == "/shop/blog/x"
    assert public_path("/blog/x", base_path="/shop", trailing_slash=True) == "/shop/blog/x/"
    assert public_path("/", base_path="/shop") == "/shop"
    assert public_path("/", base_path="/shop", trailing_slash=True) == "/shop/"


def test_a_pasted_url_of_another_host_is_refused() -> None:
    site = SiteProfile("shop", "https://shop.example/shop", instances=("http://10.0.0.2:3000",))
    with pytest.raises(TargetError, match="not on this site") as info:
        parse_target("https://evil.example/shop/blog/x", site=site)
    assert "shop.example" in info.value.message
    assert parse_target("http://10.0.0.2:3000/shop/a", site=site) == Target.path("/shop/a")
    parsed = parse_targets("https://shop.example/shop/a?utm_source=x#top\n/b?x=1", site=site)
    assert parsed.targets == (Target.path("/shop/a"), Target.path("/b"))
    assert len(parsed.notes) == 2
    assert "query and fragment were dropped" in parsed.notes[0]


def test_pasted_url_with_base_path_reaches_the_route_without_it() -> None:
    profile = SiteProfile("shop", "https://shop.example/shop", base_path="/shop")
    target = parse_target("https://shop.example/shop/blog/x?utm_source=news", site=profile)
    (request,) = sent(profile, target)
    assert request.url.path == "/shop/api/revalidate"  # the route is under the base path
    assert json.loads(request.content) == {"path": "/blog/x"}  # the path is not


# --- route shapes -----------------------------------------------------------------------------


def test_docs_get_route_takes_path_or_tag_in_one_profile() -> None:
    profile = SiteProfile("s", "https://site.example", Endpoint(Preset.GET_QUERY))
    by_path, by_tag = sent(profile, Target.path("/blog/x"), Target.tag("posts"))
    assert by_path.method == by_tag.method == "GET"
    assert dict(by_path.url.params) == {"secret": SECRET, "path": "/blog/x"}
    assert dict(by_tag.url.params) == {"secret": SECRET, "tag": "posts"}


def test_custom_profile_with_separate_path_and_tag_templates() -> None:
    profile = custom(
        method="GET",
        url_template="{url}/api/revalidate?path={path}",
        tag_url_template="{url}/api/revalidate?tag={tag}",
    )
    by_path, by_tag = sent(profile, Target.path("/a"), Target.tag("posts"))
    assert dict(by_path.url.params) == {"path": "/a", "secret": SECRET}
    assert dict(by_tag.url.params) == {"tag": "posts", "secret": SECRET}


def test_a_placeholder_the_request_cannot_fill_is_an_error_never_sent_literally() -> None:
    both = custom(url_template="{url}/api/revalidate?path={path}&tag={tag}")
    with pytest.raises(InvalidProfileError, match=r"\{tag\}"):
        validate_profile(both)
    with pytest.raises(InvalidProfileError, match=r"\{pth\}"):
        validate_profile(custom(url_template="{url}/r?path={pth}"))
    with pytest.raises(EndpointError):
        build_request(both, Target.path("/a"), SECRET)


def test_a_tag_only_template_works_for_add_show_and_preview() -> None:
    profile = validate_profile(
        custom(url_template="", tag_url_template="{url}/api/revalidate-tag?tag={tag}")
    )
    shown = preview_request(profile)
    assert "tag=posts" in shown.url
    assert describe(profile).startswith("POST https://site.example/api/revalidate-tag?tag=posts")
    with pytest.raises(EndpointError, match="takes no paths"):
        build_request(profile, Target.path("/a"), SECRET)


def test_templates_are_filled_in_one_pass_so_a_value_never_receives_the_secret() -> None:
    profile = custom(
        path_body_template='{"path": "{path}"}',
        secret_placement=SecretPlacement.HEADER,
        secret_name="x-revalidate-token",
    )
    (request,) = sent(profile, Target.path("/blog/{secret}"))
    assert json.loads(request.content) == {"path": "/blog/{secret}"}
    assert SECRET.encode() not in request.content
    url_profile = custom(
        url_template="{url}/r?p={path}&u={url}",
        secret_placement=SecretPlacement.TEMPLATE,
        path_body_template='{"k": "{secret}"}',
    )
    request = build_request(url_profile, Target.path("/{url}/{secret}"), SECRET)
    assert httpx.URL(request.url).params["p"] == "/{url}/{secret}"


def test_batch_mode_is_always_plural_even_for_one_item() -> None:
    profile = SiteProfile("s", "https://site.example", Endpoint(batch_size=10))
    (one,) = build_requests(profile, [Target.tag("posts")], SECRET)
    assert json.loads(one.body or b"") == {"tags": ["posts"]}
    custom_batch = custom(batch_size=5)
    (two,) = build_requests(custom_batch, [Target.path("/a")], SECRET)
    assert json.loads(two.body or b"") == {"paths": ["/a"]}


def test_pattern_travels_with_type_page() -> None:
    profile = SiteProfile("s", "https://site.example", Endpoint(Preset.BEARER))
    request = build_request(profile, Target.path("/[lang]/blog/[slug]"), SECRET)
    assert json.loads(request.body or b"") == {"path": "/[lang]/blog/[slug]", "type": "page"}
    pages = SiteProfile("s", "https://site.example", Endpoint(Preset.PAGES_ROUTER))
    with pytest.raises(EndpointError, match="exact paths"):
        build_request(pages, Target.path("/blog/[slug]"), SECRET)


@pytest.mark.parametrize(
    ("profile", "where"),
    [
        (
            custom(secret_placement=SecretPlacement.HEADER, secret_name="x-revalidate-token"),
            "header `x-revalidate-token`",
        ),
        (SiteProfile("s", "https://site.example"), "query parameter `secret`"),
        (SiteProfile("s", "https://site.example", Endpoint(Preset.BEARER)), "`Authorization`"),
    ],
)
@pytest.mark.parametrize("status", [401, 403])
def test_401_and_403_are_a_wrong_secret_naming_where_it_was_sent(
    profile: SiteProfile, where: str, status: int
) -> None:
    seen: list[object] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"message": "Forbidden"})

    async def main() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            run = Revalidator(client).start(
                profile, SECRET, [Target.path("/a")], RunOptions(retries=0)
            )
            seen.extend([r async for r in run])

    asyncio.run(main())
    (result,) = seen
    assert result.outcome is Outcome.WRONG_SECRET  # type: ignore[attr-defined]
    assert where in (result.hint or "")  # type: ignore[attr-defined]
    assert SECRET not in (result.hint or "")  # type: ignore[attr-defined]


# --- profiles file ------------------------------------------------------------------------------


def test_version_1_file_is_migrated_to_path_and_tag_templates(tmp_path: Path) -> None:
    old = {
        "version": 1,
        "profiles": [
            {
                "name": "docs",
                "base_url": "https://site.example",
                "endpoint": {
                    "preset": "custom",
                    "method": "GET",
                    "url_template": "{url}/api/revalidate?secret={secret}&path={path}&tag={tag}",
                    "secret_placement": "template",
                },
            },
            {
                "name": "tags",
                "base_url": "https://site.example",
                "endpoint": {"preset": "custom", "url_template": "{url}/purge?tag={tag}"},
            },
        ],
    }
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps(old))
    docs, tags = ProfileStore(path).list()
    assert docs.endpoint.url_template == "{url}/api/revalidate?secret={secret}&path={path}"
    assert docs.endpoint.tag_url_template == "{url}/api/revalidate?secret={secret}&tag={tag}"
    assert (tags.endpoint.url_template, tags.endpoint.tag_url_template) == (
        "",
        "{url}/purge?tag={tag}",
    )
    by_tag = build_request(docs, Target.tag("posts"), SECRET)
    assert dict(httpx.URL(by_tag.url).params) == {"secret": SECRET, "tag": "posts"}


def test_conventions_round_trip_through_the_file(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "profiles.json")
    store.add(
        SiteProfile("shop", "https://shop.example/shop", base_path="shop/", trailing_slash=True)
    )
    shop = store.get("shop")
    assert (shop.base_path, shop.trailing_slash, shop.encode_paths) == ("/shop", True, True)
    with pytest.raises(InvalidProfileError, match="Base path"):
        validate_profile(SiteProfile("x", "https://x.example", base_path="/a b"))


def test_an_instance_without_the_base_path_still_reaches_the_route() -> None:
    profile = SiteProfile(
        "shop", "https://shop.example/shop", base_path="/shop", instances=("http://10.0.0.2:3000",)
    )
    request = build_request(profile, Target.path("/blog/x"), SECRET, base_url=profile.instances[0])
    assert httpx.URL(request.url).path == "/shop/api/revalidate"
    assert json.loads(request.body or b"") == {"path": "/blog/x"}


# --- a route pattern needs revalidatePath's type ------------------------------------------------


def test_a_pattern_is_refused_where_the_route_cannot_be_given_its_type() -> None:
    """The docs' GET route calls ``revalidatePath(path)``: a pattern there answers true and
    changes nothing (seen on Next 14.2), so it is refused before anything is sent."""
    pattern = Target.path("/blog/[slug]")
    get_route = SiteProfile("s", "https://site.example", Endpoint(Preset.GET_QUERY))
    with pytest.raises(EndpointError, match="cannot pass its type"):
        build_request(get_route, pattern, SECRET)
    no_type = custom(path_body_template='{"path": "{path}"}')
    with pytest.raises(EndpointError, match="cannot pass its type"):
        build_request(no_type, pattern, SECRET)


def test_a_pattern_travels_with_its_type_where_the_route_takes_it() -> None:
    with_type = custom(path_body_template='{"path": "{path}", "type": "{type}"}')
    request = build_request(with_type, Target.path("/blog/[slug]"), SECRET)
    assert json.loads(request.body or b"") == {"path": "/blog/[slug]", "type": "page"}
    bearer = SiteProfile("s", "https://site.example", Endpoint(Preset.BEARER))
    request = build_request(bearer, Target.path("/blog/[slug]"), SECRET)
    assert json.loads(request.body or b"") == {"path": "/blog/[slug]", "type": "page"}
    # An exact path on the GET route is unaffected.
    get_route = SiteProfile("s", "https://site.example", Endpoint(Preset.GET_QUERY))
    assert (
        "path=%2Fblog%2Fhello" in build_request(get_route, Target.path("/blog/hello"), SECRET).url
    )


def test_a_custom_get_route_with_one_value_in_its_url_is_never_batched() -> None:
    """Batching ``GET {url}/api/r?path={path}`` sent /a only and reported /a, /b and /c as
    refreshed: every target gets its own request."""
    one = custom(
        method="GET",
        url_template="{url}/api/r?path={path}",
        tag_url_template="",
        path_body_template="",
        batch_size=5,
    )
    seen = sent(one, Target.path("/a"), Target.path("/b"), Target.path("/c"))
    assert sorted(r.url.params["path"] for r in seen) == ["/a", "/b", "/c"]
