"""Cloudflare's purge API, as its documentation shapes it (docs/cdn.md): the requests ISR Desk
sends (method, path, headers, one kind per call, batches of 100, prefixes of 30) and what
each documented answer becomes (success, 403 token, 400 envelope, 429 Retry-After)."""

from __future__ import annotations

from dataclasses import replace

import httpx

from isr_desk.domain import Outcome, PathPurge, Target
from tests.helpers.cdn import (
    CF_TOKEN,
    ZONE,
    FakeCloudflare,
    FakeTimer,
    cf_envelope,
    cf_rate_limited,
)
from tests.helpers.sites import Reply
from tests.services.cdn.conftest import SITE, cloudflare_site, purge_all, purger, run


def test_paths_are_purged_as_page_urls_and_tags_as_tags_one_kind_per_call() -> None:
    with FakeCloudflare() as api:

        async def scenario(client: httpx.AsyncClient) -> None:
            targets = [Target.path("/a"), Target.tag("posts"), Target.path("/b/c")]
            rows = await purge_all(purger(client, api.api), cloudflare_site(), CF_TOKEN, targets)
            assert [(r.target, r.ok, r.outcome, r.step) for r in rows] == [
                (Target.tag("posts"), True, Outcome.PURGED, "cdn: Cloudflare"),
                (Target.path("/a"), True, Outcome.PURGED, "cdn: Cloudflare"),
                (Target.path("/b/c"), True, Outcome.PURGED, "cdn: Cloudflare"),
            ]
            assert rows[0].status == 200
            assert rows[0].response["success"] is True

        run(scenario)
        first, second = api.requests
        assert (first.method, first.path) == ("POST", f"/client/v4/zones/{ZONE}/purge_cache")
        assert first.headers["authorization"] == f"Bearer {CF_TOKEN}"
        assert first.headers["content-type"] == "application/json"
        assert first.json() == {"tags": ["posts"]}
        assert second.json() == {"files": [f"{SITE}/a", f"{SITE}/b/c"]}
        assert api.purged == [("tags", ["posts"]), ("files", [f"{SITE}/a", f"{SITE}/b/c"])]


def test_urls_follow_the_public_address_base_path_and_trailing_slash() -> None:
    from dataclasses import replace

    profile = cloudflare_site(public_url="https://cdn.example.com")
    profile = replace(profile, base_path="/shop", trailing_slash=True)
    with FakeCloudflare() as api:
        run(lambda c: purge_all(purger(c, api.api), profile, CF_TOKEN, [Target.path("/a")]))
        assert api.requests[0].json() == {"files": ["https://cdn.example.com/shop/a/"]}


def test_250_urls_go_in_batches_of_100_and_prefixes_in_batches_of_30() -> None:
    paths = [Target.path(f"/p/{i}") for i in range(250)]
    with FakeCloudflare() as api:
        rows = run(lambda c: purge_all(purger(c, api.api), cloudflare_site(), CF_TOKEN, paths))
        assert [len(r.json()["files"]) for r in api.requests] == [100, 100, 50]
        assert len(rows) == 250
        assert all(r.ok for r in rows)
    with FakeCloudflare() as api:
        profile = cloudflare_site(PathPurge.PREFIXES)
        run(lambda c: purge_all(purger(c, api.api), profile, CF_TOKEN, paths[:61]))
        assert [len(r.json()["prefixes"]) for r in api.requests] == [30, 30, 1]
        assert api.requests[0].json()["prefixes"][1] == "www.example.com/p/1"


def test_a_host_purge_is_one_call_for_every_path() -> None:
    with FakeCloudflare() as api:
        profile = cloudflare_site(PathPurge.HOSTS)
        targets = [Target.path("/a"), Target.path("/b")]
        rows = run(lambda c: purge_all(purger(c, api.api), profile, CF_TOKEN, targets))
        assert api.purged == [("hosts", ["www.example.com"])]
        assert [r.target for r in rows] == targets
        assert all(r.ok for r in rows)


