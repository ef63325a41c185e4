"""The engine against real HTTP servers on 127.0.0.1 (tests/helpers/sites)."""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Sequence

import httpx
import pytest

from isr_desk.domain import Endpoint, Outcome, Preset, Result, SiteProfile, Target
from isr_desk.services.errors import RevalidationError
from isr_desk.services.http import make_client
from isr_desk.services.revalidation import Revalidator, Run, RunOptions
from isr_desk.services.revalidation import _replies as responses
from tests.helpers.sites import REVALIDATE_PATH, LoopbackSite, Recorded, Reply, free_port

FAST = {"backoff_base": 0.01, "backoff_max": 0.05}


def profile_for(
    site: LoopbackSite | str, preset: Preset = Preset.APP_ROUTER, **kw: object
) -> SiteProfile:
    url = site if isinstance(site, str) else site.url
    return SiteProfile("t", url, Endpoint(preset=preset), **kw)  # type: ignore[arg-type]


async def collect(
    profile: SiteProfile,
    secret: str,
    targets: Sequence[Target],
    options: RunOptions | None = None,
) -> tuple[list[Result], Run]:
    async with make_client() as client:
        run = Revalidator(client).start(profile, secret, targets, options)
        results = [r async for r in run]
        return results, run


def run_sync(*args: object) -> tuple[list[Result], Run]:
    return asyncio.run(collect(*args))  # type: ignore[arg-type]


@pytest.mark.parametrize("preset", [Preset.APP_ROUTER, Preset.BEARER, Preset.PAGES_ROUTER])
def test_each_preset_revalidates_on_the_seed_routes(site: LoopbackSite, preset: Preset) -> None:
    results, run = run_sync(profile_for(site, preset), site.secret, [Target.path("/blog/a")])
    (result,) = results
    assert (result.ok, result.status, result.outcome) == (True, 200, Outcome.REFRESHED)
    assert result.response["revalidated"] is True
    assert site.revalidated == ["path:/blog/a"]
    assert result.timing is not None
    assert result.timing.first_byte_ms is not None
    assert result.timing.connect_ms is not None  # a fresh connection was traced
    assert site.secret not in result.request.url + repr(result.request.headers)
    assert run.summary().ok == 1


def test_wrong_secret_gives_the_secret_hint_and_is_not_retried(site: LoopbackSite) -> None:
    results, run = run_sync(profile_for(site), "wrong", [Target.path("/a"), Target.tag("posts")])
    assert {r.outcome for r in results} == {Outcome.WRONG_SECRET}
    assert all(r.status == 401 and r.attempts == 1 for r in results)
    assert "secret" in (results[0].hint or "")
    assert site.count() == 2
    assert run.summary().failed == 2


@pytest.mark.parametrize(
    ("reply", "outcome", "hint_word"),
    [
        (Reply(404, "nope"), Outcome.NOT_FOUND, "endpoint path"),
        (Reply(400, {"message": "bad"}), Outcome.BAD_REQUEST, '{"path": "/a"}'),
        (Reply(405, ""), Outcome.WRONG_METHOD, "preset"),
        (Reply(200, {"revalidated": False}), Outcome.NOT_REVALIDATED, "revalidated: false"),
        (
            Reply(302, "", {"Location": "https://elsewhere.example/x"}),
            Outcome.REDIRECTED,
            "elsewhere",
        ),
    ],
)
def test_failures_get_outcome_and_hint(
    site: LoopbackSite, reply: Reply, outcome: Outcome, hint_word: str
) -> None:
    site.on(REVALIDATE_PATH, reply)
    (result,), _ = run_sync(profile_for(site), site.secret, [Target.path("/a")])
    assert not result.ok
    assert result.outcome is outcome
    assert hint_word in (result.hint or "")
    assert result.attempts == 1


def test_server_errors_are_retried_then_reported_with_the_body(site: LoopbackSite) -> None:
    site.on(REVALIDATE_PATH, *[Reply(500, {"message": "Error revalidating"})] * 3)
    options = RunOptions(retries=2, **FAST)
    (result,), _ = run_sync(profile_for(site), site.secret, [Target.path("/a")], options)
    assert (result.outcome, result.attempts, result.status) == (Outcome.SERVER_ERROR, 3, 500)
    assert result.response == {"message": "Error revalidating"}
    assert site.count() == 3


