"""The engine and the CLI against sites that misbehave on purpose (tests/helpers/sites).

For each fault: the right outcome, hint and retry behaviour, and the run goes on with the
other targets. Backoff sleeps are recorded instead of slept, so Retry-After values are
checked exactly and the tests stay fast.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from isr_desk.domain import Endpoint, Outcome, Preset, Result, SecretPlacement, SiteProfile, Target
from isr_desk.services.http import make_client
from isr_desk.services.revalidation import EXCERPT_CHARS, Revalidator, RunOptions
from tests.helpers import sites as f
from tests.helpers.sites import LoopbackSite

SECRET = "fault-s3cret/+&="
ISR = str(Path(sys.executable).with_name("isr-desk"))
GUARD_S = 60  # a hang fails the test instead of blocking the suite; not a timing assertion


def profile_for(url: str, endpoint: Endpoint | None = None, **kw: object) -> SiteProfile:
    return SiteProfile("faults", url, endpoint or Endpoint(), **kw)  # type: ignore[arg-type]


def options(**kw: object) -> RunOptions:
    base: dict[str, object] = {"timeout": 1.0, "retries": 2, "concurrency": 16}
    base.update(kw)
    return RunOptions(**base)  # type: ignore[arg-type]


async def _collect(
    profile: SiteProfile,
    targets: Sequence[Target],
    opts: RunOptions,
    sleeps: list[float],
    verify: object,
) -> dict[str, Result]:
    async def sleep(delay: float) -> None:
        sleeps.append(delay)
        await asyncio.sleep(0)

    async with make_client(verify=verify) as client:  # type: ignore[arg-type]
        run = Revalidator(client, sleep=sleep, jitter=lambda: 0.0).start(
            profile, SECRET, targets, opts
        )
        async with asyncio.timeout(GUARD_S):
            return {r.target.value: r async for r in run}


def collect_all(
    profile: SiteProfile, targets: Sequence[str], *, verify: object = True
) -> list[Result]:
    async def go() -> list[Result]:
        async with make_client(verify=verify) as client:  # type: ignore[arg-type]
            run = Revalidator(client).start(
                profile, SECRET, [Target.path(t) for t in targets], options()
            )
            async with asyncio.timeout(GUARD_S):
                return [r async for r in run]

    return asyncio.run(go())


def collect(
    profile: SiteProfile,
    targets: Sequence[str],
    opts: RunOptions | None = None,
    *,
    sleeps: list[float] | None = None,
    verify: object = True,
) -> dict[str, Result]:
    wanted = [Target.path(t) for t in targets]
    return asyncio.run(
        _collect(profile, wanted, opts or options(), [] if sleeps is None else sleeps, verify)
    )


@pytest.fixture
def server() -> Iterator[LoopbackSite]:
    with LoopbackSite(any_secret=True) as srv:
        yield srv


# (fault key, fault sequence, outcome, attempts, hint fragment)
MIXED = [
    ("/ok", [f.ok()], Outcome.REFRESHED, 1, None),
    ("/reset", [f.reset_mid_response()], Outcome.UNREACHABLE, 3, "Could not reach"),
    ("/hang", [f.never_answer()], Outcome.TIMED_OUT, 3, "within 1 s"),
    ("/drip", [f.drip(interval=0.25)], Outcome.TIMED_OUT, 3, "site is down or slow"),
    ("/burst", [f.respond(502), f.respond(503), f.ok()], Outcome.REFRESHED, 3, None),
    ("/5xx", [f.respond(503, "down")], Outcome.SERVER_ERROR, 3, "route threw"),
    ("/429s", [f.retry_after_seconds(7), f.ok()], Outcome.REFRESHED, 2, None),
    ("/429date", [f.retry_after_date(20), f.ok()], Outcome.REFRESHED, 2, None),
    ("/429long", [f.retry_after_seconds(3600)], Outcome.RATE_LIMITED, 1, "rate limiting"),
    ("/400", [f.respond(400, {"message": "bad"})], Outcome.BAD_REQUEST, 1, "request body"),
    ("/401", [f.respond(401, {"message": "no"})], Outcome.WRONG_SECRET, 1, "secret"),
    ("/404", [f.respond(404)], Outcome.NOT_FOUND, 1, "endpoint path"),
    ("/405", [f.respond(405)], Outcome.WRONG_METHOD, 1, "preset"),
    ("/html500", [f.html_page(500)], Outcome.SERVER_ERROR, 3, "route threw"),
    ("/html", [f.html_page(200)], Outcome.OTHER, 1, "web page"),  # not the route
    ("/utf8", [f.invalid_utf8(200)], Outcome.REFRESHED, 1, None),
    ("/utf8-500", [f.invalid_utf8(500)], Outcome.SERVER_ERROR, 3, "route threw"),
    ("/huge", [f.huge_body()], Outcome.REFRESHED, 1, None),
]


def test_one_run_through_every_fault_gives_each_its_outcome_hint_and_retries(
    server: LoopbackSite,
) -> None:
    for key, sequence, *_ in MIXED:
        server.on(key, *sequence, repeat=True)
    sleeps: list[float] = []
    results = collect(profile_for(server.url), [m[0] for m in MIXED], sleeps=sleeps)
    assert set(results) == {m[0] for m in MIXED}  # the run finished every target
    for key, _, outcome, attempts, hint in MIXED:
        result = results[key]
        assert (result.outcome, result.attempts) == (outcome, attempts), key
        assert result.ok is (outcome is Outcome.REFRESHED), key
        if hint is None:
            assert result.hint is None, key
        else:
            assert hint in (result.hint or ""), (key, result.hint)
        assert server.count(key) == attempts, key
    # Retry-After: seconds honoured exactly, the HTTP-date form as the seconds left, and a
    # pause longer than retry_after_max is not waited for at all.
    assert 7.0 in sleeps
    assert any(18.0 <= s <= 20.0 for s in sleeps), sleeps  # 1 s resolution of the date
    assert not any(s >= 60 for s in sleeps)


def test_a_one_byte_a_second_answer_times_out_after_the_configured_timeout(
    server: LoopbackSite,
) -> None:
    # Each read gets a byte within httpx's per-read timeout: only a deadline on the whole
    # attempt ends it (without one this test hangs until GUARD_S fails it).
    server.on("/drip", f.drip(interval=1.0), repeat=True)
    server.on("/ok", f.ok(), repeat=True)
    results = collect(profile_for(server.url), ["/drip", "/ok"], options(timeout=1.5, retries=1))
    drip = results["/drip"]
    assert (drip.outcome, drip.attempts, drip.status) == (Outcome.TIMED_OUT, 2, None)
    assert "within 1.5 s" in (drip.error or "")
    assert "within 1.5 s" in (drip.hint or "")
    assert results["/ok"].ok


def test_bodies_that_are_not_json_become_a_text_excerpt(server: LoopbackSite) -> None:
    server.on("/html", f.html_page(500), repeat=True)
    server.on("/utf8", f.invalid_utf8(502), repeat=True)
    server.on("/huge", f.huge_body(), repeat=True)
    results = collect(profile_for(server.url), ["/html", "/utf8", "/huge"], options(retries=0))
    html = results["/html"].response
    assert isinstance(html, str)
    assert html.startswith("<!DOCTYPE html>")
    assert len(html) <= EXCERPT_CHARS + 1
    assert html.endswith("…")
    text = results["/utf8"].response
    assert isinstance(text, str)
    assert "\ufffd" in text
    assert "revalidated" in text
    huge = results["/huge"].response
    assert isinstance(huge, str)
    assert len(huge) <= EXCERPT_CHARS + 1


@pytest.mark.parametrize(
    "fault", [f.huge_body(), f.gzip_bomb()], ids=["50MB-body", "50MB-gzip-bomb"]
)
def test_a_50mb_answer_is_read_capped_and_memory_stays_bounded(
    server: LoopbackSite, fault: f.Fault
) -> None:
    server.on("/big", fault, repeat=True)
    tracemalloc.start()
    try:
        results = collect(profile_for(server.url), ["/big"], options(retries=0))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert results["/big"].status == 200
    assert peak < 8 * f.ONE_MB, f"peak {peak / f.ONE_MB:.1f} MB while reading a 50 MB answer"


@pytest.mark.parametrize(
    "endpoint",
    [
        Endpoint(),
        Endpoint(preset=Preset.BEARER),
        Endpoint(preset=Preset.PAGES_ROUTER),
        Endpoint(
            preset=Preset.CUSTOM,
            secret_placement=SecretPlacement.HEADER,
            secret_name="X-Revalidate-Token",
        ),
    ],
    ids=["app-router", "bearer", "pages-router", "custom-header"],
)
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_to_another_host_never_carries_the_secret_there(
    endpoint: Endpoint, status: int
) -> None:
    with LoopbackSite(any_secret=True) as site, LoopbackSite(any_secret=True) as elsewhere:
        location = f"{elsewhere.url}/api/revalidate?secret={SECRET}"
        site.on("/a", f.redirect(location, status), repeat=True)
        results = collect(profile_for(site.url, endpoint), ["/a"])
    result = results["/a"]
    assert elsewhere.requests == []  # the other host never saw a request at all
    assert result.outcome is Outcome.REDIRECTED
    assert result.attempts == 1
    assert "redirects to" in (result.hint or "")
    assert SECRET not in (result.hint or "")
    assert SECRET not in json.dumps(result.to_json())


def test_a_same_origin_307_is_followed_with_the_request(server: LoopbackSite) -> None:
    # The repeated request carries the same body (same fault key): redirect once, then ok.
    server.on("/a", f.redirect(f"{server.url}/api/other", 307), f.ok(), repeat=True)
    result = collect(profile_for(server.url), ["/a"])["/a"]
    assert result.outcome is Outcome.REFRESHED
    assert [s.path for s in server.requests] == ["/api/revalidate", "/api/other"]


@pytest.mark.parametrize("which", ["self-signed", "expired"])
def test_tls_self_signed_or_expired_is_a_certificate_problem(tmp_path: Path, which: str) -> None:
    certs = f.make_certs(tmp_path)
    # The expired one is signed by a CA the client trusts: expiry is the only fault.
    verify = f.client_context(certs) if which == "expired" else True
    with (
        LoopbackSite(any_secret=True, tls=f.server_context(certs, which)) as bad,
        LoopbackSite(any_secret=True) as good,
    ):
        # Two instances of one site: the run goes on with the healthy one.
        profile = profile_for(bad.url, instances=(bad.url, good.url))
        results = collect_all(profile, ["/a"], verify=verify)
        assert bad.requests == []  # not a byte of the request went over the bad connection
        assert len(good.requests) == 1
    by_instance = {r.instance: r for r in results}
    assert by_instance[good.url].ok
    tls = by_instance[bad.url]
    assert tls.outcome is Outcome.TLS_ERROR
    assert tls.attempts == 1  # a certificate does not fix itself on retry
    assert "certificate" in (tls.hint or "").lower()
    if which == "expired":
        assert "expired" in (tls.error or "").lower()
    else:
        assert "self" in (tls.error or "").lower()


# --- the CLI -------------------------------------------------------------------------------------


def isr(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ISR, *args], input=stdin, capture_output=True, text=True, env=os.environ, timeout=120
    )


CLI_FAULTS = {
    "/ok": f.ok(),
    "/reset": f.reset_mid_response(),
    "/hang": f.never_answer(),
    "/5xx": f.respond(503, "<h1>Application error</h1>", content_type="text/html"),
    "/400": f.respond(400, {"message": "bad"}),
    "/html": f.html_page(500),
    "/utf8": f.invalid_utf8(502),
    "/huge": f.huge_body(),
}


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_cli_revalidate_through_faults_exits_1_with_one_line_per_result(
    server: LoopbackSite, as_json: bool
) -> None:
    for key, fault in CLI_FAULTS.items():
        server.on(key, fault, repeat=True)
    add = isr("site", "add", "faulty", "--url", server.url, "--timeout", "1", "--retries", "1")
    assert add.returncode == 0, add.stderr
    args = [a for key in CLI_FAULTS for a in ("--path", key)]
    out = isr(
        "revalidate", "faulty", *args, "--secret-stdin", *(["--json"] * as_json), stdin=SECRET
    )
    assert out.returncode == 1
    assert out.stderr == ""  # no traceback, no warning
    assert SECRET not in out.stdout
    lines = out.stdout.splitlines()
    if as_json:
        rows = [json.loads(line) for line in lines]
        assert len(rows) == len(CLI_FAULTS) + 1
        by_target = {row["target"]: row for row in rows[:-1]}
        assert set(by_target) == set(CLI_FAULTS)
        assert by_target["/ok"]["ok"] is True
        assert by_target["/huge"]["ok"] is True  # 200, its 50 MB body cut to an excerpt
        assert by_target["/reset"]["attempts"] == 2  # retried once
        assert by_target["/400"]["attempts"] == 1  # a 4xx is not retried
        assert by_target["/hang"]["result"] == "Timed out"
        assert isinstance(by_target["/utf8"]["response"], str)
        assert rows[-1]["summary"] == {**rows[-1]["summary"], "total": 8, "ok": 2, "failed": 6}
    else:
        results = [line for line in lines if line.startswith(("ok  ", "FAIL"))]
        hints = [line for line in lines if line.startswith("     ")]
        assert len(results) == len(CLI_FAULTS)
        assert len(hints) == len(CLI_FAULTS) - 2  # one hint under each failure
        assert len(lines) == len(results) + len(hints) + 1
        assert lines[-1].startswith("2 of 8 refreshed, 6 failed")


def test_cli_revalidate_against_a_self_signed_site_names_the_certificate(tmp_path: Path) -> None:
    certs = f.make_certs(tmp_path)
    with LoopbackSite(any_secret=True, tls=f.server_context(certs, "self-signed")) as server:
        assert isr("site", "add", "tls", "--url", server.url).returncode == 0
        out = isr("revalidate", "tls", "--path", "/a", "--json", "--secret-stdin", stdin=SECRET)
    assert out.returncode == 1
    assert out.stderr == ""
    row = json.loads(out.stdout.splitlines()[0])
    assert row["result"] == "Certificate problem"
    assert "certificate" in row["hint"]
