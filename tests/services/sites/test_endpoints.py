"""Request shaping per preset (docs/nextjs.md, "The route a site exposes"), through httpx too."""

from __future__ import annotations

import json

import httpx
import pytest

from isr_desk.domain import Endpoint, Preset, SecretPlacement, SiteProfile, Target
from isr_desk.services.errors import EndpointError
from isr_desk.services.sites import _endpoints as endpoints

SECRET = "s3cr&t/=x"


def profile(preset: Preset = Preset.APP_ROUTER, **endpoint: object) -> SiteProfile:
    return SiteProfile("site", "https://example.com/", Endpoint(preset=preset, **endpoint))  # type: ignore[arg-type]


def body(request: object) -> object:
    return json.loads(request.body)  # type: ignore[attr-defined]


def test_app_router_path_and_tag() -> None:
    req = endpoints.build_request(profile(), Target.path("/blog/a b"), SECRET)
    assert req.method == "POST"
    url = httpx.URL(req.url)
    assert url.path == "/api/revalidate"
    assert url.params["secret"] == SECRET
    assert body(req) == {"path": "/blog/a b"}
    assert ("Content-Type", "application/json") in req.headers
    tag = endpoints.build_request(profile(), Target.tag("posts"), SECRET)
    assert body(tag) == {"tag": "posts"}


def test_pages_router_is_a_get_with_query_and_refuses_tags() -> None:
    p = profile(Preset.PAGES_ROUTER, path="/api/revalidate-pages")
    req = endpoints.build_request(p, Target.path("/legacy/1?x=1&y=2"), SECRET)
    url = httpx.URL(req.url)
    assert (req.method, req.body, url.path) == ("GET", None, "/api/revalidate-pages")
    assert url.params["path"] == "/legacy/1"  # a revalidation names a page, not a query
    assert url.params["secret"] == SECRET
    with pytest.raises(EndpointError, match="cannot revalidate cache tags"):
        endpoints.build_request(p, Target.tag("posts"), SECRET)


def test_bearer_keeps_the_secret_out_of_the_url() -> None:
    req = endpoints.build_request(profile(Preset.BEARER), Target.tag("posts"), SECRET)
    assert SECRET not in req.url
    assert ("Authorization", f"Bearer {SECRET}") in req.headers
    assert not endpoints.secret_in_query(profile(Preset.BEARER))
    assert endpoints.secret_in_query(profile())


def test_custom_templates_escape_each_placeholder_for_where_it_goes() -> None:
    p = profile(
        Preset.CUSTOM,
        method="PUT",
        url_template="{url}/hooks/purge?page={path}",
        path_body_template='{"page": "{path}", "key": "{secret}"}',
        secret_placement=SecretPlacement.TEMPLATE,
    )
    req = endpoints.build_request(p, Target.path('/a"b&c=d'), SECRET)
    assert req.method == "PUT"
    assert httpx.URL(req.url).params["page"] == '/a"b&c=d'
    assert body(req) == {"page": '/a"b&c=d', "key": SECRET}


@pytest.mark.parametrize(
    ("placement", "name", "expected"),
    [
        (SecretPlacement.HEADER, "x-revalidate-token", ("x-revalidate-token", SECRET)),
        (SecretPlacement.HEADER, "Authorization", ("Authorization", f"Bearer {SECRET}")),
    ],
)
def test_custom_secret_in_a_header(
    placement: SecretPlacement, name: str, expected: tuple[str, str]
) -> None:
    p = profile(Preset.CUSTOM, secret_placement=placement, secret_name=name)
    req = endpoints.build_request(p, Target.path("/a"), SECRET)
    assert expected in req.headers
    assert SECRET not in req.url


def test_custom_template_without_tag_placeholder_refuses_tags() -> None:
    p = profile(Preset.CUSTOM, url_template="{url}/r?p={path}", tag_body_template="")
    with pytest.raises(EndpointError, match="cannot carry a tag"):
        endpoints.build_request(p, Target.tag("t"), SECRET)


def test_batch_mode_groups_paths_and_tags() -> None:
    p = profile(batch_size=2)
    targets = [Target.path("/a"), Target.tag("t1"), Target.path("/b"), Target.path("/c")]
    reqs = endpoints.build_requests(p, targets, SECRET)
    assert [body(r) for r in reqs] == [
        {"paths": ["/a", "/b"]},
        {"paths": ["/c"]},  # batch mode is always plural, even for one item
        {"tags": ["t1"]},
    ]
    assert [len(r.targets) for r in reqs] == [2, 1, 1]


def test_redacted_request_hides_the_secret_everywhere() -> None:
    for preset in (Preset.APP_ROUTER, Preset.BEARER, Preset.PAGES_ROUTER):
        req = endpoints.build_request(profile(preset), Target.path("/a"), SECRET).redacted()
        shown = req.url + repr(req.headers) + (req.body or b"").decode()
        assert SECRET not in shown
        assert "s3cr%26t" not in shown
        assert "•••" in shown


def test_preview_never_needs_a_secret() -> None:
    req = endpoints.preview_request(profile(Preset.BEARER))
    assert ("Authorization", "Bearer •••") in req.headers


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"path": "api/revalidate"}, "must start with '/'"),
        ({"batch_size": 5000}, "Batch size"),
    ],
)
def test_invalid_endpoints_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(EndpointError, match=message):
        endpoints.build_request(profile(**change), Target.path("/a"), SECRET)


def test_a_base_url_that_is_not_http_is_refused() -> None:
    p = SiteProfile("s", "ftp://example.com")
    with pytest.raises(EndpointError, match="not an http"):
        endpoints.build_request(p, Target.path("/a"), SECRET)