def test_a_503_then_success_counts_attempts(site: LoopbackSite) -> None:
    site.on(REVALIDATE_PATH, Reply(503, "busy"))
    (result,), _ = run_sync(profile_for(site), site.secret, [Target.path("/a")], RunOptions(**FAST))
    assert (result.ok, result.attempts) == (True, 2)


def test_429_waits_for_retry_after(site: LoopbackSite) -> None:
    site.on(REVALIDATE_PATH, Reply(429, "slow down", {"Retry-After": "1"}))
    (result,), _ = run_sync(profile_for(site), site.secret, [Target.path("/a")], RunOptions(**FAST))
    assert (result.ok, result.attempts) == (True, 2)
    first, second = site.requests
    assert second.at - first.at >= 0.95


def test_429_asking_for_too_long_a_pause_gives_up(site: LoopbackSite) -> None:
    site.on(REVALIDATE_PATH, Reply(429, "", {"Retry-After": "3600"}))
    (result,), _ = run_sync(profile_for(site), site.secret, [Target.path("/a")], RunOptions(**FAST))
    assert (result.outcome, result.attempts) == (Outcome.RATE_LIMITED, 1)


def test_timeout_is_reported_with_a_hint(site: LoopbackSite) -> None:
    site.on(REVALIDATE_PATH, Reply(200, {"revalidated": True}, delay=1.0))
    options = RunOptions(timeout=0.2, retries=0)
    (result,), _ = run_sync(profile_for(site), site.secret, [Target.path("/a")], options)
    assert result.outcome is Outcome.TIMED_OUT
    assert "0.2 s" in (result.hint or "")


def test_connection_refused_is_retried_and_explained() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    options = RunOptions(retries=1, **FAST)
    (result,), _ = run_sync(profile_for(url), "s", [Target.path("/a")], options)
    assert (result.outcome, result.attempts, result.status) == (Outcome.UNREACHABLE, 2, None)
    assert "Could not reach 127.0.0.1" in (result.hint or "")


def test_redirect_to_another_host_is_not_followed(site: LoopbackSite) -> None:
    with LoopbackSite(secret=site.secret) as other:
        site.on(
            REVALIDATE_PATH,
            Reply(307, "", {"Location": f"{other.url}/api/revalidate?secret={site.secret}"}),
        )
        (result,), _ = run_sync(profile_for(site), site.secret, [Target.path("/a")])
        assert other.requests == []
    assert result.outcome is Outcome.REDIRECTED
    assert site.secret not in (result.hint or "")


def test_same_origin_308_is_followed_with_method_and_body(site: LoopbackSite) -> None:
    site.on(
        REVALIDATE_PATH, Reply(308, "", {"Location": f"/api/revalidate?secret={site.secret}&x=1"})
    )
    (result,), _ = run_sync(profile_for(site), site.secret, [Target.path("/a")])
    assert result.ok
    assert [r.method for r in site.requests] == ["POST", "POST"]
    assert site.requests[1].json() == {"path": "/a"}


def test_duplicates_are_sent_once_and_results_stream_in_completion_order(
    site: LoopbackSite,
) -> None:
    def slow_first(rec: Recorded) -> Reply:
        return Reply(200, {"revalidated": True}, delay=0.3 if rec.json()["path"] == "/slow" else 0)

    site.on("/api/revalidate", slow_first, repeat=True)
    targets = [Target.path("/slow"), Target.path("/fast"), Target.path("/slow")]
    results, run = run_sync(profile_for(site), site.secret, targets, RunOptions(concurrency=2))
    assert [str(r.target) for r in results] == ["/fast", "/slow"]
    assert run.total == 2
    assert site.count() == 2


def test_concurrency_is_capped(site: LoopbackSite) -> None:
    site.latency = 0.05
    targets = [Target.path(f"/p/{i}") for i in range(40)]
    results, run = run_sync(profile_for(site), site.secret, targets, RunOptions(concurrency=4))
    assert len(results) == 40
    assert run.summary().ok == 40
    starts = sorted(r.at for r in site.requests)
    # With 4 in flight and 50 ms each, 40 requests need at least 10 rounds.
    assert starts[-1] - starts[0] >= 9 * 0.05 * 0.9


