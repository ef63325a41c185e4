"""Vercel's invalidate-by-tags API, as its documentation shapes it (docs/cdn.md): the request
(query, Bearer token, tags and target), 16 tags a call, no paths (said, never sent), and
what each documented error becomes (403 forbidden, 404, 400 bad_request, 429 rate_limited)."""

from __future__ import annotations

import httpx
import pytest

from isr_desk.domain import Outcome, Target
from isr_desk.services.cdn import VERCEL_PATHS_NOTE, CdnError
from tests.helpers.cdn import (
    VERCEL_MAX_TAGS,
    VERCEL_TOKEN,
    FakeTimer,
    FakeVercel,
    vercel_rate_limited,
)
from tests.services.cdn.conftest import purge_all, purger, run, vercel_site


def test_tags_are_invalidated_with_the_project_team_and_target() -> None:
    with FakeVercel(team="team_42") as api:
        profile = vercel_site(team="team_42", target="preview")
        rows = run(lambda c: purge_all(purger(c, api.url), profile, VERCEL_TOKEN,
                                       [Target.tag("posts"), Target.tag("authors")]))  # fmt: skip
        (request,) = api.requests
        assert (request.method, request.path) == ("POST", "/v1/edge-cache/invalidate-by-tags")
        assert request.query == {"projectIdOrName": ["blog"], "teamId": ["team_42"]}
        assert request.headers["authorization"] == f"Bearer {VERCEL_TOKEN}"
        assert request.json() == {"tags": ["posts", "authors"], "target": "preview"}
        assert [(r.ok, r.outcome, r.step) for r in rows] == [
            (True, Outcome.PURGED, "cdn: Vercel")
        ] * 2


def test_without_a_team_the_query_has_no_team_id_and_tags_go_16_a_call() -> None:
    with FakeVercel() as api:
        tags = [Target.tag(f"t{i}") for i in range(35)]
        rows = run(lambda c: purge_all(purger(c, api.url), vercel_site(), VERCEL_TOKEN, tags))
        assert [len(r.json()["tags"]) for r in api.requests] == [16, 16, 3]
        assert all(r.outcome is Outcome.PURGED for r in rows)
        assert all(r.query == {"projectIdOrName": ["blog"]} for r in api.requests)
        assert api.requests[0].json()["target"] == "production"


def test_the_fake_refuses_more_than_16_tags_as_vercel_does() -> None:
    with FakeVercel() as api:
        body = {"tags": [f"t{i}" for i in range(VERCEL_MAX_TAGS + 1)], "target": "production"}
        auth = {"Authorization": f"Bearer {VERCEL_TOKEN}"}
        query = {"projectIdOrName": "blog"}
        answer = httpx.post(api.url + FakeVercel.purge_path, params=query, headers=auth, json=body)
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "bad_request"
        assert "16" in answer.json()["error"]["message"]
        assert api.purged == []


def test_paths_are_not_sent_and_their_rows_say_why() -> None:
    with FakeVercel() as api:
        rows = run(lambda c: purge_all(purger(c, api.url), vercel_site(), VERCEL_TOKEN,
                                       [Target.path("/a"), Target.tag("t")]))  # fmt: skip
        assert [r.json()["tags"] for r in api.requests] == [["t"]]
        path_row = next(r for r in rows if r.target == Target.path("/a"))
        assert (path_row.ok, path_row.outcome, path_row.attempts) == (False, Outcome.UNSUPPORTED, 0)
        assert path_row.error == VERCEL_PATHS_NOTE
        assert "tag only" in VERCEL_PATHS_NOTE


def test_a_tag_longer_than_256_characters_is_refused_before_sending() -> None:
    with FakeVercel() as api:
        rows = run(lambda c: purge_all(purger(c, api.url), vercel_site(), VERCEL_TOKEN,
                                       [Target.tag("x" * 257)]))  # fmt: skip
        assert api.requests == []
        assert rows[0].outcome is Outcome.UNSUPPORTED
        assert "256" in (rows[0].error or "")


def test_forbidden_names_the_token_and_project() -> None:
    with FakeVercel() as api:
        rows = run(lambda c: purge_all(purger(c, api.url), vercel_site(), "nope",
                                       [Target.tag("t")]))  # fmt: skip
        (row,) = rows
        assert (row.outcome, row.status, row.error) == (
            Outcome.WRONG_SECRET, 403, "forbidden: Not authorized")  # fmt: skip
        assert "API token" in (row.hint or "")
        assert "'blog'" in (row.hint or "")


def test_an_unknown_project_is_not_found_and_a_bad_target_a_bad_request() -> None:
    with FakeVercel(project="other") as api:
        rows = run(lambda c: purge_all(purger(c, api.url), vercel_site(), VERCEL_TOKEN,
                                       [Target.tag("t")]))  # fmt: skip
        assert (rows[0].outcome, rows[0].status) == (Outcome.NOT_FOUND, 404)
        assert "not_found" in (rows[0].error or "")


def test_rate_limited_waits_retry_after_or_else_the_limit_reset() -> None:
    timer = FakeTimer()
    with FakeVercel() as api:
        api.on(api.purge_path, vercel_rate_limited(3, retry_after="4"), vercel_rate_limited(30))
        rows = run(lambda c: purge_all(purger(c, api.url, timer), vercel_site(), VERCEL_TOKEN,
                                       [Target.tag("t")]))  # fmt: skip
        assert timer.slept[0] == 4.0
        assert 25 <= timer.slept[1] <= 31  # limit.reset: epoch seconds, about 30 s away
        assert rows[0].ok
        assert rows[0].attempts == 3


def test_settings_missing_are_refused_before_anything_is_sent() -> None:
    from dataclasses import replace

    profile = vercel_site()
    profile = replace(profile, cdn=replace(profile.cdn, project=""))

    async def scenario(client: httpx.AsyncClient) -> None:
        with pytest.raises(CdnError, match="no Vercel project"):
            await purge_all(purger(client, "http://127.0.0.1:9"), profile, "t", [Target.tag("t")])

    run(scenario)