def test_a_wrong_token_fails_every_row_with_a_hint_naming_the_token() -> None:
    with FakeCloudflare() as api:
        rows = run(
            lambda c: purge_all(
                purger(c, api.api), cloudflare_site(), "wrong-token", [Target.tag("t")]
            )
        )
        (row,) = rows
        assert (row.ok, row.outcome, row.status) == (False, Outcome.WRONG_SECRET, 403)
        assert row.error == "10000 Authentication error"
        assert "API token" in (row.hint or "")
        assert "Cache Purge" in (row.hint or "")
        assert "--cdn-token-env" in (row.hint or "")
        assert api.purged == []


def test_a_429_waits_what_retry_after_says_then_succeeds() -> None:
    timer = FakeTimer()
    with FakeCloudflare() as api:
        api.on(api.purge_path, cf_rate_limited("7"), cf_rate_limited("2"))
        rows = run(
            lambda c: purge_all(
                purger(c, api.api, timer), cloudflare_site(), CF_TOKEN, [Target.tag("t")]
            )
        )
        assert timer.slept == [7.0, 2.0]
        assert len(api.requests) == 3
        (row,) = rows
        assert row.ok
        assert row.attempts == 3


def test_rate_limits_past_the_retries_fail_the_batch_as_rate_limited() -> None:
    timer = FakeTimer()
    with FakeCloudflare() as api:
        api.on(api.purge_path, cf_rate_limited("1"), repeat=True)
        rows = run(
            lambda c: purge_all(
                purger(c, api.api, timer, retries=2), cloudflare_site(), CF_TOKEN, [Target.tag("t")]
            )
        )
        assert timer.slept == [1.0, 1.0]
        assert len(api.requests) == 3
        (row,) = rows
        assert (row.ok, row.outcome, row.status, row.attempts) == (
            False, Outcome.RATE_LIMITED, 429, 3)  # fmt: skip
        assert "971" in (row.error or "")


def test_a_wait_past_the_deadline_is_not_taken() -> None:
    timer = FakeTimer()
    with FakeCloudflare() as api:
        api.on(api.purge_path, cf_rate_limited("50"))  # under the 65 s cap, past the deadline
        rows = run(
            lambda c: purge_all(
                purger(c, api.api, timer, deadline=40.0),
                cloudflare_site(),
                CF_TOKEN,
                [Target.tag("t")],
            )
        )
        assert timer.slept == []
        assert len(api.requests) == 1
        assert rows[0].outcome is Outcome.RATE_LIMITED
        assert rows[0].error == "the API asks to wait 50 s, past this purge's deadline"


def test_a_wait_over_the_single_wait_cap_says_so_not_the_deadline() -> None:
    timer = FakeTimer()
    with FakeCloudflare() as api:
        api.on(api.purge_path, cf_rate_limited("90"))
        rows = run(lambda c: purge_all(purger(c, api.api, timer), cloudflare_site(), CF_TOKEN,
                                       [Target.tag("t")]))  # fmt: skip
        assert timer.slept == []
        assert rows[0].outcome is Outcome.RATE_LIMITED
        assert rows[0].error == (
            "the API asks to wait 90 s, longer than the 65 s ISR Desk waits at once"
        )


def test_one_failed_batch_fails_only_its_own_targets() -> None:
    paths = [Target.path(f"/p/{i}") for i in range(150)]
    with FakeCloudflare() as api:
        bad = Reply(400, cf_envelope(False, (1016, "Purge request contains an invalid URL")))
        api.on(api.purge_path, Reply(200, cf_envelope(True, result={"id": "x"})), bad)
        rows = run(lambda c: purge_all(purger(c, api.api), cloudflare_site(), CF_TOKEN, paths))
        assert [r.ok for r in rows] == [True] * 100 + [False] * 50
        failed = rows[-1]
        assert (failed.outcome, failed.status) == (Outcome.BAD_REQUEST, 400)
        assert failed.error == "1016 Purge request contains an invalid URL"
        assert failed.request is not None
        assert len(failed.request.targets) == 50