def test_cancel_stops_new_sends_and_reports_what_finished(site: LoopbackSite) -> None:
    site.latency = 0.1

    async def scenario() -> tuple[list[Result], Run]:
        async with make_client() as client:
            targets = [Target.path(f"/p/{i}") for i in range(50)]
            run = Revalidator(client).start(
                profile_for(site), site.secret, targets, RunOptions(concurrency=2)
            )
            results = []
            async for result in run:
                results.append(result)
                if len(results) == 3:
                    run.cancel()
            return results, run

    results, run = asyncio.run(scenario())
    summary = run.summary()
    assert summary.cancelled
    assert summary.ok >= 3
    assert summary.not_sent >= 40
    assert len(site.requests) <= 6
    assert all(r.outcome in (Outcome.REFRESHED, Outcome.CANCELLED) for r in results)


def test_instances_fan_out_with_a_column_per_instance(site: LoopbackSite) -> None:
    with LoopbackSite(secret=site.secret) as second:
        p = profile_for(site, instances=(site.url, second.url))
        results, run = run_sync(p, site.secret, [Target.path("/a")])
    assert sorted(r.instance for r in results) == sorted([site.url, second.url])
    assert run.total == 2
    assert site.revalidated == second.revalidated == ["path:/a"]


def test_a_route_echoing_the_secret_does_not_leak_it(site: LoopbackSite) -> None:
    site.on("/api/revalidate", lambda rec: Reply(500, {"got": rec.query["secret"][0]}), repeat=True)
    (result,), _ = run_sync(
        profile_for(site), site.secret, [Target.path("/a")], RunOptions(retries=0)
    )
    assert site.secret not in json.dumps(result.to_json())
    assert site.secret not in repr(result.response_headers)


def test_big_bodies_are_capped(site: LoopbackSite) -> None:
    site.on(REVALIDATE_PATH, Reply(500, "x" * 5_000_000))
    (result,), _ = run_sync(
        profile_for(site), site.secret, [Target.path("/a")], RunOptions(retries=0)
    )
    assert len(result.response) < 3000


def test_mock_transport_request_shape() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"revalidated": True})

    async def scenario() -> list[Result]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            p = profile_for("https://example.com", Preset.BEARER, headers=(("X-Env", "prod"),))
            return [r async for r in Revalidator(client).start(p, "tok", [Target.tag("posts")])]

    (result,) = asyncio.run(scenario())
    assert result.ok
    (request,) = seen
    assert request.headers["authorization"] == "Bearer tok"
    assert request.headers["x-env"] == "prod"
    assert json.loads(request.content) == {"tag": "posts"}


def test_results_of_a_run_share_what_repeats_and_keep_their_own_values() -> None:
    """A bulk run keeps every result: the repeated parts are one object, still redacted."""
    secret = "s3cret-shared"
    now = iter(range(1_700_000_000_000, 1_700_000_001_000))

    def handler(request: httpx.Request) -> httpx.Response:
        echo = {"revalidated": True, "now": next(now), "echo": secret, "message": "ok"}
        headers = {"X-Request-Id": str(next(now)), "X-Token": secret}
        return httpx.Response(200, json=echo, headers=headers)

    async def scenario() -> list[Result]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            p = profile_for("https://example.com")
            targets = [Target.path(f"/p{i}") for i in range(5)]
            return [r async for r in Revalidator(client).start(p, secret, targets)]

    results = asyncio.run(scenario())
    assert [r.ok for r in results] == [True] * 5
    first, second = results[0], results[1]
    assert first.request is not None
    assert second.request is not None
    assert first.request.url is second.request.url
    assert first.request.headers is second.request.headers
    assert first.request.body != second.request.body  # each target's own body
    assert len({r.response["now"] for r in results}) == 5  # each its own parsed body
    assert first.response is not second.response
    assert next(iter(first.response)) is next(iter(second.response))  # the keys are shared
    assert first.response["message"] is second.response["message"]
    pairs = dict(first.response_headers)
    assert pairs["x-request-id"] != dict(second.response_headers)["x-request-id"]
    by_name = {pair[0]: pair for pair in second.response_headers}
    assert (
        next(p for p in first.response_headers if p[0] == "content-type") is by_name["content-type"]
    )
    for result in results:
        assert result.response["echo"] == "•••"
        assert dict(result.response_headers)["x-token"] == "•••"
        assert secret not in repr(result) + json.dumps(result.to_json())
    kept = responses._texts, responses._pairs, responses._header_sets
    assert secret not in repr([cache._values for cache in kept])  # the caches hold no secret


def test_equal_small_bodies_are_one_object_and_true_is_not_one() -> None:
    bodies = iter(
        [{"revalidated": True}, {"revalidated": True}, {"revalidated": 1}, {"a": [1]}] * 2
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=next(bodies))

    async def scenario() -> list[Result]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            p = profile_for("https://example.com")
            targets = [Target.path(f"/p{i}") for i in range(8)]
            options = RunOptions.from_profile(p, concurrency=1)
            return [r async for r in Revalidator(client).start(p, "tok", targets, options)]

    responses.forget_shared()
    got = [r.response for r in asyncio.run(scenario())]
    assert got == [{"revalidated": True}, {"revalidated": True}, {"revalidated": 1}, {"a": [1]}] * 2
    assert got[0] is got[1] is got[4]
    assert got[2] is got[6]
    assert got[2] is not got[0]
    assert got[2]["revalidated"] is not True  # 1 == True in Python, not in JSON
    assert got[3] is not got[7]  # nested values are not shared (lists are mutable)


def test_a_rate_limit_spaces_every_request_evenly(site: LoopbackSite) -> None:
    """120 a minute: one request every 0.5 s, whatever the concurrency (the pauses are
    recorded by an injected sleep, which returns at once)."""
    pauses: list[float] = []

    async def record(seconds: float) -> None:
        pauses.append(seconds)

    async def go() -> list[Result]:
        async with make_client() as client:
            profile = profile_for(site, concurrency=8, rate_limit=120)
            run = Revalidator(client, sleep=record).start(
                profile, site.secret, [Target.path(f"/p/{i}") for i in range(5)]
            )
            assert run.options.rate_limit == 120
            return [r async for r in run]

    results = asyncio.run(go())
    assert all(r.ok for r in results)
    assert len(site.revalidated) == 5
    # The first goes at once; the others wait for their slot: 0.5, 1.0, 1.5, 2.0 s.
    assert sorted(pauses) == pytest.approx([0.5, 1.0, 1.5, 2.0], abs=0.1)


def test_a_rate_limit_out_of_range_is_refused() -> None:
    with pytest.raises(RevalidationError, match="rate limit"):
        RunOptions.from_profile(SiteProfile("t", "http://127.0.0.1:1"), rate_limit=-1)


def test_a_run_leaves_no_cyclic_garbage_per_request(site: LoopbackSite) -> None:
    """Each answered request is freed by reference counting: left to the cyclic GC, httpx's
    response <-> stream cycle (~25 objects a request) made the window pause 3-38 ms on the
    GUI thread every 500 ms of a bulk run. What is left is per connection, not per request."""
    targets = [Target.path(f"/p/{i}") for i in range(300)]
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        results, _ = run_sync(profile_for(site, concurrency=4), site.secret, targets)
        gc.collect()
        garbage = len(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    assert [r.ok for r in results] == [True] * len(targets)
    assert garbage < len(targets), f"{garbage} objects in cycles after {len(targets)} requests"


def test_a_web_page_answering_200_is_not_refreshed(site: LoopbackSite) -> None:
    """A wrong route path on a site with a catch-all page answers 200 with HTML: that is not
    a revalidation, whatever the status says."""
    html = "<!doctype html><html><body>Shop</body></html>"
    page = Reply(200, html, headers={"Content-Type": "text/html; charset=utf-8"})
    site.on(REVALIDATE_PATH, page)
    results, _ = run_sync(profile_for(site), site.secret, [Target.path("/a")])
    (result,) = results
    assert not result.ok
    assert result.status == 200
    assert result.attempts == 1
    assert result.hint is not None
    assert "web page" in result.hint