def test_a_200_without_success_is_a_failure_and_a_5xx_is_retried() -> None:
    timer = FakeTimer()
    with FakeCloudflare() as api:
        api.on(api.purge_path, Reply(502, "bad gateway"), Reply(200, cf_envelope(False, (1, "x"))))
        rows = run(
            lambda c: purge_all(
                purger(c, api.api, timer), cloudflare_site(), CF_TOKEN, [Target.tag("t")]
            )
        )
        assert timer.slept == [0.5]
        assert (rows[0].ok, rows[0].outcome, rows[0].error) == (False, Outcome.BAD_REQUEST, "1 x")


def test_the_recorded_request_never_holds_the_token() -> None:
    with FakeCloudflare() as api:
        rows = run(lambda c: purge_all(purger(c, api.api), cloudflare_site(), CF_TOKEN,
                                       [Target.tag("t")]))  # fmt: skip
        request = rows[0].request
        assert request is not None
        assert request.secret is None
        assert ("Authorization", "Bearer •••") in request.headers
        assert CF_TOKEN not in repr(rows)


def test_a_one_character_token_is_blanked_in_the_answer_without_breaking_it() -> None:
    with FakeCloudflare(token="t") as api:
        rows = run(lambda c: purge_all(purger(c, api.api), cloudflare_site(), "t",
                                       [Target.tag("posts")]))  # fmt: skip
        (row,) = rows
        assert (row.ok, row.outcome) == (True, Outcome.PURGED)
        assert isinstance(row.response, dict)
        assert row.response["success"] is True

        def strings(value: object) -> list[str]:
            if isinstance(value, dict):
                return [*map(str, value), *(s for v in value.values() for s in strings(v))]
            if isinstance(value, list):
                return [s for v in value for s in strings(v)]
            return [value] if isinstance(value, str) else []

        assert all("t" not in s.lower() for s in strings(row.response))


def test_prefix_mode_purges_a_route_pattern_by_its_static_part_never_literally() -> None:
    profile = replace(cloudflare_site(PathPurge.PREFIXES), base_path="/docs")
    targets = [Target.path("/blog/[slug]"), Target.path("/[lang]/about")]
    with FakeCloudflare() as api:
        rows = run(lambda c: purge_all(purger(c, api.api), profile, CF_TOKEN, targets))
        assert api.purged == [("prefixes", ["www.example.com/docs/blog"])]
        assert not any("[" in item for _, items in api.purged for item in items)
    by_target = {r.target.value: r for r in rows}
    assert by_target["/blog/[slug]"].outcome is Outcome.PURGED
    whole = by_target["/[lang]/about"]
    assert whole.outcome is Outcome.UNSUPPORTED
    assert "whole host" in (whole.error or "")


def test_prefix_mode_purges_the_home_page_by_its_url_not_the_whole_host() -> None:
    profile = cloudflare_site(PathPurge.PREFIXES)
    with FakeCloudflare() as api:
        rows = run(lambda c: purge_all(purger(c, api.api), profile, CF_TOKEN,
                                       [Target.path("/"), Target.path("/blog")]))  # fmt: skip
        assert api.purged == [("files", [f"{SITE}/"]), ("prefixes", ["www.example.com/blog"])]
        assert all(r.ok for r in rows)


def test_non_ascii_paths_are_purged_as_a_browser_requests_them() -> None:
    for encode in (True, False):  # the site's revalidation form does not change the URL
        profile = replace(cloudflare_site(), encode_paths=encode)
        with FakeCloudflare() as api:
            run(lambda c, p=profile: purge_all(purger(c, api.api), p, CF_TOKEN,
                                               [Target.path("/café")]))  # fmt: skip
            assert api.purged == [("files", [f"{SITE}/caf%C3%A9"])]
    profile = cloudflare_site(PathPurge.PREFIXES)
    with FakeCloudflare() as api:
        run(lambda c: purge_all(purger(c, api.api), profile, CF_TOKEN,
                                [Target.path("/blog/über")]))  # fmt: skip
        assert api.purged == [("prefixes", ["www.example.com/blog/%C3%BCber"])]
